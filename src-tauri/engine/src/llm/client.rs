//! The HTTP side shared by both wire protocols: sending, retrying, idle timeouts and cancellation.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};
use reqwest::header::HeaderMap;
use serde_json::Value;
use tokio::sync::broadcast;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;

use super::anthropic::{self, AnthropicDecoder};
use super::openai::{self, OpenAiDecoder};
use super::provider::{
    scrub_key, Connection, ProviderConfig, ProviderPreset, RetryPolicy, Timeouts, WireProtocol,
};
use super::wire::{Decoder, Observed, RemoteCause, RemoteError, Tally, WireError};
use super::{ChatProvider, ChatRequest, ChatStream, RetryCause, RetryNotice, StreamEvent};
use crate::spoken::{spoken_bytes, spoken_duration};
use crate::{Error, Result};

/// The most of an error response's body that is read; the rest is left unread.
pub(crate) const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// One server-sent event may grow this large before its end; the SSE parser buffers a whole
/// event, so without a bound a server that never ends one fills memory.
const MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;

pub(crate) struct HttpChatProvider {
    connection: Connection,
    preset: &'static ProviderPreset,
    chat_url: String,
    retry: RetryPolicy,
    timeouts: Timeouts,
    notices: broadcast::Sender<RetryNotice>,
}

