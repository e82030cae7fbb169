// BucketForge's own updates: the quiet check at start, the one in Settings, and the install,
// shared by the sidebar's notice and the Settings card.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { errorMessage, updateCheck, updateInstall } from "./api";
import type { UpdateCheck } from "./bindings/UpdateCheck";
import type { UpdateProgress } from "./bindings/UpdateProgress";
import { useSetup } from "./setup";

export type UpdateState =
  | { phase: "idle" }
  | { phase: "checking" }
  /** `asked`: the user pressed Check for updates (the quiet check at start only speaks of a new version). */
  | { phase: "checked"; check: UpdateCheck; asked: boolean }
  | { phase: "check-failed"; error: string }
  | { phase: "installing"; check: UpdateCheck; progress: UpdateProgress | null }
  | { phase: "installed"; version: string }
  | { phase: "install-failed"; check: UpdateCheck; error: string };

export interface Updates {
  state: UpdateState;
  /** Looks at `address` (as typed; empty is BucketForge's own) and says what it found. */
  check: (address: string) => Promise<void>;
  /** Installs what the last check found. */
  install: () => Promise<void>;
}

const UpdatesContext = createContext<Updates | null>(null);

export function UpdatesProvider({ children }: { children: ReactNode }) {
  const { view } = useSetup();
  const [state, setState] = useState<UpdateState>({ phase: "idle" });
  const current = useRef(state);
  current.current = state;
  const startChecked = useRef(false);

  // Once the settings are known: a quiet look for a new version, unless the user turned it off.
  // Nothing is shown when it fails (no network, no server); the log keeps why.
  useEffect(() => {
    if (!view || startChecked.current) return;
    startChecked.current = true;
    if (!view.settings.updates.check_at_start) return;
    updateCheck(null)
      .then((check) => setState((now) => (now.phase === "idle" ? { phase: "checked", check, asked: false } : now)))
      .catch(() => {});
  }, [view]);

  const check = useCallback(async (address: string) => {
    setState({ phase: "checking" });
    try {
      setState({ phase: "checked", check: await updateCheck(address), asked: true });
    } catch (e) {
      setState({ phase: "check-failed", error: errorMessage(e) });
    }
  }, []);

  const install = useCallback(async () => {
    const now = current.current;
    if (now.phase !== "checked" && now.phase !== "install-failed") return;
    const check = now.check;
    setState({ phase: "installing", check, progress: null });
    try {
      const version = await updateInstall((progress) =>
        setState((now) => (now.phase === "installing" ? { ...now, progress } : now)),
      );
      setState({ phase: "installed", version });
    } catch (e) {
      setState({ phase: "install-failed", check, error: errorMessage(e) });
    }
  }, []);

  const value = useMemo(() => ({ state, check, install }), [state, check, install]);
  return <UpdatesContext.Provider value={value}>{children}</UpdatesContext.Provider>;
}

export function useUpdates(): Updates {
  const updates = useContext(UpdatesContext);
  if (!updates) throw new Error("useUpdates needs an UpdatesProvider above it");
  return updates;
}

/** The version a check found, if the last one found any. */
export function availableVersion(state: UpdateState): string | null {
  if (state.phase === "checked" || state.phase === "installing" || state.phase === "install-failed") {
    return state.check.available?.version ?? null;
  }
  return null;
}
