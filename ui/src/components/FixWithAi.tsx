// The one "Fix with AI" action the project page offers under a report with problems.
interface Props {
  onFix: () => void;
  busy: boolean;
  /** Which files the AI is asked for, e.g. "only for these files". */
  hint: string;
}

export default function FixWithAi({ onFix, busy, hint }: Props) {
  return (
    <div className="actions">
      <button type="button" className="primary" disabled={busy} onClick={onFix}>
        Fix with AI
      </button>
      <span className="hint">{hint}</span>
    </div>
  );
}
