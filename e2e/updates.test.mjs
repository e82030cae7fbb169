// End to end: BucketForge's own updates in the real window. A server on 127.0.0.1 serves a
// latest.json announcing a newer version and its download, signed with a key pair made for the
// test by `tauri signer` (the test build trusts it through BUCKETFORGE_TEST_UPDATE_PUBKEY; a
// release trusts only tauri.conf.json's). The app runs "as an AppImage": APPIMAGE names a file
// standing for the installed app, which an install replaces.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { By, click, eventually, goTo, heading, launchFor, makeHome, saveFailures, screenshot, until } from "./driver.mjs";
import { freePort } from "./servers.mjs";

saveFailures(import.meta.url);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const current = /^version = "(\d+)\.(\d+)\.(\d+)"/m.exec(readFileSync(path.join(root, "Cargo.toml"), "utf8"));
const NEXT = `${current[1]}.${Number(current[2]) + 1}.0`;
const TARGET = "linux-x86_64";

/** `npx tauri signer …` from the repository, where the CLI is installed. */
function signer(args) {
  return execFileSync("npx", ["tauri", "signer", ...args], { cwd: root, encoding: "utf8" });
}

/** A key pair made now, in a folder of its own. */
function makeKey() {
  const dir = mkdtempSync(path.join(tmpdir(), "bf-release-key-"));
  const key = path.join(dir, "release.key");
  signer(["generate", "--ci", "-p", "", "-w", key]);
  return {
    public: readFileSync(`${key}.pub`, "utf8").trim(),
    /** The signature latest.json carries for `bytes`, bound to `version`. */
    sign(bytes, version) {
      const file = path.join(dir, `artifact-${Math.random().toString(16).slice(2)}`);
      writeFileSync(file, bytes);
      signer(["sign", "--app-version", version, "-f", key, "-p", "", file]);
      return readFileSync(`${file}.sig`, "utf8").trim();
    },
  };
}

/** What an AppImage install accepts: an ELF file's first bytes, then `label`. */
function appImage(label) {
  const bytes = Buffer.alloc(4096);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(bytes);
  Buffer.from(label).copy(bytes, 8);
  return bytes;
}

/** An HTTP server on 127.0.0.1 serving `files` (name → bytes), which the test may change. */
async function releaseServer(t) {
  const files = new Map();
  const requests = [];
  const server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url, "http://x").pathname.slice(1));
    requests.push(name);
    const body = files.get(name);
    res.writeHead(body ? 200 : 404, { "Content-Length": body ? body.length : 0 });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const url = (name) => `http://127.0.0.1:${server.address().port}/${name}`;
  return {
    files,
    requests,
    url,
    /** latest.json announcing `version`, downloads by target name → [file name, signature]. */
    publish(version, platforms) {
      const entries = Object.entries(platforms).map(([target, [name, signature]]) => [target, { url: url(name), signature }]);
      files.set(
        "latest.json",
        Buffer.from(JSON.stringify({ version, notes: `What is new in ${version}.`, pub_date: "2026-12-01T09:30:00Z", platforms: Object.fromEntries(entries) })),
      );
    },
  };
}

function settings(updates) {
  return { schema_version: 1, storage: { kind: "local" }, llm: { provider: "openai" }, onboarded: true, updates };
}

/** Every file under `dir`, as text. */
function textUnder(dir) {
  let text = "";
  for (const entry of readdirSync(dir, { recursive: true })) {
    const file = path.join(dir, entry);
    if (statSync(file).isFile()) text += readFileSync(file, "utf8");
  }
  return text;
}

async function updatesCard(app) {
  return app.wait(until.elementLocated(By.css("[data-testid=updates]")), 20_000);
}

/** The card's outcome of `kind` (available, error, installed), or null while there is none. */
function result(card, kind) {
  return card.findElement(By.css(`[data-testid=update-result][data-result=${kind}]`)).catch(() => null);
}

