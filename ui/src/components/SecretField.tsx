// A write-only key field: a saved key is only ever "Saved" (replace or remove it), never shown or read back.
import { useId, useState } from "react";
import { errorMessage } from "../api";
import { KeyIcon } from "./Icons";

interface Props {
  label: string;
  name: string;
  saved: boolean;
  /** What the user has typed and not yet saved; null when not editing. */
  value: string | null;
  onChange: (value: string | null) => void;
  onRemove: () => Promise<void>;
  /** Why keys can't be saved now (the keyring is unavailable). */
  unavailable: string | null;
  hint?: string;
  optional?: boolean;
}

export default function SecretField({ label, name, saved, value, onChange, onRemove, unavailable, hint, optional }: Props) {
  const id = useId();
  const [removing, setRemoving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const editing = !saved || value !== null;

  const remove = async () => {
    setRemoving(true);
    setError(null);
    try {
      await onRemove();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setRemoving(false);
    }
  };

  return (
    <div className="field secret-field" data-testid={`secret-${name}`} data-saved={saved ? "true" : "false"}>
      <label className="label" htmlFor={id}>
        {label} {optional && <span className="optional">(optional)</span>}
      </label>
      {editing ? (
        <div className="secret-edit">
          <input
            id={id}
            name={name}
            type="password"
            value={value ?? ""}
            onChange={(e) => onChange(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            disabled={unavailable !== null}
            placeholder={saved ? "Paste the new key" : "Paste your key"}
            aria-describedby={`${id}-hint`}
          />
          {saved && (
            <button type="button" className="ghost" onClick={() => onChange(null)}>
              Keep saved key
            </button>
          )}
        </div>
      ) : (
        <div className="secret-saved">
          <span className="saved-pill" id={id}>
            <KeyIcon width={14} height={14} />
            Saved
          </span>
          <button type="button" className="secondary small" onClick={() => onChange("")} aria-describedby={id} disabled={unavailable !== null}>
            Replace
          </button>
          <button type="button" className="secondary small" onClick={remove} disabled={removing || unavailable !== null} aria-describedby={id}>
            {removing ? "Removing…" : "Remove"}
          </button>
        </div>
      )}
      <span id={`${id}-hint`} className="hint">
        {unavailable ?? hint ?? "Kept in your system keyring, never in a file. BucketForge can't show it again."}
      </span>
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
