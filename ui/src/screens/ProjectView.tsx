// One project: its details from the manifest, file tree and code (editable by hand), preview, history, and what can be done with it.
import { save } from "@tauri-apps/plugin-dialog";
import { writeText } from "@tauri-apps/plugin-clipboard-manager";
import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from "react";
import {
  errorCode,
  errorMessage,
  errorReport,
  projectDelete,
  projectExport,
  projectFile,
  projectGet,
  projectSaveFile,
  projectShareLink,
  projectShareZip,
} from "../api";
import type { ErrorReport } from "../bindings/ErrorReport";
import type { FileContent } from "../bindings/FileContent";
import type { ProjectDetails } from "../bindings/ProjectDetails";
import CodeViewer from "../components/CodeViewer";
import ConfirmDialog from "../components/ConfirmDialog";
import ErrorBanner from "../components/ErrorBanner";
import FileTree from "../components/FileTree";
import { BackIcon, DownloadIcon, LinkIcon, PlayIcon, RefreshIcon, TrashIcon } from "../components/Icons";
import VersionHistory from "../components/VersionHistory";
import PreviewPane from "../components/PreviewPane";
import RunPanel from "../components/RunPanel";
import StatusBadge from "../components/StatusBadge";
import ContractTable from "../components/ContractTable";
import FitReport from "../components/FitReport";
import QualityReport from "../components/QualityReport";
import { formatDate } from "../dates";
import { preferredFile } from "../file-tree";
import { formatBytes, formatCost, formatElapsed, formatTokens, isRunning } from "../generation";
import { useNavigation, type ProjectTab } from "../navigation";
import { useRuns } from "../runs";

export const SHARE_EXPIRIES: { secs: number; label: string }[] = [
  { secs: 3600, label: "1 hour" },
  { secs: 86_400, label: "1 day" },
  { secs: 604_800, label: "7 days" },
];

type Notice = { kind: "success"; text: string } | { kind: "error"; error: ErrorReport };

/** A file being edited by hand: its text as typed, and the version it was opened at. */
interface Draft {
  path: string;
  text: string;
  original: string;
  revision: number | null;
}

interface Props {
  slug: string;
  tab: ProjectTab;
}

