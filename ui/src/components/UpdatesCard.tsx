// Settings' "Updates": the quiet check at start, the update address, Check for updates, and the
// install (or, for a copy the system's package manager owns, where to download the new installer).
import { writeText } from "@tauri-apps/plugin-clipboard-manager";
import { useEffect, useState } from "react";
import { version as appVersion } from "../api";
import type { UpdateCheck } from "../bindings/UpdateCheck";
import type { UpdateProgress } from "../bindings/UpdateProgress";
import type { UpdateSettings } from "../bindings/UpdateSettings";
import { useUpdates } from "../updates";
import Field from "./Field";
import { AlertIcon, CheckIcon } from "./Icons";

interface Props {
  /** The settings as edited, saved with the rest of the form. */
  settings: UpdateSettings;
  onChange: (change: Partial<UpdateSettings>) => void;
}

export default function UpdatesCard({ settings, onChange }: Props) {
  const { state, check } = useUpdates();
  const [version, setVersion] = useState<string | null>(null);
  useEffect(() => {
    appVersion()
      .then(setVersion)
      .catch(() => setVersion(null));
  }, []);
  const busy = state.phase === "checking" || state.phase === "installing";
  return (
    <fieldset className="card form" data-testid="updates">
      <legend className="section-title">Updates</legend>
      <p className="hint">
        {version ? `You have version ${version}. ` : ""}BucketForge checks each new version's signature before installing it.
      </p>
      <label className="check">
        <input
          type="checkbox"
          name="check-updates-at-start"
          checked={settings.check_at_start}
          onChange={(e) => onChange({ check_at_start: e.target.checked })}
        />
        Look for a new version when BucketForge starts
      </label>
      <Field
        label="Update address"
        optional
        hint="Where BucketForge reads what its newest version is (a latest.json file). Leave it empty for BucketForge's own; a company can host its own copy in any S3 bucket."
      >
        {(control) => (
          <input
            {...control}
            name="update-address"
            type="text"
            value={settings.address}
            onChange={(e) => onChange({ address: e.target.value })}
            placeholder="https://releases.bucketforge.app/latest.json"
            autoComplete="off"
            spellCheck={false}
          />
        )}
      </Field>
      <div className="save-bar">
        <button type="button" className="secondary" disabled={busy} onClick={() => void check(settings.address)}>
          {state.phase === "checking" ? "Checking…" : "Check for updates"}
        </button>
      </div>
      <UpdateOutcome />
    </fieldset>
  );
}

function UpdateOutcome() {
  const { state, install } = useUpdates();
  switch (state.phase) {
    case "idle":
    case "checking":
      return null;
    case "check-failed":
      return <Failure message={state.error} />;
    case "installed":
      return (
        <div className="banner is-success" role="status" data-testid="update-result" data-result="installed">
          <CheckIcon width={18} height={18} />
          <p>Version {state.version} is installed. It opens the next time you start BucketForge.</p>
        </div>
      );
    case "checked":
      if (!state.asked && !state.check.available) return null;
      return <Found check={state.check} installing={false} onInstall={() => void install()} />;
    case "installing":
    case "install-failed":
      return (
        <>
          <Found check={state.check} installing={state.phase === "installing"} onInstall={() => void install()} />
          {state.phase === "installing" && <Downloading progress={state.progress} />}
          {state.phase === "install-failed" && <Failure message={state.error} />}
        </>
      );
  }
}

function Found({ check, installing, onInstall }: { check: UpdateCheck; installing: boolean; onInstall: () => void }) {
  const available = check.available;
  if (!available) {
    return (
      <div className="banner is-success" role="status" data-testid="update-result" data-result="current">
        <CheckIcon width={18} height={18} />
        <p>You have the newest version ({check.current_version}).</p>
      </div>
    );
  }
  const install = available.install;
  return (
    <div className="banner" role="status" data-testid="update-result" data-result="available">
      <div>
        <p>
          <strong>Version {available.version} is available</strong> (you have {check.current_version}).
        </p>
        {available.notes && <p className="update-notes">{available.notes}</p>}
        {install.kind === "in_place" ? (
          <button type="button" className="primary" disabled={installing} onClick={onInstall}>
            {installing ? "Installing…" : `Install version ${available.version}`}
          </button>
        ) : (
          <DownloadInstead url={install.url} packageKind={install.package} />
        )}
      </div>
    </div>
  );
}

/** A copy BucketForge may not replace: where the new installer is, to download and open. */
function DownloadInstead({ url, packageKind }: { url: string; packageKind: string | null }) {
  const [copied, setCopied] = useState<boolean | string>(false);
  const copy = async () => {
    try {
      await writeText(url);
      setCopied(true);
    } catch (e) {
      setCopied(`The address could not be copied: ${String(e)}`);
    }
  };
  return (
    <>
      <p data-testid="update-download">
        {packageKind
          ? `This copy was installed from a .${packageKind} package, which your system's package manager looks after, so BucketForge doesn't replace it itself. Download the new installer and open it:`
          : "This copy wasn't installed from an installer, so it can't replace itself. Download the new installer and open it:"}
      </p>
      <p className="update-link">
        <code data-testid="update-download-url">{url}</code>
      </p>
      <div className="save-bar">
        <button type="button" className="secondary" onClick={() => void copy()}>
          Copy download address
        </button>
        {copied === true && (
          <span className="success-text" role="status">
            <CheckIcon width={16} height={16} /> Copied
          </span>
        )}
        {typeof copied === "string" && (
          <span className="error-text" role="alert">
            {copied}
          </span>
        )}
      </div>
    </>
  );
}

function Downloading({ progress }: { progress: UpdateProgress | null }) {
  const mb = (bytes: number) => (bytes / 1_000_000).toFixed(1);
  const total = progress?.total ?? null;
  return (
    <p className="hint" role="status" data-testid="update-progress">
      {progress === null
        ? "Downloading…"
        : total !== null
          ? `Downloading… ${mb(progress.downloaded)} of ${mb(total)} MB`
          : `Downloading… ${mb(progress.downloaded)} MB`}
      {progress && total !== null && <progress max={total} value={progress.downloaded} />}
    </p>
  );
}

function Failure({ message }: { message: string }) {
  return (
    <div className="banner is-error" role="alert" data-testid="update-result" data-result="error">
      <AlertIcon width={18} height={18} />
      <p>{message}</p>
    </div>
  );
}
