//! The session's run registry entries: a leaf the session and its runs part both read, so
//! neither imports the other's types back.

use serde::Serialize;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

/// A run in progress.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RunInfo {
    pub run_id: String,
    /// Known once the plan has named the project (always known for a resume).
    pub slug: Option<String>,
    pub idea: String,
}

/// One run in the session's registry: how to cancel it and what to show of it.
pub(super) struct RunEntry {
    pub(super) cancel: CancellationToken,
    pub(super) info: RunInfo,
}
