// A project's versions as a conversation: each request and what BucketForge did, Undo and Restore, and a box to ask for the next change.
import { useCallback, useEffect, useState, type FormEvent, type KeyboardEvent } from "react";
import { errorReport, projectHistory, projectRestore, projectUndo } from "../api";
import type { ErrorReport } from "../bindings/ErrorReport";
import type { ProjectHistory } from "../bindings/ProjectHistory";
import type { Revision } from "../bindings/Revision";
import type { RevisionMade } from "../bindings/RevisionMade";
import { formatDate } from "../dates";
import { formatCost, formatElapsed, formatTokens, isRunning, plural } from "../generation";
import { useRuns, type Run } from "../runs";
import ErrorBanner from "./ErrorBanner";
import RevisionChanges, { CHANGE_LABEL, LineCounts } from "./RevisionChanges";
import RunPanel from "./RunPanel";

/** What the user asked for, or did, in their words. */
export function requestText(revision: Revision): string {
  switch (revision.kind) {
    case "edited_by_hand":
      return "Edited by hand";
    case "restored":
      return revision.restored_from != null ? `Restored version ${revision.restored_from}` : revision.request;
    default:
      return revision.request;
  }
}

/** Tokens, cost and time, or only the time when no AI was asked (a hand edit, a restore). */
function usageText(revision: Revision): string {
  const tokens = revision.usage.prompt_tokens + revision.usage.completion_tokens;
  const took = `took ${formatElapsed(revision.elapsed_ms)}`;
  if (tokens === 0) return `No AI used · ${took}`;
  const estimated = revision.usage.estimated ? " (estimated)" : "";
  return `${formatTokens(tokens)} tokens${estimated} · ${formatCost(revision.usage.cost_usd, revision.usage.estimated)} · ${took} · ${revision.provider} · ${revision.model}`;
}

type Notice = { kind: "success"; text: string } | { kind: "error"; error: ErrorReport };

interface Props {
  slug: string;
  /** The newest run of this project in this window, running or ended. */
  run: Run | undefined;
  /** False for a project without a readable record: it has no history to show. */
  hasRecord: boolean;
  /** The project's files changed: its details and open file need reading again. */
  onChanged: () => void;
}

