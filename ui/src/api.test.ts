import { describe, expect, it } from "vitest";
import { errorMessage, errorReport } from "./api";

describe("errorMessage", () => {
  it("shows a command error's message as written", () => {
    expect(errorMessage({ code: "bucket_not_found", message: "The bucket “x” does not exist." })).toBe(
      "The bucket “x” does not exist.",
    );
  });

  it("passes plain strings through", () => {
    expect(errorMessage("window closed")).toBe("window closed");
  });

  it("never shows a raw object to the user", () => {
    expect(errorMessage(42)).toMatch(/restart the app/);
    expect(errorMessage(null)).toMatch(/restart the app/);
  });
});

describe("errorReport", () => {
  it("keeps a command's report as it came, with where to fix it", () => {
    const report = { code: "bucket_not_found", message: "The bucket “x” does not exist.", fix_in: "storage_settings" } as const;
    expect(errorReport(report)).toEqual(report);
  });

  it("makes anything else an internal error that Settings can't fix", () => {
    expect(errorReport("window closed")).toEqual({ code: "internal", message: "window closed", fix_in: "none" });
    expect(errorReport(42)).toMatchObject({ code: "internal", fix_in: "none" });
  });
});
