//! What every command shares: the session, opened once for the window.

use std::sync::Arc;

use bucketforge_engine::preview::SimulatedBackends;
use bucketforge_engine::secrets::{KeyringStore, SecretStore};
use bucketforge_engine::session::{Overrides, Session};
use bucketforge_engine::settings::SettingsFile;
use bucketforge_engine::Result;

use crate::scrub;
use crate::updates::Updates;

/// What every command shares.
pub struct AppState {
    pub session: Arc<Session>,
    /// The simulated backends of the previews open now (the request panel, Reset data).
    pub backends: Arc<SimulatedBackends>,
    /// What the last check for updates found.
    pub updates: Updates,
}

impl AppState {
    /// The app's own settings file and the OS keyring. The window takes no settings from the
    /// environment (the CLI does), apart from the folders tests point elsewhere.
    pub fn open() -> Result<Self> {
        let overrides = Overrides {
            local_dir: std::env::var_os("BUCKETFORGE_DATA_DIR")
                .map(|dir| std::path::PathBuf::from(dir).join("local-bucket")),
            ..Overrides::default()
        };
        Ok(Self::with(
            SettingsFile::default_location()?,
            Arc::new(KeyringStore::new()),
            overrides,
        ))
    }

    /// Every secret the session reads or saves is known to the log's scrubber from then on.
    pub fn with(file: SettingsFile, secrets: Arc<dyn SecretStore>, overrides: Overrides) -> Self {
        let secrets = Arc::new(scrub::Watched(secrets));
        Self {
            session: Arc::new(Session::open(file, secrets, None, overrides)),
            backends: Arc::default(),
            updates: Updates::from_env(),
        }
    }
}
