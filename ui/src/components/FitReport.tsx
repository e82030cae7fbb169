// What the cross-file check found: the counts when the files fit together, or each problem left
// in plain words, with Fix with AI for one more round of repairs.
import type { CheckReport } from "../bindings/CheckReport";
import { checkSummary } from "../generation";
import FixWithAi from "./FixWithAi";

interface Props {
  report: CheckReport;
  /** Starts one more round of repairs; absent where none can start (a run is going on). */
  onFix?: () => void;
  busy?: boolean;
}

export default function FitReport({ report, onFix, busy = false }: Props) {
  const clean = report.problems.length === 0;
  return (
    <section className={`fit-report ${clean ? "is-clean" : "has-problems"}`} data-testid="fit-report" aria-label="How the files fit together">
      <p className="fit-summary" data-testid="fit-summary">
        {checkSummary(report)}
      </p>
      {!clean && (
        <>
          <ul className="fit-problems" data-testid="fit-problems">
            {report.problems.map((p, i) => (
              <li key={i} data-kind={p.kind}>
                {p.message}
              </li>
            ))}
          </ul>
          {onFix && <FixWithAi onFix={onFix} busy={busy} hint="Asks the AI once more, only for the files with a problem." />}
        </>
      )}
    </section>
  );
}
