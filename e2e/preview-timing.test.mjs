// End to end (issue 8): how long a 20-file project's preview takes to show in the real window,
// from the built-in bucket and from moto. The preview pane times each open itself, from opening
// (or Reload) to the app's first content on screen; this prints the first open and the p50 and
// p90 of the reopens. Timings are printed, never asserted (machines here are shared and noisy);
// what is asserted is that every open shows the whole app.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { builtInHome, By, click, configuredHome, eventually, generateProject, goTo, launch, saveFailures, screenshot, until } from "./driver.mjs";
import { TWENTY_FILES } from "./projects.mjs";
import { projectScript, startMoto, startScriptedLlm } from "./servers.mjs";

const LLM_KEY = "sk-e2e-timing-5a1d93e0";
const REOPENS = 10;
const PARTS = ["--idea", "Fourteen counters", "--name", "Parts"];

saveFailures(import.meta.url);

/** The window being measured; one that fails stays open for the failure hook and `after`. */
let measured;

/** The pane's own figure for the frame on screen, once the whole app shows in it. */
async function shownIn(app) {
  const ms = await eventually(async () => {
    const timing = await app.findElements(By.css("[data-testid=preview-render-ms]"));
    return timing.length ? Number(await timing[0].getAttribute("data-ms")) : null;
  }, "the preview's time to show");
  const frame = await app.findElement(By.css("[data-testid=preview-frame]"));
  await app.switchTo().frame(frame);
  const buttons = await app.wait(until.elementsLocated(By.css("main button")), 20_000);
  assert.equal(buttons.length, 14, "all 14 parts on screen");
  assert.equal(await buttons[13].getText(), "Part 13: 0");
  await app.switchTo().defaultContent();
  return ms;
}

async function measure(home, name) {
  measured = await launch({ name: `preview-timing-${name}`, home });
  const { app } = measured;
  await goTo(app, "Projects");
  await click(app, await app.wait(until.elementLocated(By.css("[data-testid=project-row][data-slug=parts]")), 20_000));
  await click(app, await app.wait(until.elementLocated(By.xpath("//button[normalize-space()='Preview']")), 20_000));
  const first = await shownIn(app);
  await screenshot(app, `preview-timing-${name}`);
  const reopens = [];
  const reload = By.xpath("//button[normalize-space()='Reload']");
  for (let i = 0; i < REOPENS; i += 1) {
    await click(app, await app.findElement(reload));
    reopens.push(await shownIn(app));
  }
  await measured.close();
  return { first, reopens };
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

describe("the preview's time to show", () => {
  let moto;
  let llm;

  before(async () => {
    moto = await startMoto();
    llm = await startScriptedLlm(projectScript({ name: "Parts", files: TWENTY_FILES, apiKey: LLM_KEY }));
  });

  after(async () => {
    await measured?.close();
    await llm?.stop();
    await moto?.stop();
  });

  it("is measured by the pane for a 20-file project, from the built-in bucket and from moto", async () => {
    const builtIn = builtInHome(llm.openaiBaseUrl, LLM_KEY);
    generateProject(builtIn, PARTS);
    const remote = configuredHome(moto, llm.openaiBaseUrl, LLM_KEY);
    generateProject(remote, PARTS);
    assert.equal(moto.list("projects/e2e/parts/").filter((k) => !k.includes("/.bucketforge/")).length, Object.keys(TWENTY_FILES).length);

    const rows = [];
    for (const [name, home] of [["built-in", builtIn], ["moto", remote]]) {
      const { first, reopens } = await measure(home, name);
      assert.ok(first > 0 && reopens.every((ms) => ms > 0), `${name}: ${first} ${reopens}`);
      rows.push(`| ${name.padEnd(8)} | ${String(first).padStart(8)} ms | ${String(percentile(reopens, 50)).padStart(8)} ms | ${String(percentile(reopens, 90)).padStart(8)} ms |`);
    }
    console.log(
      [
        `preview of a 20-file project, opening to first content on screen (${REOPENS} reopens each):`,
        "| bucket   | first open  | reopen p50  | reopen p90  |",
        "|----------|-------------|-------------|-------------|",
        ...rows,
      ].join("\n"),
    );
  });
});
