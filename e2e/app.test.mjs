// End to end: the real BucketForge window, driven through tauri-driver and WebKitWebDriver.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { By, cli, eventually, goTo, heading, launch, makeHome, saveFailures, screenshot, until } from "./driver.mjs";

saveFailures(import.meta.url);

const READY = { schema_version: 1, storage: { kind: "local" }, llm: { provider: "openai" }, onboarded: true };

describe("a first run", () => {
  let run;
  before(async () => {
    run = await launch({ name: "first-run", home: makeHome() });
  });
  after(async () => run?.close());

  it("opens on the welcome with the built-in bucket chosen", async () => {
    const { app } = run;
    const welcome = await app.wait(until.elementLocated(By.xpath("//*[contains(., 'Start generating')]")), 20_000);
    assert.ok(await welcome.isDisplayed());
    const text = await app.findElement(By.css("body")).getText();
    assert.match(text, /built-in/i);
    await screenshot(app, "welcome");
  });
});

for (const theme of ["light", "dark"]) {
  describe(`the app window (${theme})`, () => {
    let run;

    before(async () => {
      // WebKitGTK reports prefers-color-scheme from the GTK theme the app runs under.
      const home = makeHome(READY);
      // A key in the (test session's) keyring, so the only thing Generate waits for is an idea.
      cli(home, ["config", "set-secret", "openai-api-key"], "sk-app-window-test");
      run = await launch({
        name: `app-${theme}`,
        home,
        env: { GTK_THEME: theme === "dark" ? "Adwaita:dark" : "Adwaita" },
      });
    });

    after(async () => run?.close());

    it("opens on Generate with the version read from Rust", async () => {
      const { app } = run;
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

    it("keeps Generate disabled until there is an idea, and says why", async () => {
      const { app } = run;
      const form = await app.findElement(By.css("form[aria-label='New app']"));
      const button = await form.findElement(By.xpath(".//button[normalize-space()='Generate']"));
      assert.equal(await button.isEnabled(), false);
      assert.match(await app.findElement(By.id("generate-why")).getText(), /idea/i);
      await app.findElement(By.css("textarea[name=idea]")).sendKeys("A to-do list");
      await eventually(() => button.isEnabled(), "Generate to be enabled");
    });

    it("shows the Projects and Settings screens from the sidebar", async () => {
      const { app } = run;
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

    it("renders real content, not a blank page", async () => {
      const { app } = run;
      const text = await app.findElement(By.css("body")).getText();
      assert.ok(text.length > 100, `the page shows only ${JSON.stringify(text)}`);
      const width = await app.executeScript(
        "return document.querySelector('nav').getBoundingClientRect().width",
      );
      assert.ok(width > 100, `the sidebar is ${width}px wide`);
    });
  });
}
