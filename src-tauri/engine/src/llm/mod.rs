//! LLM providers behind one streaming chat trait: OpenAI-compatible and Anthropic wire protocols.
//!
//! A successful stream yields any number of `TextDelta`s, then exactly one `Usage`, then exactly
//! one `Finished`, and ends. Anything else that ends it early is an `Err` item, never a silently
//! short answer.

mod anthropic;
mod client;
mod cost;
mod models;
mod openai;
mod provider;
mod wire;

use std::pin::Pin;
use std::time::Duration;

use futures_util::Stream;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::Result;

pub use client::build_provider;
pub use cost::{estimate_cost, estimate_cost_for, model_price, ModelPrice};
pub use models::{detect_ollama, detect_ollama_at, list_models, DetectedOllama, ModelInfo};
pub use provider::{
    AuthScheme, ProviderConfig, ProviderKind, ProviderPreset, RetryPolicy, Timeouts, WireProtocol,
    MAX_RETRY_AFTER, OLLAMA_DEFAULT_ORIGIN,
};
pub use wire::JsonMode;

/// Who said a message in the conversation; the system prompt travels separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::User,
            content: content.into(),
        }
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// One chat completion request, the same for every provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub system: String,
    pub messages: Vec<ChatMessage>,
    pub model: String,
    pub max_tokens: u32,
    pub temperature: Option<f32>,
    /// Ask for a single JSON object. OpenAI-compatible servers get `response_format`;
    /// Anthropic has no such switch, so the system prompt asks for it instead.
    pub json_mode: bool,
    /// The most answer text, in bytes, to accept. A longer answer fails while it streams
    /// (`Error::LlmAnswerTooLarge`), so a runaway model cannot fill memory; `None` leaves only
    /// the token limit and the total deadline.
    #[serde(default)]
    pub max_answer_bytes: Option<usize>,
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FinishReason {
    /// The model finished its answer.
    Stop,
    /// The answer hit `max_tokens`; the generator asks it to continue.
    Length,
    /// Anything else the provider reported (content filter, tool use, ...), as it named it.
    Other(String),
}

/// Tokens used by one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// True when the provider sent no numbers and these were estimated from the text length.
    pub estimated: bool,
}

impl Usage {
    pub fn total_tokens(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StreamEvent {
    TextDelta(String),
    Usage(Usage),
    Finished(FinishReason),
}

pub type ChatStream = Pin<Box<dyn Stream<Item = Result<StreamEvent>> + Send>>;

/// Why a request is being retried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RetryCause {
    /// HTTP 429 or a rate-limit error event: the caller should send fewer requests at once.
    RateLimited,
    /// HTTP 529 or an "overloaded" error event.
    Overloaded,
    /// HTTP 408, 500, 502, 503 or 504, or a server error event.
    ServerError { status: u16 },
    /// The connection failed or broke before the first token.
    Connection,
    /// No bytes arrived within the idle timeout before the first token.
    Stalled,
    /// A chunk could not be read before the first token.
    Malformed,
}

/// Sent to subscribers each time a request is about to be retried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetryNotice {
    pub provider: String,
    pub model: String,
    pub cause: RetryCause,
    /// The attempt that failed, counting from 1.
    pub attempt: u32,
    /// How long the provider waits before the next attempt.
    pub delay: Duration,
}

impl RetryNotice {
    pub fn is_rate_limit(&self) -> bool {
        self.cause == RetryCause::RateLimited
    }
}

/// A source of chat completions.
#[async_trait::async_trait]
pub trait ChatProvider: Send + Sync {
    /// The provider's name as shown to people ("OpenAI", "Anthropic", ...).
    fn provider_name(&self) -> &str;

    /// Sends the request and returns the answer as a stream.
    ///
    /// Resolves once the first token (or a complete empty answer) has arrived: failures before
    /// then are retried inside and surface here as `Err`. After that, a broken stream yields
    /// `Error::LlmStreamInterrupted` and ends. Cancelling `cancel` while this call or a read
    /// of the stream is pending closes the HTTP request at once and yields `Error::Cancelled`;
    /// dropping the stream closes it too.
    async fn stream_chat(&self, req: &ChatRequest, cancel: CancellationToken)
        -> Result<ChatStream>;

    /// Notices of retries (rate limits above all), for callers that adapt their concurrency.
    /// Only notices sent after subscribing arrive; a provider that never retries returns `None`.
    fn subscribe_retries(&self) -> Option<tokio::sync::broadcast::Receiver<RetryNotice>> {
        None
    }
}
