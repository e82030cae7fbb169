//! The headless command line: the same engine as the window, for scripts and power users.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "bucketforge",
    version = bucketforge_engine::VERSION,
    about = "Describe an app and get a full-stack project written straight into your own S3 bucket.",
    long_about = "Describe an app and get a full-stack project written straight into your own S3 bucket.\n\nRun without a command to open the BucketForge window."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {}

/// Runs one headless command and returns the process exit code.
pub fn execute(command: Command) -> ExitCode {
    match command {}
}
