// End to end (issue 4): the Settings screen against moto, Garage (which checks signatures for
// real, so a wrong secret is refused) and the scripted LLM server; what is saved is shown again
// after a restart; and the home folder and the captured logs are searched for the secrets typed
// in: there must be none. Each test has a home, a keyring and a window of its own.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { By, click, eventually, goTo, launchFor, makeHome, saveFailures, screenshot, selectOption, until } from "./driver.mjs";
import { startGarage, startMoto, startScriptedLlm } from "./servers.mjs";

const LLM_KEY = "sk-e2e-settings-91c3f0aa57";
// Not a name any provider suggests: the picker can only offer it by asking the server.
const MODEL = "e2e-listed-model-7";
const WRONG_SECRET = "wrongSecretE2eKq7Zt2Vb9Np4Lx8Hd3Fs6";
/** Onboarded, on the built-in bucket: the window opens on Generate, Settings one click away. */
const READY = { schema_version: 1, storage: { kind: "local" }, llm: { provider: "openai" }, onboarded: true };

saveFailures(import.meta.url);

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(full);
    return entry.isFile() ? [full] : [];
  });
}

/** Every file under `dir` (and `extra` files) that contains `secret`. */
function filesContaining(dir, secret, extra = []) {
  return [...filesUnder(dir), ...extra].filter((file) => {
    if (statSync(file).size > 50 * 1024 * 1024) return false;
    return readFileSync(file).includes(Buffer.from(secret));
  });
}

async function type(app, name, text) {
  const input = await app.wait(until.elementLocated(By.css(`[name='${name}']`)), 10_000);
  await app.executeScript("arguments[0].scrollIntoView({ block: 'center' })", input);
  await input.clear();
  await input.sendKeys(text);
  // A controlled input that re-renders mid-typing can drop keys; catch that here, not later.
  assert.equal(await input.getAttribute("value"), text, `what was typed into ${name}`);
}

async function valueOf(app, name) {
  return (await app.wait(until.elementLocated(By.css(`[name='${name}']`)), 10_000)).getAttribute("value");
}

async function secretSaved(app, name) {
  return (await app.findElement(By.css(`[data-testid=secret-${name}]`)).getAttribute("data-saved")) === "true";
}

async function testResult(app, which) {
  await click(app, await app.findElement(By.css(`[data-testid=${which}-test]`)));
  return eventually(async () => {
    const results = await app.findElements(By.css(`[data-testid=${which}-result]`));
    if (results.length === 0) return null;
    const result = await results[0].getAttribute("data-result");
    return result ? { result, text: await results[0].getText() } : null;
  }, `the ${which} test result`, 30_000);
}

/** The window on the Settings screen, for a home that has finished the welcome. */
async function openSettings(t, name, home = makeHome(READY)) {
  const run = await launchFor(t, { name, home });
  await goTo(run.app, "Settings");
  await run.app.wait(until.elementLocated(By.css("input[name=storage-kind]")), 20_000);
  return run;
}

async function storageSettings(app, server, secret) {
  await click(app, await app.wait(until.elementLocated(By.css("input[name=storage-kind][value=s3-compatible]")), 10_000));
  await type(app, "endpoint", server.endpoint);
  await type(app, "bucket", server.bucket);
  await type(app, "region", server.region ?? "us-east-1");
  const pathStyle = await app.findElement(By.css("input[name=path-style]"));
  if (!(await pathStyle.isSelected())) await click(app, pathStyle);
  await type(app, "access-key-id", server.accessKeyId);
  const field = await app.findElement(By.css("[data-testid=secret-secret-access-key]"));
  const replace = await field.findElements(By.xpath(".//button[normalize-space()='Replace']"));
  if (replace.length) await click(app, replace[0]);
  await type(app, "secret-access-key", secret);
}

/** The custom OpenAI-compatible provider at `baseUrl`, with `key` typed (not saved). */
async function llmSettings(app, baseUrl, key) {
  await selectOption(app, "select[name=llm-provider]", "custom");
  await type(app, "llm-base-url", baseUrl);
  await type(app, "llm-api-key", key);
}

/** The hint under the model picker. */
async function modelHint(app) {
  const select = await app.findElement(By.css("select[name=llm-model]"));
  return app.executeScript("const id = arguments[0].getAttribute('aria-describedby'); return (id && document.getElementById(id)?.textContent) ?? ''", select);
}

