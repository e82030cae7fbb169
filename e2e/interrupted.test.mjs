// End to end: closing the window in the middle of a run records the run as cancelled (nothing
// is left looking as if it were still being written), and the reopened app offers Resume, which
// finishes the project with every file byte for byte as the model wrote it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import {
  By,
  click,
  closeWindowLikeAPerson,
  configuredHome,
  eventually,
  fileStatuses,
  goTo,
  latestRun,
  launch,
  saveFailures,
  screenshot,
  startGenerating,
  until,
} from "./driver.mjs";
import { COUNTER_FILES } from "./projects.mjs";
import { projectScript, startMoto, startScriptedLlm } from "./servers.mjs";

saveFailures(import.meta.url);

const LLM_KEY = "sk-e2e-interrupted-3c9a17e4";
const PREFIX = "projects/e2e/closed-counter/";

describe("a run interrupted by closing the window", () => {
  let moto;
  let llm;
  let home;

  before(async () => {
    moto = await startMoto();
    // Two files take half a minute the first time: the window closes while they stream.
    llm = await startScriptedLlm(
      projectScript({ name: "Closed Counter", files: COUNTER_FILES, apiKey: LLM_KEY, slowFiles: ["src/App.jsx", "README.md"] }),
    );
    home = configuredHome(moto, llm.openaiBaseUrl, LLM_KEY);
  });

  after(async () => {
    await llm?.stop();
    await moto?.stop();
  });

  it("records the cancel when the window closes, and Resume in the reopened app finishes it", async () => {
    const first = await launch({ name: "interrupted-closed", home });
    let landed;
    try {
      await startGenerating(first.app, "A counter, closed half-way", "Closed Counter");
      const running = await eventually(async () => {
        const current = await latestRun(first.app);
        if (!current) return null;
        const statuses = await fileStatuses(current);
        return statuses["src/App.jsx"] === "writing" && Object.values(statuses).includes("uploaded") ? statuses : null;
      }, "a file uploaded while the App is still being written", 30_000);
      landed = Object.entries(running).filter(([, s]) => s === "uploaded").map(([p]) => p);
      closeWindowLikeAPerson();
      // The app records the cancel before it exits.
      await eventually(() => JSON.parse(moto.get(`${PREFIX}.bucketforge/manifest.json`)).status === "cancelled", "the cancel in the record", 20_000);
    } finally {
      await first.close();
    }
    const record = JSON.parse(moto.get(`${PREFIX}.bucketforge/manifest.json`));
    assert.equal(record.lease, undefined, "a cancelled run holds no lease");
    const recorded = record.files.map((f) => f.path);
    for (const path of landed) assert.ok(recorded.includes(path), `${path} landed and is recorded: ${recorded}`);
    assert.ok(!recorded.includes("src/App.jsx"), "the file still streaming was not recorded");

    const second = await launch({ name: "interrupted-reopened", home });
    try {
      const { app } = second;
      await goTo(app, "Projects");
      const row = await app.wait(until.elementLocated(By.css("[data-testid=project-row][data-slug=closed-counter]")), 20_000);
      assert.equal(await row.getAttribute("data-status"), "cancelled");
      await click(app, row);
      const resume = await app.wait(until.elementLocated(By.xpath("//button[normalize-space()='Resume']")), 20_000);
      await screenshot(app, "interrupted-offers-resume");
      await click(app, resume);
      await eventually(
        async () => (await app.findElement(By.css("[data-testid=status-badge]")).getText()) === "Complete",
        "the resumed project to be complete",
        90_000,
      );
      await screenshot(app, "interrupted-resumed");
    } finally {
      await second.close();
    }
    const finished = JSON.parse(moto.get(`${PREFIX}.bucketforge/manifest.json`));
    assert.equal(finished.status, "complete");
    for (const [file, content] of Object.entries(COUNTER_FILES)) {
      assert.equal(moto.get(PREFIX + file), content, file);
    }
  });

  it("records the cancel when a logout or `kill` ends the app mid-run", async () => {
    await llm.stop();
    llm = await startScriptedLlm(
      projectScript({ name: "Closed Counter", files: COUNTER_FILES, apiKey: LLM_KEY, slowFiles: ["src/App.jsx", "README.md"] }),
      llm.port,
    );
    const run = await launch({ name: "interrupted-killed", home });
    const record = "projects/e2e/logged-out/.bucketforge/manifest.json";
    try {
      await startGenerating(run.app, "A counter, stopped by a logout", "Logged Out");
      await eventually(async () => {
        const current = await latestRun(run.app);
        return current && Object.values(await fileStatuses(current)).includes("uploaded");
      }, "a file uploaded", 30_000);
      // The newest BucketForge process is this window's (the suites run one at a time).
      const pid = Number(execFileSync("pgrep", ["-n", "-x", "bucketforge"], { encoding: "utf8" }).trim());
      process.kill(pid, "SIGTERM");
      await eventually(() => JSON.parse(moto.get(record)).status === "cancelled", "the cancel in the record", 20_000);
    } finally {
      await run.close();
    }
    assert.equal(JSON.parse(moto.get(record)).lease, undefined);
  });
});
