//! The commands the UI may invoke; each one is listed in command_list.rs and granted in
//! capabilities/main.json.
//! A command unpacks its arguments, calls the engine's session, and maps the error. Each runs
//! in a span named after it, with the project it works on; a failure is logged with its error.
//! No span or line carries a secret (and the log's scrubber would replace one).

use std::path::PathBuf;
use std::sync::Arc;

use bucketforge_engine::generate::{EventSink, GenerationEvent};
use bucketforge_engine::llm::{DetectedOllama, ModelInfo, ProviderKind};
use bucketforge_engine::preview::PreviewApi;
use bucketforge_engine::session::{
    self, FileContent, GenerateRequest, LlmCheck, NewSecret, ProjectDetails, ProjectHistory,
    ProjectShareLink, ProjectsPage, ProviderInfo, RevisionDiff, RevisionMade, RunInfo, SecretSlot,
    SettingsView, ShareLink, StoragePreset,
};
use bucketforge_engine::settings::Settings;
use bucketforge_engine::store::{ConnectionReport, ExportSummary, TeamPolicy, UserId};
use bucketforge_engine::updates::{UpdateCheck, UpdateProgress};
use secrecy::SecretString;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};
use tracing::instrument;

use crate::error::CommandError;
use crate::AppState;

type Reply<T> = Result<T, CommandError>;

/// The app's version, shown in the sidebar.
#[tauri::command]
#[instrument(skip_all)]
pub fn version() -> &'static str {
    bucketforge_engine::VERSION
}

/// What a user can send when asking for help: version, system, settings (secrets only as saved
/// or not), the last log lines; scrubbed of every saved secret.
#[tauri::command]
#[instrument(skip_all)]
pub async fn diagnostics(state: State<'_, AppState>) -> Reply<String> {
    let view = state.session.settings_view().await;
    Ok(crate::diagnostics::report(&view, crate::logging::dir()))
}

#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"))]
pub async fn settings_get(state: State<'_, AppState>) -> Reply<SettingsView> {
    Ok(state.session.settings_view().await)
}

/// Saves settings and the secrets typed with them, all or nothing (Welcome and Settings).
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"))]
pub async fn settings_save_all(
    state: State<'_, AppState>,
    settings: Settings,
    secrets: Vec<NewSecret>,
) -> Reply<SettingsView> {
    state.session.save_all(settings, secrets).await?;
    Ok(state.session.settings_view().await)
}

#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slot = ?slot))]
pub async fn secret_delete(state: State<'_, AppState>, slot: SecretSlot) -> Reply<SettingsView> {
    state.session.delete_secret(&slot).await?;
    Ok(state.session.settings_view().await)
}

#[tauri::command]
#[instrument(skip_all)]
pub fn providers_list() -> Vec<ProviderInfo> {
    session::providers()
}

#[tauri::command]
#[instrument(skip_all)]
pub fn storage_presets() -> Vec<StoragePreset> {
    session::storage_presets()
}

#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"))]
pub async fn storage_check(state: State<'_, AppState>) -> Reply<ConnectionReport> {
    Ok(state.session.check_storage().await?)
}

/// Settings' Team access: the IAM policy confining `user` to their prefix of `bucket` (the
/// bucket as typed in the form, saved or not). Text only: nothing is sent anywhere.
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"))]
pub fn team_policy(user: String, bucket: String) -> Reply<TeamPolicy> {
    let user = UserId::new(user.trim())?;
    Ok(bucketforge_engine::store::team_policy(
        bucket.trim(),
        &user,
    )?)
}

#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"))]
pub async fn llm_check(state: State<'_, AppState>) -> Reply<LlmCheck> {
    Ok(state.session.check_llm().await?)
}

#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(provider = %provider, typed_key = api_key.is_some()))]
pub async fn llm_models(
    state: State<'_, AppState>,
    provider: ProviderKind,
    base_url: Option<String>,
    api_key: Option<String>,
) -> Reply<Vec<ModelInfo>> {
    if let Some(key) = &api_key {
        crate::scrub::remember(key);
    }
    let typed_key = api_key.map(SecretString::from);
    Ok(state
        .session
        .models(provider, base_url.as_deref(), typed_key)
        .await?)
}

