//! The shell's IPC, driven through a mock runtime with the app's real permissions.

use std::sync::Arc;

use bucketforge_app::command_list::{COMMANDS, TEST_HOOK_COMMANDS};
use bucketforge_app::AppState;
use bucketforge_engine::secrets::{InMemorySecrets, SecretName, SecretStore};
use bucketforge_engine::session::Overrides;
use bucketforge_engine::settings::SettingsFile;
use secrecy::SecretString;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

/// The secrets every test plants, to look for them in every answer.
const S3_SECRET: &str = "s3-secret-9d2f7c41b6";
const LLM_KEY: &str = "sk-llm-key-4e8a03f9d1";

struct Rig {
    app: App<MockRuntime>,
    _dir: tempfile::TempDir,
}

async fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(InMemorySecrets::default());
    secrets
        .set(
            &SecretName::storage_secret_key("default"),
            &SecretString::from(S3_SECRET),
        )
        .await
        .unwrap();
    secrets
        .set(
            &SecretName::llm_api_key("openai"),
            &SecretString::from(LLM_KEY),
        )
        .await
        .unwrap();
    let state = AppState::with(
        SettingsFile::in_dir(dir.path().join("config")),
        secrets,
        Overrides {
            local_dir: Some(dir.path().join("local-bucket")),
            ..Overrides::default()
        },
    );
    let app = bucketforge_app::setup(mock_builder(), state)
        .build(bucketforge_app::context())
        .expect("the app builds on the mock runtime");
    Rig { app, _dir: dir }
}

fn window(app: &App<MockRuntime>, label: &str) -> WebviewWindow<MockRuntime> {
    match app.get_webview_window(label) {
        Some(w) => w,
        None => WebviewWindowBuilder::new(app, label, WebviewUrl::default())
            .build()
            .expect("a mock window opens"),
    }
}

