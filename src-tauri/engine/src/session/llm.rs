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
