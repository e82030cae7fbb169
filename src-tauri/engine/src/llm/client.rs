//! The HTTP side shared by both wire protocols: sending, retrying, idle timeouts and cancellation.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};
use reqwest::header::HeaderMap;
use serde_json::Value;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::anthropic::{self, AnthropicDecoder};
use super::openai::{self, OpenAiDecoder};
use super::provider::{scrub_key, Connection, ProviderPreset, RetryPolicy, Timeouts, WireProtocol};
use super::wire::{Decoder, Observed, RemoteCause, RemoteError, Tally, WireError};
use super::{ChatProvider, ChatRequest, ChatStream, RetryCause, RetryNotice, StreamEvent};
use crate::{Error, Result};

pub(crate) struct HttpChatProvider {
    connection: Connection,
    preset: &'static ProviderPreset,
    chat_url: String,
    retry: RetryPolicy,
    timeouts: Timeouts,
    notices: broadcast::Sender<RetryNotice>,
}

/// Why one attempt failed, and whether another could succeed.
#[derive(Debug)]
enum Failure {
    Retry {
        cause: RetryCause,
        retry_after: Option<Duration>,
        detail: String,
    },
    Fatal(Error),
}

impl HttpChatProvider {
    pub(crate) fn new(
        connection: Connection,
        preset: &'static ProviderPreset,
        retry: RetryPolicy,
        timeouts: Timeouts,
    ) -> HttpChatProvider {
        let chat_url = match preset.protocol {
            WireProtocol::OpenAiChat => format!("{}/chat/completions", connection.base_url),
            WireProtocol::AnthropicMessages => format!("{}/v1/messages", connection.base_url),
        };
        HttpChatProvider {
            connection,
            preset,
            chat_url,
            retry,
            timeouts,
            notices: broadcast::channel(64).0,
        }
    }

    fn body(&self, req: &ChatRequest) -> Value {
        match self.preset.protocol {
            WireProtocol::OpenAiChat => {
                openai::request_body(req, self.preset.max_tokens_field, self.preset.json_mode)
            }
            WireProtocol::AnthropicMessages => anthropic::request_body(req),
        }
    }

    fn decoder(&self) -> Box<dyn Decoder> {
        match self.preset.protocol {
            WireProtocol::OpenAiChat => Box::new(OpenAiDecoder),
            WireProtocol::AnthropicMessages => Box::new(AnthropicDecoder),
        }
    }

    /// One request, up to the first token.
    async fn attempt(
        &self,
        req: &ChatRequest,
        body: &Value,
        cancel: &CancellationToken,
    ) -> Result<ChatStream, Failure> {
        let send = self
            .connection
            .client
            .post(&self.chat_url)
            .headers(self.connection.headers.clone())
            .json(body)
            .send();
        let response = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(Failure::Fatal(Error::Cancelled)),
            sent = tokio::time::timeout(self.timeouts.idle, send) => match sent {
                Err(_) => return Err(self.stalled()),
                Ok(Err(e)) => return Err(Failure::Retry {
                    cause: RetryCause::Connection,
                    retry_after: None,
                    detail: self.connection.scrub(&transport_detail(&e)),
                }),
                Ok(Ok(response)) => response,
            },
        };
        if !response.status().is_success() {
            return Err(self.refusal(response, &req.model, cancel).await);
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        // A web page or a whole JSON answer means the address or the server is wrong; retrying
        // would only hide that.
        if content_type.starts_with("text/html") || content_type.starts_with("application/json") {
            return Err(Failure::Fatal(Error::LlmBadResponse {
                provider: self.connection.name.clone(),
                detail: format!(
                    "{} answered with {content_type} instead of an event stream",
                    self.chat_url
                ),
            }));
        }

        let mut exchange = Exchange {
            events: Some(sse_events(response, self.timeouts.idle)),
            decoder: self.decoder(),
            tally: Tally::new(req),
            pending: VecDeque::new(),
            cancel: cancel.clone(),
            provider: self.connection.name.clone(),
            model: req.model.clone(),
            idle: self.timeouts.idle,
            scrub_secret: self.connection.secret.clone(),
        };
        let mut head = Vec::new();
        while let Some(event) = exchange.next().await {
            let first_text = matches!(event, Ok(StreamEvent::TextDelta(_)));
            head.push(event?);
            if first_text {
                break;
            }
        }
        let head = futures_util::stream::iter(head.into_iter().map(Ok));
        let tail = futures_util::stream::unfold(exchange, |mut exchange| async move {
            let item = exchange.next().await?;
            let item = item.map_err(|failure| exchange.interrupted(failure));
            Some((item, exchange))
        });
        Ok(Box::pin(head.chain(tail)))
    }

