//! BucketForge's engine: everything the app and the CLI do, with no UI dependency.

pub mod error;
pub mod llm;
pub mod plan;
pub mod store;

pub use error::{Error, ErrorReport, Result};

/// The engine's version, shown in the app and by `bucketforge --version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
