// End to end (issue 4): the Settings screen against moto, Garage (which checks signatures for
// real, so a wrong secret is refused) and the scripted LLM server; then the home folder and the captured logs are searched for the
// secrets typed in: there must be none.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { By, cli, click, eventually, launch, makeHome, saveFailures, screenshot, selectOption, until } from "./driver.mjs";
import { startGarage, startMoto, startScriptedLlm } from "./servers.mjs";

const LLM_KEY = "sk-e2e-settings-91c3f0aa57";
const MODEL = "e2e-model";
const WRONG_SECRET = "wrongSecretE2eKq7Zt2Vb9Np4Lx8Hd3Fs6";

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

async function testResult(app, which) {
  await click(app, await app.findElement(By.css(`[data-testid=${which}-test]`)));
  return eventually(async () => {
    const results = await app.findElements(By.css(`[data-testid=${which}-result]`));
    if (results.length === 0) return null;
    const result = await results[0].getAttribute("data-result");
    return result ? { result, text: await results[0].getText() } : null;
  }, `the ${which} test result`, 30_000);
}

async function storageSettings(app, server, secret) {
  await type(app, "endpoint", server.endpoint);
  await type(app, "bucket", server.bucket);
  await type(app, "region", server.region);
  const pathStyle = await app.findElement(By.css("input[name=path-style]"));
  if (!(await pathStyle.isSelected())) await click(app, pathStyle);
  await type(app, "access-key-id", server.accessKeyId);
  const field = await app.findElement(By.css("[data-testid=secret-secret-access-key]"));
  const replace = await field.findElements(By.xpath(".//button[normalize-space()='Replace']"));
  if (replace.length) await click(app, replace[0]);
  await type(app, "secret-access-key", secret);
}

describe("the Settings screen", () => {
  let moto;
  let garage;
  let llm;
  let run;

  before(async () => {
    moto = await startMoto();
    garage = await startGarage();
    llm = await startScriptedLlm({ api_key: LLM_KEY, models: [MODEL], replies: {} });
    // The keyring is the OS user's, shared by every suite in this run: start with neither secret
    // saved, as on a first run, whatever earlier suites left there.
    const home = makeHome();
    for (const secret of ["s3-secret-key", "custom-api-key"]) cli(home, ["config", "delete-secret", secret]);
    run = await launch({ name: "settings", home });
  });

  after(async () => {
    await run?.close();
    await llm?.stop();
    await garage?.stop();
    await moto?.stop();
  });

  it("connects to an S3-compatible bucket (moto) and says so", async () => {
    const { app } = run;
    const skip = await app.wait(until.elementLocated(By.xpath("//button[normalize-space()='Set up storage and AI myself']")), 20_000);
    await click(app, skip);
    await click(app, await app.wait(until.elementLocated(By.css("input[name=storage-kind][value=s3-compatible]")), 10_000));
    await storageSettings(app, { ...moto, region: "us-east-1" }, moto.secretAccessKey);
    const outcome = await testResult(app, "storage");
    assert.equal(outcome.result, "success", outcome.text);
    await screenshot(app, "settings-storage-connected");
    const saved = await app.findElement(By.css("[data-testid=secret-secret-access-key]")).getAttribute("data-saved");
    assert.equal(saved, "true");
  });

  it("connects to the LLM with a key typed once, then offers the models it lists", async () => {
    const { app } = run;
    await selectOption(app, "select[name=llm-provider]", "custom");
    await type(app, "llm-base-url", llm.openaiBaseUrl);
    await type(app, "llm-api-key", LLM_KEY);
    // This server lists its models only to a caller with the key, and the key is not saved yet:
    // the picker offers a name field, as it does for any custom server.
    await type(app, "llm-model-custom", MODEL);
    const outcome = await testResult(app, "llm");
    assert.equal(outcome.result, "success", outcome.text);
    // Test connection saved the key and read the list with it: the model is now picked from it.
    await eventually(
      async () => (await app.findElements(By.css("[name=llm-model-custom]"))).length === 0,
      "the name field to give way to the model list",
    );
    await selectOption(app, "select[name=llm-model]", MODEL);
    await screenshot(app, "settings-llm-connected");
  });

  it("a wrong secret key is refused by a bucket that checks signatures (Garage), in words", async () => {
    const { app } = run;
    await storageSettings(app, garage, WRONG_SECRET);
    const outcome = await testResult(app, "storage");
    assert.equal(outcome.result, "error");
    assert.match(outcome.text, /secret access key does not match/i);
    await screenshot(app, "settings-wrong-secret");
  });

  it("the right secret for the same bucket connects", async () => {
    const { app } = run;
    await storageSettings(app, garage, garage.secretAccessKey);
    const outcome = await testResult(app, "storage");
    assert.equal(outcome.result, "success", outcome.text);
  });

  it("leaves no secret in the settings, the data folders or the logs", async () => {
    await run.close();
    const log = run.driver.logFile;
    for (const secret of [moto.secretAccessKey, garage.secretAccessKey, LLM_KEY, WRONG_SECRET]) {
      assert.deepEqual(filesContaining(run.home, secret, [log]), [], "a secret was written to disk or a log");
    }
    // The settings file itself was written, and points at the last bucket tested.
    const settings = JSON.parse(readFileSync(path.join(run.home, ".config", "bucketforge", "settings.json"), "utf8"));
    assert.equal(settings.storage.endpoint, garage.endpoint);
    assert.equal(settings.llm.provider, "custom");
    assert.equal(settings.llm.model, MODEL);
  });
});
