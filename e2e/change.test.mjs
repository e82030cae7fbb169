// End to end: changing an app in the real window. A change asked for in the History tab moves
// exactly the files it names in the bucket (read with an S3 client of our own), the new file
// opens in the code viewer, Show changes opens the diff of a file, Undo brings the old content
// back, and a hand edit that does not parse is refused with the parser's message while the
// bucket keeps the saved version. Screenshots: the conversation, the diff, the undo, the refusal.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertKept, projectFilesIn } from "./bucket.mjs";
import { By, click, configuredHome, eventually, generateProject, goTo, launchFor, saveFailures, screenshot, serverFor, until } from "./driver.mjs";
import { COUNTER_FILES } from "./projects.mjs";
import { projectScript, startMoto, startScriptedLlm } from "./servers.mjs";

const LLM_KEY = "sk-e2e-change-5b0d27c4";
const PREFIX = "projects/e2e/click-counter/";
const REQUEST = "Add a reset button that sets the count back to zero";
const NEW_APP =
  "import { useState } from 'react';\nimport Title from './components/Title.jsx';\nimport Reset from './components/Reset.jsx';\n\nexport default function App() {\n  const [count, setCount] = useState(0);\n  return (\n    <main>\n      <Title text=\"Click Counter\" />\n      <button onClick={() => setCount(count + 1)}>Clicked {count} times</button>\n      <Reset onReset={() => setCount(0)} />\n    </main>\n  );\n}\n";
const RESET = "export default function Reset({ onReset }) {\n  return <button onClick={onReset}>Reset</button>;\n}\n";
const CHANGE_PLAN = {
  summary: "Adds a Reset button under the counter.",
  files: [
    { path: "src/App.jsx", action: "modify", purpose: "the counter with its reset button" },
    { path: "src/components/Reset.jsx", action: "add", purpose: "the reset button" },
    { path: "README.md", action: "delete", purpose: "" },
  ],
};

saveFailures(import.meta.url);

const revision = (n) => By.css(`li[data-testid=revision][data-number='${n}']`);

async function showTab(app, label) {
  await click(app, await app.findElement(By.xpath(`//*[@role='group'][@aria-label='Show']//button[normalize-space()='${label}']`)));
}

async function openFile(app, file) {
  await showTab(app, "Files");
  await click(app, await app.wait(until.elementLocated(By.css(`[data-testid=file-item][data-path='${file}']`)), 20_000));
  return app.wait(until.elementLocated(By.css(`[data-testid=code-viewer][data-path='${file}']`)), 20_000);
}

/** The text the code viewer shows now. */
async function shownCode(app) {
  return app.executeScript("return [...document.querySelectorAll('[data-testid=code-viewer] .cm-line')].map((l) => l.textContent).join('\\n')");
}

