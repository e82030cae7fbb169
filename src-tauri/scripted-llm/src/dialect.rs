//! How each wire protocol spells requests, answers, stream events and errors.

use serde::Serialize;
use serde_json::{json, Value};

use crate::script::StreamError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// OpenAI Chat Completions.
    OpenAi,
    /// Anthropic Messages.
    Anthropic,
}

/// The parts of a chat request both protocols share.
pub(crate) struct ParsedRequest {
    pub model: String,
    pub system: String,
    pub messages: Vec<(String, String)>,
    pub stream: bool,
    pub include_usage: bool,
    pub max_tokens: Option<u64>,
    pub temperature: Option<f64>,
    pub json_mode: bool,
}

/// Message content is a string or a list of parts; only text parts matter here.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

impl Protocol {
    pub(crate) fn parse_request(self, body: &Value) -> Result<ParsedRequest, String> {
        let model = body
            .get("model")
            .and_then(Value::as_str)
            .ok_or("`model` is required")?
            .to_string();
        let raw_messages = body
            .get("messages")
            .and_then(Value::as_array)
            .ok_or("`messages` must be an array")?;
        let mut system = match self {
            Protocol::Anthropic => body.get("system").map(content_text).unwrap_or_default(),
            Protocol::OpenAi => String::new(),
        };
        let mut messages = Vec::new();
        for message in raw_messages {
            let role = message
                .get("role")
                .and_then(Value::as_str)
                .ok_or("every message needs a `role`")?;
            let text = message.get("content").map(content_text).unwrap_or_default();
            if matches!(role, "system" | "developer") && self == Protocol::OpenAi {
                if !system.is_empty() {
                    system.push('\n');
                }
                system.push_str(&text);
            } else {
                messages.push((role.to_string(), text));
            }
        }
        let max_tokens = ["max_tokens", "max_completion_tokens"]
            .iter()
            .find_map(|key| body.get(*key).and_then(Value::as_u64));
        if self == Protocol::Anthropic && max_tokens.is_none() {
            return Err("max_tokens: Field required".into());
        }
        Ok(ParsedRequest {
            model,
            system,
            messages,
            stream: body.get("stream").and_then(Value::as_bool).unwrap_or(false),
            include_usage: body
                .pointer("/stream_options/include_usage")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            max_tokens,
            temperature: body.get("temperature").and_then(Value::as_f64),
            json_mode: body
                .pointer("/response_format/type")
                .and_then(Value::as_str)
                == Some("json_object"),
        })
    }

    /// The body of an HTTP error, as the provider would send it.
    pub(crate) fn error_body(self, status: u16, message: &str, code: Option<&str>) -> Value {
        match self {
            Protocol::OpenAi => {
                let kind = match status {
                    401 => "invalid_request_error",
                    429 => "requests",
                    500..=599 => "server_error",
                    _ => "invalid_request_error",
                };
                json!({ "error": { "message": message, "type": kind, "param": null, "code": code } })
            }
            Protocol::Anthropic => {
                let kind = match status {
                    400 => "invalid_request_error",
                    401 => "authentication_error",
                    403 => "permission_error",
                    404 => "not_found_error",
                    413 => "request_too_large",
                    429 => "rate_limit_error",
                    529 => "overloaded_error",
                    _ => "api_error",
                };
                json!({ "type": "error", "error": { "type": kind, "message": message } })
            }
        }
    }

    pub(crate) fn unknown_model(self, model: &str) -> (u16, Value) {
        match self {
            Protocol::OpenAi => (
                404,
                self.error_body(
                    404,
                    &format!("The model `{model}` does not exist or you do not have access to it."),
                    Some("model_not_found"),
                ),
            ),
            Protocol::Anthropic => (404, self.error_body(404, &format!("model: {model}"), None)),
        }
    }

    pub(crate) fn context_length(self) -> (u16, Value) {
        match self {
            Protocol::OpenAi => (
                400,
                self.error_body(
                    400,
                    "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
                    Some("context_length_exceeded"),
                ),
            ),
            Protocol::Anthropic => (
                400,
                self.error_body(400, "prompt is too long: 210000 tokens > 200000 maximum", None),
            ),
        }
    }

    pub(crate) fn key_rejected(self) -> (u16, Value) {
        match self {
            Protocol::OpenAi => (
                401,
                self.error_body(
                    401,
                    "Incorrect API key provided. You can find your API key at your provider's dashboard.",
                    Some("invalid_api_key"),
                ),
            ),
            Protocol::Anthropic => (401, self.error_body(401, "invalid x-api-key", None)),
        }
    }

    pub(crate) fn finish_reason(self, finish: &str) -> String {
        match (self, finish) {
            (Protocol::Anthropic, "stop") => "end_turn".into(),
            (Protocol::Anthropic, "length") => "max_tokens".into(),
            (_, other) => other.into(),
        }
    }

    /// The frames before the first text chunk.
    pub(crate) fn preamble(self, model: &str, prompt_tokens: Option<u64>) -> Vec<String> {
        match self {
            Protocol::OpenAi => vec![openai_chunk(
                model,
                json!({ "role": "assistant", "content": "" }),
                Value::Null,
            )],
            Protocol::Anthropic => {
                let mut message = json!({
                    "id": "msg_scripted", "type": "message", "role": "assistant", "content": [],
                    "model": model, "stop_reason": null, "stop_sequence": null
                });
                if let Some(prompt) = prompt_tokens {
                    message["usage"] = json!({ "input_tokens": prompt, "output_tokens": 1 });
                } else {
                    message["usage"] = json!({});
                }
                vec![
                    anthropic_frame(
                        "message_start",
                        json!({ "type": "message_start", "message": message }),
                    ),
                    anthropic_frame(
                        "content_block_start",
                        json!({ "type": "content_block_start", "index": 0, "content_block": { "type": "text", "text": "" } }),
                    ),
                    anthropic_frame("ping", json!({ "type": "ping" })),
                ]
            }
        }
    }

