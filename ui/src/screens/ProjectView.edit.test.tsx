import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => import("../testing/tauri"));

import App from "../App";
import { answerDefaults } from "../testing/app";
import { projectDetails, projectItem, revision } from "../testing/fixtures";
import { callsOf, invoke } from "../testing/tauri";

type User = ReturnType<typeof userEvent.setup>;

const APP = "// frontend/src/App.jsx\nexport default 1;\n";
const EDITED = `// edited\n${APP}`;

const viewer = () => screen.getByTestId("code-viewer");
const content = () => viewer().querySelector(".cm-content")!;
/** The editor's text, line by line as CodeMirror shows it. */
const shownText = () => Array.from(content().querySelectorAll(".cm-line")).map((l) => l.textContent).join("\n");

/** Opens "todo" at version 3 with App.jsx shown; `overrides` answer further commands. */
async function openTodo(user: User, overrides: Record<string, unknown> = {}) {
  answerDefaults({
    projects_list: { projects: [projectItem("todo")], next_page: null },
    project_get: () => projectDetails("todo", { current_revision: 3 }),
    project_file: ({ path }: { path: string }) => ({ path, text: `// ${path}\nexport default 1;\n`, content_type: "text/javascript", bytes: 30 }),
    ...overrides,
  });
  render(<App />);
  await user.click(await screen.findByRole("button", { name: "Projects" }));
  await user.click(await screen.findByTestId("project-row"));
  await screen.findByRole("heading", { level: 1, name: "Todo List" });
  await waitFor(() => expect(shownText()).toBe(APP));
}

/** Edit, then type a first line into App.jsx the way a user does. */
async function editApp(user: User) {
  await user.click(screen.getByRole("button", { name: "Edit" }));
  await waitFor(() => expect(content()).toHaveAttribute("aria-readonly", "false"));
  await user.click(content().querySelector(".cm-line")!);
  await user.keyboard("// edited{Enter}");
  await waitFor(() => expect(shownText()).toBe(EDITED));
}

const saved = (number: number) => ({
  manifest: projectDetails("todo", { current_revision: number }).manifest,
  revision: revision(number, { kind: "edited_by_hand", request: "Edited by hand" }),
});

