import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => import("../testing/tauri"));

import { answerDefaults, emit, renderApp } from "../testing/app";
import { settingsView } from "../testing/fixtures";
import { callsOf, invoke } from "../testing/tauri";
import { EXAMPLE_IDEAS } from "./Generate";

const form = () => screen.getByRole("form", { name: "New app" });
const generateButton = () => within(form()).getByRole("button", { name: "Generate" });
const idea = () => screen.getByRole("textbox", { name: "Your idea" });

describe("the Generate screen", () => {
  beforeEach(() => {
    invoke.mockReset();
    answerDefaults();
  });

  it("shows the project's short name live, as the engine will make it", async () => {
    const user = userEvent.setup();
    await renderApp();
    const slug = screen.getByTestId("slug-preview");
    expect(slug).toHaveTextContent("Leave it empty and the AI names the project.");
    await user.type(screen.getByRole("textbox", { name: /Project name/ }), "Café Crème!");
    expect(slug).toHaveTextContent("Saved as cafe-creme");
    await user.clear(screen.getByRole("textbox", { name: /Project name/ }));
    // Other scripts and symbols are the engine's to transliterate or hash: no guess, no refusal.
    await user.type(screen.getByRole("textbox", { name: /Project name/ }), "Список дел");
    expect(slug).toHaveTextContent("Its short name is made from it when the project is saved.");
  });

  it("fills the idea from an example", async () => {
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByRole("button", { name: EXAMPLE_IDEAS[1].title }));
    expect(idea()).toHaveValue(EXAMPLE_IDEAS[1].idea);
  });

  it("keeps Generate disabled until there is an idea, and says why", async () => {
    const user = userEvent.setup();
    await renderApp();
    await screen.findByText("Describe your app idea first.");
    expect(generateButton()).toBeDisabled();
    expect(generateButton()).toHaveAccessibleDescription("Describe your app idea first.");
    await user.type(idea(), "A recipe box");
    expect(generateButton()).toBeEnabled();
  });

  it("keeps Generate disabled when the settings can't generate, and leads to Settings", async () => {
    answerDefaults({ settings_get: settingsView({ secrets: { llm_api_keys: [] } }) });
    const user = userEvent.setup();
    await renderApp();
    await user.type(idea(), "A recipe box");
    expect(await screen.findByText("Save your OpenAI API key in Settings → AI provider.")).toBeVisible();
    expect(generateButton()).toBeDisabled();
    await user.click(within(form()).getByRole("button", { name: "Open Settings" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Settings" })).toBeVisible();
  });

  it("sends the idea, the name and the chosen stack, then clears the form for the next idea", async () => {
    const user = userEvent.setup();
    await renderApp();
    await user.type(idea(), "  A recipe box  ");
    await user.type(screen.getByRole("textbox", { name: /Project name/ }), "Recipes");
    await user.selectOptions(screen.getByRole("combobox", { name: "Kind of app" }), "react");
    await user.click(generateButton());
    expect(callsOf("generate")[0].request).toEqual({ idea: "A recipe box", name: "Recipes", stack: "react" });
    expect(idea()).toHaveValue("");
    expect(screen.getByTestId("run")).toHaveAttribute("data-phase", "planning");
  });

  it("defaults to a website with its own server", async () => {
    await renderApp();
    expect(screen.getByRole("combobox", { name: "Kind of app" })).toHaveValue("fastapi-react");
  });

  it("explains why a run could not start and keeps the idea to try again", async () => {
    answerDefaults({
      generate: () => {
        throw { code: "llm_key_missing", message: "No API key is set for OpenAI. Add one in Settings or set OPENAI_API_KEY.", fix_in: "llm_settings" };
      },
    });
    const user = userEvent.setup();
    await renderApp();
    await user.type(idea(), "A recipe box");
    await user.click(generateButton());
    expect(await screen.findByRole("alert")).toHaveTextContent("No API key is set for OpenAI. Add one in Settings or set OPENAI_API_KEY.");
    expect(idea()).toHaveValue("A recipe box");
    expect(screen.queryByTestId("run")).toBeNull();
    expect(within(screen.getByRole("alert")).getByRole("button", { name: "Open AI provider settings" })).toBeVisible();
  });

  it("opens the preview of a finished run", async () => {
    answerDefaults({
      project_get: { slug: "recipes", source: "manifest", files: [], manifest: null },
      preview_url: "preview://localhost/alex/recipes/",
    });
    const user = userEvent.setup();
    await renderApp();
    await user.type(idea(), "A recipe box");
    await user.click(generateButton());
    emit(0, { type: "planned", slug: "recipes", name: "Recipes", summary: "", files: ["index.html"] });
    emit(0, { type: "file_uploaded", path: "index.html", key: "k", bytes: 100, ms: 3 });
    emit(0, { type: "finished", slug: "recipes", files: 1, tokens: 50, cost_usd: 0.01, elapsed_ms: 2000 });
    await user.click(screen.getByRole("button", { name: "Preview" }));
    expect(await screen.findByTestId("preview-frame")).toHaveAttribute("src", "preview://localhost/alex/recipes/");
  });

  it("cancels a run even when Cancel is pressed before the engine named it", async () => {
    let release: (id: string) => void = () => {};
    answerDefaults({ generate: () => new Promise<string>((resolve) => (release = resolve)) });
    const user = userEvent.setup();
    await renderApp();
    await user.type(idea(), "A recipe box");
    await user.click(generateButton());
    await user.click(await screen.findByRole("button", { name: "Cancel" }));
    expect(callsOf("cancel")).toEqual([]);
    release("run-7");
    await vi.waitFor(() => expect(callsOf("cancel")).toEqual([{ runId: "run-7" }]));
  });
});
