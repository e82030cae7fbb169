//! Provider presets and settings, and the HTTP connection they describe.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::wire::JsonMode;
use crate::secrets::replace_forms;
use crate::{Error, Result};

/// Where a local Ollama listens unless told otherwise.
pub const OLLAMA_DEFAULT_ORIGIN: &str = "http://localhost:11434";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub enum ProviderKind {
    #[serde(rename = "openai")]
    OpenAi,
    #[serde(rename = "anthropic")]
    Anthropic,
    #[serde(rename = "gemini")]
    Gemini,
    #[serde(rename = "openrouter")]
    OpenRouter,
    #[serde(rename = "ollama")]
    Ollama,
    #[serde(rename = "lmstudio")]
    LmStudio,
    /// Any other OpenAI-compatible server (Groq, vLLM, llama.cpp, ...): base URL required.
    #[serde(rename = "custom")]
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WireProtocol {
    /// `POST {base}/chat/completions`.
    OpenAiChat,
    /// `POST {base}/v1/messages`.
    AnthropicMessages,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthScheme {
    /// `Authorization: Bearer <key>`, sent only when a key is set.
    Bearer,
    /// `x-api-key: <key>`.
    XApiKey,
}

/// What BucketForge knows about a provider before the user types anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderPreset {
    pub kind: ProviderKind,
    pub name: &'static str,
    /// `None` for `Custom`, which must be given one.
    pub default_base_url: Option<&'static str>,
    pub protocol: WireProtocol,
    pub auth: AuthScheme,
    pub key_required: bool,
    /// The environment variable the CLI reads the key from.
    pub env_var: Option<&'static str>,
    /// Suggestions for the model picker; `list_models` asks the provider for the real list.
    pub known_models: &'static [&'static str],
    /// Runs on the user's machine: free, and may need minutes to load a model.
    pub local: bool,
    /// OpenAI's reasoning models refuse `max_tokens` and want `max_completion_tokens`;
    /// most other servers know only `max_tokens`.
    pub max_tokens_field: &'static str,
    pub json_mode: JsonMode,
}

