import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => import("../testing/tauri"));

import App from "../App";
import type { GenerationEvent } from "../bindings/GenerationEvent";
import type { ProjectHistory } from "../bindings/ProjectHistory";
import type { RevisionDiff } from "../bindings/RevisionDiff";
import { answerDefaults, emit } from "../testing/app";
import { projectDetails, projectItem, revision, todoHistory } from "../testing/fixtures";
import { callsOf, invoke, type Channel } from "../testing/tauri";

type User = ReturnType<typeof userEvent.setup>;

const versions = () => screen.getAllByTestId("revision");
const version = (n: number) => versions().find((v) => v.dataset.number === String(n))!;
const changeBox = () => screen.getByRole("textbox", { name: "Describe a change" });
const changeButton = () => screen.getByRole("button", { name: "Change" });
/** The lines of a diff's document (the newer text); deleted lines sit between them in widgets. */
const docLines = (diff: HTMLElement) => Array.from(diff.querySelectorAll(".cm-content > .cm-line")).map((l) => l.textContent);

/** Opens the project "todo" and its History tab; `history` answers every `project_history`. */
async function openHistory(user: User, history: () => ProjectHistory = todoHistory, overrides: Record<string, unknown> = {}) {
  answerDefaults({
    projects_list: { projects: [projectItem("todo")], next_page: null },
    project_get: projectDetails("todo", { current_revision: 3 }),
    project_file: ({ path }: { path: string }) => ({ path, text: `// ${path}\n`, content_type: "text/javascript", bytes: 10 }),
    project_history: () => history(),
    ...overrides,
  });
  render(<App />);
  await user.click(await screen.findByRole("button", { name: "Projects" }));
  await user.click(await screen.findByTestId("project-row"));
  await screen.findByRole("heading", { level: 1, name: "Todo List" });
  await user.click(screen.getByRole("button", { name: "History" }));
}

/** The answer to Undo or Restore: version `number`, with the files of version `from`. */
function made(number: number, from: number) {
  return {
    manifest: projectDetails("todo", { current_revision: number }).manifest,
    revision: revision(number, { kind: "restored", parent: number - 1, restored_from: from, request: `Restored version ${from}` }),
  };
}

describe("a project's history", () => {
  beforeEach(() => {
    invoke.mockReset();
  });

  it("shows every version oldest first as the request and what was done, and marks the current one", async () => {
    const user = userEvent.setup();
    await openHistory(user);
    await screen.findAllByTestId("revision");
    expect(screen.getByRole("button", { name: "History" })).toHaveAttribute("aria-pressed", "true");
    expect(versions().map((v) => v.dataset.number)).toEqual(["1", "2", "3"]);
    expect(versions().map((v) => within(v).getByTestId("revision-request").textContent)).toEqual([
      "A to-do list with filters",
      "Add a due date to each task",
      "Edited by hand",
    ]);
    expect(within(version(2)).getByTestId("revision-summary")).toHaveTextContent("Each task now has a due date, shown beside its title.");

    const changes = within(version(2)).getAllByTestId("revision-change");
    expect(changes.map((c) => [c.dataset.path, c.dataset.change])).toEqual([
      ["backend/main.py", "modified"],
      ["frontend/src/App.jsx", "modified"],
      ["frontend/src/DueDate.jsx", "added"],
      ["README.md", "removed"],
    ]);
    expect(changes[1]).toHaveTextContent(/^Changedfrontend\/src\/App\.jsx\+12 −3$/);
    expect(changes[2]).toHaveTextContent(/^Addedfrontend\/src\/DueDate\.jsx\+20 −0$/);
    expect(changes[3]).toHaveTextContent(/^RemovedREADME\.md\+0 −7$/);

    expect(within(version(1)).getByTestId("revision-usage")).toHaveTextContent(/^12,345 tokens · \$0\.03 · took 1m 05s · OpenAI · gpt-4\.1-mini$/);
    expect(within(version(2)).getByTestId("revision-usage")).toHaveTextContent(/^3,800 tokens · \$0\.01 · took 42s/);
    expect(within(version(3)).getByTestId("revision-usage")).toHaveTextContent(/^No AI used · took 0s$/);
    expect(version(2)).toHaveTextContent("2 Mar 2026, 10:00");

    expect(versions().map((v) => v.dataset.current)).toEqual(["false", "false", "true"]);
    expect(version(3)).toHaveAttribute("aria-current", "true");
    expect(within(version(3)).getByText("Current version")).toBeVisible();
    expect(within(version(2)).queryByText("Current version")).toBeNull();

    const buttons = (n: number) => within(version(n)).getAllByRole("button").map((b) => b.textContent);
    expect(buttons(1)).toEqual(["Restore this version"]);
    expect(buttons(2)).toEqual(["Show changes", "Restore this version"]);
    expect(buttons(3)).toEqual(["Show changes", "Undo"]);
    expect(callsOf("project_history")).toEqual([{ slug: "todo" }]);
  });

  it("says a project's versions start with its first change when it has none yet", async () => {
    const user = userEvent.setup();
    await openHistory(user, () => ({ slug: "todo", current: null, revisions: [] }), { project_get: projectDetails("todo") });
    expect(await screen.findByTestId("history-empty")).toHaveTextContent("This project's versions start with its first change.");
    expect(screen.queryAllByTestId("revision")).toEqual([]);
    expect(changeBox()).toBeEnabled();
  });

  it("shows why the history could not be read, and reads it again on request", async () => {
    let fail = true;
    const user = userEvent.setup();
    await openHistory(user, () => {
      if (fail) throw { code: "storage_timeout", message: "The bucket did not answer in time. Check your connection and try again.", fix_in: "none" };
      return todoHistory();
    });
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The project's history could not be read. The bucket did not answer in time.");
    fail = false;
    await user.click(within(alert).getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(versions()).toHaveLength(3));
  });
});

