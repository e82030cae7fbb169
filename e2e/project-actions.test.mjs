// End to end (issue 18): what the project page does to the bucket, checked outside the app. A
// share link copied in the window downloads the file's exact bytes, and the same link with one
// character of its signature changed, or with no signature, is refused, by Garage and by the
// built-in bucket (both check signatures; moto does not). Deleting a project from the Projects
// screen removes its objects, read with an S3 client of our own, and no other project's.
// Each test has its own servers, home, keyring and window.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { objectsIn, projectFilesIn, zipContents } from "./bucket.mjs";
import {
  builtInHome,
  By,
  click,
  clipboardText,
  configuredHome,
  eventually,
  generateProject,
  goTo,
  launchFor,
  saveFailures,
  screenshot,
  serverFor,
  until,
} from "./driver.mjs";
import { COUNTER_FILES } from "./projects.mjs";
import { projectScript, startGarage, startMoto, startScriptedLlm } from "./servers.mjs";

const LLM_KEY = "sk-e2e-project-actions-47d2e9b1";
const SHARED_FILE = "src/App.jsx";

saveFailures(import.meta.url);

/** A scripted LLM server for the test `t` that writes the counter project. */
function counterLlm(t) {
  return serverFor(t, startScriptedLlm(projectScript({ name: "Click Counter", files: COUNTER_FILES, apiKey: LLM_KEY })));
}

/** Opens the project `slug` from the Projects screen. */
async function openProject(app, slug) {
  await goTo(app, "Projects");
  await click(app, await app.wait(until.elementLocated(By.css(`[data-testid=project-row][data-slug=${slug}]`)), 20_000));
  await app.wait(until.elementLocated(By.css("[data-testid=project-details]")), 20_000);
}

/** Clicks Copy share link for `file` of the open project; returns the link the clipboard holds. */
async function copyShareLink(app, file) {
  await click(app, await app.wait(until.elementLocated(By.css(`[data-testid=file-item][data-path='${file}']`)), 20_000));
  await app.wait(until.elementLocated(By.css(`[data-testid=code-viewer][data-path='${file}']`)), 20_000);
  await click(app, await app.findElement(By.xpath("//button[normalize-space()='Copy share link']")));
  await app.wait(until.elementLocated(By.xpath("//*[@role='status'][starts-with(normalize-space(), 'Link copied.')]")), 20_000);
  return eventually(() => {
    const text = clipboardText().trim();
    return text.includes("X-Amz-Signature=") ? text : null;
  }, "the link on the clipboard", 10_000);
}

/** `link` with the last character of its signature changed, and nothing else. */
function withTamperedSignature(link) {
  const match = /[?&]X-Amz-Signature=([0-9a-f]{64})(?=&|$)/.exec(link);
  assert.ok(match, `no X-Amz-Signature in ${link}`);
  const end = match.index + match[0].length;
  const last = link[end - 1];
  return `${link.slice(0, end - 1)}${last === "0" ? "1" : "0"}${link.slice(end)}`;
}

