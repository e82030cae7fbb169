//! The scripted server as other tests and the app's end-to-end runs see it: over HTTP, and as
//! a separate process driven by a script file.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use bucketforge_scripted_llm::{Fault, Protocol, Reply, Script, ScriptedLlm};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

fn chat_url(base: &str, protocol: Protocol) -> String {
    match protocol {
        Protocol::OpenAi => format!("{base}/v1/chat/completions"),
        Protocol::Anthropic => format!("{base}/v1/messages"),
    }
}

fn chat_body(task_line: &str, stream: bool) -> Value {
    json!({
        "model": "gpt-4o-mini",
        "max_tokens": 100,
        "stream": stream,
        "messages": [
            { "role": "user", "content": "earlier turn" },
            { "role": "assistant", "content": "earlier answer" },
            { "role": "user", "content": format!("{task_line}\nmore words") }
        ]
    })
}

fn answer_text(protocol: Protocol, body: &Value) -> &str {
    match protocol {
        Protocol::OpenAi => body["choices"][0]["message"]["content"].as_str().unwrap(),
        Protocol::Anthropic => body["content"][0]["text"].as_str().unwrap(),
    }
}

async fn post(url: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .header("x-api-key", "sk-scripted-example")
        .header("authorization", "Bearer sk-scripted-example")
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_request_without_streaming_gets_the_whole_answer_in_its_protocols_shape() {
    for protocol in [Protocol::OpenAi, Protocol::Anthropic] {
        let server = ScriptedLlm::start(Script::new().reply(
            "plan",
            Reply::text("{\"name\": \"x\"}").truncated().usage(9, 3),
        ))
        .await
        .unwrap();

        let response = post(
            &chat_url(&server.url(), protocol),
            &chat_body("TASK: plan", false),
        )
        .await;

        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(answer_text(protocol, &body), "{\"name\": \"x\"}");
        match protocol {
            Protocol::OpenAi => {
                assert_eq!(body["choices"][0]["finish_reason"], "length");
                assert_eq!(body["usage"]["prompt_tokens"], 9);
            }
            Protocol::Anthropic => {
                assert_eq!(body["stop_reason"], "max_tokens");
                assert_eq!(body["usage"]["output_tokens"], 3);
            }
        }
    }
}

#[tokio::test]
async fn routing_reads_only_the_first_line_of_the_final_user_message() {
    let server = ScriptedLlm::start(
        Script::new()
            .reply("write a.py", Reply::text("A"))
            .reply("fix a.py", Reply::text("fixed A"))
            .fallback(Reply::text("fallback")),
    )
    .await
    .unwrap();
    let url = chat_url(
        &server.openai_base_url().replace("/v1", ""),
        Protocol::OpenAi,
    );

    let mut answers = Vec::new();
    for line in [
        "TASK: fix a.py",
        "TASK: write a.py",
        "no task here",
        "TASK: write b.py",
    ] {
        let body: Value = post(&url, &chat_body(line, false))
            .await
            .json()
            .await
            .unwrap();
        answers.push(answer_text(Protocol::OpenAi, &body).to_string());
    }

    assert_eq!(answers, ["fixed A", "A", "fallback", "fallback"]);
    let tasks: Vec<_> = server.requests().iter().map(|r| r.task.clone()).collect();
    assert_eq!(
        tasks,
        [
            Some("fix a.py".into()),
            Some("write a.py".into()),
            None,
            Some("write b.py".into())
        ]
    );
    assert_eq!(server.requests()[0].messages.len(), 3);
}

#[tokio::test]
async fn the_openai_path_without_v1_is_served_too() {
    let server = ScriptedLlm::start(Script::new().fallback(Reply::text("ok")))
        .await
        .unwrap();

    let response = post(
        &format!("{}/chat/completions", server.url()),
        &chat_body("TASK: plan", false),
    )
    .await;

    assert_eq!(response.status(), 200);
    assert_eq!(server.requests()[0].path, "/chat/completions");
}

#[tokio::test]
async fn a_status_fault_carries_retry_after_and_the_protocols_error_body() {
    for protocol in [Protocol::OpenAi, Protocol::Anthropic] {
        let server =
            ScriptedLlm::start(Script::new().reply("plan", Reply::fault(Fault::rate_limited(3))))
                .await
                .unwrap();

        let response = post(
            &chat_url(&server.url(), protocol),
            &chat_body("TASK: plan", true),
        )
        .await;

        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "3");
        let body: Value = response.json().await.unwrap();
        match protocol {
            Protocol::OpenAi => assert!(body["error"]["message"].is_string()),
            Protocol::Anthropic => assert_eq!(body["error"]["type"], "rate_limit_error"),
        }
    }
}

#[tokio::test]
async fn the_binary_serves_a_script_file_and_prints_its_url_first() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("script.example.json");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_scripted-llm"))
        .args(["--script", script.to_str().unwrap(), "--port", "0"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("the URL within ten seconds")
        .unwrap()
        .expect("a first line");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let body: Value = post(
        &chat_url(&url, Protocol::Anthropic),
        &chat_body("TASK: plan", false),
    )
    .await
    .json()
    .await
    .unwrap();
    let plan: Value = serde_json::from_str(answer_text(Protocol::Anthropic, &body)).unwrap();
    assert_eq!(plan["name"], "Todo List");
    assert_eq!(body["usage"]["input_tokens"], 850);

    let listed: Value = reqwest::Client::new()
        .get(format!("{url}/v1/models"))
        .bearer_auth("sk-scripted-example")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"][0]["id"], "gpt-4o-mini");

    child.kill().await.unwrap();
}

#[test]
fn the_example_script_parses() {
    let script =
        Script::from_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("script.example.json"))
            .unwrap();
    assert_eq!(script.replies["write src/App.jsx"].len(), 2);
    assert_eq!(script.replies["example faults"].len(), 11);
}
