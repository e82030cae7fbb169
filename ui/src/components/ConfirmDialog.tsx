// An in-app confirmation that keeps keyboard focus inside it until answered (Escape declines).
import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from "react";

interface Props {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  declineLabel: string;
  busy?: boolean;
  danger?: boolean;
  onConfirm: () => void;
  onDecline: () => void;
}

export default function ConfirmDialog({ title, children, confirmLabel, declineLabel, busy, danger, onConfirm, onDecline }: Props) {
  const titleId = useId();
  const bodyId = useId();
  const dialog = useRef<HTMLDivElement>(null);
  const decline = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    // The safe answer gets focus, so a stray Enter never deletes anything.
    decline.current?.focus();
    return () => before?.focus();
  }, []);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape" && !busy) {
      e.preventDefault();
      onDecline();
      return;
    }
    if (e.key !== "Tab" || !dialog.current) return;
    const focusable = Array.from(dialog.current.querySelectorAll<HTMLElement>("button:not(:disabled), [href], input, select, textarea"));
    if (focusable.length === 0) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <div className="dialog-backdrop" onKeyDown={onKeyDown}>
      <div ref={dialog} className="dialog card" role="alertdialog" aria-modal="true" aria-labelledby={titleId} aria-describedby={bodyId}>
        <h2 id={titleId}>{title}</h2>
        <div id={bodyId} className="dialog-body">
          {children}
        </div>
        <div className="actions dialog-actions">
          <button ref={decline} type="button" className="secondary" onClick={onDecline} disabled={busy}>
            {declineLabel}
          </button>
          <button type="button" className={danger ? "danger" : "primary"} onClick={onConfirm} disabled={busy}>
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
