//! Every fault the scripted server can produce, against both wire formats: what is retried,
//! what is reported, and in which words.

use bucketforge_test_support::llm as support;

use std::time::Duration;

use bucketforge_engine::llm::{build_provider, RetryCause, RetryPolicy};
use bucketforge_engine::Error;
use bucketforge_scripted_llm::{Fault, Protocol, Reply, Script, ScriptedLlm, StreamError};
use futures_util::StreamExt;
use support::{
    ask, config_for, expect_disconnects, provider_for, request, with_idle, Answer, API_KEY,
    BASE_DELAY, BOTH, HANG, SHORT_IDLE,
};
use tokio_util::sync::CancellationToken;

const TEXT: &str = "import React from 'react'\nexport default function App() { return null }\n";

async fn server_with(task: &str, replies: Vec<Reply>) -> ScriptedLlm {
    ScriptedLlm::start(Script::new().replies(task, replies))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_rate_limited_request_is_retried_after_the_servers_retry_after_ms() {
    for protocol in BOTH {
        let server = server_with(
            "write a.jsx",
            vec![Reply::fault(Fault::rate_limited_ms(300)), Reply::text(TEXT)],
        )
        .await;
        let provider = provider_for(&server, protocol);
        let mut notices = provider
            .subscribe_retries()
            .expect("HTTP providers report retries");

        let answer = ask(provider.as_ref(), &request("write a.jsx"))
            .await
            .unwrap();

        assert_eq!(answer.text, TEXT, "{protocol:?}");
        let sent = server.requests();
        assert_eq!(sent.len(), 2, "{protocol:?}");
        let waited = sent[1].received_at - sent[0].received_at;
        // Ten times the asked wait: a busy machine is slow, not that slow.
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
            "{protocol:?}: waited {waited:?}"
        );
        let notice = notices.try_recv().expect("a notice for the 429");
        assert!(notice.is_rate_limit(), "{protocol:?}: {notice:?}");
        assert_eq!(notice.delay, Duration::from_millis(300));
        assert_eq!(notice.attempt, 1);
    }
}

#[tokio::test]
async fn a_retry_after_in_whole_seconds_is_honoured() {
    // Both protocols at once: the wait is a real second.
    let runs = BOTH.map(|protocol| async move {
        let server = server_with(
            "write a.jsx",
            vec![Reply::fault(Fault::rate_limited(1)), Reply::text(TEXT)],
        )
        .await;
        let provider = provider_for(&server, protocol);

        let answer = ask(provider.as_ref(), &request("write a.jsx"))
            .await
            .unwrap();

        assert_eq!(answer.text, TEXT, "{protocol:?}");
        let sent = server.requests();
        let waited = sent[1].received_at - sent[0].received_at;
        // The lower bound is the claim; the upper one, ten times over, only catches a wait
        // that ignored the header.
        assert!(
            waited >= Duration::from_secs(1) && waited < Duration::from_secs(10),
            "{protocol:?}: waited {waited:?}"
        );
    });
    futures_util::future::join_all(runs).await;
}

#[tokio::test]
async fn server_errors_are_retried_with_growing_backoff_until_they_clear() {
    for protocol in BOTH {
        let server = server_with(
            "write a.jsx",
            vec![
                Reply::fault(Fault::status(500)),
                Reply::fault(Fault::status(503)),
                Reply::fault(Fault::status(502)),
                Reply::text(TEXT),
            ],
        )
        .await;
        let provider = provider_for(&server, protocol);

        let answer = ask(provider.as_ref(), &request("write a.jsx"))
            .await
            .unwrap();

        assert_eq!(answer.text, TEXT, "{protocol:?}");
        let at: Vec<_> = server.requests().iter().map(|r| r.received_at).collect();
        assert_eq!(at.len(), 4, "{protocol:?}");
        // One, two and four base delays, less up to half for jitter.
        for (gap, times) in at.windows(2).map(|w| w[1] - w[0]).zip([1, 2, 4]) {
            let full = BASE_DELAY * times;
            assert!(gap >= full / 2, "{protocol:?}: {gap:?} for {full:?}");
        }
    }
}

