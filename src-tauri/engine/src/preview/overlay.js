// Shows the generated app's errors inside the preview pane, with the file and line, and a
// button to copy them. Loaded before the app, so it sees the app's first error too.
(() => {
  const root = location.pathname.split("/").slice(0, 3).join("/") + "/";
  const shorten = (url) => {
    try {
      const u = new URL(url, location.href);
      return u.pathname.startsWith(root) ? u.pathname.slice(root.length) : u.pathname;
    } catch {
      return String(url);
    }
  };
  let panel;
  const show = (title, where, detail) => {
    if (!panel) {
      panel = document.createElement("section");
      panel.setAttribute("role", "alert");
      panel.id = "bucketforge-error";
      panel.style.cssText =
        "position:fixed;inset:auto 12px 12px 12px;max-height:60vh;overflow:auto;z-index:2147483647;" +
        "background:#1f1115;color:#ffe4e6;border:1px solid #fb7185;border-radius:10px;padding:14px 16px;" +
        "font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;box-shadow:0 8px 30px rgba(0,0,0,.35)";
      const head = document.createElement("div");
      head.style.cssText = "display:flex;justify-content:space-between;gap:12px;align-items:center;margin-bottom:8px";
      const label = document.createElement("strong");
      label.textContent = "The app hit an error";
      const copy = document.createElement("button");
      copy.type = "button";
      copy.textContent = "Copy error";
      copy.style.cssText = "font:inherit;background:#fb7185;color:#1f1115;border:0;border-radius:6px;padding:4px 10px;cursor:pointer";
      copy.addEventListener("click", () => {
        const text = panel.querySelector("pre").textContent;
        const done = () => (copy.textContent = "Copied");
        navigator.clipboard?.writeText(text).then(done, () => {
          const range = document.createRange();
          range.selectNodeContents(panel.querySelector("pre"));
          getSelection().removeAllRanges();
          getSelection().addRange(range);
          copy.textContent = "Press Ctrl+C to copy";
        });
      });
      head.append(label, copy);
      const pre = document.createElement("pre");
      pre.style.cssText = "margin:0;white-space:pre-wrap;word-break:break-word";
      panel.append(head, pre);
      (document.body ?? document.documentElement).append(panel);
    }
    const pre = panel.querySelector("pre");
    pre.textContent += `${pre.textContent ? "\n\n" : ""}${title}${where ? `\n  at ${where}` : ""}${detail ? `\n${detail}` : ""}`;
  };
  window.addEventListener(
    "error",
    (event) => {
      const target = event.target;
      if (target && target !== window && (target.src || target.href)) {
        show("A file of the app could not be loaded", shorten(target.src || target.href));
        return;
      }
      const where = event.filename ? `${shorten(event.filename)}:${event.lineno}:${event.colno}` : "";
      show(event.message || String(event.error), where, "");
    },
    true,
  );
  window.addEventListener("unhandledrejection", (event) => {
    const reason = event.reason;
    show(reason?.message ?? String(reason), "", reason?.stack ? String(reason.stack) : "");
  });

  // Tells the preview pane when the app first puts content in the page (painted with the next
  // frame), so the pane can say how long the preview took. The message is the bare fact; the pane
  // keeps its own time. Not from requestAnimationFrame: WebKit slows that to about once a second
  // in a cross-origin frame the user hasn't touched yet.
  const shown = () =>
    [...(document.body?.children ?? [])].some(
      (el) => el.id !== "bucketforge-error" && el.tagName !== "SCRIPT" && (el.childElementCount > 0 || el.textContent.trim()),
    );
  const observer = new MutationObserver(() => {
    if (!shown()) return;
    observer.disconnect();
    parent.postMessage("bucketforge:rendered", "*");
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
})();