describe("changing a project by asking", () => {
  beforeEach(() => {
    invoke.mockReset();
  });

  it("sends the typed request, shows the run's files live, then reads history and details again", async () => {
    let history = todoHistory();
    const user = userEvent.setup();
    await openHistory(user, () => history);
    await screen.findAllByTestId("revision");
    expect(changeButton()).toBeDisabled();
    await user.type(changeBox(), "  Add a priority to each task ");
    expect(changeButton()).toBeEnabled();
    await user.click(changeButton());

    expect(callsOf("project_change")).toEqual([{ slug: "todo", request: "Add a priority to each task", onEvent: expect.anything() }]);
    const run = await screen.findByTestId("run");
    expect(run).toHaveAttribute("data-slug", "todo");
    expect(changeButton()).toBeDisabled();
    expect(screen.getByRole("button", { name: "Undo" })).toBeDisabled();
    expect(run).toHaveTextContent("Reading your request…");

    emit(
      0,
      { type: "planning" },
      { type: "planned", slug: "todo", name: "Todo List", summary: "Each task gets a priority.", files: ["frontend/src/App.jsx", "README.md"] },
      { type: "file_started", path: "frontend/src/App.jsx" },
      { type: "file_repairing", path: "frontend/src/App.jsx", reason: "line 3: Unexpected token", attempt: 1 },
      { type: "file_removed", path: "README.md" },
    );
    const row = (path: string) => within(run).getAllByTestId("file-row").find((r) => r.dataset.path === path)!;
    expect(run).toHaveTextContent("Changing your app");
    expect(row("frontend/src/App.jsx")).toHaveAttribute("data-status", "repairing");
    expect(row("frontend/src/App.jsx")).toHaveTextContent("Fixing (try 1): line 3: Unexpected token");
    expect(row("README.md")).toHaveAttribute("data-status", "removed");
    // The request stays on screen, after the versions, while it is being carried out.
    expect(screen.getByText("Add a priority to each task", { selector: ".is-pending p" })).toBeVisible();

    const detailsBefore = callsOf("project_get").length;
    history = {
      ...history,
      current: 4,
      revisions: [...history.revisions, revision(4, { request: "Add a priority to each task", summary: "Each task gets a priority." })],
    };
    emit(
      0,
      { type: "file_uploaded", path: "frontend/src/App.jsx", key: "k", bytes: 900, ms: 12 },
      { type: "finished", slug: "todo", files: 1, tokens: 4000, cost_usd: 0.01, elapsed_ms: 9000 },
    );
    expect(await screen.findByText("Your change is saved as version 4.")).toBeVisible();
    expect(versions().map((v) => v.dataset.number)).toEqual(["1", "2", "3", "4"]);
    expect(version(4)).toHaveAttribute("data-current", "true");
    expect(changeBox()).toHaveValue("");
    expect(screen.queryByTestId("run")).toBeNull();
    expect(callsOf("project_history")).toHaveLength(2);
    await waitFor(() => expect(callsOf("project_get").length).toBeGreaterThan(detailsBefore));
  });

  it("reports a change whose last event came before the command answered", async () => {
    let history = todoHistory();
    const user = userEvent.setup();
    await openHistory(user, () => history, {
      project_change: ({ onEvent }: { onEvent: Channel<GenerationEvent> }) => {
        history = { ...history, current: 4, revisions: [...history.revisions, revision(4, { request: "Add tags" })] };
        onEvent.onmessage({ type: "planning" });
        onEvent.onmessage({ type: "finished", slug: "todo", files: 0, tokens: 0, cost_usd: null, elapsed_ms: 10 });
        return "run-1";
      },
    });
    await screen.findAllByTestId("revision");
    await user.type(changeBox(), "Add tags");
    await user.click(changeButton());
    expect(await screen.findByText("Your change is saved as version 4.")).toBeVisible();
    expect(changeBox()).toHaveValue("");
  });

  it("keeps the typed request and shows the engine's words when the change fails", async () => {
    const user = userEvent.setup();
    await openHistory(user);
    await screen.findAllByTestId("revision");
    await user.type(changeBox(), "Make it pink");
    await user.click(changeButton());
    const message = "The AI's answer was not a change plan BucketForge can follow. Try again, or describe the change in other words.";
    emit(0, { type: "planning" }, { type: "failed", slug: "todo", error: { code: "change_plan_invalid", message, fix_in: "none" }, landed: [] });
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveAttribute("data-code", "change_plan_invalid");
    expect(alert).toHaveTextContent(`The change was not made. ${message}`);
    expect(changeBox()).toHaveValue("Make it pink");
    expect(changeButton()).toBeEnabled();
    expect(screen.queryByText(/Your change is saved/)).toBeNull();
  });

  it("keeps the typed request when the change can't start", async () => {
    const user = userEvent.setup();
    await openHistory(user, todoHistory, {
      project_change: () => {
        throw { code: "project_busy", message: "“todo” is being written by the BucketForge window on laptop right now. Try again when it is done.", fix_in: "none" };
      },
    });
    await screen.findAllByTestId("revision");
    await user.type(changeBox(), "Add dark mode");
    await user.click(changeButton());
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveAttribute("data-code", "project_busy");
    expect(alert).toHaveTextContent("is being written by the BucketForge window on laptop right now");
    expect(changeBox()).toHaveValue("Add dark mode");
    expect(screen.queryByTestId("run")).toBeNull();
    expect(changeButton()).toBeEnabled();
  });
});

