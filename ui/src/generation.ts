// The state of one generation run, folded from the engine's events. Pure: the screens render it.
import type { ErrorReport } from "./bindings/ErrorReport";
import type { GenerationEvent } from "./bindings/GenerationEvent";

export type FileStatus = "queued" | "writing" | "repairing" | "uploaded" | "failed";

export interface FileProgress {
  path: string;
  status: FileStatus;
  bytes: number;
  tokens: number;
  /** Why it is being repaired, or why it failed. */
  note: string | null;
  /** Upload time, once uploaded. */
  ms: number | null;
}

export type RunPhase = "planning" | "writing" | "finished" | "failed" | "cancelled";

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
  };
}

function updateFile(state: RunState, path: string, change: Partial<FileProgress>): RunState {
  const known = state.files.some((f) => f.path === path);
  const files = known
    ? state.files.map((f) => (f.path === path ? { ...f, ...change } : f))
    : [...state.files, { path, status: "queued" as FileStatus, bytes: 0, tokens: 0, note: null, ms: null, ...change }];
  return { ...state, files };
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
        files: event.files.map((path) => state.files.find((f) => f.path === path) ?? {
          path,
          status: "queued",
          bytes: 0,
          tokens: 0,
          note: null,
          ms: null,
        }),
      };
    case "file_started":
      return updateFile(state, event.path, { status: "writing", note: null });
    case "file_progress":
      return updateFile(state, event.path, { status: "writing", bytes: event.bytes, tokens: event.tokens });
    case "file_repairing":
      return updateFile(state, event.path, { status: "repairing", note: event.reason });
    case "file_uploaded":
      return updateFile(state, event.path, { status: "uploaded", bytes: event.bytes, ms: event.ms, note: null });
    case "file_kept":
      return updateFile(state, event.path, { status: "uploaded", bytes: event.bytes, note: "kept from the last run" });
    case "file_failed":
      return updateFile(state, event.path, { status: "failed", note: event.error });
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
      return { ...state, phase: "finished", elapsedMs: event.elapsed_ms, costUsd: event.cost_usd ?? state.costUsd };
    case "failed":
      return { ...state, phase: "failed", error: event.error, landed: event.landed };
    case "cancelled":
      return { ...state, phase: "cancelled", landed: event.landed };
  }
}

/** Share of planned files that are in the bucket, 0 to 1. */
export function progress(state: RunState): number {
  if (state.phase === "finished") return 1;
  if (state.files.length === 0) return 0;
  return state.files.filter((f) => f.status === "uploaded").length / state.files.length;
}

export function isRunning(state: RunState): boolean {
  return state.phase === "planning" || state.phase === "writing";
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

export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
}