    pub(crate) fn text_frame(self, model: &str, text: &str) -> String {
        match self {
            Protocol::OpenAi => openai_chunk(model, json!({ "content": text }), Value::Null),
            Protocol::Anthropic => anthropic_frame(
                "content_block_delta",
                json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": text } }),
            ),
        }
    }

    /// Cut off in the middle of a JSON string: the kind of chunk a buggy proxy produces.
    pub(crate) fn malformed_frame(self) -> String {
        match self {
            Protocol::OpenAi => {
                "data: {\"id\":\"chatcmpl-scripted\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"unfinis\n\n".into()
            }
            Protocol::Anthropic => {
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"unfinis\n\n".into()
            }
        }
    }

    pub(crate) fn error_frame(self, error: StreamError) -> String {
        let (anthropic_type, openai_code, message) = match error {
            StreamError::RateLimit => (
                "rate_limit_error",
                "rate_limit_exceeded",
                "Rate limit exceeded",
            ),
            StreamError::Overloaded => ("overloaded_error", "overloaded", "Overloaded"),
            StreamError::Server => ("api_error", "server_error", "Internal server error"),
        };
        match self {
            Protocol::OpenAi => format!(
                "data: {}\n\n",
                json!({ "error": { "message": message, "type": openai_code, "code": openai_code } })
            ),
            Protocol::Anthropic => anthropic_frame(
                "error",
                json!({ "type": "error", "error": { "type": anthropic_type, "message": message } }),
            ),
        }
    }

    /// The frames after the last text chunk.
    pub(crate) fn closing(
        self,
        model: &str,
        finish: &str,
        usage: Option<(u64, u64)>,
        include_usage: bool,
    ) -> Vec<String> {
        let reason = self.finish_reason(finish);
        match self {
            Protocol::OpenAi => {
                let mut frames = vec![openai_chunk(model, json!({}), json!(reason))];
                if let (Some((prompt, completion)), true) = (usage, include_usage) {
                    frames.push(format!(
                        "data: {}\n\n",
                        json!({
                            "id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 0,
                            "model": model, "choices": [],
                            "usage": { "prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion }
                        })
                    ));
                }
                frames.push("data: [DONE]\n\n".into());
                frames
            }
            Protocol::Anthropic => {
                let mut delta = json!({
                    "type": "message_delta",
                    "delta": { "stop_reason": reason, "stop_sequence": null }
                });
                if let Some((_, completion)) = usage {
                    delta["usage"] = json!({ "output_tokens": completion });
                }
                vec![
                    anthropic_frame(
                        "content_block_stop",
                        json!({ "type": "content_block_stop", "index": 0 }),
                    ),
                    anthropic_frame("message_delta", delta),
                    anthropic_frame("message_stop", json!({ "type": "message_stop" })),
                ]
            }
        }
    }

    /// A whole answer for `stream: false`.
    pub(crate) fn complete_body(
        self,
        model: &str,
        text: &str,
        finish: &str,
        usage: Option<(u64, u64)>,
    ) -> Value {
        let reason = self.finish_reason(finish);
        match self {
            Protocol::OpenAi => {
                let mut body = json!({
                    "id": "chatcmpl-scripted", "object": "chat.completion", "created": 0, "model": model,
                    "choices": [{ "index": 0, "message": { "role": "assistant", "content": text }, "finish_reason": reason }]
                });
                if let Some((prompt, completion)) = usage {
                    body["usage"] = json!({ "prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion });
                }
                body
            }
            Protocol::Anthropic => {
                let mut body = json!({
                    "id": "msg_scripted", "type": "message", "role": "assistant", "model": model,
                    "content": [{ "type": "text", "text": text }],
                    "stop_reason": reason, "stop_sequence": null
                });
                if let Some((prompt, completion)) = usage {
                    body["usage"] = json!({ "input_tokens": prompt, "output_tokens": completion });
                }
                body
            }
        }
    }

    pub(crate) fn model_list(self, models: &[String]) -> Value {
        match self {
            Protocol::OpenAi => json!({
                "object": "list",
                "data": models.iter().map(|id| json!({ "id": id, "object": "model", "created": 0, "owned_by": "scripted-llm" })).collect::<Vec<_>>()
            }),
            Protocol::Anthropic => json!({
                "data": models.iter().map(|id| json!({ "type": "model", "id": id, "display_name": id, "created_at": "2025-01-01T00:00:00Z" })).collect::<Vec<_>>(),
                "has_more": false,
                "first_id": models.first(),
                "last_id": models.last()
            }),
        }
    }
}

fn openai_chunk(model: &str, delta: Value, finish_reason: Value) -> String {
    format!(
        "data: {}\n\n",
        json!({
            "id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 0, "model": model,
            "choices": [{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason }]
        })
    )
}

fn anthropic_frame(event: &str, data: Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

/// Ollama's `/api/tags`.
pub(crate) fn ollama_tags(models: &[String]) -> Value {
    json!({
        "models": models.iter().map(|name| json!({
            "name": name, "model": name, "modified_at": "2025-01-01T00:00:00Z", "size": 0,
            "digest": "", "details": { "format": "gguf" }
        })).collect::<Vec<_>>()
    })
}
