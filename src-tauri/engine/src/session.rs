//! One user's working context, shared by the window and the CLI: settings and secrets, the
//! storage and LLM connections they lead to, the projects in the bucket and the runs going on.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{stream, FutureExt, StreamExt};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::generate::{EventSink, GenerationSettings, Generator, NewProject};
use crate::llm::{
    self, build_provider, ChatProvider, DetectedOllama, ModelInfo, ProviderConfig, ProviderKind,
};
use crate::plan::Stack;
use crate::secrets::{SecretName, SecretStore};
use crate::settings::{Settings, SettingsFile, STORAGE_PROFILE};
use crate::store::{
    default_user, resolve_store_config, slugify, ConnectionPolicy, ConnectionReport, FileSource,
    LeaseState, LocalBucketOptions, Manifest, ObjectStore, PageToken, ProjectFile, ProjectKey,
    ProjectPath, ProjectStatus, StoreConfigLayer, UserId,
};
use crate::sync::lock;
use crate::{Error, ErrorReport, Result};

/// Reads an environment variable; the process environment in production, a map in tests.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// What the command line (or a test) says on top of the saved settings.
#[derive(Clone, Default)]
pub struct Overrides {
    pub storage: StoreConfigLayer,
    pub user: Option<UserId>,
    pub provider: Option<ProviderKind>,
    pub model: Option<String>,
    pub llm_base_url: Option<String>,
    pub concurrency: Option<u32>,
    /// The built-in bucket's folder.
    pub local_dir: Option<PathBuf>,
}

/// A secret the UI can save or remove, never read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum SecretSlot {
    /// The S3 secret access key of the storage settings.
    StorageSecretKey,
    /// One LLM provider's API key.
    LlmApiKey { provider: ProviderKind },
}

impl SecretSlot {
    fn name(&self) -> SecretName {
        match self {
            SecretSlot::StorageSecretKey => SecretName::storage_secret_key(STORAGE_PROFILE),
            SecretSlot::LlmApiKey { provider } => SecretName::llm_api_key(provider.id()),
        }
    }
}

/// Which secrets are saved: only yes or no, never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SecretStatus {
    pub storage_secret_key: bool,
    /// Providers that have an API key saved.
    pub llm_api_keys: Vec<ProviderKind>,
    /// Why the keyring could not be asked, when it couldn't.
    pub keyring_error: Option<ErrorReport>,
}

/// Everything the Settings screen shows.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SettingsView {
    pub settings: Settings,
    pub secrets: SecretStatus,
    /// The user ID used when none is set.
    pub default_user_id: UserId,
    /// Nothing has been set up yet: show the welcome.
    pub first_run: bool,
    /// The saved settings could not be read (they were kept as a .bak).
    pub settings_error: Option<ErrorReport>,
}

/// A provider as the Settings screen lists it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProviderInfo {
    pub kind: ProviderKind,
    pub name: String,
    pub default_base_url: Option<String>,
    pub key_required: bool,
    pub local: bool,
    pub known_models: Vec<String>,
    pub env_var: Option<String>,
}

/// An S3-compatible service the Settings screen can fill in.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct StoragePreset {
    pub id: String,
    pub name: String,
    /// With `{account}` or `{region}` where the user's own value goes.
    pub endpoint: String,
    pub region: String,
    pub path_style: bool,
    pub help: String,
}

/// The result of testing the LLM settings.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct LlmCheck {
    pub provider: String,
    pub model: String,
    pub models: Vec<ModelInfo>,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
}

/// What the user asks to generate.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct GenerateRequest {
    pub idea: String,
    pub name: Option<String>,
    pub stack: Stack,
}

/// A run in progress.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RunInfo {
    pub run_id: String,
    /// Known once the plan has named the project (always known for a resume).
    pub slug: Option<String>,
    pub idea: String,
}

