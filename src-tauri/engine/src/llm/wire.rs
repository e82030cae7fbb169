//! What both wire protocols decode to, and the bookkeeping that turns it into `StreamEvent`s.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ChatRequest, FinishReason, StreamEvent, Usage};

/// For providers without a JSON switch, JSON mode is asked for in words.
const JSON_INSTRUCTION: &str =
    "Answer with one JSON object and nothing else: no prose before or after it.";

/// How a provider is asked for an answer that is only JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JsonMode {
    /// `response_format: {"type": "json_object"}`.
    ResponseFormat,
    /// An instruction in the system prompt, for servers that refuse `json_object`.
    Instruction,
}

/// The system prompt, with the JSON instruction appended when it must be asked for in words.
pub(crate) fn system_prompt(req: &ChatRequest, ask_for_json: bool) -> String {
    let mut system = req.system.clone();
    if ask_for_json {
        if !system.is_empty() {
            system.push_str("\n\n");
        }
        system.push_str(JSON_INSTRUCTION);
    }
    system
}

/// The start of a chunk a server sent, short enough for a message.
pub(crate) fn excerpt(text: &str) -> String {
    const LIMIT: usize = 120;
    if text.chars().count() <= LIMIT {
        text.to_string()
    } else {
        let cut: String = text.chars().take(LIMIT).collect();
        format!("{cut}…")
    }
}

/// One thing a provider said in its stream, before usage is settled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WireEvent {
    Text(String),
    Finish(FinishReason),
    /// Token counts as far as this event knows them; later events may refine them.
    Usage {
        prompt: Option<u64>,
        completion: Option<u64>,
    },
    /// The provider's end-of-stream marker (`[DONE]`, `message_stop`).
    End,
}

/// How an error the provider reported inside its stream should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RemoteCause {
    RateLimited,
    Overloaded,
    Server,
    /// Retrying the same request would fail the same way.
    Refused,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WireError {
    /// A chunk that is not the JSON the protocol promises.
    Malformed(String),
    /// An error event sent in place of the answer.
    Remote(RemoteCause, RemoteError),
}

/// Turns SSE events of one protocol into `WireEvent`s.
pub(crate) trait Decoder: Send {
    fn decode(&mut self, event: &eventsource_stream::Event) -> Result<Vec<WireEvent>, WireError>;
}

/// The parts of an error body people need: OpenAI's `{"error": {...}}`, Anthropic's
/// `{"type": "error", "error": {...}}`, Ollama's `{"error": "..."}` and Gemini's
/// `[{"error": {...}}]` all fit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct RemoteError {
    /// `type` (Anthropic, OpenAI) of the error, such as `invalid_request_error`.
    pub kind: Option<String>,
    /// OpenAI's machine-readable `code`, such as `context_length_exceeded`.
    pub code: Option<String>,
    pub message: String,
}

impl RemoteError {
    pub fn from_body(body: &str) -> RemoteError {
        match serde_json::from_str::<Value>(body) {
            Ok(value) => RemoteError::from_json(&value).unwrap_or_else(|| RemoteError {
                message: first_line(body),
                ..RemoteError::default()
            }),
            Err(_) => RemoteError {
                message: first_line(body),
                ..RemoteError::default()
            },
        }
    }