const PRESETS: [ProviderPreset; 7] = [
    ProviderPreset {
        kind: ProviderKind::OpenAi,
        name: "OpenAI",
        default_base_url: Some("https://api.openai.com/v1"),
        protocol: WireProtocol::OpenAiChat,
        auth: AuthScheme::Bearer,
        key_required: true,
        env_var: Some("OPENAI_API_KEY"),
        known_models: &[
            "gpt-4.1",
            "gpt-4.1-mini",
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-5",
            "gpt-5-mini",
            "o4-mini",
        ],
        local: false,
        max_tokens_field: "max_completion_tokens",
        json_mode: JsonMode::ResponseFormat,
    },
    ProviderPreset {
        kind: ProviderKind::Anthropic,
        name: "Anthropic",
        default_base_url: Some("https://api.anthropic.com"),
        protocol: WireProtocol::AnthropicMessages,
        auth: AuthScheme::XApiKey,
        key_required: true,
        env_var: Some("ANTHROPIC_API_KEY"),
        known_models: &[
            "claude-sonnet-4-5",
            "claude-haiku-4-5",
            "claude-opus-4-1",
            "claude-sonnet-4-0",
            "claude-3-5-haiku-latest",
        ],
        local: false,
        max_tokens_field: "max_tokens",
        json_mode: JsonMode::Instruction,
    },
    ProviderPreset {
        kind: ProviderKind::Gemini,
        name: "Google Gemini",
        default_base_url: Some("https://generativelanguage.googleapis.com/v1beta/openai"),
        protocol: WireProtocol::OpenAiChat,
        auth: AuthScheme::Bearer,
        key_required: true,
        env_var: Some("GEMINI_API_KEY"),
        known_models: &["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.0-flash"],
        local: false,
        max_tokens_field: "max_tokens",
        json_mode: JsonMode::ResponseFormat,
    },
    ProviderPreset {
        kind: ProviderKind::OpenRouter,
        name: "OpenRouter",
        default_base_url: Some("https://openrouter.ai/api/v1"),
        protocol: WireProtocol::OpenAiChat,
        auth: AuthScheme::Bearer,
        key_required: true,
        env_var: Some("OPENROUTER_API_KEY"),
        known_models: &[
            "anthropic/claude-sonnet-4.5",
            "openai/gpt-4.1-mini",
            "google/gemini-2.5-flash",
            "deepseek/deepseek-chat",
        ],
        local: false,
        max_tokens_field: "max_tokens",
        json_mode: JsonMode::ResponseFormat,
    },
    ProviderPreset {
        kind: ProviderKind::Ollama,
        name: "Ollama",
        default_base_url: Some("http://localhost:11434/v1"),
        protocol: WireProtocol::OpenAiChat,
        auth: AuthScheme::Bearer,
        key_required: false,
        env_var: None,
        known_models: &["qwen2.5-coder", "llama3.1", "deepseek-coder-v2"],
        local: true,
        max_tokens_field: "max_tokens",
        json_mode: JsonMode::ResponseFormat,
    },
    ProviderPreset {
        kind: ProviderKind::LmStudio,
        name: "LM Studio",
        default_base_url: Some("http://localhost:1234/v1"),
        protocol: WireProtocol::OpenAiChat,
        auth: AuthScheme::Bearer,
        key_required: false,
        env_var: None,
        known_models: &[],
        local: true,
        max_tokens_field: "max_tokens",
        // LM Studio accepts only `json_schema` response formats.
        json_mode: JsonMode::Instruction,
    },
    ProviderPreset {
        kind: ProviderKind::Custom,
        name: "Custom",
        default_base_url: None,
        protocol: WireProtocol::OpenAiChat,
        auth: AuthScheme::Bearer,
        key_required: false,
        env_var: None,
        known_models: &[],
        local: false,
        max_tokens_field: "max_tokens",
        json_mode: JsonMode::ResponseFormat,
    },
];

impl ProviderKind {
    pub const ALL: [ProviderKind; 7] = [
        ProviderKind::OpenAi,
        ProviderKind::Anthropic,
        ProviderKind::Gemini,
        ProviderKind::OpenRouter,
        ProviderKind::Ollama,
        ProviderKind::LmStudio,
        ProviderKind::Custom,
    ];

    pub fn preset(self) -> &'static ProviderPreset {
        // A static table with one row per kind; a unit test checks every kind has one.
        #[allow(clippy::expect_used)]
        let preset = PRESETS
            .iter()
            .find(|p| p.kind == self)
            .expect("every kind has a preset");
        preset
    }

    /// The name used in settings, flags and `ProviderKind`'s JSON form.
    pub fn id(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Gemini => "gemini",
            ProviderKind::OpenRouter => "openrouter",
            ProviderKind::Ollama => "ollama",
            ProviderKind::LmStudio => "lmstudio",
            ProviderKind::Custom => "custom",
        }
    }
}

impl std::str::FromStr for ProviderKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim().to_ascii_lowercase().replace(['-', '_', ' '], "");
        ProviderKind::ALL
            .into_iter()
            .find(|k| k.id() == wanted)
            .ok_or_else(|| Error::LlmConfigInvalid {
                reason: format!(
                    "“{s}” is not a provider BucketForge knows; use one of {}",
                    ProviderKind::ALL.map(|k| k.id()).join(", ")
                ),
            })
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.preset().name)
    }
}

