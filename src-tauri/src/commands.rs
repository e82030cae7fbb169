//! The commands the UI may invoke; each one is listed in command_list.rs and granted in
//! capabilities/main.json.
//! A command unpacks its arguments, calls the engine's session, and maps the error.

use std::path::PathBuf;
use std::sync::Arc;

use bucketforge_engine::generate::GenerationEvent;
use bucketforge_engine::llm::{DetectedOllama, ModelInfo, ProviderKind};
use bucketforge_engine::session::{
    self, FileContent, GenerateRequest, LlmCheck, ProjectDetails, ProjectsPage, ProviderInfo,
    RunInfo, SecretSlot, SettingsView, ShareLink, StoragePreset,
};
use bucketforge_engine::settings::Settings;
use bucketforge_engine::store::{ConnectionReport, ExportSummary};
use secrecy::SecretString;
use tauri::ipc::Channel;
use tauri::State;

use crate::error::CommandError;
use crate::AppState;

type Reply<T> = Result<T, CommandError>;

/// The app's version, shown in the sidebar.
#[tauri::command]
pub fn version() -> &'static str {
    bucketforge_engine::VERSION
}

#[tauri::command]
pub async fn settings_get(state: State<'_, AppState>) -> Reply<SettingsView> {
    Ok(state.session.settings_view().await)
}

#[tauri::command]
pub async fn settings_save(state: State<'_, AppState>, settings: Settings) -> Reply<SettingsView> {
    state.session.save_settings(settings).await?;
    Ok(state.session.settings_view().await)
}

/// Saves a secret in the OS keyring. The value never comes back out through any command.
#[tauri::command]
pub async fn secret_set(
    state: State<'_, AppState>,
    slot: SecretSlot,
    value: String,
) -> Reply<SettingsView> {
    state
        .session
        .set_secret(&slot, &SecretString::from(value))
        .await?;
    Ok(state.session.settings_view().await)
}

#[tauri::command]
pub async fn secret_delete(state: State<'_, AppState>, slot: SecretSlot) -> Reply<SettingsView> {
    state.session.delete_secret(&slot).await?;
    Ok(state.session.settings_view().await)
}

#[tauri::command]
pub fn providers_list() -> Vec<ProviderInfo> {
    session::providers()
}

#[tauri::command]
pub fn storage_presets() -> Vec<StoragePreset> {
    session::storage_presets()
}

#[tauri::command]
pub async fn storage_check(state: State<'_, AppState>) -> Reply<ConnectionReport> {
    Ok(state.session.check_storage().await?)
}

#[tauri::command]
pub async fn llm_check(state: State<'_, AppState>) -> Reply<LlmCheck> {
    Ok(state.session.check_llm().await?)
}

#[tauri::command]
pub async fn llm_models(
    state: State<'_, AppState>,
    provider: ProviderKind,
    base_url: Option<String>,
    api_key: Option<String>,
) -> Reply<Vec<ModelInfo>> {
    let typed_key = api_key.map(SecretString::from);
    Ok(state
        .session
        .models(provider, base_url.as_deref(), typed_key)
        .await?)
}

#[tauri::command]
pub async fn ollama_detect(state: State<'_, AppState>) -> Reply<Option<DetectedOllama>> {
    Ok(state.session.detect_ollama().await)
}

/// Starts a run; its events arrive on `on_event`. Returns the run's ID for `cancel`.
#[tauri::command]
pub async fn generate(
    state: State<'_, AppState>,
    request: GenerateRequest,
    on_event: Channel<GenerationEvent>,
) -> Reply<String> {
    let sink = Arc::new(move |event: GenerationEvent| {
        // A closed window drops the channel; the run still finishes and records itself.
        let _ = on_event.send(event);
    });
    Ok(state.session.start_generation(request, sink).await?)
}

#[tauri::command]
pub async fn resume(
    state: State<'_, AppState>,
    slug: String,
    on_event: Channel<GenerationEvent>,
) -> Reply<String> {
    let sink = Arc::new(move |event: GenerationEvent| {
        let _ = on_event.send(event);
    });
    Ok(state.session.start_resume(&slug, sink).await?)
}

#[tauri::command]
pub fn cancel(state: State<'_, AppState>, run_id: String) {
    state.session.cancel(&run_id);
}

#[tauri::command]
pub fn runs_active(state: State<'_, AppState>) -> Vec<RunInfo> {
    state.session.active_runs()
}

#[tauri::command]
pub async fn projects_list(
    state: State<'_, AppState>,
    page: Option<String>,
    search: Option<String>,
) -> Reply<ProjectsPage> {
    Ok(state.session.projects_page(page, search.as_deref()).await?)
}

#[tauri::command]
pub async fn project_get(state: State<'_, AppState>, slug: String) -> Reply<ProjectDetails> {
    Ok(state.session.project(&slug).await?)
}

#[tauri::command]
pub async fn project_file(
    state: State<'_, AppState>,
    slug: String,
    path: String,
) -> Reply<FileContent> {
    Ok(state.session.project_file(&slug, &path).await?)
}

/// Writes the project as a zip where the user chose in the save dialog.
#[tauri::command]
pub async fn project_export(
    state: State<'_, AppState>,
    slug: String,
    out: PathBuf,
    partial: bool,
) -> Reply<ExportSummary> {
    Ok(state.session.export(&slug, &out, partial).await?)
}

#[tauri::command]
pub async fn project_share_link(
    state: State<'_, AppState>,
    slug: String,
    path: String,
    expires_in_secs: u64,
) -> Reply<ShareLink> {
    Ok(state
        .session
        .share_link(&slug, &path, expires_in_secs)
        .await?)
}

#[tauri::command]
pub async fn project_delete(state: State<'_, AppState>, slug: String, force: bool) -> Reply<u64> {
    Ok(state.session.delete(&slug, force).await?)
}

/// The user whose projects the preview may show: the URL of a project's page.
#[tauri::command]
pub fn preview_url(state: State<'_, AppState>, slug: String) -> Reply<String> {
    let user = state.session.user()?;
    let slug = bucketforge_engine::store::Slug::new(&slug)?;
    Ok(crate::preview::page_url(&user, &slug))
}
