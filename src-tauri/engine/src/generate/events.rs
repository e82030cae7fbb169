//! What a generation run reports as it goes: one enum for the UI's channel and the CLI.

use serde::Serialize;
use ts_rs::TS;

use bucketforge_check::CheckReport;

use crate::ErrorReport;

/// One step of a run. Serialised with a `type` tag, e.g. `{"type":"file_uploaded",...}`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum GenerationEvent {
    /// The run started; the plan is being written.
    Planning {},
    /// The plan is ready and the project's name is claimed in the bucket: these files will
    /// be written.
    Planned {
        slug: String,
        name: String,
        summary: String,
        files: Vec<String>,
    },
    /// A file's LLM request started.
    FileStarted { path: String },
    /// More of a file arrived.
    FileProgress {
        path: String,
        #[ts(type = "number")]
        bytes: u64,
        #[ts(type = "number")]
        tokens: u64,
    },
    /// A file failed its parser (or was cut off) and is being asked for again.
    FileRepairing {
        path: String,
        reason: String,
        attempt: u32,
    },
    /// A file is in the bucket.
    FileUploaded {
        path: String,
        key: String,
        #[ts(type = "number")]
        bytes: u64,
        #[ts(type = "number")]
        ms: u64,
    },
    /// A file from an earlier run is in the bucket with the right hash and is kept as it is.
    FileKept {
        path: String,
        #[ts(type = "number")]
        bytes: u64,
    },
    /// A change removed a file from the bucket (its version is kept in the project's history).
    FileRemoved { path: String },
    /// A file could not be produced; the run fails.
    FileFailed { path: String, error: ErrorReport },
    /// Every file landed; the run checks that they fit together (imports, packages, API).
    Checking {},
    /// What the cross-file check found after its repair rounds: counts, and each problem
    /// left in plain words.
    Checked { report: CheckReport },
    /// The provider asked to slow down; the run waits and lowers its concurrency.
    RateLimited { concurrency: u32 },
    /// Tokens used so far and their estimated cost.
    Usage {
        #[ts(type = "number")]
        prompt_tokens: u64,
        #[ts(type = "number")]
        completion_tokens: u64,
        cost_usd: Option<f64>,
        estimated: bool,
    },
    /// Every file landed and the manifest says `complete`.
    Finished {
        slug: String,
        files: u32,
        #[ts(type = "number")]
        tokens: u64,
        cost_usd: Option<f64>,
        #[ts(type = "number")]
        elapsed_ms: u64,
    },
    /// The run stopped on an error; `landed` lists the files that are in the bucket.
    Failed {
        slug: String,
        error: ErrorReport,
        landed: Vec<String>,
    },
    /// The user cancelled; `landed` lists the files that are in the bucket.
    Cancelled { slug: String, landed: Vec<String> },
}

impl GenerationEvent {
    /// Whether this event ends the run.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            GenerationEvent::Finished { .. }
                | GenerationEvent::Failed { .. }
                | GenerationEvent::Cancelled { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_a_snake_case_type_tag() {
        let e = GenerationEvent::FileUploaded {
            path: "backend/main.py".into(),
            key: "projects/a/b/backend/main.py".into(),
            bytes: 120,
            ms: 35,
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"type":"file_uploaded","path":"backend/main.py","key":"projects/a/b/backend/main.py","bytes":120,"ms":35})
        );
        assert!(!e.is_final());
        assert!(GenerationEvent::Cancelled {
            slug: "x".into(),
            landed: vec![]
        }
        .is_final());
    }
}
