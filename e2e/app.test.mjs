// End to end: the real BucketForge window, driven through tauri-driver and WebKitWebDriver.
// Each test opens a window of its own, on a home and keyring of its own.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { By, cli, eventually, goTo, heading, launchFor, makeHome, saveFailures, screenshot, until } from "./driver.mjs";

saveFailures(import.meta.url);

const READY = { schema_version: 1, storage: { kind: "local" }, llm: { provider: "openai" }, onboarded: true };

/** A first run's window, on a new home, once its welcome shows: the window and the welcome. */
async function openWelcome(t, name, env = {}) {
  const run = await launchFor(t, { name, home: makeHome(), env });
  const welcome = await run.app.wait(until.elementLocated(By.xpath("//*[contains(., 'Start generating')]")), 20_000);
  return { run, welcome };
}

describe("a first run", () => {
  it("opens on the welcome with the built-in bucket chosen", async (t) => {
    const { run: { app }, welcome } = await openWelcome(t, "first-run");
    assert.ok(await welcome.isDisplayed());
    const text = await app.findElement(By.css("body")).getText();
    assert.match(text, /built-in/i);
    await screenshot(app, "welcome");
  });
});

/** The GL driver libraries the process `pid` has loaded (Mesa's, and the LLVM it brings). */
function glDriversIn(pid) {
  const maps = readFileSync(`/proc/${pid}/maps`, "utf8");
  const loaded = maps.match(/\S*(?:_dri\.so|libEGL_mesa|libGLX_mesa|libLLVM|libgallium)\S*/g) ?? [];
  return [...new Set(loaded.map((file) => path.basename(file)))];
}

describe("the window's renderer", () => {
  it("paints without loading a GL driver into the app, unless BUCKETFORGE_GPU asks for WebKit's own", async (t) => {
    const { run: cpu } = await openWelcome(t, "renderer-cpu");
    await screenshot(cpu.app, "renderer-cpu");
    assert.deepEqual(glDriversIn(cpu.appPid()), [], "the app process loaded a GL driver");
    await cpu.close();

    // The same machine does load one when WebKit and GTK choose: the check above can fail.
    const { run: gpu } = await openWelcome(t, "renderer-gpu", { BUCKETFORGE_GPU: "1" });
    await screenshot(gpu.app, "renderer-gpu");
    assert.notDeepEqual(glDriversIn(gpu.appPid()), [], "with BUCKETFORGE_GPU=1 the app process loaded no GL driver");
  });
});

for (const theme of ["light", "dark"]) {
  describe(`the app window (${theme})`, () => {
    /** A window of the test's own, in `theme`, ready to generate once there is an idea. */
    async function openWindow(t, name) {
      const home = makeHome(READY);
      // A key in the home's own keyring, so the only thing Generate waits for is an idea.
      cli(home, ["config", "set-secret", "openai-api-key"], "sk-app-window-test");
      // WebKitGTK reports prefers-color-scheme from the GTK theme the app runs under.
      const run = await launchFor(t, {
        name: `app-${theme}-${name}`,
        home,
        env: { GTK_THEME: theme === "dark" ? "Adwaita:dark" : "Adwaita" },
      });
      return run.app;
    }

    it("opens on Generate with the version read from Rust", async (t) => {
      const app = await openWindow(t, "opens");
      assert.equal(await heading(app), "Generate an app");
      const version = await app.wait(until.elementLocated(By.css("[data-testid=app-version]")), 10_000);
      await app.wait(until.elementTextMatches(version, /^Version \d+\.\d+\.\d+/), 10_000);
      assert.deepEqual(await app.findElements(By.css("[role=alert]")), []);
      const scheme = await app.executeScript(
        "return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'",
      );
      assert.equal(scheme, theme);
      await screenshot(app, `generate-${theme}`);
    });

    it("keeps Generate disabled until there is an idea, and says why", async (t) => {
      const app = await openWindow(t, "idea");
      const form = await app.wait(until.elementLocated(By.css("form[aria-label='New app']")), 20_000);
      const button = await form.findElement(By.xpath(".//button[normalize-space()='Generate']"));
      assert.equal(await button.isEnabled(), false);
      assert.match(await app.findElement(By.id("generate-why")).getText(), /idea/i);
      await app.findElement(By.css("textarea[name=idea]")).sendKeys("A to-do list");
      await eventually(() => button.isEnabled(), "Generate to be enabled");
    });

    it("shows the Projects and Settings screens from the sidebar", async (t) => {
      const app = await openWindow(t, "screens");
      await goTo(app, "Projects");
      assert.equal(await heading(app), "Projects");
      await app.wait(until.elementLocated(By.xpath("//*[contains(text(), 'No projects yet')]")), 20_000);
      await screenshot(app, `projects-${theme}`);

      await goTo(app, "Settings");
      assert.equal(await heading(app), "Settings");
      await app.wait(until.elementLocated(By.css("input[name=storage-kind][value=local]")), 10_000);
      await screenshot(app, `settings-${theme}`);

      await goTo(app, "Generate");
      assert.equal(await heading(app), "Generate an app");
    });

    it("renders real content, not a blank page", async (t) => {
      const app = await openWindow(t, "content");
      assert.equal(await heading(app), "Generate an app");
      const text = await app.findElement(By.css("body")).getText();
      assert.ok(text.length > 100, `the page shows only ${JSON.stringify(text)}`);
      const width = await app.executeScript(
        "return document.querySelector('nav').getBoundingClientRect().width",
      );
      assert.ok(width > 100, `the sidebar is ${width}px wide`);
      // The DOM can hold the whole page while the window paints nothing: count what is on screen.
      await screenshot(app, `content-${theme}`);
    });
  });
}
