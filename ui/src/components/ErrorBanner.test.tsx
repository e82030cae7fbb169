import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { ErrorReport } from "../bindings/ErrorReport";
import { NavigationContext } from "../navigation";
import ErrorBanner from "./ErrorBanner";

const go = vi.fn();
const openProject = vi.fn();

function renderBanner(error: ErrorReport, props: { context?: string; children?: ReactNode } = {}) {
  return render(
    <NavigationContext.Provider value={{ go, openProject }}>
      <ErrorBanner error={error} context={props.context}>
        {props.children}
      </ErrorBanner>
    </NavigationContext.Provider>,
  );
}

afterEach(() => go.mockReset());

describe("ErrorBanner", () => {
  it("shows the engine's message as written, after what the user was doing", () => {
    renderBanner(
      { code: "bucket_not_found", message: "The bucket “apps” does not exist.", fix_in: "storage_settings" },
      { context: "Your projects could not be listed." },
    );
    const alert = screen.getByRole("alert");
    expect(within(alert).getByText("Your projects could not be listed. The bucket “apps” does not exist.")).toBeVisible();
    expect(alert).toHaveAttribute("data-code", "bucket_not_found");
  });

  it.each([
    ["storage_settings", "Open Storage settings"],
    ["llm_settings", "Open AI provider settings"],
    ["settings", "Open Settings"],
  ] as const)("sends an error fixed in %s to Settings with “%s”", async (fixIn, label) => {
    const user = userEvent.setup();
    renderBanner({ code: "internal", message: "Something failed.", fix_in: fixIn });
    const buttons = within(screen.getByRole("alert")).getAllByRole("button");
    expect(buttons.map((b) => b.textContent)).toEqual([label]);
    await user.click(buttons[0]);
    expect(go).toHaveBeenCalledWith("settings");
  });

  it("offers no Settings action when nothing there fixes the error", () => {
    renderBanner({ code: "project_exists", message: "A project called “todo” already exists.", fix_in: "none" });
    expect(within(screen.getByRole("alert")).queryByRole("button")).toBeNull();
  });

  it("decides by fix_in, not by the code", () => {
    // The same code with another hint: the banner follows the hint the engine sent.
    renderBanner({ code: "llm_key_rejected", message: "The key was rejected.", fix_in: "none" });
    expect(within(screen.getByRole("alert")).queryByRole("button")).toBeNull();
  });

  it("puts the screen's own actions before the Settings action", () => {
    renderBanner(
      { code: "endpoint_unreachable", message: "BucketForge could not reach the storage service.", fix_in: "storage_settings" },
      { children: <button type="button">Try again</button> },
    );
    const names = within(screen.getByRole("alert"))
      .getAllByRole("button")
      .map((b) => b.textContent);
    expect(names).toEqual(["Try again", "Open Storage settings"]);
  });
});
