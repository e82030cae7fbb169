// End to end (issue 7): generate in the real window against moto and the scripted LLM
// server; check the bucket with an S3 client of our own; open the project, read a file in the
// code viewer, export a zip through the real save dialog; cancel and resume; a failing run.
// Each test has its own LLM server, home, keyring and window, and a project of its own in moto.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { assertKept, projectFilesIn, zipContents } from "./bucket.mjs";
import {
  By,
  click,
  configuredHome,
  eventually,
  fileStatuses,
  generateProject,
  goTo,
  latestRun,
  launchFor,
  runPhase,
  saveFailures,
  screenshot,
  serverFor,
  startGenerating,
  until,
} from "./driver.mjs";
import { changedIfWrittenAgain, COUNTER_FILES } from "./projects.mjs";
import { projectScript, startMoto, startScriptedLlm } from "./servers.mjs";

const LLM_KEY = "sk-e2e-generate-6b1d94c2";

saveFailures(import.meta.url);

/** Answers the GTK save dialog: its file name field takes a whole path. */
function answerSaveDialog(file) {
  const id = execFileSync("timeout", ["20", "xdotool", "search", "--sync", "--onlyvisible", "--name", "^Export"], {
    encoding: "utf8",
  })
    .trim()
    .split("\n")[0];
  execFileSync("xdotool", ["windowfocus", "--sync", id]);
  execFileSync("xdotool", ["key", "--window", id, "ctrl+a"]);
  execFileSync("xdotool", ["type", "--window", id, "--delay", "20", file]);
  execFileSync("xdotool", ["key", "--window", id, "Return"]);
}

/** The bytes the model wrote for each file. */
const asBytes = (files) => Object.fromEntries(Object.entries(files).map(([p, text]) => [p, Buffer.from(text)]));
const bytesOf = (objects) => Object.fromEntries(Object.entries(objects).map(([p, o]) => [p, o.bytes]));