/// One row of the Projects screen.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProjectListItem {
    pub slug: String,
    pub name: String,
    /// `None` when the project has no readable manifest.
    pub status: Option<ProjectStatus>,
    pub files: u32,
    #[ts(type = "number")]
    pub bytes: u64,
    /// RFC 3339, when known.
    pub updated_at: Option<String>,
    pub idea: Option<String>,
    /// Why the manifest could not be read, if it couldn't.
    pub problem: Option<String>,
    /// Who is writing it, while it is `generating`.
    pub activity: Option<RunActivity>,
}

/// A run writing a project, as its lease tells: live (checking in) or stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RunActivity {
    pub owner: String,
    #[ts(type = "number")]
    pub seconds_since_check_in: u64,
    #[ts(type = "number")]
    pub ttl_secs: u64,
    /// The run stopped checking in: the project was interrupted and Resume finishes it.
    pub interrupted: bool,
}

/// What a `generating` project's lease says about its run; `None` for any other status.
pub fn run_activity(manifest: &Manifest) -> Option<RunActivity> {
    if manifest.status != ProjectStatus::Generating {
        return None;
    }
    let Some(lease) = &manifest.lease else {
        // Written by a version without leases: nobody will ever finish it but Resume.
        return Some(RunActivity {
            owner: "an earlier version of BucketForge".into(),
            seconds_since_check_in: u64::MAX,
            ttl_secs: 0,
            interrupted: true,
        });
    };
    let (owner, secs_ago, interrupted) = match lease.state(std::time::SystemTime::now()) {
        LeaseState::Live { owner, secs_ago } => (owner, secs_ago, false),
        LeaseState::Stale { owner, secs_ago } => (owner, secs_ago, true),
    };
    Some(RunActivity {
        owner,
        seconds_since_check_in: secs_ago,
        ttl_secs: lease.ttl_secs,
        interrupted,
    })
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProjectsPage {
    pub projects: Vec<ProjectListItem>,
    /// Pass back to get the next page; `None` on the last one.
    pub next_page: Option<String>,
}

/// A project opened in the Projects screen.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProjectDetails {
    pub slug: String,
    pub source: FileSource,
    pub files: Vec<ProjectFile>,
    pub manifest: Option<Manifest>,
    /// Who is writing it, while it is `generating`.
    pub activity: Option<RunActivity>,
}

/// One file's text for the code viewer.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct FileContent {
    pub path: String,
    pub text: String,
    pub content_type: Option<String>,
    #[ts(type = "number")]
    pub bytes: u64,
}

/// A link anyone can open to download one file, until it expires.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ShareLink {
    pub url: String,
    #[ts(type = "number")]
    pub expires_in_secs: u64,
    /// From the built-in bucket: the link works only on this computer, while BucketForge runs.
    pub this_computer_only: bool,
}

/// Projects shown per page of the Projects screen.
const PROJECTS_PAGE_SIZE: u16 = 30;
/// Manifests read at once while filling a page.
const MANIFEST_READS_AT_ONCE: usize = 8;
/// The longest a share link may live (S3's limit for signed URLs).
pub const MAX_SHARE_SECS: u64 = 7 * 24 * 3600;

struct Loaded {
    settings: Settings,
    saved: bool,
    error: Option<ErrorReport>,
}

struct RunEntry {
    cancel: CancellationToken,
    info: RunInfo,
}

/// See the module documentation. Cheap to share: hold it in an `Arc`.
pub struct Session {
    file: SettingsFile,
    secrets: Arc<dyn SecretStore>,
    /// `None` for the window, which takes only its own settings; the CLI reads the environment.
    env: Option<EnvLookup>,
    overrides: Overrides,
    policy: ConnectionPolicy,
    loaded: Mutex<Loaded>,
    store: tokio::sync::Mutex<Option<ObjectStore>>,
    runs: Mutex<HashMap<String, RunEntry>>,
    next_run: std::sync::atomic::AtomicU64,
}

