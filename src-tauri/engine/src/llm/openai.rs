//! The OpenAI Chat Completions wire format, which most providers and local model servers speak.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::wire::{
    excerpt, system_prompt, Decoder, JsonMode, RemoteCause, RemoteError, WireError, WireEvent,
};
use super::{ChatRequest, FinishReason};

/// The request body for a streamed chat completion, in the preset's spelling.
pub(crate) fn request_body(
    req: &ChatRequest,
    max_tokens_field: &str,
    json_mode: JsonMode,
) -> Value {
    let ask_in_words = req.json_mode && json_mode == JsonMode::Instruction;
    let system = system_prompt(req, ask_in_words);
    let mut messages = Vec::with_capacity(req.messages.len() + 1);
    if !system.is_empty() {
        messages.push(json!({ "role": "system", "content": system }));
    }
    messages.extend(
        req.messages
            .iter()
            .map(|m| json!({ "role": m.role.as_str(), "content": m.content })),
    );
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("messages".into(), Value::Array(messages));
    body.insert("stream".into(), json!(true));
    body.insert("stream_options".into(), json!({ "include_usage": true }));
    body.insert(max_tokens_field.into(), json!(req.max_tokens));
    if let Some(temperature) = req.temperature {
        body.insert("temperature".into(), json!(temperature));
    }
    if req.json_mode && json_mode == JsonMode::ResponseFormat {
        body.insert("response_format".into(), json!({ "type": "json_object" }));
    }
    Value::Object(body)
}

pub(crate) fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "stop" | "eos" | "end_turn" => FinishReason::Stop,
        "length" | "max_tokens" => FinishReason::Length,
        other => FinishReason::Other(other.to_string()),
    }
}

#[derive(Debug, Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<ChunkUsage>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    index: u32,
    delta: Option<Delta>,
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Delta {
    content: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChunkUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

#[derive(Debug, Default)]
pub(crate) struct OpenAiDecoder;

impl Decoder for OpenAiDecoder {
    fn decode(&mut self, event: &eventsource_stream::Event) -> Result<Vec<WireEvent>, WireError> {
        let data = event.data.trim();
        if data == "[DONE]" {
            return Ok(vec![WireEvent::End]);
        }
        let value: Value = serde_json::from_str(data)
            .map_err(|e| WireError::Malformed(format!("{e} in chunk {}", excerpt(data))))?;
        // OpenRouter and others report failures mid-stream as a chunk holding only `error`.
        if let Some(remote) = RemoteError::from_json(&value) {
            return Err(WireError::Remote(cause_of(&remote), remote));
        }
        let chunk: Chunk = serde_json::from_value(value)
            .map_err(|e| WireError::Malformed(format!("{e} in chunk {}", excerpt(data))))?;
        let mut out = Vec::new();
        // Only one choice is ever requested; others would be another answer entirely.
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            if let Some(text) = choice.delta.and_then(|d| d.content) {
                out.push(WireEvent::Text(text));
            }
            if let Some(reason) = choice.finish_reason {
                out.push(WireEvent::Finish(finish_reason(&reason)));
            }
        }
        if let Some(usage) = chunk.usage {
            out.push(WireEvent::Usage {
                prompt: usage.prompt_tokens,
                completion: usage.completion_tokens,
            });
        }
        Ok(out)
    }
}

