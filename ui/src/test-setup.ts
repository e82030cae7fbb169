import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";
import { showDatesIn } from "./dates";
import { expectOnlyAnsweredCommands } from "./testing/tauri";

// jsdom lays nothing out, and its Range lacks the geometry CodeMirror measures selections with.
if (!Range.prototype.getClientRects) {
  Range.prototype.getClientRects = () => ({ length: 0, item: () => null, [Symbol.iterator]: [][Symbol.iterator] }) as unknown as DOMRectList;
  Range.prototype.getBoundingClientRect = () => new DOMRect(0, 0, 0, 0);
}

// Expected dates then read the same whatever the machine's time zone and language.
showDatesIn({ locale: "en-GB", timeZone: "UTC" });

afterEach(() => {
  cleanup();
  // After the unmount, so commands the app sends while closing are checked too.
  expectOnlyAnsweredCommands();
});
