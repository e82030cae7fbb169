import { readFileSync } from "node:fs";
import path from "node:path";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => import("./testing/tauri"));

import App from "./App";
import type { GenerationEvent } from "./bindings/GenerationEvent";
import { answerDefaults, emit, renderApp } from "./testing/app";
import { settingsView } from "./testing/fixtures";
import { callsOf, invoke } from "./testing/tauri";

const planned = (slug: string): GenerationEvent => ({
  type: "planned",
  slug,
  name: slug,
  summary: "",
  files: ["index.html", "src/App.jsx"],
});

async function startRun(user: ReturnType<typeof userEvent.setup>, idea: string) {
  await user.type(screen.getByRole("textbox", { name: "Your idea" }), idea);
  await user.click(within(screen.getByRole("form", { name: "New app" })).getByRole("button", { name: "Generate" }));
}

describe("the app shell", () => {
  // Braces matter: a function returned from beforeEach would run as a teardown.
  beforeEach(() => {
    invoke.mockReset();
    answerDefaults();
  });

  it("shows the version the Rust side reports", async () => {
    answerDefaults({ version: "9.8.7" });
    render(<App />);
    expect(await screen.findByTestId("app-version")).toHaveTextContent("Version 9.8.7");
  });

  it("shows the command's own message when the version can't be read", async () => {
    answerDefaults({
      version: () => {
        throw { code: "internal", message: "The engine could not start." };
      },
    });
    render(<App />);
    expect(await screen.findByRole("alert")).toHaveTextContent("The engine could not start.");
  });

  it("switches between the three screens from the sidebar", async () => {
    const user = userEvent.setup();
    await renderApp();
    expect(await screen.findByRole("heading", { level: 1 })).toHaveTextContent("Generate an app");

    await user.click(screen.getByRole("button", { name: "Projects" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Projects" })).toBeVisible();
    expect(await screen.findByText("No projects yet")).toBeVisible();
    expect(screen.getByRole("button", { name: "Projects" })).toHaveAttribute("aria-current", "page");

    await user.click(screen.getByRole("button", { name: "Settings" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Settings" })).toBeVisible();

    await user.click(screen.getByRole("button", { name: "Generate" }));
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Generate an app");
  });

  it("sends the empty Projects screen back to Generate", async () => {
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByRole("button", { name: "Projects" }));
    await user.click(await screen.findByRole("button", { name: "Go to Generate" }));
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Generate an app");
  });

  it("renders, while the settings are read, exactly the first frame index.html paints before any script", async () => {
    const html = readFileSync(path.join(__dirname, "..", "index.html"), "utf8");
    const firstFrame = new DOMParser().parseFromString(html, "text/html").getElementById("root")!.innerHTML;
    expect(firstFrame).toContain("Starting BucketForge…");
    answerDefaults({ settings_get: () => new Promise(() => {}) });
    const { container } = render(<App />);
    expect(container.innerHTML).toBe(firstFrame);
  });

  it("opens on the welcome instead of the screens when nothing is set up", async () => {
    answerDefaults({ settings_get: settingsView({ first_run: true }), ollama_detect: null });
    render(<App />);
    expect(await screen.findByRole("heading", { name: "Welcome to BucketForge" })).toBeVisible();
    expect(screen.queryByRole("navigation", { name: "Main" })).toBeNull();
  });

  it("lets the user skip the welcome and set things up in Settings", async () => {
    answerDefaults({ settings_get: settingsView({ first_run: true }), ollama_detect: null });
    const user = userEvent.setup();
    render(<App />);
    await user.click(await screen.findByRole("button", { name: "Set up storage and AI myself" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
  });
});

describe("runs above the screens", () => {
  beforeEach(() => {
    invoke.mockReset();
    answerDefaults();
  });

  it("keeps a run going while the user visits other screens", async () => {
    const user = userEvent.setup();
    await renderApp();
    await startRun(user, "A tiny todo app");
    emit(0, { type: "planning" }, planned("tiny-todo"));

    await user.click(screen.getByRole("button", { name: "Projects" }));
    // The run shows in Projects as generating even before the listing knows the project.
    const row = await screen.findByTestId("project-row");
    expect(row).toHaveAttribute("data-slug", "tiny-todo");
    expect(row).toHaveAttribute("data-status", "generating");
    expect(screen.getByTestId("runs-indicator")).toHaveTextContent("1 app generating");

    // Events that arrive while Generate is not on screen are not lost.
    emit(0, { type: "file_uploaded", path: "index.html", key: "k", bytes: 2048, ms: 40 });
    await user.click(screen.getByRole("button", { name: "Generate" }));
    const file = screen.getAllByTestId("file-row").find((r) => r.dataset.path === "index.html")!;
    expect(file).toHaveAttribute("data-status", "uploaded");
    expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "50");

    emit(0, { type: "file_uploaded", path: "src/App.jsx", key: "k", bytes: 10, ms: 4 });
    emit(0, { type: "finished", slug: "tiny-todo", files: 2, tokens: 100, cost_usd: 0.001, elapsed_ms: 4000 });
    expect(screen.queryByTestId("runs-indicator")).toBeNull();
    expect(screen.getByRole("button", { name: "Open project" })).toBeVisible();
  });

  it("runs two projects at once and cancels only the one asked", async () => {
    const user = userEvent.setup();
    await renderApp();
    await startRun(user, "First app");
    await startRun(user, "Second app");
    emit(0, planned("first-app"));
    emit(1, planned("second-app"));
    expect(await screen.findByTestId("runs-indicator")).toHaveTextContent("2 apps generating");

    const runs = screen.getAllByTestId("run");
    expect(runs.map((r) => r.dataset.slug)).toEqual(["second-app", "first-app"]);
    await user.click(within(runs[1]).getByRole("button", { name: "Cancel" }));
    expect(callsOf("cancel")).toEqual([{ runId: "run-1" }]);

    emit(0, { type: "cancelled", slug: "first-app", landed: [] });
    expect(screen.getByTestId("runs-indicator")).toHaveTextContent("1 app generating");
    expect(within(screen.getAllByTestId("run")[1]).getByRole("button", { name: "Resume" })).toBeVisible();
  });

  it("resumes a cancelled run in the same place and follows the new run", async () => {
    const user = userEvent.setup();
    await renderApp();
    await startRun(user, "An app");
    emit(0, planned("an-app"), { type: "cancelled", slug: "an-app", landed: [] });
    await user.click(screen.getByRole("button", { name: "Resume" }));
    expect(callsOf("resume")[0]).toMatchObject({ slug: "an-app" });
    emit(1, { type: "planning" }, planned("an-app"), { type: "file_kept", path: "index.html", bytes: 5 });
    const runs = screen.getAllByTestId("run");
    expect(runs).toHaveLength(1);
    expect(runs[0]).toHaveAttribute("data-phase", "writing");
  });
});
