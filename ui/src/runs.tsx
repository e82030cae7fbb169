// Generation runs held above the screens, so a run keeps going (and is shown) wherever the user goes.
import { createContext, useCallback, useContext, useEffect, useMemo, useReducer, useRef, type ReactNode } from "react";
import * as api from "./api";
import type { GenerateRequest } from "./bindings/GenerateRequest";
import type { GenerationEvent } from "./bindings/GenerationEvent";
import type { RunInfo } from "./bindings/RunInfo";
import { applyEvent, initialRun, isRunning, type RunState } from "./generation";

/** `change`: a complete project changed as the user asked in words; `generation`: writing an app's files. */
export type RunKind = "generation" | "change";

export interface Run {
  /** This window's own ID for the run, known before the engine answers. */
  key: string;
  kind: RunKind;
  /** The engine's run ID, once `generate` or `resume` has answered. */
  runId: string | null;
  /** The idea, or for a change the request in the user's words. */
  idea: string;
  /** What was asked, so a run that failed before naming its project can be tried again. */
  request: GenerateRequest | null;
  state: RunState;
  startedAt: number;
  endedAt: number | null;
  cancelRequested: boolean;
}

type Action =
  | { type: "start"; run: Run }
  | { type: "started"; key: string; runId: string }
  | { type: "event"; key: string; event: GenerationEvent; at: number }
  | { type: "cancel-requested"; key: string }
  | { type: "forget"; key: string }
  | { type: "replace-ended"; slug: string; keep: string }
  | { type: "detached"; runs: RunInfo[] };

interface State {
  /** Newest first. */
  runs: Run[];
  /** Runs the engine reports that this window isn't following (started before a reload). */
  detached: RunInfo[];
}

const FINAL = new Set(["finished", "failed", "cancelled"]);

function reduce(state: State, action: Action): State {
  const edit = (key: string, change: (run: Run) => Run) => ({
    ...state,
    runs: state.runs.map((r) => (r.key === key ? change(r) : r)),
  });
  switch (action.type) {
    case "start":
      return { ...state, runs: [action.run, ...state.runs] };
    case "started":
      return edit(action.key, (r) => ({ ...r, runId: action.runId }));
    case "event":
      return edit(action.key, (r) => ({
        ...r,
        state: applyEvent(r.state, action.event),
        endedAt: FINAL.has(action.event.type) ? action.at : r.endedAt,
      }));
    case "cancel-requested":
      return edit(action.key, (r) => ({ ...r, cancelRequested: true }));
    case "forget":
      return { ...state, runs: state.runs.filter((r) => r.key !== action.key) };
    case "replace-ended":
      // A resumed project shows one panel: the new run replaces the one that ended.
      return {
        ...state,
        runs: state.runs.filter((r) => r.key === action.keep || r.state.slug !== action.slug || isRunning(r.state)),
      };
    case "detached":
      return { ...state, detached: action.runs };
  }
}

export interface Runs {
  runs: Run[];
  detached: RunInfo[];
  /** Starts a run; rejects with the command's error when it can't start (nothing is added then). */
  start: (request: GenerateRequest) => Promise<string>;
  resume: (slug: string, idea?: string) => Promise<string>;
  /** One more round of repairs for files that don't fit together (Fix with AI). */
  fix: (slug: string, idea?: string) => Promise<string>;
  /** Changes a complete project as `request` asks; resolves to the run's key in this window. */
  change: (slug: string, request: string) => Promise<string>;
  cancel: (key: string) => Promise<void>;
  cancelDetached: (runId: string) => Promise<void>;
  dismiss: (key: string) => void;
  /** The newest run of a project in this window, running or ended. */
  forSlug: (slug: string) => Run | undefined;
  running: number;
}

const RunsContext = createContext<Runs | null>(null);

const DETACHED_POLL_MS = 4000;