/// The longest wait a server's `Retry-After` can ask for and get; a longer one fails the
/// request at once, since a run that sleeps for hours looks like a hang.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// How often and how patiently failed requests are retried before the first token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first backoff; each further one doubles, up to `max_delay`, with jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A server's `Retry-After` is honoured up to this long; asking for longer fails at once.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(20),
            max_retry_after: MAX_RETRY_AFTER,
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (counting from 1), or `Err` with the server's
    /// `Retry-After` when it asks for longer than `max_retry_after`.
    pub fn delay_before_retry(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
    ) -> std::result::Result<Duration, Duration> {
        if let Some(asked) = retry_after {
            return if asked <= self.max_retry_after {
                Ok(asked)
            } else {
                Err(asked)
            };
        }
        let exponent = attempt.saturating_sub(1).min(16);
        let full = self
            .base_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        // Jitter keeps parallel file streams that failed together from retrying together.
        // Whole milliseconds in integers: no float ever becomes a `Duration` here.
        let full_ms = u64::try_from(full.as_millis()).unwrap_or(u64::MAX);
        let half = full_ms / 2;
        Ok(Duration::from_millis(
            half.saturating_add(fastrand::u64(0..=full_ms - half)),
        ))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    /// No bytes for this long means the stream is stalled.
    pub idle: Duration,
    /// One request in all, retries and streaming included. Keep-alives reset the idle timer,
    /// so without this a server could hold a request open for ever.
    pub total: Duration,
}

impl Timeouts {
    pub fn for_kind(kind: ProviderKind) -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(10),
            // A local server may load a model from disk before it sends its first byte.
            idle: if kind.preset().local {
                Duration::from_secs(120)
            } else {
                Duration::from_secs(30)
            },
            // A local model on a CPU may take many minutes for one long file.
            total: if kind.preset().local {
                Duration::from_secs(30 * 60)
            } else {
                Duration::from_secs(10 * 60)
            },
        }
    }
}

/// Everything needed to talk to one provider.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    /// Overrides the preset's base URL; required for `Custom`.
    pub base_url: Option<String>,
    pub api_key: Option<SecretString>,
    pub retry: RetryPolicy,
    pub timeouts: Timeouts,
}

impl ProviderConfig {
    pub fn new(kind: ProviderKind) -> ProviderConfig {
        ProviderConfig {
            kind,
            base_url: None,
            api_key: None,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::for_kind(kind),
        }
    }

    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(key.into()));
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn resolved_base_url(&self) -> Result<String> {
        let raw = match (&self.base_url, self.kind.preset().default_base_url) {
            (Some(url), _) if !url.trim().is_empty() => url.trim().to_string(),
            (_, Some(default)) => default.to_string(),
            _ => {
                return Err(Error::LlmConfigInvalid {
                    reason: "a custom provider needs a base URL, such as http://localhost:8000/v1"
                        .into(),
                })
            }
        };
        let url = reqwest::Url::parse(&raw).map_err(|e| Error::LlmConfigInvalid {
            reason: format!("the base URL “{raw}” is not a valid URL ({e})"),
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Error::LlmConfigInvalid {
                reason: format!("the base URL “{raw}” must start with http:// or https://"),
            });
        }
        if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
            return Err(Error::LlmConfigInvalid {
                reason: "the base URL must not hold credentials or a query; put the key in the API key field".into(),
            });
        }
        let mut base = url.as_str().trim_end_matches('/').to_string();
        // Anthropic's paths already start with /v1; a base copied from its docs may too.
        if self.kind.preset().protocol == WireProtocol::AnthropicMessages && base.ends_with("/v1") {
            base.truncate(base.len() - 3);
        }
        Ok(base)
    }

    /// The name people see in messages: the preset's, or the server's host for `Custom`.
    pub fn display_name(&self) -> String {
        if self.kind != ProviderKind::Custom {
            return self.kind.preset().name.to_string();
        }
        self.resolved_base_url()
            .ok()
            .and_then(|base| {
                let url = reqwest::Url::parse(&base).ok()?;
                let host = url.host_str()?.to_string();
                Some(match url.port() {
                    Some(port) => format!("{host}:{port}"),
                    None => host,
                })
            })
            .unwrap_or_else(|| "the custom provider".to_string())
    }

    /// The HTTP client, auth headers and base URL shared by chat and model listing.
    pub(crate) fn connection(&self) -> Result<Connection> {
        let preset = self.kind.preset();
        let base_url = self.resolved_base_url()?;
        let name = self.display_name();
        let key = self
            .api_key
            .as_ref()
            .filter(|k| !k.expose_secret().trim().is_empty());
        if preset.key_required && key.is_none() {
            return Err(Error::LlmKeyMissing {
                provider: name,
                env_var: preset.env_var.unwrap_or("the provider's key variable"),
            });
        }

        let mut headers = HeaderMap::new();
        if let Some(key) = key {
            let (header, value) = match preset.auth {
                AuthScheme::Bearer => (
                    reqwest::header::AUTHORIZATION,
                    format!("Bearer {}", key.expose_secret().trim()),
                ),
                AuthScheme::XApiKey => (
                    HeaderName::from_static("x-api-key"),
                    key.expose_secret().trim().to_string(),
                ),
            };
            let mut value = HeaderValue::from_str(&value).map_err(|_| Error::LlmConfigInvalid {
                reason: format!(
                    "the API key for {name} holds characters that cannot be sent; paste it again"
                ),
            })?;
            value.set_sensitive(true);
            headers.insert(header, value);
        }
        if preset.protocol == WireProtocol::AnthropicMessages {
            headers.insert(
                HeaderName::from_static("anthropic-version"),
                HeaderValue::from_static(super::anthropic::API_VERSION),
            );
        }

        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("BucketForge/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.timeouts.connect);
        // A proxy from the environment must not swallow requests to a model on this machine.
        if is_loopback(&base_url) {
            builder = builder.no_proxy();
        }
        let client = builder.build().map_err(|e| Error::LlmConfigInvalid {
            reason: format!("the HTTP client could not be set up ({e})"),
        })?;

        Ok(Connection {
            name,
            base_url,
            client,
            headers,
            secret: key.cloned(),
        })
    }
}

