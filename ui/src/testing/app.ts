// Default command answers for rendering the whole app in tests, and a way to play a run's events.
import { act, render, screen } from "@testing-library/react";
import { createElement } from "react";
import App from "../App";
import type { GenerationEvent } from "../bindings/GenerationEvent";
import { PRESETS, PROVIDERS, settingsView } from "./fixtures";
import { answer, type Channel } from "./tauri";

/** The channels of the runs started so far, in order; `emit` plays the engine's side. */
export const channels: Channel<GenerationEvent>[] = [];

export function emit(run: number, ...events: GenerationEvent[]): void {
  act(() => {
    for (const event of events) channels[run].onmessage(event);
  });
}

/** A working app: settings that can generate, no projects, every run accepted. */
export function answerDefaults(overrides: Record<string, unknown> = {}): void {
  channels.length = 0;
  let runs = 0;
  answer({
    version: "1.0.0",
    settings_get: settingsView(),
    providers_list: PROVIDERS,
    storage_presets: PRESETS,
    runs_active: [],
    projects_list: { projects: [], next_page: null },
    llm_models: [],
    generate: (args: { onEvent: Channel<GenerationEvent> }) => {
      channels.push(args.onEvent);
      runs += 1;
      return `run-${runs}`;
    },
    resume: (args: { onEvent: Channel<GenerationEvent> }) => {
      channels.push(args.onEvent);
      runs += 1;
      return `run-${runs}`;
    },
    project_fix: (args: { onEvent: Channel<GenerationEvent> }) => {
      channels.push(args.onEvent);
      runs += 1;
      return `run-${runs}`;
    },
    project_change: (args: { onEvent: Channel<GenerationEvent> }) => {
      channels.push(args.onEvent);
      runs += 1;
      return `run-${runs}`;
    },
    cancel: null,
    // The quiet check at start: this is the newest version.
    update_check: { current_version: "1.0.0", address: "https://releases.bucketforge.app/latest.json", available: null },
    preview_api: null,
    preview_api_reset: null,
    ...overrides,
  });
}

/** Renders the whole app and waits until its settings are loaded and the screens are up. */
export async function renderApp(): Promise<void> {
  render(createElement(App));
  await screen.findByRole("navigation", { name: "Main" });
}
