import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => import("../testing/tauri"));
const clipboard = vi.hoisted(() => ({ writeText: vi.fn() }));
vi.mock("@tauri-apps/plugin-clipboard-manager", () => ({ writeText: clipboard.writeText }));

import { answer, callsOf, expectOnlyAnsweredCommands, invoke } from "../testing/tauri";
import CopyDiagnostics from "./CopyDiagnostics";

const REPORT = "BucketForge 1.0.0\nSystem: linux x86_64\n…\nINFO settings_get: close";

describe("Copy diagnostics", () => {
  beforeEach(() => {
    invoke.mockReset();
    clipboard.writeText.mockReset();
  });
  afterEach(() => expectOnlyAnsweredCommands());

  it("copies the report the app assembles and says Copied", async () => {
    answer({ diagnostics: REPORT });
    clipboard.writeText.mockResolvedValue(undefined);
    const user = userEvent.setup();
    render(<CopyDiagnostics />);
    expect(screen.queryByRole("status")).toBeNull();

    await user.click(screen.getByRole("button", { name: "Copy diagnostics" }));

    expect(await screen.findByRole("status")).toHaveTextContent("Copied");
    expect(callsOf("diagnostics")).toEqual([{}]);
    expect(clipboard.writeText).toHaveBeenCalledWith(REPORT);
  });

  it("says what went wrong, and copies nothing, when the report can't be made", async () => {
    answer({
      diagnostics: () => {
        throw { code: "internal", message: "The log could not be read." };
      },
    });
    const user = userEvent.setup();
    render(<CopyDiagnostics />);

    await user.click(screen.getByRole("button", { name: "Copy diagnostics" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("The diagnostics could not be copied: The log could not be read.");
    expect(screen.queryByRole("status")).toBeNull();
    expect(clipboard.writeText).not.toHaveBeenCalled();
  });

  it("says so when the clipboard refuses the text", async () => {
    answer({ diagnostics: REPORT });
    clipboard.writeText.mockRejectedValue("the clipboard is not available");
    const user = userEvent.setup();
    render(<CopyDiagnostics />);

    await user.click(screen.getByRole("button", { name: "Copy diagnostics" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("the clipboard is not available");
    expect(screen.queryByRole("status")).toBeNull();
  });
});
