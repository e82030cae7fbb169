// Moving between screens from deep inside them: open a project (its files, preview or history), or Settings.
import { createContext, useContext } from "react";

export type Screen = "generate" | "projects" | "settings";
export type ProjectTab = "files" | "preview" | "history";

export interface Navigation {
  go: (screen: Screen) => void;
  openProject: (slug: string, tab?: ProjectTab) => void;
}

export const NavigationContext = createContext<Navigation | null>(null);

export function useNavigation(): Navigation {
  const navigation = useContext(NavigationContext);
  if (!navigation) throw new Error("useNavigation needs a NavigationContext above it");
  return navigation;
}
