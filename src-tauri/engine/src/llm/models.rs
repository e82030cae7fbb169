//! Which models a provider offers, and whether a local Ollama is running.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::{read_capped, refusal_error, transport_detail, MAX_ERROR_BODY_BYTES};
use super::provider::{ProviderConfig, ProviderKind, WireProtocol, OLLAMA_DEFAULT_ORIGIN};
use super::wire::RemoteError;
use crate::spoken::spoken_bytes;
use crate::{Error, Result};

/// The largest model list read; OpenRouter's, among the longest, is a few hundred KB.
const MAX_MODEL_LIST_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ModelInfo {
    /// What goes into `ChatRequest::model`.
    pub id: String,
    /// A friendlier name, when the provider gives one.
    pub display_name: Option<String>,
}

/// The models the provider offers to this key, sorted by id.
///
/// `GET {base}/models` for OpenAI-compatible servers, `/api/tags` for Ollama (which lists
/// what is pulled) and `/v1/models` for Anthropic.
pub async fn list_models(config: &ProviderConfig) -> Result<Vec<ModelInfo>> {
    let connection = config.connection()?;
    let url = match (config.kind, config.kind.preset().protocol) {
        (ProviderKind::Ollama, _) => format!("{}/api/tags", origin_of(&connection.base_url)),
        (_, WireProtocol::AnthropicMessages) => {
            format!("{}/v1/models?limit=1000", connection.base_url)
        }
        (_, WireProtocol::OpenAiChat) => format!("{}/models", connection.base_url),
    };
    let unreachable = |detail: String| Error::LlmUnreachable {
        provider: connection.name.clone(),
        url: url.clone(),
        detail,
    };
    let request = connection
        .client
        .get(&url)
        .headers(connection.headers.clone())
        .timeout(config.timeouts.connect + config.timeouts.idle)
        .send();
    let mut response = request
        .await
        .map_err(|e| unreachable(connection.scrub(&transport_detail(&e))))?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        // What fits in the cap is enough to say why; a broken body still has a status.
        let body = read_capped(&mut response, MAX_ERROR_BODY_BYTES)
            .await
            .map(|body| body.bytes)
            .unwrap_or_default();
        let remote = RemoteError::from_body(&connection.scrub(&String::from_utf8_lossy(&body)));
        return Err(refusal_error(
            &connection.name,
            "",
            status,
            &remote,
            &url,
            connection.secret.is_some(),
        ));
    }
    let too_large = || Error::LlmBadResponse {
        provider: connection.name.clone(),
        detail: format!(
            "the model list from {url} is larger than {}, far more than any provider sends",
            spoken_bytes(MAX_MODEL_LIST_BYTES)
        ),
    };
    if response
        .content_length()
        .is_some_and(|length| length > MAX_MODEL_LIST_BYTES as u64)
    {
        return Err(too_large());
    }
    let body = read_capped(&mut response, MAX_MODEL_LIST_BYTES)
        .await
        .map_err(|e| unreachable(connection.scrub(&transport_detail(&e))))?;
    if body.truncated {
        return Err(too_large());
    }
    let text = connection.scrub(&String::from_utf8_lossy(&body.bytes));
    let body: Value = serde_json::from_str(&text).map_err(|e| Error::LlmBadResponse {
        provider: connection.name.clone(),
        detail: format!("the model list from {url} is not JSON ({e})"),
    })?;
    parse_model_list(&body).ok_or_else(|| Error::LlmBadResponse {
        provider: connection.name.clone(),
        detail: format!("the answer from {url} holds no model list"),
    })
}

/// Reads `{"data": [{"id": ...}]}` (OpenAI, Anthropic) and `{"models": [{"name": ...}]}` (Ollama).
fn parse_model_list(body: &Value) -> Option<Vec<ModelInfo>> {
    let (items, id_key) = match (body.get("data"), body.get("models")) {
        (Some(Value::Array(items)), _) => (items, "id"),
        (_, Some(Value::Array(items))) => (items, "name"),
        _ => return None,
    };
    let mut models: Vec<ModelInfo> = items
        .iter()
        .filter_map(|item| {
            let id = item.get(id_key).and_then(Value::as_str)?;
            // Gemini's OpenAI-compatible listing says `models/gemini-...`; chat wants the bare id.
            let id = id.strip_prefix("models/").unwrap_or(id).to_string();
            let display_name = item
                .get("display_name")
                .and_then(Value::as_str)
                .map(str::to_string);
            Some(ModelInfo { id, display_name })
        })
        .collect();
    models.sort_by(|a, b| a.id.cmp(&b.id));
    models.dedup_by(|a, b| a.id == b.id);
    Some(models)
}

/// `http://host:11434/v1` -> `http://host:11434`.
fn origin_of(base_url: &str) -> &str {
    base_url.strip_suffix("/v1").unwrap_or(base_url)
}

/// A local Ollama that answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct DetectedOllama {
    /// The OpenAI-compatible base URL to use as `ProviderConfig::base_url`.
    pub base_url: String,
    /// The models it has pulled.
    pub models: Vec<ModelInfo>,
}

/// Looks for Ollama on localhost:11434, giving up after 300 ms.
pub async fn detect_ollama() -> Option<DetectedOllama> {
    detect_ollama_at(OLLAMA_DEFAULT_ORIGIN, Duration::from_millis(300)).await
}

/// Looks for Ollama at `origin` (such as `http://127.0.0.1:11434`), giving up after `within`.
pub async fn detect_ollama_at(origin: &str, within: Duration) -> Option<DetectedOllama> {
    let origin = origin.trim_end_matches('/');
    let client = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(within)
        .build()
        .ok()?;
    let probe = async {
        let mut response = client.get(format!("{origin}/api/tags")).send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        let body = read_capped(&mut response, MAX_MODEL_LIST_BYTES)
            .await
            .ok()?;
        if body.truncated {
            return None;
        }
        let body: Value = serde_json::from_slice(&body.bytes).ok()?;
        // Only Ollama answers `/api/tags` with `models`; anything else on the port is not it.
        body.get("models")?.as_array()?;
        parse_model_list(&body)
    };
    let models = tokio::time::timeout(within, probe).await.ok()??;
    Some(DetectedOllama {
        base_url: format!("{origin}/v1"),
        models,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn model_lists_of_every_shape_are_read_and_sorted() {
        let openai = json!({"object":"list","data":[
            {"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},
            {"id":"gpt-4.1","object":"model","created":1744316542,"owned_by":"system"}]});
        assert_eq!(
            parse_model_list(&openai)
                .unwrap()
                .iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>(),
            ["gpt-4.1", "gpt-4o-mini"]
        );

        let anthropic = json!({"data":[{"type":"model","id":"claude-sonnet-4-5-20250929",
            "display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}],
            "has_more":false,"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-sonnet-4-5-20250929"});
        assert_eq!(
            parse_model_list(&anthropic).unwrap()[0]
                .display_name
                .as_deref(),
            Some("Claude Sonnet 4.5")
        );

        let ollama = json!({"models":[{"name":"qwen2.5-coder:7b","model":"qwen2.5-coder:7b",
            "modified_at":"2025-05-01T10:00:00Z","size":4683087332u64}]});
        assert_eq!(parse_model_list(&ollama).unwrap()[0].id, "qwen2.5-coder:7b");

        let gemini = json!({"object":"list","data":[{"id":"models/gemini-2.5-flash","object":"model","owned_by":"google"}]});
        assert_eq!(parse_model_list(&gemini).unwrap()[0].id, "gemini-2.5-flash");

        assert_eq!(parse_model_list(&json!({"error": "nope"})), None);
    }
}
