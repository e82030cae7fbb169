// The UI's only door to Rust: every command goes through a typed function here. The types
// are generated from the Rust ones (ui/src/bindings, written by `cargo test`).
import { Channel, invoke } from "@tauri-apps/api/core";
import type { PreviewApi } from "./bindings/PreviewApi";
import type { ConnectionReport } from "./bindings/ConnectionReport";
import type { DetectedOllama } from "./bindings/DetectedOllama";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { ErrorReport } from "./bindings/ErrorReport";
import type { ExportSummary } from "./bindings/ExportSummary";
import type { FileContent } from "./bindings/FileContent";
import type { GenerateRequest } from "./bindings/GenerateRequest";
import type { GenerationEvent } from "./bindings/GenerationEvent";
import type { LlmCheck } from "./bindings/LlmCheck";
import type { ModelInfo } from "./bindings/ModelInfo";
import type { NewSecret } from "./bindings/NewSecret";
import type { ProjectDetails } from "./bindings/ProjectDetails";
import type { ProjectHistory } from "./bindings/ProjectHistory";
import type { RevisionDiff } from "./bindings/RevisionDiff";
import type { RevisionMade } from "./bindings/RevisionMade";
import type { ProjectsPage } from "./bindings/ProjectsPage";
import type { ProviderInfo } from "./bindings/ProviderInfo";
import type { ProviderKind } from "./bindings/ProviderKind";
import type { RunInfo } from "./bindings/RunInfo";
import type { SecretSlot } from "./bindings/SecretSlot";
import type { Settings } from "./bindings/Settings";
import type { SettingsView } from "./bindings/SettingsView";
import type { ProjectShareLink } from "./bindings/ProjectShareLink";
import type { ShareLink } from "./bindings/ShareLink";
import type { StoragePreset } from "./bindings/StoragePreset";
import type { TeamPolicy } from "./bindings/TeamPolicy";
import type { UpdateCheck } from "./bindings/UpdateCheck";
import type { UpdateProgress } from "./bindings/UpdateProgress";

/** The shape every failing command rejects with. */
export type CommandError = ErrorReport;

function isCommandError(error: unknown): error is Partial<CommandError> {
  return typeof error === "object" && error !== null;
}

/** Turns whatever a command rejected with into words a person can act on. */
export function errorMessage(error: unknown): string {
  if (isCommandError(error) && "message" in error) return String(error.message);
  if (typeof error === "string") return error;
  return "Something went wrong inside BucketForge. Please restart the app and try again.";
}

/** The stable code of a command error, or null for anything else. */
export function errorCode(error: unknown): ErrorCode | null {
  if (isCommandError(error) && typeof error.code === "string") return error.code;
  return null;
}

/**
 * Whatever a command rejected with, as a report to show: a command's own report as it came,
 * anything else (a closed window, a bug in the UI) as an internal error with nothing to fix
 * in Settings.
 */
export function errorReport(error: unknown): ErrorReport {
  return {
    code: errorCode(error) ?? "internal",
    message: errorMessage(error),
    fix_in: (isCommandError(error) && typeof error.fix_in === "string" && error.fix_in) || "none",
  };
}

/** The app's version, as the Rust side reports it. */
export function version(): Promise<string> {
  return invoke<string>("version");
}

/** What a user can send when asking for help: version, system, settings without secrets, the latest log lines. */
export function diagnostics(): Promise<string> {
  return invoke("diagnostics");
}

// ---- settings and secrets ----

export function settingsGet(): Promise<SettingsView> {
  return invoke("settings_get");
}

/**
 * Saves the settings and the secrets typed with them, all or nothing: the secrets go to the
 * OS keyring first, and a refused secret leaves the settings as they were. Secrets can be
 * replaced or removed, never read back.
 */
export function settingsSaveAll(settings: Settings, secrets: NewSecret[]): Promise<SettingsView> {
  return invoke("settings_save_all", { settings, secrets });
}

export function secretDelete(slot: SecretSlot): Promise<SettingsView> {
  return invoke("secret_delete", { slot });
}

export function providersList(): Promise<ProviderInfo[]> {
  return invoke("providers_list");
}

export function storagePresets(): Promise<StoragePreset[]> {
  return invoke("storage_presets");
}

/** The IAM policy that confines `user` to their own prefix of `bucket`: text for whoever manages it. */
export function teamPolicy(user: string, bucket: string): Promise<TeamPolicy> {
  return invoke("team_policy", { user, bucket });
}

/** Tests the saved storage settings for real: list, write, read, delete a probe. */
export function storageCheck(): Promise<ConnectionReport> {
  return invoke("storage_check");
}

/** Tests the saved LLM settings: the address, the key, and that the model exists. */
export function llmCheck(): Promise<LlmCheck> {
  return invoke("llm_check");
}

/** A typed `apiKey` goes with the typed `baseUrl`; without one the saved key is sent only to its saved address. */
export function llmModels(provider: ProviderKind, baseUrl: string | null, apiKey: string | null = null): Promise<ModelInfo[]> {
  return invoke("llm_models", apiKey ? { provider, baseUrl, apiKey } : { provider, baseUrl });
}