describe("updates", () => {
  it("announce a newer version at start, refuse a download that doesn't match its signature, then install the signed one", async (t) => {
    const key = makeKey();
    const server = await releaseServer(t);
    const signed = appImage(`BucketForge ${NEXT}`);
    server.files.set("BucketForge.AppImage", Buffer.from(appImage("tampered with after signing")));
    server.publish(NEXT, { [TARGET]: ["BucketForge.AppImage", key.sign(signed, NEXT)] });

    const installedDir = mkdtempSync(path.join(tmpdir(), "bf-installed-"));
    const installed = path.join(installedDir, "BucketForge.AppImage");
    const before = appImage("the version installed now");
    writeFileSync(installed, before);

    const home = makeHome(settings({ check_at_start: true, address: server.url("latest.json") }));
    const { app } = await launchFor(t, {
      name: "updates-install",
      home,
      env: { APPIMAGE: installed, BUCKETFORGE_TEST_UPDATE_PUBKEY: key.public },
    });

    // The quiet check at start finds it: the sidebar says so, and Settings offers to install.
    const notice = await app.wait(until.elementLocated(By.css("[data-testid=update-notice]")), 30_000);
    assert.equal(await notice.getText(), `Version ${NEXT} is available`);
    await click(app, notice);
    assert.equal(await heading(app), "Settings");
    const card = await updatesCard(app);
    const available = await eventually(() => result(card, "available"), "the update to be offered");
    assert.match(await available.getText(), new RegExp(`Version ${NEXT.replaceAll(".", "\\.")} is available`));
    assert.match(await available.getText(), new RegExp(`What is new in ${NEXT.replaceAll(".", "\\.")}`));
    assert.deepEqual(server.requests, ["latest.json"]);
    await screenshot(app, "update-available");

    // The file on the server is not the one signed: refused, in words, and nothing replaced.
    const install = () => card.findElement(By.xpath(`.//button[normalize-space()='Install version ${NEXT}']`));
    await click(app, await install());
    const refused = await eventually(() => result(card, "error"), "the refusal");
    const message = await refused.getText();
    assert.match(message, /does not carry BucketForge's signature/);
    assert.match(message, /nothing changed/);
    assert.deepEqual(readFileSync(installed), before);
    await screenshot(app, "update-refused");

    // The signed file: installed over the AppImage, to run from the next start.
    server.files.set("BucketForge.AppImage", Buffer.from(signed));
    await click(app, await install());
    const done = await eventually(() => result(card, "installed"), "the install", 60_000);
    assert.equal(await done.getText(), `Version ${NEXT} is installed. It opens the next time you start BucketForge.`);
    assert.deepEqual(readFileSync(installed), signed);
    assert.deepEqual(server.requests, ["latest.json", "BucketForge.AppImage", "BucketForge.AppImage"]);
    assert.deepEqual(await app.findElements(By.css("[data-testid=update-notice]")), []);
  });

  it("with no server to ask, show nothing at start and a clear error on a manual check", async (t) => {
    const port = await freePort();
    const address = `http://127.0.0.1:${port}/latest.json`;
    const home = makeHome(settings({ check_at_start: true, address }));
    const { app } = await launchFor(t, { name: "updates-no-server", home });
    assert.equal(await heading(app), "Generate an app");

    // The start check ran and failed: its log line is the signal; the window says nothing.
    const logs = path.join(home, ".local", "share");
    await eventually(() => {
      const text = textUnder(logs);
      return /update_check/.test(text) && /could not reach/.test(text);
    }, "the start check to be logged");
    assert.deepEqual(await app.findElements(By.css("[role=alert]")), []);
    assert.deepEqual(await app.findElements(By.css("[data-testid=update-notice]")), []);
    await goTo(app, "Settings");
    const card = await updatesCard(app);
    assert.deepEqual(await card.findElements(By.css("[data-testid=update-result]")), []);

    await click(app, await card.findElement(By.xpath(".//button[normalize-space()='Check for updates']")));
    const failed = await eventually(() => result(card, "error"), "the check's error");
    const message = await failed.getText();
    assert.match(message, new RegExp(`could not reach ${address.replaceAll(".", "\\.")}`));
    assert.match(message, /Check your internet connection/);
    await screenshot(app, "update-no-server");
  });

  it("in a copy installed from the .deb, link the new installer instead of replacing anything", async (t) => {
    const debs = readdirSync(path.join(root, "target", "release", "bundle", "deb")).filter((f) => f.endsWith(".deb"));
    assert.equal(debs.length, 1, "scripts/bundle.sh builds the .deb before the end-to-end tests");
    const unpacked = mkdtempSync(path.join(tmpdir(), "bf-deb-"));
    execFileSync("dpkg-deb", ["-x", path.join(root, "target", "release", "bundle", "deb", debs[0]), unpacked]);
    const binary = path.join(unpacked, "usr", "bin", "bucketforge");

    const server = await releaseServer(t);
    const debName = `BucketForge_${NEXT}_amd64.deb`;
    server.publish(NEXT, {
      [TARGET]: ["BucketForge.AppImage", "not used"],
      [`${TARGET}-deb`]: [debName, "not used either"],
    });
    const home = makeHome(settings({ check_at_start: false, address: server.url("latest.json") }));
    const { app } = await launchFor(t, { name: "updates-deb", home, application: binary });
    await goTo(app, "Settings");
    const card = await updatesCard(app);
    await click(app, await card.findElement(By.xpath(".//button[normalize-space()='Check for updates']")));
    await eventually(() => result(card, "available"), "the update to be found");
    assert.match(await card.findElement(By.css("[data-testid=update-download]")).getText(), /installed from a \.deb package/);
    assert.equal(await card.findElement(By.css("[data-testid=update-download-url]")).getText(), server.url(debName));
    assert.deepEqual(await card.findElements(By.xpath(".//button[starts-with(normalize-space(), 'Install')]")), []);
    assert.deepEqual(server.requests, ["latest.json"]);
    await screenshot(app, "update-deb");
  });
});
