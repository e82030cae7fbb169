// The generated app running in a sandboxed frame, at desktop, tablet or phone width.
import { useEffect, useRef, useState } from "react";
import { errorMessage, previewApi, previewApiReset, previewUrl } from "../api";
import type { PreviewApi } from "../bindings/PreviewApi";
import { RefreshIcon } from "./Icons";

export type Device = "desktop" | "tablet" | "phone";

const DEVICES: { id: Device; label: string; width: number | null }[] = [
  { id: "desktop", label: "Desktop", width: null },
  { id: "tablet", label: "Tablet", width: 768 },
  { id: "phone", label: "Phone", width: 390 },
];

/**
 * Generated code is untrusted: scripts may run, but without `allow-same-origin` the frame has an
 * opaque origin and can't reach the app, its storage or its commands. Forms may fire their
 * submit events (Chromium blocks them before the event without `allow-forms`); the page's
 * `form-action 'none'` still stops any submission from going anywhere. Never add to this.
 */
export const PREVIEW_SANDBOX = "allow-scripts allow-forms";

/** What the preview page's overlay posts when the app first puts something on screen. */
export const RENDERED_MESSAGE = "bucketforge:rendered";

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export default function PreviewPane({ slug, name }: { slug: string; name: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [device, setDevice] = useState<Device>("desktop");
  // The frame's origin is opaque, so it can't be told to reload: a new frame is mounted instead.
  const [generation, setGeneration] = useState(0);
  // How long the app took from opening (or reloading) to its first content on screen.
  const frame = useRef<HTMLIFrameElement>(null);
  const openedAt = useRef(performance.now());
  const [renderMs, setRenderMs] = useState<number | null>(null);

  useEffect(() => {
    // Only the fact is read from the untrusted frame, never data: the time is the app's own.
    const onMessage = (event: MessageEvent) => {
      if (event.source === null || event.source !== frame.current?.contentWindow) return;
      if (event.data !== RENDERED_MESSAGE) return;
      setRenderMs((seen) => seen ?? Math.max(1, Math.round(performance.now() - openedAt.current)));
    };
    window.addEventListener("message", onMessage);
    return () => window.removeEventListener("message", onMessage);
  }, []);

  const startClock = () => {
    openedAt.current = performance.now();
    setRenderMs(null);
  };

  const reload = () => {
    startClock();
    setGeneration((g) => g + 1);
  };

  useEffect(() => {
    let live = true;
    startClock();
    setUrl(null);
    setError(null);
    previewUrl(slug)
      .then((u) => live && setUrl(u))
      .catch((e: unknown) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [slug]);

  // The simulated backend: what the toolbar says of it and the requests the app made, read
  // from BucketForge itself (never from the frame) while the preview is open.
  const [api, setApi] = useState<PreviewApi | null>(null);
  const [showCalls, setShowCalls] = useState(false);
  useEffect(() => {
    let live = true;
    const read = () =>
      previewApi(slug)
        .then((a) => live && setApi(a))
        .catch(() => {});
    read();
    const timer = window.setInterval(read, 1000);
    return () => {
      live = false;
      window.clearInterval(timer);
      // Closing the preview drops the app's data.
      previewApiReset(slug).catch(() => {});
    };
  }, [slug]);

  const resetData = () => {
    previewApiReset(slug)
      .then(() => previewApi(slug))
      .then(setApi)
      .then(reload)
      .catch((e: unknown) => setError(errorMessage(e)));
  };

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
        <div className="preview-actions">
          {renderMs !== null && (
            <span className="preview-timing" data-testid="preview-render-ms" data-ms={renderMs} title="From opening the preview to the app's first content on screen">
              Shown in {seconds(renderMs)}
            </span>
          )}
          <button type="button" className="secondary with-icon" onClick={reload} disabled={!url}>
            <RefreshIcon width={16} height={16} />
            Reload
          </button>
        </div>
      </div>
      {api && api.endpoints > 0 && (
        <div className="preview-backend" data-testid="preview-backend">
          <p className="hint">
            The backend is simulated from {api.from_code ? "the routes in the app's Python code" : "the app's API contract"} (
            {api.endpoints} endpoint{api.endpoints === 1 ? "" : "s"}); its data lives until you close the preview.
          </p>
          <button type="button" className="ghost" aria-expanded={showCalls} onClick={() => setShowCalls((v) => !v)}>
            Requests ({api.calls.length})
          </button>
          <button type="button" className="secondary" onClick={resetData}>
            Reset data
          </button>
          {showCalls && (
            <table className="preview-calls" data-testid="preview-calls">
              <thead>
                <tr>
                  <th scope="col">Method</th>
                  <th scope="col">Path</th>
                  <th scope="col">Status</th>
                  <th scope="col">What happened</th>
                </tr>
              </thead>
              <tbody>
                {api.calls.map((c, i) => (
                  <tr key={i} className={c.status >= 400 ? "is-error" : undefined}>
                    <td className="num">{c.method}</td>
                    <td>
                      <code>{c.path}</code>
                    </td>
                    <td className="num">{c.status}</td>
                    <td>{c.note}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
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
            ref={frame}
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
