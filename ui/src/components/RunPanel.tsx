// One run's live progress: every planned file with its state, the totals, and how the run ended.
import { useState } from "react";
import { errorMessage } from "../api";
import {
  formatBytes,
  formatCost,
  formatElapsed,
  formatTokens,
  isRunning,
  plural,
  progress,
  totalTokens,
  totals,
  type FileProgress,
  type FileStatus,
  type RunPhase,
} from "../generation";
import { useNow } from "../hooks";
import { useNavigation } from "../navigation";
import type { Run, RunKind } from "../runs";
import { useRuns } from "../runs";
import ErrorBanner from "./ErrorBanner";
import FitReport from "./FitReport";
import { CheckIcon, CrossIcon, StopIcon } from "./Icons";

const STATUS_LABEL: Record<FileStatus, string> = {
  queued: "Waiting",
  writing: "Writing",
  repairing: "Fixing",
  uploaded: "Saved",
  failed: "Failed",
  stopped: "Not written",
  removed: "Removed",
};

function fileDetail(file: FileProgress): string {
  switch (file.status) {
    case "queued":
      return "Waiting for its turn";
    case "writing":
      return "Writing…";
    case "repairing":
      return `Fixing (try ${Math.max(file.attempt, 1)}): ${file.note ?? "the file had a problem"}`;
    case "uploaded":
      return file.note === "kept from the last run" ? "Kept from the last run" : "Saved to your bucket";
    case "failed":
      return file.note ?? "This file could not be written.";
    case "stopped":
      return "The run stopped before this file was written";
    case "removed":
      return "Removed from the project (the version before stays in its history)";
  }
}

function StatusGlyph({ status }: { status: FileStatus }) {
  if (status === "uploaded") return <CheckIcon width={16} height={16} />;
  if (status === "failed") return <CrossIcon width={16} height={16} />;
  if (status === "stopped" || status === "removed") return <StopIcon width={14} height={14} />;
  if (status === "writing" || status === "repairing") return <span className="spinner" />;
  return <span className="dot" />;
}

export function FileRow({ file }: { file: FileProgress }) {
  const detail = fileDetail(file);
  // A stopped file's partial bytes were never saved, so they are not worth a number.
  const size = file.bytes > 0 && file.status !== "stopped" ? formatBytes(file.bytes) : "";
  return (
    <li className={`file-row is-${file.status}`} data-testid="file-row" data-path={file.path} data-status={file.status}>
      <span className="file-glyph" aria-hidden="true">
        <StatusGlyph status={file.status} />
      </span>
      <span className="file-main">
        <span className="file-path" title={file.path}>
          {file.path}
        </span>
        <span className="file-detail" title={detail}>
          <span className="visually-hidden">{STATUS_LABEL[file.status]}: </span>
          {detail}
        </span>
      </span>
      <span className="file-size num" data-testid="file-bytes">
        {size}
      </span>
      <span className="file-time num">{file.status === "uploaded" && file.ms !== null ? `${file.ms} ms` : ""}</span>
    </li>
  );
}

const HEADLINE: Record<RunKind, Record<RunPhase, string>> = {
  generation: {
    planning: "Planning your app…",
    writing: "Writing your app",
    checking: "Checking that the files fit together…",
    finished: "Your app is ready",
    failed: "Generation stopped",
    cancelled: "Cancelled",
  },
  change: {
    planning: "Reading your request…",
    writing: "Changing your app",
    checking: "Checking that the files fit together…",
    finished: "Your change is saved",
    failed: "The change stopped",
    cancelled: "Cancelled",
  },
};

interface Props {
  run: Run;
  /** Inside the project's own page the "Open project" and "Preview" actions would lead nowhere new. */
  inProject?: boolean;
}

