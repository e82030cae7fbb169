import { describe, expect, it } from "vitest";
import { generateBlocker } from "./readiness";
import { PROVIDERS, settingsView } from "./testing/fixtures";

const storage = settingsView().settings.storage;

describe("generateBlocker", () => {
  it("lets the built-in bucket with a saved OpenAI key generate", () => {
    expect(generateBlocker(settingsView(), PROVIDERS)).toBeNull();
  });

  it("asks for the API key of a provider that needs one", () => {
    const view = settingsView({ secrets: { llm_api_keys: [] } });
    expect(generateBlocker(view, PROVIDERS)).toBe("Save your OpenAI API key in Settings → AI provider.");
  });

  it("lets Ollama generate without any key", () => {
    const view = settingsView({
      settings: { llm: { provider: "ollama", model: "llama3.1", base_url: "" } },
      secrets: { llm_api_keys: [] },
    });
    expect(generateBlocker(view, PROVIDERS)).toBeNull();
  });

  it("asks for a model when the provider has no default one", () => {
    const view = settingsView({ settings: { llm: { provider: "lmstudio", model: "", base_url: "" } } });
    expect(generateBlocker(view, PROVIDERS)).toMatch(/Choose which LM Studio model/);
  });

  it("asks for the address of a custom AI service", () => {
    const view = settingsView({ settings: { llm: { provider: "custom", model: "m", base_url: "" } } });
    expect(generateBlocker(view, PROVIDERS)).toMatch(/address of your AI service/);
  });

  it("walks through what an S3 bucket still needs, in order", () => {
    const s3 = (change: Partial<typeof storage>, secret = false) =>
      generateBlocker(
        settingsView({
          settings: { storage: { ...storage, kind: "s3-compatible", ...change } },
          secrets: { storage_secret_key: secret },
        }),
        PROVIDERS,
      );
    expect(s3({})).toMatch(/bucket's name/);
    expect(s3({ bucket: "b" })).toMatch(/address \(endpoint\)/);
    expect(s3({ bucket: "b", endpoint: "https://{account}.r2.cloudflarestorage.com" })).toBe(
      "Replace {account} in the storage address with your own account in Settings → Storage.",
    );
    expect(s3({ bucket: "b", endpoint: "http://localhost:9000" })).toMatch(/access key ID/);
    expect(s3({ bucket: "b", endpoint: "http://localhost:9000", access_key_id: "AK" })).toMatch(/secret access key/);
    expect(s3({ bucket: "b", endpoint: "http://localhost:9000", access_key_id: "AK" }, true)).toBeNull();
  });

  it("names the keyring problem when saved keys can't be read", () => {
    const view = settingsView({
      secrets: {
        llm_api_keys: [],
        keyring_error: { code: "keyring_unavailable", message: "No system keyring is available.", fix_in: "settings" },
      },
    });
    expect(generateBlocker(view, PROVIDERS)).toBe("BucketForge can't read your saved keys. No system keyring is available.");
  });
});
