//! Model listing and Ollama detection against the scripted server.

mod llm_support;
use llm_support as support;

use std::time::{Duration, Instant};

use bucketforge_engine::llm::{detect_ollama_at, list_models, ProviderConfig, ProviderKind};
use bucketforge_scripted_llm::{Script, ScriptedLlm};
use support::{config_for, BOTH};

#[tokio::test]
async fn models_are_listed_in_each_protocols_shape() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(Script::new().models(["zeta-large", "alpha-mini"]))
            .await
            .unwrap();

        let models = list_models(&config_for(&server, protocol)).await.unwrap();

        let ids: Vec<_> = models.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["alpha-mini", "zeta-large"], "{protocol:?}");
    }
}

#[tokio::test]
async fn anthropic_model_listing_sends_its_key_and_version_headers() {
    let server = ScriptedLlm::start(
        Script::new()
            .api_key(support::API_KEY)
            .models(["claude-haiku-4-5"]),
    )
    .await
    .unwrap();

    let models = list_models(&config_for(
        &server,
        bucketforge_scripted_llm::Protocol::Anthropic,
    ))
    .await
    .unwrap();

    // The server answers in Anthropic's shape only when `anthropic-version` came along.
    assert_eq!(models[0].display_name.as_deref(), Some("claude-haiku-4-5"));
}

#[tokio::test]
async fn listing_models_with_a_rejected_key_says_the_key_was_rejected() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(Script::new().api_key("sk-another-key-entirely"))
            .await
            .unwrap();

        let err = list_models(&config_for(&server, protocol))
            .await
            .unwrap_err();

        assert_eq!(err.code(), "llm_key_rejected", "{protocol:?}: {err}");
    }
}

#[tokio::test]
async fn ollama_models_are_listed_from_its_own_endpoint() {
    let server = ScriptedLlm::start(Script::new().models(["qwen2.5-coder:7b", "llama3.1:8b"]))
        .await
        .unwrap();
    let config = ProviderConfig::new(ProviderKind::Ollama).with_base_url(server.openai_base_url());

    let models = list_models(&config).await.unwrap();

    assert_eq!(
        models.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        ["llama3.1:8b", "qwen2.5-coder:7b"]
    );
}

#[tokio::test]
async fn listing_models_where_nothing_listens_names_the_address() {
    let server = ScriptedLlm::start(Script::new()).await.unwrap();
    let config =
        ProviderConfig::new(ProviderKind::LmStudio).with_base_url(server.openai_base_url());
    drop(server);
    tokio::task::yield_now().await;

    let err = list_models(&config).await.unwrap_err();

    assert_eq!(err.code(), "llm_unreachable", "{err}");
    assert!(err.to_string().contains("/v1/models"), "{err}");
}

#[tokio::test]
async fn a_running_ollama_is_detected_with_its_models() {
    let server = ScriptedLlm::start(Script::new().models(["qwen2.5-coder:7b"]))
        .await
        .unwrap();

    let found = detect_ollama_at(&server.url(), Duration::from_millis(300))
        .await
        .expect("the scripted server answers /api/tags like Ollama");

    assert_eq!(found.base_url, format!("{}/v1", server.url()));
    assert_eq!(found.models[0].id, "qwen2.5-coder:7b");
}

#[tokio::test]
async fn no_ollama_is_detected_where_nothing_listens() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };

    let found = detect_ollama_at(
        &format!("http://127.0.0.1:{port}"),
        Duration::from_millis(300),
    )
    .await;

    assert_eq!(found, None);
}

#[tokio::test]
async fn ollama_detection_gives_up_within_its_time_limit_when_the_port_never_answers() {
    // Accepts connections (the kernel does, from the backlog) but never replies.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", silent.local_addr().unwrap());
    let started = Instant::now();

    let found = detect_ollama_at(&origin, Duration::from_millis(300)).await;

    let took = started.elapsed();
    assert_eq!(found, None);
    assert!(
        // Well under any connect or idle timeout; the slack is for a loaded machine.
        took >= Duration::from_millis(300) && took < Duration::from_millis(1500),
        "took {took:?}"
    );
}

#[tokio::test]
async fn an_openai_compatible_server_on_the_port_is_not_taken_for_ollama() {
    let impostor =
        support::serve_fixed_answer("application/json", r#"{"object":"list","data":[]}"#).await;

    let found = detect_ollama_at(&impostor, Duration::from_millis(300)).await;

    assert_eq!(found, None);
}