fn request(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> InvokeRequest {
    InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        // The page the window really shows, so the origin check is the one the app makes.
        url: window.url().expect("the window has a URL"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    }
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(window, request(window, cmd, args)).map(|body| match body {
        InvokeResponseBody::Json(json) => serde_json::from_str(&json).unwrap(),
        InvokeResponseBody::Raw(raw) => panic!("unexpected raw response of {} bytes", raw.len()),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_main_window_reads_the_version_through_ipc() {
    let rig = rig().await;
    let main = window(&rig.app, "main");
    assert_eq!(
        invoke(&main, "version", json!({})),
        Ok(json!(bucketforge_engine::VERSION))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_window_without_a_capability_is_refused_and_runs_nothing() {
    let rig = rig().await;
    let main = window(&rig.app, "main");
    let before = invoke(&main, "ipc_calls", json!({})).unwrap();
    let other = window(&rig.app, "other");
    for cmd in ["version", "project_delete", "settings_get"] {
        let refused = invoke(&other, cmd, json!({"slug": "x"}))
            .expect_err("an ungranted window must be refused");
        assert!(refused.to_string().contains("not allowed"), "{refused}");
    }
    let after = invoke(&main, "ipc_calls", json!({})).unwrap();
    // Only the main window's own `ipc_calls` ran in between.
    let mut expected = before.clone();
    expected["ipc_calls"] = json!(before["ipc_calls"].as_u64().unwrap_or(0) + 1);
    assert_eq!(after, expected);
    assert_eq!(after.get("project_delete"), None);
}

/// Each listed command is granted to the main window and has a handler: with no arguments it
/// may fail on them, but never as "not allowed" or "not found".
#[tokio::test(flavor = "multi_thread")]
async fn the_main_window_reaches_every_listed_command() {
    let rig = rig().await;
    let main = window(&rig.app, "main");
    for cmd in COMMANDS.iter().chain(TEST_HOOK_COMMANDS) {
        if let Err(refused) = invoke(&main, cmd, json!({})) {
            let refused = refused.to_string();
            assert!(
                !refused.contains("not allowed")
                    && !refused.contains(&format!("Command {cmd} not found")),
                "{cmd}: {refused}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_that_does_not_exist_is_refused() {
    let rig = rig().await;
    let main = window(&rig.app, "main");
    assert!(invoke(&main, "read_secret", json!({})).is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remote_page_in_the_main_window_is_refused() {
    let rig = rig().await;
    let main = window(&rig.app, "main");
    let mut remote = request(&main, "version", json!({}));
    remote.url = "https://attacker.example/".parse().unwrap();
    assert!(get_ipc_response(&main, remote).is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn command_errors_arrive_as_code_and_message() {
    let rig = rig().await;
    let main = window(&rig.app, "main");
    let err = invoke(&main, "project_get", json!({"slug": "Not A Slug"})).unwrap_err();
    assert_eq!(err["code"], "invalid_name");
    assert!(
        err["message"].as_str().unwrap().contains("Not A Slug"),
        "{err}"
    );
}

/// Calls every registered command (command_list.rs lists them) with plausible arguments and checks
/// that no answer, success or error, carries a secret.
#[tokio::test(flavor = "multi_thread")]
async fn no_command_ever_returns_a_secret() {
    let rig = rig().await;
    let main = window(&rig.app, "main");
    let out = tempfile::tempdir().unwrap();
    let zip = out.path().join("p.zip");
    // Storage as S3 with the planted secret (unreachable, so errors speak of it), then as the
    // built-in bucket; the LLM as OpenAI with the planted key at an unreachable address.
    let remote = json!({
        "schema_version": 1,
        "storage": { "kind": "s3-compatible", "bucket": "b", "region": "us-east-1",
                     "endpoint": "http://127.0.0.1:9", "path_style": true,
                     "access_key_id": "AKIAEXAMPLE", "aws_profile": "", "preset": null },
        "user_id": "alice",
        "llm": { "provider": "openai", "model": "gpt-4o-mini", "base_url": "http://127.0.0.1:9/v1" },
        "concurrency": 6, "onboarded": true
    });
    let mut local = remote.clone();
    local["storage"]["kind"] = json!("local");
    let calls: Vec<(&str, Value)> = vec![
        ("settings_save", json!({ "settings": remote })),
        ("version", json!({})),
        ("diagnostics", json!({})),
        ("ipc_calls", json!({})),
        ("settings_get", json!({})),
        ("providers_list", json!({})),
        ("storage_presets", json!({})),
        ("storage_check", json!({})),
        ("llm_check", json!({})),
        (
            "llm_models",
            json!({ "provider": "openai", "baseUrl": null }),
        ),
        ("ollama_detect", json!({})),
        ("projects_list", json!({ "page": null, "search": null })),
        ("settings_save", json!({ "settings": local })),
        ("settings_get", json!({})),
        ("storage_check", json!({})),
        ("projects_list", json!({ "page": null, "search": "todo" })),
        (
            "generate",
            json!({ "request": { "idea": "a todo app", "name": "todo", "stack": "react" }, "onEvent": "__CHANNEL__:7" }),
        ),
        (
            "resume",
            json!({ "slug": "todo", "onEvent": "__CHANNEL__:8" }),
        ),
        ("runs_active", json!({})),
        ("cancel", json!({ "runId": "run-1" })),
        ("project_get", json!({ "slug": "todo" })),
        (
            "project_file",
            json!({ "slug": "todo", "path": "README.md" }),
        ),
        ("project_export", json!({ "slug": "todo", "out": zip })),
        (
            "project_share_link",
            json!({ "slug": "todo", "path": "README.md", "expiresInSecs": 3600 }),
        ),
        ("preview_url", json!({ "slug": "todo" })),
        ("project_delete", json!({ "slug": "todo" })),
        (
            "secret_set",
            json!({ "slot": { "kind": "llm_api_key", "provider": "anthropic" }, "value": "sk-ant-new-77aa" }),
        ),
        (
            "secret_delete",
            json!({ "slot": { "kind": "llm_api_key", "provider": "anthropic" } }),
        ),
    ];
    let mut covered = std::collections::BTreeSet::new();
    for (cmd, args) in calls {
        covered.insert(cmd);
        let answer = match invoke(&main, cmd, args) {
            Ok(v) | Err(v) => v.to_string(),
        };
        for secret in [S3_SECRET, LLM_KEY, "sk-ant-new-77aa"] {
            assert!(
                !answer.contains(secret),
                "{cmd} answered with a secret: {answer}"
            );
        }
    }
    // Every command the app registers was called.
    for name in COMMANDS.iter().chain(TEST_HOOK_COMMANDS) {
        assert!(covered.contains(name), "{name} was not called");
    }
    // The settings view reports which secrets are set, as booleans.
    let view = invoke(&main, "settings_get", json!({})).unwrap();
    assert_eq!(view["secrets"]["storage_secret_key"], true);
    assert_eq!(view["secrets"]["llm_api_keys"], json!(["openai"]));
}
