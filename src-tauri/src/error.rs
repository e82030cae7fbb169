//! Command errors as the UI receives them: `{ code, message }`.

use bucketforge_engine::{Error, ErrorReport};

/// What a failing command returns over IPC; the UI switches on `code` and shows `message`.
#[derive(Debug, serde::Serialize)]
#[serde(transparent)]
pub struct CommandError(ErrorReport);

impl From<Error> for CommandError {
    fn from(e: Error) -> Self {
        Self(e.to_report())
    }
}
