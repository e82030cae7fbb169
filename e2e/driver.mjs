// Starts tauri-driver and opens WebDriver sessions on the built BucketForge binary, each with
// a home folder of its own (settings, data and WebKit's files all land there), a keyring of its
// own, and its output captured, so tests can search both for anything that must not be there.
// The binary is the release build with the `test-hooks` feature (`npx tauri build --no-bundle
// --features test-hooks`, as scripts/test.sh builds it): the suite reads its call counter.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach } from "node:test";
import { fileURLToPath } from "node:url";
import { Builder, By, until } from "selenium-webdriver";
import { freePort, waitForPort } from "./servers.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const APPLICATION =
  process.env.BUCKETFORGE_APP ?? path.join(root, "target", "release", "bucketforge");
export const CLI = process.env.BUCKETFORGE_CLI ?? APPLICATION;
export const ARTIFACTS = path.join(root, "artifacts", "e2e");

/** The keyring of each home made in this process, by home. */
const keyrings = new Map();

function pause(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A keyring nobody else sees: a D-Bus session bus of its own with an unlocked gnome-keyring on
 * it, its files and control socket in a temp dir. Synchronous, so homes stay plain values.
 */
function startKeyring() {
  const [address, busPid] = execFileSync(
    "dbus-daemon",
    ["--session", "--fork", "--nosyslog", "--print-address=1", "--print-pid=1"],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  )
    .trim()
    .split("\n");
  const dir = mkdtempSync(path.join(tmpdir(), "bf-keyring-"));
  const keyring = { address, pids: [Number(busPid)], dir };
  const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: address, XDG_DATA_HOME: dir };
  // A fresh keyring each time, so an old one's password can never turn into a prompt.
  execFileSync("gnome-keyring-daemon", ["--unlock", "--components=secrets", `--control-directory=${dir}`], {
    env,
    input: "e2e-keyring",
    stdio: ["pipe", "ignore", "inherit"],
  });
  // The daemon's first process returns before the service is on the bus.
  const owner = ["--session", "--print-reply=literal", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus"];
  for (let waited = 0; ; waited += 50) {
    const asked = spawnSync("dbus-send", [...owner, "org.freedesktop.DBus.GetConnectionUnixProcessID", "string:org.freedesktop.secrets"], {
      env,
      encoding: "utf8",
    });
    const pid = asked.status === 0 ? Number(asked.stdout.trim().split(/\s+/).pop()) : NaN;
    // Owning the name comes before the unlocked collection exists: the app's first read in
    // between is told there is no keyring. Ready means the "default" alias names a collection.
    const alias = spawnSync(
      "dbus-send",
      ["--session", "--print-reply=literal", "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets", "org.freedesktop.Secret.Service.ReadAlias", "string:default"],
      { env, encoding: "utf8" },
    );
    const collection = alias.status === 0 ? alias.stdout.trim().split(/\s+/).pop() : "/";
    if (pid > 0 && collection && collection !== "/") {
      keyring.pids.unshift(pid);
      return keyring;
    }
    if (waited > 20_000) {
      stopKeyring(keyring);
      throw new Error(`gnome-keyring did not come up on its own D-Bus session: ${asked.stderr}`);
    }
    pause(50);
  }
}

function stopKeyring(keyring) {
  for (const pid of keyring.pids) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {}
  }
  rmSync(keyring.dir, { recursive: true, force: true });
}

function stopKeyrings() {
  for (const keyring of keyrings.values()) stopKeyring(keyring);
  keyrings.clear();
}

// A suite runs in a process of its own: its keyrings end with it, however it ends.
process.once("exit", stopKeyrings);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    stopKeyrings();
    process.kill(process.pid, signal);
  });
}

/**
 * A fresh home folder with a keyring of its own (so no test sees another's secrets);
 * `settings` (if given) is saved as the app's settings file.
 */
export function makeHome(settings) {
  const home = mkdtempSync(path.join(tmpdir(), "bf-home-"));
  keyrings.set(home, startKeyring());
  if (settings) {
    const dir = path.join(home, ".config", "bucketforge");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify(settings, null, 2));
  }
  return home;
}

