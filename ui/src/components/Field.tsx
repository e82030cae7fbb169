// A labelled form control with its hint or problem below it, linked for screen readers but not part of its name.
import { useId, type ReactNode } from "react";

export interface ControlProps {
  id: string;
  "aria-describedby"?: string;
  "aria-invalid"?: true;
}

interface Props {
  label: ReactNode;
  optional?: boolean;
  hint?: ReactNode;
  problem?: string | null;
  /** Extra text after the hint, e.g. a live preview, announced with it. */
  children: (control: ControlProps) => ReactNode;
}

export default function Field({ label, optional, hint, problem, children }: Props) {
  const id = useId();
  const noteId = `${id}-note`;
  const note = problem || hint;
  return (
    <div className="field">
      <label className="label" htmlFor={id}>
        {label} {optional && <span className="optional">(optional)</span>}
      </label>
      {children({ id, "aria-describedby": note ? noteId : undefined, "aria-invalid": problem ? true : undefined })}
      {note && (
        <span id={noteId} className={problem ? "error-text" : "hint"}>
          {problem || hint}
        </span>
      )}
    </div>
  );
}
