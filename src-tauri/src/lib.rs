//! The Tauri shell: commands that unpack arguments, call the engine and map its errors.

pub mod cli;
pub mod commands;
pub mod error;

use tauri::{Builder, Runtime};

/// The build-time context: config, embedded UI assets and the compiled IPC permissions.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}

/// Registers the commands and state on any builder, so tests can hand in a mock one.
pub fn setup<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder.invoke_handler(tauri::generate_handler![commands::version])
}

/// Opens the main window and runs until it closes.
pub fn run<R: Runtime>(builder: Builder<R>) {
    setup(builder)
        .run(context())
        .expect("BucketForge could not start its window");
}
