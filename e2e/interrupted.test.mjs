// End to end: closing the window in the middle of a run records the run as cancelled (nothing
// is left looking as if it were still being written), and the reopened app offers Resume, which
// finishes the project with every file byte for byte as the model wrote it and leaves the files
// uploaded before the close as they were. Each test has its own LLM server, home and keyring.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertKept, projectFilesIn } from "./bucket.mjs";
import {
  By,
  click,
  closeWindowLikeAPerson,
  configuredHome,
  eventually,
  fileStatuses,
  goTo,
  latestRun,
  launchFor,
  saveFailures,
  screenshot,
  serverFor,
  startGenerating,
  until,
} from "./driver.mjs";
import { changedIfWrittenAgain, COUNTER_FILES } from "./projects.mjs";
import { projectScript, startMoto, startScriptedLlm } from "./servers.mjs";

saveFailures(import.meta.url);

const LLM_KEY = "sk-e2e-interrupted-3c9a17e4";
// Two files take half a minute the first time: the window closes while they stream.
const SLOW_FILES = ["src/App.jsx", "README.md"];

describe("a run interrupted by closing the window", () => {
  let moto;

  before(async () => {
    moto = await startMoto();
  });

  after(async () => moto?.stop());

  /** A home set up for moto and a scripted LLM of the test's own writing `name` slowly. */
  async function slowProjectHome(t, name) {
    const script = projectScript({
      name,
      files: COUNTER_FILES,
      apiKey: LLM_KEY,
      slowFiles: SLOW_FILES,
      replies: changedIfWrittenAgain(COUNTER_FILES, SLOW_FILES),
    });
    const llm = await serverFor(t, startScriptedLlm(script));
    return configuredHome(moto, llm.openaiBaseUrl, LLM_KEY);
  }

  it("records the cancel when the window closes, and Resume in the reopened app finishes it", async (t) => {
    const prefix = "projects/e2e/closed-counter/";
    const home = await slowProjectHome(t, "Closed Counter");
    const first = await launchFor(t, { name: "interrupted-closed", home });
    await startGenerating(first.app, "A counter, closed half-way", "Closed Counter");
    const running = await eventually(async () => {
      const current = await latestRun(first.app);
      if (!current) return null;
      const statuses = await fileStatuses(current);
      return statuses["src/App.jsx"] === "writing" && Object.values(statuses).includes("uploaded") ? statuses : null;
    }, "a file uploaded while the App is still being written", 30_000);
    const landed = Object.entries(running).filter(([, s]) => s === "uploaded").map(([p]) => p);
    closeWindowLikeAPerson();
    // The app records the cancel before it exits.
    await eventually(() => JSON.parse(moto.get(`${prefix}.bucketforge/manifest.json`)).status === "cancelled", "the cancel in the record", 20_000);
    await first.close();
    const record = JSON.parse(moto.get(`${prefix}.bucketforge/manifest.json`));
    assert.equal(record.lease, undefined, "a cancelled run holds no lease");
    const recorded = record.files.map((f) => f.path);
    for (const path of landed) assert.ok(recorded.includes(path), `${path} landed and is recorded: ${recorded}`);
    assert.ok(!recorded.includes("src/App.jsx"), "the file still streaming was not recorded");
    // What the bucket holds before the resume, read with our own S3 client.
    const uploaded = projectFilesIn(moto, prefix);
    assert.deepEqual(Object.keys(uploaded).sort(), [...recorded].sort(), "the record lists what the bucket holds");

    const { app } = await launchFor(t, { name: "interrupted-reopened", home });
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

    const finished = JSON.parse(moto.get(`${prefix}.bucketforge/manifest.json`));
    assert.equal(finished.status, "complete");
    const files = projectFilesIn(moto, prefix);
    assertKept(uploaded, files);
    for (const [file, content] of Object.entries(COUNTER_FILES)) {
      assert.deepEqual(files[file]?.bytes, Buffer.from(content), file);
    }
  });

  it("records the cancel when a logout or `kill` ends the app mid-run", async (t) => {
    const home = await slowProjectHome(t, "Logged Out");
    const run = await launchFor(t, { name: "interrupted-killed", home });
    const record = "projects/e2e/logged-out/.bucketforge/manifest.json";
    await startGenerating(run.app, "A counter, stopped by a logout", "Logged Out");
    await eventually(async () => {
      const current = await latestRun(run.app);
      return current && Object.values(await fileStatuses(current)).includes("uploaded");
    }, "a file uploaded", 30_000);
    process.kill(run.appPid(), "SIGTERM");
    await eventually(() => JSON.parse(moto.get(record)).status === "cancelled", "the cancel in the record", 20_000);
    await run.close();
    assert.equal(JSON.parse(moto.get(record)).lease, undefined);
  });
});