fn is_loopback(base_url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(base_url) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A ready HTTP client for one provider.
pub(crate) struct Connection {
    pub name: String,
    pub base_url: String,
    pub client: reqwest::Client,
    pub headers: HeaderMap,
    /// Kept only to scrub the key out of anything a server echoes back.
    pub secret: Option<SecretString>,
}

impl Connection {
    /// Removes the key from text that came from the server before anyone sees it.
    pub fn scrub(&self, text: &str) -> String {
        scrub_key(self.secret.as_ref(), text)
    }
}

/// `text` with the key replaced by "[API key]", in every form a server might echo it in
/// (as it is, base64, percent-encoded, escaped in JSON).
pub(crate) fn scrub_key(secret: Option<&SecretString>, text: &str) -> String {
    match secret {
        Some(secret) => {
            let key = secret.expose_secret();
            let scrubbed = replace_forms(key, text, "[API key]");
            replace_forms(key.trim(), &scrubbed, "[API key]")
        }
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_preset_and_an_id_that_parses_back() {
        for kind in ProviderKind::ALL {
            assert_eq!(kind.preset().kind, kind);
            assert_eq!(kind.id().parse::<ProviderKind>().unwrap(), kind);
        }
        assert_eq!(
            "LM Studio".parse::<ProviderKind>().unwrap(),
            ProviderKind::LmStudio
        );
        assert!("grok".parse::<ProviderKind>().is_err());
    }

    #[test]
    fn a_custom_provider_without_a_base_url_is_refused_with_an_example() {
        let err = ProviderConfig::new(ProviderKind::Custom)
            .connection()
            .err()
            .unwrap();
        assert_eq!(err.code(), "llm_config_invalid");
        assert!(err.to_string().contains("http://"), "{err}");
    }

    #[test]
    fn a_hosted_provider_without_a_key_names_the_variable_to_set() {
        let err = ProviderConfig::new(ProviderKind::OpenAi)
            .connection()
            .err()
            .unwrap();
        assert_eq!(err.code(), "llm_key_missing");
        assert!(err.to_string().contains("OPENAI_API_KEY"), "{err}");
    }

    #[test]
    fn a_local_provider_needs_no_key() {
        assert!(ProviderConfig::new(ProviderKind::Ollama)
            .connection()
            .is_ok());
    }

    #[test]
    fn the_api_key_never_appears_in_debug_output() {
        let config = ProviderConfig::new(ProviderKind::OpenAi).with_api_key("sk-very-secret-123");
        let debug = format!("{config:?}");
        assert!(!debug.contains("sk-very-secret-123"), "{debug}");
        let connection = config.connection().unwrap();
        let headers = format!("{:?}", connection.headers);
        assert!(!headers.contains("sk-very-secret-123"), "{headers}");
    }

    #[test]
    fn text_echoed_by_a_server_is_scrubbed_of_the_key() {
        let connection = ProviderConfig::new(ProviderKind::OpenAi)
            .with_api_key("sk-very-secret-123")
            .connection()
            .unwrap();
        assert_eq!(
            connection.scrub("Incorrect API key provided: sk-very-secret-123."),
            "Incorrect API key provided: [API key]."
        );
        // Echoed as base64 (an Authorization header quoted back), URL-safe, percent-encoded.
        let connection = ProviderConfig::new(ProviderKind::OpenAi)
            .with_api_key("sk-very/secret+123?")
            .connection()
            .unwrap();
        assert_eq!(
            connection.scrub(
                "key c2stdmVyeS9zZWNyZXQrMTIzPw== or c2stdmVyeS9zZWNyZXQrMTIzPw or sk-very%2Fsecret%2B123%3F"
            ),
            "key [API key] or [API key] or [API key]"
        );
        // A key so short it would match ordinary words is left alone.
        let connection = ProviderConfig::new(ProviderKind::OpenAi)
            .with_api_key("abc")
            .connection()
            .unwrap();
        assert_eq!(connection.scrub("abc abc"), "abc abc");
    }

    #[test]
    fn an_anthropic_base_url_copied_with_v1_is_not_doubled() {
        let config = ProviderConfig::new(ProviderKind::Anthropic)
            .with_base_url("https://api.anthropic.com/v1/");
        assert_eq!(
            config.resolved_base_url().unwrap(),
            "https://api.anthropic.com"
        );
    }

    #[test]
    fn base_urls_with_credentials_or_other_schemes_are_refused() {
        for bad in [
            "ftp://example.com",
            "https://user:pw@example.com/v1",
            "https://example.com/v1?key=abc",
            "not a url",
        ] {
            let config = ProviderConfig::new(ProviderKind::Custom).with_base_url(bad);
            assert!(config.resolved_base_url().is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn a_custom_provider_is_named_after_its_host() {
        let config =
            ProviderConfig::new(ProviderKind::Custom).with_base_url("http://gpu-box:8000/v1");
        assert_eq!(config.display_name(), "gpu-box:8000");
    }

    #[test]
    fn backoff_doubles_with_jitter_and_honours_retry_after_up_to_a_cap() {
        let policy = RetryPolicy::default();
        for attempt in 1..=3 {
            let full = Duration::from_secs(1 << (attempt - 1));
            let delay = policy.delay_before_retry(attempt, None).unwrap();
            assert!(
                delay >= full / 2 && delay <= full,
                "attempt {attempt}: {delay:?}"
            );
        }
        assert!(policy.delay_before_retry(12, None).unwrap() <= policy.max_delay);
        assert_eq!(
            policy.delay_before_retry(1, Some(Duration::from_secs(7))),
            Ok(Duration::from_secs(7))
        );
        assert_eq!(
            policy.delay_before_retry(1, Some(policy.max_retry_after)),
            Ok(policy.max_retry_after)
        );
    }

    #[test]
    fn a_retry_after_beyond_the_cap_is_refused_rather_than_shortened() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.max_retry_after, MAX_RETRY_AFTER);
        let too_long = MAX_RETRY_AFTER + Duration::from_millis(1);
        assert_eq!(policy.delay_before_retry(1, Some(too_long)), Err(too_long));
        assert_eq!(
            policy.delay_before_retry(1, Some(Duration::MAX)),
            Err(Duration::MAX)
        );
    }
}