    async fn refusal(
        &self,
        response: reqwest::Response,
        model: &str,
        cancel: &CancellationToken,
    ) -> Failure {
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let text = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Failure::Fatal(Error::Cancelled),
            text = tokio::time::timeout(self.timeouts.idle, response.text()) => {
                text.ok().and_then(|t| t.ok()).unwrap_or_default()
            }
        };
        let remote = RemoteError::from_body(&self.connection.scrub(&text));
        let detail = format!("HTTP {status}: {}", remote.describe());
        let cause = match status {
            429 => RetryCause::RateLimited,
            529 => RetryCause::Overloaded,
            408 | 500 | 502 | 503 | 504 => RetryCause::ServerError { status },
            _ => {
                return Failure::Fatal(refusal_error(
                    &self.connection.name,
                    model,
                    status,
                    &remote,
                    &self.chat_url,
                ))
            }
        };
        Failure::Retry {
            cause,
            retry_after,
            detail,
        }
    }

    fn stalled(&self) -> Failure {
        Failure::Retry {
            cause: RetryCause::Stalled,
            retry_after: None,
            detail: format!("no data for {}", spoken(self.timeouts.idle)),
        }
    }

    fn exhausted(&self, cause: RetryCause, detail: String, attempts: u32) -> Error {
        let provider = self.connection.name.clone();
        match cause {
            RetryCause::RateLimited => Error::LlmRateLimited { provider, attempts },
            RetryCause::Overloaded | RetryCause::ServerError { .. } => Error::LlmUnavailable {
                provider,
                detail,
                attempts,
            },
            RetryCause::Connection => Error::LlmUnreachable {
                provider,
                url: self.chat_url.clone(),
                detail,
            },
            RetryCause::Stalled => Error::LlmStalled {
                provider,
                idle: spoken(self.timeouts.idle),
            },
            RetryCause::Malformed => Error::LlmBadResponse { provider, detail },
        }
    }
}

#[async_trait::async_trait]
impl ChatProvider for HttpChatProvider {
    fn provider_name(&self) -> &str {
        &self.connection.name
    }

    async fn stream_chat(
        &self,
        req: &ChatRequest,
        cancel: CancellationToken,
    ) -> Result<ChatStream> {
        let body = self.body(req);
        let mut stalls = 0;
        let mut attempt = 1;
        loop {
            let (cause, retry_after, detail) = match self.attempt(req, &body, &cancel).await {
                Ok(stream) => return Ok(stream),
                Err(Failure::Fatal(error)) => return Err(error),
                Err(Failure::Retry {
                    cause,
                    retry_after,
                    detail,
                }) => (cause, retry_after, detail),
            };
            if cause == RetryCause::Stalled {
                stalls += 1;
            }
            // A stall is retried once only: a provider that hangs twice is unlikely to recover.
            if attempt >= self.retry.max_attempts || stalls > 1 {
                return Err(self.exhausted(cause, detail, attempt));
            }
            let delay = self.retry.delay_before_retry(attempt, retry_after);
            tracing::warn!(
                provider = %self.connection.name,
                model = %req.model,
                attempt,
                ?delay,
                %detail,
                "retrying an LLM request"
            );
            // Nobody listening is normal.
            let _ = self.notices.send(RetryNotice {
                provider: self.connection.name.clone(),
                model: req.model.clone(),
                cause,
                attempt,
                delay,
            });
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(Error::Cancelled),
                _ = tokio::time::sleep(delay) => {}
            }
            attempt += 1;
        }
    }

    fn subscribe_retries(&self) -> Option<broadcast::Receiver<RetryNotice>> {
        Some(self.notices.subscribe())
    }
}