#[tokio::test]
async fn an_overloaded_529_is_retried() {
    for protocol in BOTH {
        let server = server_with(
            "write a.jsx",
            vec![Reply::fault(Fault::overloaded()), Reply::text(TEXT)],
        )
        .await;
        let provider = provider_for(&server, protocol);
        let mut notices = provider.subscribe_retries().unwrap();

        let answer = ask(provider.as_ref(), &request("write a.jsx"))
            .await
            .unwrap();

        assert_eq!(answer.text, TEXT, "{protocol:?}");
        assert_eq!(notices.try_recv().unwrap().cause, RetryCause::Overloaded);
    }
}

#[tokio::test]
async fn retries_stop_after_the_configured_attempts_with_an_error_saying_what_to_do() {
    for protocol in BOTH {
        let server = server_with("write a.jsx", vec![Reply::fault(Fault::status(500))]).await;
        let config = config_for(&server, protocol);
        let config = config.clone().with_retry(RetryPolicy {
            max_attempts: 3,
            ..config.retry
        });
        let provider = build_provider(&config).unwrap();

        let err = ask(provider.as_ref(), &request("write a.jsx"))
            .await
            .unwrap_err();

        assert_eq!(server.request_count(), 3, "{protocol:?}");
        assert_eq!(err.code(), "llm_unavailable", "{protocol:?}: {err}");
        let message = err.to_string();
        assert!(message.contains("HTTP 500"), "{message}");
        assert!(message.contains("3 tries"), "{message}");
        assert!(message.contains("Try again later"), "{message}");
    }
}

#[tokio::test]
async fn a_provider_that_keeps_rate_limiting_is_reported_as_rate_limited() {
    for protocol in BOTH {
        let server = server_with(
            "write a.jsx",
            vec![Reply::fault(Fault::rate_limited_ms(20))],
        )
        .await;
        let provider = provider_for(&server, protocol);

        let err = ask(provider.as_ref(), &request("write a.jsx"))
            .await
            .unwrap_err();

        assert_eq!(server.request_count(), 4, "{protocol:?}");
        assert_eq!(err.code(), "llm_rate_limited", "{protocol:?}: {err}");
    }
}

/// Asks once for `write a.jsx`, the server answering with `replies` in turn.
async fn answer_to(
    protocol: Protocol,
    replies: Vec<Reply>,
    idle: Duration,
) -> (Answer, ScriptedLlm) {
    let server = server_with("write a.jsx", replies).await;
    let provider = build_provider(&with_idle(config_for(&server, protocol), idle)).unwrap();
    let answer = ask(provider.as_ref(), &request("write a.jsx"))
        .await
        .unwrap_or_else(|e| panic!("{protocol:?}: {e}"));
    (answer, server)
}

/// A fault before the first token costs one more request and nothing else.
async fn assert_retried_from_scratch(first: Reply, idle: Duration) {
    for protocol in BOTH {
        let (answer, server) =
            answer_to(protocol, vec![first.clone(), Reply::text(TEXT)], idle).await;

        assert!(answer.error.is_none(), "{protocol:?}: {:?}", answer.error);
        assert_eq!(answer.text, TEXT, "{protocol:?}");
        assert_eq!(server.request_count(), 2, "{protocol:?}");
    }
}

/// A fault after `chars` characters ends the stream with an interruption naming `reason`,
/// after exactly the text that arrived, with no `Finished` and no retry.
async fn assert_interrupted(fault: Fault, chars: usize, reason: &str, idle: Duration) {
    for protocol in BOTH {
        let reply = Reply::text(TEXT).chunk_chars(4).with_fault(fault.clone());
        let (answer, server) = answer_to(protocol, vec![reply], idle).await;

        assert_eq!(answer.text, &TEXT[..chars], "{protocol:?}");
        assert!(
            answer.finish.is_none(),
            "{protocol:?}: no Finished after {fault:?}"
        );
        match &answer.error {
            Some(Error::LlmStreamInterrupted {
                received_chars,
                reason: said,
                ..
            }) => {
                assert_eq!(*received_chars, chars, "{protocol:?}");
                assert!(said.contains(reason), "{protocol:?}: {said}");
            }
            other => panic!("{protocol:?}: expected an interruption, got {other:?}"),
        }
        assert_eq!(
            server.request_count(),
            1,
            "{protocol:?}: not retried once tokens arrived"
        );
    }
}