impl Session {
    /// Loads the settings. A settings file that can't be read is not fatal: the session
    /// starts from defaults and reports the problem (the file was kept as a .bak).
    pub fn open(
        file: SettingsFile,
        secrets: Arc<dyn SecretStore>,
        env: Option<EnvLookup>,
        overrides: Overrides,
    ) -> Self {
        let loaded = match file.load() {
            Ok(Some(settings)) => Loaded {
                settings,
                saved: true,
                error: None,
            },
            Ok(None) => Loaded {
                settings: Settings::default(),
                saved: false,
                error: None,
            },
            Err(e) => Loaded {
                settings: Settings::default(),
                saved: false,
                error: Some(e.to_report()),
            },
        };
        Self {
            file,
            secrets,
            env,
            overrides,
            policy: ConnectionPolicy::default(),
            loaded: Mutex::new(loaded),
            store: tokio::sync::Mutex::new(None),
            runs: Mutex::new(HashMap::new()),
            next_run: std::sync::atomic::AtomicU64::new(1),
        }
    }

    /// Shorter timeouts and fewer retries, for tests of failure paths.
    pub fn with_policy(mut self, policy: ConnectionPolicy) -> Self {
        self.policy = policy;
        self
    }

    fn env(&self, name: &str) -> Option<String> {
        self.env
            .as_ref()
            .and_then(|lookup| lookup(name))
            .filter(|v| !v.trim().is_empty())
    }

    pub fn settings(&self) -> Settings {
        lock(&self.loaded).settings.clone()
    }

    pub fn settings_file(&self) -> &SettingsFile {
        &self.file
    }

    /// The user whose projects are shown: flag > `BUCKETFORGE_USER` > settings > OS user.
    pub fn user(&self) -> Result<UserId> {
        if let Some(user) = &self.overrides.user {
            return Ok(user.clone());
        }
        if let Some(user) = self.env("BUCKETFORGE_USER") {
            return UserId::new(&user);
        }
        Ok(self
            .settings()
            .user_id
            .unwrap_or_else(|| self.default_user()))
    }

    fn default_user(&self) -> UserId {
        default_user(|name| std::env::var(name).ok())
    }

    pub async fn settings_view(&self) -> SettingsView {
        let (settings, saved, settings_error) = {
            let loaded = lock(&self.loaded);
            (loaded.settings.clone(), loaded.saved, loaded.error.clone())
        };
        let first_run = !saved || !settings.onboarded;
        SettingsView {
            settings,
            secrets: self.secret_status().await,
            default_user_id: self.default_user(),
            first_run,
            settings_error,
        }
    }

    /// Which secrets are saved, asking the keyring one entry at a time.
    pub async fn secret_status(&self) -> SecretStatus {
        let mut status = SecretStatus {
            storage_secret_key: false,
            llm_api_keys: Vec::new(),
            keyring_error: None,
        };
        match self
            .secrets
            .is_set(&SecretSlot::StorageSecretKey.name())
            .await
        {
            Ok(set) => status.storage_secret_key = set,
            Err(e) => {
                status.keyring_error = Some(e.to_report());
                return status;
            }
        }
        for kind in ProviderKind::ALL {
            let slot = SecretSlot::LlmApiKey { provider: kind };
            match self.secrets.is_set(&slot.name()).await {
                Ok(true) => status.llm_api_keys.push(kind),
                Ok(false) => {}
                Err(e) => {
                    status.keyring_error = Some(e.to_report());
                    break;
                }
            }
        }
        status
    }

    /// Checks and saves new settings; the next storage or LLM use picks them up.
    pub async fn save_settings(&self, settings: Settings) -> Result<()> {
        if !(1..=16).contains(&settings.concurrency) {
            return Err(Error::InvalidSettings {
                reason: format!(
                    "files at once must be between 1 and 16, not {}",
                    settings.concurrency
                ),
            });
        }
        self.file.save(&settings)?;
        {
            let mut loaded = lock(&self.loaded);
            loaded.settings = settings;
            loaded.saved = true;
            loaded.error = None;
        }
        *self.store.lock().await = None;
        Ok(())
    }

