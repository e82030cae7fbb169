import { act, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => import("./testing/tauri"));
const clipboard = vi.hoisted(() => ({ writeText: vi.fn(async (_text: string) => {}) }));
vi.mock("@tauri-apps/plugin-clipboard-manager", () => clipboard);

import type { UpdateCheck } from "./bindings/UpdateCheck";
import type { UpdateInstall } from "./bindings/UpdateInstall";
import type { UpdateProgress } from "./bindings/UpdateProgress";
import { answerDefaults, renderApp } from "./testing/app";
import { settingsView } from "./testing/fixtures";
import { callsOf, expectOnlyAnsweredCommands, invoke, type Channel } from "./testing/tauri";

const NEWEST: UpdateCheck = { current_version: "1.0.0", address: "https://releases.bucketforge.app/latest.json", available: null };

function found(install: UpdateInstall): UpdateCheck {
  return {
    ...NEWEST,
    available: { version: "1.1.0", notes: "Faster previews.", published: "2026-12-01T09:30:00Z", install },
  };
}

const unreachable = {
  code: "update_unreachable",
  message: "BucketForge could not reach http://127.0.0.1:9/latest.json to look for a new version (no connection could be made).",
  fix_in: "none",
};

async function openUpdates(user: ReturnType<typeof userEvent.setup>) {
  await user.click(screen.getByRole("button", { name: "Settings" }));
  return screen.findByRole("group", { name: "Updates" });
}

describe("updates", () => {
  beforeEach(() => {
    invoke.mockReset();
    clipboard.writeText.mockClear();
  });

  it("look quietly at start and say nothing when there is no server to ask", async () => {
    answerDefaults({
      update_check: () => {
        throw unreachable;
      },
    });
    const user = userEvent.setup();
    await renderApp();
    await vi.waitFor(() => expect(callsOf("update_check")).toEqual([{}]));
    expect(screen.queryByTestId("update-notice")).toBeNull();
    const card = await openUpdates(user);
    expect(within(card).queryByTestId("update-result")).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
    expectOnlyAnsweredCommands();
  });

  it("don't look at start when the user turned it off", async () => {
    answerDefaults({ settings_get: settingsView({ settings: { updates: { check_at_start: false, address: "" } } }) });
    await renderApp();
    await screen.findByTestId("app-version");
    expect(callsOf("update_check")).toEqual([]);
  });

  it("announce a new version found at start in the sidebar, which opens Settings to install it", async () => {
    answerDefaults({ update_check: found({ kind: "in_place" }) });
    const user = userEvent.setup();
    await renderApp();
    await user.click(await screen.findByRole("button", { name: "Version 1.1.0 is available" }));
    const card = await screen.findByRole("group", { name: "Updates" });
    expect(within(card).getByTestId("update-result")).toHaveTextContent("Version 1.1.0 is available (you have 1.0.0).");
    expect(within(card).getByText("Faster previews.")).toBeInTheDocument();
    expect(within(card).getByRole("button", { name: "Install version 1.1.0" })).toBeEnabled();
  });

  it("check the address as typed, not yet saved, and report an unreachable one in words", async () => {
    let answer: () => UpdateCheck = () => NEWEST;
    answerDefaults({ update_check: () => answer() });
    const user = userEvent.setup();
    await renderApp();
    const card = await openUpdates(user);
    await user.type(within(card).getByLabelText(/Update address/), "http://127.0.0.1:9/latest.json");
    answer = () => {
      throw unreachable;
    };
    await user.click(within(card).getByRole("button", { name: "Check for updates" }));
    expect(await within(card).findByRole("alert")).toHaveTextContent(unreachable.message);
    expect(callsOf("update_check").at(-1)).toEqual({ address: "http://127.0.0.1:9/latest.json" });
    expect(callsOf("settings_save_all")).toEqual([]);

    answer = () => NEWEST;
    await user.click(within(card).getByRole("button", { name: "Check for updates" }));
    expect(await within(card).findByTestId("update-result")).toHaveTextContent("You have the newest version (1.0.0).");
  });

  it("install with the download's progress, then say the new version opens at the next start", async () => {
    let progress: Channel<UpdateProgress> | null = null;
    let finish: (version: string) => void = () => {};
    answerDefaults({
      update_check: found({ kind: "in_place" }),
      update_install: (args: { onProgress: Channel<UpdateProgress> }) => {
        progress = args.onProgress;
        return new Promise<string>((resolve) => (finish = resolve));
      },
    });
    const user = userEvent.setup();
    await renderApp();
    await user.click(await screen.findByRole("button", { name: "Version 1.1.0 is available" }));
    const card = await screen.findByRole("group", { name: "Updates" });
    await user.click(within(card).getByRole("button", { name: "Install version 1.1.0" }));
    expect(within(card).getByRole("button", { name: "Installing…" })).toBeDisabled();
    await vi.waitFor(() => expect(progress).not.toBeNull());
    act(() => progress!.onmessage({ downloaded: 4_200_000, total: 9_800_000 }));
    expect(within(card).getByTestId("update-progress")).toHaveTextContent("Downloading… 4.2 of 9.8 MB");
    await act(async () => finish("1.1.0"));
    expect(await within(card).findByTestId("update-result")).toHaveTextContent(
      "Version 1.1.0 is installed. It opens the next time you start BucketForge.",
    );
    expect(screen.queryByTestId("update-notice")).toBeNull();
  });

  it("show a refused signature's message and keep the install button for another try", async () => {
    answerDefaults({
      update_check: found({ kind: "in_place" }),
      update_install: () => {
        throw {
          code: "update_signature_invalid",
          message: "The download of version 1.1.0 does not carry BucketForge's signature (the signature does not match the file), so it was not installed and nothing changed.",
          fix_in: "none",
        };
      },
    });
    const user = userEvent.setup();
    await renderApp();
    await user.click(await screen.findByRole("button", { name: "Version 1.1.0 is available" }));
    const card = await screen.findByRole("group", { name: "Updates" });
    await user.click(within(card).getByRole("button", { name: "Install version 1.1.0" }));
    expect(await within(card).findByRole("alert")).toHaveTextContent("does not carry BucketForge's signature");
    expect(within(card).getByRole("button", { name: "Install version 1.1.0" })).toBeEnabled();
  });

  it("point a .deb install at the new installer instead of installing, with its address to copy", async () => {
    const url = "https://releases.bucketforge.app/BucketForge_1.1.0_amd64.deb";
    answerDefaults({ update_check: found({ kind: "download", url, package: "deb" }) });
    const user = userEvent.setup();
    await renderApp();
    await user.click(await screen.findByRole("button", { name: "Version 1.1.0 is available" }));
    const card = await screen.findByRole("group", { name: "Updates" });
    expect(within(card).getByTestId("update-download")).toHaveTextContent("installed from a .deb package");
    expect(within(card).getByTestId("update-download-url")).toHaveTextContent(url);
    expect(within(card).queryByRole("button", { name: /Install/ })).toBeNull();
    await user.click(within(card).getByRole("button", { name: "Copy download address" }));
    expect(clipboard.writeText).toHaveBeenCalledWith(url);
    expect(callsOf("update_install")).toEqual([]);
  });
});
