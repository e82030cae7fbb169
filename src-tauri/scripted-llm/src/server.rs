//! The HTTP side: routes, the record of requests, and replies played out over time.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::dialect::{ollama_tags, Protocol};
use crate::script::{Fault, Reply, Script, StreamError};

/// A running scripted server. Dropping it stops accepting connections.
pub struct ScriptedLlm {
    addr: SocketAddr,
    shared: Arc<Shared>,
    serving: JoinHandle<std::io::Result<()>>,
}

struct Shared {
    script: Mutex<Script>,
    attempts: Mutex<HashMap<Option<String>, usize>>,
    requests: Mutex<Vec<RecordedRequest>>,
    model_list_requests: Mutex<Vec<HeaderMap>>,
    bodies: watch::Sender<Bodies>,
}

/// What became of the streamed response bodies so far.
#[derive(Debug, Clone, Copy, Default)]
struct Bodies {
    /// Still being played out.
    open: usize,
    /// The most that were ever being played out at the same moment.
    most_open: usize,
    /// Played to their last step (a scripted cut included) and released.
    completed: usize,
    /// Released before their last step: the client went away.
    disconnected: usize,
}

/// A chat request as the server received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub protocol: Protocol,
    pub path: String,
    /// The text after `TASK: ` on the first line of the final user message.
    pub task: Option<String>,
    /// 1 for the first request with this task, 2 for the next, ...
    pub attempt: usize,
    pub model: String,
    /// The system prompt (OpenAI's system messages joined, or Anthropic's `system`).
    pub system: String,
    /// `(role, text)` of every other message, in order.
    pub messages: Vec<(String, String)>,
    pub stream: bool,
    pub max_tokens: Option<u64>,
    pub temperature: Option<f64>,
    /// OpenAI's `response_format: {"type": "json_object"}`.
    pub json_mode: bool,
    pub headers: HeaderMap,
    pub body: Value,
    pub received_at: tokio::time::Instant,
}