fn cause_of(remote: &RemoteError) -> RemoteCause {
    let tags = format!(
        "{} {}",
        remote.kind.as_deref().unwrap_or(""),
        remote.code.as_deref().unwrap_or("")
    )
    .to_ascii_lowercase();
    if tags.contains("rate_limit") || tags.contains("429") {
        RemoteCause::RateLimited
    } else if tags.contains("overloaded") || tags.contains("529") {
        RemoteCause::Overloaded
    } else if tags.contains("server_error") || tags.contains("500") || tags.contains("502") {
        RemoteCause::Server
    } else {
        RemoteCause::Refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::wire::decode_in_pieces;
    use crate::llm::ChatMessage;

    // The shape OpenAI sends with `stream_options.include_usage`: every chunk carries
    // `usage: null` until a last one with empty `choices`.
    const CAPTURED: &str = concat!(
        "data: {\"id\":\"chatcmpl-B9\",\"object\":\"chat.completion.chunk\",\"created\":1741570283,\"model\":\"gpt-4o-mini-2024-07-18\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_06737a9306\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-B9\",\"object\":\"chat.completion.chunk\",\"created\":1741570283,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"print(\\\"héllo ✓\\\")\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-B9\",\"object\":\"chat.completion.chunk\",\"created\":1741570283,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\n\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-B9\",\"object\":\"chat.completion.chunk\",\"created\":1741570283,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-B9\",\"object\":\"chat.completion.chunk\",\"created\":1741570283,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[],\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":10,\"total_tokens\":29,\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n\n",
        "data: [DONE]\n\n",
    );

    fn expected() -> Vec<WireEvent> {
        vec![
            WireEvent::Text("".into()),
            WireEvent::Text("print(\"héllo ✓\")".into()),
            WireEvent::Text("\n".into()),
            WireEvent::Finish(FinishReason::Stop),
            WireEvent::Usage {
                prompt: Some(19),
                completion: Some(10),
            },
            WireEvent::End,
        ]
    }

    #[tokio::test]
    async fn a_captured_stream_decodes_to_text_finish_usage_and_end() {
        let events = decode_in_pieces(&mut OpenAiDecoder, CAPTURED, usize::MAX)
            .await
            .unwrap();
        assert_eq!(events, expected());
    }

    #[tokio::test]
    async fn chunks_split_anywhere_in_the_byte_stream_decode_the_same() {
        for size in [1, 7, 64, 333] {
            let events = decode_in_pieces(&mut OpenAiDecoder, CAPTURED, size)
                .await
                .unwrap();
            assert_eq!(events, expected(), "split every {size} bytes");
        }
    }

    #[tokio::test]
    async fn comments_and_crlf_line_endings_are_tolerated() {
        let raw = ": OPENROUTER PROCESSING\r\n\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":\"length\"}]}\r\n\r\ndata: [DONE]\r\n\r\n";
        let events = decode_in_pieces(&mut OpenAiDecoder, raw, usize::MAX)
            .await
            .unwrap();
        assert_eq!(
            events,
            vec![
                WireEvent::Text("a".into()),
                WireEvent::Finish(FinishReason::Length),
                WireEvent::End
            ]
        );
    }

    #[tokio::test]
    async fn a_broken_chunk_is_reported_as_malformed() {
        let raw = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\":[{\"delta\n\n";
        let err = decode_in_pieces(&mut OpenAiDecoder, raw, usize::MAX)
            .await
            .unwrap_err();
        assert!(matches!(err, WireError::Malformed(_)), "{err:?}");
    }

    #[tokio::test]
    async fn an_error_chunk_is_reported_with_its_cause() {
        let raw = "data: {\"error\":{\"message\":\"Rate limit exceeded: free-models-per-min\",\"code\":429}}\n\n";
        let err = decode_in_pieces(&mut OpenAiDecoder, raw, usize::MAX)
            .await
            .unwrap_err();
        match err {
            WireError::Remote(cause, remote) => {
                assert_eq!(cause, RemoteCause::RateLimited);
                assert_eq!(remote.message, "Rate limit exceeded: free-models-per-min");
            }
            other => panic!("expected a remote error, got {other:?}"),
        }
    }

    #[test]
    fn the_request_asks_for_usage_in_the_stream_and_puts_the_system_prompt_first() {
        let req = ChatRequest {
            system: "be brief".into(),
            messages: vec![ChatMessage::user("TASK: plan")],
            model: "gpt-4o-mini".into(),
            max_tokens: 512,
            temperature: Some(0.25),
            json_mode: true,
            max_answer_bytes: None,
        };
        let body = request_body(&req, "max_completion_tokens", JsonMode::ResponseFormat);
        assert_eq!(body["stream"], json!(true));
        assert_eq!(body["stream_options"]["include_usage"], json!(true));
        assert_eq!(body["max_completion_tokens"], json!(512));
        assert!(body.get("max_tokens").is_none());
        assert_eq!(body["temperature"], json!(0.25));
        assert_eq!(body["response_format"]["type"], json!("json_object"));
        assert_eq!(body["messages"][0]["role"], json!("system"));
        assert_eq!(body["messages"][1]["content"], json!("TASK: plan"));
    }

    #[test]
    fn a_server_without_json_object_support_is_asked_for_json_in_words() {
        let req = ChatRequest {
            system: String::new(),
            messages: vec![ChatMessage::user("TASK: plan")],
            model: "local".into(),
            max_tokens: 10,
            temperature: None,
            json_mode: true,
            max_answer_bytes: None,
        };
        let body = request_body(&req, "max_tokens", JsonMode::Instruction);
        assert!(body.get("response_format").is_none());
        assert_eq!(body["messages"][0]["role"], json!("system"));
        assert!(body["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("JSON object"));
    }

    #[test]
    fn finish_reasons_map_to_stop_length_or_other() {
        assert_eq!(finish_reason("stop"), FinishReason::Stop);
        assert_eq!(finish_reason("length"), FinishReason::Length);
        assert_eq!(
            finish_reason("content_filter"),
            FinishReason::Other("content_filter".into())
        );
    }
}
