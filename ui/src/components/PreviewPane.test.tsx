import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => import("../testing/tauri"));

import { answer, callsOf, invoke } from "../testing/tauri";
import PreviewPane from "./PreviewPane";

const URL = "preview://localhost/alex/todo/";

describe("the preview pane", () => {
  beforeEach(() => {
    invoke.mockReset();
    answer({ preview_url: URL });
  });

  it("runs the project in a frame sandboxed to scripts only, never the app's origin", async () => {
    render(<PreviewPane slug="todo" name="Todo" />);
    const frame = await screen.findByTestId("preview-frame");
    expect(frame.getAttribute("sandbox")).toBe("allow-scripts");
    expect(frame).toHaveAttribute("src", URL);
    expect(frame).toHaveAttribute("title", "Preview of Todo");
    expect(callsOf("preview_url")).toEqual([{ slug: "todo" }]);
  });

  it("reloads by loading a fresh frame", async () => {
    const user = userEvent.setup();
    render(<PreviewPane slug="todo" name="Todo" />);
    const first = await screen.findByTestId("preview-frame");
    await user.click(screen.getByRole("button", { name: "Reload" }));
    const second = screen.getByTestId("preview-frame");
    expect(second).not.toBe(first);
    expect(second.getAttribute("sandbox")).toBe("allow-scripts");
    expect(second).toHaveAttribute("src", URL);
  });

  it("shows the app at desktop, tablet and phone widths", async () => {
    const user = userEvent.setup();
    render(<PreviewPane slug="todo" name="Todo" />);
    const frame = await screen.findByTestId("preview-frame");
    expect(screen.getByRole("button", { name: "Desktop" })).toHaveAttribute("aria-pressed", "true");
    expect(frame.style.width).toBe("");

    await user.click(screen.getByRole("button", { name: /Tablet/ }));
    expect(screen.getByTestId("preview-frame").style.width).toBe("768px");
    expect(screen.getByRole("button", { name: /Tablet/ })).toHaveAttribute("aria-pressed", "true");

    await user.click(screen.getByRole("button", { name: /Phone/ }));
    expect(screen.getByTestId("preview-frame").style.width).toBe("390px");
    expect(screen.getByTestId("preview-frame")).toHaveAttribute("data-device", "phone");
  });

  it("says why the preview can't open instead of showing a blank frame", async () => {
    answer({
      preview_url: () => {
        throw { code: "invalid_name", message: "“Todo!” can't be used as a project short name: only lowercase letters, digits and “-” are allowed" };
      },
    });
    render(<PreviewPane slug="Todo!" name="Todo" />);
    expect(await screen.findByRole("alert")).toHaveTextContent("only lowercase letters, digits and “-” are allowed");
    expect(screen.queryByTestId("preview-frame")).toBeNull();
  });
});