const IDLE: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_stream_cut_before_the_first_token_is_retried() {
    assert_retried_from_scratch(Reply::text(TEXT).with_fault(Fault::cut_after(0)), IDLE).await;
}

#[tokio::test]
async fn a_stream_cut_after_tokens_is_an_interruption_not_a_short_answer() {
    assert_interrupted(Fault::cut_after(12), 12, "connection", IDLE).await;
}

#[tokio::test]
async fn a_malformed_chunk_before_the_first_token_is_retried() {
    assert_retried_from_scratch(
        Reply::text(TEXT).with_fault(Fault::malformed_after(0)),
        IDLE,
    )
    .await;
}

#[tokio::test]
async fn a_malformed_chunk_after_tokens_is_an_interruption() {
    assert_interrupted(Fault::malformed_after(8), 8, "malformed", IDLE).await;
}

#[tokio::test]
async fn a_stall_before_the_first_token_is_retried_once_from_scratch() {
    let started = tokio::time::Instant::now();

    assert_retried_from_scratch(
        Reply::text(TEXT).with_fault(Fault::stall_forever_after(0)),
        SHORT_IDLE,
    )
    .await;

    assert!(
        started.elapsed() >= SHORT_IDLE * 2,
        "gave up before the idle timeout"
    );
}

#[tokio::test]
async fn a_stalled_request_is_closed_before_the_retry() {
    let (_, server) = answer_to(
        Protocol::OpenAi,
        vec![
            Reply::text(TEXT).with_fault(Fault::stall_forever_after(0)),
            Reply::text(TEXT),
        ],
        SHORT_IDLE,
    )
    .await;

    expect_disconnects(&server, 1, "the stalled request").await;
}

#[tokio::test]
async fn a_provider_that_stalls_twice_fails_with_a_stall_error() {
    for protocol in BOTH {
        let server = server_with(
            "write a.jsx",
            vec![Reply::text(TEXT).with_fault(Fault::stall_forever_after(0))],
        )
        .await;
        let provider =
            build_provider(&with_idle(config_for(&server, protocol), SHORT_IDLE)).unwrap();

        let err = ask(provider.as_ref(), &request("write a.jsx"))
            .await
            .unwrap_err();

        assert_eq!(err.code(), "llm_stalled", "{protocol:?}: {err}");
        assert!(err.to_string().contains("300 ms, twice"), "{err}");
        assert_eq!(
            server.request_count(),
            2,
            "{protocol:?}: one retry for a stall, not four"
        );
    }
}

#[tokio::test]
async fn a_stall_after_tokens_is_an_interruption() {
    assert_interrupted(
        Fault::stall_forever_after(8),
        8,
        "no data for 300 ms",
        SHORT_IDLE,
    )
    .await;
}

#[tokio::test]
async fn a_pause_shorter_than_the_idle_timeout_is_waited_out() {
    for protocol in BOTH {
        let reply = Reply::text(TEXT).with_fault(Fault::stall_after(8, SHORT_IDLE / 3));
        let (answer, _) = answer_to(protocol, vec![reply], SHORT_IDLE).await;

        assert!(answer.error.is_none(), "{protocol:?}: {:?}", answer.error);
        assert_eq!(answer.text, TEXT, "{protocol:?}");
    }
}

