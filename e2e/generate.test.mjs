// End to end (issue 7): generate in the real window against moto and the scripted LLM
// server; check the bucket with an S3 client of our own; open the project, read a file in the
// code viewer, export a zip through the real save dialog; cancel and resume; a failing run.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { By, click, configuredHome, eventually, fileStatuses, goTo, latestRun, launch, runPhase, saveFailures, screenshot, startGenerating, until } from "./driver.mjs";
import { COUNTER_FILES } from "./projects.mjs";
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

function zipEntries(file) {
  const script = "import sys, zipfile, json; print(json.dumps(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))";
  return JSON.parse(execFileSync("python3", ["-c", script, file], { encoding: "utf8" }));
}

describe("generating in the window", () => {
  let moto;
  let llm;
  let run;

  before(async () => {
    moto = await startMoto();
    llm = await startScriptedLlm(
      projectScript({ name: "Click Counter", files: COUNTER_FILES, apiKey: LLM_KEY, slowFiles: ["src/App.jsx"] }),
    );
    run = await launch({ name: "generate", home: configuredHome(moto, llm.openaiBaseUrl, LLM_KEY) });
  });

  after(async () => {
    await run?.close();
    await llm?.stop();
    await moto?.stop();
  });

  it("shows every file's progress and finishes with every file in S3", async () => {
    const { app } = run;
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
    await screenshot(app, "generate-finished");

    // The bucket, read with our own S3 client.
    const prefix = "projects/e2e/click-counter/";
    const keys = moto.list(prefix).sort();
    const expected = [...Object.keys(COUNTER_FILES).map((p) => prefix + p), `${prefix}.bucketforge/manifest.json`].sort();
    assert.deepEqual(keys, expected);
    for (const [file, content] of Object.entries(COUNTER_FILES)) {
      assert.equal(moto.get(prefix + file), content, file);
    }
    const manifest = JSON.parse(moto.get(`${prefix}.bucketforge/manifest.json`));
    assert.equal(manifest.status, "complete");
  });

  it("opens the project and shows a file highlighted", async () => {
    const { app } = run;
    const finished = await latestRun(app);
    await click(app, await finished.findElement(By.xpath(".//button[normalize-space()='Open project']")));
    await click(app, await app.wait(until.elementLocated(By.css("[data-testid=file-item][data-path='src/App.jsx']")), 20_000));
    const viewer = await eventually(async () => {
      const found = await app.findElements(By.css("[data-testid=code-viewer][data-path='src/App.jsx'][data-highlighted=true]"));
      return found[0];
    }, "the highlighted code viewer", 20_000);
    assert.match(await viewer.getText(), /Clicked \{count\} times/);
    const colours = await app.executeScript(
      "return new Set([...document.querySelectorAll('[data-testid=code-viewer] .cm-line span')].map(s => getComputedStyle(s).color)).size",
    );
    assert.ok(colours >= 2, `syntax highlighting uses ${colours} colours`);
    await screenshot(app, "project-code-viewer");
  });

  it("exports a zip through the save dialog that matches the bucket", async () => {
    const { app } = run;
    const out = path.join(mkdtempSync(path.join(tmpdir(), "bf-export-")), "click-counter.zip");
    await click(app, await app.findElement(By.xpath("//button[normalize-space()='Export .zip']")));
    answerSaveDialog(out);
    await eventually(() => existsSync(out), "the zip file", 20_000);
    await app.wait(until.elementLocated(By.xpath("//*[contains(text(), 'Exported')]")), 20_000);
    const entries = zipEntries(out);
    // The zip holds one folder named after the project, with every file of the bucket in it.
    const inBucket = moto
      .list("projects/e2e/click-counter/")
      .map((k) => `click-counter/${k.slice("projects/e2e/click-counter/".length)}`)
      .filter((k) => !k.startsWith("click-counter/.bucketforge/"))
      .sort();
    assert.deepEqual(entries, inBucket);
    await screenshot(app, "project-exported");
  });

  it("lists the project on the Projects screen as complete", async () => {
    const { app } = run;
    await goTo(app, "Projects");
    const row = await app.wait(until.elementLocated(By.css("[data-testid=project-row][data-slug=click-counter]")), 20_000);
    assert.equal(await row.getAttribute("data-status"), "complete");
    await screenshot(app, "projects-list");
  });

  it("cancels a run and resumes it", async () => {
    const { app } = run;
    await llm.stop();
    llm = await startScriptedLlm(
      projectScript({ name: "Slow Counter", files: COUNTER_FILES, apiKey: LLM_KEY, slowFiles: ["src/App.jsx", "README.md"] }),
      llm.port,
    );
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
    const manifest = JSON.parse(moto.get("projects/e2e/slow-counter/.bucketforge/manifest.json"));
    assert.equal(manifest.status, "cancelled");
    assert.deepEqual(manifest.files.map((f) => f.path).sort(), landed, "the record lists exactly what landed");
    await screenshot(app, "generate-cancelled");

    await click(app, await cancelled.findElement(By.xpath(".//button[normalize-space()='Resume']")));
    const resumed = await runPhase(app, "finished", 90_000);
    assert.equal(await resumed.getAttribute("data-slug"), "slow-counter");
    assert.equal(JSON.parse(moto.get("projects/e2e/slow-counter/.bucketforge/manifest.json")).status, "complete");
    await screenshot(app, "generate-resumed");
  });

  it("shows a failing run's error in plain words", async () => {
    const { app } = run;
    await llm.stop();
    llm = await startScriptedLlm(
      { api_key: LLM_KEY, replies: { plan: [{ text: "Sorry, I can't plan that." }] } },
      llm.port,
    );
    await startGenerating(app, "Something the model will not plan", "Broken Plan");
    const failed = await runPhase(app, "failed", 30_000);
    const error = await failed.findElement(By.css("[data-testid=run-error]")).getText();
    assert.match(error, /plan for this idea could not be used/i);
    assert.equal(moto.list("projects/e2e/broken-plan/").length, 0, "nothing was written");
    await screenshot(app, "generate-failed");
  });
});
