import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => import("../testing/tauri"));

import App from "../App";
import { LIMITS } from "../bindings/userLimits";
import { answerDefaults } from "../testing/app";
import { callsOf, invoke } from "../testing/tauri";

describe("the Settings screen's limits", () => {
  beforeEach(() => {
    invoke.mockReset();
  });

  it("offers the engine's range of files written at once and refuses a number past it", async () => {
    answerDefaults();
    const user = userEvent.setup();
    render(<App />);
    await user.click(await screen.findByRole("button", { name: "Settings" }));
    const input = await screen.findByRole("spinbutton", { name: /Files written at once/ });
    const { min, max } = LIMITS.concurrency;
    expect(input).toHaveAttribute("min", String(min));
    expect(input).toHaveAttribute("max", String(max));
    await user.clear(input);
    await user.type(input, String(max + 1));
    expect(screen.getByText(`Choose a number from ${min} to ${max}.`)).toBeVisible();
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(callsOf("settings_save_all")).toEqual([]);
  });
});
