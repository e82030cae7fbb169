// An error as the user sees it: the engine's message as written, and the way to Settings when the fix is there.
import type { ReactNode } from "react";
import type { ErrorReport } from "../bindings/ErrorReport";
import type { FixIn } from "../bindings/FixIn";
import { useNavigation } from "../navigation";
import { AlertIcon } from "./Icons";

/** The words on the Settings action, by where the engine says the fix is; `none` has no action. */
export const SETTINGS_ACTION: Record<FixIn, string | null> = {
  storage_settings: "Open Storage settings",
  llm_settings: "Open AI provider settings",
  settings: "Open Settings",
  none: null,
};

interface Props {
  error: ErrorReport;
  /** What the user was doing, said before the message: "Your projects could not be listed." */
  context?: string;
  /** Other ways out (Try again, Resume…), shown before the Settings action. */
  children?: ReactNode;
  /** `inline` sits inside a card that is already coloured as an error (a run's outcome). */
  variant?: "banner" | "inline";
  /** For the message paragraph, where a test or the e2e suite reads it. */
  messageTestId?: string;
}

export default function ErrorBanner({ error, context, children, variant = "banner", messageTestId }: Props) {
  const { go } = useNavigation();
  const settingsAction = SETTINGS_ACTION[error.fix_in];
  return (
    <div className={variant === "inline" ? "run-error" : "banner is-error"} role="alert" data-code={error.code}>
      <AlertIcon width={18} height={18} />
      <p data-testid={messageTestId}>{context ? `${context} ${error.message}` : error.message}</p>
      {(children || settingsAction) && (
        <div className="actions">
          {children}
          {settingsAction && (
            <button type="button" className="secondary" onClick={() => go("settings")}>
              {settingsAction}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
