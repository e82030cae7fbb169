import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

const plugins = vi.hoisted(() => ({ writeText: vi.fn() }));
vi.mock("@tauri-apps/api/core", () => import("../testing/tauri"));
vi.mock("@tauri-apps/plugin-clipboard-manager", () => ({ writeText: plugins.writeText }));

import App from "../App";
import type { Settings } from "../bindings/Settings";
import type { SettingsView } from "../bindings/SettingsView";
import { answerDefaults } from "../testing/app";
import { settingsView } from "../testing/fixtures";
import { callsOf, commandOrder, invoke } from "../testing/tauri";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/** Every secret sent with a save, in order. */
function secretsSent(): unknown[] {
  return callsOf("settings_save_all").flatMap((call) => call.secrets as unknown[]);
}

/** A Settings backend that remembers what was saved, as the real one does (never the secret's value). */
function settingsBackend(start: SettingsView) {
  let view = start;
  return {
    settings_get: () => view,
    settings_save_all: ({ settings, secrets }: { settings: Settings; secrets: { slot: { kind: string; provider?: string } }[] }) => {
      for (const { slot } of secrets)
        view =
          slot.kind === "storage_secret_key"
            ? { ...view, secrets: { ...view.secrets, storage_secret_key: true } }
            : { ...view, secrets: { ...view.secrets, llm_api_keys: [...view.secrets.llm_api_keys, slot.provider as never] } };
      return (view = { ...view, settings, first_run: false });
    },
    secret_delete: ({ slot }: { slot: { kind: string; provider?: string } }) =>
      (view =
        slot.kind === "storage_secret_key"
          ? { ...view, secrets: { ...view.secrets, storage_secret_key: false } }
          : { ...view, secrets: { ...view.secrets, llm_api_keys: view.secrets.llm_api_keys.filter((k) => k !== slot.provider) } }),
  };
}

const s3View = (secretSaved: boolean) =>
  settingsView({
    settings: {
      storage: {
        kind: "amazon-s3",
        bucket: "my-apps",
        region: "eu-west-1",
        endpoint: "",
        path_style: false,
        access_key_id: "AKIAEXAMPLE",
        aws_profile: "",
        preset: null,
      },
    },
    secrets: { storage_secret_key: secretSaved },
  });

async function openSettings(user: ReturnType<typeof userEvent.setup>) {
  render(<App />);
  await user.click(await screen.findByRole("button", { name: "Settings" }));
  await screen.findByRole("group", { name: "Storage" });
}

const storageSection = () => screen.getByRole("group", { name: "Storage" });
const aiSection = () => screen.getByRole("group", { name: "AI provider" });

