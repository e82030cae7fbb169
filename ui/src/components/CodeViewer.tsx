// Syntax-highlighted view of one project file, editable on request; CodeMirror is fetched the first time it is needed.
import { useEffect, useRef, useState } from "react";
import { languageFor } from "../codeview/languages";
import type { Viewer } from "../codeview/editor";

interface Props {
  path: string;
  text: string;
  /** The user may type in it; read-only otherwise. */
  editing?: boolean;
  /** The whole text after each change the user types. */
  onEdit?: (text: string) => void;
}

export default function CodeViewer({ path, text, editing = false, onEdit }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const viewer = useRef<Viewer | null>(null);
  const edited = useRef(onEdit);
  edited.current = onEdit;
  const [ready, setReady] = useState<Viewer | null>(null);
  const [highlighted, setHighlighted] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const language = languageFor(path);

  useEffect(() => {
    let live = true;
    import("../codeview/editor")
      .then(({ createViewer }) => {
        if (!live || !host.current) return;
        viewer.current = createViewer(host.current, "File contents", (next) => edited.current?.(next));
        setReady(viewer.current);
      })
      .catch(() => live && setError("The code viewer could not be loaded. Restart BucketForge and try again."));
    return () => {
      live = false;
      viewer.current?.destroy();
      viewer.current = null;
    };
  }, []);

  // While the user types, the editor holds the newest text: the one passed back in may be a
  // keystroke behind, and showing it would drop what was typed since.
  const typingIn = useRef<string | null>(null);

  useEffect(() => {
    if (!ready || (editing && typingIn.current === path)) return;
    let live = true;
    setHighlighted(false);
    ready
      .show(text, language)
      .then(() => live && setHighlighted(true))
      .catch(() => live && setError("Highlighting for this kind of file could not be loaded; the text is shown plain."));
    return () => {
      live = false;
    };
  }, [ready, text, language, editing, path]);

  useEffect(() => {
    if (!ready) return;
    ready.setEditable(editing);
    typingIn.current = editing ? path : null;
    if (editing) ready.focus();
  }, [ready, editing, path]);

  return (
    <div
      className={`code-viewer${editing ? " is-editing" : ""}`}
      data-testid="code-viewer"
      data-path={path}
      data-language={language ?? "text"}
      data-editing={editing ? "true" : "false"}
      data-highlighted={highlighted && language !== null ? "true" : "false"}
    >
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      <div ref={host} className="code-host" />
    </div>
  );
}