describe("changing an app", () => {
  it("asks for a change, shows the new file and the diff, undoes it, and refuses a hand edit that does not parse", async (t) => {
    const moto = await serverFor(t, startMoto());
    const script = projectScript({
      name: "Click Counter",
      files: COUNTER_FILES,
      apiKey: LLM_KEY,
      replies: {
        change: [{ text: JSON.stringify(CHANGE_PLAN), chunk_chars: 16 }],
        "edit src/App.jsx": [{ text: NEW_APP, chunk_chars: 16, tokens_per_second: 200 }],
        "write src/components/Reset.jsx": [{ text: RESET, chunk_chars: 16 }],
      },
    });
    const llm = await serverFor(t, startScriptedLlm(script));
    const home = configuredHome(moto, llm.openaiBaseUrl, LLM_KEY);
    generateProject(home, ["--idea", "A click counter", "--name", "Click Counter"]);
    const generated = projectFilesIn(moto, PREFIX);
    // Last-Modified counts whole seconds: a file written again now would show a later one.
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const { app } = await launchFor(t, { name: "change", home });
    await goTo(app, "Projects");
    await click(app, await app.wait(until.elementLocated(By.css("[data-testid=project-row][data-slug=click-counter]")), 20_000));
    await app.wait(until.elementLocated(By.css("[data-testid=project-details]")), 20_000);

    // The conversation: the idea as version 1, then the change asked for here.
    await showTab(app, "History");
    await app.wait(until.elementLocated(By.css("li[data-testid=revision][data-number='1'][data-current=true]")), 20_000);
    const box = await app.findElement(By.css("textarea#change-request"));
    await box.sendKeys(REQUEST);
    await click(app, await app.findElement(By.xpath("//button[normalize-space()='Change']")));
    await app.wait(until.elementLocated(By.css("li[data-testid=revision][data-number='2'][data-current=true]")), 60_000);
    const second = await app.findElement(revision(2));
    assert.equal(await (await second.findElement(By.css("[data-testid=revision-request]"))).getText(), REQUEST);
    const changed = {};
    for (const row of await second.findElements(By.css("[data-testid=revision-change]"))) {
      changed[await row.getAttribute("data-path")] = await row.getAttribute("data-change");
    }
    assert.deepEqual(changed, { "README.md": "removed", "src/App.jsx": "modified", "src/components/Reset.jsx": "added" });
    await screenshot(app, "change-conversation");

    // In the bucket: exactly those three moved; every other file kept its bytes, ETag and time.
    const after = projectFilesIn(moto, PREFIX);
    assert.equal(after["src/App.jsx"].bytes.toString(), NEW_APP);
    assert.equal(after["src/components/Reset.jsx"].bytes.toString(), RESET);
    assert.equal(after["README.md"], undefined, "README.md was deleted");
    const untouched = Object.fromEntries(Object.entries(generated).filter(([p]) => !["src/App.jsx", "README.md"].includes(p)));
    assertKept(untouched, after);

    // The new file opens in the code viewer.
    await openFile(app, "src/components/Reset.jsx");
    await eventually(async () => ((await shownCode(app)).includes("onClick={onReset}") ? true : null), "Reset.jsx in the code viewer");

    // Show changes: App.jsx's diff in version 2.
    await showTab(app, "History");
    await click(app, await (await app.wait(until.elementLocated(revision(2)), 20_000)).findElement(By.xpath(".//button[normalize-space()='Show changes']")));
    await click(app, await app.wait(until.elementLocated(By.css("[data-testid=changed-file][data-path='src/App.jsx']")), 20_000));
    const diff = await app.wait(until.elementLocated(By.css("[data-testid=diff-view][aria-label='Changes to src/App.jsx in version 2'][data-shown=true]")), 20_000);
    assert.match(await diff.getText(), /Reset onReset/);
    await screenshot(app, "change-diff");

    // Undo: version 3 has version 1's files, in the bucket and in the code viewer.
    await click(app, await app.findElement(By.xpath("//button[normalize-space()='Back to history']")));
    await click(app, await (await app.wait(until.elementLocated(revision(2)), 20_000)).findElement(By.xpath(".//button[normalize-space()='Undo']")));
    await app.wait(until.elementLocated(By.xpath("//*[@role='status'][contains(., 'Version 3 now has the files of version 1.')]")), 20_000);
    await app.wait(until.elementLocated(By.css("li[data-testid=revision][data-number='3'][data-current=true]")), 20_000);
    const undone = projectFilesIn(moto, PREFIX);
    assert.deepEqual(Object.keys(undone).sort(), Object.keys(generated).sort());
    for (const [file, object] of Object.entries(generated)) assert.deepEqual(undone[file].bytes, object.bytes, `${file} after Undo`);
    await openFile(app, "src/App.jsx");
    await eventually(async () => {
      const code = await shownCode(app);
      return code.includes("Title text") && !code.includes("Reset") ? true : null;
    }, "the old App.jsx in the code viewer");
    await screenshot(app, "change-undo");

    // A hand edit with a syntax error is refused with the parser's message; nothing is saved.
    await click(app, await app.findElement(By.xpath("//button[normalize-space()='Edit']")));
    await app.wait(until.elementLocated(By.css("[data-testid=code-viewer][data-editing=true]")), 10_000);
    const editor = await app.findElement(By.css("[data-testid=code-viewer] .cm-content"));
    await click(app, editor);
    await editor.sendKeys("\nexport default function (");
    await click(app, await app.findElement(By.xpath("//button[normalize-space()='Save']")));
    const refusal = await app.wait(until.elementLocated(By.css("[role=alert][data-code=edit_invalid]")), 20_000);
    assert.match(await refusal.getText(), /src\/App\.jsx. was not saved: .+ Fix it and save again/s);
    await screenshot(app, "hand-edit-refused");
    assert.deepEqual(projectFilesIn(moto, PREFIX)["src/App.jsx"].bytes, generated["src/App.jsx"].bytes);
  });
});
