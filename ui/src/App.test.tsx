import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

import App from "./App";
import { GENERATE_UNAVAILABLE } from "./screens/Generate";

describe("the app shell", () => {
  // Braces matter: a function returned from beforeEach would run as a teardown.
  beforeEach(() => {
    invoke.mockReset();
  });

  it("shows the version the Rust side reports", async () => {
    invoke.mockResolvedValue("9.8.7");
    render(<App />);
    expect(await screen.findByTestId("app-version")).toHaveTextContent("Version 9.8.7");
    expect(invoke).toHaveBeenCalledWith("version");
  });

  it("shows the command's own message when the version can't be read", async () => {
    invoke.mockImplementation(async () => {
      throw { code: "internal", message: "The engine could not start." };
    });
    render(<App />);
    expect(await screen.findByRole("alert")).toHaveTextContent("The engine could not start.");
  });

  it("switches between the three screens from the sidebar", async () => {
    invoke.mockResolvedValue("1.0.0");
    const user = userEvent.setup();
    render(<App />);
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Generate an app");

    await user.click(screen.getByRole("button", { name: "Projects" }));
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Projects");
    expect(screen.getByText("No projects yet")).toBeVisible();
    expect(screen.getByRole("button", { name: "Projects" })).toHaveAttribute("aria-current", "page");

    await user.click(screen.getByRole("button", { name: "Settings" }));
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Settings");

    await user.click(screen.getByRole("button", { name: "Generate" }));
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Generate an app");
  });

  it("keeps Generate disabled and says why", async () => {
    invoke.mockResolvedValue("1.0.0");
    render(<App />);
    const generate = screen.getByRole("button", { name: "Generate" , description: GENERATE_UNAVAILABLE });
    expect(generate).toBeDisabled();
    expect(generate.parentElement).toHaveAttribute("title", GENERATE_UNAVAILABLE);
  });

  it("sends the empty Projects screen back to Generate", async () => {
    invoke.mockResolvedValue("1.0.0");
    const user = userEvent.setup();
    render(<App />);
    await user.click(screen.getByRole("button", { name: "Projects" }));
    await user.click(screen.getByRole("button", { name: "Go to Generate" }));
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Generate an app");
  });
});