describe("undo and restore", () => {
  beforeEach(() => {
    invoke.mockReset();
  });

  it("undoes the current version, says which files came back, and reads history and details again", async () => {
    let history = todoHistory();
    const user = userEvent.setup();
    await openHistory(user, () => history, {
      project_undo: () => {
        history = { ...history, current: 4, revisions: [...history.revisions, made(4, 2).revision] };
        return made(4, 2);
      },
    });
    await screen.findAllByTestId("revision");
    const detailsBefore = callsOf("project_get").length;
    await user.click(within(version(3)).getByRole("button", { name: "Undo" }));
    expect(callsOf("project_undo")).toEqual([{ slug: "todo" }]);
    expect(await screen.findByText("Version 4 now has the files of version 2.")).toBeVisible();
    await waitFor(() => expect(versions()).toHaveLength(4));
    expect(within(version(4)).getByTestId("revision-request")).toHaveTextContent("Restored version 2");
    expect(version(4)).toHaveAttribute("data-current", "true");
    // Version 3 is no longer current: it can be restored, not undone.
    expect(within(version(3)).getByRole("button", { name: "Restore this version" })).toBeEnabled();
    expect(within(version(3)).queryByRole("button", { name: "Undo" })).toBeNull();
    expect(callsOf("project_get").length).toBeGreaterThan(detailsBefore);
  });

  it("restores the version asked for", async () => {
    const user = userEvent.setup();
    await openHistory(user, todoHistory, { project_restore: made(4, 1) });
    await screen.findAllByTestId("revision");
    await user.click(within(version(1)).getByRole("button", { name: "Restore this version" }));
    expect(callsOf("project_restore")).toEqual([{ slug: "todo", revision: 1 }]);
    expect(await screen.findByText("Version 4 now has the files of version 1.")).toBeVisible();
    expect(callsOf("project_history")).toHaveLength(2);
  });

  it("shows why an undo was refused", async () => {
    const user = userEvent.setup();
    await openHistory(user, todoHistory, {
      project_undo: () => {
        throw { code: "manifest_conflict", message: "“todo” was changed by another device a moment ago. Reload the project and try again.", fix_in: "none" };
      },
    });
    await screen.findAllByTestId("revision");
    await user.click(screen.getByRole("button", { name: "Undo" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveAttribute("data-code", "manifest_conflict");
    expect(alert).toHaveTextContent("was changed by another device a moment ago");
    expect(screen.queryByText(/now has the files of/)).toBeNull();
    expect(screen.getByRole("button", { name: "Undo" })).toBeEnabled();
  });
});

describe("a version's changes", () => {
  beforeEach(() => {
    invoke.mockReset();
  });

  const diff: RevisionDiff = {
    revision: 2,
    parent: 1,
    files: [
      { path: "frontend/src/App.jsx", change: "modified", before: "const title = 'Tasks';\nexport default title;\n", after: "const title = 'Tasks due';\nexport default title;\n" },
      { path: "frontend/src/DueDate.jsx", change: "added", before: null, after: "export const due = 1;\n" },
      { path: "README.md", change: "removed", before: "# Todo\nOld notes\n", after: null },
    ],
  };

  it("opens the diff of the version asked for, file by file, against the version before", async () => {
    const user = userEvent.setup();
    await openHistory(user, todoHistory, { project_diff: diff });
    await screen.findAllByTestId("revision");
    await user.click(within(version(2)).getByRole("button", { name: "Show changes" }));
    expect(callsOf("project_diff")).toEqual([{ slug: "todo", revision: 2 }]);
    expect(await screen.findByRole("heading", { name: "Changes in version 2" })).toBeVisible();
    expect(await screen.findByText("compared with version 1, the one before it")).toBeVisible();

    const files = await screen.findAllByTestId("changed-file");
    expect(files.map((f) => [f.dataset.path, f.dataset.change])).toEqual([
      ["frontend/src/App.jsx", "modified"],
      ["frontend/src/DueDate.jsx", "added"],
      ["README.md", "removed"],
    ]);
    // The version's own counts stand beside each file.
    expect(files[0]).toHaveTextContent("+12 −3");
    expect(files[0]).toHaveAttribute("aria-pressed", "true");

    const modified = screen.getByRole("region", { name: "Changes to frontend/src/App.jsx in version 2" });
    await waitFor(() => expect(modified).toHaveAttribute("data-shown", "true"), { timeout: 5000 });
    // The new text is the document; the old line stands above it, marked as deleted.
    expect(docLines(modified)).toEqual(["const title = 'Tasks due';", "export default title;", ""]);
    await waitFor(() => expect(modified.querySelector(".cm-deletedChunk")?.textContent).toContain("const title = 'Tasks';"));

    await user.click(files[2]);
    const removed = await screen.findByRole("region", { name: "Changes to README.md in version 2" });
    expect(files[2]).toHaveAttribute("aria-pressed", "true");
    expect(removed).toHaveTextContent("This version removed the file");
    await waitFor(() => expect(removed.querySelector(".cm-deletedChunk")?.textContent).toContain("Old notes"));
    expect(docLines(removed)).toEqual([""]);

    await user.click(files[1]);
    const added = await screen.findByRole("region", { name: "Changes to frontend/src/DueDate.jsx in version 2" });
    await waitFor(() => expect(docLines(added)).toEqual(["export const due = 1;", ""]));
    // Against an empty file nothing is deleted.
    expect(added.querySelector(".cm-deletedChunk")?.textContent ?? "").toBe("");

    await user.click(screen.getByRole("button", { name: "Back to history" }));
    expect(await screen.findAllByTestId("revision")).toHaveLength(3);
  });
});
