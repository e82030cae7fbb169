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

  // The app's backend, simulated inside BucketForge from the project's API contract. Calls to
  // where the backend would run on the user's computer (http://localhost:8000, any local port)
  // and root-relative API paths ("/api/todos") go to it; the page may connect nowhere else. A call
  // the backend doesn't have is said in words.
  const here = new URL(location.href);
  const api = `${here.protocol}//${here.host}/__bucketforge/api${root.slice(0, -1)}`;
  const toBackend = (url) => {
    let u;
    try {
      u = new URL(String(url), location.href);
    } catch {
      return url;
    }
    const local = (u.hostname === "localhost" || u.hostname === "127.0.0.1") && u.protocol === "http:";
    const rooted = u.host === here.host && u.protocol === here.protocol && !u.pathname.startsWith(root) && !u.pathname.startsWith("/__bucketforge/");
    return local || rooted ? `${api}${u.pathname}${u.search}` : url;
  };
  const said = (method, url, response) => {
    if (response.status !== 404 && response.status !== 405) return;
    if (!String(url).startsWith(api)) return;
    response
      .clone()
      .json()
      .then((body) => typeof body?.detail === "string" && body.detail.startsWith("The app called") && show(body.detail, "", ""))
      .catch(() => {});
  };
  const nativeFetch = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const isRequest = typeof Request !== "undefined" && input instanceof Request;
    const url = toBackend(isRequest ? input.url : input);
    const request = isRequest ? new Request(url, input) : url;
    const method = (init?.method ?? (isRequest ? input.method : "GET")).toUpperCase();
    return nativeFetch(request, init).then((response) => {
      said(method, url, response);
      return response;
    });
  };
  const nativeOpen = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    return nativeOpen.call(this, method, toBackend(url), ...rest);
  };

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

// What every browser page has, in a frame whose origin is opaque: there `localStorage` and
// `sessionStorage` throw, so the app gets each in memory, for as long as this preview is open.
(() => {
  const inMemory = () => {
    const data = new Map();
    return Object.freeze({
      getItem: (key) => (data.has(String(key)) ? data.get(String(key)) : null),
      setItem: (key, value) => void data.set(String(key), String(value)),
      removeItem: (key) => void data.delete(String(key)),
      clear: () => data.clear(),
      key: (index) => [...data.keys()][index] ?? null,
      get length() {
        return data.size;
      },
    });
  };
  for (const name of ["localStorage", "sessionStorage"]) {
    let usable = false;
    try {
      usable = window[name] != null;
    } catch {
      usable = false;
    }
    if (!usable) Object.defineProperty(window, name, { value: inMemory(), configurable: true });
  }
})();

// `alert`, `confirm` and `prompt` do nothing in a sandboxed frame (they return at once, unseen).
// Here each shows its message in the pane for a few seconds instead; `confirm` answers OK and
// `prompt` its default, and the note says so, so an app that asks before deleting still works.
(() => {
  let stack;
  const note = (text) => {
    if (!stack) {
      stack = document.createElement("div");
      stack.id = "bucketforge-dialogs";
      stack.setAttribute("role", "status");
      stack.style.cssText =
        "position:fixed;top:12px;right:12px;z-index:2147483646;display:flex;flex-direction:column;gap:8px;max-width:min(420px,90vw)";
      (document.body ?? document.documentElement).append(stack);
    }
    const item = document.createElement("div");
    item.className = "bucketforge-dialog";
    item.style.cssText =
      "background:#1b1e2b;color:#fff;border-radius:8px;padding:10px 14px;font:14px/1.4 system-ui,sans-serif;box-shadow:0 6px 20px rgba(0,0,0,.3);white-space:pre-wrap";
    item.textContent = text;
    stack.append(item);
    setTimeout(() => item.remove(), 6000);
  };
  window.alert = (message = "") => note(String(message));
  window.confirm = (message = "") => {
    note(`${String(message)}\n(The preview answered OK.)`);
    return true;
  };
  window.prompt = (message = "", fallback = "") => {
    note(`${String(message)}\n(The preview answered “${String(fallback ?? "")}”.)`);
    return fallback ?? "";
  };
})();
