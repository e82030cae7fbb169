// The screenshot check on its own, with images ImageMagick draws: no app and no window needed.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { ARTIFACTS, BLANK_MAX_COLOURS, countColours, saveFailures, screenshot } from "./driver.mjs";

saveFailures(import.meta.url);

const scratch = mkdtempSync(path.join(tmpdir(), "bf-screenshot-"));
const saved = [];

after(() => {
  rmSync(scratch, { recursive: true, force: true });
  for (const file of saved) rmSync(file, { force: true });
});

/** A PNG drawn by ImageMagick's convert from `args` (its size and what to draw). */
function image(name, ...args) {
  const file = path.join(scratch, `${name}.png`);
  execFileSync("convert", [...args, file]);
  return file;
}

/** Stands in for a WebDriver session whose window shows the image `file`. */
function windowShowing(file) {
  return { executeScript: async () => {}, takeScreenshot: async () => readFileSync(file, "base64") };
}

/** Takes a screenshot under a name of this test's own, removed when the tests end. */
function shoot(session, name) {
  saved.push(path.join(ARTIFACTS, `screenshot-check-${name}.png`));
  return screenshot(session, `screenshot-check-${name}`, { patienceMs: 1_000 });
}

describe("counting colours", () => {
  it("counts one colour in a flat image and two in one with a single box drawn on it", () => {
    assert.equal(countColours(image("flat", "-size", "320x200", "xc:white")), 1);
    assert.equal(
      countColours(image("box", "-size", "320x200", "xc:white", "-fill", "#1e293b", "-draw", "rectangle 20,20 300,60")),
      2,
    );
  });

  it("counts every shade of a gradient", () => {
    assert.equal(countColours(image("shades", "-size", "320x256", "gradient:#0f172a-#e2e8f0")), 256);
  });
});

describe("a screenshot", () => {
  it("fails when the window shows a single colour, and still saves the image to look at", async () => {
    await assert.rejects(
      shoot(windowShowing(image("white", "-size", "1180x780", "xc:white")), "white"),
      /the window shows only 1 colour: blank/,
    );
    assert.equal(countColours(saved.at(-1)), 1);
  });

  it("fails when the window shows a background and one flat box", async () => {
    const boxed = image("boxed", "-size", "1180x780", "xc:#0f172a", "-fill", "#1e293b", "-draw", "rectangle 0,0 220,780");
    await assert.rejects(shoot(windowShowing(boxed), "boxed"), /the window shows only 2 colours: blank/);
  });

  it("waits for a window that paints late: a blank frame first, then the painted one", async () => {
    const blank = image("late-blank", "-size", "1180x780", "xc:white");
    const painted = image("late-painted", "-size", "320x256", "gradient:#0f172a-#e2e8f0");
    let shots = 0;
    const late = { executeScript: async () => {}, takeScreenshot: async () => readFileSync(shots++ < 2 ? blank : painted, "base64") };
    assert.equal(await shoot(late, "late"), saved.at(-1));
    assert.equal(shots, 3, "the blank frames were taken again until the painted one came");
    assert.equal(countColours(saved.at(-1)), 256);
  });

  it(`counts ${BLANK_MAX_COLOURS} colours as blank and one more as painted`, async () => {
    const most = image("most", "-size", `320x${BLANK_MAX_COLOURS}`, "gradient:white-black");
    await assert.rejects(shoot(windowShowing(most), "most"), new RegExp(`only ${BLANK_MAX_COLOURS} colours: blank`));
    const fewest = image("fewest", "-size", `320x${BLANK_MAX_COLOURS + 1}`, "gradient:white-black");
    assert.equal(await shoot(windowShowing(fewest), "fewest"), saved.at(-1));
  });

  it("passes a window with many colours and returns where it saved it", async () => {
    const painted = image("painted", "-size", "1180x780", "gradient:#0f172a-#e2e8f0");
    const file = await shoot(windowShowing(painted), "painted");
    assert.equal(file, path.join(ARTIFACTS, "screenshot-check-painted.png"));
    assert.deepEqual(readFileSync(file), readFileSync(painted));
  });
});
