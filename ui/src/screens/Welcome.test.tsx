import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => import("../testing/tauri"));

import App from "../App";
import type { Settings } from "../bindings/Settings";
import { answerDefaults } from "../testing/app";
import { settingsView } from "../testing/fixtures";
import { callsOf, commandOrder, invoke } from "../testing/tauri";

const firstRun = settingsView({ first_run: true, settings: { onboarded: false }, secrets: { llm_api_keys: [] } });

/** Counts the clicks a person makes, to hold the welcome to its promise of three at most. */
function countingUser() {
  const user = userEvent.setup();
  let clicks = 0;
  return {
    user,
    click: async (element: Element) => {
      clicks += 1;
      await user.click(element);
    },
    clicks: () => clicks,
  };
}

function answerFirstRun(overrides: Record<string, unknown>) {
  answerDefaults({
    settings_get: firstRun,
    settings_save_all: ({ settings }: { settings: Settings }) => settingsView({ settings, secrets: { llm_api_keys: ["openai"] } }),
    ...overrides,
  });
}

describe("the first-run welcome", () => {
  beforeEach(() => {
    invoke.mockReset();
  });

  it("reaches Generate in one click when Ollama is found, with a coding model preselected", async () => {
    answerFirstRun({
      ollama_detect: {
        base_url: "http://127.0.0.1:11434/v1",
        models: [
          { id: "llama3.2:3b", display_name: null },
          { id: "qwen2.5-coder:7b", display_name: null },
        ],
      },
    });
    const person = countingUser();
    render(<App />);
    expect(await screen.findByRole("radio", { name: /Ollama on this computer/ })).toBeChecked();
    expect(screen.getByRole("combobox", { name: "Ollama model" })).toHaveValue("qwen2.5-coder:7b");

    await person.click(screen.getByRole("button", { name: "Start generating" }));

    expect(await screen.findByRole("heading", { level: 1, name: "Generate an app" })).toBeVisible();
    expect(person.clicks()).toBeLessThanOrEqual(3);
    const saved = callsOf("settings_save_all")[0].settings as Settings;
    expect(saved.storage.kind).toBe("local");
    expect(saved.llm).toEqual({ provider: "ollama", model: "qwen2.5-coder:7b", base_url: "http://127.0.0.1:11434/v1" });
    expect(saved.onboarded).toBe(true);
    expect(callsOf("settings_save_all")[0].secrets).toEqual([]);
  });

  it("reaches Generate with one API key and one click when no local AI answers", async () => {
    answerFirstRun({ ollama_detect: null });
    const person = countingUser();
    render(<App />);
    const provider = await screen.findByRole("combobox", { name: "Provider" });
    expect(provider).toHaveValue("openai");
    const start = screen.getByRole("button", { name: "Start generating" });
    expect(start).toBeDisabled();

    await person.user.type(screen.getByLabelText("OpenAI API key"), "sk-test-123");
    await person.click(start);

    expect(await screen.findByRole("heading", { level: 1, name: "Generate an app" })).toBeVisible();
    expect(person.clicks()).toBeLessThanOrEqual(3);
    // The key and the settings go in one command, so the setup is never marked done without it.
    expect(commandOrder().filter((c) => c.startsWith("settings_save") || c.startsWith("secret"))).toEqual(["settings_save_all"]);
    expect(callsOf("settings_save_all")[0].secrets).toEqual([{ slot: { kind: "llm_api_key", provider: "openai" }, value: "sk-test-123" }]);
    const saved = callsOf("settings_save_all")[0].settings as Settings;
    expect(saved).toMatchObject({ onboarded: true, storage: { kind: "local" }, llm: { provider: "openai", model: "", base_url: "" } });
    // Generate is ready to go, not blocked on settings.
    expect(screen.getByText("Describe your app idea first.")).toBeVisible();
  });

  it("keeps the user on the welcome with the keyring's own words when the key can't be stored", async () => {
    answerFirstRun({
      ollama_detect: null,
      settings_save_all: () => {
        throw { code: "keyring_unavailable", message: "No system keyring is available: unlock or install GNOME Keyring / KWallet" };
      },
    });
    const user = userEvent.setup();
    render(<App />);
    await user.type(await screen.findByLabelText("OpenAI API key"), "sk-test-123");
    await user.click(screen.getByRole("button", { name: "Start generating" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("No system keyring is available: unlock or install GNOME Keyring / KWallet");
    expect(screen.getByRole("heading", { name: "Welcome to BucketForge" })).toBeVisible();
  });

  it("lets the user pick another provider for the key", async () => {
    answerFirstRun({ ollama_detect: null });
    const user = userEvent.setup();
    render(<App />);
    await user.selectOptions(await screen.findByRole("combobox", { name: "Provider" }), "anthropic");
    await user.type(screen.getByLabelText("Anthropic API key"), "sk-ant");
    await user.click(screen.getByRole("button", { name: "Start generating" }));
    await screen.findByRole("heading", { level: 1, name: "Generate an app" });
    expect((callsOf("settings_save_all")[0].secrets as unknown[])[0]).toEqual({ slot: { kind: "llm_api_key", provider: "anthropic" }, value: "sk-ant" });
  });
});
