// Settings' "Copy diagnostics": what a user can send when asking for help, on the clipboard.
import { writeText } from "@tauri-apps/plugin-clipboard-manager";
import { useState } from "react";
import { diagnostics, errorMessage } from "../api";
import { CheckIcon } from "./Icons";

type Outcome = "copied" | { error: string } | null;

export default function CopyDiagnostics() {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);

  const copy = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      await writeText(await diagnostics());
      setOutcome("copied");
    } catch (error) {
      setOutcome({ error: `The diagnostics could not be copied: ${errorMessage(error)}` });
    } finally {
      setBusy(false);
    }
  };

  return (
    <fieldset className="card form">
      <legend className="section-title">Diagnostics</legend>
      <p className="hint">
        When something goes wrong, paste this into your message asking for help: BucketForge's version, your system, the
        settings above and the latest lines of the app's log. Keys and passwords are never included, only whether each is
        saved.
      </p>
      <div className="save-bar">
        <button type="button" className="secondary" onClick={() => void copy()} disabled={busy}>
          Copy diagnostics
        </button>
        {outcome === "copied" && (
          <span className="success-text" role="status">
            <CheckIcon width={16} height={16} /> Copied
          </span>
        )}
        {outcome !== null && outcome !== "copied" && (
          <span className="error-text" role="alert">
            {outcome.error}
          </span>
        )}
      </div>
    </fieldset>
  );
}