/// The error for a status that retrying will not fix, in the words people need.
pub(crate) fn refusal_error(
    provider: &str,
    model: &str,
    status: u16,
    remote: &RemoteError,
    url: &str,
) -> Error {
    let provider = provider.to_string();
    if status == 401 || status == 403 {
        return Error::LlmKeyRejected { provider, status };
    }
    if remote.is_context_length() {
        return Error::LlmContextTooLong {
            provider,
            model: model.to_string(),
            detail: remote.describe(),
        };
    }
    if remote.is_unknown_model(status) {
        return Error::LlmModelUnavailable {
            provider,
            model: model.to_string(),
        };
    }
    let detail = if status == 404 {
        format!("nothing answers at {url}: {}", remote.describe())
    } else {
        remote.describe()
    };
    Error::LlmRequestRejected {
        provider,
        status,
        detail,
    }
}

/// The byte stream could fail in two ways before the SSE parser sees it.
#[derive(Debug)]
enum Transport {
    Http(reqwest::Error),
    Idle,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transport::Http(e) => f.write_str(&transport_detail(e)),
            Transport::Idle => f.write_str("no data within the idle timeout"),
        }
    }
}

type SseEvents = Pin<Box<dyn Stream<Item = Result<Event, EventStreamError<Transport>>> + Send>>;

/// The response body as SSE events, failing when no bytes arrive for `idle`.
///
/// The timer runs on bytes, not events, so SSE comments that some providers send as
/// keep-alives while a slow model thinks keep the stream alive.
fn sse_events(response: reqwest::Response, idle: Duration) -> SseEvents {
    let bytes = Box::pin(response.bytes_stream());
    let guarded = futures_util::stream::unfold(Some(bytes), move |bytes| async move {
        let mut bytes = bytes?;
        match tokio::time::timeout(idle, bytes.next()).await {
            Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(bytes))),
            Ok(Some(Err(e))) => Some((Err(Transport::Http(e)), None)),
            Ok(None) => None,
            Err(_) => Some((Err(Transport::Idle), None)),
        }
    });
    Box::pin(guarded.eventsource())
}

/// One streaming response being read.
struct Exchange {
    /// `None` once the answer ended or failed: dropping it closes the HTTP request at once,
    /// not whenever the caller drops the stream.
    events: Option<SseEvents>,
    decoder: Box<dyn Decoder>,
    tally: Tally,
    pending: VecDeque<StreamEvent>,
    cancel: CancellationToken,
    provider: String,
    model: String,
    idle: Duration,
    scrub_secret: Option<secrecy::SecretString>,
}

impl Exchange {
    async fn next(&mut self) -> Option<Result<StreamEvent, Failure>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(event));
            }
            let events = self.events.as_mut()?;
            let item = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => {
                    self.events = None;
                    return Some(Err(Failure::Fatal(Error::Cancelled)));
                }
                item = events.next() => item,
            };
            let failure = match item {
                None if self.tally.saw_finish() => {
                    // Some servers close without `[DONE]`; a finish reason already ended the answer.
                    self.finish();
                    continue;
                }
                None => Failure::Retry {
                    cause: RetryCause::Connection,
                    retry_after: None,
                    detail: "the connection closed before the answer was complete".into(),
                },
                Some(Err(EventStreamError::Transport(Transport::Idle))) => Failure::Retry {
                    cause: RetryCause::Stalled,
                    retry_after: None,
                    detail: format!("no data for {}", spoken(self.idle)),
                },
                Some(Err(EventStreamError::Transport(Transport::Http(e)))) => Failure::Retry {
                    cause: RetryCause::Connection,
                    retry_after: None,
                    detail: self.scrub(&transport_detail(&e)),
                },
                Some(Err(e)) => Failure::Retry {
                    cause: RetryCause::Malformed,
                    retry_after: None,
                    detail: format!("the event stream could not be parsed: {e}"),
                },
                Some(Ok(event)) => match self.decoder.decode(&event) {
                    Ok(wire_events) => {
                        for wire_event in wire_events {
                            match self.tally.observe(wire_event) {
                                Observed::Text(text) => {
                                    self.pending.push_back(StreamEvent::TextDelta(text))
                                }
                                Observed::Nothing => {}
                                Observed::End => {
                                    self.finish();
                                    break;
                                }
                            }
                        }
                        continue;
                    }
                    Err(WireError::Malformed(detail)) => Failure::Retry {
                        cause: RetryCause::Malformed,
                        retry_after: None,
                        detail: format!("a malformed chunk: {}", self.scrub(&detail)),
                    },
                    Err(WireError::Remote(cause, remote)) => {
                        let remote = RemoteError {
                            message: self.scrub(&remote.message),
                            ..remote
                        };
                        let detail = remote.describe();
                        let cause = match cause {
                            RemoteCause::RateLimited => RetryCause::RateLimited,
                            RemoteCause::Overloaded => RetryCause::Overloaded,
                            RemoteCause::Server => RetryCause::ServerError { status: 500 },
                            RemoteCause::Refused => {
                                self.events = None;
                                return Some(Err(Failure::Fatal(refusal_error(
                                    &self.provider,
                                    &self.model,
                                    400,
                                    &remote,
                                    "",
                                ))));
                            }
                        };
                        Failure::Retry {
                            cause,
                            retry_after: None,
                            detail,
                        }
                    }
                },
            };
            self.events = None;
            return Some(Err(failure));
        }
    }

    fn finish(&mut self) {
        self.events = None;
        self.pending.extend(self.tally.closing_events());
    }

    /// After the first token nothing is retried here: the caller holds a partial answer.
    fn interrupted(&self, failure: Failure) -> Error {
        let reason = match failure {
            Failure::Fatal(Error::Cancelled) => return Error::Cancelled,
            Failure::Fatal(error) => error.to_string(),
            Failure::Retry { detail, .. } => detail,
        };
        Error::LlmStreamInterrupted {
            provider: self.provider.clone(),
            received_chars: self.tally.text_chars(),
            reason,
        }
    }

    fn scrub(&self, text: &str) -> String {
        scrub_key(self.scrub_secret.as_ref(), text)
    }
}

