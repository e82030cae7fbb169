import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

const plugins = vi.hoisted(() => ({ save: vi.fn(), writeText: vi.fn() }));
vi.mock("@tauri-apps/api/core", () => import("../testing/tauri"));
vi.mock("@tauri-apps/plugin-dialog", () => ({ save: plugins.save }));
vi.mock("@tauri-apps/plugin-clipboard-manager", () => ({ writeText: plugins.writeText }));

import App from "../App";
import { answerDefaults } from "../testing/app";
import { projectDetails, projectItem } from "../testing/fixtures";
import { callsOf, invoke } from "../testing/tauri";

const rows = () => screen.getAllByTestId("project-row");
const slugs = () => rows().map((r) => r.dataset.slug);

async function openProjects(user: ReturnType<typeof userEvent.setup>) {
  render(<App />);
  await user.click(await screen.findByRole("button", { name: "Projects" }));
}

async function openTodo(user: ReturnType<typeof userEvent.setup>, overrides: Record<string, unknown> = {}) {
  answerDefaults({
    projects_list: { projects: [projectItem("todo")], next_page: null },
    project_get: projectDetails("todo"),
    project_file: ({ path }: { path: string }) => ({ path, text: `// ${path}\nexport default 1;\n`, content_type: "text/javascript", bytes: 30 }),
    ...overrides,
  });
  await openProjects(user);
  await user.click(await screen.findByTestId("project-row"));
  await screen.findByRole("heading", { level: 1, name: "Todo List" });
}

