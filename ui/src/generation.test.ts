import { describe, expect, it } from "vitest";
import type { GenerationEvent } from "./bindings/GenerationEvent";
import {
  applyEvent,
  formatBytes,
  formatCost,
  formatElapsed,
  formatTokens,
  initialRun,
  isRunning,
  progress,
  totalTokens,
  totals,
} from "./generation";

function run(events: GenerationEvent[]) {
  return events.reduce(applyEvent, initialRun());
}

const planned: GenerationEvent = {
  type: "planned",
  slug: "todo",
  name: "Todo",
  summary: "Tasks",
  files: ["backend/main.py", "frontend/src/App.jsx", "README.md"],
};

describe("a run's progress", () => {
  it("lists every planned file as queued, in plan order", () => {
    const s = run([{ type: "planning" }, planned]);
    expect(s.phase).toBe("writing");
    expect(s.slug).toBe("todo");
    expect(s.files.map((f) => [f.path, f.status])).toEqual([
      ["backend/main.py", "queued"],
      ["frontend/src/App.jsx", "queued"],
      ["README.md", "queued"],
    ]);
    expect(progress(s)).toBe(0);
    expect(isRunning(s)).toBe(true);
  });

  it("follows a file through writing, repairing and upload", () => {
    let s = run([planned, { type: "file_started", path: "backend/main.py" }]);
    s = applyEvent(s, { type: "file_progress", path: "backend/main.py", bytes: 512, tokens: 130 });
    expect(s.files[0]).toMatchObject({ status: "writing", bytes: 512, tokens: 130 });
    s = applyEvent(s, { type: "file_repairing", path: "backend/main.py", reason: "line 4: invalid syntax", attempt: 1 });
    expect(s.files[0]).toMatchObject({ status: "repairing", note: "line 4: invalid syntax" });
    s = applyEvent(s, { type: "file_uploaded", path: "backend/main.py", key: "k", bytes: 600, ms: 42 });
    expect(s.files[0]).toMatchObject({ status: "uploaded", bytes: 600, ms: 42, note: null });
    expect(progress(s)).toBeCloseTo(1 / 3);
    // The other files are untouched.
    expect(s.files[1].status).toBe("queued");
  });

  it("keeps the running totals of tokens and cost", () => {
    const s = run([
      planned,
      { type: "usage", prompt_tokens: 1000, completion_tokens: 250, cost_usd: 0.0123, estimated: false },
    ]);
    expect([s.promptTokens, s.completionTokens, s.costUsd]).toEqual([1000, 250, 0.0123]);
  });

  it("ends finished, failed with what landed, or cancelled", () => {
    const finished = run([planned, { type: "finished", slug: "todo", files: 3, tokens: 9, cost_usd: null, elapsed_ms: 5000 }]);
    expect(finished.phase).toBe("finished");
    expect(progress(finished)).toBe(1);
    expect(isRunning(finished)).toBe(false);

    const error = { code: "llm_key_rejected", message: "The API key for OpenAI was rejected.", fix_in: "llm_settings" } as const;
    const failed = run([planned, { type: "failed", slug: "todo", error, landed: ["README.md"] }]);
    expect(failed).toMatchObject({ phase: "failed", error, landed: ["README.md"] });

    const cancelled = run([planned, { type: "cancelled", slug: "todo", landed: [] }]);
    expect(cancelled.phase).toBe("cancelled");
  });

  it("records a failed file's error", () => {
    const s = run([
      planned,
      {
        type: "file_failed",
        path: "README.md",
        error: { code: "file_truncated", message: "The AI's answer for “README.md” kept hitting its length limit.", fix_in: "none" },
      },
    ]);
    expect(s.files[2]).toMatchObject({ status: "failed", note: "The AI's answer for “README.md” kept hitting its length limit." });
  });
});

describe("formatting", () => {
  it("formats sizes, costs and durations for people", () => {
    expect(formatBytes(900)).toBe("900 B");
    expect(formatBytes(2048)).toBe("2.0 KB");
    expect(formatCost(null, false)).toBe("cost unknown for this model");
    expect(formatCost(0.004, false)).toBe("< $0.01");
    expect(formatCost(1.234, true)).toBe("about $1.23");
    expect(formatElapsed(59_000)).toBe("59s");
    expect(formatElapsed(125_000)).toBe("2m 05s");
  });
});

