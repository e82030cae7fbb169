//! Commands and counters for tests only: compiled with the `test-hooks` feature (`cargo test`
//! and the end-to-end build), never into a release.

use std::collections::BTreeMap;
use std::sync::Mutex;

use tauri::ipc::Invoke;
use tauri::{Builder, Manager, Runtime, State};

/// How often each command has run, so tests can prove that nothing outside the main window ran
/// a command.
#[derive(Default)]
pub struct Calls(Mutex<BTreeMap<String, u64>>);

/// Counts every command that reaches `handler`.
pub fn count_calls<R: Runtime>(
    builder: Builder<R>,
    handler: impl Fn(Invoke<R>) -> bool + Send + Sync + 'static,
) -> (
    Builder<R>,
    impl Fn(Invoke<R>) -> bool + Send + Sync + 'static,
) {
    let counting = move |invoke: Invoke<R>| {
        let command = invoke.message.command().to_string();
        *invoke
            .message
            .webview()
            .state::<Calls>()
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(command)
            .or_default() += 1;
        handler(invoke)
    };
    (builder.manage(Calls::default()), counting)
}

/// How often each command has run; tests read it to prove that the preview pane ran none.
#[tauri::command]
pub fn ipc_calls(calls: State<'_, Calls>) -> BTreeMap<String, u64> {
    calls.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
}