export default function VersionHistory({ slug, run, hasRecord, onChanged }: Props) {
  const runs = useRuns();
  const running = run ? isRunning(run.state) : false;
  const [history, setHistory] = useState<ProjectHistory | null>(null);
  const [loadError, setLoadError] = useState<ErrorReport | null>(null);
  // A change still running when the tab was left comes back with its request.
  const following = run && run.kind === "change" && running ? run : null;
  const [request, setRequest] = useState(following?.idea ?? "");
  // When the change typed here was asked for: the run started then is the one whose end to report.
  const [askedAt, setAskedAt] = useState<number | null>(following?.startedAt ?? null);
  const [starting, setStarting] = useState(false);
  const [changeError, setChangeError] = useState<ErrorReport | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [busy, setBusy] = useState<"undo" | number | null>(null);
  const [diffFor, setDiffFor] = useState<number | null>(null);

  const load = useCallback(async (): Promise<ProjectHistory | null> => {
    if (!hasRecord) return null;
    setLoadError(null);
    try {
      const h = await projectHistory(slug);
      setHistory(h);
      return h;
    } catch (e) {
      setLoadError(errorReport(e));
      return null;
    }
  }, [slug, hasRecord]);

  useEffect(() => {
    void load();
  }, [load]);

  // A run of this project that ends may have made a version: read the history again, and say how
  // the change asked for here ended. Its request stays in the box unless it was saved.
  const [endSeen, setEndSeen] = useState(run?.endedAt ?? null);
  useEffect(() => {
    if (!run || run.endedAt === null || run.endedAt === endSeen) return;
    setEndSeen(run.endedAt);
    const asked = askedAt !== null && run.kind === "change" && run.startedAt >= askedAt;
    if (asked) setAskedAt(null);
    const phase = run.state.phase;
    if (asked && phase === "failed") setChangeError(run.state.error ?? errorReport(null));
    if (asked && phase === "cancelled") {
      setNotice({ kind: "success", text: "You cancelled the change. The project's files are as they were before it." });
    }
    if (asked && phase === "finished") setRequest("");
    void load().then((h) => {
      if (asked && phase === "finished") {
        setNotice({ kind: "success", text: h?.current != null ? `Your change is saved as version ${h.current}.` : "Your change is saved." });
      }
    });
  }, [run, askedAt, endSeen, load]);

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    const asked = request.trim();
    if (!asked || running || starting) return;
    setStarting(true);
    setChangeError(null);
    setNotice(null);
    // Set before the run starts: its events, even its last, may come before the command answers.
    setAskedAt(Date.now());
    try {
      await runs.change(slug, asked);
    } catch (e) {
      setAskedAt(null);
      setChangeError(errorReport(e));
    } finally {
      setStarting(false);
    }
  };

  const sendOnCtrlEnter = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) void submit(event);
  };

  const makeVersion = async (what: "undo" | number, call: () => Promise<RevisionMade>, from: number | null) => {
    setBusy(what);
    setNotice(null);
    setChangeError(null);
    try {
      const made = await call();
      const source = made.revision.restored_from ?? from;
      setNotice({ kind: "success", text: `Version ${made.revision.number} now has the files of version ${source}.` });
      onChanged();
      await load();
    } catch (e) {
      setNotice({ kind: "error", error: errorReport(e) });
    } finally {
      setBusy(null);
    }
  };

  if (diffFor !== null) {
    const revision = history?.revisions.find((r) => r.number === diffFor);
    return (
      <>
        {run && running && <RunPanel run={run} inProject />}
        <RevisionChanges slug={slug} revision={diffFor} changes={revision?.changes ?? []} onClose={() => setDiffFor(null)} />
      </>
    );
  }

  if (!hasRecord) {
    return (
      <div className="empty-state card">
        <h2>No history</h2>
        <p>This project has no readable record (manifest), so its versions can't be shown or changed.</p>
      </div>
    );
  }

  const current = history?.current ?? null;
  const locked = running || starting || busy !== null;
  const pending = run && running && run.kind === "change" ? run.idea : null;

  return (
    <section className="history" aria-label="History">
      {loadError && (
        <ErrorBanner error={loadError} context="The project's history could not be read.">
          <button type="button" className="secondary" onClick={() => void load()}>
            Try again
          </button>
        </ErrorBanner>
      )}
      {!history && !loadError && (
        <p className="hint loading-line" role="status">
          Reading the project's history…
        </p>
      )}

      {history && history.revisions.length === 0 && (
        <div className="empty-state card" data-testid="history-empty">
          <h2>No versions yet</h2>
          <p>This project's versions start with its first change. Describe one below: the files it has now are kept as version 1.</p>
        </div>
      )}

      {history && history.revisions.length > 0 && (
        <ol className="conversation" aria-label="Versions, oldest first">
          {history.revisions.map((r) => {
            const isCurrent = r.number === current;
            return (
              <li
                key={r.number}
                className={`version${isCurrent ? " is-current" : ""}`}
                data-testid="revision"
                data-number={r.number}
                data-kind={r.kind}
                data-current={isCurrent ? "true" : "false"}
                aria-current={isCurrent ? "true" : undefined}
              >
                <div className="message is-request">
                  <span className="message-from">You</span>
                  <p data-testid="revision-request">{requestText(r)}</p>
                </div>
                <div className="message is-answer">
                  <header className="answer-head">
                    <h3>Version {r.number}</h3>
                    {isCurrent && <span className="badge is-complete">Current version</span>}
                    <span className="hint">{formatDate(r.created_at)}</span>
                  </header>
                  {r.summary && (
                    <p className="answer-summary" data-testid="revision-summary">
                      {r.summary}
                    </p>
                  )}
                  {r.changes.length > 0 ? (
                    <ul className="change-list" aria-label={`Files changed in version ${r.number}`}>
                      {r.changes.map((c) => (
                        <li key={c.path} data-testid="revision-change" data-path={c.path} data-change={c.change}>
                          <span className={`change-kind is-${c.change}`}>{CHANGE_LABEL[c.change]}</span>
                          <code className="change-path" title={c.path}>
                            {c.path}
                          </code>
                          <LineCounts change={c} />
                        </li>
                      ))}
                    </ul>
                  ) : (
                    r.parent === null && <p className="hint">{plural(r.files.length, "file")} in this first version.</p>
                  )}
                  <p className="hint num" data-testid="revision-usage">
                    {usageText(r)}
                  </p>
                  <div className="actions">
                    {r.parent !== null && (
                      <button type="button" className="secondary small" onClick={() => setDiffFor(r.number)}>
                        Show changes
                      </button>
                    )}
                    {isCurrent && r.parent !== null && (
                      <button type="button" className="secondary small" disabled={locked} onClick={() => void makeVersion("undo", () => projectUndo(slug), r.parent)}>
                        {busy === "undo" ? "Undoing…" : "Undo"}
                      </button>
                    )}
                    {!isCurrent && (
                      <button
                        type="button"
                        className="secondary small"
                        disabled={locked}
                        onClick={() => void makeVersion(r.number, () => projectRestore(slug, r.number), r.number)}
                      >
                        {busy === r.number ? "Restoring…" : "Restore this version"}
                      </button>
                    )}
                  </div>
                </div>
              </li>
            );
          })}
        </ol>
      )}

      {pending && (
        <div className="message is-request is-pending">
          <span className="message-from">You</span>
          <p>{pending}</p>
        </div>
      )}
      {run && running && <RunPanel run={run} inProject />}

      {notice?.kind === "error" && <ErrorBanner error={notice.error} />}
      {notice?.kind === "success" && (
        <div className="banner is-success" role="status">
          <p>{notice.text}</p>
        </div>
      )}
      {changeError && <ErrorBanner error={changeError} context="The change was not made." />}

      <form className="card change-box" onSubmit={(e) => void submit(e)}>
        <label className="label" htmlFor="change-request">
          Describe a change
        </label>
        <textarea
          id="change-request"
          name="change-request"
          rows={3}
          value={request}
          placeholder="Add a due date to each task, and sort the list by it"
          onChange={(e) => setRequest(e.target.value)}
          onKeyDown={sendOnCtrlEnter}
        />
        <div className="actions">
          <button type="submit" className="primary" disabled={!request.trim() || locked}>
            Change
          </button>
          <span className="hint">
            {running ? "Wait for the run on this project to finish." : "Only the files the change needs are rewritten; every version stays restorable. Ctrl+Enter sends it."}
          </span>
        </div>
      </form>
    </section>
  );
}
