//! The run manifest at `.bucketforge/manifest.json`: what a run planned and what really landed.

use serde::{Deserialize, Serialize};

use super::keys::ProjectPath;
use super::lease::{Lease, LeaseState};
use crate::plan::Plan;
use crate::Error;
use bucketforge_check::quality::QualityReport;
use bucketforge_check::CheckReport;

/// Bumped whenever a reader could misread a newer manifest.
pub const MANIFEST_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "lowercase")]
pub enum ProjectStatus {
    Generating,
    Complete,
    Failed,
    Cancelled,
}

/// One file that is in the bucket, exactly as uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ManifestFile {
    pub path: ProjectPath,
    #[ts(type = "number")]
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the uploaded bytes.
    pub sha256: String,
    pub content_type: String,
    /// LLM requests it took: 1 for a first-time success, more after repairs or continuations.
    pub attempts: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TokenUsage {
    #[ts(type = "number")]
    pub prompt_tokens: u64,
    #[ts(type = "number")]
    pub completion_tokens: u64,
    /// True when some provider did not report usage and the numbers are estimates.
    #[serde(default)]
    pub estimated: bool,
    /// Estimated cost in US dollars, when the model's prices are known.
    #[serde(default)]
    pub cost_usd: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Timings {
    /// RFC 3339 UTC.
    pub started_at: String,
    #[serde(default)]
    pub finished_at: Option<String>,
    #[serde(default)]
    #[ts(type = "number")]
    pub elapsed_ms: u64,
}

/// Everything a reader needs to trust a project without listing the bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Manifest {
    pub schema_version: u32,
    pub status: ProjectStatus,
    pub name: String,
    pub idea: String,
    pub plan: Plan,
    pub provider: String,
    pub model: String,
    /// Only files that are really in the bucket, with their hashes.
    pub files: Vec<ManifestFile>,
    pub usage: TokenUsage,
    pub timings: Timings,
    /// Starts at 1 and grows by one with every write of this manifest.
    #[ts(type = "number")]
    pub revision: u64,
    /// What went wrong, in words for the user, when the status is `failed`.
    #[serde(default)]
    pub error: Option<String>,
    /// The run writing the project, while the status is `generating`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
    /// How the files fit together (the cross-file check) when the run last checked them,
    /// with every problem left; absent on projects written before the check existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckReport>,
    /// How the files hold to the recipes the prompts give (checks that need no model), when
    /// the run last checked them; absent on projects written before these checks existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<QualityReport>,
    /// The revision the live files are (`revisions/{n}.json`); absent until a first
    /// generation completes, and on projects written before revisions existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "number | null")]
    pub current_revision: Option<u64>,
    /// A change, restore or hand edit under way: what Resume undoes if it never finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<PendingChange>,
}

/// What made a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum RevisionKind {
    /// The first generation of the project (or, for a project written before revisions
    /// existed, its state when it was first changed).
    Generated,
    /// A change the user asked for.
    Changed,
    /// The user edited a file in the code editor.
    EditedByHand,
    /// The files of an earlier revision, brought back (Restore, Undo).
    Restored,
    /// Fix with AI: targeted repairs of files that did not fit together.
    Fixed,
}

/// A revision being made over the live files. Until it is recorded, the live files may be half
/// changed; `base`'s files (with the versions kept under `objects/`) are what they go back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct PendingChange {
    /// The revision the change started from.
    #[ts(type = "number")]
    pub base: u64,
    pub kind: RevisionKind,
    pub request: String,
    /// Every file it may write or delete; only these go back.
    pub paths: Vec<String>,
}

impl Manifest {
    /// A new project's record, before any file has landed: `generating`, revision 1.
    pub fn new(
        idea: impl Into<String>,
        plan: Plan,
        provider: impl Into<String>,
        model: impl Into<String>,
        started_at: impl Into<String>,
    ) -> Manifest {
        Manifest {
            schema_version: MANIFEST_SCHEMA_VERSION,
            status: ProjectStatus::Generating,
            name: plan.name.clone(),
            idea: idea.into(),
            plan,
            provider: provider.into(),
            model: model.into(),
            files: Vec::new(),
            usage: TokenUsage::default(),
            timings: Timings {
                started_at: started_at.into(),
                finished_at: None,
                elapsed_ms: 0,
            },
            revision: 1,
            error: None,
            lease: None,
            check: None,
            quality: None,
            current_revision: None,
            change: None,
        }
    }

    /// The refusal to write this project now, when a run that still checks in holds it. A
    /// stale lease, or none on a `generating` record from before leases, holds nothing.
    pub fn busy(&self, slug: &str) -> Option<Error> {
        if self.status != ProjectStatus::Generating {
            return None;
        }
        let lease = self.lease.as_ref()?;
        match lease.state(std::time::SystemTime::now()) {
            LeaseState::Live { owner, secs_ago } => Some(Error::ProjectBusy {
                slug: slug.to_string(),
                owner,
                secs_ago,
                ttl_secs: lease.ttl_secs,
            }),
            LeaseState::Stale { .. } => None,
        }
    }
}
