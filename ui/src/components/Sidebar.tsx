// The app's main navigation, with a live count of the runs in progress.
import type { Screen } from "../navigation";
import { FolderIcon, GearIcon, SparkIcon } from "./Icons";
import Mark from "./Mark";

export type { Screen };

const ITEMS: { id: Screen; label: string; Icon: typeof SparkIcon }[] = [
  { id: "generate", label: "Generate", Icon: SparkIcon },
  { id: "projects", label: "Projects", Icon: FolderIcon },
  { id: "settings", label: "Settings", Icon: GearIcon },
];

interface Props {
  current: Screen;
  onSelect: (screen: Screen) => void;
  version: string | null;
  versionError: string | null;
  /** Runs in progress; shown next to Generate. */
  running: number;
  /** A newer version a check found; the notice opens Settings, where it is installed. */
  newVersion?: string | null;
}

export default function Sidebar({ current, onSelect, version, versionError, running, newVersion = null }: Props) {
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <Mark size={32} />
        <span>BucketForge</span>
      </div>
      <ul>
        {ITEMS.map(({ id, label, Icon }) => (
          <li key={id}>
            <button
              type="button"
              className="nav-item"
              aria-current={current === id ? "page" : undefined}
              onClick={() => onSelect(id)}
            >
              <Icon />
              {label}
            </button>
          </li>
        ))}
      </ul>
      <div className="sidebar-running" aria-live="polite">
        {running > 0 && (
          <button type="button" className="running-indicator" data-testid="runs-indicator" onClick={() => onSelect("generate")}>
            <span className="pulse" aria-hidden="true" />
            {running === 1 ? "1 app generating" : `${running} apps generating`}
          </button>
        )}
      </div>
      <footer className="sidebar-footer">
        {newVersion && (
          <button type="button" className="update-notice" data-testid="update-notice" onClick={() => onSelect("settings")}>
            Version {newVersion} is available
          </button>
        )}
        {version && <span data-testid="app-version">Version {version}</span>}
        {versionError && (
          <span className="error-text" role="alert">
            {versionError}
          </span>
        )}
      </footer>
    </nav>
  );
}
