//! The Anthropic Messages wire format: request body and the streamed event sequence.

use serde_json::{json, Map, Value};

use super::wire::{
    excerpt, system_prompt, Decoder, RemoteCause, RemoteError, WireError, WireEvent,
};
use super::{ChatRequest, FinishReason};

/// The API version every request names; the event shapes below are those of this version.
pub(crate) const API_VERSION: &str = "2023-06-01";

pub(crate) fn request_body(req: &ChatRequest) -> Value {
    // Anthropic has no JSON switch.
    let system = system_prompt(req, req.json_mode);
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| json!({ "role": m.role.as_str(), "content": m.content }))
        .collect();
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("max_tokens".into(), json!(req.max_tokens));
    if !system.is_empty() {
        body.insert("system".into(), json!(system));
    }
    body.insert("messages".into(), Value::Array(messages));
    body.insert("stream".into(), json!(true));
    if let Some(temperature) = req.temperature {
        body.insert("temperature".into(), json!(temperature));
    }
    Value::Object(body)
}

pub(crate) fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "end_turn" | "stop_sequence" => FinishReason::Stop,
        "max_tokens" => FinishReason::Length,
        other => FinishReason::Other(other.to_string()),
    }
}

#[derive(Debug, Default)]
pub(crate) struct AnthropicDecoder;

impl Decoder for AnthropicDecoder {
    fn decode(&mut self, event: &eventsource_stream::Event) -> Result<Vec<WireEvent>, WireError> {
        let malformed = |what: &str| {
            WireError::Malformed(format!(
                "{what} in `{}` event {}",
                event.event,
                excerpt(&event.data)
            ))
        };
        let value: Value =
            serde_json::from_str(&event.data).map_err(|e| malformed(&format!("{e}")))?;
        // The JSON `type` is authoritative; the SSE event name only fills in when it is missing.
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or(event.event.as_str());
        let mut out = Vec::new();
        match kind {
            "message_start" => {
                let usage = value
                    .pointer("/message/usage")
                    .ok_or_else(|| malformed("no message.usage"))?;
                out.push(usage_event(usage));
            }
            "content_block_start" => {
                if let Some(text) = value.pointer("/content_block/text").and_then(Value::as_str) {
                    out.push(WireEvent::Text(text.to_string()));
                }
            }
            "content_block_delta" => {
                let delta = value.get("delta").ok_or_else(|| malformed("no delta"))?;
                // Thinking and tool-input deltas are not part of the answer's text.
                if delta.get("type").and_then(Value::as_str) == Some("text_delta") {
                    let text = delta
                        .get("text")
                        .and_then(Value::as_str)
                        .ok_or_else(|| malformed("a text_delta without text"))?;
                    out.push(WireEvent::Text(text.to_string()));
                }
            }
            "message_delta" => {
                if let Some(reason) = value.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    out.push(WireEvent::Finish(finish_reason(reason)));
                }
                if let Some(usage) = value.get("usage") {
                    out.push(usage_event(usage));
                }
            }
            "message_stop" => out.push(WireEvent::End),
            "error" => {
                let remote = RemoteError::from_json(&value).unwrap_or_default();
                let cause = match remote.kind.as_deref() {
                    Some("rate_limit_error") => RemoteCause::RateLimited,
                    Some("overloaded_error") => RemoteCause::Overloaded,
                    Some("api_error") | Some("timeout_error") => RemoteCause::Server,
                    _ => RemoteCause::Refused,
                };
                return Err(WireError::Remote(cause, remote));
            }
            // `ping`, `content_block_stop`, and event types added in later API versions.
            _ => {}
        }
        Ok(out)
    }
}

