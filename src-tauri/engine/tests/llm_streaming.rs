//! Streaming chat against the scripted server in both wire formats: text, usage, finish
//! reasons, what goes over the wire, and cancellation.

use bucketforge_test_support::llm as support;

use std::time::Duration;

use bucketforge_engine::llm::{
    build_provider, FinishReason, ProviderConfig, ProviderKind, StreamEvent, Usage,
};
use bucketforge_engine::Error;
use bucketforge_scripted_llm::{Fault, Protocol, Reply, Script, ScriptedLlm};
use futures_util::StreamExt;
use support::{
    ask, expect_disconnects, provider_for, read_all, request, trickling_server, API_KEY, BOTH, HANG,
};
use tokio_util::sync::CancellationToken;

const FILE: &str = "from fastapi import FastAPI\n\napp = FastAPI()\n\n@app.get(\"/api/todos\")\ndef todos():\n    return []\n";

#[tokio::test]
async fn streams_the_scripted_text_then_one_usage_then_one_finish() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(
            Script::new().reply("write backend/main.py", Reply::text(FILE).chunk_chars(5)),
        )
        .await
        .unwrap();
        let provider = provider_for(&server, protocol);

        let answer = ask(provider.as_ref(), &request("write backend/main.py"))
            .await
            .unwrap();

        assert!(answer.error.is_none(), "{protocol:?}: {:?}", answer.error);
        assert_eq!(answer.text, FILE, "{protocol:?}");
        assert_eq!(answer.deltas, FILE.len().div_ceil(5), "{protocol:?}");
        let tail = &answer.events[answer.events.len() - 2..];
        assert!(
            matches!(
                tail,
                [
                    StreamEvent::Usage(_),
                    StreamEvent::Finished(FinishReason::Stop)
                ]
            ),
            "{protocol:?}: {tail:?}"
        );
        let closing = answer
            .events
            .iter()
            .filter(|e| !matches!(e, StreamEvent::TextDelta(_)))
            .count();
        assert_eq!(closing, 2, "{protocol:?}: {:?}", answer.events);
    }
}

#[tokio::test]
async fn usage_numbers_equal_what_the_server_sent() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(
            Script::new().reply("plan", Reply::text("{\"name\": \"Todo\"}").usage(1234, 56)),
        )
        .await
        .unwrap();
        let provider = provider_for(&server, protocol);

        let answer = ask(provider.as_ref(), &request("plan")).await.unwrap();

        assert_eq!(
            answer.usage,
            Some(Usage {
                prompt_tokens: 1234,
                completion_tokens: 56,
                estimated: false
            }),
            "{protocol:?}"
        );
    }
}

#[tokio::test]
async fn usage_missing_from_the_stream_is_estimated_and_flagged() {
    for protocol in BOTH {
        let text = "x".repeat(400);
        let server = ScriptedLlm::start(
            Script::new().reply("write a.py", Reply::text(text.clone()).without_usage()),
        )
        .await
        .unwrap();
        let provider = provider_for(&server, protocol);

        let answer = ask(provider.as_ref(), &request("write a.py"))
            .await
            .unwrap();

        let usage = answer.usage.expect("a usage event even without numbers");
        assert!(usage.estimated, "{protocol:?}");
        assert_eq!(usage.completion_tokens, 100, "{protocol:?}");
        assert!(usage.prompt_tokens > 0, "{protocol:?}");
    }
}

#[tokio::test]
async fn an_answer_cut_by_max_tokens_finishes_with_length() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(
            Script::new().reply("write a.py", Reply::text("def f(").truncated()),
        )
        .await
        .unwrap();
        let provider = provider_for(&server, protocol);

        let answer = ask(provider.as_ref(), &request("write a.py"))
            .await
            .unwrap();

        assert_eq!(answer.text, "def f(", "{protocol:?}");
        assert_eq!(answer.finish, Some(FinishReason::Length), "{protocol:?}");
    }
}

#[tokio::test]
async fn an_unusual_finish_reason_is_passed_on_as_other() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(
            Script::new().reply("write a.py", Reply::text("x").finish("content_filter")),
        )
        .await
        .unwrap();
        let provider = provider_for(&server, protocol);

        let answer = ask(provider.as_ref(), &request("write a.py"))
            .await
            .unwrap();

        assert_eq!(
            answer.finish,
            Some(FinishReason::Other("content_filter".into())),
            "{protocol:?}"
        );
    }
}

