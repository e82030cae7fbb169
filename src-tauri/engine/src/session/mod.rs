//! One user's working context, shared by the window and the CLI: settings and secrets, the
//! storage and LLM connections they lead to, the projects in the bucket and the runs going on.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::llm::ProviderKind;
use crate::secrets::SecretStore;
use crate::settings::{Settings, SettingsFile};
use crate::store::{ConnectionPolicy, ObjectStore, StoreConfigLayer, UserId};
use crate::ErrorReport;

mod history;
mod llm;
mod projects;
mod registry;
mod runs;
mod settings;
mod store;

pub use history::{FileDiff, ProjectHistory, RevisionDiff, RevisionMade};
pub use llm::{providers, LlmCheck, ProviderInfo};
pub use projects::{
    run_activity, FileContent, ProjectDetails, ProjectListItem, ProjectShareLink, ProjectsPage,
    RunActivity, ShareLink, Verified, MAX_SHARE_SECS,
};
use registry::RunEntry;
pub use registry::RunInfo;
pub use runs::GenerateRequest;
pub use settings::{NewSecret, SecretSlot, SecretStatus, SettingsView};
pub use store::{storage_presets, StoragePreset};

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

struct Loaded {
    settings: Settings,
    saved: bool,
    error: Option<ErrorReport>,
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
}

// ---- the preview's source ----

/// The preview reads the signed-in user's projects from the session's bucket.
#[async_trait::async_trait]
impl crate::preview::PreviewSource for Session {
    fn user(&self) -> crate::Result<UserId> {
        Session::user(self)
    }

    async fn store(&self) -> crate::Result<ObjectStore> {
        Session::store(self).await
    }
}

/// What the tests of every part share: sessions over a temporary folder and in-memory secrets.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::Arc;

    use super::{EnvLookup, Overrides, Session};
    use secrecy::SecretString;

    use crate::secrets::{InMemorySecrets, SecretName, SecretStore};
    use crate::settings::SettingsFile;
    use crate::{Error, Result};

    /// An environment holding exactly `pairs`.
    pub fn env(pairs: &[(&str, &str)]) -> EnvLookup {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Arc::new(move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    /// A session with its settings in `dir`, `secrets` as its keyring and the built-in bucket
    /// in `dir/local-bucket`; `env` is `None` for the window, `Some` for the command line.
    pub fn session_with(
        dir: &std::path::Path,
        secrets: Arc<dyn SecretStore>,
        env: Option<EnvLookup>,
        overrides: Overrides,
    ) -> Session {
        let overrides = Overrides {
            local_dir: Some(dir.join("local-bucket")),
            ..overrides
        };
        Session::open(
            SettingsFile::in_dir(dir.join("config")),
            secrets,
            env,
            overrides,
        )
    }

    /// A window's session (no environment) on the built-in bucket, with an empty keyring.
    pub fn window(dir: &std::path::Path) -> Session {
        session_with(
            dir,
            Arc::new(InMemorySecrets::default()),
            None,
            Overrides::default(),
        )
    }

    /// A keyring that is there but refuses every call, as a locked one without a prompt does.
    pub struct BrokenKeyring;

    #[async_trait::async_trait]
    impl SecretStore for BrokenKeyring {
        async fn get(&self, _: &SecretName) -> Result<Option<SecretString>> {
            Err(Error::KeyringUnavailable)
        }
        async fn set(&self, _: &SecretName, _: &SecretString) -> Result<()> {
            Err(Error::KeyringUnavailable)
        }
        async fn delete(&self, _: &SecretName) -> Result<()> {
            Err(Error::KeyringUnavailable)
        }
    }
}
