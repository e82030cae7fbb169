// What one version changed, file by file: a list to pick from and a read-only diff against the version before.
import { useCallback, useEffect, useRef, useState } from "react";
import { errorReport, projectDiff } from "../api";
import type { ErrorReport } from "../bindings/ErrorReport";
import type { FileChange } from "../bindings/FileChange";
import type { FileChangeKind } from "../bindings/FileChangeKind";
import type { FileDiff } from "../bindings/FileDiff";
import type { RevisionDiff } from "../bindings/RevisionDiff";
import type { DiffShown } from "../codeview/diff";
import { languageFor } from "../codeview/languages";
import ErrorBanner from "./ErrorBanner";
import { BackIcon } from "./Icons";

export const CHANGE_LABEL: Record<FileChangeKind, string> = {
  added: "Added",
  modified: "Changed",
  removed: "Removed",
};

/** "+12 −3": lines added and removed, with a real minus sign. */
export function LineCounts({ change }: { change: FileChange }) {
  return (
    <span className="line-counts num" aria-label={`${change.lines_added} lines added, ${change.lines_removed} lines removed`}>
      <span className="lines-added">+{change.lines_added}</span> <span className="lines-removed">−{change.lines_removed}</span>
    </span>
  );
}

interface Props {
  slug: string;
  revision: number;
  /** The version's own line counts, to show beside each file. */
  changes: FileChange[];
  onClose: () => void;
}

export default function RevisionChanges({ slug, revision, changes, onClose }: Props) {
  const [diff, setDiff] = useState<RevisionDiff | null>(null);
  const [error, setError] = useState<ErrorReport | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    heading.current?.focus();
  }, []);

  const load = useCallback(async () => {
    setError(null);
    try {
      const d = await projectDiff(slug, revision);
      setDiff(d);
      setSelected((was) => (was && d.files.some((f) => f.path === was) ? was : (d.files[0]?.path ?? null)));
    } catch (e) {
      setError(errorReport(e));
    }
  }, [slug, revision]);

  useEffect(() => {
    void load();
  }, [load]);

  const file = diff?.files.find((f) => f.path === selected) ?? null;

  return (
    <section className="card revision-changes" aria-labelledby="revision-changes-title" data-testid="revision-changes" data-revision={revision}>
      <header className="changes-bar">
        <button type="button" className="link" onClick={onClose}>
          <BackIcon width={16} height={16} />
          Back to history
        </button>
        <h2 id="revision-changes-title" ref={heading} tabIndex={-1}>
          Changes in version {revision}
        </h2>
        {diff?.parent != null && <span className="hint">compared with version {diff.parent}, the one before it</span>}
      </header>

      {error && (
        <ErrorBanner error={error} context={`The changes in version ${revision} could not be read.`}>
          <button type="button" className="secondary" onClick={() => void load()}>
            Try again
          </button>
        </ErrorBanner>
      )}
      {!diff && !error && (
        <p className="hint loading-line" role="status">
          Reading the changes…
        </p>
      )}
      {diff && diff.files.length === 0 && <p className="hint changes-empty">Version {revision} has the same files as the version before it.</p>}
      {diff && diff.files.length > 0 && (
        <div className="changes-body">
          <ul className="changes-files" aria-label={`Files changed in version ${revision}`}>
            {diff.files.map((f) => {
              const counts = changes.find((c) => c.path === f.path);
              return (
                <li key={f.path}>
                  <button
                    type="button"
                    className={`changes-file is-${f.change}`}
                    aria-pressed={f.path === selected}
                    data-testid="changed-file"
                    data-path={f.path}
                    data-change={f.change}
                    onClick={() => setSelected(f.path)}
                  >
                    <span className="change-kind">{CHANGE_LABEL[f.change]}</span>
                    <span className="changes-path" title={f.path}>
                      {f.path}
                    </span>
                    {counts && <LineCounts change={counts} />}
                  </button>
                </li>
              );
            })}
          </ul>
          {file && <FileDiffView key={`${revision}:${file.path}`} file={file} revision={revision} />}
        </div>
      )}
    </section>
  );
}

const FILE_NOTE: Record<FileChangeKind, string | null> = {
  added: "A new file: every line is new.",
  modified: null,
  removed: "This version removed the file: every line of its last version is shown as deleted.",
};

function FileDiffView({ file, revision }: { file: FileDiff; revision: number }) {
  const host = useRef<HTMLDivElement>(null);
  const [shown, setShown] = useState(false);
  const [highlighted, setHighlighted] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const label = `Changes to ${file.path} in version ${revision}`;
  const language = languageFor(file.path);
  const note = FILE_NOTE[file.change];

  useEffect(() => {
    let live = true;
    let diff: DiffShown | null = null;
    import("../codeview/diff")
      .then(({ showDiff }) => {
        if (!live || !host.current) return;
        diff = showDiff(host.current, label, file.before ?? "", file.after ?? "", language);
        setShown(true);
        return diff.highlighted.then(
          () => live && setHighlighted(true),
          () => live && setError("Highlighting for this kind of file could not be loaded; the text is shown plain."),
        );
      })
      .catch(() => live && setError("The changes could not be shown. Restart BucketForge and try again."));
    return () => {
      live = false;
      diff?.destroy();
    };
  }, [file, label, language]);

  return (
    <div
      className="diff-view"
      role="region"
      aria-label={label}
      data-testid="diff-view"
      data-path={file.path}
      data-change={file.change}
      data-shown={shown ? "true" : "false"}
      data-highlighted={highlighted && language !== null ? "true" : "false"}
    >
      {note && <p className="diff-note hint">{note}</p>}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <div ref={host} className="diff-host" />
    </div>
  );
}