describe("editing a file by hand", () => {
  beforeEach(() => {
    invoke.mockReset();
  });

  it("shows the file read-only until Edit, and saves the typed text from the version it was opened at", async () => {
    let text = APP;
    let current = 3;
    const user = userEvent.setup();
    await openTodo(user, {
      project_get: () => projectDetails("todo", { current_revision: current }),
      project_file: ({ path }: { path: string }) => ({ path, text, content_type: "text/javascript", bytes: text.length }),
      project_save_file: ({ content: sent }: { content: string }) => {
        text = sent;
        current += 1;
        return saved(current);
      },
    });
    expect(viewer()).toHaveAttribute("data-editing", "false");
    expect(content()).toHaveAttribute("aria-readonly", "true");
    expect(screen.queryByRole("button", { name: "Save" })).toBeNull();

    await editApp(user);
    expect(viewer()).toHaveAttribute("data-editing", "true");
    expect(screen.getByText("· not saved", { exact: false })).toBeVisible();
    const detailsBefore = callsOf("project_get").length;
    await user.click(screen.getByRole("button", { name: "Save" }));

    expect(callsOf("project_save_file")).toEqual([{ slug: "todo", path: "frontend/src/App.jsx", content: EDITED, expectedRevision: 3 }]);
    expect(await screen.findByText("Saved as version 4.")).toBeVisible();
    expect(viewer()).toHaveAttribute("data-editing", "false");
    expect(content()).toHaveAttribute("aria-readonly", "true");
    expect(shownText()).toBe(EDITED);
    expect(screen.getByRole("button", { name: "Edit" })).toBeEnabled();
    await waitFor(() => expect(callsOf("project_get").length).toBeGreaterThan(detailsBefore));
    await waitFor(() => expect(callsOf("project_file").length).toBeGreaterThan(1));
    expect(shownText()).toBe(EDITED);

    // The next edit starts from the version just saved.
    await user.click(screen.getByRole("button", { name: "Edit" }));
    await user.click(content().querySelector(".cm-line")!);
    await user.keyboard("// again{Enter}");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(callsOf("project_save_file")[1]).toEqual({ slug: "todo", path: "frontend/src/App.jsx", content: `// again\n${EDITED}`, expectedRevision: 4 });
    expect(await screen.findByText("Saved as version 5.")).toBeVisible();
  });

  it("keeps the typed text and shows the parser's message when the save is refused", async () => {
    const message = "“frontend/src/App.jsx” was not saved: line 1: Unexpected token. Fix it and save again; the saved version is unchanged.";
    const user = userEvent.setup();
    await openTodo(user, {
      project_save_file: () => {
        throw { code: "edit_invalid", message, fix_in: "none" };
      },
    });
    await editApp(user);
    await user.click(screen.getByRole("button", { name: "Save" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveAttribute("data-code", "edit_invalid");
    expect(alert).toHaveTextContent(new RegExp(`^${message}$`));
    expect(viewer()).toHaveAttribute("data-editing", "true");
    expect(shownText()).toBe(EDITED);
    expect(screen.getByRole("button", { name: "Save" })).toBeEnabled();
    expect(screen.queryByText(/Saved as version/)).toBeNull();
  });

  it("drops the edits on Cancel", async () => {
    const user = userEvent.setup();
    await openTodo(user);
    await editApp(user);
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(shownText()).toBe(APP));
    expect(viewer()).toHaveAttribute("data-editing", "false");
    expect(content()).toHaveAttribute("aria-readonly", "true");
    expect(callsOf("project_save_file")).toEqual([]);
  });

  it("asks before another file replaces unsaved edits", async () => {
    const user = userEvent.setup();
    await openTodo(user);
    await editApp(user);
    const mainPy = () => screen.getAllByTestId("file-item").find((i) => i.dataset.path === "backend/main.py")!;

    await user.click(mainPy());
    const dialog = screen.getByRole("alertdialog", { name: "Leave “frontend/src/App.jsx” without saving?" });
    await user.click(within(dialog).getByRole("button", { name: "Keep editing" }));
    expect(viewer()).toHaveAttribute("data-path", "frontend/src/App.jsx");
    expect(shownText()).toBe(EDITED);

    await user.click(mainPy());
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Discard changes" }));
    await waitFor(() => expect(viewer()).toHaveAttribute("data-path", "backend/main.py"));
    expect(viewer()).toHaveAttribute("data-editing", "false");
    expect(callsOf("project_save_file")).toEqual([]);
  });

  it("offers to read the project again when another device changed it since the editor opened", async () => {
    const user = userEvent.setup();
    await openTodo(user, {
      project_save_file: () => {
        throw { code: "manifest_conflict", message: "“todo” was changed by another device since you opened it. Reload the project and try again.", fix_in: "none" };
      },
    });
    await editApp(user);
    await user.click(screen.getByRole("button", { name: "Save" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("frontend/src/App.jsx was not saved. “todo” was changed by another device since you opened it.");
    const detailsBefore = callsOf("project_get").length;
    await user.click(within(alert).getByRole("button", { name: "Reload the project" }));
    await waitFor(() => expect(callsOf("project_get").length).toBeGreaterThan(detailsBefore));
    expect(screen.queryByRole("alert")).toBeNull();
    expect(viewer()).toHaveAttribute("data-editing", "false");
    await waitFor(() => expect(shownText()).toBe(APP));
  });

  it("offers no Edit while a run is writing the project", async () => {
    const user = userEvent.setup();
    await openTodo(user, { project_get: projectDetails("todo", { status: "failed", current_revision: 3 }) });
    await user.click(screen.getByRole("button", { name: "Resume" }));
    expect(await screen.findByTestId("run")).toHaveAttribute("data-slug", "todo");
    expect(screen.getByRole("button", { name: "Edit" })).toBeDisabled();
  });
});
