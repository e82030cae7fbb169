import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => import("../testing/tauri"));

import type { GenerationEvent } from "../bindings/GenerationEvent";
import { applyEvent, initialRun } from "../generation";
import { NavigationContext } from "../navigation";
import { RunsProvider, type Run } from "../runs";
import { answerDefaults } from "../testing/app";
import { invoke } from "../testing/tauri";
import RunPanel from "./RunPanel";

const go = vi.fn();
const openProject = vi.fn();

function wrap(children: ReactNode) {
  return (
    <NavigationContext.Provider value={{ go, openProject }}>
      <RunsProvider>{children}</RunsProvider>
    </NavigationContext.Provider>
  );
}

function runOf(events: GenerationEvent[], extra: Partial<Run> = {}): Run {
  return {
    key: "k1",
    kind: "generation",
    runId: "run-1",
    idea: "A todo list",
    request: { idea: "A todo list", name: null, stack: "fastapi-react" },
    state: events.reduce(applyEvent, initialRun()),
    startedAt: Date.now(),
    endedAt: null,
    cancelRequested: false,
    ...extra,
  };
}

const planned: GenerationEvent = {
  type: "planned",
  slug: "todo",
  name: "Todo",
  summary: "Add and tick off tasks.",
  files: ["backend/main.py", "frontend/src/App.jsx", "frontend/index.html", "README.md", "backend/requirements.txt"],
};

const row = (path: string) => screen.getAllByTestId("file-row").find((r) => r.dataset.path === path)!;