#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"))]
pub async fn ollama_detect(state: State<'_, AppState>) -> Reply<Option<DetectedOllama>> {
    Ok(state.session.detect_ollama().await)
}

/// Starts a run; its events arrive on `on_event`. Returns the run's ID for `cancel`.
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(stack = ?request.stack, run_id = tracing::field::Empty))]
pub async fn generate(
    state: State<'_, AppState>,
    request: GenerateRequest,
    on_event: Channel<GenerationEvent>,
) -> Reply<String> {
    let id = state
        .session
        .start_generation(request, to_window(on_event))
        .await?;
    started(&id);
    Ok(id)
}

#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug, run_id = tracing::field::Empty))]
pub async fn resume(
    state: State<'_, AppState>,
    slug: String,
    on_event: Channel<GenerationEvent>,
) -> Reply<String> {
    let id = state
        .session
        .start_resume(&slug, to_window(on_event))
        .await?;
    started(&id);
    Ok(id)
}

/// One more round of targeted repairs for files that don't fit together (Fix with AI); its
/// events arrive on `on_event` as a run's do. Returns the run's ID for `cancel`.
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug, run_id = tracing::field::Empty))]
pub async fn project_fix(
    state: State<'_, AppState>,
    slug: String,
    on_event: Channel<GenerationEvent>,
) -> Reply<String> {
    let id = state
        .session
        .start_refit(&slug, to_window(on_event))
        .await?;
    started(&id);
    Ok(id)
}

/// Changes a project as the user asked; its events arrive on `on_event` as a run's do.
/// Returns the run's ID for `cancel`.
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug, run_id = tracing::field::Empty))]
pub async fn project_change(
    state: State<'_, AppState>,
    slug: String,
    request: String,
    on_event: Channel<GenerationEvent>,
) -> Reply<String> {
    let id = state
        .session
        .start_change(&slug, request, to_window(on_event))
        .await?;
    started(&id);
    Ok(id)
}

/// Every version of a project, oldest first.
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug))]
pub async fn project_history(state: State<'_, AppState>, slug: String) -> Reply<ProjectHistory> {
    Ok(state.session.history(&slug).await?)
}

/// What one version changed against the one before, with both texts of each file.
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug, revision))]
pub async fn project_diff(
    state: State<'_, AppState>,
    slug: String,
    revision: u64,
) -> Reply<RevisionDiff> {
    Ok(state.session.revision_diff(&slug, revision).await?)
}

/// Restore this version: its files back, as a new version.
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug, revision))]
pub async fn project_restore(
    state: State<'_, AppState>,
    slug: String,
    revision: u64,
) -> Reply<RevisionMade> {
    Ok(state.session.restore(&slug, revision).await?)
}

/// Undo: the version before the current one back, as a new version.
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug))]
pub async fn project_undo(state: State<'_, AppState>, slug: String) -> Reply<RevisionMade> {
    Ok(state.session.undo(&slug).await?)
}

/// Saves a file edited by hand, if its parser accepts it and the project is still at
/// `expected_revision`.
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug, path = %path))]
pub async fn project_save_file(
    state: State<'_, AppState>,
    slug: String,
    path: String,
    content: String,
    expected_revision: Option<u64>,
) -> Reply<RevisionMade> {
    Ok(state
        .session
        .save_edit(&slug, &path, &content, expected_revision)
        .await?)
}

/// A run's events go to the window's channel.
fn to_window(on_event: Channel<GenerationEvent>) -> EventSink {
    Arc::new(move |event: GenerationEvent| {
        // A closed window drops the channel; the run still finishes and records itself.
        let _ = on_event.send(event);
    })
}