/** What fetching `url` gives: the status and the body's bytes. */
async function download(url) {
  const response = await fetch(url);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

/**
 * The share link downloads exactly `expected`; changing one character of its signature, or
 * leaving the signature out, gets a refusal instead of the file.
 */
async function assertLinkServesOnlyAsSigned(link, expected) {
  const signed = await download(link);
  assert.equal(signed.status, 200, `the link was refused: ${signed.body}`);
  assert.deepEqual(signed.body, expected, "the link's download is not the file's bytes");

  const tampered = await download(withTamperedSignature(link));
  assert.equal(tampered.status, 403, `a tampered signature got ${tampered.status}: ${tampered.body}`);
  assert.match(tampered.body.toString(), /SignatureDoesNotMatch|AccessDenied|signature/i);
  assert.ok(!tampered.body.includes(expected), "the refusal carries the file");

  const unsigned = await download(link.slice(0, link.indexOf("?")));
  assert.equal(unsigned.status, 403, `a link without its signature got ${unsigned.status}: ${unsigned.body}`);
  assert.ok(!unsigned.body.includes(expected), "the refusal carries the file");
}

describe("a share link", () => {
  it("from Garage downloads the file's exact bytes, and Garage refuses it with a changed signature", async (t) => {
    const garage = await serverFor(t, startGarage());
    const llm = await counterLlm(t);
    const home = configuredHome(garage, llm.openaiBaseUrl, LLM_KEY);
    generateProject(home, ["--idea", "A click counter", "--name", "Click Counter"]);
    const inGarage = projectFilesIn(garage, "projects/e2e/click-counter/");
    assert.deepEqual(inGarage[SHARED_FILE]?.bytes, Buffer.from(COUNTER_FILES[SHARED_FILE]), "Garage holds what the model wrote");

    const { app } = await launchFor(t, { name: "share-garage", home });
    await openProject(app, "click-counter");
    const link = await copyShareLink(app, SHARED_FILE);
    assert.ok(link.startsWith(`${garage.endpoint}/${garage.bucket}/projects/e2e/click-counter/`), link);
    assert.match(await app.findElement(By.xpath("//*[@role='status'][starts-with(normalize-space(), 'Link copied.')]")).getText(), /Anyone with it can download/);
    await screenshot(app, "share-link-garage");
    await assertLinkServesOnlyAsSigned(link, inGarage[SHARED_FILE].bytes);
  });

  it("to the whole project downloads a zip whose entries are the project's files in Garage", async (t) => {
    const garage = await serverFor(t, startGarage());
    const llm = await counterLlm(t);
    const home = configuredHome(garage, llm.openaiBaseUrl, LLM_KEY);
    generateProject(home, ["--idea", "A click counter", "--name", "Click Counter"]);
    const inGarage = projectFilesIn(garage, "projects/e2e/click-counter/");

    const { app } = await launchFor(t, { name: "share-project", home });
    await openProject(app, "click-counter");
    await app.wait(until.elementLocated(By.css("[data-testid=code-viewer]")), 20_000);
    await click(app, await app.findElement(By.xpath("//button[normalize-space()='Copy project link']")));
    const said = await app.wait(until.elementLocated(By.xpath("//*[@role='status'][starts-with(normalize-space(), 'Link copied.')]")), 30_000);
    assert.match(await said.getText(), /Anyone with it can download a \.zip of the whole project \(\d+ files/);
    const link = await eventually(() => {
      const text = clipboardText().trim();
      return text.includes(".zip?") && text.includes("X-Amz-Signature=") ? text : null;
    }, "the project link on the clipboard", 10_000);
    assert.ok(link.startsWith(`${garage.endpoint}/${garage.bucket}/projects/e2e/click-counter/.bucketforge/exports/`), link);
    await screenshot(app, "share-project-garage");

    const signed = await download(link);
    assert.equal(signed.status, 200, `the link was refused: ${signed.body}`);
    const dir = mkdtempSync(path.join(os.tmpdir(), "bucketforge-share-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const zip = path.join(dir, "click-counter.zip");
    writeFileSync(zip, signed.body);
    const entries = zipContents(zip);
    assert.deepEqual(Object.keys(entries).sort(), Object.keys(inGarage).map((p) => `click-counter/${p}`).sort());
    for (const [file, { bytes }] of Object.entries(inGarage)) {
      assert.deepEqual(entries[`click-counter/${file}`], bytes, `${file} in the zip is not the bytes in Garage`);
    }
    const tampered = await download(withTamperedSignature(link));
    assert.equal(tampered.status, 403, `a tampered signature got ${tampered.status}`);
  });

  it("from the built-in bucket downloads the file's exact bytes, and the bucket refuses it with a changed signature", async (t) => {
    const llm = await counterLlm(t);
    const home = builtInHome(llm.openaiBaseUrl, LLM_KEY);
    generateProject(home, ["--idea", "A click counter", "--name", "Click Counter"]);

    const { app } = await launchFor(t, { name: "share-built-in", home });
    await openProject(app, "click-counter");
    const link = await copyShareLink(app, SHARED_FILE);
    assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\//, "the built-in bucket listens on this computer only");
    assert.match(await app.findElement(By.xpath("//*[@role='status'][starts-with(normalize-space(), 'Link copied.')]")).getText(), /only on this computer/);
    await screenshot(app, "share-link-built-in");
    // The link works while the window that serves the bucket is open.
    await assertLinkServesOnlyAsSigned(link, Buffer.from(COUNTER_FILES[SHARED_FILE]));
  });
});

describe("deleting a project", () => {
  it("from the Projects screen removes its objects from the bucket, and no other project's", async (t) => {
    const moto = await serverFor(t, startMoto());
    const llm = await counterLlm(t);
    const home = configuredHome(moto, llm.openaiBaseUrl, LLM_KEY);
    generateProject(home, ["--idea", "A click counter", "--name", "Delete Me"]);
    generateProject(home, ["--idea", "A click counter", "--name", "Keep Me"]);
    const kept = objectsIn(moto, "projects/e2e/keep-me/");
    const doomed = objectsIn(moto, "projects/e2e/delete-me/");
    assert.ok(Object.keys(doomed).includes("projects/e2e/delete-me/.bucketforge/manifest.json"));
    assert.ok(Object.keys(doomed).includes("projects/e2e/delete-me/.bucketforge/revisions/1.json"));
    assert.equal(Object.keys(doomed).length, Object.keys(COUNTER_FILES).length + 2, "every file, the record and version 1 are there");

    const { app } = await launchFor(t, { name: "delete", home });
    await openProject(app, "delete-me");
    await click(app, await app.findElement(By.xpath("//button[normalize-space()='Delete']")));
    const dialog = await app.wait(until.elementLocated(By.css("[role=dialog], [role=alertdialog]")), 10_000);
    assert.match(await dialog.getText(), new RegExp(`removes its ${Object.keys(COUNTER_FILES).length} files`));
    await screenshot(app, "delete-confirm");
    await click(app, await dialog.findElement(By.xpath(".//button[normalize-space()='Delete project']")));

    // Back on the list, without the project.
    await app.wait(until.elementLocated(By.css("[data-testid=project-row][data-slug=keep-me]")), 20_000);
    await eventually(
      async () => (await app.findElements(By.css("[data-testid=project-row][data-slug=delete-me]"))).length === 0,
      "the deleted project to leave the list",
    );
    await screenshot(app, "delete-done");
    // The bucket, read with our own S3 client: nothing of it is left, the other project is untouched.
    assert.deepEqual(objectsIn(moto, "projects/e2e/delete-me/"), {});
    assert.deepEqual(objectsIn(moto, "projects/e2e/keep-me/"), kept);
  });
});