describe("generating in the window", () => {
  let moto;

  before(async () => {
    moto = await startMoto();
  });

  after(async () => moto?.stop());

  /** A window of the test's own, on a home set up for moto and a scripted LLM answering `script`. */
  async function openWindow(t, name, script) {
    const llm = await serverFor(t, startScriptedLlm(script));
    const home = configuredHome(moto, llm.openaiBaseUrl, LLM_KEY);
    return { llm, home, open: () => launchFor(t, { name: `generate-${name}`, home }) };
  }

  /** The window on the Projects screen, with the project `name` the CLI generated before it opened. */
  async function windowWithProject(t, name) {
    const slug = name.toLowerCase().replace(/ /g, "-");
    const { home, open } = await openWindow(t, slug, projectScript({ name, files: COUNTER_FILES, apiKey: LLM_KEY }));
    generateProject(home, ["--idea", "A button that counts its clicks", "--name", name]);
    const { app } = await open();
    await goTo(app, "Projects");
    const row = await app.wait(until.elementLocated(By.css(`[data-testid=project-row][data-slug=${slug}]`)), 20_000);
    return { app, slug, row };
  }

  async function openGeneratedProject(t, name) {
    const { app, slug, row } = await windowWithProject(t, name);
    await click(app, row);
    return { app, slug };
  }

  it("shows every file's progress and finishes with every file in S3", async (t) => {
    const script = projectScript({ name: "Click Counter", files: COUNTER_FILES, apiKey: LLM_KEY, slowFiles: ["src/App.jsx"] });
    const { app } = await (await openWindow(t, "progress", script)).open();
    await startGenerating(app, "A button that counts how often I click it", "Click Counter");
    // While the App streams, the other files are already uploaded.
    const running = await eventually(async () => {
      const current = await latestRun(app);
      if (!current) return null;
      const statuses = await fileStatuses(current);
      const uploaded = Object.values(statuses).filter((s) => s === "uploaded").length;
      return statuses["src/App.jsx"] === "writing" && uploaded >= 3 ? current : null;
    }, "files uploading while the App is still being written", 30_000);
    const bytes = await running.findElement(By.css("[data-testid=file-row][data-path='src/App.jsx'] [data-testid=file-bytes]")).getText();
    assert.match(bytes, /\d/);
    await screenshot(app, "generate-running");

    const finished = await runPhase(app, "finished", 90_000);
    assert.deepEqual(
      Object.values(await fileStatuses(finished)).filter((s) => s !== "uploaded"),
      [],
    );
    assert.equal(await finished.findElement(By.css("[role=progressbar]")).getAttribute("aria-valuenow"), "100");
    // The files were checked together: the App's component, the stylesheet, React's two
    // packages and the Vite setup's two.
    assert.equal(await finished.findElement(By.css("[data-testid=fit-summary]")).getText(), "Checked: 3 imports, 4 packages, 0 API calls");
    await screenshot(app, "generate-finished");

    // The bucket, read with our own S3 client: every file, byte for byte as the model wrote it.
    const prefix = "projects/e2e/click-counter/";
    assert.deepEqual(bytesOf(projectFilesIn(moto, prefix)), asBytes(COUNTER_FILES));
    const manifest = JSON.parse(moto.get(`${prefix}.bucketforge/manifest.json`));
    assert.equal(manifest.status, "complete");
    assert.deepEqual(manifest.check.problems, []);
    // The counter follows every recipe that applies to it: no finding, every check passed.
    assert.deepEqual(manifest.quality.findings, []);
    assert.ok(manifest.quality.checks.length > 5 && manifest.quality.checks.every((c) => c.passed), JSON.stringify(manifest.quality));
  });

  it("opens the project and shows a file highlighted", async (t) => {
    const { app } = await openGeneratedProject(t, "Viewer Counter");
    await click(app, await app.wait(until.elementLocated(By.css("[data-testid=file-item][data-path='src/App.jsx']")), 20_000));
    const viewer = await eventually(async () => {
      const found = await app.findElements(By.css("[data-testid=code-viewer][data-path='src/App.jsx'][data-highlighted=true]"));
      return found[0];
    }, "the highlighted code viewer", 20_000);
    assert.match(await viewer.getText(), /Clicked \{count\} times/);
    // The page says how the app follows the recipes: every check that applies passed.
    const quality = await app.findElement(By.css("[data-testid=quality-summary]")).getText();
    assert.match(quality, /^(\d+) of \1 checks passed$/);
    const colours = await app.executeScript(
      "return new Set([...document.querySelectorAll('[data-testid=code-viewer] .cm-line span')].map(s => getComputedStyle(s).color)).size",
    );
    assert.ok(colours >= 2, `syntax highlighting uses ${colours} colours`);
    await screenshot(app, "project-code-viewer");
  });

  it("exports a zip through the save dialog whose files are the bucket's, byte for byte", async (t) => {
    const { app, slug } = await openGeneratedProject(t, "Export Counter");
    const out = path.join(mkdtempSync(path.join(tmpdir(), "bf-export-")), `${slug}.zip`);
    await click(app, await app.wait(until.elementLocated(By.xpath("//button[normalize-space()='Export .zip']")), 20_000));
    answerSaveDialog(out);
    await eventually(() => existsSync(out), "the zip file", 20_000);
    await app.wait(until.elementLocated(By.xpath("//*[contains(text(), 'Exported')]")), 20_000);
    // The zip holds one folder named after the project, with every file of the bucket in it
    // (the record left out), each with the bytes the bucket holds.
    const inBucket = projectFilesIn(moto, `projects/e2e/${slug}/`);
    const expected = Object.fromEntries(Object.entries(inBucket).map(([p, o]) => [`${slug}/${p}`, o.bytes]));
    assert.deepEqual(zipContents(out), expected);
    assert.deepEqual(bytesOf(inBucket), asBytes(COUNTER_FILES), "the bucket holds what the model wrote");
    await screenshot(app, "project-exported");
  });

  it("lists the project on the Projects screen as complete", async (t) => {
    const { app, row } = await windowWithProject(t, "Listed Counter");
    assert.equal(await row.getAttribute("data-status"), "complete");
    await screenshot(app, "projects-list");
  });

  it("cancels a run and resumes it, keeping the files already uploaded as they were", async (t) => {
    const slowFiles = ["src/App.jsx", "README.md"];
    const script = projectScript({
      name: "Slow Counter",
      files: COUNTER_FILES,
      apiKey: LLM_KEY,
      slowFiles,
      replies: changedIfWrittenAgain(COUNTER_FILES, slowFiles),
    });
    const { app } = await (await openWindow(t, "resume", script)).open();
    const prefix = "projects/e2e/slow-counter/";
    await startGenerating(app, "The same counter, slowly", "Slow Counter");
    const running = await eventually(async () => {
      const current = await latestRun(app);
      if (!current || (await current.getAttribute("data-slug")) !== "slow-counter") return null;
      const statuses = Object.values(await fileStatuses(current));
      return statuses.includes("uploaded") ? current : null;
    }, "the first upload of the slow run", 30_000);
    await click(app, await running.findElement(By.xpath(".//button[normalize-space()='Cancel']")));
    const cancelled = await runPhase(app, "cancelled", 20_000);
    const landed = Object.entries(await fileStatuses(cancelled)).filter(([, s]) => s === "uploaded").map(([p]) => p).sort();
    const manifest = JSON.parse(moto.get(`${prefix}.bucketforge/manifest.json`));
    assert.equal(manifest.status, "cancelled");
    assert.deepEqual(manifest.files.map((f) => f.path).sort(), landed, "the record lists exactly what landed");
    const uploaded = projectFilesIn(moto, prefix);
    assert.deepEqual(Object.keys(uploaded).sort(), landed, "the bucket holds exactly what landed");
    assert.ok(!landed.includes("src/App.jsx"), "the slow App was still being written when the run was cancelled");
    await screenshot(app, "generate-cancelled");

    await click(app, await cancelled.findElement(By.xpath(".//button[normalize-space()='Resume']")));
    const resumed = await runPhase(app, "finished", 90_000);
    assert.equal(await resumed.getAttribute("data-slug"), "slow-counter");
    assert.equal(JSON.parse(moto.get(`${prefix}.bucketforge/manifest.json`)).status, "complete");
    const finished = projectFilesIn(moto, prefix);
    // What landed before the cancel was not written again; the rest arrived as the model wrote it.
    assertKept(uploaded, finished);
    assert.deepEqual(bytesOf(finished), asBytes(COUNTER_FILES));
    await screenshot(app, "generate-resumed");
  });

  it("shows a failing run's error in plain words", async (t) => {
    const script = { api_key: LLM_KEY, replies: { plan: [{ text: "Sorry, I can't plan that." }] } };
    const { app } = await (await openWindow(t, "failing", script)).open();
    await startGenerating(app, "Something the model will not plan", "Broken Plan");
    const failed = await runPhase(app, "failed", 30_000);
    const error = await failed.findElement(By.css("[data-testid=run-error]")).getText();
    assert.match(error, /plan for this idea could not be used/i);
    assert.equal(moto.list("projects/e2e/broken-plan/").length, 0, "nothing was written");
    await screenshot(app, "generate-failed");
  });
});