export function ollamaDetect(): Promise<DetectedOllama | null> {
  return invoke("ollama_detect");
}

// ---- generation ----

/** Starts a run; `onEvent` gets every event until a final one. Resolves to the run's ID. */
export function generate(request: GenerateRequest, onEvent: (event: GenerationEvent) => void): Promise<string> {
  const channel = new Channel<GenerationEvent>();
  channel.onmessage = onEvent;
  return invoke("generate", { request, onEvent: channel });
}

export function resume(slug: string, onEvent: (event: GenerationEvent) => void): Promise<string> {
  const channel = new Channel<GenerationEvent>();
  channel.onmessage = onEvent;
  return invoke("resume", { slug, onEvent: channel });
}

/** One more round of repairs for a project whose files don't fit together (Fix with AI). */
export function fixProject(slug: string, onEvent: (event: GenerationEvent) => void): Promise<string> {
  const channel = new Channel<GenerationEvent>();
  channel.onmessage = onEvent;
  return invoke("project_fix", { slug, onEvent: channel });
}

export function cancel(runId: string): Promise<void> {
  return invoke("cancel", { runId });
}

export function runsActive(): Promise<RunInfo[]> {
  return invoke("runs_active");
}

// ---- projects ----

export function projectsList(page: string | null, search: string | null): Promise<ProjectsPage> {
  return invoke("projects_list", { page, search });
}

export function projectGet(slug: string): Promise<ProjectDetails> {
  return invoke("project_get", { slug });
}

export function projectFile(slug: string, path: string): Promise<FileContent> {
  return invoke("project_file", { slug, path });
}

/**
 * Writes the project as a .zip at `out` (a path from the save dialog). An unfinished project
 * is exported only with `partial`, so a zip of half an app never passes for the app.
 */
export function projectExport(slug: string, out: string, partial: boolean): Promise<ExportSummary> {
  return invoke("project_export", { slug, out, partial });
}

export function projectShareLink(slug: string, path: string, expiresInSecs: number): Promise<ShareLink> {
  return invoke("project_share_link", { slug, path, expiresInSecs });
}

/** A link to the whole project as a zip, made in the bucket, that works for `expiresInSecs`. */
export function projectShareZip(slug: string, expiresInSecs: number): Promise<ProjectShareLink> {
  return invoke("project_share_zip", { slug, expiresInSecs });
}

/** Deletes the project; one that a run is writing right now only with `force`. */
export function projectDelete(slug: string, force = false): Promise<number> {
  return invoke("project_delete", { slug, force });
}

// ---- versions ----

/** Changes the project as `request` asks; events arrive like a generation's. Returns the run's ID for `cancel`. */
export function projectChange(slug: string, request: string, onEvent: (event: GenerationEvent) => void): Promise<string> {
  const channel = new Channel<GenerationEvent>();
  channel.onmessage = onEvent;
  return invoke("project_change", { slug, request, onEvent: channel });
}

/** Every version of the project, oldest first. */
export function projectHistory(slug: string): Promise<ProjectHistory> {
  return invoke("project_history", { slug });
}

/** What version `revision` changed against the one before, with both texts of each file. */
export function projectDiff(slug: string, revision: number): Promise<RevisionDiff> {
  return invoke("project_diff", { slug, revision });
}

/** Restore this version: its files back, byte for byte, as a new version. */
export function projectRestore(slug: string, revision: number): Promise<RevisionMade> {
  return invoke("project_restore", { slug, revision });
}

/** Undo: the version before the current one back, as a new version. */
export function projectUndo(slug: string): Promise<RevisionMade> {
  return invoke("project_undo", { slug });
}

/**
 * Saves a file edited by hand as a new version, if its parser accepts it and the project is
 * still at `expectedRevision` (the version the editor opened).
 */
export function projectSaveFile(slug: string, path: string, content: string, expectedRevision: number | null): Promise<RevisionMade> {
  return invoke("project_save_file", { slug, path, content, expectedRevision });
}

/** The project's simulated backend: its endpoints and the requests the app made; null when none runs. */
export function previewApi(slug: string): Promise<PreviewApi | null> {
  return invoke("preview_api", { slug });
}

/** Empties the project's simulated backend: its data starts again from nothing. */
export function previewApiReset(slug: string): Promise<void> {
  return invoke("preview_api_reset", { slug });
}

/** The `preview://` URL of a project's page, for the preview pane's iframe. */
export function previewUrl(slug: string): Promise<string> {
  return invoke("preview_url", { slug });
}

// ---- updates ----

/**
 * Looks for a new version of BucketForge at `address` (as typed in Settings; empty means
 * BucketForge's own), or at the saved address when it is null.
 */
export function updateCheck(address: string | null): Promise<UpdateCheck> {
  return invoke("update_check", address === null ? {} : { address });
}

/**
 * Downloads the version the last check found, checks its signature and installs it.
 * Resolves to the version installed, which runs from the next start.
 */
export function updateInstall(onProgress: (progress: UpdateProgress) => void): Promise<string> {
  const channel = new Channel<UpdateProgress>();
  channel.onmessage = onProgress;
  return invoke("update_install", { onProgress: channel });
}
