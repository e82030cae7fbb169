//! BucketForge's engine: everything the app and the CLI do, with no UI dependency.

// Untrusted input reaches most of this code: a panic must never be how it fails. Tests may
// unwrap; the few reviewed exceptions carry an `allow` with the reason.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod answer;
#[cfg(test)]
mod bindings;
pub mod change;
pub mod error;
pub mod file_kind;
pub mod generate;
pub mod limits;
pub mod llm;
pub mod plan;
pub mod preview;
pub mod secrets;
pub mod session;
pub mod settings;
mod spoken;
pub mod store;
mod sync;
pub mod updates;
pub mod validate;

pub use error::{Access, Error, ErrorCode, ErrorReport, FixIn, Result, ServiceDetail};

/// The engine's version, shown in the app and by `bucketforge --version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
