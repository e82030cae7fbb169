//! The log file for real: commands and runs write lines into it, and no secret the app holds
//! reaches it in any common encoding, with the secrets saved in the OS keyring (Secret Service
//! under the test command's D-Bus session: `dbus-run-session -- bash scripts/with-keyring.sh`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bucketforge_app::AppState;
use bucketforge_engine::secrets::{KeyringStore, SecretName, SecretStore};
use bucketforge_engine::session::Overrides;
use bucketforge_engine::settings::SettingsFile;
use bucketforge_scripted_llm::{Fault, Reply, Script, ScriptedLlm};
use bucketforge_test_support::processes::random_hex;
use bucketforge_test_support::sweep::{files_under, SecretSweep};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{WebviewUrl, WebviewWindow, WebviewWindowBuilder};

/// Every log file's bytes, one after the other.
fn log_bytes(dir: &Path) -> Vec<u8> {
    let mut files = files_under(dir);
    files.sort();
    files
        .iter()
        .flat_map(|f| std::fs::read(f).unwrap())
        .collect()
}

fn main_window(app: &tauri::App<MockRuntime>) -> WebviewWindow<MockRuntime> {
    WebviewWindowBuilder::new(app, "main", WebviewUrl::default())
        .build()
        .unwrap()
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: window.url().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| match body {
        InvokeResponseBody::Json(json) => serde_json::from_str(&json).unwrap(),
        InvokeResponseBody::Raw(raw) => panic!("unexpected raw response of {} bytes", raw.len()),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_log_records_commands_and_runs_and_no_saved_secret_in_any_encoding() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "this test needs a D-Bus session with an unlocked gnome-keyring: run it under `dbus-run-session -- bash scripts/with-keyring.sh`"
    );
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    bucketforge_app::logging::init(Some(logs.clone()), 0);

    let llm_key = format!("sk-log-{}", random_hex(16));
    let storage_secret = random_hex(20);
    let anthropic_key = format!("sk-ant-log-{}", random_hex(16));
    let typed_wrong_key = format!("sk-typed-{}", random_hex(16));
    // A provider that echoes the key back, base64-encoded and as it is, in its refusal.
    let echo = base64::engine::general_purpose::STANDARD.encode(&llm_key);
    let llm = ScriptedLlm::start(
        Script::new()
            .api_key(&llm_key)
            .models(["gpt-4o-mini"])
            .reply(
                "plan",
                Reply::fault(Fault::Status {
                    status: 400,
                    retry_after_secs: None,
                    retry_after_ms: None,
                    message: Some(format!("request refused for key {echo} ({llm_key})")),
                }),
            ),
    )
    .await
    .unwrap();

    let service = format!(
        "bucketforge-test-logs-{}-{}",
        std::process::id(),
        random_hex(4)
    );
    let keyring = Arc::new(KeyringStore::with_service(&service));
    let state = AppState::with(
        SettingsFile::in_dir(dir.path().join("config")),
        keyring.clone(),
        Overrides {
            local_dir: Some(dir.path().join("local-bucket")),
            ..Overrides::default()
        },
    );
    let app = bucketforge_app::setup(mock_builder(), state)
        .build(bucketforge_app::context())
        .unwrap();
    let main = main_window(&app);

    let settings = json!({
        "schema_version": 1,
        "storage": { "kind": "local", "bucket": "b", "region": "us-east-1", "endpoint": "",
                     "path_style": true, "access_key_id": "", "aws_profile": "", "preset": null },
        "user_id": "alice",
        "llm": { "provider": "openai", "model": "gpt-4o-mini", "base_url": llm.openai_base_url() },
        "concurrency": 2, "onboarded": true
    });
    let secrets: Vec<Value> = [
        (
            json!({ "kind": "llm_api_key", "provider": "openai" }),
            &llm_key,
        ),
        (
            json!({ "kind": "llm_api_key", "provider": "anthropic" }),
            &anthropic_key,
        ),
        (json!({ "kind": "storage_secret_key" }), &storage_secret),
    ]
    .into_iter()
    .map(|(slot, value)| json!({ "slot": slot, "value": value }))
    .collect();
    invoke(
        &main,
        "settings_save_all",
        json!({ "settings": settings, "secrets": secrets }),
    )
    .unwrap();
    // Saved for real: the keyring holds them.
    let saved = keyring
        .get(&SecretName::llm_api_key("openai"))
        .await
        .unwrap();
    assert!(saved.is_some());

    // With the secrets in play: a check that works, a typed key that is refused, a run whose
    // plan request the provider refuses while echoing the key, a project that isn't there.
    let checked = invoke(&main, "llm_check", json!({})).unwrap();
    assert_eq!(checked["model"], "gpt-4o-mini");
    invoke(
        &main,
        "llm_models",
        json!({ "provider": "openai", "baseUrl": llm.openai_base_url(), "apiKey": typed_wrong_key }),
    )
    .unwrap_err();
    invoke(
        &main,
        "generate",
        json!({ "request": { "idea": "a counter", "name": "Counter", "stack": "react" }, "onEvent": "__CHANNEL__:7" }),
    )
    .unwrap();
    let mut waited = 0;
    while invoke(&main, "runs_active", json!({})).unwrap() != json!([]) {
        assert!(waited < 1200, "the run never ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    invoke(&main, "project_get", json!({ "slug": "not-here" })).unwrap_err();
    // A line that names a saved secret outright is scrubbed all the same.
    tracing::warn!(target: "bucketforge_app", "deliberately naming the storage secret {storage_secret}");

    let log = log_bytes(&logs);
    let text = String::from_utf8_lossy(&log);
    for expected in [
        "settings_save_all",
        "llm_check",
        "llm_models",
        "generation started",
        "run failed",
        "project_get",
        "deliberately naming the storage secret [secret]",
    ] {
        assert!(
            text.contains(expected),
            "the log has no “{expected}”:\n{text}"
        );
    }
    // The provider's echo, raw and base64, was taken out of the error itself (so of the run's
    // Failed event too) before the line was written.
    let failed = text.lines().find(|l| l.contains("run failed")).unwrap();
    assert!(
        failed.contains("request refused for key [API key] ([API key])"),
        "{failed}"
    );
    let secrets = [
        &*llm_key,
        &*anthropic_key,
        &*storage_secret,
        &*typed_wrong_key,
    ];
    let sweep = SecretSweep::new(secrets);
    sweep.assert_clean("the log", &log);

    // Copy diagnostics: the same lines, the secret slots as saved or not, no secret.
    let report = invoke(&main, "diagnostics", json!({})).unwrap();
    let report = report.as_str().unwrap();
    for expected in [
        "storage secret key: saved",
        "OpenAI API key: saved",
        "Anthropic API key: saved",
        "Ollama API key: not saved",
        "\"user_id\": \"alice\"",
        "deliberately naming the storage secret [secret]",
        "request refused for key [API key] ([API key])",
    ] {
        assert!(
            report.contains(expected),
            "the report has no “{expected}”:\n{report}"
        );
    }
    let last_line = text.lines().last().unwrap();
    assert!(report.contains(last_line), "{report}");
    sweep.assert_clean("the diagnostics", report.as_bytes());

    for name in [
        SecretName::llm_api_key("openai"),
        SecretName::llm_api_key("anthropic"),
        SecretName::storage_secret_key("default"),
    ] {
        keyring.delete(&name).await.unwrap();
    }
}
