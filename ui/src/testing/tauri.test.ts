import { describe, expect, it } from "vitest";
import { answer, expectOnlyAnsweredCommands, invoke } from "./tauri";

describe("the command mock", () => {
  it("remembers a command the test gave no answer for, even after the app caught its error", async () => {
    answer({ version: "1.0.0" });
    await expect(invoke("version")).resolves.toBe("1.0.0");
    await invoke("project_delete", { slug: "todo" }).catch(() => {});
    expect(() => expectOnlyAnsweredCommands()).toThrow("the test did not expect the command project_delete");
  });

  it("refuses every command before the test answers any, and after a reset", async () => {
    invoke.mockReset();
    await expect(invoke("settings_get")).rejects.toThrow("the test did not expect the command settings_get");
    expect(() => expectOnlyAnsweredCommands()).toThrow("settings_get");
  });

  it("starts counting again after each check, so one test's stray command is not blamed on the next", async () => {
    answer({});
    await invoke("runs_active").catch(() => {});
    expect(() => expectOnlyAnsweredCommands()).toThrow("runs_active");
    expect(() => expectOnlyAnsweredCommands()).not.toThrow();
  });
});
