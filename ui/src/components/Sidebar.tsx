import mark from "../assets/mark.svg";
import { FolderIcon, GearIcon, SparkIcon } from "./Icons";

export type Screen = "generate" | "projects" | "settings";

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
}

export default function Sidebar({ current, onSelect, version, versionError }: Props) {
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <img src={mark} alt="" width={32} height={32} />
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
      <footer className="sidebar-footer">
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