#[tokio::test]
async fn an_error_event_before_the_first_token_is_retried_by_its_cause() {
    for (error, cause) in [
        (StreamError::Overloaded, RetryCause::Overloaded),
        (StreamError::RateLimit, RetryCause::RateLimited),
        (StreamError::Server, RetryCause::ServerError { status: 500 }),
    ] {
        for protocol in BOTH {
            let server = server_with(
                "write a.jsx",
                vec![
                    Reply::text(TEXT).with_fault(Fault::error_event(error, 0)),
                    Reply::text(TEXT),
                ],
            )
            .await;
            let provider = provider_for(&server, protocol);
            let mut notices = provider.subscribe_retries().unwrap();

            let answer = ask(provider.as_ref(), &request("write a.jsx"))
                .await
                .unwrap();

            assert_eq!(answer.text, TEXT, "{protocol:?} {error:?}");
            assert_eq!(
                notices.try_recv().unwrap().cause,
                cause,
                "{protocol:?} {error:?}"
            );
        }
    }
}

#[tokio::test]
async fn an_error_event_after_tokens_is_an_interruption() {
    assert_interrupted(
        Fault::error_event(StreamError::Overloaded, 8),
        8,
        "Overloaded",
        IDLE,
    )
    .await;
}

#[tokio::test]
async fn a_rejected_key_is_reported_in_plain_words_and_not_retried() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(Script::new().api_key("sk-the-right-key-000"))
            .await
            .unwrap();
        let provider = provider_for(&server, protocol);

        let err = ask(provider.as_ref(), &request("plan")).await.unwrap_err();

        assert_eq!(err.code(), "llm_key_rejected", "{protocol:?}: {err}");
        let message = err.to_string();
        let name = match protocol {
            bucketforge_scripted_llm::Protocol::OpenAi => "OpenAI",
            bucketforge_scripted_llm::Protocol::Anthropic => "Anthropic",
        };
        assert!(
            message.contains(&format!("The API key for {name} was rejected")),
            "{message}"
        );
        assert!(!message.contains(API_KEY), "{message}");
        assert_eq!(server.request_count(), 1, "{protocol:?}");
    }
}

#[tokio::test]
async fn a_403_is_a_rejected_key_too() {
    for protocol in BOTH {
        let server = server_with("plan", vec![Reply::fault(Fault::status(403))]).await;
        let provider = provider_for(&server, protocol);

        let err = ask(provider.as_ref(), &request("plan")).await.unwrap_err();

        assert_eq!(err.code(), "llm_key_rejected", "{protocol:?}: {err}");
    }
}

#[tokio::test]
async fn an_unknown_model_is_named_in_the_error() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(Script::new().models(["model-a", "model-b"]))
            .await
            .unwrap();
        let provider = provider_for(&server, protocol);

        let err = ask(provider.as_ref(), &request("plan")).await.unwrap_err();

        assert_eq!(err.code(), "llm_model_unavailable", "{protocol:?}: {err}");
        assert!(
            err.to_string()
                .starts_with("Model test-model is not available at "),
            "{err}"
        );
        assert_eq!(server.request_count(), 1, "{protocol:?}");
    }
}

#[tokio::test]
async fn a_context_length_error_is_named_as_such() {
    for protocol in BOTH {
        let server = server_with("plan", vec![Reply::fault(Fault::ContextLength)]).await;
        let provider = provider_for(&server, protocol);

        let err = ask(provider.as_ref(), &request("plan")).await.unwrap_err();

        assert_eq!(err.code(), "llm_context_too_long", "{protocol:?}: {err}");
        assert!(err.to_string().contains("context length"), "{err}");
    }
}

#[tokio::test]
async fn an_unreachable_server_is_retried_then_reported_with_its_address() {
    for protocol in BOTH {
        let server = ScriptedLlm::start(Script::new()).await.unwrap();
        let config = config_for(&server, protocol);
        drop(server);
        // Let the aborted accept loop release the port.
        tokio::task::yield_now().await;
        let provider = build_provider(&config).unwrap();
        let mut notices = provider.subscribe_retries().unwrap();

        let err = ask(provider.as_ref(), &request("plan")).await.unwrap_err();

        assert_eq!(err.code(), "llm_unreachable", "{protocol:?}: {err}");
        assert!(err.to_string().contains("http://127.0.0.1:"), "{err}");
        let mut retries = 0;
        while let Ok(notice) = notices.try_recv() {
            assert_eq!(notice.cause, RetryCause::Connection);
            retries += 1;
        }
        assert_eq!(retries, 3, "{protocol:?}");
    }
}