/// "30 seconds", "1 second", "250 ms".
fn spoken(duration: Duration) -> String {
    match duration.as_secs() {
        0 => format!("{} ms", duration.as_millis()),
        1 => "1 second".to_string(),
        secs => format!("{secs} seconds"),
    }
}

/// reqwest's message for an error, with its cause (which says "connection refused" and such).
pub(crate) fn transport_detail(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut detail = if error.is_connect() {
        "could not connect".to_string()
    } else if error.is_timeout() {
        "timed out".to_string()
    } else if error.is_body() || error.is_decode() {
        "the connection broke while reading the answer".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut source = error.source();
    let mut last = None;
    while let Some(cause) = source {
        last = Some(cause.to_string());
        source = cause.source();
    }
    if let Some(last) = last {
        detail.push_str(": ");
        detail.push_str(&last);
    }
    detail
}

/// `retry-after-ms` (OpenAI), then `retry-after` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let value = header("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_is_read_as_seconds_milliseconds_or_a_date() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")])),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3"), ("retry-after-ms", "250")])),
            Some(Duration::from_millis(250))
        );
        let in_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(61));
        let from_date = retry_after(&headers(&[("retry-after", &in_a_minute)])).unwrap();
        assert!(from_date > Duration::from_secs(55) && from_date <= Duration::from_secs(61));
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(retry_after(&headers(&[])), None);
    }

    #[test]
    fn durations_are_spoken_in_the_largest_whole_unit() {
        assert_eq!(spoken(Duration::from_secs(30)), "30 seconds");
        assert_eq!(spoken(Duration::from_secs(1)), "1 second");
        assert_eq!(spoken(Duration::from_millis(250)), "250 ms");
    }

    #[test]
    fn rejected_keys_are_reported_in_plain_words_without_server_detail() {
        let remote = RemoteError::from_body(
            r#"{"error":{"message":"Incorrect API key provided: sk-abc***xyz.","type":"invalid_request_error","code":"invalid_api_key"}}"#,
        );
        let err = refusal_error("OpenAI", "gpt-4o", 401, &remote, "u");
        assert_eq!(err.code(), "llm_key_rejected");
        let message = err.to_string();
        assert!(
            message.contains("The API key for OpenAI was rejected"),
            "{message}"
        );
        assert!(!message.contains("sk-abc"), "{message}");
    }

    #[test]
    fn a_404_without_a_model_in_the_body_points_at_the_address() {
        let remote = RemoteError::from_body("404 page not found");
        let err = refusal_error(
            "gpu-box",
            "m",
            404,
            &remote,
            "http://gpu-box/chat/completions",
        );
        assert_eq!(err.code(), "llm_request_rejected");
        assert!(err.to_string().contains("http://gpu-box/chat/completions"));
    }
}
