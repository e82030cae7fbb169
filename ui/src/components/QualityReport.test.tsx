import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { QualityReport as Report } from "../bindings/QualityReport";
import QualityReport from "./QualityReport";

const report: Report = {
  checks: [
    { rule: "guarded_env", label: "The app finds its server even when no address is set", breaks: true, passed: false },
    { rule: "cors_localhost", label: "The server lets the app in from any local address", breaks: true, passed: true },
    { rule: "image_alt", label: "Every image has a description", breaks: false, passed: false },
  ],
  findings: [
    {
      rule: "guarded_env",
      breaks: true,
      path: "frontend/src/api.js",
      line: 2,
      message: "reads `import.meta.env.VITE_API_URL` with no fallback",
    },
    { rule: "image_alt", breaks: false, path: "frontend/src/Logo.jsx", message: "has 1 image without `alt` text" },
  ],
};

describe("QualityReport", () => {
  it("counts the checks passed and splits what breaks the app from the notes, each with its place", () => {
    render(<QualityReport report={report} />);
    expect(screen.getByTestId("quality-summary").textContent).toBe(
      "1 of 3 checks passed · 1 problem that can break the app · 1 note",
    );
    const problems = screen.getByTestId("quality-problems");
    expect(within(problems).getAllByRole("listitem")).toHaveLength(1);
    expect(problems.textContent).toContain("frontend/src/api.js, line 2");
    const notes = screen.getByTestId("quality-notes");
    expect(notes.textContent).toContain("frontend/src/Logo.jsx has 1 image");
    expect(notes.textContent).not.toContain("line");
    const checks = within(screen.getByTestId("quality-checks")).getAllByRole("listitem");
    expect(checks.map((c) => c.className)).toEqual(["failed", "passed", "failed"]);
    expect(checks[1].textContent).toContain("Passed: The server lets the app in from any local address");
  });

  it("keeps the notes and the checks folded behind the summary line, and what breaks the app in view", async () => {
    render(<QualityReport report={report} />);
    const more = screen.getByTestId("quality-summary").closest("details")!;
    expect(more.open).toBe(false);
    expect(more.contains(screen.getByTestId("quality-notes"))).toBe(true);
    expect(more.contains(screen.getByTestId("quality-checks"))).toBe(true);
    expect(more.contains(screen.getByTestId("quality-problems"))).toBe(false);
    await userEvent.click(screen.getByTestId("quality-summary"));
    expect(more.open).toBe(true);
  });

  it("shows a clean report as just the count", () => {
    render(<QualityReport report={{ checks: report.checks.map((c) => ({ ...c, passed: true })), findings: [] }} />);
    expect(screen.getByTestId("quality-summary").textContent).toBe("3 of 3 checks passed");
    expect(screen.queryByTestId("quality-problems")).toBeNull();
    expect(screen.queryByTestId("quality-notes")).toBeNull();
    expect(screen.getByTestId("quality-report").className).toContain("is-clean");
  });

  it("offers Fix with AI for what can break the app, and only then", async () => {
    const onFix = vi.fn();
    const { unmount } = render(<QualityReport report={report} onFix={onFix} />);
    await userEvent.click(screen.getByRole("button", { name: "Fix with AI" }));
    expect(onFix).toHaveBeenCalledTimes(1);
    unmount();
    render(<QualityReport report={{ ...report, findings: report.findings.filter((f) => !f.breaks) }} onFix={onFix} />);
    expect(screen.queryByRole("button", { name: "Fix with AI" })).toBeNull();
  });
});
