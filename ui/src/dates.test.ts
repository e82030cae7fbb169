import { describe, expect, it } from "vitest";
import { formatDate } from "./dates";

const TEN_UTC = "2026-03-01T10:00:00Z";

describe("formatDate", () => {
  it("shows the moment in the given time zone, even when that is another day", () => {
    expect(formatDate(TEN_UTC, { locale: "en-GB", timeZone: "UTC" })).toBe("1 Mar 2026, 10:00");
    expect(formatDate(TEN_UTC, { locale: "en-GB", timeZone: "Pacific/Kiritimati" })).toBe("2 Mar 2026, 00:00");
    expect(formatDate(TEN_UTC, { locale: "en-GB", timeZone: "America/Adak" })).toBe("1 Mar 2026, 00:00");
  });

  it("writes the date the way the given locale does", () => {
    expect(formatDate(TEN_UTC, { locale: "de-DE", timeZone: "UTC" })).toBe("01.03.2026, 10:00");
  });

  it("shows the engine's text as it is when it is not a date, and a dash when there is none", () => {
    expect(formatDate("last Tuesday", { locale: "en-GB", timeZone: "UTC" })).toBe("last Tuesday");
    expect(formatDate(null)).toBe("—");
  });

  it("shows dates in the locale and zone the test setup pins, whatever the machine's", () => {
    expect(formatDate(TEN_UTC)).toBe("1 Mar 2026, 10:00");
  });
});
