// Read-only, syntax-highlighted view of one project file; CodeMirror is fetched the first time it is needed.
import { useEffect, useRef, useState } from "react";
import { languageFor } from "../codeview/languages";
import type { Viewer } from "../codeview/editor";

interface Props {
  path: string;
  text: string;
}

export default function CodeViewer({ path, text }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const viewer = useRef<Viewer | null>(null);
  const [ready, setReady] = useState<Viewer | null>(null);
  const [highlighted, setHighlighted] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const language = languageFor(path);

  useEffect(() => {
    let live = true;
    import("../codeview/editor")
      .then(({ createViewer }) => {
        if (!live || !host.current) return;
        viewer.current = createViewer(host.current, "File contents");
        setReady(viewer.current);
      })
      .catch(() => live && setError("The code viewer could not be loaded. Restart BucketForge and try again."));
    return () => {
      live = false;
      viewer.current?.destroy();
      viewer.current = null;
    };
  }, []);

  useEffect(() => {
    if (!ready) return;
    let live = true;
    setHighlighted(false);
    ready
      .show(text, language)
      .then(() => live && setHighlighted(true))
      .catch(() => live && setError("Highlighting for this kind of file could not be loaded; the text is shown plain."));
    return () => {
      live = false;
    };
  }, [ready, text, language]);

  return (
    <div
      className="code-viewer"
      data-testid="code-viewer"
      data-path={path}
      data-language={language ?? "text"}
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