    pub async fn set_secret(&self, slot: &SecretSlot, value: &SecretString) -> Result<()> {
        self.secrets.set(&slot.name(), value).await?;
        if *slot == SecretSlot::StorageSecretKey {
            *self.store.lock().await = None;
        }
        Ok(())
    }

    pub async fn delete_secret(&self, slot: &SecretSlot) -> Result<()> {
        self.secrets.delete(&slot.name()).await?;
        if *slot == SecretSlot::StorageSecretKey {
            *self.store.lock().await = None;
        }
        Ok(())
    }

    // ---- storage ----

    /// The storage layers in precedence order, with the saved secret key from the keyring.
    async fn store_config(&self) -> Result<crate::store::StoreConfig> {
        let settings = self.settings();
        let mut saved = settings.store_layer();
        if settings.storage_uses_secret_key() {
            saved.secret_access_key = self
                .secrets
                .get(&SecretSlot::StorageSecretKey.name())
                .await?;
        }
        let env = match &self.env {
            Some(lookup) => StoreConfigLayer::from_env(|name| lookup(name)),
            None => StoreConfigLayer::default(),
        };
        resolve_store_config(
            &self.overrides.storage,
            &env,
            Some(&saved),
            self.policy.clone(),
        )
    }

    async fn connect_store(&self) -> Result<ObjectStore> {
        let config = self.store_config().await?;
        let local_dir = self.overrides.local_dir.clone();
        ObjectStore::open(&config, || {
            let dir = match local_dir {
                Some(dir) => dir,
                None => LocalBucketOptions::default_data_dir()?,
            };
            LocalBucketOptions::with_random_credentials(dir)
        })
        .await
    }

    /// The storage connection, made once and kept until the settings change.
    pub async fn store(&self) -> Result<ObjectStore> {
        let mut cached = self.store.lock().await;
        if let Some(store) = cached.as_ref() {
            return Ok(store.clone());
        }
        let store = self.connect_store().await?;
        *cached = Some(store.clone());
        Ok(store)
    }

    /// Lists, writes, reads and deletes a probe under the user's prefix.
    pub async fn check_storage(&self) -> Result<ConnectionReport> {
        let store = self.store().await?;
        store.check(&self.user()?).await
    }

    // ---- LLM ----

    fn provider_kind(&self) -> Result<ProviderKind> {
        if let Some(kind) = self.overrides.provider {
            return Ok(kind);
        }
        if let Some(kind) = self.env("BUCKETFORGE_PROVIDER") {
            return kind.parse();
        }
        Ok(self.settings().llm.provider)
    }

    /// The provider settings for `kind`: base URL given > flag > env > saved; key typed >
    /// environment (CLI only) > keyring. The keyring's key goes only to the address it was
    /// saved with (the preset's when none was saved), never to one the user is still typing.
    async fn provider_config(
        &self,
        kind: ProviderKind,
        base_url: Option<&str>,
        typed_key: Option<SecretString>,
    ) -> Result<ProviderConfig> {
        let settings = self.settings();
        let mut config = ProviderConfig::new(kind);
        let saved_url = (settings.llm.provider == kind && !settings.llm.base_url.trim().is_empty())
            .then(|| settings.llm.base_url.trim().to_string());
        let url = base_url
            .map(str::to_string)
            .or_else(|| self.overrides.llm_base_url.clone())
            .or_else(|| self.env("BUCKETFORGE_LLM_BASE_URL"))
            .or(saved_url.clone());
        if let Some(url) = url {
            config = config.with_base_url(url);
        }
        let env_key = match (&self.env, kind.preset().env_var) {
            (Some(_), Some(var)) => self.env(var).map(SecretString::from),
            _ => None,
        };
        if let Some(key) = typed_key.or(env_key) {
            config.api_key = Some(key);
            return Ok(config);
        }
        let key_home = ProviderConfig {
            base_url: saved_url,
            ..ProviderConfig::new(kind)
        }
        .resolved_base_url()
        .ok();
        let slot = SecretSlot::LlmApiKey { provider: kind }.name();
        match (key_home, config.resolved_base_url()) {
            (Some(home), Ok(url)) if home != url => {
                // Only worth a word when the provider cannot answer without one.
                let withheld = kind.preset().key_required
                    && matches!(self.secrets.get(&slot).await, Ok(Some(_)));
                if withheld {
                    return Err(Error::LlmKeyNotForAddress {
                        provider: config.display_name(),
                        saved_url: home,
                        url,
                        env_var: kind
                            .preset()
                            .env_var
                            .unwrap_or("the provider's key variable"),
                    });
                }
            }
            (Some(_), Ok(_)) => config.api_key = self.secrets.get(&slot).await?,
            // No address to trust, or one that is not valid: the request fails without a key.
            _ => {}
        }
        Ok(config)
    }

