// Whether the saved settings can run a generation, and if not, what to enter in Settings first.
import type { ProviderInfo } from "./bindings/ProviderInfo";
import type { SettingsView } from "./bindings/SettingsView";

const PLACEHOLDER = /\{(account|region)\}/;

/** Why the storage settings can't be used yet, or null when they look complete. */
export function storageBlocker(view: SettingsView): string | null {
  const s = view.settings.storage;
  if (s.kind === "local") return null;
  if (!s.bucket.trim()) return "Enter your bucket's name in Settings → Storage.";
  if (s.kind === "aws-profile") return null;
  if (s.kind === "s3-compatible") {
    if (!s.endpoint.trim()) return "Enter your storage service's address (endpoint) in Settings → Storage.";
    const placeholder = PLACEHOLDER.exec(s.endpoint);
    if (placeholder) {
      return `Replace {${placeholder[1]}} in the storage address with your own ${placeholder[1]} in Settings → Storage.`;
    }
  }
  if (!s.access_key_id.trim()) return "Enter your access key ID in Settings → Storage.";
  if (view.secrets.keyring_error) return keyringBlocker(view);
  if (!view.secrets.storage_secret_key) return "Save your secret access key in Settings → Storage.";
  return null;
}

/** Why the AI provider settings can't be used yet, or null when they look complete. */
export function llmBlocker(view: SettingsView, providers: ProviderInfo[]): string | null {
  const llm = view.settings.llm;
  const provider = providers.find((p) => p.kind === llm.provider);
  if (!provider) return null;
  if (llm.provider === "custom" && !llm.base_url.trim()) {
    return "Enter the address of your AI service in Settings → AI provider.";
  }
  if (provider.key_required) {
    if (view.secrets.keyring_error) return keyringBlocker(view);
    if (!view.secrets.llm_api_keys.includes(llm.provider)) {
      return `Save your ${provider.name} API key in Settings → AI provider.`;
    }
  }
  if (!llm.model.trim() && provider.known_models.length === 0) {
    return `Choose which ${provider.name} model writes your apps in Settings → AI provider.`;
  }
  return null;
}

function keyringBlocker(view: SettingsView): string {
  return `BucketForge can't read your saved keys. ${view.secrets.keyring_error?.message ?? ""}`.trim();
}

/** The first reason Generate can't run with these settings, or null when it can. */
export function generateBlocker(view: SettingsView, providers: ProviderInfo[]): string | null {
  return storageBlocker(view) ?? llmBlocker(view, providers);
}
