//! The LLM choice: provider, address, key and model in precedence order, model lists, Ollama.

use std::sync::Arc;
use std::time::Instant;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use ts_rs::TS;

use super::{SecretSlot, Session};
use crate::generate::{GenerationSettings, Generator};
use crate::llm::{
    self, build_provider, ChatProvider, DetectedOllama, ModelInfo, ProviderConfig, ProviderKind,
};
use crate::{Error, Result};

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

impl Session {
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
                    "no model is chosen for {}; choose one in the LLM settings",
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
        let concurrency = crate::limits::clamp_concurrency(
            self.overrides
                .concurrency
                .unwrap_or(self.settings().concurrency),
        );
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use secrecy::{ExposeSecret, SecretString};

    use super::super::testing::{env, session_with, window};
    use super::*;
    use crate::secrets::{InMemorySecrets, SecretStore};
    use crate::session::Overrides;
    use crate::settings::{LlmSettings, Settings, SettingsFile};

    fn save(dir: &std::path::Path, llm: LlmSettings) {
        let settings = Settings {
            llm,
            ..Settings::default()
        };
        SettingsFile::in_dir(dir.join("config"))
            .save(&settings)
            .unwrap();
    }

    fn saved_anthropic(dir: &std::path::Path) {
        save(
            dir,
            LlmSettings {
                provider: ProviderKind::Anthropic,
                model: "saved-model".into(),
                base_url: String::new(),
            },
        );
    }

    #[test]
    fn the_provider_and_model_come_from_the_flags_then_the_environment_then_the_settings() {
        let dir = tempfile::tempdir().unwrap();
        saved_anthropic(dir.path());
        let cli = |pairs: &[(&str, &str)], overrides: Overrides| {
            session_with(
                dir.path(),
                Arc::new(InMemorySecrets::default()),
                Some(env(pairs)),
                overrides,
            )
        };
        let env_choice = [
            ("BUCKETFORGE_PROVIDER", "ollama"),
            ("BUCKETFORGE_MODEL", "env-model"),
        ];
        let flagged = cli(
            &env_choice,
            Overrides {
                provider: Some(ProviderKind::Gemini),
                model: Some("flag-model".into()),
                ..Overrides::default()
            },
        );
        assert_eq!(flagged.provider_kind().unwrap(), ProviderKind::Gemini);
        assert_eq!(flagged.model(ProviderKind::Gemini).unwrap(), "flag-model");

        let from_env = cli(&env_choice, Overrides::default());
        assert_eq!(from_env.provider_kind().unwrap(), ProviderKind::Ollama);
        assert_eq!(from_env.model(ProviderKind::Ollama).unwrap(), "env-model");

        let saved = cli(&[], Overrides::default());
        assert_eq!(saved.provider_kind().unwrap(), ProviderKind::Anthropic);
        assert_eq!(saved.model(ProviderKind::Anthropic).unwrap(), "saved-model");
    }

    #[test]
    fn a_model_saved_for_another_provider_gives_way_to_the_providers_default() {
        let dir = tempfile::tempdir().unwrap();
        saved_anthropic(dir.path());
        let session = window(dir.path());
        let default = ProviderKind::OpenAi.preset().known_models[0];
        assert_eq!(session.model(ProviderKind::OpenAi).unwrap(), default);
    }

    #[test]
    fn an_unknown_provider_in_the_environment_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let session = session_with(
            dir.path(),
            Arc::new(InMemorySecrets::default()),
            Some(env(&[("BUCKETFORGE_PROVIDER", "skynet")])),
            Overrides::default(),
        );
        assert!(session.provider_kind().is_err());
    }

    #[test]
    fn a_provider_without_known_models_asks_for_one() {
        let dir = tempfile::tempdir().unwrap();
        let err = window(dir.path())
            .model(ProviderKind::LmStudio)
            .unwrap_err();
        assert_eq!(err.code(), "llm_config_invalid");
        let message = err.to_string();
        assert!(message.contains("LM Studio"), "{message}");
        // Words for the window and the command line alike: no flags, no commands.
        assert!(
            !message.contains("--") && !message.contains("bucketforge "),
            "{message}"
        );
    }

    #[tokio::test]
    async fn the_saved_key_goes_to_its_saved_address_and_nowhere_else() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(InMemorySecrets::default());
        secrets
            .set(
                &SecretSlot::LlmApiKey {
                    provider: ProviderKind::OpenAi,
                }
                .name(),
                &SecretString::from("sk-saved"),
            )
            .await
            .unwrap();
        let session = session_with(dir.path(), secrets, None, Overrides::default());
        let at_home = session
            .provider_config(ProviderKind::OpenAi, None, None)
            .await
            .unwrap();
        assert_eq!(
            at_home
                .api_key
                .as_ref()
                .map(|k| k.expose_secret().to_string()),
            Some("sk-saved".to_string())
        );
        let elsewhere = session
            .provider_config(ProviderKind::OpenAi, Some("http://other.example/v1"), None)
            .await
            .unwrap_err();
        assert_eq!(elsewhere.code(), "llm_key_not_for_address");
        assert!(!elsewhere.to_string().contains("sk-saved"));
        // A key typed beside the new address goes with it.
        let typed = session
            .provider_config(
                ProviderKind::OpenAi,
                Some("http://other.example/v1"),
                Some(SecretString::from("sk-typed")),
            )
            .await
            .unwrap();
        assert_eq!(
            typed
                .api_key
                .as_ref()
                .map(|k| k.expose_secret().to_string()),
            Some("sk-typed".to_string())
        );
    }

    #[tokio::test]
    async fn only_the_command_line_takes_a_key_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let key_env = [("OPENAI_API_KEY", "sk-from-env")];
        let cli = session_with(
            dir.path(),
            Arc::new(InMemorySecrets::default()),
            Some(env(&key_env)),
            Overrides::default(),
        );
        let config = cli
            .provider_config(ProviderKind::OpenAi, None, None)
            .await
            .unwrap();
        assert_eq!(
            config
                .api_key
                .as_ref()
                .map(|k| k.expose_secret().to_string()),
            Some("sk-from-env".to_string())
        );
        let config = window(dir.path())
            .provider_config(ProviderKind::OpenAi, None, None)
            .await
            .unwrap();
        assert!(config.api_key.is_none());
    }

    #[test]
    fn concurrency_is_kept_in_range_and_the_lease_names_who_writes() {
        let dir = tempfile::tempdir().unwrap();
        let cli = session_with(
            dir.path(),
            Arc::new(InMemorySecrets::default()),
            Some(env(&[])),
            Overrides {
                concurrency: Some(99),
                ..Overrides::default()
            },
        );
        let settings = cli.generation_settings();
        assert_eq!(settings.concurrency, 16);
        assert_eq!(settings.owner, "the bucketforge command");
        let window_settings = window(dir.path()).generation_settings();
        assert_eq!(
            window_settings.concurrency,
            Settings::default().concurrency as usize
        );
        assert_eq!(window_settings.owner, "the BucketForge window");
    }

    #[test]
    fn every_provider_is_listed_once_with_its_preset() {
        let listed = providers();
        assert_eq!(listed.len(), ProviderKind::ALL.len());
        for (info, kind) in listed.iter().zip(ProviderKind::ALL) {
            assert_eq!(info.kind, kind);
            assert_eq!(info.key_required, kind.preset().key_required);
            assert_eq!(info.env_var.as_deref(), kind.preset().env_var);
        }
    }
}
