// The user's saved setup (settings view and the provider list), loaded once and shared by every screen.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { errorMessage, providersList, settingsGet } from "./api";
import type { ProviderInfo } from "./bindings/ProviderInfo";
import type { SettingsView } from "./bindings/SettingsView";

export interface Setup {
  /** Null until the first answer arrives. */
  view: SettingsView | null;
  providers: ProviderInfo[];
  /** Why the settings could not be loaded at all. */
  loadError: string | null;
  /** Every command that changes settings answers with the new view: pass it here. */
  update: (view: SettingsView) => void;
  reload: () => Promise<void>;
}

const SetupContext = createContext<Setup | null>(null);

export function SetupProvider({ children }: { children: ReactNode }) {
  const [view, setView] = useState<SettingsView | null>(null);
  const [providers, setProviders] = useState<ProviderInfo[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      const [v, p] = await Promise.all([settingsGet(), providersList()]);
      setView(v);
      setProviders(p);
      setLoadError(null);
    } catch (e) {
      setLoadError(errorMessage(e));
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  const value = useMemo(() => ({ view, providers, loadError, update: setView, reload }), [view, providers, loadError, reload]);
  return <SetupContext.Provider value={value}>{children}</SetupContext.Provider>;
}

export function useSetup(): Setup {
  const setup = useContext(SetupContext);
  if (!setup) throw new Error("useSetup needs a SetupProvider above it");
  return setup;
}