impl RecordedRequest {
    pub fn last_user_message(&self) -> Option<&str> {
        self.messages
            .iter()
            .rev()
            .find(|(role, _)| role == "user")
            .map(|(_, text)| text.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding the lock has already failed; keep serving the rest.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ScriptedLlm {
    /// Starts on 127.0.0.1 at a free port.
    pub async fn start(script: Script) -> std::io::Result<ScriptedLlm> {
        ScriptedLlm::bind(SocketAddr::from(([127, 0, 0, 1], 0)), script).await
    }

    pub async fn bind(addr: SocketAddr, script: Script) -> std::io::Result<ScriptedLlm> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            script: Mutex::new(script),
            attempts: Mutex::default(),
            requests: Mutex::default(),
            model_list_requests: Mutex::default(),
            bodies: watch::channel(Bodies::default()).0,
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(openai_chat))
            .route("/chat/completions", post(openai_chat))
            .route("/v1/messages", post(anthropic_chat))
            .route("/v1/models", get(models))
            .route("/models", get(models))
            .route("/api/tags", get(ollama_models))
            .with_state(shared.clone());
        let serving = tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(ScriptedLlm {
            addr,
            shared,
            serving,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the base URL for Anthropic, and Ollama's origin.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/v1`: the base URL for OpenAI-compatible clients.
    pub fn openai_base_url(&self) -> String {
        format!("{}/v1", self.url())
    }

    /// Replaces the script; request counts per task carry on.
    pub fn set_script(&self, script: Script) {
        *lock(&self.shared.script) = script;
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    pub fn requests_for(&self, task: &str) -> Vec<RecordedRequest> {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.task.as_deref() == Some(task))
            .cloned()
            .collect()
    }

    pub fn request_count(&self) -> usize {
        lock(&self.shared.requests).len()
    }

    /// The headers of every model-list request (`/v1/models`, `/models`, `/api/tags`), in order.
    pub fn model_list_headers(&self) -> Vec<HeaderMap> {
        lock(&self.shared.model_list_requests).clone()
    }

    /// Streams the client closed before the server had sent all of them.
    pub fn disconnects(&self) -> usize {
        self.shared.bodies.borrow().disconnected
    }

    /// Response bodies the server played to the end (a scripted cut included).
    pub fn completed_responses(&self) -> usize {
        self.shared.bodies.borrow().completed
    }

    /// The most response bodies that were ever being sent at the same moment: how many
    /// requests a client really had in flight at once, whatever the clock says.
    pub fn most_responses_at_once(&self) -> usize {
        self.shared.bodies.borrow().most_open
    }

    /// Resolves once at least `count` client disconnects have been seen.
    pub async fn wait_for_disconnects(&self, count: usize) {
        self.wait_for_bodies(|b| b.disconnected >= count).await;
    }

    /// Resolves once at least `count` response bodies are settled, played to the end or
    /// abandoned by the client, so what became of each one is known.
    pub async fn wait_for_settled_responses(&self, count: usize) {
        self.wait_for_bodies(|b| b.completed + b.disconnected >= count)
            .await;
    }

    async fn wait_for_bodies(&self, done: impl FnMut(&Bodies) -> bool) {
        let mut seen = self.shared.bodies.subscribe();
        // The sender lives in `self`, so the channel cannot close while this waits.
        let _ = seen.wait_for(done).await;
    }

    /// Serves until the server fails; what the binary waits on.
    pub async fn serve_until_stopped(mut self) -> std::io::Result<()> {
        match (&mut self.serving).await {
            Ok(result) => result,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

impl Drop for ScriptedLlm {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

async fn openai_chat(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    chat(shared, Protocol::OpenAi, uri, headers, body)
}

async fn anthropic_chat(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    chat(shared, Protocol::Anthropic, uri, headers, body)
}

async fn models(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    lock(&shared.model_list_requests).push(headers.clone());
    // Both protocols list at /v1/models; Anthropic's clients always send this header.
    let protocol = if headers.contains_key("anthropic-version") {
        Protocol::Anthropic
    } else {
        Protocol::OpenAi
    };
    let script = lock(&shared.script).clone();
    if !authorised(&script, &headers) {
        let (status, body) = protocol.key_rejected();
        return error_response(status, body, None);
    }
    if script.endless_model_list {
        return endless_model_list(shared.clone(), r#"{"object":"list","data":["#);
    }
    Json(protocol.model_list(&script.models)).into_response()
}

async fn ollama_models(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    lock(&shared.model_list_requests).push(headers);
    let script = lock(&shared.script).clone();
    if script.endless_model_list {
        return endless_model_list(shared.clone(), r#"{"models":["#);
    }
    Json(ollama_tags(&script.models)).into_response()
}

/// `opening`, then model entries for ever.
fn endless_model_list(shared: Arc<Shared>, opening: &str) -> Response {
    let entry = r#"{"id":"model-that-never-ends","name":"model-that-never-ends"},"#;
    let steps = vec![
        Step::Send(opening.to_string()),
        Step::Repeat {
            frame: entry.repeat(256),
            every: Duration::ZERO,
        },
    ];
    playback_response(shared, StatusCode::OK, "application/json", steps)
}

fn authorised(script: &Script, headers: &HeaderMap) -> bool {
    let Some(expected) = &script.api_key else {
        return true;
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let x_api_key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    bearer == Some(expected) || x_api_key == Some(expected)
}

/// The routing rule of the prompt contract: `TASK: <task>` on the final user message's first line.
fn task_of(messages: &[(String, String)]) -> Option<String> {
    let (_, text) = messages.iter().rev().find(|(role, _)| role == "user")?;
    let first = text.lines().next()?.trim();
    Some(first.strip_prefix("TASK:")?.trim().to_string())
}

fn chat(
    shared: Arc<Shared>,
    protocol: Protocol,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bad_request =
        |message: String| error_response(400, protocol.error_body(400, &message, None), None);
    let json: Value = match serde_json::from_slice(&body) {
        Ok(json) => json,
        Err(e) => return bad_request(format!("the body is not JSON: {e}")),
    };
    let request = match protocol.parse_request(&json) {
        Ok(request) => request,
        Err(message) => return bad_request(message),
    };
    let task = task_of(&request.messages);
    let attempt = {
        let mut attempts = lock(&shared.attempts);
        let count = attempts.entry(task.clone()).or_default();
        *count += 1;
        *count
    };
    lock(&shared.requests).push(RecordedRequest {
        protocol,
        path: uri.path().to_string(),
        task: task.clone(),
        attempt,
        model: request.model.clone(),
        system: request.system.clone(),
        messages: request.messages.clone(),
        stream: request.stream,
        max_tokens: request.max_tokens,
        temperature: request.temperature,
        json_mode: request.json_mode,
        headers: headers.clone(),
        body: json,
        received_at: tokio::time::Instant::now(),
    });

    let script = lock(&shared.script).clone();
    if !authorised(&script, &headers) {
        let (status, body) = protocol.key_rejected();
        return error_response(status, body, None);
    }
    if !script.models.is_empty() && !script.models.contains(&request.model) {
        let (status, body) = protocol.unknown_model(&request.model);
        return error_response(status, body, None);
    }
    let reply = script.reply_for(task.as_deref(), attempt);
    match &reply.fault {
        Some(Fault::Status {
            status,
            retry_after_secs,
            retry_after_ms,
            message,
        }) => {
            let message = message
                .clone()
                .unwrap_or_else(|| default_message(*status).into());
            let body = protocol.error_body(*status, &message, None);
            let mut response = error_response(*status, body, *retry_after_secs);
            if let Some(ms) = retry_after_ms {
                response.headers_mut().insert(
                    "retry-after-ms",
                    ms.to_string().parse().expect("digits are a valid header"),
                );
            }
            return response;
        }
        Some(Fault::UnknownModel) => {
            let (status, body) = protocol.unknown_model(&request.model);
            return error_response(status, body, None);
        }
        Some(Fault::ContextLength) => {
            let (status, body) = protocol.context_length();
            return error_response(status, body, None);
        }
        Some(Fault::EndlessErrorBody { status }) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST);
            let message = protocol
                .error_body(status.as_u16(), "and then some", None)
                .to_string();
            // Padding inside the message, so the body stays a JSON string that never closes.
            let opening = message
                .split("and then some")
                .next()
                .unwrap_or("")
                .to_string();
            let steps = vec![
                Step::Send(opening),
                Step::Repeat {
                    frame: "and then some ".repeat(1024),
                    every: Duration::ZERO,
                },
            ];
            return playback_response(shared, status, "application/json", steps);
        }
        _ => {}
    }

    let usage = reply.send_usage.then(|| match reply.usage {
        Some(numbers) => (numbers.prompt_tokens, numbers.completion_tokens),
        None => {
            let prompt_chars = request.system.chars().count()
                + request
                    .messages
                    .iter()
                    .map(|(_, t)| t.chars().count())
                    .sum::<usize>();
            (
                rough_tokens(prompt_chars),
                rough_tokens(reply.text.chars().count()),
            )
        }
    });
    let (steps, content_type) = if request.stream {
        (
            streamed(
                protocol,
                &request.model,
                &reply,
                usage,
                request.include_usage,
            ),
            "text/event-stream",
        )
    } else {
        if let Some(Fault::ErrorEvent { error, .. }) = &reply.fault {
            let status = match error {
                StreamError::RateLimit => 429,
                StreamError::Overloaded => 529,
                StreamError::Server => 500,
            };
            return error_response(
                status,
                protocol.error_body(status, default_message(status), None),
                None,
            );
        }
        (
            whole(protocol, &request.model, &reply, usage),
            "application/json",
        )
    };
    playback_response(shared, StatusCode::OK, content_type, steps)
}

fn playback_response(
    shared: Arc<Shared>,
    status: StatusCode,
    content_type: &'static str,
    steps: Vec<Step>,
) -> Response {
    let playback = Playback {
        flushed_before_cut: false,
        steps: steps.into(),
        guard: BodyGuard::open(shared),
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(playback.into_stream()))
        .expect("static headers are valid")
}

fn default_message(status: u16) -> &'static str {
    match status {
        401 => "invalid api key",
        403 => "permission denied",
        408 => "request timeout",
        429 => "Rate limit reached for requests",
        500 => "The server had an error while processing your request.",
        502 => "Bad gateway",
        503 => "Service unavailable",
        529 => "Overloaded",
        _ => "Scripted error",
    }
}

fn rough_tokens(chars: usize) -> u64 {
    (chars as u64).div_ceil(4)
}

fn error_response(status: u16, body: Value, retry_after_secs: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Json(body)).into_response();
    if let Some(secs) = retry_after_secs {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            secs.to_string().parse().expect("digits are a valid header"),
        );
    }
    response
}

/// One thing the response body does next.
enum Step {
    Send(String),
    Wait(Duration),
    /// Drop the connection without finishing the body.
    Cut,
    /// Send nothing more until the client gives up.
    Hang,
    /// Send `frame`, wait `every`, and again, for ever.
    Repeat {
        frame: String,
        every: Duration,
    },
}

/// The text in chunks of `chunk_chars`, with the fault's position as a chunk boundary.
fn chunks_around_fault(reply: &Reply) -> (Vec<String>, Vec<String>) {
    let chars: Vec<char> = reply.text.chars().collect();
    let split = match &reply.fault {
        Some(Fault::Cut { after_chars })
        | Some(Fault::Malformed { after_chars })
        | Some(Fault::Stall { after_chars, .. })
        | Some(Fault::ErrorEvent { after_chars, .. }) => (*after_chars).min(chars.len()),
        _ => chars.len(),
    };
    let size = reply.chunk_chars.max(1);
    let pieces = |part: &[char]| part.chunks(size).map(|c| c.iter().collect()).collect();
    (pieces(&chars[..split]), pieces(&chars[split..]))
}

fn streamed(
    protocol: Protocol,
    model: &str,
    reply: &Reply,
    usage: Option<(u64, u64)>,
    include_usage: bool,
) -> Vec<Step> {
    let mut steps: Vec<Step> = protocol
        .preamble(model, usage.map(|(prompt, _)| prompt))
        .into_iter()
        .map(Step::Send)
        .collect();
    if reply.first_token_ms > 0 {
        steps.push(Step::Wait(Duration::from_millis(reply.first_token_ms)));
    }
    let gap = reply
        .tokens_per_second
        .filter(|rate| *rate > 0.0 && rate.is_finite())
        .map(|rate| Duration::from_secs_f64(1.0 / rate));
    let mut sent_any = false;
    let mut send_text = |steps: &mut Vec<Step>, chunks: Vec<String>| {
        for chunk in chunks {
            if let (Some(gap), true) = (gap, sent_any) {
                steps.push(Step::Wait(gap));
            }
            steps.push(Step::Send(protocol.text_frame(model, &chunk)));
            sent_any = true;
        }
    };
    let (before, after) = chunks_around_fault(reply);
    send_text(&mut steps, before);
    match &reply.fault {
        Some(Fault::Cut { .. }) => {
            steps.push(Step::Cut);
            return steps;
        }
        Some(Fault::Malformed { .. }) => steps.push(Step::Send(protocol.malformed_frame())),
        Some(Fault::Stall { ms: Some(ms), .. }) => {
            steps.push(Step::Wait(Duration::from_millis(*ms)))
        }
        Some(Fault::Stall { ms: None, .. }) => steps.push(Step::Hang),
        Some(Fault::ErrorEvent { error, .. }) => {
            steps.push(Step::Send(protocol.error_frame(*error)));
            return steps;
        }
        Some(Fault::Endless { every_ms }) => {
            let text = if reply.text.is_empty() {
                "x"
            } else {
                &reply.text
            };
            steps.push(Step::Repeat {
                frame: protocol.text_frame(model, text),
                every: Duration::from_millis(*every_ms),
            });
            return steps;
        }
        Some(Fault::KeepAliveOnly { every_ms }) => {
            steps.push(Step::Repeat {
                frame: ": keep-alive\n\n".to_string(),
                every: Duration::from_millis(*every_ms),
            });
            return steps;
        }
        _ => {}
    }
    send_text(&mut steps, after);
    steps.extend(
        protocol
            .closing(model, &reply.finish, usage, include_usage)
            .into_iter()
            .map(Step::Send),
    );
    steps
}

fn whole(protocol: Protocol, model: &str, reply: &Reply, usage: Option<(u64, u64)>) -> Vec<Step> {
    let body = protocol
        .complete_body(model, &reply.text, &reply.finish, usage)
        .to_string();
    let mut steps = Vec::new();
    if reply.first_token_ms > 0 {
        steps.push(Step::Wait(Duration::from_millis(reply.first_token_ms)));
    }
    match &reply.fault {
        Some(Fault::Cut { .. }) => {
            steps.push(Step::Send(body[..body.len() / 2].to_string()));
            steps.push(Step::Cut);
            return steps;
        }
        Some(Fault::Malformed { .. }) => {
            steps.push(Step::Send(body[..body.len() / 2].to_string()));
            return steps;
        }
        Some(Fault::Stall { ms: Some(ms), .. }) => {
            steps.push(Step::Wait(Duration::from_millis(*ms)))
        }
        Some(Fault::Stall { ms: None, .. }) => steps.push(Step::Hang),
        _ => {}
    }
    steps.push(Step::Send(body));
    steps
}

struct Playback {
    steps: VecDeque<Step>,
    guard: BodyGuard,
    flushed_before_cut: bool,
}

impl Playback {
    fn into_stream(self) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send {
        futures_util::stream::unfold(self, |mut playback| async move {
            loop {
                let Some(step) = playback.steps.pop_front() else {
                    playback.guard.mark_completed();
                    return None;
                };
                match step {
                    Step::Wait(delay) => tokio::time::sleep(delay).await,
                    Step::Hang => std::future::pending::<()>().await,
                    Step::Repeat { frame, every } => {
                        let again = Step::Repeat {
                            frame: frame.clone(),
                            every,
                        };
                        playback.steps.push_front(again);
                        if !every.is_zero() {
                            playback.steps.push_front(Step::Wait(every));
                        }
                        return Some((Ok(Bytes::from(frame)), playback));
                    }
                    Step::Send(frame) => {
                        if playback.steps.is_empty() {
                            playback.guard.mark_completed();
                        }
                        return Some((Ok(Bytes::from(frame)), playback));
                    }
                    Step::Cut => {
                        // hyper drops unflushed bytes along with the connection; pausing once
                        // lets it flush what was sent before the cut.
                        if !playback.flushed_before_cut {
                            playback.flushed_before_cut = true;
                            playback.steps.push_front(Step::Cut);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        }
                        playback.guard.mark_completed();
                        let cut = std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "scripted cut",
                        );
                        return Some((Err(cut), playback));
                    }
                }
            }
        })
    }
}

/// Follows one response body: open while it plays, then completed, or a disconnect when it is
/// dropped before it was all sent, which is what hyper does when the client goes away.
struct BodyGuard {
    shared: Arc<Shared>,
    completed: bool,
}

impl BodyGuard {
    fn open(shared: Arc<Shared>) -> BodyGuard {
        shared.bodies.send_modify(|b| {
            b.open += 1;
            b.most_open = b.most_open.max(b.open);
        });
        BodyGuard {
            shared,
            completed: false,
        }
    }

    /// Closes the body as its last step is handed to hyper: before the client can have read
    /// it, so a request the client sends after reading it never overlaps this one.
    fn mark_completed(&mut self) {
        if !self.completed {
            self.completed = true;
            self.shared.bodies.send_modify(|b| b.open -= 1);
        }
    }
}

impl Drop for BodyGuard {
    fn drop(&mut self) {
        let completed = self.completed;
        self.shared.bodies.send_modify(|b| {
            if completed {
                b.completed += 1;
            } else {
                b.open -= 1;
                b.disconnected += 1;
            }
        });
    }
}