#[tokio::test]
async fn an_empty_answer_is_complete_not_an_error() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(Script::new().reply("write a.py", Reply::text("")))
            .await
            .unwrap();
        let provider = provider_for(&server, protocol);

        let answer = ask(provider.as_ref(), &request("write a.py"))
            .await
            .unwrap();

        assert!(answer.error.is_none(), "{protocol:?}: {:?}", answer.error);
        assert_eq!(answer.text, "");
        assert_eq!(answer.finish, Some(FinishReason::Stop), "{protocol:?}");
    }
}

#[tokio::test]
async fn requests_carry_the_system_prompt_task_line_model_and_key_in_each_protocols_way() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(Script::new()).await.unwrap();
        let provider = provider_for(&server, protocol);
        let mut req = request("fix frontend/src/App.jsx");
        req.temperature = Some(0.5);

        ask(provider.as_ref(), &req).await.unwrap();

        let recorded = server.requests();
        assert_eq!(recorded.len(), 1, "{protocol:?}");
        let sent = &recorded[0];
        assert_eq!(sent.protocol, protocol);
        assert_eq!(sent.task.as_deref(), Some("fix frontend/src/App.jsx"));
        assert_eq!(sent.system, "You write one file of a project.");
        assert_eq!(sent.model, "test-model");
        assert!(sent.stream, "{protocol:?}");
        assert_eq!(sent.max_tokens, Some(2048), "{protocol:?}");
        assert_eq!(sent.temperature, Some(0.5), "{protocol:?}");
        match protocol {
            Protocol::OpenAi => {
                assert_eq!(sent.path, "/v1/chat/completions");
                let bearer = format!("Bearer {API_KEY}");
                assert_eq!(sent.header("authorization"), Some(bearer.as_str()));
                assert_eq!(sent.body["stream_options"]["include_usage"], true);
                // OpenAI's reasoning models accept only this name for the limit.
                assert_eq!(sent.body["max_completion_tokens"], 2048);
            }
            Protocol::Anthropic => {
                assert_eq!(sent.path, "/v1/messages");
                assert_eq!(sent.header("x-api-key"), Some(API_KEY));
                assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
                assert_eq!(sent.header("authorization"), None);
            }
        }
    }
}

#[tokio::test]
async fn json_mode_is_requested_in_each_protocols_own_way() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(Script::new()).await.unwrap();
        let provider = provider_for(&server, protocol);
        let mut req = request("plan");
        req.json_mode = true;

        ask(provider.as_ref(), &req).await.unwrap();

        let sent = &server.requests()[0];
        match protocol {
            Protocol::OpenAi => assert!(sent.json_mode),
            Protocol::Anthropic => assert!(sent.system.contains("JSON object"), "{}", sent.system),
        }
    }
}

#[tokio::test]
async fn lm_studio_is_asked_for_json_in_words_because_it_refuses_json_object() {
    let server = ScriptedLlm::start(Script::new()).await.unwrap();
    let config =
        ProviderConfig::new(ProviderKind::LmStudio).with_base_url(server.openai_base_url());
    let provider = build_provider(&config).unwrap();
    let mut req = request("plan");
    req.json_mode = true;

    ask(provider.as_ref(), &req).await.unwrap();

    let sent = &server.requests()[0];
    assert!(sent.body.get("response_format").is_none());
    assert!(sent.system.contains("JSON object"), "{}", sent.system);
    assert_eq!(sent.header("authorization"), None, "no key, no header");
}

#[tokio::test]
async fn tokens_arrive_at_the_scripted_rate_after_the_first_token_latency() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(
            Script::new().reply(
                "write a.py",
                Reply::text("abcdefghij")
                    .chunk_chars(1)
                    .first_token_after(Duration::from_millis(300))
                    .tokens_per_second(50.0),
            ),
        )
        .await
        .unwrap();
        let provider = provider_for(&server, protocol);
        let started = tokio::time::Instant::now();

        let mut stream = provider
            .stream_chat(&request("write a.py"), CancellationToken::new())
            .await
            .unwrap();
        let first_token = started.elapsed();
        let mut arrivals = Vec::new();
        while let Some(event) = tokio::time::timeout(HANG, stream.next())
            .await
            .expect("the stream ends")
        {
            if let StreamEvent::TextDelta(_) = event.unwrap() {
                arrivals.push(started.elapsed());
            }
        }

        // A busy machine can only make tokens later, so the claim is the lower bounds: the
        // latency is waited out, and the tokens come one by one, spread over the scripted
        // time rather than in a burst at the end.
        assert!(
            first_token >= Duration::from_millis(300),
            "{protocol:?}: first token after {first_token:?}"
        );
        assert_eq!(arrivals.len(), 10, "{protocol:?}: one delta per token");
        // Nine more tokens at fifty a second.
        let streaming = arrivals[9] - arrivals[0];
        assert!(
            streaming >= Duration::from_millis(180),
            "{protocol:?}: the rest took {streaming:?}"
        );
    }
}