    pub fn from_json(value: &Value) -> Option<RemoteError> {
        let value = match value {
            Value::Array(items) => items.first()?,
            other => other,
        };
        let error = value.get("error").filter(|e| !e.is_null())?;
        if let Some(message) = error.as_str() {
            return Some(RemoteError {
                message: message.to_string(),
                ..RemoteError::default()
            });
        }
        let text = |key: &str| {
            error.get(key).and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        Some(RemoteError {
            kind: text("type"),
            code: text("code"),
            message: text("message").unwrap_or_default(),
        })
    }

    /// Everything a person might search for: the message, then type and code.
    pub fn describe(&self) -> String {
        let mut out = self.message.trim().to_string();
        for tag in [&self.kind, &self.code].into_iter().flatten() {
            if !out.contains(tag.as_str()) {
                if out.is_empty() {
                    out = tag.clone();
                } else {
                    out = format!("{out} [{tag}]");
                }
            }
        }
        if out.is_empty() {
            "no details given".to_string()
        } else {
            out
        }
    }

    pub fn is_context_length(&self) -> bool {
        if self.code.as_deref() == Some("context_length_exceeded") {
            return true;
        }
        let message = self.message.to_ascii_lowercase();
        [
            "context length",
            "context_length",
            "context window",
            "context size",
            "maximum context",
            "prompt is too long",
            "too many tokens",
        ]
        .iter()
        .any(|phrase| message.contains(phrase))
    }

    pub fn is_unknown_model(&self, status: u16) -> bool {
        if self.code.as_deref() == Some("model_not_found") {
            return true;
        }
        let message = self.message.to_ascii_lowercase();
        if !message.contains("model") {
            return false;
        }
        status == 404
            || [
                "not found",
                "does not exist",
                "not a valid model",
                "invalid model",
                "unknown model",
                "not supported",
            ]
            .iter()
            .any(|phrase| message.contains(phrase))
    }
}

fn first_line(body: &str) -> String {
    let line = body.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.trim().chars().take(300).collect()
}

/// Counts what the stream delivered so the closing `Usage` is right even when the provider
/// sends no numbers.
#[derive(Debug)]
pub(crate) struct Tally {
    prompt_chars: usize,
    text_chars: usize,
    prompt: Option<u64>,
    completion: Option<u64>,
    finish: Option<FinishReason>,
}

/// What a `WireEvent` means for the caller.
#[derive(Debug, PartialEq)]
pub(crate) enum Observed {
    Text(String),
    Nothing,
    End,
}

impl Tally {
    pub fn new(req: &ChatRequest) -> Tally {
        Tally {
            prompt_chars: req.system.chars().count()
                + req
                    .messages
                    .iter()
                    .map(|m| m.content.chars().count())
                    .sum::<usize>(),
            text_chars: 0,
            prompt: None,
            completion: None,
            finish: None,
        }
    }

    pub fn observe(&mut self, event: WireEvent) -> Observed {
        match event {
            WireEvent::Text(text) if text.is_empty() => Observed::Nothing,
            WireEvent::Text(text) => {
                self.text_chars += text.chars().count();
                Observed::Text(text)
            }
            WireEvent::Finish(reason) => {
                self.finish = Some(reason);
                Observed::Nothing
            }
            WireEvent::Usage { prompt, completion } => {
                self.prompt = prompt.or(self.prompt);
                self.completion = completion.or(self.completion);
                Observed::Nothing
            }
            WireEvent::End => Observed::End,
        }
    }

    pub fn text_chars(&self) -> usize {
        self.text_chars
    }

    pub fn saw_finish(&self) -> bool {
        self.finish.is_some()
    }