export function RunsProvider({ children }: { children: ReactNode }) {
  const [state, dispatch] = useReducer(reduce, { runs: [], detached: [] });
  const nextKey = useRef(1);
  /** Runs cancelled before the engine named them; kept outside state to be read right after an await. */
  const cancelBeforeId = useRef(new Set<string>());
  const runsRef = useRef(state.runs);
  runsRef.current = state.runs;

  const launch = useCallback(
    async (
      kind: RunKind,
      idea: string,
      request: GenerateRequest | null,
      slug: string | null,
      call: (onEvent: (event: GenerationEvent) => void) => Promise<string>,
    ) => {
      const key = `local-${nextKey.current++}`;
      dispatch({
        type: "start",
        run: { key, kind, runId: null, idea, request, state: initialRun(slug), startedAt: Date.now(), endedAt: null, cancelRequested: false },
      });
      let runId: string;
      try {
        // Events may arrive before the command answers: they are already keyed to this run.
        runId = await call((event) => dispatch({ type: "event", key, event, at: Date.now() }));
      } catch (e) {
        dispatch({ type: "forget", key });
        throw e;
      }
      dispatch({ type: "started", key, runId });
      if (slug) dispatch({ type: "replace-ended", slug, keep: key });
      if (cancelBeforeId.current.delete(key)) await api.cancel(runId);
      return key;
    },
    [],
  );

  const start = useCallback(
    (request: GenerateRequest) => launch("generation", request.idea, request, null, (onEvent) => api.generate(request, onEvent)),
    [launch],
  );

  const resume = useCallback(
    (slug: string, idea?: string) => launch("generation", idea ?? "", null, slug, (onEvent) => api.resume(slug, onEvent)),
    [launch],
  );

  const fix = useCallback(
    (slug: string, idea?: string) => launch("generation", idea ?? "", null, slug, (onEvent) => api.fixProject(slug, onEvent)),
    [launch],
  );

  const change = useCallback(
    (slug: string, request: string) => launch("change", request, null, slug, (onEvent) => api.projectChange(slug, request, onEvent)),
    [launch],
  );

  const cancel = useCallback(async (key: string) => {
    const run = runsRef.current.find((r) => r.key === key);
    if (!run) return;
    dispatch({ type: "cancel-requested", key });
    // Without a run ID yet, `launch` cancels as soon as the engine names the run.
    if (run.runId) await api.cancel(run.runId);
    else cancelBeforeId.current.add(key);
  }, []);

  const dismiss = useCallback((key: string) => dispatch({ type: "forget", key }), []);

  const refreshDetached = useCallback(async () => {
    const active = await api.runsActive();
    const followed = new Set(runsRef.current.map((r) => r.runId));
    dispatch({ type: "detached", runs: active.filter((r) => !followed.has(r.run_id)) });
  }, []);

  const cancelDetached = useCallback(
    async (runId: string) => {
      await api.cancel(runId);
      await refreshDetached();
    },
    [refreshDetached],
  );

  useEffect(() => {
    refreshDetached().catch(() => {
      // Not knowing about runs from before a reload hides nothing this window started.
    });
  }, [refreshDetached]);

  const hasDetached = state.detached.length > 0;
  useEffect(() => {
    if (!hasDetached) return;
    const timer = setInterval(() => {
      refreshDetached().catch(() => {});
    }, DETACHED_POLL_MS);
    return () => clearInterval(timer);
  }, [hasDetached, refreshDetached]);

  const value = useMemo<Runs>(() => {
    const forSlug = (slug: string) => state.runs.find((r) => r.state.slug === slug);
    const running = state.runs.filter((r) => isRunning(r.state)).length + state.detached.length;
    return { runs: state.runs, detached: state.detached, start, resume, fix, change, cancel, cancelDetached, dismiss, forSlug, running };
  }, [state, start, resume, fix, change, cancel, cancelDetached, dismiss]);

  return <RunsContext.Provider value={value}>{children}</RunsContext.Provider>;
}

export function useRuns(): Runs {
  const runs = useContext(RunsContext);
  if (!runs) throw new Error("useRuns needs a RunsProvider above it");
  return runs;
}
