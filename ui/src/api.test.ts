import { describe, expect, it } from "vitest";
import { errorMessage } from "./api";

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