export default function ProjectView({ slug, tab }: Props) {
  const { go, openProject } = useNavigation();
  const runs = useRuns();
  const run = runs.forSlug(slug);
  const running = run ? isRunning(run.state) : false;
  const [details, setDetails] = useState<ProjectDetails | null>(null);
  const [loadError, setLoadError] = useState<ErrorReport | null>(null);
  const [openPath, setOpenPath] = useState<string | null>(null);
  const [file, setFile] = useState<FileContent | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [expiry, setExpiry] = useState(86_400);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  // A run elsewhere holds the project: deleting it needs a second, explicit yes.
  const [confirmForce, setConfirmForce] = useState<string | null>(null);
  const [busy, setBusy] = useState<null | "export" | "share" | "share-zip" | "delete" | "resume" | "save">(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [saveError, setSaveError] = useState<ErrorReport | null>(null);
  // Another file was picked while the open one has unsaved edits: it opens once the user says so.
  const [confirmLeave, setConfirmLeave] = useState<string | null>(null);
  const fileRequest = useRef(0);
  const heading = useRef<HTMLHeadingElement>(null);

  // The row that opened this page is gone: keyboard focus starts again at the project's name.
  useEffect(() => {
    heading.current?.focus();
  }, []);

  const load = useCallback(async () => {
    setLoadError(null);
    try {
      const d = await projectGet(slug);
      setDetails(d);
      setOpenPath((was) => (was && d.files.some((f) => f.path === was) ? was : preferredFile(d.files.map((f) => f.path))));
    } catch (e) {
      setLoadError(errorReport(e));
    }
  }, [slug]);

  // Reload when a run of this project ends, so the tree and the details show what it wrote.
  const runEnded = run?.endedAt ?? null;
  useEffect(() => {
    void load();
  }, [load, runEnded]);

  useEffect(() => {
    if (!openPath) {
      setFile(null);
      return;
    }
    const mine = ++fileRequest.current;
    setFileError(null);
    projectFile(slug, openPath)
      .then((f) => mine === fileRequest.current && setFile(f))
      .catch((e: unknown) => {
        if (mine !== fileRequest.current) return;
        setFile(null);
        setFileError(errorMessage(e));
      });
  }, [slug, openPath, details]);

  const manifest = details?.manifest ?? null;
  const name = manifest?.name ?? slug;
  const status = running ? "generating" : (manifest?.status ?? null);
  // Who else is writing it: another window or device, or a run that stopped checking in.
  const activity = running ? null : (details?.activity ?? null);
  const interrupted = activity?.interrupted ?? false;
  const canResume = !running && (status === "failed" || status === "cancelled" || interrupted);
  const incomplete = running || (manifest !== null && manifest.status !== "complete");

  const act = async (what: NonNullable<typeof busy>, action: () => Promise<string | null>) => {
    setBusy(what);
    setNotice(null);
    try {
      const text = await action();
      if (text) setNotice({ kind: "success", text });
    } catch (e) {
      setNotice({ kind: "error", error: errorReport(e) });
    } finally {
      setBusy(null);
    }
  };

  const exportZip = () =>
    act("export", async () => {
      const out = await save({
        title: `Export ${name}`,
        defaultPath: `${slug}.zip`,
        filters: [{ name: "Zip archive", extensions: ["zip"] }],
      });
      if (!out) return null;
      const summary = await projectExport(slug, out, incomplete);
      const what = summary.complete ? `${summary.files} files` : `the ${summary.files} files that are in the bucket (the project is not complete)`;
      return `Exported ${what} (${formatBytes(summary.bytes)}) to ${summary.path}.`;
    });

  const copyShareLink = () =>
    act("share", async () => {
      if (!openPath) return null;
      const link = await projectShareLink(slug, openPath, expiry);
      await writeText(link.url);
      const label = SHARE_EXPIRIES.find((e) => e.secs === link.expires_in_secs)?.label ?? `${Math.round(link.expires_in_secs / 60)} minutes`;
      if (link.this_computer_only) {
        return `Link copied. It opens ${openPath} for ${label}, but only on this computer and only while BucketForge is running: the project is in the bucket built into the app. To share with others, choose your own bucket in Settings.`;
      }
      return `Link copied. Anyone with it can download ${openPath} for ${label}.`;
    });

  const copyProjectLink = () =>
    act("share-zip", async () => {
      const link = await projectShareZip(slug, expiry);
      await writeText(link.url);
      const label = SHARE_EXPIRIES.find((e) => e.secs === link.expires_in_secs)?.label ?? `${Math.round(link.expires_in_secs / 60)} minutes`;
      const what = `a .zip of the whole project (${link.files} files, ${formatBytes(link.bytes)})`;
      if (link.this_computer_only) {
        return `Link copied. It downloads ${what} for ${label}, but only on this computer and only while BucketForge is running: the project is in the bucket built into the app. To share with others, choose your own bucket in Settings.`;
      }
      return `Link copied. Anyone with it can download ${what} for ${label}.`;
    });

  const resumeRun = () =>
    act("resume", async () => {
      await runs.resume(slug, manifest?.idea);
      return null;
    });

  const fixRun = () =>
    act("resume", async () => {
      await runs.fix(slug, manifest?.idea);
      return null;
    });

  const openFile = (path: string) => {
    if (path === openPath) return;
    if (draft && draft.text !== draft.original) {
      setConfirmLeave(path);
      return;
    }
    setDraft(null);
    setSaveError(null);
    setOpenPath(path);
  };

  const startEditing = () => {
    if (!file) return;
    setNotice(null);
    setSaveError(null);
    setDraft({ path: file.path, text: file.text, original: file.text, revision: manifest?.current_revision ?? null });
  };

  const stopEditing = () => {
    setDraft(null);
    setSaveError(null);
  };

  const saveDraft = async () => {
    if (!draft || busy !== null) return;
    setBusy("save");
    setNotice(null);
    setSaveError(null);
    try {
      const made = await projectSaveFile(slug, draft.path, draft.text, draft.revision);
      // The saved text stays on screen while the project is read again, not the one before it.
      setFile((f) => (f && f.path === draft.path ? { ...f, text: draft.text, bytes: new TextEncoder().encode(draft.text).length } : f));
      setDraft(null);
      setNotice({ kind: "success", text: `Saved as version ${made.revision.number}.` });
      await load();
    } catch (e) {
      // The typed text stays in the editor, to be fixed and saved again.
      setSaveError(errorReport(e));
    } finally {
      setBusy(null);
    }
  };

  // Reading the project again gives up the edits: the other device's version is what to start from.
  const reloadAfterConflict = async () => {
    stopEditing();
    await load();
  };

  const deleteProject = async (force: boolean) => {
    setBusy("delete");
    try {
      await projectDelete(slug, force);
      setConfirmDelete(false);
      setConfirmForce(null);
      go("projects");
    } catch (e) {
      setConfirmDelete(false);
      setConfirmForce(null);
      if (!force && errorCode(e) === "project_busy") setConfirmForce(errorMessage(e));
      else setNotice({ kind: "error", error: errorReport(e) });
    } finally {
      setBusy(null);
    }
  };

  const paths = details?.files.map((f) => f.path) ?? [];
  const editing = draft !== null && draft.path === openPath;
  const edited = editing && draft.text !== draft.original;

  const saveOnCtrlS = (event: KeyboardEvent<HTMLDivElement>) => {
    if (editing && event.key.toLowerCase() === "s" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void saveDraft();
    }
  };
  const tokens = manifest ? manifest.usage.prompt_tokens + manifest.usage.completion_tokens : 0;

  return (
    <section className="screen wide project-view" aria-labelledby="project-title">
      <button type="button" className="link back" onClick={() => go("projects")}>
        <BackIcon width={16} height={16} />
        All projects
      </button>
      <header className="project-header">
        <div className="project-heading">
          <h1 id="project-title" ref={heading} tabIndex={-1}>
            {name}
          </h1>
          <StatusBadge status={status} interrupted={interrupted} />
          <code className="slug-tag">{slug}</code>
        </div>
        <div className="project-actions">
          <div className="segmented" role="group" aria-label="Show">
            <button type="button" aria-pressed={tab === "files"} onClick={() => openProject(slug, "files")}>
              Files
            </button>
            <button type="button" aria-pressed={tab === "preview"} onClick={() => openProject(slug, "preview")}>
              <PlayIcon width={16} height={16} />
              Preview
            </button>
            <button type="button" aria-pressed={tab === "history"} onClick={() => openProject(slug, "history")}>
              History
            </button>
          </div>
          {canResume && (
            <button type="button" className="primary" onClick={resumeRun} disabled={busy !== null}>
              Resume
            </button>
          )}
          <button type="button" className="secondary with-icon" onClick={exportZip} disabled={busy !== null || !details || paths.length === 0}>
            <DownloadIcon width={16} height={16} />
            {busy === "export" ? "Exporting…" : incomplete ? "Export what's there" : "Export .zip"}
          </button>
          <span className="tooltip-anchor" title={incomplete ? "Only a finished project can be shared; export what's there instead." : undefined}>
            <button
              type="button"
              className="secondary with-icon"
              onClick={copyProjectLink}
              disabled={busy !== null || !details || paths.length === 0 || incomplete}
            >
              <LinkIcon width={16} height={16} />
              {busy === "share-zip" ? "Making the link…" : "Copy project link"}
            </button>
          </span>
          <span className="tooltip-anchor" title={running ? "Cancel or wait for the run before deleting the project." : undefined}>
            <button type="button" className="danger-outline with-icon" onClick={() => setConfirmDelete(true)} disabled={busy !== null || running || !details}>
              <TrashIcon width={16} height={16} />
              Delete
            </button>
          </span>
        </div>
      </header>

      {activity && (
        <div className="banner" role="status" data-testid="activity">
          <p>
            {activity.interrupted
              ? `This project was being written by ${activity.owner}, which stopped before it finished. Resume finishes it and keeps the files already saved.`
              : `${activity.owner} is writing this project right now (it checked in ${activity.seconds_since_check_in} s ago). Resume and delete wait until it is done.`}
          </p>
        </div>
      )}

      {notice?.kind === "error" && <ErrorBanner error={notice.error} />}
      {notice?.kind === "success" && (
        <div className="banner is-success" role="status">
          <p>{notice.text}</p>
        </div>
      )}

      {/* The history shows the run below the request that started it. */}
      {run && running && tab !== "history" && <RunPanel run={run} inProject />}

      {loadError && (
        <ErrorBanner error={loadError} context="This project could not be opened.">
          <button type="button" className="secondary" onClick={() => void load()}>
            Try again
          </button>
        </ErrorBanner>
      )}

      {!details && !loadError && (
        <p className="hint loading-line" role="status">
          Opening the project…
        </p>
      )}

      {details && (
        <>
          <dl className="card project-details" data-testid="project-details">
            {manifest ? (
              <>
                <div className="wide-detail">
                  <dt>Idea</dt>
                  <dd>{manifest.idea}</dd>
                </div>
                <div>
                  <dt>AI</dt>
                  <dd>
                    {manifest.provider} · {manifest.model}
                  </dd>
                </div>
                <div>
                  <dt>Tokens</dt>
                  <dd className="num">
                    {formatTokens(tokens)}
                    {manifest.usage.estimated ? " (estimated)" : ""}
                  </dd>
                </div>
                <div>
                  <dt>Cost</dt>
                  <dd className="num">{formatCost(manifest.usage.cost_usd, manifest.usage.estimated)}</dd>
                </div>
                <div>
                  <dt>Started</dt>
                  <dd>{formatDate(manifest.timings.started_at)}</dd>
                </div>
                <div>
                  <dt>Took</dt>
                  <dd className="num">{manifest.timings.finished_at ? formatElapsed(manifest.timings.elapsed_ms) : "—"}</dd>
                </div>
                <div>
                  <dt>Files</dt>
                  <dd className="num">
                    {details.files.length} · {formatBytes(details.files.reduce((s, f) => s + f.bytes, 0))}
                  </dd>
                </div>
                {manifest.plan.contract.endpoints.length > 0 && (
                  <div className="wide-detail">
                    <dt>API</dt>
                    <dd>
                      <ContractTable contract={manifest.plan.contract} />
                    </dd>
                  </div>
                )}
                {manifest.check && (
                  <div className="wide-detail">
                    <dt>Fit</dt>
                    <dd>
                      <FitReport report={manifest.check} onFix={running ? undefined : fixRun} busy={busy !== null} />
                    </dd>
                  </div>
                )}
                {manifest.quality && (
                  <div className="wide-detail">
                    <dt>Quality</dt>
                    <dd>
                      <QualityReport
                        report={manifest.quality}
                        onFix={running || (manifest.check?.problems.length ?? 0) > 0 ? undefined : fixRun}
                        busy={busy !== null}
                      />
                    </dd>
                  </div>
                )}
                {manifest.error && (
                  <div className="wide-detail">
                    <dt>What went wrong</dt>
                    <dd className="error-text" data-testid="project-error">
                      {manifest.error}
                    </dd>
                  </div>
                )}
              </>
            ) : (
              <div className="wide-detail">
                <dt>No record</dt>
                <dd>
                  This project has no readable record (manifest), so its idea and status are unknown. The files below were
                  found by listing the bucket.
                </dd>
              </div>
            )}
          </dl>

          {tab === "preview" ? (
            <PreviewPane slug={slug} name={name} />
          ) : tab === "history" ? (
            <VersionHistory slug={slug} run={run} hasRecord={manifest !== null} onChanged={() => void load()} />
          ) : paths.length === 0 ? (
            <div className="empty-state card">
              <h2>No files yet</h2>
              <p>{running ? "Files appear here as they are saved." : "Resume the project to write its files."}</p>
            </div>
          ) : (
            <div className="card project-files">
              <div className="project-tree">
                <FileTree paths={paths} selected={openPath} onOpen={openFile} />
              </div>
              <div className="project-code" onKeyDown={saveOnCtrlS}>
                <div className="code-bar">
                  <span className="code-path" title={openPath ?? ""}>
                    {openPath}
                    {file && file.path === openPath && <span className="hint num"> · {formatBytes(file.bytes)}</span>}
                    {edited && <span className="hint"> · not saved</span>}
                  </span>
                  <select name="share-expiry" value={expiry} onChange={(e) => setExpiry(Number(e.target.value))} aria-label="Link works for">
                    {SHARE_EXPIRIES.map((e) => (
                      <option key={e.secs} value={e.secs}>
                        Link works for {e.label}
                      </option>
                    ))}
                  </select>
                  <button type="button" className="secondary with-icon" onClick={copyShareLink} disabled={!openPath || busy !== null}>
                    <LinkIcon width={16} height={16} />
                    Copy share link
                  </button>
                  {editing ? (
                    <>
                      <button type="button" className="primary" onClick={() => void saveDraft()} disabled={busy !== null || running}>
                        {busy === "save" ? "Saving…" : "Save"}
                      </button>
                      <button type="button" className="secondary" onClick={stopEditing} disabled={busy === "save"}>
                        Cancel
                      </button>
                    </>
                  ) : (
                    <span className="tooltip-anchor" title={running ? "Wait for the run on this project to finish before editing." : undefined}>
                      <button
                        type="button"
                        className="secondary"
                        onClick={startEditing}
                        disabled={!file || file.path !== openPath || !manifest || running || busy !== null}
                      >
                        Edit
                      </button>
                    </span>
                  )}
                </div>
                {saveError && (
                  <ErrorBanner error={saveError} context={saveError.code === "edit_invalid" ? undefined : `${draft?.path ?? openPath} was not saved.`}>
                    {saveError.code === "manifest_conflict" && (
                      <button type="button" className="secondary with-icon" onClick={() => void reloadAfterConflict()}>
                        <RefreshIcon width={16} height={16} />
                        Reload the project
                      </button>
                    )}
                  </ErrorBanner>
                )}
                {fileError && (
                  <div className="banner is-error" role="alert">
                    <p>{openPath} could not be read. {fileError}</p>
                    <button type="button" className="secondary with-icon" onClick={() => void load()}>
                      <RefreshIcon width={16} height={16} />
                      Try again
                    </button>
                  </div>
                )}
                {file && file.path === openPath ? (
                  <CodeViewer
                    path={file.path}
                    text={editing && draft ? draft.text : file.text}
                    editing={editing}
                    onEdit={(text) => setDraft((d) => (d && d.path === file.path ? { ...d, text } : d))}
                  />
                ) : (
                  !fileError && <p className="hint loading-line">Loading {openPath}…</p>
                )}
              </div>
            </div>
          )}
        </>
      )}

      {confirmDelete && (
        <ConfirmDialog
          title={`Delete “${name}”?`}
          confirmLabel={busy === "delete" ? "Deleting…" : "Delete project"}
          declineLabel="Keep project"
          danger
          busy={busy === "delete"}
          onConfirm={() => deleteProject(false)}
          onDecline={() => setConfirmDelete(false)}
        >
          <p>
            This removes its {paths.length} files from your bucket for good. Export it as a .zip first if you want a copy.
          </p>
        </ConfirmDialog>
      )}
      {confirmLeave && draft && (
        <ConfirmDialog
          title={`Leave “${draft.path}” without saving?`}
          confirmLabel="Discard changes"
          declineLabel="Keep editing"
          danger
          onConfirm={() => {
            const next = confirmLeave;
            setConfirmLeave(null);
            stopEditing();
            setOpenPath(next);
          }}
          onDecline={() => setConfirmLeave(null)}
        >
          <p>Your changes to this file are not saved. Save them first to keep them as a new version.</p>
        </ConfirmDialog>
      )}
      {confirmForce && (
        <ConfirmDialog
          title={`“${name}” is being written right now`}
          confirmLabel={busy === "delete" ? "Deleting…" : "Delete anyway"}
          declineLabel="Keep project"
          danger
          busy={busy === "delete"}
          onConfirm={() => deleteProject(true)}
          onDecline={() => setConfirmForce(null)}
        >
          <p>{confirmForce}</p>
          <p>Deleting it now stops that run with an error and removes every file it saved.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
