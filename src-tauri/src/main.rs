//! `bucketforge`: opens the window, or runs a headless command when given one.

// Release builds on Windows get no console window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

use bucketforge_app::logging;
use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    let matches = logging::with_verbose_flag(bucketforge_app::cli::Cli::command()).get_matches();
    let cli = bucketforge_app::cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // Before the log's writer thread starts: choosing the renderer changes the environment.
    let renderer = cli
        .command
        .is_none()
        .then(bucketforge_app::renderer::prepare);
    logging::init(logging::default_dir(), matches.get_count(logging::VERBOSE));
    tracing::info!(
        version = bucketforge_engine::VERSION,
        command = matches.subcommand_name().unwrap_or("window"),
        "BucketForge started"
    );
    if let Some(renderer) = renderer {
        tracing::info!(?renderer, "window renderer chosen");
        bucketforge_app::run(tauri::Builder::default());
        return ExitCode::SUCCESS;
    }
    bucketforge_app::cli::execute(cli)
}