/// Names the run in the command's span and in the log; the run's own lines carry its ID.
fn started(id: &str) {
    tracing::Span::current().record("run_id", id);
    tracing::info!("run started");
}

#[tauri::command]
#[instrument(skip_all, fields(run_id = %run_id))]
pub fn cancel(state: State<'_, AppState>, run_id: String) {
    state.session.cancel(&run_id);
}

#[tauri::command]
#[instrument(skip_all)]
pub fn runs_active(state: State<'_, AppState>) -> Vec<RunInfo> {
    state.session.active_runs()
}

#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(search = ?search))]
pub async fn projects_list(
    state: State<'_, AppState>,
    page: Option<String>,
    search: Option<String>,
) -> Reply<ProjectsPage> {
    Ok(state.session.projects_page(page, search.as_deref()).await?)
}

#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug))]
pub async fn project_get(state: State<'_, AppState>, slug: String) -> Reply<ProjectDetails> {
    Ok(state.session.project(&slug).await?)
}

#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug, path = %path))]
pub async fn project_file(
    state: State<'_, AppState>,
    slug: String,
    path: String,
) -> Reply<FileContent> {
    Ok(state.session.project_file(&slug, &path).await?)
}

/// Writes the project as a zip where the user chose in the save dialog.
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug, partial = partial))]
pub async fn project_export(
    state: State<'_, AppState>,
    slug: String,
    out: PathBuf,
    partial: bool,
) -> Reply<ExportSummary> {
    Ok(state.session.export(&slug, &out, partial).await?)
}

#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug, path = %path, expires_in_secs = expires_in_secs))]
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

/// A link to the whole project as a zip, made in the bucket.
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug))]
pub async fn project_share_zip(
    state: State<'_, AppState>,
    slug: String,
    expires_in_secs: u64,
) -> Reply<ProjectShareLink> {
    Ok(state.session.share_project(&slug, expires_in_secs).await?)
}

#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug, force = force))]
pub async fn project_delete(state: State<'_, AppState>, slug: String, force: bool) -> Reply<u64> {
    Ok(state.session.delete(&slug, force).await?)
}

/// The project's simulated backend as its preview's toolbar shows it: the endpoints and the
/// requests the app made; `null` when there is no backend to simulate (or no preview open).
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug))]
pub fn preview_api(state: State<'_, AppState>, slug: String) -> Reply<Option<PreviewApi>> {
    let key = state.session.project_key(&slug)?;
    Ok(state.backends.api(&key))
}

/// Empties the project's simulated backend (Reset data, or the preview closing).
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug))]
pub fn preview_api_reset(state: State<'_, AppState>, slug: String) -> Reply<()> {
    let key = state.session.project_key(&slug)?;
    state.backends.reset(&key);
    Ok(())
}

/// The user whose projects the preview may show: the URL of a project's page.
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"), fields(slug = %slug))]
pub fn preview_url(state: State<'_, AppState>, slug: String) -> Reply<String> {
    let key = state.session.project_key(&slug)?;
    Ok(crate::preview::page_url(key.user(), key.slug()))
}

/// Looks for a new version of BucketForge at `address` (as typed in Settings, not yet saved),
/// or at the saved address when none is given.
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"))]
pub async fn update_check<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    address: Option<String>,
) -> Reply<UpdateCheck> {
    let address = address.unwrap_or_else(|| state.session.settings().updates.address);
    Ok(crate::updates::check(&app, &state.updates, &address).await?)
}

/// Downloads the version `update_check` found, checks its signature and installs it; answers
/// the version installed, which runs from the next start.
#[tauri::command]
#[instrument(skip_all, err(Debug, level = "warn"))]
pub async fn update_install<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    on_progress: Channel<UpdateProgress>,
) -> Reply<String> {
    let version = crate::updates::install(&app, &state.updates, |step| {
        // A window that went away stops listening; the install goes on.
        let _ = on_progress.send(step);
    })
    .await?;
    tracing::info!(version, "update installed");
    Ok(version)
}
