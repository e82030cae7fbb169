// The generated app running in a sandboxed frame, at desktop, tablet or phone width.
import { useEffect, useState } from "react";
import { errorMessage, previewUrl } from "../api";
import { RefreshIcon } from "./Icons";

export type Device = "desktop" | "tablet" | "phone";

const DEVICES: { id: Device; label: string; width: number | null }[] = [
  { id: "desktop", label: "Desktop", width: null },
  { id: "tablet", label: "Tablet", width: 768 },
  { id: "phone", label: "Phone", width: 390 },
];

/**
 * Generated code is untrusted: scripts may run, but without `allow-same-origin` the frame has an
 * opaque origin and can't reach the app, its storage or its commands. Never add to this.
 */
export const PREVIEW_SANDBOX = "allow-scripts";

export default function PreviewPane({ slug, name }: { slug: string; name: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [device, setDevice] = useState<Device>("desktop");
  // The frame's origin is opaque, so it can't be told to reload: a new frame is mounted instead.
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let live = true;
    setUrl(null);
    setError(null);
    previewUrl(slug)
      .then((u) => live && setUrl(u))
      .catch((e: unknown) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [slug]);

  const width = DEVICES.find((d) => d.id === device)!.width;

  return (
    <div className="preview">
      <div className="preview-toolbar">
        <div className="segmented" role="group" aria-label="Screen width">
          {DEVICES.map((d) => (
            <button key={d.id} type="button" aria-pressed={device === d.id} onClick={() => setDevice(d.id)}>
              {d.label}
              {d.width && <span className="segmented-note">{d.width}px</span>}
            </button>
          ))}
        </div>
        <button type="button" className="secondary with-icon" onClick={() => setGeneration((g) => g + 1)} disabled={!url}>
          <RefreshIcon width={16} height={16} />
          Reload
        </button>
      </div>
      <div className="preview-stage">
        {error && (
          <div className="banner is-error" role="alert">
            <p>The preview could not be opened: {error}</p>
          </div>
        )}
        {!error && !url && <p className="hint">Opening the preview…</p>}
        {url && (
          <iframe
            key={generation}
            className={`preview-frame is-${device}`}
            data-testid="preview-frame"
            data-device={device}
            title={`Preview of ${name}`}
            src={url}
            sandbox={PREVIEW_SANDBOX}
            referrerPolicy="no-referrer"
            style={width ? { width: `${width}px` } : undefined}
          />
        )}
      </div>
    </div>
  );
}