describe("the run panel", () => {
  beforeEach(() => {
    invoke.mockReset();
    answerDefaults();
    go.mockReset();
    openProject.mockReset();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows every file's state in words: waiting, writing, fixing with the reason, saved with size and time, failed", () => {
    render(
      wrap(
        <RunPanel
          run={runOf([
            planned,
            { type: "file_started", path: "frontend/src/App.jsx" },
            { type: "file_progress", path: "frontend/src/App.jsx", bytes: 1536, tokens: 300 },
            { type: "file_started", path: "backend/main.py" },
            { type: "file_repairing", path: "backend/main.py", reason: "line 4: expected ':'", attempt: 1 },
            { type: "file_uploaded", path: "frontend/index.html", key: "k", bytes: 2048, ms: 37 },
            { type: "file_failed", path: "README.md", error: { code: "file_truncated", message: "The answer was cut off.", fix_in: "none" } },
          ])}
        />,
      ),
    );
    expect(row("backend/requirements.txt")).toHaveAttribute("data-status", "queued");
    expect(row("backend/requirements.txt")).toHaveTextContent("Waiting for its turn");
    expect(row("frontend/src/App.jsx")).toHaveAttribute("data-status", "writing");
    expect(row("frontend/src/App.jsx")).toHaveTextContent("Writing…");
    expect(within(row("frontend/src/App.jsx")).getByTestId("file-bytes")).toHaveTextContent("1.5 KB");
    expect(row("backend/main.py")).toHaveAttribute("data-status", "repairing");
    expect(row("backend/main.py")).toHaveTextContent("Fixing (try 1): line 4: expected ':'");
    expect(row("frontend/index.html")).toHaveAttribute("data-status", "uploaded");
    expect(row("frontend/index.html")).toHaveTextContent("2.0 KB");
    expect(row("frontend/index.html")).toHaveTextContent("37 ms");
    expect(row("README.md")).toHaveAttribute("data-status", "failed");
    expect(row("README.md")).toHaveTextContent("The answer was cut off.");
  });

  it("shows a file's byte count growing as it streams in", () => {
    const start: GenerationEvent[] = [planned, { type: "file_started", path: "README.md" }];
    const { rerender } = render(
      wrap(<RunPanel run={runOf([...start, { type: "file_progress", path: "README.md", bytes: 300, tokens: 70 }])} />),
    );
    expect(within(row("README.md")).getByTestId("file-bytes")).toHaveTextContent("300 B");
    rerender(wrap(<RunPanel run={runOf([...start, { type: "file_progress", path: "README.md", bytes: 5000, tokens: 900 }])} />));
    expect(within(row("README.md")).getByTestId("file-bytes")).toHaveTextContent("4.9 KB");
  });

  it("gives every row the same cells whatever its state, so updates never shift the list", () => {
    render(
      wrap(
        <RunPanel
          run={runOf([
            planned,
            { type: "file_started", path: "README.md" },
            { type: "file_repairing", path: "README.md", reason: "x".repeat(300), attempt: 2 },
            { type: "file_uploaded", path: "backend/main.py", key: "k", bytes: 9, ms: 1 },
          ])}
        />,
      ),
    );
    for (const r of screen.getAllByTestId("file-row")) {
      expect(r.children).toHaveLength(4);
      expect(r.querySelector(".file-main")!.children).toHaveLength(2);
    }
  });

  it("totals the files saved, the tokens and the estimated cost, and shows the elapsed time as it ticks", () => {
    // The panel reads the clock itself; a fixed one makes the elapsed time exact however slowly it renders.
    vi.useFakeTimers({ now: Date.parse("2026-03-01T10:01:05Z") });
    render(
      wrap(
        <RunPanel
          run={runOf(
            [
              planned,
              { type: "file_uploaded", path: "README.md", key: "k", bytes: 10, ms: 1 },
              { type: "usage", prompt_tokens: 12_000, completion_tokens: 3_456, cost_usd: 0.042, estimated: true },
            ],
            { startedAt: Date.parse("2026-03-01T10:00:00Z") },
          )}
        />,
      ),
    );
    expect(screen.getByTestId("run-files")).toHaveTextContent("1 / 5");
    expect(screen.getByTestId("run-tokens")).toHaveTextContent("15,456");
    expect(screen.getByTestId("run-cost")).toHaveTextContent("about $0.04");
    expect(screen.getByTestId("run-elapsed")).toHaveTextContent(/^1m 05s$/);
    const bar = screen.getByRole("progressbar");
    expect(bar).toHaveAttribute("aria-valuenow", "20");
    expect(bar).toHaveAttribute("aria-valuetext", "1 of 5 files saved");

    act(() => vi.advanceTimersByTime(1_000));
    expect(screen.getByTestId("run-elapsed")).toHaveTextContent(/^1m 06s$/);
  });

  it("shows a failure's message as written, what landed, and Resume", async () => {
    const user = userEvent.setup();
    render(
      wrap(
        <RunPanel
          run={runOf([
            planned,
            { type: "file_uploaded", path: "README.md", key: "k", bytes: 10, ms: 1 },
            {
              type: "failed",
              slug: "todo",
              error: { code: "llm_key_rejected", message: "The API key for OpenAI was rejected (HTTP 401).", fix_in: "llm_settings" },
              landed: ["README.md"],
            },
          ])}
        />,
      ),
    );
    expect(screen.getByRole("alert")).toHaveTextContent("The API key for OpenAI was rejected (HTTP 401).");
    expect(screen.getByTestId("run-landed")).toHaveTextContent("1 of 5 files are saved in your bucket; Resume writes the rest.");
    expect(row("backend/main.py")).toHaveAttribute("data-status", "stopped");
    // A rejected key is fixed in Settings.
    await user.click(screen.getByRole("button", { name: "Open AI provider settings" }));
    expect(go).toHaveBeenCalledWith("settings");
    await user.click(screen.getByRole("button", { name: "Resume" }));
    expect(invoke).toHaveBeenCalledWith("resume", expect.objectContaining({ slug: "todo" }));
  });

  it("says while it checks the files, then what the check found, and Fix with AI starts one more round", async () => {
    const user = userEvent.setup();
    const checking = runOf([planned, { type: "checking" }]);
    const { rerender } = render(wrap(<RunPanel run={checking} />));
    expect(screen.getByTestId("run")).toHaveAttribute("data-phase", "checking");
    expect(screen.getByText("Checking that the files fit together…")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Cancel" })).toBeInTheDocument();

    const problem = {
      kind: "undeclared_package" as const,
      message: "frontend/src/App.jsx imports `axios`, which frontend/package.json does not declare: add it there, or stop using it",
      fix_in: ["frontend/src/App.jsx", "frontend/package.json"],
    };
    const finished = { type: "finished" as const, slug: "todo", files: 5, tokens: 10, cost_usd: null, elapsed_ms: 1000 };
    rerender(
      wrap(
        <RunPanel
          run={runOf([planned, { type: "checking" }, { type: "checked", report: { imports: 4, packages: 2, api_calls: 3, routes: 3, problems: [problem] } }, finished])}
        />,
      ),
    );
    expect(screen.getByTestId("fit-summary")).toHaveTextContent("1 problem left");
    expect(screen.getByTestId("fit-problems")).toHaveTextContent("imports `axios`, which frontend/package.json does not declare");
    await user.click(screen.getByRole("button", { name: "Fix with AI" }));
    expect(invoke).toHaveBeenCalledWith("project_fix", expect.objectContaining({ slug: "todo" }));

    rerender(
      wrap(
        <RunPanel
          run={runOf([planned, { type: "checked", report: { imports: 4, packages: 2, api_calls: 1, routes: 3, problems: [] } }, finished])}
        />,
      ),
    );
    expect(screen.getByTestId("fit-summary")).toHaveTextContent("Checked: 4 imports, 2 packages, 1 API call");
    expect(screen.queryByRole("button", { name: "Fix with AI" })).toBeNull();
  });

  it("offers Try again, not Resume, when a run failed before its project was named", async () => {
    const user = userEvent.setup();
    render(
      wrap(
        <RunPanel
          run={runOf([
            { type: "planning" },
            { type: "failed", slug: "", error: { code: "plan_invalid", message: "The AI's plan could not be used.", fix_in: "none" }, landed: [] },
          ])}
        />,
      ),
    );
    expect(screen.getByRole("alert")).toHaveTextContent("The AI's plan could not be used.");
    expect(screen.getByTestId("run-landed")).toHaveTextContent("No files were saved to your bucket.");
    expect(screen.queryByRole("button", { name: "Resume" })).toBeNull();
    expect(screen.queryByRole("button", { name: /^Open .*[Ss]ettings$/ })).toBeNull();
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(invoke).toHaveBeenCalledWith("generate", expect.objectContaining({ request: { idea: "A todo list", name: null, stack: "fastapi-react" } }));
  });

  it("words a change as a change: files written and removed, and no Resume when it stops", async () => {
    const user = userEvent.setup();
    const change = { kind: "change" as const, idea: "Drop the README", request: null };
    const plan: GenerationEvent = { type: "planned", slug: "todo", name: "Todo", summary: "The README goes.", files: ["frontend/src/App.jsx", "README.md"] };
    const { rerender } = render(wrap(<RunPanel run={runOf([{ type: "planning" }], change)} />));
    expect(screen.getByTestId("run")).toHaveTextContent("Reading your request…");
    expect(screen.getByTestId("run")).toHaveTextContent("The AI is reading your request and deciding which files to change.");

    const written = [plan, { type: "file_uploaded" as const, path: "frontend/src/App.jsx", key: "k", bytes: 10, ms: 1 }, { type: "file_removed" as const, path: "README.md" }];
    rerender(wrap(<RunPanel run={runOf(written, change)} />));
    expect(screen.getByTestId("run")).toHaveTextContent("Changing your app");
    expect(row("README.md")).toHaveTextContent("Removed from the project");
    expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "100");

    rerender(wrap(<RunPanel run={runOf([...written, { type: "finished", slug: "todo", files: 1, tokens: 0, cost_usd: null, elapsed_ms: 900 }], change)} />));
    expect(screen.getByRole("status")).toHaveTextContent("The change is saved in your bucket: 1 file written, 1 removed.");

    const error = { code: "change_plan_invalid" as const, message: "The AI's change plan could not be used.", fix_in: "none" as const };
    rerender(wrap(<RunPanel run={runOf([plan, { type: "failed", slug: "todo", error, landed: [] }], change)} />));
    expect(screen.getByTestId("run")).toHaveTextContent("The change stopped");
    expect(screen.getByTestId("run-landed")).toHaveTextContent("The project's files are as they were before the change.");
    expect(screen.queryByRole("button", { name: "Resume" })).toBeNull();
    await user.click(screen.getByRole("button", { name: "Open project" }));
    expect(openProject).toHaveBeenCalledWith("todo", "files");
  });

  it("says when the provider asked to slow down, and to how many files at a time", () => {
    render(wrap(<RunPanel run={runOf([planned, { type: "rate_limited", concurrency: 2 }])} />));
    expect(screen.getByRole("status")).toHaveTextContent("The AI provider asked BucketForge to slow down, so it now writes 2 files at a time.");
  });

  it("offers the finished project and its preview", async () => {
    const user = userEvent.setup();
    render(wrap(<RunPanel run={runOf([planned, { type: "finished", slug: "todo", files: 5, tokens: 10, cost_usd: null, elapsed_ms: 3000 }])} />));
    expect(screen.getByRole("status")).toHaveTextContent("All 5 files are saved in your bucket.");
    await user.click(screen.getByRole("button", { name: "Preview" }));
    expect(openProject).toHaveBeenCalledWith("todo", "preview");
    await user.click(screen.getByRole("button", { name: "Open project" }));
    expect(openProject).toHaveBeenCalledWith("todo", "files");
  });
});
