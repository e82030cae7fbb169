//! BucketForge's engine: everything the app and the CLI do, with no UI dependency.

pub mod error;
pub mod plan;
pub mod store;

pub use error::{Access, Error, ErrorReport, Result, ServiceDetail};

/// The engine's version, shown in the app and by `bucketforge --version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
