import { GearIcon } from "../components/Icons";

export default function SettingsScreen() {
  return (
    <section className="screen" aria-labelledby="settings-title">
      <header className="screen-header">
        <h1 id="settings-title">Settings</h1>
        <p className="lead">Where your projects are stored and which AI writes them.</p>
      </header>
      <div className="empty-state card">
        <GearIcon width={40} height={40} />
        <h2>Nothing to set up yet</h2>
        <p>
          Storage and AI provider settings arrive in the next version. Your keys will be kept in
          your system's keyring, never in a file.
        </p>
      </div>
    </section>
  );
}
