//! Settings and secrets: what is saved, what the keyring holds, and who the user is.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Session;
use crate::llm::ProviderKind;
use crate::secrets::SecretName;
use crate::settings::{Settings, SettingsFile, STORAGE_PROFILE};
use crate::store::{default_user, UserId};
use crate::sync::lock;
use crate::{Error, ErrorReport, Result};

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
    pub(super) fn name(&self) -> SecretName {
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

impl Session {
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
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use secrecy::SecretString;

    use super::super::testing::{env, session_with, window, BrokenKeyring};
    use super::*;
    use crate::secrets::{InMemorySecrets, SecretStore};
    use crate::session::Overrides;

    #[test]
    fn each_secret_slot_is_filed_under_its_own_keyring_name() {
        assert_eq!(
            SecretSlot::StorageSecretKey.name().as_str(),
            "s3-secret-key/default"
        );
        assert_eq!(
            SecretSlot::LlmApiKey {
                provider: ProviderKind::Anthropic
            }
            .name()
            .as_str(),
            "llm-api-key/anthropic"
        );
    }

    #[test]
    fn the_user_comes_from_the_flag_then_the_environment_then_the_settings() {
        let dir = tempfile::tempdir().unwrap();
        let saved = Settings {
            user_id: Some(UserId::new("saved").unwrap()),
            ..Settings::default()
        };
        SettingsFile::in_dir(dir.path().join("config"))
            .save(&saved)
            .unwrap();
        let open = |env_user: Option<&str>, flag: Option<&str>| {
            let pairs: Vec<(&str, &str)> = env_user
                .map(|u| ("BUCKETFORGE_USER", u))
                .into_iter()
                .collect();
            session_with(
                dir.path(),
                Arc::new(InMemorySecrets::default()),
                Some(env(&pairs)),
                Overrides {
                    user: flag.map(|f| UserId::new(f).unwrap()),
                    ..Overrides::default()
                },
            )
        };
        assert_eq!(
            open(Some("from-env"), Some("flag"))
                .user()
                .unwrap()
                .as_str(),
            "flag"
        );
        assert_eq!(
            open(Some("from-env"), None).user().unwrap().as_str(),
            "from-env"
        );
        assert_eq!(open(None, None).user().unwrap().as_str(), "saved");
        // A user ID in the environment is checked like one typed anywhere else.
        assert_eq!(
            open(Some("Not Valid"), None).user().unwrap_err().code(),
            "invalid_name"
        );
    }

    #[test]
    fn without_any_choice_the_user_is_the_default_one() {
        let dir = tempfile::tempdir().unwrap();
        let session = window(dir.path());
        assert_eq!(session.user().unwrap(), session.default_user());
    }

    #[tokio::test]
    async fn the_window_is_on_its_first_run_until_the_welcome_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let session = window(dir.path());
        assert!(session.settings_view().await.first_run);
        let saved_but_not_onboarded = Settings::default();
        session
            .save_settings(saved_but_not_onboarded)
            .await
            .unwrap();
        assert!(session.settings_view().await.first_run);
        let done = Settings {
            onboarded: true,
            ..Settings::default()
        };
        session.save_settings(done).await.unwrap();
        assert!(!session.settings_view().await.first_run);
        // A new session over the same folder reads what was saved.
        assert!(!window(dir.path()).settings_view().await.first_run);
    }

    #[tokio::test]
    async fn settings_out_of_range_are_refused_and_the_saved_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let session = window(dir.path());
        let bad = Settings {
            concurrency: 0,
            onboarded: true,
            ..Settings::default()
        };
        let err = session.save_settings(bad).await.unwrap_err();
        assert_eq!(err.code(), "invalid_settings");
        assert_eq!(session.settings(), Settings::default());
        assert!(
            !session.settings_file().path().exists(),
            "nothing was written"
        );
    }

    #[tokio::test]
    async fn the_secret_status_says_which_secrets_are_set_and_never_their_values() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(InMemorySecrets::default());
        let session = session_with(dir.path(), secrets.clone(), None, Overrides::default());
        let anthropic = SecretSlot::LlmApiKey {
            provider: ProviderKind::Anthropic,
        };
        session
            .set_secret(&anthropic, &SecretString::from("sk-ant-kept-secret"))
            .await
            .unwrap();
        let status = session.secret_status().await;
        assert!(!status.storage_secret_key);
        assert_eq!(status.llm_api_keys, vec![ProviderKind::Anthropic]);
        assert!(!serde_json::to_string(&session.settings_view().await)
            .unwrap()
            .contains("sk-ant-kept-secret"));
        session.delete_secret(&anthropic).await.unwrap();
        assert!(session.secret_status().await.llm_api_keys.is_empty());
        assert!(secrets.get(&anthropic.name()).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_keyring_that_refuses_is_reported_not_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let session = session_with(
            dir.path(),
            Arc::new(BrokenKeyring),
            None,
            Overrides::default(),
        );
        let status = session.secret_status().await;
        assert_eq!(
            serde_json::json!(status.keyring_error)["code"],
            "keyring_unavailable"
        );
    }
}