    fn model(&self, kind: ProviderKind) -> Result<String> {
        let settings = self.settings();
        let saved = (settings.llm.provider == kind && !settings.llm.model.trim().is_empty())
            .then(|| settings.llm.model.trim().to_string());
        self.overrides
            .model
            .clone()
            .or_else(|| self.env("BUCKETFORGE_MODEL"))
            .or(saved)
            .or_else(|| kind.preset().known_models.first().map(|m| m.to_string()))
            .ok_or_else(|| Error::LlmConfigInvalid {
                reason: format!(
                    "no model is chosen for {}; pick one in Settings or pass --model",
                    kind.preset().name
                ),
            })
    }

    /// The provider, its kind and the model to use.
    pub async fn llm(&self) -> Result<(Arc<dyn ChatProvider>, ProviderKind, String)> {
        let kind = self.provider_kind()?;
        let config = self.provider_config(kind, None, None).await?;
        let provider = build_provider(&config)?;
        Ok((provider, kind, self.model(kind)?))
    }

    /// Asks the provider for its models with the saved key: proves the address and the key,
    /// and that the chosen model exists there.
    pub async fn check_llm(&self) -> Result<LlmCheck> {
        let started = Instant::now();
        let kind = self.provider_kind()?;
        let config = self.provider_config(kind, None, None).await?;
        build_provider(&config)?;
        let model = self.model(kind)?;
        let models = llm::list_models(&config).await?;
        if !models.is_empty() && !models.iter().any(|m| m.id == model) {
            return Err(Error::LlmModelUnavailable {
                provider: config.display_name(),
                model,
            });
        }
        Ok(LlmCheck {
            provider: config.display_name(),
            model,
            models,
            elapsed_ms: started.elapsed().as_millis() as u64,
        })
    }

    /// The models `kind` offers, for the model picker. A key typed on screen goes with the
    /// address typed beside it; without one, the saved key goes only to its saved address.
    pub async fn models(
        &self,
        kind: ProviderKind,
        base_url: Option<&str>,
        typed_key: Option<SecretString>,
    ) -> Result<Vec<ModelInfo>> {
        let typed_key = typed_key.filter(|k| !k.expose_secret().trim().is_empty());
        let config = self
            .provider_config(kind, base_url.filter(|u| !u.trim().is_empty()), typed_key)
            .await?;
        llm::list_models(&config).await
    }

    pub async fn detect_ollama(&self) -> Option<DetectedOllama> {
        llm::detect_ollama().await
    }

    pub fn generation_settings(&self) -> GenerationSettings {
        let concurrency = self
            .overrides
            .concurrency
            .unwrap_or(self.settings().concurrency)
            .clamp(1, 16);
        // The lease names who holds a project, so another device can say who is working.
        let owner = if self.env.is_some() {
            "the bucketforge command"
        } else {
            "the BucketForge window"
        };
        GenerationSettings {
            concurrency: concurrency as usize,
            owner: owner.into(),
            ..GenerationSettings::default()
        }
    }

