//! The engine's one error type: each variant says what went wrong and what the user can do.

use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("“{value}” can't be used as a {what}: {reason}")]
    InvalidName {
        what: &'static str,
        value: String,
        reason: &'static str,
    },

    #[error("The file path “{path}” was rejected: {reason}")]
    InvalidPath { path: String, reason: String },

    #[error("No system keyring is available: unlock or install GNOME Keyring / KWallet")]
    KeyringUnavailable,

    #[error("The system keyring could not handle “{name}”: {detail}")]
    Keyring { name: String, detail: String },

    #[error("“{name}” was left empty: paste the key itself")]
    EmptySecret { name: String },
    #[error("The run was cancelled.")]
    Cancelled,

    #[error("The LLM provider settings are incomplete: {reason}")]
    LlmConfigInvalid { reason: String },

    #[error("No API key is set for {provider}. Add one in Settings or set {env_var}.")]
    LlmKeyMissing {
        provider: String,
        env_var: &'static str,
    },

    #[error("The API key for {provider} was rejected (HTTP {status}). Check the key in Settings; it may be mistyped, revoked or without access to this model.")]
    LlmKeyRejected { provider: String, status: u16 },

    #[error("Model {model} is not available at {provider}. Pick another model in Settings, or check its spelling.")]
    LlmModelUnavailable { provider: String, model: String },

    #[error("The request is longer than the context length of {model} at {provider} allows ({detail}). Pick a model with a larger context window or describe a smaller project.")]
    LlmContextTooLong {
        provider: String,
        model: String,
        detail: String,
    },

    #[error("{provider} kept rate limiting requests after {attempts} tries. Wait a minute and try again, or lower the number of files generated in parallel.")]
    LlmRateLimited { provider: String, attempts: u32 },

    #[error("{provider} is unavailable or overloaded ({detail}) after {attempts} tries. Try again later or pick another provider.")]
    LlmUnavailable {
        provider: String,
        detail: String,
        attempts: u32,
    },

    #[error("Could not reach {provider} at {url} ({detail}). Check the address and your network; for a local model server, check that it is running.")]
    LlmUnreachable {
        provider: String,
        url: String,
        detail: String,
    },

    #[error("{provider} stopped sending data for {idle}, twice. Try again later or pick another provider.")]
    LlmStalled { provider: String, idle: String },

    #[error("The answer from {provider} was cut off after {received_chars} characters ({reason}). The partial answer was not used; generating it again usually works.")]
    LlmStreamInterrupted {
        provider: String,
        received_chars: usize,
        reason: String,
    },

    #[error("{provider} refused the request (HTTP {status}: {detail}). Check the provider's address and model in Settings.")]
    LlmRequestRejected {
        provider: String,
        status: u16,
        detail: String,
    },

    #[error("{provider} sent an answer BucketForge could not read ({detail}). Check that the address points at an OpenAI- or Anthropic-compatible API.")]
    LlmBadResponse { provider: String, detail: String },
}

impl Error {
    /// A stable code the UI and `--json` output switch on; the message is for people.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidName { .. } => "invalid_name",
            Error::InvalidPath { .. } => "invalid_path",
            Error::KeyringUnavailable => "keyring_unavailable",
            Error::Keyring { .. } => "keyring",
            Error::EmptySecret { .. } => "empty_secret",
            Error::Cancelled => "cancelled",
            Error::LlmConfigInvalid { .. } => "llm_config_invalid",
            Error::LlmKeyMissing { .. } => "llm_key_missing",
            Error::LlmKeyRejected { .. } => "llm_key_rejected",
            Error::LlmModelUnavailable { .. } => "llm_model_unavailable",
            Error::LlmContextTooLong { .. } => "llm_context_too_long",
            Error::LlmRateLimited { .. } => "llm_rate_limited",
            Error::LlmUnavailable { .. } => "llm_unavailable",
            Error::LlmUnreachable { .. } => "llm_unreachable",
            Error::LlmStalled { .. } => "llm_stalled",
            Error::LlmStreamInterrupted { .. } => "llm_stream_interrupted",
            Error::LlmRequestRejected { .. } => "llm_request_rejected",
            Error::LlmBadResponse { .. } => "llm_bad_response",
        }
    }

    /// `{ code, message }`, the shape every command error takes on its way to the UI.
    pub fn to_report(&self) -> ErrorReport {
        ErrorReport {
            code: self.code().to_string(),
            message: self.to_string(),
        }
    }
}

/// `{ code, message }`: how every error reaches the UI and `--json` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ErrorReport {
    pub code: String,
    pub message: String,
}