describe("the Settings screen", () => {
  beforeEach(() => {
    invoke.mockReset();
  });

  it("sends a typed secret once, then shows it only as Saved", async () => {
    answerDefaults(settingsBackend(s3View(false)));
    const user = userEvent.setup();
    await openSettings(user);
    await user.type(screen.getByLabelText("Secret access key"), SECRET);
    await user.click(screen.getByRole("button", { name: "Save" }));

    expect(await screen.findByRole("status")).toHaveTextContent("Settings saved.");
    expect(secretsSent()).toEqual([{ slot: { kind: "storage_secret_key" }, value: SECRET }]);
    expect(screen.getByTestId("secret-secret-access-key")).toHaveAttribute("data-saved", "true");
    expect(document.body.innerHTML).not.toContain(SECRET);
    for (const input of document.querySelectorAll("input")) expect(input.value).not.toBe(SECRET);

    // Saving again does not send the key again.
    await user.click(screen.getByRole("button", { name: "Save" }));
    await vi.waitFor(() => expect(callsOf("settings_save_all")).toHaveLength(2));
    expect(secretsSent()).toHaveLength(1);
  });

  it("sends the settings and a typed key in one save, and keeps the key field when the keyring refuses", async () => {
    answerDefaults({
      ...settingsBackend(s3View(false)),
      settings_save_all: () => {
        throw { code: "keyring_unavailable", message: "No system keyring is available: unlock or install GNOME Keyring / KWallet" };
      },
    });
    const user = userEvent.setup();
    await openSettings(user);
    await user.type(screen.getByLabelText("Secret access key"), SECRET);
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Your settings were not saved. No system keyring is available");
    expect(secretsSent()).toEqual([{ slot: { kind: "storage_secret_key" }, value: SECRET }]);
    // The typed key is still there to save again once the keyring is back.
    expect(screen.getByLabelText("Secret access key")).toHaveValue(SECRET);
  });

  it("never fills a saved key back in: Replace opens an empty field", async () => {
    answerDefaults(settingsBackend(s3View(true)));
    const user = userEvent.setup();
    await openSettings(user);
    const field = screen.getByTestId("secret-secret-access-key");
    expect(within(field).getByText("Saved")).toBeVisible();
    expect(within(field).queryByLabelText("Secret access key")).toBeNull();
    await user.click(within(field).getByRole("button", { name: "Replace" }));
    expect(within(field).getByLabelText("Secret access key")).toHaveValue("");
    await user.click(within(field).getByRole("button", { name: "Keep saved key" }));
    expect(within(field).getByText("Saved")).toBeVisible();
  });

  it("removes a saved key from the keyring", async () => {
    answerDefaults(settingsBackend(s3View(true)));
    const user = userEvent.setup();
    await openSettings(user);
    await user.click(within(screen.getByTestId("secret-secret-access-key")).getByRole("button", { name: "Remove" }));
    expect(callsOf("secret_delete")).toEqual([{ slot: { kind: "storage_secret_key" } }]);
    expect(await screen.findByLabelText("Secret access key")).toHaveValue("");
  });

  it("saves the storage settings and the typed key before testing the connection", async () => {
    answerDefaults({
      ...settingsBackend(s3View(false)),
      storage_check: {
        bucket: "my-apps",
        region: "eu-west-1",
        endpoint: "",
        probe_key: "projects/alex/.probe",
        can_list: true,
        can_write: true,
        can_read: true,
        can_delete: true,
        conditional_writes: "supported",
        notes: ["Conditional writes work, so two devices can't overwrite each other's projects."],
        elapsed_ms: 120,
      },
    });
    const user = userEvent.setup();
    await openSettings(user);
    await user.clear(within(storageSection()).getByRole("textbox", { name: "Bucket" }));
    await user.type(within(storageSection()).getByRole("textbox", { name: "Bucket" }), "other-bucket");
    await user.type(screen.getByLabelText("Secret access key"), SECRET);
    await user.click(within(storageSection()).getByRole("button", { name: "Test connection" }));

    const result = await screen.findByTestId("storage-result");
    expect(result).toHaveAttribute("data-result", "success");
    expect(result).toHaveTextContent("Conditional writes work, so two devices can't overwrite each other's projects.");
    const order = commandOrder().filter((c) => ["settings_save_all", "storage_check"].includes(c));
    expect(order).toEqual(["settings_save_all", "storage_check"]);
    expect((callsOf("settings_save_all")[0].settings as Settings).storage.bucket).toBe("other-bucket");
  });

  it("shows the storage check's precise error, naming every permission the keys lack", async () => {
    const message =
      "This access key may not list, copy or delete under “projects/alex/” in bucket “my-apps”: S3 refused each of these. Ask whoever manages the bucket to grant s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject there, or use other keys.";
    answerDefaults({
      ...settingsBackend(s3View(true)),
      storage_check: () => {
        throw { code: "permissions_missing", message, fix_in: "storage_settings" };
      },
    });
    const user = userEvent.setup();
    await openSettings(user);
    await user.click(within(storageSection()).getByRole("button", { name: "Test connection" }));
    const result = await screen.findByTestId("storage-result");
    expect(result).toHaveAttribute("role", "alert");
    expect(result).toHaveTextContent(message);
  });

  it("saves the AI settings and key before checking them, and names the model that answered", async () => {
    answerDefaults({
      ...settingsBackend(settingsView({ secrets: { llm_api_keys: [] } })),
      llm_check: { provider: "Anthropic", model: "claude-sonnet-4-5", models: [{ id: "claude-sonnet-4-5", display_name: null }], elapsed_ms: 210 },
    });
    const user = userEvent.setup();
    await openSettings(user);
    await user.selectOptions(within(aiSection()).getByRole("combobox", { name: "Provider" }), "anthropic");
    await user.type(screen.getByLabelText("Anthropic API key"), "sk-ant-secret");
    await user.click(within(aiSection()).getByRole("button", { name: "Test connection" }));
    const result = await screen.findByTestId("llm-result");
    expect(result).toHaveTextContent("Anthropic answered in 210 ms; the model “claude-sonnet-4-5” is ready.");
    expect(secretsSent()).toEqual([{ slot: { kind: "llm_api_key", provider: "anthropic" }, value: "sk-ant-secret" }]);
    const order = commandOrder().filter((c) => ["settings_save_all", "llm_check"].includes(c));
    expect(order).toEqual(["settings_save_all", "llm_check"]);
    expect((callsOf("settings_save_all")[0].settings as Settings).llm.provider).toBe("anthropic");
  });

  it("fills the endpoint, region and address style from a preset", async () => {
    answerDefaults(settingsBackend(settingsView()));
    const user = userEvent.setup();
    await openSettings(user);
    await user.click(screen.getByRole("radio", { name: /S3-compatible service/ }));
    await user.selectOptions(screen.getByRole("combobox", { name: "Service" }), "minio");
    expect(screen.getByRole("textbox", { name: /Endpoint/ })).toHaveValue("http://localhost:9000");
    expect(screen.getByRole("textbox", { name: "Region" })).toHaveValue("us-east-1");
    expect(screen.getByRole("checkbox", { name: /Path-style/ })).toBeChecked();

    await user.selectOptions(screen.getByRole("combobox", { name: "Service" }), "r2");
    expect(screen.getByRole("textbox", { name: /Endpoint/ })).toHaveValue("https://{account}.r2.cloudflarestorage.com");
    expect(screen.getByText("Replace {account} with your own account.")).toBeVisible();
    expect(screen.getByRole("checkbox", { name: /Path-style/ })).not.toBeChecked();
  });

  it("lists the provider's own models when it answers", async () => {
    answerDefaults({
      ...settingsBackend(settingsView({ settings: { llm: { provider: "ollama", model: "", base_url: "" } } })),
      llm_models: [
        { id: "llama3.2:3b", display_name: null },
        { id: "qwen2.5-coder:7b", display_name: null },
      ],
    });
    const user = userEvent.setup();
    await openSettings(user);
    const model = within(aiSection()).getByRole("combobox", { name: "Model" });
    await within(model).findByRole("option", { name: "qwen2.5-coder:7b" });
    expect(callsOf("llm_models")[0]).toEqual({ provider: "ollama", baseUrl: null });
    await user.selectOptions(model, "qwen2.5-coder:7b");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await vi.waitFor(() => expect((callsOf("settings_save_all")[0].settings as Settings).llm.model).toBe("qwen2.5-coder:7b"));
  });

  it("falls back to the known models and free text when the provider can't be asked", async () => {
    answerDefaults({
      ...settingsBackend(settingsView({ settings: { llm: { provider: "ollama", model: "", base_url: "" } } })),
      llm_models: () => {
        throw { code: "llm_unreachable", message: "Could not reach Ollama at http://localhost:11434/v1 (connection refused)." };
      },
    });
    const user = userEvent.setup();
    await openSettings(user);
    expect(await screen.findByText(/the full list could not be read\. Could not reach Ollama/)).toBeVisible();
    const model = within(aiSection()).getByRole("combobox", { name: "Model" });
    expect(within(model).getByRole("option", { name: "qwen2.5-coder" })).toBeInTheDocument();
    await user.selectOptions(model, "Another model…");
    await user.type(screen.getByRole("textbox", { name: "Model name" }), "mistral:7b");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await vi.waitFor(() => expect((callsOf("settings_save_all")[0].settings as Settings).llm.model).toBe("mistral:7b"));
  });

  it("asks for the list again once a key is saved for the address, and drops the earlier refusal", async () => {
    answerDefaults({
      ...settingsBackend(settingsView({ settings: { llm: { provider: "custom", model: "", base_url: "http://gpu-box:8000/v1" } }, secrets: { llm_api_keys: [] } })),
      // The saved key goes only to its saved address: until it is saved, the server refuses.
      llm_models: () => {
        if (secretsSent().length === 0) throw { code: "llm_key_needed", message: "gpu-box asks for an API key (HTTP 401), and none was sent to this address." };
        return [{ id: "coder-34b", display_name: null }];
      },
    });
    const user = userEvent.setup();
    await openSettings(user);
    expect(await screen.findByText(/the full list could not be read\. gpu-box asks for an API key/)).toBeVisible();
    await user.type(screen.getByLabelText(/Custom API key/), "sk-gpu-box-key");
    await user.click(screen.getByRole("button", { name: "Save" }));
    const model = within(aiSection()).getByRole("combobox", { name: "Model" });
    await within(model).findByRole("option", { name: "coder-34b" });
    expect(screen.queryByText(/the full list could not be read/)).toBeNull();
  });

  it("lists the models for a key typed but not yet saved, sending it to the typed address", async () => {
    answerDefaults({
      ...settingsBackend(settingsView({ settings: { llm: { provider: "custom", model: "", base_url: "" } }, secrets: { llm_api_keys: [] } })),
      // The server lists its models only to a caller with its key.
      llm_models: ({ baseUrl, apiKey }: Record<string, unknown>) => {
        if (baseUrl === "http://gpu-box:8000/v1" && apiKey === "sk-gpu-box-key") return [{ id: "coder-34b", display_name: null }];
        throw { code: "llm_key_needed", message: "gpu-box asks for an API key (HTTP 401), and none was sent to this address." };
      },
    });
    const user = userEvent.setup();
    await openSettings(user);
    await user.type(screen.getByRole("textbox", { name: /Address/ }), "http://gpu-box:8000/v1");
    await user.type(screen.getByLabelText(/Custom API key/), "sk-gpu-box-key");
    const model = within(aiSection()).getByRole("combobox", { name: "Model" });
    await within(model).findByRole("option", { name: "coder-34b" });
    expect(callsOf("llm_models").at(-1)).toEqual({ provider: "custom", baseUrl: "http://gpu-box:8000/v1", apiKey: "sk-gpu-box-key" });
    // Listing saved nothing: the key is kept only once Save or Test connection is pressed.
    expect(callsOf("settings_save_all")).toEqual([]);
  });

  it("shows the default user ID and refuses one the bucket can't use", async () => {
    answerDefaults(settingsBackend(settingsView()));
    const user = userEvent.setup();
    await openSettings(user);
    const userId = screen.getByRole("textbox", { name: /User ID/ });
    expect(userId).toHaveAttribute("placeholder", "alex");
    await user.type(userId, "Not Valid");
    expect(screen.getByText(/Use lowercase letters, digits and “-”/)).toBeVisible();
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Your settings were not saved.");
    expect(callsOf("settings_save_all")).toEqual([]);
  });

  it("says when saved settings could not be read, and when the keyring is unavailable", async () => {
    answerDefaults(
      settingsBackend(
        settingsView({
          settings_error: { code: "settings_unreadable", message: "Your settings file /c/settings.json could not be read: bad JSON.", fix_in: "settings" },
          secrets: {
            llm_api_keys: [],
            keyring_error: { code: "keyring_unavailable", message: "No system keyring is available: unlock or install GNOME Keyring / KWallet", fix_in: "settings" },
          },
        }),
      ),
    );
    const user = userEvent.setup();
    await openSettings(user);
    const alerts = screen.getAllByRole("alert").map((a) => a.textContent);
    expect(alerts.some((t) => t?.includes("Your settings file /c/settings.json could not be read: bad JSON."))).toBe(true);
    expect(screen.getByTestId("keyring-error")).toHaveTextContent("No system keyring is available: unlock or install GNOME Keyring / KWallet.");
    expect(screen.getByLabelText("OpenAI API key")).toBeDisabled();
  });

  it("marks the setup as done when saved", async () => {
    answerDefaults(settingsBackend(settingsView({ settings: { onboarded: false } })));
    const user = userEvent.setup();
    await openSettings(user);
    await user.click(screen.getByRole("button", { name: "Save" }));
    await vi.waitFor(() => expect((callsOf("settings_save_all")[0].settings as Settings).onboarded).toBe(true));
  });

  it("shows and copies the policy that confines a teammate to their own prefix, for the bucket as typed", async () => {
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Resource: "arn:aws:s3:::class-bucket/projects/sam/*" }] }, null, 2);
    answerDefaults({
      ...settingsBackend(s3View(true)),
      team_policy: ({ user, bucket }: { user: string; bucket: string }) => ({
        user,
        bucket,
        prefix: `projects/${user}/`,
        policy,
        steps: ["Create the user.", "Paste the policy.", "Set the user ID."],
        other_stores: ["Garage has no prefix policies."],
      }),
    });
    const user = userEvent.setup();
    await openSettings(user);
    const team = screen.getByTestId("team-access");
    await user.clear(within(storageSection()).getByRole("textbox", { name: "Bucket" }));
    await user.type(within(storageSection()).getByRole("textbox", { name: "Bucket" }), "class-bucket");
    // An id S3 keys can't hold is refused before anything is asked.
    await user.type(within(team).getByRole("textbox", { name: "Their user ID" }), "Sam!");
    expect(within(team).getByRole("button", { name: "Show policy" })).toBeDisabled();
    await user.clear(within(team).getByRole("textbox", { name: "Their user ID" }));
    await user.type(within(team).getByRole("textbox", { name: "Their user ID" }), "sam");
    await user.click(within(team).getByRole("button", { name: "Show policy" }));
    expect(callsOf("team_policy")).toEqual([{ user: "sam", bucket: "class-bucket" }]);
    expect(await within(team).findByTestId("team-policy-json")).toHaveTextContent("arn:aws:s3:::class-bucket/projects/sam/*");
    expect(team).toHaveTextContent("This policy lets “sam” list, open, change and delete projects in projects/sam/ of “class-bucket”, and nothing else.");
    expect(within(team).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["Create the user.", "Paste the policy.", "Set the user ID."]);
    expect(team).toHaveTextContent("Garage has no prefix policies.");
    await user.click(within(team).getByRole("button", { name: "Copy policy" }));
    expect(plugins.writeText).toHaveBeenCalledWith(policy);
    expect(await within(team).findByRole("status")).toHaveTextContent("Copied");
  });

  it("offers no team access for the built-in bucket, which is this computer's alone", async () => {
    answerDefaults(settingsBackend(settingsView()));
    const user = userEvent.setup();
    await openSettings(user);
    expect(screen.queryByTestId("team-access")).toBeNull();
  });
});