#[tokio::test]
async fn cancelling_during_a_backoff_stops_retrying() {
    for protocol in BOTH {
        // A backoff ten times longer than HANG, so returning at all means it was cut short.
        let backoff = HANG * 10;
        let server = server_with(
            "plan",
            vec![Reply::fault(Fault::rate_limited(backoff.as_secs()))],
        )
        .await;
        // A wait past the total deadline is refused up front, so the deadline is further still.
        let config = support::with_total(config_for(&server, protocol), backoff * 2);
        let retry = RetryPolicy {
            max_retry_after: backoff,
            ..config.retry.clone()
        };
        let provider = build_provider(&config.with_retry(retry)).unwrap();
        let mut notices = provider.subscribe_retries().unwrap();
        let cancel = CancellationToken::new();
        let canceller = cancel.clone();
        // The retry notice is the sign the backoff has begun.
        tokio::spawn(async move {
            if notices.recv().await.is_ok() {
                canceller.cancel();
            }
        });

        let result = tokio::time::timeout(HANG, provider.stream_chat(&request("plan"), cancel))
            .await
            .expect("the cancel ends the backoff");

        assert!(
            matches!(result, Err(Error::Cancelled)),
            "{protocol:?}: {:?}",
            result.err()
        );
        assert_eq!(server.request_count(), 1, "{protocol:?}");
    }
}

#[tokio::test]
async fn a_rate_limit_after_tokens_is_an_interruption_not_a_replay() {
    assert_interrupted(
        Fault::error_event(StreamError::RateLimit, 4),
        4,
        "Rate limit",
        IDLE,
    )
    .await;
}

#[tokio::test]
async fn a_second_request_on_the_same_provider_works_after_a_failed_one() {
    for protocol in BOTH {
        let server = server_with(
            "write a.jsx",
            vec![
                Reply::text(TEXT).with_fault(Fault::cut_after(8)),
                Reply::text(TEXT),
            ],
        )
        .await;
        let provider = provider_for(&server, protocol);

        let first = ask(provider.as_ref(), &request("write a.jsx"))
            .await
            .unwrap();
        let second = ask(provider.as_ref(), &request("write a.jsx"))
            .await
            .unwrap();

        assert!(first.error.is_some(), "{protocol:?}");
        assert_eq!(second.text, TEXT, "{protocol:?}");
        let mut stream = provider
            .stream_chat(&request("write a.jsx"), CancellationToken::new())
            .await
            .unwrap();
        assert!(stream.next().await.is_some());
    }
}

#[tokio::test]
async fn a_web_page_where_the_api_should_be_is_reported_at_once_not_retried() {
    let origin =
        support::serve_fixed_answer("text/html; charset=utf-8", "<html>Sign in</html>").await;
    let config =
        bucketforge_engine::llm::ProviderConfig::new(bucketforge_engine::llm::ProviderKind::Custom)
            .with_base_url(format!("{origin}/v1"));
    let provider = build_provider(&config).unwrap();
    let mut notices = provider.subscribe_retries().unwrap();

    let err = ask(provider.as_ref(), &request("plan")).await.unwrap_err();

    assert_eq!(err.code(), "llm_bad_response", "{err}");
    assert!(err.to_string().contains("text/html"), "{err}");
    assert!(notices.try_recv().is_err(), "no retries");
}