/// Anthropic counts cached prompt tokens apart from `input_tokens`; all of them were sent.
fn usage_event(usage: &Value) -> WireEvent {
    let count = |key: &str| usage.get(key).and_then(Value::as_u64);
    let prompt = [
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    ]
    .iter()
    .filter_map(|key| count(key))
    .reduce(|a, b| a + b);
    WireEvent::Usage {
        prompt,
        completion: count("output_tokens"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::wire::decode_in_pieces;
    use crate::llm::ChatMessage;

    const CAPTURED: &str = concat!(
        "event: message_start\n",
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5-20250929\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\n",
        "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: ping\n",
        "data: {\"type\": \"ping\"}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"import os  # café ✓\"}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\\n\"}}\n\n",
        "event: content_block_stop\n",
        "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: message_delta\n",
        "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n",
        "event: message_stop\n",
        "data: {\"type\":\"message_stop\"}\n\n",
    );

    fn expected() -> Vec<WireEvent> {
        vec![
            WireEvent::Usage {
                prompt: Some(25),
                completion: Some(1),
            },
            WireEvent::Text("".into()),
            WireEvent::Text("import os  # café ✓".into()),
            WireEvent::Text("\n".into()),
            WireEvent::Finish(FinishReason::Length),
            WireEvent::Usage {
                prompt: None,
                completion: Some(15),
            },
            WireEvent::End,
        ]
    }

    #[tokio::test]
    async fn a_captured_stream_decodes_to_usage_text_finish_and_end() {
        let events = decode_in_pieces(&mut AnthropicDecoder, CAPTURED, usize::MAX)
            .await
            .unwrap();
        assert_eq!(events, expected());
    }

    #[tokio::test]
    async fn chunks_split_anywhere_in_the_byte_stream_decode_the_same() {
        for size in [1, 5, 100] {
            let events = decode_in_pieces(&mut AnthropicDecoder, CAPTURED, size)
                .await
                .unwrap();
            assert_eq!(events, expected(), "split every {size} bytes");
        }
    }

    #[tokio::test]
    async fn thinking_deltas_are_not_part_of_the_answer() {
        let raw = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}\n\n";
        let events = decode_in_pieces(&mut AnthropicDecoder, raw, usize::MAX)
            .await
            .unwrap();
        assert!(events.is_empty(), "{events:?}");
    }

    #[tokio::test]
    async fn an_overloaded_error_event_is_reported_as_overloaded() {
        let raw = "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n";
        let err = decode_in_pieces(&mut AnthropicDecoder, raw, usize::MAX)
            .await
            .unwrap_err();
        match err {
            WireError::Remote(cause, remote) => {
                assert_eq!(cause, RemoteCause::Overloaded);
                assert_eq!(remote.message, "Overloaded");
            }
            other => panic!("expected a remote error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_broken_chunk_is_reported_as_malformed() {
        let raw = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_del\n\n";
        let err = decode_in_pieces(&mut AnthropicDecoder, raw, usize::MAX)
            .await
            .unwrap_err();
        assert!(matches!(err, WireError::Malformed(_)), "{err:?}");
    }

    #[test]
    fn json_mode_is_asked_for_in_the_system_prompt() {
        let req = ChatRequest {
            system: "You plan projects.".into(),
            messages: vec![ChatMessage::user("TASK: plan")],
            model: "claude-haiku-4-5".into(),
            max_tokens: 1000,
            temperature: None,
            json_mode: true,
            max_answer_bytes: None,
        };
        let body = request_body(&req);
        let system = body["system"].as_str().unwrap();
        assert!(system.starts_with("You plan projects."));
        assert!(system.contains("JSON object"));
        assert_eq!(body["max_tokens"], json!(1000));
        assert!(body.get("temperature").is_none());
        assert_eq!(body["messages"][0]["role"], json!("user"));
    }

    #[test]
    fn stop_reasons_map_to_stop_length_or_other() {
        assert_eq!(finish_reason("end_turn"), FinishReason::Stop);
        assert_eq!(finish_reason("max_tokens"), FinishReason::Length);
        assert_eq!(
            finish_reason("refusal"),
            FinishReason::Other("refusal".into())
        );
    }
}
