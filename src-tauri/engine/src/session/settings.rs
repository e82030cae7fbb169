//! Settings and secrets: what is saved, what the keyring holds, and who the user is.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Session;
use crate::limits::{MAX_CONCURRENCY, MIN_CONCURRENCY};
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
    /// Every slot: the storage key, then each provider's key.
    pub fn all() -> Vec<SecretSlot> {
        std::iter::once(SecretSlot::StorageSecretKey)
            .chain(
                ProviderKind::ALL
                    .into_iter()
                    .map(|provider| SecretSlot::LlmApiKey { provider }),
            )
            .collect()
    }

    /// The name a person types for it: `s3-secret-key`, `openai-api-key`, ...
    pub fn id(&self) -> String {
        match self {
            SecretSlot::StorageSecretKey => "s3-secret-key".into(),
            SecretSlot::LlmApiKey { provider } => format!("{}-api-key", provider.id()),
        }
    }

    pub(super) fn name(&self) -> SecretName {
        match self {
            SecretSlot::StorageSecretKey => SecretName::storage_secret_key(STORAGE_PROFILE),
            SecretSlot::LlmApiKey { provider } => SecretName::llm_api_key(provider.id()),
        }
    }
}

impl std::str::FromStr for SecretSlot {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        let all = SecretSlot::all();
        all.iter()
            .find(|slot| slot.id() == name)
            .cloned()
            .ok_or_else(|| Error::InvalidSettings {
                reason: format!(
                    "there is no secret called “{name}”; use {}",
                    all.iter()
                        .map(SecretSlot::id)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }
}

impl SecretStatus {
    /// Whether the secret in `slot` is saved.
    pub fn is_set(&self, slot: &SecretSlot) -> bool {
        match slot {
            SecretSlot::StorageSecretKey => self.storage_secret_key,
            SecretSlot::LlmApiKey { provider } => self.llm_api_keys.contains(provider),
        }
    }
}

/// A secret typed on screen, to be saved in its slot.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct NewSecret {
    pub slot: SecretSlot,
    #[serde(deserialize_with = "secret_text")]
    #[ts(type = "string")]
    pub value: SecretString,
}

fn secret_text<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<SecretString, D::Error> {
    String::deserialize(d).map(SecretString::from)
}

/// Settings that can't be saved, refused before anything is written.
fn check_settings(settings: &Settings) -> Result<()> {
    if !(MIN_CONCURRENCY..=MAX_CONCURRENCY).contains(&settings.concurrency) {
        return Err(Error::InvalidSettings {
            reason: format!(
                "files at once must be between {MIN_CONCURRENCY} and {MAX_CONCURRENCY}, not {}",
                settings.concurrency
            ),
        });
    }
    Ok(())
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
        for slot in SecretSlot::all() {
            match self.secrets.is_set(&slot.name()).await {
                Ok(set) => match slot {
                    SecretSlot::StorageSecretKey => status.storage_secret_key = set,
                    SecretSlot::LlmApiKey { provider } if set => status.llm_api_keys.push(provider),
                    SecretSlot::LlmApiKey { .. } => {}
                },
                Err(e) => {
                    status.keyring_error = Some(e.to_report());
                    break;
                }
            }
        }
        status
    }

    /// Saves new settings and the secrets typed with them, all or nothing: what Welcome and
    /// Settings call.
    ///
    /// Secrets go first. The keyring is what fails in practice (locked, missing), and a
    /// refused secret must not leave settings behind that promise a setup without its key.
    /// If the settings then can't be written, each secret saved here is put back as it was,
    /// so neither half is ever visible without the other.
    pub async fn save_all(&self, settings: Settings, secrets: Vec<NewSecret>) -> Result<()> {
        check_settings(&settings)?;
        let mut before: Vec<(SecretSlot, Option<SecretString>)> = Vec::new();
        for secret in &secrets {
            let name = secret.slot.name();
            let swapped = async {
                let old = self.secrets.get(&name).await?;
                self.secrets.set(&name, &secret.value).await?;
                Ok::<_, Error>(old)
            };
            match swapped.await {
                Ok(old) => before.push((secret.slot.clone(), old)),
                Err(e) => {
                    self.put_back(before).await;
                    return Err(e);
                }
            }
        }
        if let Err(e) = self.write_settings(settings).await {
            self.put_back(before).await;
            return Err(e);
        }
        Ok(())
    }

    /// Restores secrets to what they were, newest first; best effort, as the error that
    /// made it necessary is the one worth reporting.
    async fn put_back(&self, before: Vec<(SecretSlot, Option<SecretString>)>) {
        for (slot, old) in before.into_iter().rev() {
            let _ = match old {
                Some(value) => self.secrets.set(&slot.name(), &value).await,
                None => self.secrets.delete(&slot.name()).await,
            };
        }
        *self.store.lock().await = None;
    }

    /// Checks and saves new settings; the next storage or LLM use picks them up.
    pub async fn save_settings(&self, settings: Settings) -> Result<()> {
        check_settings(&settings)?;
        self.write_settings(settings).await
    }