#[tokio::test]
async fn cancelling_mid_stream_closes_the_http_request() {
    for protocol in BOTH {
        let server = trickling_server().await;
        let provider = provider_for(&server, protocol);
        let cancel = CancellationToken::new();

        let mut stream = provider
            .stream_chat(&request("write a.py"), cancel.clone())
            .await
            .unwrap();
        assert!(matches!(
            stream.next().await,
            Some(Ok(StreamEvent::TextDelta(_)))
        ));
        cancel.cancel();
        let after_cancel = stream.next().await;

        assert!(
            matches!(after_cancel, Some(Err(Error::Cancelled))),
            "{protocol:?}: {after_cancel:?}"
        );
        // The stream is still held: the request must be closed already, not when it is dropped.
        expect_disconnects(&server, 1, protocol).await;
        assert!(
            stream.next().await.is_none(),
            "{protocol:?}: nothing after the cancellation"
        );
    }
}

#[tokio::test]
async fn dropping_the_stream_closes_the_http_request() {
    for protocol in BOTH {
        let server = trickling_server().await;
        let provider = provider_for(&server, protocol);

        let mut stream = provider
            .stream_chat(&request("write a.py"), CancellationToken::new())
            .await
            .unwrap();
        stream.next().await.unwrap().unwrap();
        drop(stream);

        expect_disconnects(&server, 1, protocol).await;
    }
}

#[tokio::test]
async fn cancelling_before_the_first_token_returns_cancelled_and_closes_the_request() {
    for protocol in BOTH {
        // The first token is due long after HANG: returning at all means the wait was cut short.
        let server = ScriptedLlm::start(Script::new().reply(
            "write a.py",
            Reply::text("late").first_token_after(HANG * 10),
        ))
        .await
        .unwrap();
        let provider = provider_for(&server, protocol);
        let cancel = CancellationToken::new();
        let canceller = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            canceller.cancel();
        });

        let result =
            tokio::time::timeout(HANG, provider.stream_chat(&request("write a.py"), cancel))
                .await
                .expect("the cancel ends the wait for the first token");

        assert!(matches!(result, Err(Error::Cancelled)), "{protocol:?}");
        expect_disconnects(&server, 1, protocol).await;
        assert_eq!(server.request_count(), 1);
    }
}

#[tokio::test]
async fn a_completed_answer_is_not_counted_as_a_disconnect() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(Script::new().fallback(Reply::text(FILE)))
            .await
            .unwrap();
        let provider = provider_for(&server, protocol);

        let stream = provider
            .stream_chat(&request("write a.py"), CancellationToken::new())
            .await
            .unwrap();
        let answer = read_all(stream).await;
        assert!(answer.error.is_none());
        // Wait until the server has released the answer either way, then ask which way.
        tokio::time::timeout(HANG, server.wait_for_settled_responses(1))
            .await
            .expect("the server releases the answer");

        assert_eq!(server.completed_responses(), 1, "{protocol:?}");
        assert_eq!(server.disconnects(), 0, "{protocol:?}");
    }
}

/// Deadlines for the tests below: short, yet several idle timeouts long.
const DEADLINE: Duration = Duration::from_secs(1);
const IDLE: Duration = Duration::from_millis(300);

fn bounded_provider(
    server: &ScriptedLlm,
    protocol: Protocol,
) -> std::sync::Arc<dyn bucketforge_engine::llm::ChatProvider> {
    let config = support::with_total(
        support::with_idle(support::config_for(server, protocol), IDLE),
        DEADLINE,
    );
    build_provider(&config).unwrap()
}

