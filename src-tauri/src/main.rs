//! `bucketforge`: opens the window, or runs a headless command when given one.

// Release builds on Windows get no console window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = bucketforge_app::cli::Cli::parse();
    if cli.command.is_none() {
        bucketforge_app::run(tauri::Builder::default());
        return ExitCode::SUCCESS;
    }
    bucketforge_app::cli::execute(cli)
}
