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
import { COUNTER_FILES } from "./projects.mjs";
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

async function openPreview(app, slug) {
  await goTo(app, "Projects");
  await click(app, await app.wait(until.elementLocated(By.css(`[data-testid=project-row][data-slug=${slug}]`)), 20_000));
  await click(app, await app.wait(until.elementLocated(By.xpath("//button[normalize-space()='Preview']")), 20_000));
  return app.wait(until.elementLocated(By.css("[data-testid=preview-frame]")), 20_000);
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
    assert.equal(await frame.getAttribute("sandbox"), "allow-scripts");
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
    // The other user's project is all there, read with our own S3 client.
    assert.ok(moto.list("projects/victim/victim-app/").includes("projects/victim/victim-app/src/App.jsx"));
    // The window still shows BucketForge.
    assert.equal(await app.getCurrentUrl(), shellUrl);
    assert.equal(await app.findElement(By.css("nav[aria-label=Main]")).isDisplayed(), true);
  });
});
