// End to end: the real BucketForge window, driven through tauri-driver and WebKitWebDriver.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { By, heading, openApp, screenshot, startDriver, until } from "./driver.mjs";

for (const theme of ["light", "dark"]) {
  describe(`the app window (${theme})`, () => {
    let driver;
    let app;

    before(async () => {
      // WebKitGTK reports prefers-color-scheme from the GTK theme the app runs under.
      const env = { GTK_THEME: theme === "dark" ? "Adwaita:dark" : "Adwaita" };
      driver = await startDriver({ port: theme === "dark" ? 4446 : 4444, env });
      app = await openApp(driver);
    });

    after(async () => {
      await app?.quit();
      await driver?.stop();
    });

    it("opens on Generate with the version read from Rust", async () => {
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

    it("keeps Generate disabled and tells why", async () => {
      const button = await app.findElement(By.css("form button[type=submit]"));
      assert.equal(await button.isEnabled(), false);
      const why = await app.findElement(By.id("generate-why")).getText();
      assert.match(why, /storage bucket and an AI provider/);
      const tooltip = await button.findElement(By.xpath("..")).getAttribute("title");
      assert.equal(tooltip, why);
    });

    it("shows the Projects and Settings screens from the sidebar", async () => {
      await app.findElement(By.xpath("//nav//button[normalize-space()='Projects']")).click();
      assert.equal(await heading(app), "Projects");
      assert.ok(await app.findElement(By.xpath("//*[text()='No projects yet']")).isDisplayed());
      await screenshot(app, `projects-${theme}`);

      await app.findElement(By.xpath("//nav//button[normalize-space()='Settings']")).click();
      assert.equal(await heading(app), "Settings");
      await screenshot(app, `settings-${theme}`);

      await app.findElement(By.xpath("//nav//button[normalize-space()='Generate']")).click();
      assert.equal(await heading(app), "Generate an app");
    });

    it("renders real content, not a blank page", async () => {
      const text = await app.findElement(By.css("body")).getText();
      assert.ok(text.length > 100, `the page shows only ${JSON.stringify(text)}`);
      const width = await app.executeScript("return document.querySelector('.sidebar').getBoundingClientRect().width");
      assert.ok(width > 100, `the sidebar is ${width}px wide`);
    });
  });
}