#[tokio::test]
async fn a_stream_of_deltas_that_never_finishes_fails_at_the_total_deadline() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(Script::new().reply(
            "write a.py",
            Reply::text("tick ").with_fault(Fault::endless(Duration::from_millis(2))),
        ))
        .await
        .unwrap();
        let provider = bounded_provider(&server, protocol);
        let started = std::time::Instant::now();

        let answer = tokio::time::timeout(
            DEADLINE * 20,
            ask(provider.as_ref(), &request("write a.py")),
        )
        .await
        .expect("the deadline ends the stream")
        .unwrap();

        let elapsed = started.elapsed();
        let err = answer.error.expect("the endless stream ends in an error");
        assert_eq!(err.code(), "llm_deadline_exceeded", "{protocol:?}: {err}");
        assert!(err.to_string().contains("within 1 second"), "{err}");
        assert!(answer.finish.is_none(), "{protocol:?}");
        // Deltas kept coming for longer than the idle timeout: only the deadline ended it.
        assert!(answer.deltas > 20, "{protocol:?}: {} deltas", answer.deltas);
        assert!(elapsed >= DEADLINE, "{protocol:?}: {elapsed:?}");
        expect_disconnects(&server, 1, protocol).await;
        eprintln!(
            "endless deltas ({protocol:?}): {} deltas, failed after {elapsed:?}, VmHWM {}",
            answer.deltas,
            support::peak_memory()
        );
    }
}

#[tokio::test]
async fn a_stream_of_only_keep_alives_fails_at_the_total_deadline() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(Script::new().reply(
            "write a.py",
            Reply::fault(Fault::keep_alive_only(Duration::from_millis(50))),
        ))
        .await
        .unwrap();
        let provider = bounded_provider(&server, protocol);
        let started = std::time::Instant::now();

        let err = tokio::time::timeout(
            DEADLINE * 20,
            ask(provider.as_ref(), &request("write a.py")),
        )
        .await
        .expect("the deadline ends the request")
        .unwrap_err();

        let elapsed = started.elapsed();
        assert_eq!(err.code(), "llm_deadline_exceeded", "{protocol:?}: {err}");
        assert!(elapsed >= DEADLINE, "{protocol:?}: {elapsed:?}");
        assert_eq!(server.request_count(), 1, "{protocol:?}: not retried");
        expect_disconnects(&server, 1, protocol).await;
        eprintln!(
            "keep-alives only ({protocol:?}): failed after {elapsed:?}, VmHWM {}",
            support::peak_memory()
        );
    }
}

#[tokio::test]
async fn an_answer_growing_past_its_cap_fails_while_it_streams() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(
            Script::new().reply(
                "write a.py",
                // Paced, so the server is still sending when the client stops reading.
                Reply::text("x".repeat(20_000))
                    .chunk_chars(100)
                    .tokens_per_second(1000.0),
            ),
        )
        .await
        .unwrap();
        let provider = provider_for(&server, protocol);
        let mut capped = request("write a.py");
        capped.max_answer_bytes = Some(4096);

        let answer = ask(provider.as_ref(), &capped).await.unwrap();

        let err = answer.error.expect("the answer is refused");
        assert_eq!(err.code(), "llm_answer_too_large", "{protocol:?}: {err}");
        assert!(err.to_string().contains("grew past 4 KB"), "{err}");
        assert!(
            answer.text.len() <= 4096,
            "{protocol:?}: {}",
            answer.text.len()
        );
        assert!(answer.finish.is_none(), "{protocol:?}");
        expect_disconnects(&server, 1, protocol).await;
    }
}

#[tokio::test]
async fn an_endless_answer_stops_at_its_cap_long_before_the_deadline() {
    let server = ScriptedLlm::start(Script::new().reply(
        "write a.py",
        Reply::text("y".repeat(1000)).with_fault(Fault::endless(Duration::ZERO)),
    ))
    .await
    .unwrap();
    let provider = build_provider(&support::with_total(
        support::config_for(&server, Protocol::OpenAi),
        Duration::from_secs(120),
    ))
    .unwrap();
    let mut capped = request("write a.py");
    capped.max_answer_bytes = Some(256 * 1024);

    let answer = ask(provider.as_ref(), &capped).await.unwrap();

    let err = answer.error.expect("the answer is refused");
    assert_eq!(err.code(), "llm_answer_too_large", "{err}");
    assert!(answer.text.len() <= 256 * 1024);
    assert!(answer.text.len() > 200 * 1024, "{}", answer.text.len());
}

#[tokio::test]
async fn an_answer_exactly_at_its_cap_is_accepted() {
    let server = ScriptedLlm::start(
        Script::new().reply("write a.py", Reply::text("z".repeat(4096)).chunk_chars(512)),
    )
    .await
    .unwrap();
    let provider = provider_for(&server, Protocol::Anthropic);
    let mut capped = request("write a.py");
    capped.max_answer_bytes = Some(4096);

    let answer = ask(provider.as_ref(), &capped).await.unwrap();

    assert!(answer.error.is_none(), "{:?}", answer.error);
    assert_eq!(answer.text.len(), 4096);
    assert_eq!(answer.finish, Some(FinishReason::Stop));
}
