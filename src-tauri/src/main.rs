//! `bucketforge`: opens the window, or runs a headless command when given one.

// Release builds on Windows get no console window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

use bucketforge_app::logging;
use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    let matches = logging::with_verbose_flag(bucketforge_app::cli::Cli::command()).get_matches();
    let cli = bucketforge_app::cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if cli.command.is_none() {
        // Still one thread here: nothing else reads the environment while it changes.
        lighter_renderer();
    }
    logging::init(logging::default_dir(), matches.get_count(logging::VERBOSE));
    tracing::info!(
        version = bucketforge_engine::VERSION,
        command = matches.subcommand_name().unwrap_or("window"),
        "BucketForge started"
    );
    if cli.command.is_none() {
        bucketforge_app::run(tauri::Builder::default());
        return ExitCode::SUCCESS;
    }
    bucketforge_app::cli::execute(cli)
}

/// Renderer settings that keep the window the same and hold less memory (bench/startup.sh):
/// GTK need not open its own GL context (the window never draws with GL), and WebKit's
/// DMA-BUF renderer doubles the web process's memory under software GL. A value the user set
/// wins, so `WEBKIT_DISABLE_DMABUF_RENDERER=0` brings WebKit's default back.
fn lighter_renderer() {
    #[cfg(target_os = "linux")]
    for (name, value) in [
        ("GDK_GL", "disable"),
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    ] {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
}
