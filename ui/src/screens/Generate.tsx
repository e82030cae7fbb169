// Where an idea becomes a project: the idea form, and every run of this session with its live progress.
import { useRef, useState, type FormEvent } from "react";
import { errorMessage, errorReport } from "../api";
import type { ErrorReport } from "../bindings/ErrorReport";
import type { RunInfo } from "../bindings/RunInfo";
import type { Stack } from "../bindings/Stack";
import ErrorBanner from "../components/ErrorBanner";
import Field from "../components/Field";
import RunPanel from "../components/RunPanel";
import { useNavigation } from "../navigation";
import { generateBlocker } from "../readiness";
import { useRuns } from "../runs";
import { useSetup } from "../setup";
import { slugify } from "../slug";

export const EXAMPLE_IDEAS: { title: string; idea: string }[] = [
  {
    title: "To-do list",
    idea: "A to-do list where I can add tasks, tick them off, and filter by done or not done.",
  },
  {
    title: "Recipe box",
    idea: "A recipe box: save recipes with ingredients and steps, search them by ingredient, and mark favourites.",
  },
  {
    title: "Habit tracker",
    idea: "A habit tracker where I list daily habits, check them off each day, and see my streaks for the week.",
  },
  {
    title: "Book club",
    idea: "A page for my book club: suggest books, vote on the next one, and see the reading schedule.",
  },
];

const STACKS: { value: Stack; label: string }[] = [
  { value: "fastapi-react", label: "Website with its own server (React + Python FastAPI)" },
  { value: "react", label: "Website only (React)" },
];

export default function GenerateScreen() {
  const { view, providers, loadError } = useSetup();
  const { runs, detached, start, cancelDetached } = useRuns();
  const { go } = useNavigation();
  const [idea, setIdea] = useState("");
  const [name, setName] = useState("");
  const [stack, setStack] = useState<Stack>("fastapi-react");
  const [starting, setStarting] = useState(false);
  const runsSection = useRef<HTMLElement>(null);
  const [startError, setStartError] = useState<ErrorReport | null>(null);

  const slug = name.trim() ? slugify(name) : null;
  const settingsReason = loadError
    ? `Your settings could not be loaded: ${loadError}`
    : view
      ? generateBlocker(view, providers)
      : "Checking your settings…";
  const reason = settingsReason ?? (!idea.trim() ? "Describe your app idea first." : null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (reason || starting) return;
    setStarting(true);
    setStartError(null);
    try {
      await start({ idea: idea.trim(), name: name.trim() || null, stack });
      setIdea("");
      setName("");
      // The new run's panel is below the form: bring it into view so its progress is seen.
      requestAnimationFrame(() => runsSection.current?.scrollIntoView?.({ behavior: "smooth", block: "start" }));
    } catch (err) {
      setStartError(errorReport(err));
    } finally {
      setStarting(false);
    }
  };

  return (
    <section className="screen" aria-labelledby="generate-title">
      <header className="screen-header">
        <h1 id="generate-title">Generate an app</h1>
        <p className="lead">
          Describe the app you want in your own words. BucketForge plans it, writes every file and
          saves the project to your storage bucket.
        </p>
      </header>
      <form className="card form" onSubmit={submit} noValidate aria-label="New app">
        <label className="field">
          <span className="label">Your idea</span>
          <textarea
            name="idea"
            rows={6}
            value={idea}
            onChange={(e) => setIdea(e.target.value)}
            placeholder="A to-do list where I can add tasks, tick them off and filter by done or not done."
          />
        </label>
        <div className="examples" role="group" aria-label="Example ideas">
          <span className="hint">Try an example:</span>
          {EXAMPLE_IDEAS.map((example) => (
            <button key={example.title} type="button" className="chip" title={example.idea} onClick={() => setIdea(example.idea)}>
              {example.title}
            </button>
          ))}
        </div>
        <div className="field-row">
          <Field
            label="Project name"
            optional
            hint={
              <span data-testid="slug-preview" className="slug-preview">
                {!name.trim() ? (
                  "Leave it empty and the AI names the project."
                ) : slug ? (
                  <>
                    Saved as <code>{slug}</code>
                  </>
                ) : (
                  "Its short name is made from it when the project is saved."
                )}
              </span>
            }
          >
            {(control) => (
              <input
                {...control}
                name="project-name"
                type="text"
                value={name}
                onChange={(e) => setName(e.target.value)}
                placeholder="My to-do list"
                autoComplete="off"
              />
            )}
          </Field>
          <Field label="Kind of app">
            {(control) => (
              <select {...control} name="stack" value={stack} onChange={(e) => setStack(e.target.value as Stack)}>
                {STACKS.map((s) => (
                  <option key={s.value} value={s.value}>
                    {s.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <div className="actions">
          {/* A disabled button gets no hover events, so the tooltip sits on its wrapper. */}
          <span className="tooltip-anchor" title={reason ?? undefined}>
            <button type="submit" className="primary" disabled={reason !== null || starting} aria-describedby={reason ? "generate-why" : undefined}>
              Generate
            </button>
          </span>
          {reason && (
            <p id="generate-why" className="hint">
              {reason}
            </p>
          )}
          {settingsReason && view && (
            <button type="button" className="link" onClick={() => go("settings")}>
              Open Settings
            </button>
          )}
        </div>
        {startError && (
          <ErrorBanner error={startError} />
        )}
      </form>

      {detached.length > 0 && (
        <div className="card detached">
          {detached.map((r) => (
            <DetachedRun key={r.run_id} info={r} onStop={() => cancelDetached(r.run_id)} />
          ))}
        </div>
      )}

      {runs.length > 0 && (
        <section className="runs" aria-label="Runs" ref={runsSection}>
          {runs.map((run) => (
            <RunPanel key={run.key} run={run} />
          ))}
        </section>
      )}
    </section>
  );
}

/** A run this window did not start (it was going before a reload): it can only be stopped. */
function DetachedRun({ info, onStop }: { info: RunInfo; onStop: () => Promise<void> }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="detached-run" data-testid="detached-run">
      <p>
        A run started earlier is still going{info.slug ? <> on <code>{info.slug}</code></> : null}. This window can't
        show its progress; the project appears in Projects when it ends.
      </p>
      <button type="button" className="secondary" onClick={() => onStop().catch((e: unknown) => setError(errorMessage(e)))}>
        Stop it
      </button>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