    /// Writes settings already checked.
    async fn write_settings(&self, settings: Settings) -> Result<()> {
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

    fn anthropic_key(value: &str) -> NewSecret {
        NewSecret {
            slot: SecretSlot::LlmApiKey {
                provider: ProviderKind::Anthropic,
            },
            value: SecretString::from(value),
        }
    }

    fn anthropic_settings() -> Settings {
        let mut settings = Settings {
            onboarded: true,
            ..Settings::default()
        };
        settings.llm.provider = ProviderKind::Anthropic;
        settings
    }

    #[tokio::test]
    async fn settings_and_secrets_are_saved_together() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(InMemorySecrets::default());
        let session = session_with(dir.path(), secrets.clone(), None, Overrides::default());
        session
            .save_all(anthropic_settings(), vec![anthropic_key("sk-new")])
            .await
            .unwrap();
        assert_eq!(session.settings(), anthropic_settings());
        let view = session.settings_view().await;
        assert!(!view.first_run);
        assert_eq!(view.secrets.llm_api_keys, vec![ProviderKind::Anthropic]);
    }

    #[tokio::test]
    async fn a_keyring_that_refuses_the_secret_leaves_the_settings_untouched_and_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let session = session_with(
            dir.path(),
            Arc::new(BrokenKeyring),
            None,
            Overrides::default(),
        );
        let err = session
            .save_all(anthropic_settings(), vec![anthropic_key("sk-new")])
            .await
            .unwrap_err();
        assert_eq!(err.code(), "keyring_unavailable");
        assert_eq!(session.settings(), Settings::default());
        assert!(
            !session.settings_file().path().exists(),
            "nothing was written"
        );
        assert!(session.settings_view().await.first_run);
        // And the Settings screen is told why, rather than shown keys as missing.
        let status = session.secret_status().await;
        assert_eq!(
            serde_json::json!(status.keyring_error)["code"],
            "keyring_unavailable"
        );
    }

    #[tokio::test]
    async fn settings_that_cannot_be_written_put_the_old_secrets_back() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the settings folder should be: the settings can't be written.
        std::fs::write(dir.path().join("config"), "not a folder").unwrap();
        let secrets = Arc::new(InMemorySecrets::default());
        let session = session_with(dir.path(), secrets.clone(), None, Overrides::default());
        let slot = anthropic_key("").slot;
        secrets
            .set(&slot.name(), &SecretString::from("sk-old"))
            .await
            .unwrap();
        let storage = NewSecret {
            slot: SecretSlot::StorageSecretKey,
            value: SecretString::from("s3-new"),
        };
        let err = session
            .save_all(anthropic_settings(), vec![anthropic_key("sk-new"), storage])
            .await
            .unwrap_err();
        assert_eq!(err.code(), "settings_io");
        let kept = secrets.get(&slot.name()).await.unwrap().unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&kept), "sk-old");
        assert!(secrets
            .get(&SecretSlot::StorageSecretKey.name())
            .await
            .unwrap()
            .is_none());
        // Settings refused before anything is written touch no secret either.
        let bad = Settings {
            concurrency: 0,
            ..Settings::default()
        };
        assert!(session
            .save_all(bad, vec![anthropic_key("sk-other")])
            .await
            .is_err());
        let kept = secrets.get(&slot.name()).await.unwrap().unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&kept), "sk-old");
    }

    #[test]
    fn a_new_secret_arrives_as_slot_and_text() {
        let secret: NewSecret = serde_json::from_value(serde_json::json!({
            "slot": { "kind": "llm_api_key", "provider": "openai" }, "value": "sk-typed"
        }))
        .unwrap();
        assert_eq!(secret.slot.id(), "openai-api-key");
        assert!(
            !format!("{secret:?}").contains("sk-typed"),
            "Debug never shows it"
        );
    }

    #[test]
    fn secret_slots_are_named_as_people_type_them_and_parse_back() {
        let ids: Vec<String> = SecretSlot::all().iter().map(SecretSlot::id).collect();
        assert_eq!(ids[0], "s3-secret-key");
        assert!(ids.contains(&"anthropic-api-key".to_string()), "{ids:?}");
        assert_eq!(ids.len(), 1 + ProviderKind::ALL.len());
        for slot in SecretSlot::all() {
            assert_eq!(slot.id().parse::<SecretSlot>().unwrap(), slot);
        }
        let unknown = "password".parse::<SecretSlot>().unwrap_err();
        assert_eq!(unknown.code(), "invalid_settings");
        assert!(unknown.to_string().contains("openai-api-key"), "{unknown}");
    }

    #[test]
    fn the_status_answers_for_each_slot() {
        let status = SecretStatus {
            storage_secret_key: true,
            llm_api_keys: vec![ProviderKind::Ollama],
            keyring_error: None,
        };
        let set: Vec<String> = SecretSlot::all()
            .iter()
            .filter(|slot| status.is_set(slot))
            .map(SecretSlot::id)
            .collect();
        assert_eq!(set, ["s3-secret-key", "ollama-api-key"]);
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
}