export default function RunPanel({ run, inProject = false }: Props) {
  const { cancel, resume, fix, start, dismiss } = useRuns();
  const { openProject } = useNavigation();
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { state } = run;
  const running = isRunning(state);
  const now = useNow(running);
  const elapsed = state.elapsedMs ?? (run.endedAt ?? now) - run.startedAt;
  const t = totals(state);
  const percent = Math.round(progress(state) * 100);
  const tokens = totalTokens(state);
  const title = state.name ?? (run.idea || state.slug || "New app");
  const slug = state.slug;

  const act = async (action: () => Promise<unknown>) => {
    setActionError(null);
    setBusy(true);
    try {
      await action();
    } catch (e) {
      setActionError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const code = state.error ? state.error.code : null;
  // A change that did not finish put back the files it touched: there is nothing to resume.
  const isChange = run.kind === "change";
  const landedCount = state.phase === "finished" ? t.uploaded : state.landed.length;

  return (
    <article
      className={`card run is-${state.phase}`}
      data-testid="run"
      data-phase={state.phase}
      data-slug={slug ?? ""}
      aria-labelledby={`${run.key}-title`}
    >
      <header className="run-header">
        <div className="run-title">
          <h2 id={`${run.key}-title`} title={title}>
            {title}
          </h2>
          <p className="run-phase">
            {HEADLINE[run.kind][state.phase]}
            {slug && <span className="slug-tag">{slug}</span>}
          </p>
        </div>
        {running && (
          <button type="button" className="secondary" disabled={run.cancelRequested} onClick={() => act(() => cancel(run.key))}>
            {run.cancelRequested ? "Cancelling…" : "Cancel"}
          </button>
        )}
        {!running && !inProject && (
          <button type="button" className="ghost" onClick={() => dismiss(run.key)}>
            Dismiss
          </button>
        )}
      </header>

      <div
        className="progress"
        role="progressbar"
        aria-label={`Files saved for ${title}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={state.phase === "planning" ? "Planning" : `${t.uploaded} of ${t.planned} files saved`}
      >
        <div className={`progress-fill${state.phase === "planning" ? " is-indeterminate" : ""}`} style={{ width: `${state.phase === "planning" ? 100 : percent}%` }} />
      </div>

      <dl className="run-stats">
        <div>
          <dt>Files</dt>
          <dd className="num" data-testid="run-files">
            {state.phase === "planning" ? "—" : `${t.uploaded} / ${t.planned}`}
          </dd>
        </div>
        <div>
          <dt>Elapsed</dt>
          <dd className="num" data-testid="run-elapsed">
            {formatElapsed(Math.max(0, elapsed))}
          </dd>
        </div>
        <div>
          <dt>Tokens</dt>
          <dd className="num" data-testid="run-tokens">
            {tokens > 0 ? formatTokens(tokens) : "—"}
          </dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd className="num" data-testid="run-cost">
            {tokens > 0 ? formatCost(state.costUsd, state.usageEstimated) : "—"}
          </dd>
        </div>
      </dl>

      {state.concurrency !== null && running && (
        <p className="hint" role="status">
          The AI provider asked BucketForge to slow down, so it now writes {state.concurrency} file
          {state.concurrency === 1 ? "" : "s"} at a time.
        </p>
      )}

      {state.phase === "planning" && (
        <p className="run-placeholder">
          {isChange
            ? "The AI is reading your request and deciding which files to change."
            : "The AI is reading your idea and deciding which files your app needs."}
        </p>
      )}
      {state.summary && <p className="run-summary">{state.summary}</p>}

      {state.phase === "finished" && (
        <div className="run-outcome is-success" role="status">
          <p>
            {isChange
              ? `The change is saved in your bucket: ${plural(t.uploaded, "file")} written${t.removed > 0 ? `, ${t.removed} removed` : ""}`
              : `All ${t.planned} files are saved in your bucket`}
            {tokens > 0 && `, using ${formatTokens(tokens)} tokens (${formatCost(state.costUsd, state.usageEstimated)})`}.
          </p>
          {state.check && (
            <FitReport report={state.check} onFix={slug ? () => act(() => fix(slug, run.idea)) : undefined} busy={busy} />
          )}
          {slug && !inProject && (
            <div className="actions">
              <button type="button" className="primary" onClick={() => openProject(slug, "files")}>
                Open project
              </button>
              <button type="button" className="secondary" onClick={() => openProject(slug, "preview")}>
                Preview
              </button>
            </div>
          )}
        </div>
      )}

      {(state.phase === "failed" || state.phase === "cancelled") && (
        <div className={`run-outcome ${state.phase === "failed" ? "is-error" : "is-neutral"}`}>
          {state.phase === "failed" && state.error && <ErrorBanner error={state.error} variant="inline" messageTestId="run-error" />}
          <p data-testid="run-landed">
            {state.phase === "cancelled" ? "You cancelled this run. " : ""}
            {isChange
              ? "The project's files are as they were before the change."
              : landedCount === 0
                ? "No files were saved to your bucket."
                : `${landedCount} of ${t.planned || landedCount} files are saved in your bucket${slug ? "; Resume writes the rest" : ""}.`}
          </p>
          <div className="actions">
            {slug && !isChange && (
              <button type="button" className="primary" disabled={busy} onClick={() => act(() => resume(slug, run.idea))}>
                Resume
              </button>
            )}
            {!slug && run.request && code !== "project_exists" && (
              <button type="button" className="primary" disabled={busy} onClick={() => act(async () => {
                await start(run.request!);
                dismiss(run.key);
              })}>
                Try again
              </button>
            )}
            {slug && (landedCount > 0 || isChange) && !inProject && (
              <button type="button" className="secondary" onClick={() => openProject(slug, "files")}>
                Open project
              </button>
            )}
          </div>
        </div>
      )}

      {state.files.length > 0 && (
        <ul className="file-list" aria-label="Files">
          {state.files.map((f) => (
            <FileRow key={f.path} file={f} />
          ))}
        </ul>
      )}

      {actionError && (
        <p className="error-text" role="alert">
          {actionError}
        </p>
      )}
    </article>
  );
}