/// The chat provider for these settings.
pub fn build_provider(config: &ProviderConfig) -> Result<Arc<dyn ChatProvider>> {
    let connection = config.connection()?;
    Ok(Arc::new(HttpChatProvider::new(
        connection,
        config.kind.preset(),
        config.retry.clone(),
        config.timeouts.clone(),
    )))
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
        deadline: Instant,
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
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
            total: self.timeouts.total,
            answer_bytes: 0,
            max_answer_bytes: req.max_answer_bytes,
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
        mut response: reqwest::Response,
        model: &str,
        cancel: &CancellationToken,
    ) -> Failure {
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers(), SystemTime::now());
        let read = read_capped(&mut response, MAX_ERROR_BODY_BYTES);
        // A body cut at the cap (or by a broken connection) still says what it can.
        let text = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Failure::Fatal(Error::Cancelled),
            body = tokio::time::timeout(self.timeouts.idle, read) => match body {
                Ok(Ok(body)) => String::from_utf8_lossy(&body.bytes).into_owned(),
                _ => String::new(),
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
                    self.connection.secret.is_some(),
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
            detail: format!("no data for {}", spoken_duration(self.timeouts.idle)),
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
                idle: spoken_duration(self.timeouts.idle),
            },
            RetryCause::Malformed => Error::LlmBadResponse { provider, detail },
        }
    }

    /// The error for a server that asked to be left alone for longer than the policy waits.
    fn asked_too_long(
        &self,
        cause: RetryCause,
        detail: String,
        asked: Duration,
        attempts: u32,
    ) -> Error {
        let provider = self.connection.name.clone();
        // Rounded up, so a wait just past the limit never reads as equal to it.
        let whole_seconds = match asked.subsec_nanos() {
            0 => asked,
            _ => Duration::from_secs(asked.as_secs().saturating_add(1)),
        };
        let wait = spoken_duration(whole_seconds);
        match cause {
            RetryCause::RateLimited => Error::LlmRateLimitedFor {
                provider,
                wait,
                limit: spoken_duration(self.retry.max_retry_after),
            },
            _ => Error::LlmUnavailable {
                provider,
                detail: format!("{detail}; it asked to wait {wait}"),
                attempts,
            },
        }
    }

    fn deadline_exceeded(&self) -> Error {
        Error::LlmDeadlineExceeded {
            provider: self.connection.name.clone(),
            limit: spoken_duration(self.timeouts.total),
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
        let deadline = deadline_after(self.timeouts.total);
        let mut stalls = 0;
        let mut attempt = 1;
        loop {
            let attempted =
                tokio::time::timeout_at(deadline, self.attempt(req, &body, &cancel, deadline));
            let (cause, retry_after, detail) = match attempted.await {
                Err(_) => return Err(self.deadline_exceeded()),
                Ok(Ok(stream)) => return Ok(stream),
                Ok(Err(Failure::Fatal(error))) => return Err(error),
                Ok(Err(Failure::Retry {
                    cause,
                    retry_after,
                    detail,
                })) => (cause, retry_after, detail),
            };
            if cause == RetryCause::Stalled {
                stalls += 1;
            }
            // A stall is retried once only: a provider that hangs twice is unlikely to recover.
            if attempt >= self.retry.max_attempts || stalls > 1 {
                return Err(self.exhausted(cause, detail, attempt));
            }
            let delay = match self.retry.delay_before_retry(attempt, retry_after) {
                Ok(delay) => delay,
                Err(asked) => return Err(self.asked_too_long(cause, detail, asked, attempt)),
            };
            // Waiting past the deadline would only end in the deadline error; the last
            // failure says more about what is wrong.
            if Instant::now()
                .checked_add(delay)
                .is_none_or(|ready| ready >= deadline)
            {
                return Err(self.exhausted(cause, detail, attempt));
            }
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

/// The error for a status that retrying will not fix, in the words people need. A 401 or 403
/// to a request that carried no key asks for one; it says nothing about a key.
pub(crate) fn refusal_error(
    provider: &str,
    model: &str,
    status: u16,
    remote: &RemoteError,
    url: &str,
    key_sent: bool,
) -> Error {
    let provider = provider.to_string();
    if (status == 401 || status == 403) && !key_sent {
        return Error::LlmKeyNeeded { provider, status };
    }
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
    EventTooLarge,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transport::Http(e) => f.write_str(&transport_detail(e)),
            Transport::Idle => f.write_str("no data within the idle timeout"),
            Transport::EventTooLarge => write!(
                f,
                "one event grew past {} without ending",
                spoken_bytes(MAX_EVENT_BYTES)
            ),
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
    let start = Some((bytes, EventSize::default()));
    let guarded = futures_util::stream::unfold(start, move |state| async move {
        let (mut bytes, mut size) = state?;
        match tokio::time::timeout(idle, bytes.next()).await {
            Ok(Some(Ok(chunk))) if size.grow(&chunk) => Some((Ok(chunk), Some((bytes, size)))),
            Ok(Some(Ok(_))) => Some((Err(Transport::EventTooLarge), None)),
            Ok(Some(Err(e))) => Some((Err(Transport::Http(e)), None)),
            Ok(None) => None,
            Err(_) => Some((Err(Transport::Idle), None)),
        }
    });
    Box::pin(guarded.eventsource())
}

/// The size of the server-sent event being received: bytes since the last blank line.
#[derive(Debug)]
struct EventSize {
    bytes: usize,
    at_line_start: bool,
    last: u8,
}

impl Default for EventSize {
    fn default() -> Self {
        EventSize {
            bytes: 0,
            at_line_start: true,
            last: 0,
        }
    }
}

impl EventSize {
    /// Counts `chunk`; false once the event in progress is larger than `MAX_EVENT_BYTES`.
    fn grow(&mut self, chunk: &[u8]) -> bool {
        for &byte in chunk {
            match byte {
                // The second half of a CRLF line ending.
                b'\n' if self.last == b'\r' => {}
                b'\r' | b'\n' => {
                    if self.at_line_start {
                        self.bytes = 0;
                    }
                    self.at_line_start = true;
                }
                _ => {
                    self.at_line_start = false;
                    self.bytes += 1;
                }
            }
            self.last = byte;
        }
        self.bytes <= MAX_EVENT_BYTES
    }
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
    /// Fires at the request's total deadline, however lively the stream is.
    deadline: Pin<Box<Sleep>>,
    total: Duration,
    answer_bytes: usize,
    max_answer_bytes: Option<usize>,
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
                _ = &mut self.deadline => {
                    self.events = None;
                    return Some(Err(Failure::Fatal(Error::LlmDeadlineExceeded {
                        provider: self.provider.clone(),
                        limit: spoken_duration(self.total),
                    })));
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
                    detail: format!("no data for {}", spoken_duration(self.idle)),
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
                                    self.answer_bytes =
                                        self.answer_bytes.saturating_add(text.len());
                                    if let Some(limit) = self.max_answer_bytes {
                                        if self.answer_bytes > limit {
                                            self.events = None;
                                            self.pending.clear();
                                            return Some(Err(Failure::Fatal(
                                                Error::LlmAnswerTooLarge {
                                                    provider: self.provider.clone(),
                                                    limit: spoken_bytes(limit),
                                                },
                                            )));
                                        }
                                    }
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
                                    true,
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
            // These say what happened better than "cut off", and asking again would not help.
            Failure::Fatal(
                error @ (Error::Cancelled
                | Error::LlmDeadlineExceeded { .. }
                | Error::LlmAnswerTooLarge { .. }),
            ) => return error,
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

/// `duration` from now, or as far ahead as the clock goes.
fn deadline_after(duration: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(duration)
        .or_else(|| now.checked_add(Duration::from_secs(365 * 24 * 3600)))
        .unwrap_or(now)
}

/// Up to `limit` bytes of a response body.
pub(crate) struct CappedBody {
    pub bytes: Vec<u8>,
    /// The body went on past `limit`; the rest was not read.
    pub truncated: bool,
}

/// Reads a body chunk by chunk and stops at `limit`, so an endless or huge body costs at most
/// `limit` bytes (and one chunk) of memory.
pub(crate) async fn read_capped(
    response: &mut reqwest::Response,
    limit: usize,
) -> std::result::Result<CappedBody, reqwest::Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit.saturating_sub(bytes.len());
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok(CappedBody {
                bytes,
                truncated: true,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(CappedBody {
        bytes,
        truncated: false,
    })
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

/// `retry-after-ms` (OpenAI), then `retry-after` as seconds or an HTTP date, as of `now`.
///
/// Values come from the server, so they are parsed as plain decimals in integer arithmetic,
/// never through a float: too large saturates at `Duration::MAX` (which the retry policy then
/// refuses), and anything else (signs, exponents, NaN) counts as absent.
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    const NANOS_PER_MS: u64 = 1_000_000;
    const NANOS_PER_SEC: u64 = 1_000_000_000;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(wait) = header("retry-after-ms").and_then(|v| decimal(v, NANOS_PER_MS)) {
        return Some(wait);
    }
    let value = header("retry-after")?;
    if let Some(wait) = decimal(value, NANOS_PER_SEC) {
        return Some(wait);
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `text` as a non-negative decimal (`3`, `0.25`, `18446744073709551615`) of units of
/// `unit_nanos` nanoseconds, saturating at `Duration::MAX`.
fn decimal(text: &str, unit_nanos: u64) -> Option<Duration> {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return None;
    }
    let mut nanos: u128 = 0;
    for b in whole.bytes() {
        nanos = match nanos
            .checked_mul(10)
            .and_then(|n| n.checked_add(u128::from(b - b'0') * u128::from(unit_nanos)))
        {
            Some(n) => n,
            None => return Some(Duration::MAX),
        };
    }
    // Digits past the nanosecond add nothing a timer could use.
    let mut place = u128::from(unit_nanos);
    for b in fraction.bytes() {
        place /= 10;
        if place == 0 {
            break;
        }
        nanos = nanos.saturating_add(u128::from(b - b'0') * place);
    }
    let Ok(secs) = u64::try_from(nanos / NANOS_PER_SEC) else {
        return Some(Duration::MAX);
    };
    // Below a second by construction, so `Duration::new` cannot carry over.
    let subsec = u32::try_from(nanos % NANOS_PER_SEC).ok()?;
    Some(Duration::new(secs, subsec))
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

    fn parsed(pairs: &[(&'static str, &str)]) -> Option<Duration> {
        retry_after(&headers(pairs), SystemTime::now())
    }

    #[test]
    fn retry_after_is_read_as_seconds_milliseconds_or_a_date() {
        assert_eq!(
            parsed(&[("retry-after", "3")]),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parsed(&[("retry-after", "3"), ("retry-after-ms", "250")]),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            parsed(&[("retry-after", "0.25")]),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            parsed(&[("retry-after-ms", "1.5")]),
            Some(Duration::from_micros(1500))
        );
        let in_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(61));
        let from_date = parsed(&[("retry-after", &in_a_minute)]).unwrap();
        assert!(from_date > Duration::from_secs(55) && from_date <= Duration::from_secs(61));
        assert_eq!(parsed(&[("retry-after", "soon")]), None);
        assert_eq!(parsed(&[]), None);
    }

    #[test]
    fn huge_retry_after_values_saturate_instead_of_panicking() {
        for huge in [
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999999999999999999999999999999999999999999999999999",
            "18446744073709551615.999999999999",
        ] {
            let secs = parsed(&[("retry-after", huge)]).unwrap();
            assert!(secs >= Duration::from_secs(u64::MAX), "{huge}: {secs:?}");
            let ms = parsed(&[("retry-after-ms", huge)]).unwrap();
            assert!(ms >= Duration::from_millis(u64::MAX), "{huge}: {ms:?}");
        }
        assert_eq!(
            decimal("18446744073709551615", 1_000_000),
            Some(Duration::from_millis(u64::MAX))
        );
        assert_eq!(decimal(&"9".repeat(80), 1_000_000), Some(Duration::MAX));
        let far = parsed(&[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")]).unwrap();
        assert!(
            far > Duration::from_secs(7_000 * 365 * 24 * 3600),
            "{far:?}"
        );
    }

    #[test]
    fn retry_after_values_that_are_not_plain_decimals_count_as_absent() {
        for hostile in [
            "1e20",
            "-1",
            "-0.5",
            "NaN",
            "inf",
            "+3",
            "0x10",
            ".",
            "",
            "1.2.3",
            "3 s",
            "Thu, 01 Jan 1970 00:00:00 GMT trailing",
        ] {
            assert_eq!(parsed(&[("retry-after", hostile)]), None, "{hostile:?}");
            assert_eq!(parsed(&[("retry-after-ms", hostile)]), None, "{hostile:?}");
        }
        // A date in the past means "now".
        assert_eq!(
            parsed(&[("retry-after", "Thu, 01 Jan 1970 00:00:00 GMT")]),
            Some(Duration::ZERO)
        );
    }

    proptest::proptest! {
        #[test]
        fn any_retry_after_is_either_waited_within_the_cap_or_refused(
            seconds in "\\PC{0,40}",
            millis in proptest::option::of("[0-9.eE+-]{0,30}|\\PC{0,30}"),
            attempt in 1u32..10,
        ) {
            let mut map = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_str(&seconds) {
                map.insert("retry-after", value);
            }
            if let Some(Ok(value)) = millis.as_deref().map(HeaderValue::from_str) {
                map.insert("retry-after-ms", value);
            }
            let policy = RetryPolicy::default();
            let asked = retry_after(&map, SystemTime::now());
            match policy.delay_before_retry(attempt, asked) {
                Ok(delay) => proptest::prop_assert!(delay <= policy.max_retry_after),
                Err(refused) => {
                    proptest::prop_assert_eq!(Some(refused), asked);
                    proptest::prop_assert!(refused > policy.max_retry_after);
                }
            }
        }

        #[test]
        fn any_decimal_number_parses_without_panicking(
            whole in "[0-9]{0,60}",
            fraction in proptest::option::of("[0-9]{0,30}"),
        ) {
            let text = match &fraction {
                Some(fraction) => format!("{whole}.{fraction}"),
                None => whole.clone(),
            };
            let secs = decimal(&text, 1_000_000_000);
            let ms = decimal(&text, 1_000_000);
            if text.is_empty() || text == "." {
                proptest::prop_assert_eq!(secs, None);
            } else {
                // Seconds are never shorter than the same number of milliseconds.
                proptest::prop_assert!(secs.unwrap() >= ms.unwrap());
            }
        }
    }

    #[test]
    fn an_event_is_measured_from_the_last_blank_line_whatever_the_line_endings() {
        let mut size = EventSize::default();
        assert!(size.grow(b"data: abc\n\ndata: de"));
        assert_eq!(size.bytes, 8);
        assert!(size.grow(b"f\r"));
        assert!(size.grow(b"\n\r\n"));
        assert_eq!(size.bytes, 0);
        assert!(size.grow(b": keep-alive\r\r"));
        assert_eq!(size.bytes, 0);
        let line = vec![b'x'; MAX_EVENT_BYTES];
        assert!(size.grow(&line));
        assert!(!size.grow(b"x"), "one byte past the cap");
    }

    #[test]
    fn rejected_keys_are_reported_in_plain_words_without_server_detail() {
        let remote = RemoteError::from_body(
            r#"{"error":{"message":"Incorrect API key provided: sk-abc***xyz.","type":"invalid_request_error","code":"invalid_api_key"}}"#,
        );
        let err = refusal_error("OpenAI", "gpt-4o", 401, &remote, "u", true);
        assert_eq!(err.code(), "llm_key_rejected");
        let message = err.to_string();
        assert!(
            message.contains("The API key for OpenAI was rejected"),
            "{message}"
        );
        assert!(!message.contains("sk-abc"), "{message}");
    }

    #[test]
    fn a_401_to_a_request_without_a_key_asks_for_one_instead_of_blaming_it() {
        let remote = RemoteError::from_body("{\"error\":\"unauthorized\"}");
        let err = refusal_error("gpu-box", "m", 401, &remote, "u", false);
        assert_eq!(err.code(), "llm_key_needed");
        assert!(err.to_string().contains("none was sent"), "{err}");
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
            true,
        );
        assert_eq!(err.code(), "llm_request_rejected");
        assert!(err.to_string().contains("http://gpu-box/chat/completions"));
    }
}
