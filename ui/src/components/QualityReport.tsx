// How a project holds to the recipes its prompts give, in plain words: one summary line that opens
// onto the notes and every recipe checked, and below it, always shown, what would break the app,
// each naming its file and line.
import type { QualityReport as Report } from "../bindings/QualityReport";
import FixWithAi from "./FixWithAi";

interface Props {
  report: Report;
  /** Asks the AI once more for the files that can break the app; absent while a run is going on. */
  onFix?: () => void;
  busy?: boolean;
}

function place(path: string, line?: number | null) {
  return line ? `${path}, line ${line}` : path;
}

export default function QualityReport({ report, onFix, busy = false }: Props) {
  const problems = report.findings.filter((f) => f.breaks);
  const notes = report.findings.filter((f) => !f.breaks);
  const passed = report.checks.filter((c) => c.passed).length;
  const state = problems.length > 0 ? "has-problems" : notes.length > 0 ? "has-notes" : "is-clean";
  return (
    <section className={`quality-report ${state}`} data-testid="quality-report" aria-label="How the app follows good practice">
      {/* One line until opened: the notes and the full list of checks sit behind the summary. */}
      <details className="quality-more">
        <summary className="quality-summary" data-testid="quality-summary">
          {passed} of {report.checks.length} checks passed
          {problems.length > 0 && ` · ${problems.length} ${problems.length === 1 ? "problem" : "problems"} that can break the app`}
          {notes.length > 0 && ` · ${notes.length} ${notes.length === 1 ? "note" : "notes"}`}
        </summary>
        {notes.length > 0 && (
          <>
            <h4>Worth improving</h4>
            <ul className="quality-findings is-note" data-testid="quality-notes">
              {notes.map((f, i) => (
                <li key={i} data-rule={f.rule}>
                  <span className="quality-place">{place(f.path, f.line)}</span> {f.message}
                </li>
              ))}
            </ul>
          </>
        )}
        <h4>Every check</h4>
        <ul className="quality-checks" data-testid="quality-checks">
          {report.checks.map((c) => (
            <li key={c.rule} className={c.passed ? "passed" : "failed"} data-rule={c.rule}>
              <span aria-hidden="true">{c.passed ? "✓" : "✗"}</span> <span className="visually-hidden">{c.passed ? "Passed:" : "Not passed:"}</span>{" "}
              {c.label}
            </li>
          ))}
        </ul>
      </details>
      {problems.length > 0 && (
        <>
          <h4>Can break the app</h4>
          <ul className="quality-findings is-problem" data-testid="quality-problems">
            {problems.map((f, i) => (
              <li key={i} data-rule={f.rule}>
                <span className="quality-place">{place(f.path, f.line)}</span> {f.message}
              </li>
            ))}
          </ul>
          {onFix && <FixWithAi onFix={onFix} busy={busy} hint="Asks the AI once more, only for these files." />}
        </>
      )}
    </section>
  );
}
