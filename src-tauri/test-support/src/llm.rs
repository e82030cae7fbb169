//! Shared setup for the LLM tests: providers pointed at a scripted server, and stream reading.
//!
//! These tests run in real time with small timeouts rather than tokio's paused clock: a paused
//! clock jumps to the next timer whenever no task is ready, even while loopback bytes are still
//! on their way, which fires idle timeouts that never happened.

use std::time::Duration;

use bucketforge_engine::llm::{
    build_provider, ChatMessage, ChatProvider, ChatRequest, ChatStream, FinishReason,
    ProviderConfig, ProviderKind, RetryPolicy, StreamEvent, Timeouts, Usage,
};
use bucketforge_engine::Error;
use bucketforge_scripted_llm::{Protocol, Reply, Script, ScriptedLlm};
use futures::StreamExt;
use std::sync::Arc;

pub const BOTH: [Protocol; 2] = [Protocol::OpenAi, Protocol::Anthropic];

pub const API_KEY: &str = "sk-test-0123456789abcdef";

pub fn kind_for(protocol: Protocol) -> ProviderKind {
    match protocol {
        Protocol::OpenAi => ProviderKind::OpenAi,
        Protocol::Anthropic => ProviderKind::Anthropic,
    }
}

/// The real provider of that protocol's preset, pointed at the scripted server.
pub fn config_for(server: &ScriptedLlm, protocol: Protocol) -> ProviderConfig {
    let base = match protocol {
        Protocol::OpenAi => server.openai_base_url(),
        Protocol::Anthropic => server.url(),
    };
    ProviderConfig::new(kind_for(protocol))
        .with_base_url(base)
        .with_api_key(API_KEY)
        .with_retry(RetryPolicy {
            max_attempts: 4,
            base_delay: BASE_DELAY,
            max_delay: BASE_DELAY * 4,
            max_retry_after: Duration::from_secs(5),
        })
        .with_timeouts(Timeouts {
            connect: Duration::from_secs(2),
            idle: Duration::from_secs(10),
            total: Duration::from_secs(60),
        })
}

/// The first backoff in tests; later ones double up to four times this.
pub const BASE_DELAY: Duration = Duration::from_millis(10);

/// The idle timeout for tests that stall on purpose.
pub const SHORT_IDLE: Duration = Duration::from_millis(300);

pub fn with_idle(config: ProviderConfig, idle: Duration) -> ProviderConfig {
    let timeouts = Timeouts {
        idle,
        ..config.timeouts.clone()
    };
    config.with_timeouts(timeouts)
}

pub fn with_total(config: ProviderConfig, total: Duration) -> ProviderConfig {
    let timeouts = Timeouts {
        total,
        ..config.timeouts.clone()
    };
    config.with_timeouts(timeouts)
}

/// The process's peak resident memory (VmHWM), as Linux reports it.
pub fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .map(|line| line["VmHWM:".len()..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

pub fn provider_for(server: &ScriptedLlm, protocol: Protocol) -> Arc<dyn ChatProvider> {
    build_provider(&config_for(server, protocol)).expect("the test config is valid")
}

/// A request following the prompt contract: the final user message starts with the task line.
pub fn request(task: &str) -> ChatRequest {
    ChatRequest {
        system: "You write one file of a project.".into(),
        messages: vec![ChatMessage::user(format!(
            "TASK: {task}\nWrite the file described in the plan."
        ))],
        model: "test-model".into(),
        max_tokens: 2048,
        temperature: None,
        json_mode: false,
        max_answer_bytes: None,
    }
}

/// Everything a stream delivered, up to its end or its first error.
#[derive(Debug, Default)]
pub struct Answer {
    pub text: String,
    pub deltas: usize,
    pub usage: Option<Usage>,
    pub finish: Option<FinishReason>,
    pub events: Vec<StreamEvent>,
    pub error: Option<Error>,
}

pub async fn read_all(mut stream: ChatStream) -> Answer {
    let mut answer = Answer::default();
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => {
                match &event {
                    StreamEvent::TextDelta(text) => {
                        answer.text.push_str(text);
                        answer.deltas += 1;
                    }
                    StreamEvent::Usage(usage) => answer.usage = Some(*usage),
                    StreamEvent::Finished(reason) => answer.finish = Some(reason.clone()),
                }
                answer.events.push(event);
            }
            Err(error) => {
                answer.error = Some(error);
                break;
            }
        }
    }
    answer
}

/// Sends the request and reads the whole answer.
pub async fn ask(provider: &dyn ChatProvider, request: &ChatRequest) -> Result<Answer, Error> {
    let stream = provider
        .stream_chat(request, tokio_util::sync::CancellationToken::new())
        .await?;
    Ok(read_all(stream).await)
}

/// A bare HTTP server answering every request with `200`, this content type and body: what a
/// wrong address (a web page, a different API) looks like.
pub async fn serve_fixed_answer(content_type: &'static str, body: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(reply.as_bytes()).await;
        }
    });
    origin
}

/// A server whose answer to `write a.py` trickles out at ten characters a second.
pub async fn trickling_server() -> ScriptedLlm {
    let slow = Reply::text("y".repeat(200))
        .chunk_chars(1)
        .tokens_per_second(10.0);
    ScriptedLlm::start(Script::new().reply("write a.py", slow))
        .await
        .unwrap()
}

/// Long enough to mean "hung" on a busy two-core machine; never the figure a test is about.
pub const HANG: Duration = Duration::from_secs(30);

/// Waits for the server to have seen `count` clients leave mid-answer. A disconnect is counted
/// only for an answer dropped before its end, so the bound needs no tighter than a hang.
pub async fn expect_disconnects(server: &ScriptedLlm, count: usize, context: impl std::fmt::Debug) {
    tokio::time::timeout(HANG, server.wait_for_disconnects(count))
        .await
        .unwrap_or_else(|_| panic!("{context:?}: the server never saw the client leave"));
}