describe("a run that ends early", () => {
  it("marks files that were waiting or in flight as stopped, and keeps the uploaded ones", () => {
    const s = run([
      planned,
      { type: "file_started", path: "backend/main.py" },
      { type: "file_uploaded", path: "backend/main.py", key: "k", bytes: 10, ms: 5 },
      { type: "file_started", path: "frontend/src/App.jsx" },
      { type: "file_progress", path: "frontend/src/App.jsx", bytes: 300, tokens: 80 },
      { type: "cancelled", slug: "todo", landed: ["backend/main.py"] },
    ]);
    expect(s.files.map((f) => [f.path, f.status])).toEqual([
      ["backend/main.py", "uploaded"],
      ["frontend/src/App.jsx", "stopped"],
      ["README.md", "stopped"],
    ]);
  });

  it("keeps a repairing file's reason while the fixed version streams in", () => {
    const s = run([
      planned,
      { type: "file_started", path: "README.md" },
      { type: "file_repairing", path: "README.md", reason: "unclosed code fence", attempt: 2 },
      { type: "file_progress", path: "README.md", bytes: 40, tokens: 9 },
    ]);
    expect(s.files[2]).toMatchObject({ status: "repairing", note: "unclosed code fence", attempt: 2, bytes: 40 });
  });
});

describe("totals", () => {
  it("counts planned, uploaded and failed files and the bytes written so far", () => {
    const s = run([
      planned,
      { type: "file_uploaded", path: "backend/main.py", key: "k", bytes: 1000, ms: 5 },
      { type: "file_progress", path: "frontend/src/App.jsx", bytes: 250, tokens: 60 },
      { type: "file_failed", path: "README.md", error: { code: "file_too_large", message: "too long", fix_in: "none" } },
      { type: "usage", prompt_tokens: 1200, completion_tokens: 300, cost_usd: 0.02, estimated: true },
    ]);
    expect(totals(s)).toEqual({ planned: 3, uploaded: 1, removed: 0, failed: 1, bytes: 1250 });
    expect(totalTokens(s)).toBe(1500);
    expect(formatTokens(totalTokens(s))).toBe("1,500");
  });

  it("counts a file kept from the last run as uploaded", () => {
    const s = run([planned, { type: "file_kept", path: "README.md", bytes: 77 }]);
    expect(s.files[2]).toMatchObject({ status: "uploaded", bytes: 77, note: "kept from the last run" });
    expect(totals(s).uploaded).toBe(1);
  });

  it("counts a file a change removed as done, not as saved", () => {
    const s = run([
      planned,
      { type: "file_uploaded", path: "backend/main.py", key: "k", bytes: 10, ms: 1 },
      { type: "file_removed", path: "README.md" },
    ]);
    expect(s.files[2]).toMatchObject({ status: "removed" });
    expect(totals(s)).toMatchObject({ planned: 3, uploaded: 1, removed: 1 });
    expect(progress(s)).toBeCloseTo(2 / 3);
  });

  it("shows a file whose repair after the check did not land as saved once the run finishes", () => {
    const state = [
      { type: "planned", slug: "todo", name: "Todo", summary: "", files: ["src/App.jsx", "src/main.jsx"] },
      { type: "file_uploaded", path: "src/App.jsx", key: "k", bytes: 10, ms: 1 },
      { type: "file_uploaded", path: "src/main.jsx", key: "k", bytes: 10, ms: 1 },
      { type: "checking" },
      { type: "file_repairing", path: "src/App.jsx", reason: "imports axios", attempt: 1 },
      { type: "finished", slug: "todo", files: 2, tokens: 1, cost_usd: null, elapsed_ms: 5 },
    ].reduce((s, e) => applyEvent(s, e as GenerationEvent), initialRun());
    expect(state.phase).toBe("finished");
    expect(state.files.map((f) => f.status)).toEqual(["uploaded", "uploaded"]);
  });
});