describe("the project list", () => {
  beforeEach(() => {
    invoke.mockReset();
  });

  it("lists each project's name, status, file count, size and update time", async () => {
    answerDefaults({
      projects_list: {
        projects: [projectItem("todo", { name: "Todo List", files: 7, bytes: 20_480 }), projectItem("broken", { status: "failed" })],
        next_page: null,
      },
    });
    const user = userEvent.setup();
    await openProjects(user);
    await screen.findAllByTestId("project-row");
    const [todo, broken] = rows();
    expect(todo).toHaveAttribute("data-status", "complete");
    expect(todo).toHaveTextContent("Todo List");
    expect(todo).toHaveTextContent("Complete");
    // Whole cells, so a 7 in the date or the size can't stand in for the file count.
    expect(within(todo).getByTestId("project-file-count")).toHaveTextContent(/^7$/);
    expect(within(todo).getByTestId("project-size")).toHaveTextContent(/^20\.0 KB$/);
    expect(within(todo).getByTestId("project-updated")).toHaveTextContent(/^1 Mar 2026, 10:00$/);
    expect(broken).toHaveAttribute("data-status", "failed");
    expect(callsOf("projects_list")[0]).toEqual({ page: null, search: null });
  });

  it("marks a project another device is writing, with when its run last checked in", async () => {
    const writing = (seconds: number, interrupted = false) => ({ owner: "the BucketForge window on laptop", seconds_since_check_in: seconds, ttl_secs: 30, interrupted });
    answerDefaults({
      projects_list: {
        projects: [
          projectItem("now", { status: "generating", activity: writing(2) }),
          projectItem("recent", { status: "generating", activity: writing(17) }),
          projectItem("stopped", { status: "generating", activity: writing(600, true) }),
        ],
        next_page: null,
      },
    });
    const user = userEvent.setup();
    await openProjects(user);
    await screen.findAllByTestId("project-row");
    const [now, recent, stopped] = rows();
    expect(now).toHaveTextContent("Being written by the BucketForge window on laptop, checked in just now");
    expect(recent).toHaveTextContent("Being written by the BucketForge window on laptop, checked in 17 s ago");
    expect(stopped).not.toHaveTextContent("Being written");
    expect(within(stopped).getByTestId("status-badge")).toHaveTextContent("Interrupted");
  });

  it("shows why a project's record can't be read, and words its badge by the error's code", async () => {
    const bare = { status: null, files: 0, bytes: 0, updated_at: null, idea: null };
    answerDefaults({
      projects_list: {
        projects: [
          projectItem("draft", {
            ...bare,
            problem: { code: "manifest_missing", message: "This project has no record yet.", fix_in: "none" },
          }),
          projectItem("future", {
            ...bare,
            problem: { code: "manifest_too_new", message: "The project “future” was saved by a newer BucketForge.", fix_in: "none" },
          }),
          projectItem("garbled", {
            ...bare,
            problem: { code: "manifest_unreadable", message: "The record of project “garbled” could not be read.", fix_in: "none" },
          }),
        ],
        next_page: null,
      },
    });
    const user = userEvent.setup();
    await openProjects(user);
    await screen.findAllByTestId("project-row");
    const [draft, future, garbled] = rows();
    expect(draft).toHaveTextContent("This project has no record yet.");
    expect(draft).toHaveAttribute("data-problem", "manifest_missing");
    expect(within(draft).getByTestId("status-badge")).toHaveTextContent(/^No record$/);
    expect(future).toHaveTextContent("saved by a newer BucketForge");
    expect(within(future).getByTestId("status-badge")).toHaveTextContent(/^Newer version$/);
    expect(garbled).toHaveTextContent("could not be read");
    expect(within(garbled).getByTestId("status-badge")).toHaveTextContent(/^Unreadable$/);
  });

  it("loads the next page only when asked, with the token the last page gave", async () => {
    answerDefaults({
      projects_list: ({ page }: { page: string | null }) =>
        page === null
          ? { projects: [projectItem("alpha"), projectItem("beta")], next_page: "token-2" }
          : { projects: [projectItem("gamma")], next_page: null },
    });
    const user = userEvent.setup();
    await openProjects(user);
    await screen.findAllByTestId("project-row");
    expect(slugs()).toEqual(["alpha", "beta"]);
    expect(callsOf("projects_list")).toHaveLength(1);

    await user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(slugs()).toEqual(["alpha", "beta", "gamma"]));
    expect(callsOf("projects_list")[1]).toEqual({ page: "token-2", search: null });
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();
  });

  it("searches by name on the server and starts again from the first page", async () => {
    answerDefaults({
      projects_list: ({ search }: { search: string | null }) =>
        search === null
          ? { projects: [projectItem("alpha"), projectItem("beta")], next_page: "t" }
          : search === "be"
            ? { projects: [projectItem("beta")], next_page: null }
            : { projects: [], next_page: null },
    });
    const user = userEvent.setup();
    await openProjects(user);
    await screen.findAllByTestId("project-row");
    await user.type(screen.getByRole("searchbox", { name: "Search projects by name" }), "be");
    await waitFor(() => expect(slugs()).toEqual(["beta"]));
    expect(callsOf("projects_list").at(-1)).toEqual({ page: null, search: "be" });

    await user.type(screen.getByRole("searchbox"), "x");
    expect(await screen.findByText("No project names start with “bex”")).toBeVisible();
    await user.click(screen.getByRole("button", { name: "Clear search" }));
    await waitFor(() => expect(slugs()).toEqual(["alpha", "beta"]));
  });

  it("refreshes the list from the bucket", async () => {
    let listed = [projectItem("alpha")];
    answerDefaults({ projects_list: () => ({ projects: listed, next_page: null }) });
    const user = userEvent.setup();
    await openProjects(user);
    await screen.findAllByTestId("project-row");
    listed = [projectItem("alpha"), projectItem("beta")];
    await user.click(screen.getByRole("button", { name: "Refresh" }));
    await waitFor(() => expect(slugs()).toEqual(["alpha", "beta"]));
  });

  it("says plainly when the bucket can't be read, and where to fix it", async () => {
    answerDefaults({
      projects_list: () => {
        throw {
          code: "bucket_not_found",
          message: "The bucket “apps” does not exist. Create it with your storage provider, or fix the bucket name in Settings.",
          fix_in: "storage_settings",
        };
      },
    });
    const user = userEvent.setup();
    await openProjects(user);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The bucket “apps” does not exist.");
    await user.click(within(alert).getByRole("button", { name: "Open Storage settings" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
  });
});

describe("an open project", () => {
  beforeEach(() => {
    invoke.mockReset();
    plugins.save.mockReset();
    plugins.writeText.mockReset();
  });

  it("shows the manifest's details, the file tree and the main component's code", async () => {
    const user = userEvent.setup();
    await openTodo(user);
    const details = screen.getByTestId("project-details");
    expect(details).toHaveTextContent("A to-do list with filters");
    expect(details).toHaveTextContent("OpenAI · gpt-4.1-mini");
    expect(details).toHaveTextContent("12,345");
    expect(details).toHaveTextContent("$0.03");
    expect(details).toHaveTextContent("1 Mar 2026, 10:00");
    const items = screen.getAllByTestId("file-item").map((i) => i.dataset.path);
    expect(items).toEqual(["backend/main.py", "frontend/src/App.jsx", "frontend/index.html", "README.md"]);
    const viewer = await screen.findByTestId("code-viewer");
    expect(viewer).toHaveAttribute("data-path", "frontend/src/App.jsx");
    expect(callsOf("project_file")[0]).toEqual({ slug: "todo", path: "frontend/src/App.jsx" });
  });

  it("opens another file from the tree, by mouse or keyboard", async () => {
    const user = userEvent.setup();
    await openTodo(user);
    await screen.findByTestId("code-viewer");
    await user.click(screen.getAllByTestId("file-item").find((i) => i.dataset.path === "backend/main.py")!);
    await waitFor(() => expect(screen.getByTestId("code-viewer")).toHaveAttribute("data-path", "backend/main.py"));

    const current = screen.getAllByTestId("file-item").find((i) => i.dataset.path === "backend/main.py")!;
    current.focus();
    // Down from main.py reaches the "frontend" folder, then its "src" folder, then App.jsx.
    await user.keyboard("{ArrowDown}{ArrowDown}{ArrowDown}{Enter}");
    await waitFor(() => expect(screen.getByTestId("code-viewer")).toHaveAttribute("data-path", "frontend/src/App.jsx"));
  });

  it("shows the error a failed project ended with, and resumes it", async () => {
    const user = userEvent.setup();
    await openTodo(user, {
      project_get: projectDetails("todo", { status: "failed", error: "“backend/main.py” still had an error after the AI tried to fix it twice." }),
    });
    expect(screen.getByTestId("project-error")).toHaveTextContent("still had an error after the AI tried to fix it twice");
    await user.click(screen.getByRole("button", { name: "Resume" }));
    expect(callsOf("resume")[0]).toMatchObject({ slug: "todo" });
    // The running project can't be deleted under the run's feet.
    expect(await screen.findByRole("button", { name: "Delete" })).toBeDisabled();
    expect(screen.getByTestId("run")).toHaveAttribute("data-slug", "todo");
  });

  it("shows the plan's API as a small table and the problems the check left, with Fix with AI", async () => {
    const user = userEvent.setup();
    const contract = {
      models: [{ name: "Todo", fields: [{ name: "id", type: "int" }, { name: "title", type: "str" }] }],
      endpoints: [
        { method: "GET" as const, path: "/api/todos", action: "list" as const, model: "Todo" },
        { method: "POST" as const, path: "/api/todos", action: "create" as const, model: "Todo" },
        { method: "GET" as const, path: "/api/stats", action: "custom" as const, example: { total: 0 } },
      ],
      notes: "",
    };
    const problem = { kind: "unknown_endpoint" as const, message: "frontend/src/App.jsx calls GET /api/summaries, which the contract does not have", fix_in: ["frontend/src/App.jsx"] };
    await openTodo(user, {
      project_get: projectDetails("todo", {
        plan: { name: "Todo List", summary: "", stack: "fastapi-react", contract, files: [] },
        check: { imports: 5, packages: 3, api_calls: 4, routes: 3, problems: [problem] },
      }),
    });
    expect(screen.getByTestId("contract-summary")).toHaveTextContent("API: 3 endpoints, 1 model");
    const table = within(screen.getByTestId("contract"));
    expect(table.getByText("/api/stats")).toBeInTheDocument();
    expect(table.getByText("create Todo")).toBeInTheDocument();
    expect(screen.getByTestId("fit-problems")).toHaveTextContent("calls GET /api/summaries");
    await user.click(screen.getByRole("button", { name: "Fix with AI" }));
    expect(callsOf("project_fix")[0]).toMatchObject({ slug: "todo" });
    expect(await screen.findByTestId("run")).toHaveAttribute("data-slug", "todo");
  });

  it("exports a zip where the user chose in the save dialog", async () => {
    plugins.save.mockResolvedValue("/home/alex/todo.zip");
    const user = userEvent.setup();
    await openTodo(user, { project_export: { path: "/home/alex/todo.zip", files: 4, bytes: 4048, source: "manifest", complete: true } });
    await user.click(screen.getByRole("button", { name: "Export .zip" }));
    expect(plugins.save).toHaveBeenCalledWith(expect.objectContaining({ defaultPath: "todo.zip" }));
    expect(callsOf("project_export")).toEqual([{ slug: "todo", out: "/home/alex/todo.zip", partial: false }]);
    expect(await screen.findByRole("status")).toHaveTextContent("Exported 4 files (4.0 KB) to /home/alex/todo.zip.");
  });

  it("exports nothing when the save dialog is closed", async () => {
    plugins.save.mockResolvedValue(null);
    const user = userEvent.setup();
    await openTodo(user, { project_export: { path: "x", files: 0, bytes: 0, source: "manifest", complete: true } });
    await user.click(screen.getByRole("button", { name: "Export .zip" }));
    await waitFor(() => expect(screen.getByRole("button", { name: "Export .zip" })).toBeEnabled());
    expect(callsOf("project_export")).toEqual([]);
  });

  it("copies a share link for the open file with the chosen expiry", async () => {
    plugins.writeText.mockResolvedValue(undefined);
    const user = userEvent.setup();
    await openTodo(user, {
      project_share_link: ({ expiresInSecs }: { expiresInSecs: number }) => ({ url: "https://bucket/signed?x=1", expires_in_secs: expiresInSecs, this_computer_only: false }),
    });
    await screen.findByTestId("code-viewer");
    await user.selectOptions(screen.getByRole("combobox", { name: "Link works for" }), "604800");
    await user.click(screen.getByRole("button", { name: "Copy share link" }));
    expect(callsOf("project_share_link")).toEqual([{ slug: "todo", path: "frontend/src/App.jsx", expiresInSecs: 604_800 }]);
    expect(plugins.writeText).toHaveBeenCalledWith("https://bucket/signed?x=1");
    expect(await screen.findByRole("status")).toHaveTextContent("Link copied. Anyone with it can download frontend/src/App.jsx for 7 days.");
  });

  it("copies a link to the whole project as a zip, with the chosen expiry", async () => {
    plugins.writeText.mockResolvedValue(undefined);
    const user = userEvent.setup();
    await openTodo(user, {
      project_share_zip: ({ expiresInSecs }: { expiresInSecs: number }) => ({
        url: "https://bucket/todo.zip?sig=1",
        expires_in_secs: expiresInSecs,
        this_computer_only: false,
        files: 4,
        bytes: 2048,
      }),
    });
    await screen.findByTestId("code-viewer");
    await user.selectOptions(screen.getByRole("combobox", { name: "Link works for" }), "86400");
    await user.click(screen.getByRole("button", { name: "Copy project link" }));
    expect(callsOf("project_share_zip")).toEqual([{ slug: "todo", expiresInSecs: 86_400 }]);
    expect(plugins.writeText).toHaveBeenCalledWith("https://bucket/todo.zip?sig=1");
    expect(await screen.findByRole("status")).toHaveTextContent("Link copied. Anyone with it can download a .zip of the whole project (4 files, 2.0 KB) for 1 day.");
  });

  it("offers no project link until the project is finished", async () => {
    const user = userEvent.setup();
    await openTodo(user, { project_get: projectDetails("todo", { status: "failed" }) });
    expect(screen.getByRole("button", { name: "Copy project link" })).toBeDisabled();
  });

  it("says a link from the built-in bucket works only on this computer", async () => {
    plugins.writeText.mockResolvedValue(undefined);
    const user = userEvent.setup();
    await openTodo(user, {
      project_share_link: { url: "http://127.0.0.1:4321/bucketforge/x?sig=1", expires_in_secs: 86_400, this_computer_only: true },
    });
    await screen.findByTestId("code-viewer");
    await user.click(screen.getByRole("button", { name: "Copy share link" }));
    expect(await screen.findByText(/only on this computer and only while BucketForge is running/)).toBeVisible();
  });

  it("deletes only after the in-app confirmation, and goes back to the list", async () => {
    const user = userEvent.setup();
    await openTodo(user, { project_delete: 5 });
    await user.click(screen.getByRole("button", { name: "Delete" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete “Todo List”?" });
    expect(within(dialog).getByRole("button", { name: "Keep project" })).toHaveFocus();
    await user.click(within(dialog).getByRole("button", { name: "Keep project" }));
    expect(callsOf("project_delete")).toEqual([]);

    await user.click(screen.getByRole("button", { name: "Delete" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete project" }));
    expect(callsOf("project_delete")).toEqual([{ slug: "todo", force: false }]);
    expect(await screen.findByRole("heading", { level: 1, name: "Projects" })).toBeVisible();
  });

  it("asks a second time before deleting a project another run is writing", async () => {
    const user = userEvent.setup();
    await openTodo(user, {
      project_delete: ({ force }: { force: boolean }) => {
        if (!force) throw { code: "project_busy", message: "“todo” is being written by the BucketForge window on laptop right now." };
        return 5;
      },
    });
    await user.click(screen.getByRole("button", { name: "Delete" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete project" }));
    const again = await screen.findByRole("alertdialog", { name: "“Todo List” is being written right now" });
    expect(again).toHaveTextContent("the BucketForge window on laptop");
    await user.click(within(again).getByRole("button", { name: "Delete anyway" }));
    expect(callsOf("project_delete")).toEqual([
      { slug: "todo", force: false },
      { slug: "todo", force: true },
    ]);
    expect(await screen.findByRole("heading", { level: 1, name: "Projects" })).toBeVisible();
  });

  it("offers Resume for a project whose run stopped checking in, and exports only what is there when asked", async () => {
    plugins.save.mockResolvedValue("/home/alex/todo.zip");
    const user = userEvent.setup();
    await openTodo(user, {
      project_get: {
        ...projectDetails("todo", { status: "generating" }),
        activity: { owner: "the bucketforge command on laptop", seconds_since_check_in: 600, ttl_secs: 30, interrupted: true },
      },
      project_export: { path: "/home/alex/todo.zip", files: 4, bytes: 4048, source: "manifest", complete: false },
    });
    expect(screen.getByTestId("status-badge")).toHaveTextContent("Interrupted");
    expect(screen.getByTestId("activity")).toHaveTextContent("stopped before it finished");
    await user.click(screen.getByRole("button", { name: "Export what's there" }));
    expect(callsOf("project_export")).toEqual([{ slug: "todo", out: "/home/alex/todo.zip", partial: true }]);
    expect(await screen.findByText(/Exported the 4 files that are in the bucket \(the project is not complete\)/)).toBeVisible();
    await user.click(screen.getByRole("button", { name: "Resume" }));
    expect(callsOf("resume")[0]).toMatchObject({ slug: "todo" });
  });

  it("says who is writing a project on another device, and offers no Resume", async () => {
    const user = userEvent.setup();
    await openTodo(user, {
      project_get: {
        ...projectDetails("todo", { status: "generating" }),
        activity: { owner: "the BucketForge window on laptop", seconds_since_check_in: 4, ttl_secs: 30, interrupted: false },
      },
    });
    expect(screen.getByTestId("activity")).toHaveTextContent("the BucketForge window on laptop is writing this project right now");
    expect(screen.queryByRole("button", { name: "Resume" })).toBeNull();
  });

  it("closes the delete confirmation with Escape", async () => {
    const user = userEvent.setup();
    await openTodo(user, { project_delete: 5 });
    await user.click(screen.getByRole("button", { name: "Delete" }));
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(callsOf("project_delete")).toEqual([]);
  });

  it("switches to the sandboxed preview", async () => {
    const user = userEvent.setup();
    await openTodo(user, { preview_url: "preview://localhost/alex/todo/" });
    await user.click(screen.getByRole("button", { name: "Preview" }));
    const frame = await screen.findByTestId("preview-frame");
    expect(frame.getAttribute("sandbox")).toBe("allow-scripts allow-forms");
  });
});
