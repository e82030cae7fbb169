//! Model listing and Ollama detection against the scripted server.

use bucketforge_test_support::llm as support;

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
        // Ten times the limit, still well under any connect or idle timeout.
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
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

#[tokio::test]
async fn an_endless_model_list_is_refused_once_it_passes_its_cap() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(Script::new().endless_model_list())
            .await
            .unwrap();

        // Reading it all could only end in the request's timeout, a different error.
        let err = tokio::time::timeout(
            Duration::from_secs(120),
            list_models(&config_for(&server, protocol)),
        )
        .await
        .expect("the listing ends")
        .unwrap_err();

        assert_eq!(err.code(), "llm_bad_response", "{protocol:?}: {err}");
        assert!(err.to_string().contains("larger than 4 MB"), "{err}");
        support::expect_disconnects(&server, 1, protocol).await;
    }
}

#[tokio::test]
async fn an_endless_ollama_tag_list_is_not_taken_for_ollama() {
    let server = ScriptedLlm::start(Script::new().endless_model_list())
        .await
        .unwrap();
    let started = Instant::now();

    let found = detect_ollama_at(&server.url(), Duration::from_secs(120)).await;

    assert_eq!(found, None);
    // Only a reader that stops at the cap gets here long before its two minutes.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

mod saved_keys {
    //! Which address the saved key travels to when the model picker asks for models.

    use std::sync::Arc;

    use bucketforge_engine::llm::ProviderKind;
    use bucketforge_engine::secrets::InMemorySecrets;
    use bucketforge_engine::session::{Overrides, SecretSlot, Session};
    use bucketforge_engine::settings::{Settings, SettingsFile};
    use bucketforge_scripted_llm::{Script, ScriptedLlm};
    use secrecy::SecretString;

    const SAVED_KEY: &str = "sk-saved-for-the-saved-address-only";
    const TYPED_KEY: &str = "sk-typed-on-screen-just-now";

    struct Desk {
        session: Session,
        saved: ScriptedLlm,
        typed: ScriptedLlm,
        _dir: tempfile::TempDir,
    }

    /// A window session with `kind` saved at one server and its key in the keyring, and a
    /// second server the user is typing the address of.
    async fn desk(kind: ProviderKind) -> Desk {
        desk_with(kind, |_| Overrides::default()).await
    }

    async fn desk_with(
        kind: ProviderKind,
        overrides: impl FnOnce(&ScriptedLlm) -> Overrides,
    ) -> Desk {
        let script = || Script::new().models(["model-a"]);
        let saved = ScriptedLlm::start(script()).await.unwrap();
        let typed = ScriptedLlm::start(script()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let session = Session::open(
            SettingsFile::in_dir(dir.path()),
            Arc::new(InMemorySecrets::default()),
            None,
            overrides(&typed),
        );
        let mut settings = Settings::default();
        settings.llm.provider = kind;
        settings.llm.base_url = saved.openai_base_url();
        session.save_settings(settings).await.unwrap();
        session
            .set_secret(
                &SecretSlot::LlmApiKey { provider: kind },
                &SecretString::from(SAVED_KEY),
            )
            .await
            .unwrap();
        Desk {
            session,
            saved,
            typed,
            _dir: dir,
        }
    }

    fn authorizations(server: &ScriptedLlm) -> Vec<Option<String>> {
        server
            .model_list_headers()
            .iter()
            .map(|h| {
                h.get("authorization")
                    .map(|v| v.to_str().unwrap().to_string())
            })
            .collect()
    }

    #[tokio::test]
    async fn an_unsaved_address_is_asked_for_models_without_the_saved_key() {
        let desk = desk(ProviderKind::Custom).await;

        let models = desk
            .session
            .models(
                ProviderKind::Custom,
                Some(&desk.typed.openai_base_url()),
                None,
            )
            .await
            .unwrap();

        assert_eq!(models[0].id, "model-a");
        assert_eq!(authorizations(&desk.typed), [None]);
        assert!(desk.saved.model_list_headers().is_empty());
    }

    #[tokio::test]
    async fn the_saved_address_gets_the_saved_key_however_its_written() {
        let desk = desk(ProviderKind::Custom).await;
        let saved = desk.saved.openai_base_url();

        for url in [None, Some(saved.clone()), Some(format!("{saved}/"))] {
            desk.session
                .models(ProviderKind::Custom, url.as_deref(), None)
                .await
                .unwrap();
        }

        let bearer = Some(format!("Bearer {SAVED_KEY}"));
        assert_eq!(
            authorizations(&desk.saved),
            [bearer.clone(), bearer.clone(), bearer]
        );
    }

    #[tokio::test]
    async fn a_provider_that_needs_a_key_says_the_saved_one_stays_with_its_address() {
        let desk = desk(ProviderKind::OpenAi).await;
        let typed = desk.typed.openai_base_url();

        let err = desk
            .session
            .models(ProviderKind::OpenAi, Some(&typed), None)
            .await
            .unwrap_err();

        assert_eq!(err.code(), "llm_key_not_for_address", "{err}");
        let message = err.to_string();
        assert!(message.contains(&desk.saved.openai_base_url()), "{message}");
        assert!(message.contains(&typed), "{message}");
        assert!(!message.contains(SAVED_KEY), "{message}");
        assert!(desk.typed.model_list_headers().is_empty());
    }

    #[tokio::test]
    async fn a_key_typed_beside_an_unsaved_address_goes_there_instead_of_the_saved_one() {
        let desk = desk(ProviderKind::OpenAi).await;

        desk.session
            .models(
                ProviderKind::OpenAi,
                Some(&desk.typed.openai_base_url()),
                Some(SecretString::from(TYPED_KEY)),
            )
            .await
            .unwrap();

        assert_eq!(
            authorizations(&desk.typed),
            [Some(format!("Bearer {TYPED_KEY}"))]
        );
        assert!(desk.saved.model_list_headers().is_empty());
    }

    #[tokio::test]
    async fn an_address_given_on_the_command_line_does_not_get_the_keyrings_key() {
        let desk = desk_with(ProviderKind::Custom, |typed| Overrides {
            llm_base_url: Some(typed.openai_base_url()),
            ..Overrides::default()
        })
        .await;

        desk.session
            .models(ProviderKind::Custom, None, None)
            .await
            .unwrap();

        assert_eq!(authorizations(&desk.typed), [None]);
        assert!(desk.saved.model_list_headers().is_empty());
    }
}