    pub async fn generator(&self) -> Result<Generator> {
        let store = self.store().await?;
        let (provider, kind, model) = self.llm().await?;
        Ok(Generator::new(
            store,
            provider,
            kind,
            model,
            self.generation_settings(),
        ))
    }

    // ---- runs ----

    fn register_run(&self, info_idea: &str, slug: Option<String>) -> (String, CancellationToken) {
        let id = self
            .next_run
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let run_id = format!("run-{id}");
        let cancel = CancellationToken::new();
        lock(&self.runs).insert(
            run_id.clone(),
            RunEntry {
                cancel: cancel.clone(),
                info: RunInfo {
                    run_id: run_id.clone(),
                    slug,
                    idea: info_idea.to_string(),
                },
            },
        );
        (run_id, cancel)
    }

    /// Wraps `events` so the run registry learns the slug and forgets the run when it ends.
    fn tracking(self: &Arc<Self>, run_id: &str, events: EventSink) -> EventSink {
        let session = Arc::downgrade(self);
        let run_id = run_id.to_string();
        Arc::new(move |event| {
            if let Some(session) = session.upgrade() {
                let mut runs = lock(&session.runs);
                if let crate::generate::GenerationEvent::Planned { slug, .. } = &event {
                    if let Some(entry) = runs.get_mut(&run_id) {
                        entry.info.slug = Some(slug.clone());
                    }
                }
                if event.is_final() {
                    runs.remove(&run_id);
                }
            }
            events(event);
        })
    }

    /// Starts generating in the background; events arrive on `events` until a final one.
    pub async fn start_generation(
        self: &Arc<Self>,
        request: GenerateRequest,
        events: EventSink,
    ) -> Result<String> {
        let idea = request.idea.trim().to_string();
        if idea.is_empty() {
            return Err(Error::InvalidSettings {
                reason: "describe the app you want first".into(),
            });
        }
        let name = request
            .name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        if let Some(name) = &name {
            slugify(name)?;
        }
        let generator = self.generator().await?;
        let project = NewProject {
            idea: idea.clone(),
            name,
            user: self.user()?,
            stack: request.stack,
        };
        let (run_id, cancel) = self.register_run(&idea, None);
        let events = self.tracking(&run_id, events);
        spawn_run(events, "", move |events| async move {
            generator.generate(project, cancel, events).await
        });
        Ok(run_id)
    }

    /// Resumes a failed or cancelled project in the background.
    pub async fn start_resume(self: &Arc<Self>, slug: &str, events: EventSink) -> Result<String> {
        let key = ProjectKey::new(self.user()?, slugify(slug)?);
        let generator = self.generator().await?;
        let (run_id, cancel) = self.register_run("", Some(key.slug().to_string()));
        let events = self.tracking(&run_id, events);
        let slug = key.slug().to_string();
        spawn_run(events, &slug, move |events| async move {
            generator.resume(key, cancel, events).await
        });
        Ok(run_id)
    }