/** The environment the app runs with: everything of its own under `home`, and its keyring. */
export function homeEnv(home, extra = {}) {
  const keyring = keyrings.get(home);
  if (!keyring) throw new Error(`${home} was not made by makeHome, so it has no keyring`);
  return {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, ".config"),
    XDG_DATA_HOME: path.join(home, ".local", "share"),
    XDG_CACHE_HOME: path.join(home, ".cache"),
    USER: "e2e",
    DBUS_SESSION_BUS_ADDRESS: keyring.address,
    ...extra,
  };
}

/**
 * Starts tauri-driver (and through it WebKitWebDriver and the app) with `env`; its output
 * and the app's go to artifacts/e2e/<name>.log.
 */
export async function startDriver({ name = "app", env = {} } = {}) {
  const port = await freePort();
  const nativePort = await freePort();
  mkdirSync(ARTIFACTS, { recursive: true });
  const logFile = path.join(ARTIFACTS, `${name}.log`);
  // The output goes straight to the file: a pipe through this process would keep the test run
  // waiting for as long as any process that inherited it lives.
  const log = openSync(logFile, "w");
  const child = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env: { ...process.env, ...env },
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await waitForPort(port);
  return {
    port,
    pid: child.pid,
    logFile,
    log: () => readFileSync(logFile, "utf8"),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Every process below `pid`: tauri-driver's WebKitWebDriver, the app and WebKit's helpers. */
function descendants(pid) {
  const { stdout } = spawnSync("pgrep", ["-P", String(pid)], { encoding: "utf8" });
  return stdout
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .flatMap((child) => [child, ...descendants(child)]);
}

function running(pid) {
  try {
    // A zombie has ended; only its parent's wait is missing.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

function processName(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return String(pid);
  }
}

/**
 * Ends what `stop()` left: WebDriver's quit closes the window and the app with it, but when the
 * quit fails the app would outlive the test run. Says so, so the log shows it.
 */
async function reap(pids, name) {
  const left = () => pids.filter(running);
  const settle = async () => {
    for (let waited = 0; left().length && waited < 5_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
  };
  await settle();
  if (!left().length) return;
  console.error(`${name}: still running after the WebDriver session ended, so stopped: ${left().map(processName).join(", ")}`);
  for (const signal of ["SIGTERM", "SIGKILL"]) {
    for (const pid of left()) {
      try {
        process.kill(pid, signal);
      } catch {}
    }
    await settle();
  }
}

/** Runs the CLI with the app's home (and so its settings and keyring); returns stdout. */
export function cli(home, args, input) {
  return execFileSync(CLI, args, {
    env: { ...process.env, ...homeEnv(home) },
    input,
    encoding: "utf8",
  });
}

/**
 * `bucketforge generate --json` with `home`'s settings (the react stack unless `args` name one);
 * fails unless the project finished.
 */
export function generateProject(home, args) {
  const stack = args.includes("--stack") ? [] : ["--stack", "react"];
  const out = cli(home, ["generate", ...stack, "--json", ...args]);
  const last = JSON.parse(out.trim().split("\n").pop());
  if (last.type !== "finished") throw new Error(`generate did not finish:\n${out}`);
}

/** Settings pointing at an S3 server (moto or Garage) and an OpenAI-compatible LLM server. */
export function remoteSettings(s3, llmBaseUrl, model = "e2e-model") {
  return {
    schema_version: 1,
    storage: {
      kind: "s3-compatible",
      bucket: s3.bucket,
      region: s3.region ?? "us-east-1",
      endpoint: s3.endpoint,
      path_style: true,
      access_key_id: s3.accessKeyId,
    },
    user_id: "e2e",
    llm: { provider: "custom", model, base_url: llmBaseUrl },
    concurrency: 6,
    onboarded: true,
  };
}

/** A home whose settings point at `s3` (moto or Garage) and the LLM, with both secrets in its keyring. */
export function configuredHome(s3, llmBaseUrl, llmKey) {
  const home = makeHome(remoteSettings(s3, llmBaseUrl));
  cli(home, ["config", "set-secret", "s3-secret-key"], s3.secretAccessKey);
  cli(home, ["config", "set-secret", "custom-api-key"], llmKey);
  return home;
}

/** A home on the built-in bucket and an OpenAI-compatible LLM server, its key in its keyring. */
export function builtInHome(llmBaseUrl, llmKey) {
  const home = makeHome({
    schema_version: 1,
    storage: { kind: "local" },
    user_id: "e2e",
    llm: { provider: "custom", model: "e2e-model", base_url: llmBaseUrl },
    concurrency: 6,
    onboarded: true,
  });
  cli(home, ["config", "set-secret", "custom-api-key"], llmKey);
  return home;
}

/** A WebDriver session on the BucketForge window (of `application`, by default the test build). */
export async function openApp(driver, application = APPLICATION) {
  return new Builder()
    .usingServer(`http://127.0.0.1:${driver.port}/`)
    .withCapabilities({ browserName: "wry", "tauri:options": { application } })
    .build();
}

/** The windows open right now, by launch name: what a failing test's evidence is taken from. */
const openWindows = new Map();
let failuresSaved = false;

/** Starts the app for one test suite; `close()` ends the session and the driver. */
export async function launch({ name, home, env = {}, application = APPLICATION }) {
  if (!failuresSaved) throw new Error("call saveFailures(import.meta.url) at the top of the suite before opening a window");
  const driver = await startDriver({ name, env: homeEnv(home, env) });
  let app;
  try {
    app = await openApp(driver, application);
  } catch (e) {
    // No window to close: end what the driver started, so the next test starts clean.
    const pids = descendants(driver.pid);
    await driver.stop();
    await reap(pids, name);
    throw e;
  }
  openWindows.set(name, app);
  let closed = false;
  return {
    app,
    driver,
    home,
    /** The app's own process (WebKit's helpers run beside it). */
    appPid: () => {
      // The kernel keeps the first 15 bytes of a process's name.
      const binary = path.basename(application).slice(0, 15);
      const pid = descendants(driver.pid).find((p) => processName(p) === binary);
      if (!pid) throw new Error(`${name}: no ${binary} process runs under this window's driver`);
      return pid;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      openWindows.delete(name);
      const pids = descendants(driver.pid);
      await app.quit().catch((e) => console.error(`${name}: the WebDriver session did not end cleanly: ${e.message}`));
      await driver.stop();
      await reap(pids, name);
    },
  };
}

/**
 * Starts the app for the test `t` (see `launch`); the window closes when the test ends, after a
 * failing test's window has been saved.
 */
export async function launchFor(t, options) {
  const run = await launch(options);
  t.after(() => run.close());
  return run;
}

/** The server `starting` (from servers.mjs) for the test `t` alone: it stops when the test ends. */
export async function serverFor(t, starting) {
  const server = await starting;
  t.after(() => server.stop());
  return server;
}

/**
 * The window's pixels, from WebKitWebDriver. The window paints with the CPU
 * (src-tauri/src/renderer.rs), and then WebKitGTK's screenshot waits for the page's next paint:
 * on a page where nothing changes it never returns. A one-pixel mark in the window's corner,
 * changed every 50 ms while the screenshot is taken, gives it that paint (and at most one pixel
 * of the image, a shade off the background).
 */
export async function takeScreenshot(session) {
  await session.executeScript(`
    const mark = document.createElement("div");
    mark.style.cssText = "position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none;z-index:2147483647";
    document.documentElement.append(mark);
    let shade = 1;
    window.__e2eRepaint = { mark, timer: setInterval(() => { shade = 3 - shade; mark.style.background = \`rgba(0,0,0,0.0\${shade})\`; }, 50) };`);
  try {
    return await session.takeScreenshot();
  } finally {
    await session.executeScript(`
      const repaint = window.__e2eRepaint;
      if (repaint) { clearInterval(repaint.timer); repaint.mark.remove(); delete window.__e2eRepaint; }`);
  }
}

/**
 * The most colours a window can show and still count as blank. A painted window shows well over
 * a thousand (anti-aliased text and icons: 1,293 to 3,692 across the suites' screenshots), a
 * window that painted nothing one or two. bench/startup.sh waits for more than the same 64.
 */
export const BLANK_MAX_COLOURS = 64;

/** The number of distinct colours in the image `file`, as ImageMagick counts them. */
export function countColours(file) {
  const counted = execFileSync("identify", ["-format", "%k", file], { encoding: "utf8" }).trim();
  if (!/^\d+$/.test(counted)) throw new Error(`identify counted ${JSON.stringify(counted)} colours in ${file}`);
  return Number(counted);
}

/** How long a window may take to paint what its DOM already holds (WebKit on a machine's first runs). */
const PAINT_PATIENCE_MS = 15_000;

/**
 * Saves what the window shows as artifacts/e2e/<name>.png, and fails if it stays blank: a window
 * that painted nothing still has the whole page in its DOM, so no text check would notice.
 * WebKit may hand over a frame from before its first paint (seen on a new machine, where the
 * first windows take seconds), so a blank image is taken again until the window paints or
 * PAINT_PATIENCE_MS pass. The last image is saved either way, so a blank window can be looked at.
 */
export async function screenshot(session, name, { patienceMs = PAINT_PATIENCE_MS } = {}) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  const deadline = Date.now() + patienceMs;
  for (;;) {
    writeFileSync(file, await takeScreenshot(session), "base64");
    const colours = countColours(file);
    if (colours > BLANK_MAX_COLOURS) return file;
    if (Date.now() >= deadline) {
      throw new Error(
        `${name}: the window shows only ${colours} colour${colours === 1 ? "" : "s"}: blank ` +
          `(a painted one shows more than ${BLANK_MAX_COLOURS}; waited ${patienceMs / 1000} s for it to paint); see ${file}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function heading(session) {
  const h1 = await session.wait(until.elementLocated(By.css("main h1")), 15_000);
  return h1.getText();
}

/** Waits until `find()` returns something truthy, polling; fails with `what` after `ms`. */
export async function eventually(find, what, ms = 20_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await find();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

/** Calls a command from the main window's own page, as its UI does. */
export async function invokeFromMain(session, command, args = {}) {
  return session.executeAsyncScript(
    `const done = arguments[arguments.length - 1];
     window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then(
       (value) => done({ ok: value }), (error) => done({ error }));`,
    command,
    args,
  );
}

/**
 * Clicks like a person: the element scrolled to the middle of the pane first, so sticky bars
 * never cover it.
 */
export async function click(session, element) {
  await session.executeScript("arguments[0].scrollIntoView({ block: 'center', inline: 'center' })", element);
  await element.click();
}

/**
 * Chooses `value` in the `<select>` found by `css`, through the element as the keyboard would.
 * Never by clicking an `<option>`: WebDriver aims that click at the closed select's box, which
 * the sticky save bar covers whenever the fonts make the form a little taller.
 */
export async function selectOption(session, css, value, ms = 20_000) {
  const select = await session.wait(until.elementLocated(By.css(css)), ms);
  // Some lists fill in after the select appears (a provider's models are read over the network).
  await eventually(
    () => session.executeScript("return [...arguments[0].options].some((o) => o.value === arguments[1] && !o.disabled)", select, value),
    `an option ${JSON.stringify(value)} in ${css}`,
    ms,
  );
  const chosen = await session.executeAsyncScript(
    `const [select, value, done] = arguments;
     select.scrollIntoView({ block: "center" });
     select.focus();
     // React remembers the value it rendered; only the prototype's setter changes the element
     // behind its back, so the change event that follows reaches onChange.
     Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, "value").set.call(select, value);
     select.dispatchEvent(new Event("input", { bubbles: true }));
     select.dispatchEvent(new Event("change", { bubbles: true }));
     // Read back after React has re-rendered: a controlled select the app refused snaps back.
     setTimeout(() => done(select.value), 0);`,
    select,
    value,
  );
  if (chosen !== value) throw new Error(`${css} shows ${JSON.stringify(chosen)} after choosing ${JSON.stringify(value)}`);
}

/** A test's name as a file name. */
function fileSafe(name) {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 120);
}

async function captureWindow(session, file) {
  // A test that failed inside the preview's frame left the session there.
  await session.switchTo().defaultContent();
  writeFileSync(`${file}.png`, await takeScreenshot(session), "base64");
  return session.executeScript("return document.body.innerText");
}

/**
 * Makes every failing test of the suite in `moduleUrl` save what each open window showed:
 * artifacts/e2e/FAIL-<suite>-<test>.png and .txt (the page text), so a failure on a machine
 * nobody can watch still shows what was on screen. Call it once at the top of each suite.
 */
export function saveFailures(moduleUrl) {
  const suite = path.basename(fileURLToPath(moduleUrl)).replace(/\.test\.mjs$/, "");
  failuresSaved = true;
  afterEach(async (t) => {
    if (t.passed) return;
    mkdirSync(ARTIFACTS, { recursive: true });
    const base = path.join(ARTIFACTS, `FAIL-${suite}-${fileSafe(t.fullName)}`);
    const header = `${t.fullName}\n${t.error?.cause?.stack ?? t.error?.stack ?? t.error}\n\n`;
    if (openWindows.size === 0) {
      writeFileSync(`${base}.txt`, `${header}No window was open when the test failed.\n`);
      return;
    }
    for (const [name, session] of openWindows) {
      const file = openWindows.size === 1 ? base : `${base}-${fileSafe(name)}`;
      let text;
      try {
        text = await captureWindow(session, file);
      } catch (e) {
        text = `The window could not be captured: ${e.message}`;
      }
      writeFileSync(`${file}.txt`, `${header}${text}\n`);
      console.error(`${t.fullName}: failed; the window is in ${file}.png and .txt`);
    }
  });
}

/**
 * Closes the BucketForge window as its title bar's close button does (WM_DELETE_WINDOW), so
 * the app's own close handling runs. WebDriver's close ends the app's process outright instead.
 */
export function closeWindowLikeAPerson() {
  const ids = execFileSync("timeout", ["20", "xdotool", "search", "--sync", "--onlyvisible", "--name", "^BucketForge$"], {
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .filter(Boolean);
  if (ids.length === 0) throw new Error("no BucketForge window to close");
  for (const id of ids) execFileSync("python3", [path.join(root, "e2e", "close_window.py"), id]);
}

/** What the clipboard holds, as a paste would get it: xclip asks the app that owns it. */
export function clipboardText() {
  return execFileSync("xclip", ["-o", "-selection", "clipboard"], { encoding: "utf8", timeout: 10_000 });
}

/** Clicks the sidebar entry `label`. */
export async function goTo(session, label) {
  const entry = By.xpath(`//nav[@aria-label='Main']//button[normalize-space()='${label}']`);
  // The screens appear once the settings are read, a moment after the window opens.
  await click(session, await session.wait(until.elementLocated(entry), 20_000));
}

/** The newest run's panel on the Generate screen. */
export async function latestRun(app) {
  const runs = await app.findElements(By.css("[data-testid=run]"));
  return runs[0];
}

/** Waits until the newest run is in `phase`. */
export async function runPhase(app, phase, ms = 60_000) {
  return eventually(async () => {
    const run = await latestRun(app);
    return run && (await run.getAttribute("data-phase")) === phase ? run : null;
  }, `a run to be ${phase}`, ms);
}

/** Fills in the Generate screen (the React stack) and clicks Generate. */
export async function startGenerating(app, idea, name) {
  await goTo(app, "Generate");
  const ideaBox = await app.wait(until.elementLocated(By.css("textarea[name=idea]")), 10_000);
  await ideaBox.clear();
  await ideaBox.sendKeys(idea);
  const nameBox = await app.findElement(By.css("input[name=project-name]"));
  await nameBox.clear();
  await nameBox.sendKeys(name);
  await selectOption(app, "select[name=stack]", "react");
  const form = await app.findElement(By.css("form[aria-label='New app']"));
  await click(app, await form.findElement(By.xpath(".//button[normalize-space()='Generate']")));
}

/** Each file row's status in a run panel, by path. */
export async function fileStatuses(run) {
  const rows = await run.findElements(By.css("[data-testid=file-row]"));
  const statuses = {};
  for (const row of rows) statuses[await row.getAttribute("data-path")] = await row.getAttribute("data-status");
  return statuses;
}

export { By, until };
