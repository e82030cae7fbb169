//! The Tauri shell: commands that unpack arguments, call the engine and map its errors.

// Untrusted input reaches most of this code: a panic must never be how it fails. Tests may
// unwrap; the few reviewed exceptions carry an `allow` with the reason.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod cli;
pub mod commands;
pub mod diagnostics;
pub mod error;
pub mod logging;
pub mod preview;
pub mod renderer;
pub mod scrub;
mod signals;
mod state;
#[cfg(feature = "test-hooks")]
mod test_hooks;
pub mod updates;

use std::sync::Arc;

use tauri::{Builder, Runtime};

pub use state::AppState;

/// Expands the command list into its names and the handler that registers every one of them,
/// so the list the window is granted and the commands that exist are one.
macro_rules! command_list {
    (commands: [$($command:ident),* $(,)?], test_hooks: [$($hook:ident),* $(,)?] $(,)?) => {
        /// Every command the window may invoke: granted in capabilities/main.json, called from
        /// ui/src/api.ts.
        pub const COMMANDS: &[&str] = &[$(stringify!($command)),*];

        /// Commands that exist only in builds with the `test-hooks` feature.
        pub const TEST_HOOK_COMMANDS: &[&str] = &[$(stringify!($hook)),*];

        /// Routes each command's name to its function in `commands`.
        #[cfg(not(feature = "test-hooks"))]
        pub(crate) fn handler<R: tauri::Runtime>(
        ) -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$(crate::commands::$command),*]
        }

        /// Routes each command's name to its function in `commands` or `test_hooks`.
        #[cfg(feature = "test-hooks")]
        pub(crate) fn handler<R: tauri::Runtime>(
        ) -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$(crate::commands::$command,)* $(crate::test_hooks::$hook),*]
        }
    };
}

/// Every command the window may invoke, written once (see the file's first lines).
pub mod command_list;

/// The build-time context: config, embedded UI assets and the compiled IPC permissions.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

/// Registers the commands, plugins, state and the preview protocol on any builder, so tests
/// can hand in a mock one.
pub fn setup<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    let handler = command_list::handler();
    #[cfg(feature = "test-hooks")]
    let (builder, handler) = test_hooks::count_calls(builder, handler);
    let preview = preview::protocol(Arc::clone(&state.session), Arc::clone(&state.backends));
    builder
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(state)
        .invoke_handler(handler)
        .register_asynchronous_uri_scheme_protocol("preview", preview)
}

/// Opens the main window and runs until it closes.
pub fn run<R: Runtime>(builder: Builder<R>) {
    let state = match AppState::open() {
        Ok(state) => state,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let session = Arc::clone(&state.session);
    let app = match setup(builder, state).build(context()) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: BucketForge could not open its window: {e}");
            std::process::exit(1);
        }
    };
    // A logout or `kill` ends the app as closing its window does, runs recorded first.
    let handle = app.handle().clone();
    tauri::async_runtime::spawn(async move {
        if signals::stop_signal().await {
            handle.exit(0);
        }
    });
    app.run(move |_app, event| {
        if let tauri::RunEvent::Exit = event {
            // Closing the window or quitting cancels the runs and waits for each to record
            // `cancelled`, so no project is left looking as if it were still being written.
            tauri::async_runtime::block_on(session.shutdown(RUNS_STOP_PATIENCE));
        }
    });
}

/// How long quitting waits for running generations to record that they were cancelled.
const RUNS_STOP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);
