// The state of one generation run, folded from the engine's events. Pure: the screens render it.
import type { CheckReport } from "./bindings/CheckReport";
import type { ErrorReport } from "./bindings/ErrorReport";
import type { GenerationEvent } from "./bindings/GenerationEvent";

/**
 * `stopped`: the run ended (failed or cancelled) before this file was written. `removed`: a
 * change deleted it (its version stays in the project's history).
 */
export type FileStatus = "queued" | "writing" | "repairing" | "uploaded" | "failed" | "stopped" | "removed";

export interface FileProgress {
  path: string;
  status: FileStatus;
  bytes: number;
  tokens: number;
  /** Why it is being repaired, or why it failed. */
  note: string | null;
  /** Upload time, once uploaded. */
  ms: number | null;
  /** Which repair try is under way (1, 2, …); 0 before any. */
  attempt: number;
}

/** `checking`: every file landed and the run checks that they fit together. */
export type RunPhase = "planning" | "writing" | "checking" | "finished" | "failed" | "cancelled";

export interface RunState {
  slug: string | null;
  phase: RunPhase;
  name: string | null;
  summary: string | null;
  files: FileProgress[];
  promptTokens: number;
  completionTokens: number;
  costUsd: number | null;
  usageEstimated: boolean;
  concurrency: number | null;
  error: ErrorReport | null;
  landed: string[];
  elapsedMs: number | null;
  /** What the cross-file check found, once it has run. */
  check: CheckReport | null;
}

/** A run that has just started; its slug is known once the plan has named the project. */
export function initialRun(slug: string | null = null): RunState {
  return {
    slug,
    phase: "planning",
    name: null,
    summary: null,
    files: [],
    promptTokens: 0,
    completionTokens: 0,
    costUsd: null,
    usageEstimated: false,
    concurrency: null,
    error: null,
    landed: [],
    elapsedMs: null,
    check: null,
  };
}

function queuedFile(path: string): FileProgress {
  return { path, status: "queued", bytes: 0, tokens: 0, note: null, ms: null, attempt: 0 };
}

function updateFile(state: RunState, path: string, change: Partial<FileProgress>): RunState {
  const known = state.files.some((f) => f.path === path);
  const files = known
    ? state.files.map((f) => (f.path === path ? { ...f, ...change } : f))
    : [...state.files, { ...queuedFile(path), ...change }];
  return { ...state, files };
}

/** Files still waiting or in flight when a run ends were not written: say so, not "writing". */
function stopUnfinished(files: FileProgress[]): FileProgress[] {
  return files.map((f) =>
    f.status === "queued" || f.status === "writing" || f.status === "repairing"
      ? { ...f, status: "stopped", note: null }
      : f,
  );
}

export function applyEvent(state: RunState, event: GenerationEvent): RunState {
  switch (event.type) {
    case "planning":
      return { ...state, phase: "planning" };
    case "planned":
      return {
        ...state,
        slug: event.slug,
        phase: "writing",
        name: event.name,
        summary: event.summary,
        files: event.files.map((path) => state.files.find((f) => f.path === path) ?? queuedFile(path)),
      };
    case "file_started":
      return updateFile(state, event.path, { status: "writing", note: null, bytes: 0, tokens: 0 });
    case "file_progress": {
      // A repair streams too: it stays "repairing" so its reason stays on screen.
      const current = state.files.find((f) => f.path === event.path);
      const status = current?.status === "repairing" ? "repairing" : "writing";
      return updateFile(state, event.path, { status, bytes: event.bytes, tokens: event.tokens });
    }
    case "file_repairing":
      return updateFile(state, event.path, { status: "repairing", note: event.reason, attempt: event.attempt });
    case "file_uploaded":
      return updateFile(state, event.path, { status: "uploaded", bytes: event.bytes, ms: event.ms, note: null });
    case "file_kept":
      return updateFile(state, event.path, { status: "uploaded", bytes: event.bytes, ms: null, note: "kept from the last run" });
    case "file_removed":
      return updateFile(state, event.path, { status: "removed", note: null });
    case "file_failed":
      return updateFile(state, event.path, { status: "failed", note: event.error.message });
    case "checking":
      return { ...state, phase: "checking" };
    case "checked":
      return { ...state, check: event.report };
    case "rate_limited":
      return { ...state, concurrency: event.concurrency };
    case "usage":
      return {
        ...state,
        promptTokens: event.prompt_tokens,
        completionTokens: event.completion_tokens,
        costUsd: event.cost_usd,
        usageEstimated: event.estimated,
      };
    case "finished":
      // Every file is in the bucket. One still shown as being fixed is one whose repair after the
      // check did not land: its earlier version stays, and the check's report says what is left.
      return {
        ...state,
        phase: "finished",
        elapsedMs: event.elapsed_ms,
        costUsd: event.cost_usd ?? state.costUsd,
        files: state.files.map((f) => (f.status === "repairing" || f.status === "writing" ? { ...f, status: "uploaded", note: null } : f)),
      };
    case "failed":
      return { ...state, phase: "failed", error: event.error, landed: event.landed, files: stopUnfinished(state.files) };
    case "cancelled":
      return { ...state, phase: "cancelled", landed: event.landed, files: stopUnfinished(state.files) };
  }
}

/** Share of planned files that are done (in the bucket, or removed by a change), 0 to 1. */
export function progress(state: RunState): number {
  if (state.phase === "finished") return 1;
  if (state.files.length === 0) return 0;
  return state.files.filter((f) => f.status === "uploaded" || f.status === "removed").length / state.files.length;
}

/** Counts for the run's summary line. */
export interface RunTotals {
  planned: number;
  uploaded: number;
  /** Files a change deleted. */
  removed: number;
  failed: number;
  /** Bytes written so far, uploaded or still streaming. */
  bytes: number;
}

export function totals(state: RunState): RunTotals {
  let uploaded = 0;
  let removed = 0;
  let failed = 0;
  let bytes = 0;
  for (const f of state.files) {
    if (f.status === "uploaded") uploaded += 1;
    if (f.status === "removed") removed += 1;
    if (f.status === "failed") failed += 1;
    bytes += f.bytes;
  }
  return { planned: state.files.length, uploaded, removed, failed, bytes };
}

export function totalTokens(state: RunState): number {
  return state.promptTokens + state.completionTokens;
}

export function isRunning(state: RunState): boolean {
  return state.phase === "planning" || state.phase === "writing" || state.phase === "checking";
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function formatCost(usd: number | null, estimated: boolean): string {
  if (usd === null) return "cost unknown for this model";
  const amount = usd < 0.01 ? "< $0.01" : `$${usd.toFixed(2)}`;
  return estimated ? `about ${amount}` : amount;
}

export function formatTokens(tokens: number): string {
  return tokens.toLocaleString("en-US");
}

export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
}

/** "Checked: 14 imports, 3 packages, 6 API calls", or how many problems are left. */
export function checkSummary(report: CheckReport): string {
  const n = report.problems.length;
  if (n > 0) return `${n} problem${n === 1 ? "" : "s"} left: the files don't all fit together`;
  const parts = [
    plural(report.imports, "import"),
    plural(report.packages, "package"),
    plural(report.api_calls, "API call"),
  ];
  return `Checked: ${parts.join(", ")}`;
}

/** "1 file", "3 files". */
export function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}