#[tokio::test]
async fn a_retry_after_of_u64_max_fails_at_once_with_a_rate_limit_error() {
    for protocol in BOTH {
        let server = server_with(
            "write a.jsx",
            vec![
                Reply::fault(Fault::rate_limited(u64::MAX)),
                Reply::text(TEXT),
            ],
        )
        .await;
        let provider = provider_for(&server, protocol);

        let err = ask(provider.as_ref(), &request("write a.jsx"))
            .await
            .unwrap_err();

        assert_eq!(err.code(), "llm_rate_limited", "{protocol:?}: {err}");
        assert!(matches!(err, Error::LlmRateLimitedFor { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("asked to wait more than a year"),
            "{message}"
        );
        assert!(message.contains("Try again later"), "{message}");
        assert_eq!(server.request_count(), 1, "{protocol:?}: not retried");
    }
}

#[tokio::test]
async fn a_retry_after_ms_just_past_the_cap_is_refused_rather_than_waited() {
    // The test policy waits at most 5 seconds.
    let server = server_with(
        "write a.jsx",
        vec![
            Reply::fault(Fault::rate_limited_ms(5_001)),
            Reply::text(TEXT),
        ],
    )
    .await;
    let provider = provider_for(&server, Protocol::OpenAi);

    let err = ask(provider.as_ref(), &request("write a.jsx"))
        .await
        .unwrap_err();

    assert!(
        matches!(&err, Error::LlmRateLimitedFor { wait, limit, .. } if wait == "6 seconds" && limit == "5 seconds"),
        "{err:?}"
    );
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn a_server_error_asking_to_wait_for_hours_fails_as_unavailable_without_waiting() {
    let server = server_with(
        "write a.jsx",
        vec![
            Reply::fault(Fault::Status {
                status: 503,
                retry_after_secs: Some(6 * 3600),
                retry_after_ms: None,
                message: None,
            }),
            Reply::text(TEXT),
        ],
    )
    .await;
    let provider = provider_for(&server, Protocol::OpenAi);

    let err = ask(provider.as_ref(), &request("write a.jsx"))
        .await
        .unwrap_err();

    assert_eq!(err.code(), "llm_unavailable", "{err}");
    assert!(err.to_string().contains("asked to wait 6 hours"), "{err}");
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn an_endless_error_body_is_read_only_up_to_its_cap() {
    for protocol in BOTH {
        let server = server_with(
            "write a.jsx",
            vec![Reply::fault(Fault::endless_error_body(400))],
        )
        .await;
        // A generous deadline: reading the whole body could only end there, with another error.
        let provider = build_provider(&support::with_total(
            config_for(&server, protocol),
            Duration::from_secs(30),
        ))
        .unwrap();

        let err = ask(provider.as_ref(), &request("write a.jsx"))
            .await
            .unwrap_err();

        assert_eq!(err.code(), "llm_request_rejected", "{protocol:?}: {err}");
        assert!(err.to_string().contains("and then some"), "{err}");
        assert!(
            err.to_string().len() < 2_000,
            "{} bytes",
            err.to_string().len()
        );
        expect_disconnects(&server, 1, protocol).await;
    }
}

#[tokio::test]
async fn a_key_the_server_echoes_in_any_encoding_never_reaches_the_error() {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine as _;
    let echoed = format!(
        "refused {API_KEY}, {}, {}",
        STANDARD.encode(API_KEY),
        URL_SAFE_NO_PAD.encode(API_KEY)
    );
    for protocol in BOTH {
        let server = server_with(
            "plan",
            vec![Reply::fault(Fault::Status {
                status: 400,
                retry_after_secs: None,
                retry_after_ms: None,
                message: Some(echoed.clone()),
            })],
        )
        .await;
        let provider = provider_for(&server, protocol);

        let err = ask(provider.as_ref(), &request("plan")).await.unwrap_err();

        let message = err.to_string();
        // The server's words still say what happened, with the key in none of its forms.
        assert!(
            message.contains("refused [API key], [API key], [API key]"),
            "{protocol:?}: {message}"
        );
        bucketforge_test_support::sweep::SecretSweep::new([API_KEY])
            .assert_clean("the error", message.as_bytes());
    }
}