    /// Cancels every run and waits (up to `patience`) for each to record how it ended, so
    /// quitting never leaves a project marked as still generating.
    pub async fn shutdown(&self, patience: Duration) {
        let tokens: Vec<CancellationToken> = lock(&self.runs)
            .values()
            .map(|entry| entry.cancel.clone())
            .collect();
        for token in &tokens {
            token.cancel();
        }
        let deadline = Instant::now() + patience;
        while !lock(&self.runs).is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Cancels a run; cancelling one that already ended is not an error.
    pub fn cancel(&self, run_id: &str) {
        if let Some(entry) = lock(&self.runs).get(run_id) {
            entry.cancel.cancel();
        }
    }

    pub fn active_runs(&self) -> Vec<RunInfo> {
        let mut runs: Vec<RunInfo> = lock(&self.runs).values().map(|r| r.info.clone()).collect();
        runs.sort_by(|a, b| a.run_id.cmp(&b.run_id));
        runs
    }

    // ---- projects ----

    fn key(&self, slug: &str) -> Result<ProjectKey> {
        Ok(ProjectKey::new(
            self.user()?,
            crate::store::Slug::new(slug)?,
        ))
    }

    /// One page of the user's projects with what their manifests say; `search` keeps the
    /// projects whose short name starts with it.
    pub async fn projects_page(
        &self,
        page: Option<String>,
        search: Option<&str>,
    ) -> Result<ProjectsPage> {
        let store = self.store().await?;
        let user = self.user()?;
        let start = match search.map(str::trim).filter(|s| !s.is_empty()) {
            Some(search) => slugify(search).map(|s| s.to_string()).unwrap_or_default(),
            None => String::new(),
        };
        let token = page.map(PageToken::from_string);
        let listed = store
            .list_projects_page_starting(&user, &start, token.as_ref(), PROJECTS_PAGE_SIZE)
            .await?;
        let projects = stream::iter(listed.projects)
            .map(|summary| {
                let store = store.clone();
                let key = ProjectKey::new(user.clone(), summary.slug);
                async move { project_item(&store, &key).await }
            })
            .buffered(MANIFEST_READS_AT_ONCE)
            .collect::<Vec<_>>()
            .await;
        Ok(ProjectsPage {
            projects,
            next_page: listed.next_page.map(|t| t.as_str().to_string()),
        })
    }

    pub async fn project(&self, slug: &str) -> Result<ProjectDetails> {
        let key = self.key(slug)?;
        let files = self.store().await?.project_files(&key).await?;
        let manifest = files.manifest.map(|(m, _)| m);
        Ok(ProjectDetails {
            slug: slug.to_string(),
            source: files.source,
            files: files.files,
            activity: manifest.as_ref().and_then(run_activity),
            manifest,
        })
    }

    pub async fn project_file(&self, slug: &str, path: &str) -> Result<FileContent> {
        let key = self.key(slug)?;
        let path = ProjectPath::new(path)?;
        let file = self.store().await?.get_file(&key, &path).await?;
        Ok(FileContent {
            path: path.to_string(),
            bytes: file.bytes.len() as u64,
            text: String::from_utf8_lossy(&file.bytes).into_owned(),
            content_type: file.content_type,
        })
    }

    /// Exports the project as a zip; an incomplete one only when `partial` says the user
    /// knows it is.
    pub async fn export(
        &self,
        slug: &str,
        out: &std::path::Path,
        partial: bool,
    ) -> Result<crate::store::ExportSummary> {
        let key = self.key(slug)?;
        crate::store::export_project(&self.store().await?, &key, out, partial).await
    }

    /// Deletes the project; one that a run is writing right now only with `force`.
    pub async fn delete(&self, slug: &str, force: bool) -> Result<u64> {
        let key = self.key(slug)?;
        let store = self.store().await?;
        if !force {
            if let Some((manifest, _)) = store.read_manifest(&key).await? {
                if let Some(busy) = manifest.busy(key.slug().as_str()) {
                    return Err(busy);
                }
            }
        }
        store.delete_project(&key).await
    }

    /// A link to download one file of the project (its README by default).
    pub async fn share_link(
        &self,
        slug: &str,
        path: &str,
        expires_in_secs: u64,
    ) -> Result<ShareLink> {
        let key = self.key(slug)?;
        let path = ProjectPath::new(path)?;
        let secs = expires_in_secs.clamp(60, MAX_SHARE_SECS);
        let store = self.store().await?;
        let url = store
            .presigned_get_url(&key, &path, Duration::from_secs(secs))
            .await?;
        Ok(ShareLink {
            url,
            expires_in_secs: secs,
            this_computer_only: store.is_built_in(),
        })
    }
}

/// A project's row, from its manifest (or a bare listing when it has none).
async fn project_item(store: &ObjectStore, key: &ProjectKey) -> ProjectListItem {
    let slug = key.slug().to_string();
    match store.read_manifest(key).await {
        Ok(Some((manifest, _))) => ProjectListItem {
            activity: run_activity(&manifest),
            slug,
            name: manifest.name.clone(),
            status: Some(manifest.status),
            files: manifest.files.len() as u32,
            bytes: manifest.files.iter().map(|f| f.bytes).sum(),
            updated_at: manifest
                .timings
                .finished_at
                .clone()
                .or(Some(manifest.timings.started_at.clone())),
            idea: Some(manifest.idea),
            problem: None,
        },
        Ok(None) => ProjectListItem {
            name: slug.clone(),
            slug,
            status: None,
            files: 0,
            bytes: 0,
            updated_at: None,
            idea: None,
            activity: None,
            problem: Some("This project has no record yet: it may still be generating, or its run stopped without finishing.".into()),
        },
        Err(e) => ProjectListItem {
            name: slug.clone(),
            slug,
            status: None,
            files: 0,
            bytes: 0,
            updated_at: None,
            idea: None,
            activity: None,
            problem: Some(e.to_string()),
        },
    }
}

/// Every LLM provider, for the Settings screen.
pub fn providers() -> Vec<ProviderInfo> {
    ProviderKind::ALL
        .iter()
        .map(|kind| {
            let p = kind.preset();
            ProviderInfo {
                kind: *kind,
                name: p.name.to_string(),
                default_base_url: p.default_base_url.map(str::to_string),
                key_required: p.key_required,
                local: p.local,
                known_models: p.known_models.iter().map(|m| m.to_string()).collect(),
                env_var: p.env_var.map(str::to_string),
            }
        })
        .collect()
}

/// S3-compatible services the Settings screen can fill in.
pub fn storage_presets() -> Vec<StoragePreset> {
    let preset =
        |id: &str, name: &str, endpoint: &str, region: &str, path_style: bool, help: &str| {
            StoragePreset {
                id: id.into(),
                name: name.into(),
                endpoint: endpoint.into(),
                region: region.into(),
                path_style,
                help: help.into(),
            }
        };
    vec![
        preset("r2", "Cloudflare R2", "https://{account}.r2.cloudflarestorage.com", "auto", false,
            "Your account ID is on the R2 overview page; create an API token with Object Read & Write."),
        preset("minio", "MinIO", "http://localhost:9000", "us-east-1", true,
            "The address of your MinIO server, and an access key made in its console."),
        preset("garage", "Garage", "http://localhost:3900", "garage", true,
            "The S3 API address of your Garage node; the region is the s3_region in garage.toml."),
        preset("b2", "Backblaze B2", "https://s3.{region}.backblazeb2.com", "us-west-004", false,
            "Use the S3 endpoint shown on your bucket's page and an application key."),
        preset("wasabi", "Wasabi", "https://s3.{region}.wasabisys.com", "us-east-1", false,
            "Use your bucket's region and an access key from the Wasabi console."),
    ]
}

/// Runs a generation in the background. A panic inside it still ends the run with a final
/// event, so the window never waits for ever on a run that died.
fn spawn_run<F, Fut>(events: EventSink, slug: &str, run: F)
where
    F: FnOnce(EventSink) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Manifest>> + Send + 'static,
{
    let slug = slug.to_string();
    tokio::spawn(async move {
        let outcome = std::panic::AssertUnwindSafe(run(Arc::clone(&events)))
            .catch_unwind()
            .await;
        // Ok: the outcome already reached the caller through the run's final event.
        if outcome.is_err() {
            let error = Error::Internal {
                what: "generating the project".into(),
            };
            events(crate::generate::GenerationEvent::Failed {
                slug,
                error: error.to_report(),
                landed: Vec::new(),
            });
        }
    });
}

// ---- the preview's source ----

/// The preview reads the signed-in user's projects from the session's bucket.
#[async_trait::async_trait]
impl crate::preview::PreviewSource for Session {
    fn user(&self) -> Result<UserId> {
        Session::user(self)
    }

    async fn store(&self) -> Result<ObjectStore> {
        Session::store(self).await
    }
}