    /// The `Usage` and `Finished` every complete stream ends with.
    pub fn closing_events(&self) -> [StreamEvent; 2] {
        let usage = match (self.prompt, self.completion) {
            (Some(prompt_tokens), Some(completion_tokens)) => Usage {
                prompt_tokens,
                completion_tokens,
                estimated: false,
            },
            (prompt, completion) => Usage {
                prompt_tokens: prompt.unwrap_or_else(|| estimate_tokens(self.prompt_chars)),
                completion_tokens: completion.unwrap_or_else(|| estimate_tokens(self.text_chars)),
                estimated: true,
            },
        };
        // A stream that ends properly without naming a reason finished normally.
        let finish = self.finish.clone().unwrap_or(FinishReason::Stop);
        [StreamEvent::Usage(usage), StreamEvent::Finished(finish)]
    }
}

/// About four characters a token for English text and code, the usual rule of thumb.
pub(crate) fn estimate_tokens(chars: usize) -> u64 {
    (chars as u64).div_ceil(4)
}

/// Runs raw SSE bytes, cut into pieces of `piece_len` bytes (even inside a UTF-8 character),
/// through the real SSE parser and a decoder.
#[cfg(test)]
pub(crate) async fn decode_in_pieces(
    decoder: &mut dyn Decoder,
    raw: &str,
    piece_len: usize,
) -> Result<Vec<WireEvent>, WireError> {
    use eventsource_stream::Eventsource;
    use futures_util::StreamExt;

    let pieces: Vec<Result<Vec<u8>, std::convert::Infallible>> = raw
        .as_bytes()
        .chunks(piece_len.max(1))
        .map(|piece| Ok(piece.to_vec()))
        .collect();
    let mut events = futures_util::stream::iter(pieces).eventsource();
    let mut out = Vec::new();
    while let Some(event) = events.next().await {
        let event = event.map_err(|e| WireError::Malformed(e.to_string()))?;
        out.extend(decoder.decode(&event)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::ChatMessage;

    fn request() -> ChatRequest {
        ChatRequest {
            system: "12345678".into(),
            messages: vec![ChatMessage::user("abcd")],
            model: "m".into(),
            max_tokens: 100,
            temperature: None,
            json_mode: false,
            max_answer_bytes: None,
        }
    }

    #[test]
    fn usage_sent_by_the_provider_is_passed_on_unchanged() {
        let mut tally = Tally::new(&request());
        tally.observe(WireEvent::Usage {
            prompt: Some(11),
            completion: None,
        });
        tally.observe(WireEvent::Usage {
            prompt: None,
            completion: Some(7),
        });
        assert_eq!(
            tally.closing_events()[0],
            StreamEvent::Usage(Usage {
                prompt_tokens: 11,
                completion_tokens: 7,
                estimated: false
            })
        );
    }

    #[test]
    fn missing_usage_is_estimated_from_text_length_and_flagged() {
        let mut tally = Tally::new(&request());
        tally.observe(WireEvent::Text("abcdefgh".into()));
        tally.observe(WireEvent::Text("i".into()));
        assert_eq!(
            tally.closing_events()[0],
            StreamEvent::Usage(Usage {
                prompt_tokens: 3,
                completion_tokens: 3,
                estimated: true
            })
        );
    }

    #[test]
    fn a_stream_that_ends_without_a_reason_counts_as_stopped() {
        let tally = Tally::new(&request());
        assert_eq!(
            tally.closing_events()[1],
            StreamEvent::Finished(FinishReason::Stop)
        );
    }

    #[test]
    fn error_bodies_of_every_known_shape_are_read() {
        let openai = RemoteError::from_body(
            r#"{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
        );
        assert!(openai.is_unknown_model(404));
        assert_eq!(openai.code.as_deref(), Some("model_not_found"));

        let anthropic = RemoteError::from_body(
            r#"{"type":"error","error":{"type":"not_found_error","message":"model: claude-9"}}"#,
        );
        assert!(anthropic.is_unknown_model(404));
        assert_eq!(anthropic.kind.as_deref(), Some("not_found_error"));

        let ollama = RemoteError::from_body(
            r#"{"error":"model \"llama9\" not found, try pulling it first"}"#,
        );
        assert!(ollama.is_unknown_model(404));

        let gemini = RemoteError::from_body(
            r#"[{"error":{"code":404,"message":"models/gemini-9 is not found for API version v1main, or is not supported for generateContent.","status":"NOT_FOUND"}}]"#,
        );
        assert!(gemini.is_unknown_model(404));

        let html = RemoteError::from_body("<html>\n<h1>502 Bad Gateway</h1></html>");
        assert_eq!(html.message, "<html>");
    }

    #[test]
    fn a_null_error_field_is_not_an_error() {
        let chunk = serde_json::json!({"choices": [], "error": null});
        assert_eq!(RemoteError::from_json(&chunk), None);
    }

    #[test]
    fn context_length_errors_are_recognised_in_both_wordings() {
        let openai = RemoteError::from_body(
            r#"{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#,
        );
        assert!(openai.is_context_length());
        let anthropic = RemoteError::from_body(
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}"#,
        );
        assert!(anthropic.is_context_length());
        let other = RemoteError::from_body(
            r#"{"error":{"message":"temperature must be at most 2","type":"invalid_request_error"}}"#,
        );
        assert!(!other.is_context_length());
        assert!(!other.is_unknown_model(400));
    }

    #[test]
    fn a_bad_url_is_not_mistaken_for_an_unknown_model() {
        let not_found = RemoteError::from_body("404 page not found");
        assert!(!not_found.is_unknown_model(404));
    }
}
