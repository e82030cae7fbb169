//! The shell's IPC, driven through a mock runtime with the app's real permissions.

use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

fn app() -> App<MockRuntime> {
    bucketforge_app::setup(mock_builder())
        .build(bucketforge_app::context())
        .expect("the app builds on the mock runtime")
}

fn window(app: &App<MockRuntime>, label: &str) -> WebviewWindow<MockRuntime> {
    match app.get_webview_window(label) {
        Some(w) => w,
        None => WebviewWindowBuilder::new(app, label, WebviewUrl::default())
            .build()
            .expect("a mock window opens"),
    }
}

fn invoke(
    window: &WebviewWindow<MockRuntime>,
    cmd: &str,
) -> Result<serde_json::Value, serde_json::Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        // The page the window really shows, so the origin check is the one the app makes.
        url: window.url().expect("the window has a URL"),
        body: InvokeBody::default(),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| match body {
        InvokeResponseBody::Json(json) => serde_json::from_str(&json).unwrap(),
        InvokeResponseBody::Raw(raw) => panic!("unexpected raw response of {} bytes", raw.len()),
    })
}

#[test]
fn the_main_window_reads_the_version_through_ipc() {
    let app = app();
    let main = window(&app, "main");
    assert_eq!(
        invoke(&main, "version"),
        Ok(serde_json::json!(bucketforge_engine::VERSION))
    );
}

#[test]
fn a_window_without_a_capability_is_refused() {
    let app = app();
    let other = window(&app, "other");
    let refused = invoke(&other, "version").expect_err("an ungranted window must be refused");
    let message = refused.to_string();
    assert!(message.contains("not allowed"), "{message}");
}

#[test]
fn a_command_that_does_not_exist_is_refused() {
    let app = app();
    let main = window(&app, "main");
    assert!(invoke(&main, "read_secret").is_err());
}

#[test]
fn a_remote_page_in_the_main_window_is_refused() {
    let app = app();
    let main = window(&app, "main");
    let request = InvokeRequest {
        cmd: "version".into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "https://attacker.example/".parse().unwrap(),
        body: InvokeBody::default(),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    assert!(get_ipc_response(&main, request).is_err());
}
