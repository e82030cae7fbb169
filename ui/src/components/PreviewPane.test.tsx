import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => import("../testing/tauri"));

import { answer, callsOf, invoke } from "../testing/tauri";
import PreviewPane from "./PreviewPane";

const URL = "preview://localhost/alex/todo/";

describe("the preview pane", () => {
  beforeEach(() => {
    invoke.mockReset();
    answer({ preview_url: URL, preview_api: null, preview_api_reset: null });
  });

  it("runs the project in a frame sandboxed to scripts only, never the app's origin", async () => {
    render(<PreviewPane slug="todo" name="Todo" />);
    const frame = await screen.findByTestId("preview-frame");
    expect(frame.getAttribute("sandbox")).toBe("allow-scripts allow-forms");
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
    expect(second.getAttribute("sandbox")).toBe("allow-scripts allow-forms");
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
      preview_api: null,
      preview_api_reset: null,
      preview_url: () => {
        throw { code: "invalid_name", message: "“Todo!” can't be used as a project short name: only lowercase letters, digits and “-” are allowed" };
      },
    });
    render(<PreviewPane slug="Todo!" name="Todo" />);
    expect(await screen.findByRole("alert")).toHaveTextContent("only lowercase letters, digits and “-” are allowed");
    expect(screen.queryByTestId("preview-frame")).toBeNull();
  });

  it("says how long the app took to show, counting only its own frame's word", async () => {
    const user = userEvent.setup();
    render(<PreviewPane slug="todo" name="Todo" />);
    const frame = (await screen.findByTestId("preview-frame")) as HTMLIFrameElement;
    const post = (source: MessageEventSource | null, data: unknown) =>
      act(() => {
        window.dispatchEvent(new MessageEvent("message", { data, source }));
      });

    // Another window, or another message, says nothing about this frame.
    await post(window, "bucketforge:rendered");
    await post(frame.contentWindow, { bucketforge: "rendered" });
    expect(screen.queryByTestId("preview-render-ms")).toBeNull();

    await post(frame.contentWindow, "bucketforge:rendered");
    const timing = screen.getByTestId("preview-render-ms");
    expect(Number(timing.dataset.ms)).toBeGreaterThan(0);
    expect(timing).toHaveTextContent(/^Shown in \d+ ms$/);

    // A reload starts the clock again: the old figure goes until the new frame shows.
    await user.click(screen.getByRole("button", { name: "Reload" }));
    expect(screen.queryByTestId("preview-render-ms")).toBeNull();
    await post(frame.contentWindow, "bucketforge:rendered");
    expect(screen.queryByTestId("preview-render-ms")).toBeNull();
    await post((screen.getByTestId("preview-frame") as HTMLIFrameElement).contentWindow, "bucketforge:rendered");
    expect(screen.getByTestId("preview-render-ms")).toBeInTheDocument();
  });

  it("says the backend is simulated, lists the app's requests, and Reset data empties it", async () => {
    const user = userEvent.setup();
    let calls = [
      { method: "POST", path: "/api/todos", status: 200, micros: 40, note: "created Todo 1" },
      { method: "GET", path: "/api/summaries", status: 404, micros: 12, note: "no such endpoint" },
    ];
    answer({
      preview_url: URL,
      preview_api: () => ({ endpoints: 5, from_code: false, calls }),
      preview_api_reset: () => {
        calls = [];
        return null;
      },
    });
    const { unmount } = render(<PreviewPane slug="todo" name="Todo" />);
    const backend = await screen.findByTestId("preview-backend");
    expect(backend).toHaveTextContent("simulated from the app's API contract (5 endpoints)");
    await user.click(screen.getByRole("button", { name: "Requests (2)" }));
    const rows = screen.getByTestId("preview-calls").querySelectorAll("tbody tr");
    expect(rows).toHaveLength(2);
    expect(rows[1]).toHaveTextContent("GET/api/summaries404no such endpoint");
    expect(rows[1]).toHaveClass("is-error");

    await user.click(screen.getByRole("button", { name: "Reset data" }));
    expect(callsOf("preview_api_reset")).toEqual([{ slug: "todo" }]);
    expect(await screen.findByRole("button", { name: "Requests (0)" })).toBeInTheDocument();
    // Closing the preview drops the app's data.
    unmount();
    expect(callsOf("preview_api_reset")).toHaveLength(2);
  });
});