describe("the Settings screen", () => {
  let moto;
  let garage;
  let llm;

  before(async () => {
    moto = await startMoto();
    garage = await startGarage();
    // Lists its models only to a caller with the key, as a hosted provider does.
    llm = await startScriptedLlm({ api_key: LLM_KEY, models: [MODEL], replies: {} });
  });

  after(async () => {
    await llm?.stop();
    await garage?.stop();
    await moto?.stop();
  });

  it("connects to an S3-compatible bucket (moto) from the first run, and says so", async (t) => {
    const { app } = await launchFor(t, { name: "settings-moto", home: makeHome() });
    const skip = await app.wait(until.elementLocated(By.xpath("//button[normalize-space()='Set up storage and AI myself']")), 20_000);
    await click(app, skip);
    await storageSettings(app, moto, moto.secretAccessKey);
    const outcome = await testResult(app, "storage");
    assert.equal(outcome.result, "success", outcome.text);
    await screenshot(app, "settings-storage-connected");
    assert.equal(await secretSaved(app, "secret-access-key"), true);
  });

  it("lists the models for a key typed but not yet saved, and connects with the one picked", async (t) => {
    const { app } = await openSettings(t, "settings-models");
    await selectOption(app, "select[name=llm-provider]", "custom");
    await type(app, "llm-base-url", llm.openaiBaseUrl);
    // The address alone: the server refuses to list without its key.
    await eventually(async () => /could not be read/.test(await modelHint(app)), "the picker to say the list could not be read");
    assert.deepEqual(await app.findElements(By.css(`select[name=llm-model] option[value='${MODEL}']`)), []);

    await type(app, "llm-api-key", LLM_KEY);
    // The typed key lists the server's models at the typed address, before anything is saved.
    const option = await app.wait(until.elementLocated(By.css(`select[name=llm-model] option[value='${MODEL}']`)), 20_000);
    assert.equal(await option.getText(), MODEL);
    assert.equal(await secretSaved(app, "llm-api-key"), false, "listing the models saved the key");
    assert.doesNotMatch(await modelHint(app), /could not be read/);
    await selectOption(app, "select[name=llm-model]", MODEL);
    assert.deepEqual(await app.findElements(By.css("[name=llm-model-custom]")), [], "a name field beside a listed model");
    await screenshot(app, "settings-llm-listed");

    const outcome = await testResult(app, "llm");
    assert.equal(outcome.result, "success", outcome.text);
    assert.match(outcome.text, new RegExp(`the model “${MODEL}” is ready`));
    assert.equal(await secretSaved(app, "llm-api-key"), true);
    await screenshot(app, "settings-llm-connected");
  });

  it("a wrong secret key is refused by a bucket that checks signatures (Garage), in words", async (t) => {
    const { app } = await openSettings(t, "settings-garage-wrong");
    await storageSettings(app, garage, WRONG_SECRET);
    const outcome = await testResult(app, "storage");
    assert.equal(outcome.result, "error");
    assert.match(outcome.text, /secret access key does not match/i);
    await screenshot(app, "settings-wrong-secret");
  });

  it("the right secret for the same bucket (Garage) connects", async (t) => {
    const { app } = await openSettings(t, "settings-garage-right");
    await storageSettings(app, garage, garage.secretAccessKey);
    const outcome = await testResult(app, "storage");
    assert.equal(outcome.result, "success", outcome.text);
  });

  it("shows the saved settings and keys again after the app restarts", async (t) => {
    const home = makeHome(READY);
    const first = await openSettings(t, "settings-before-restart", home);
    await storageSettings(first.app, moto, moto.secretAccessKey);
    await llmSettings(first.app, llm.openaiBaseUrl, LLM_KEY);
    await selectOption(first.app, "select[name=llm-model]", MODEL);
    await type(first.app, "user-id", "restart-check");
    await type(first.app, "concurrency", "3");
    await click(first.app, await first.app.findElement(By.xpath("//button[@type='submit'][normalize-space()='Save']")));
    await first.app.wait(until.elementLocated(By.xpath("//*[@role='status'][contains(., 'Settings saved.')]")), 20_000);
    await first.close();

    const { app } = await openSettings(t, "settings-after-restart", home);
    assert.equal(await app.findElement(By.css("input[name=storage-kind][value=s3-compatible]")).isSelected(), true);
    assert.equal(await valueOf(app, "endpoint"), moto.endpoint);
    assert.equal(await valueOf(app, "bucket"), moto.bucket);
    assert.equal(await valueOf(app, "region"), "us-east-1");
    assert.equal(await app.findElement(By.css("input[name=path-style]")).isSelected(), true);
    assert.equal(await valueOf(app, "access-key-id"), moto.accessKeyId);
    assert.equal(await secretSaved(app, "secret-access-key"), true, "the storage secret is shown as saved");
    assert.equal(await valueOf(app, "llm-provider"), "custom");
    assert.equal(await valueOf(app, "llm-base-url"), llm.openaiBaseUrl);
    assert.equal(await secretSaved(app, "llm-api-key"), true, "the LLM key is shown as saved");
    // The saved key lists the models again, with the saved one chosen.
    await app.wait(until.elementLocated(By.css(`select[name=llm-model] option[value='${MODEL}']`)), 20_000);
    assert.equal(await valueOf(app, "llm-model"), MODEL);
    assert.equal(await valueOf(app, "user-id"), "restart-check");
    assert.equal(await valueOf(app, "concurrency"), "3");
    await screenshot(app, "settings-after-restart");
    // And they work: the saved secret and key are the ones typed before the restart.
    const storage = await testResult(app, "storage");
    assert.equal(storage.result, "success", storage.text);
    const model = await testResult(app, "llm");
    assert.equal(model.result, "success", model.text);
  });

  it("leaves no secret in the settings, the data folders or the logs", async (t) => {
    const run = await openSettings(t, "settings-secrets");
    const { app } = run;
    await storageSettings(app, garage, WRONG_SECRET);
    assert.equal((await testResult(app, "storage")).result, "error");
    await storageSettings(app, garage, garage.secretAccessKey);
    const storage = await testResult(app, "storage");
    assert.equal(storage.result, "success", storage.text);
    await llmSettings(app, llm.openaiBaseUrl, LLM_KEY);
    await selectOption(app, "select[name=llm-model]", MODEL);
    const model = await testResult(app, "llm");
    assert.equal(model.result, "success", model.text);
    await run.close();

    for (const secret of [garage.secretAccessKey, LLM_KEY, WRONG_SECRET]) {
      assert.deepEqual(filesContaining(run.home, secret, [run.driver.logFile]), [], "a secret was written to disk or a log");
    }
    // The settings file itself was written, and points at the bucket tested.
    const settings = JSON.parse(readFileSync(path.join(run.home, ".config", "bucketforge", "settings.json"), "utf8"));
    assert.equal(settings.storage.endpoint, garage.endpoint);
    assert.equal(settings.llm.provider, "custom");
    assert.equal(settings.llm.model, MODEL);
  });
});
