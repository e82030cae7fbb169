//! A project's history in the bucket: one immutable record per revision
//! (`.bucketforge/revisions/{n}.json`) and a write-once copy of every file version a later
//! revision replaced or removed (`.bucketforge/objects/{sha256}`), so any revision can be
//! restored byte for byte, from any device.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::content_type::{content_type_for, MANIFEST_CONTENT_TYPE};
use super::failure::classify;
use super::keys::{ProjectKey, ProjectPath};
use super::manifest::{Manifest, ManifestFile, RevisionKind, TokenUsage};
use super::object_store::{Condition, ConditionalWrites, ObjectStore};
use crate::error::Access;
use crate::plan::Plan;
use crate::{Error, Result};

/// Bumped whenever a reader could misread a newer revision record.
pub const REVISION_SCHEMA_VERSION: u32 = 1;

/// One file of a revision: where it is and exactly which bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct RevisionFile {
    pub path: ProjectPath,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    #[ts(type = "number")]
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum FileChangeKind {
    Added,
    Modified,
    Removed,
}

/// How one file differs from the parent revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct FileChange {
    pub path: String,
    pub change: FileChangeKind,
    pub lines_added: u32,
    pub lines_removed: u32,
}

/// One revision's record: written once, never changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Revision {
    pub schema_version: u32,
    #[ts(type = "number")]
    pub number: u64,
    #[ts(type = "number | null")]
    pub parent: Option<u64>,
    pub kind: RevisionKind,
    /// What the user asked for, in their words ("Add a due date to each task"), or what they
    /// did ("Edited by hand", "Restored version 2").
    pub request: String,
    /// What was done, for the user: the change plan's summary, or the plan's.
    pub summary: String,
    /// The revision whose files a restore brought back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "number | null", optional)]
    pub restored_from: Option<u64>,
    /// Every file of the project at this revision.
    pub files: Vec<RevisionFile>,
    /// How the files differ from the parent revision's.
    pub changes: Vec<FileChange>,
    /// The plan (and its contract) the files follow at this revision.
    pub plan: Plan,
    /// What this revision alone cost.
    pub usage: TokenUsage,
    pub provider: String,
    pub model: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
}

impl Revision {
    /// The file at `path` in this revision.
    pub fn file(&self, path: &str) -> Option<&RevisionFile> {
        self.files.iter().find(|f| f.path.as_str() == path)
    }

    /// The manifest's file list for a project whose live files are this revision's.
    pub fn manifest_files(&self) -> Vec<ManifestFile> {
        self.files
            .iter()
            .map(|f| ManifestFile {
                path: f.path.clone(),
                bytes: f.bytes,
                sha256: f.sha256.clone(),
                content_type: content_type_for(&f.path),
                attempts: 0,
            })
            .collect()
    }

    /// The files a complete manifest lists, as a revision lists them.
    pub fn files_of(manifest: &Manifest) -> Vec<RevisionFile> {
        manifest
            .files
            .iter()
            .map(|f| RevisionFile {
                path: f.path.clone(),
                sha256: f.sha256.clone(),
                bytes: f.bytes,
            })
            .collect()
    }
}

/// Lower-case hex SHA-256: how revisions and the manifest name a file version.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// How each file of `after` differs from `before` (texts by path; a file missing from one side
/// was added or removed), with line counts from a real diff (the `similar` crate).
pub fn file_changes(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<FileChange> {
    let mut changes = Vec::new();
    let paths: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for path in paths {
        let (old, new) = (before.get(path), after.get(path));
        let change = match (old, new) {
            (None, Some(_)) => FileChangeKind::Added,
            (Some(_), None) => FileChangeKind::Removed,
            (Some(a), Some(b)) if a != b => FileChangeKind::Modified,
            _ => continue,
        };
        let (lines_added, lines_removed) = line_counts(
            old.map(String::as_str).unwrap_or(""),
            new.map(String::as_str).unwrap_or(""),
        );
        changes.push(FileChange {
            path: path.clone(),
            change,
            lines_added,
            lines_removed,
        });
    }
    changes
}

/// Lines added and removed between two texts.
pub fn line_counts(old: &str, new: &str) -> (u32, u32) {
    let diff = similar::TextDiff::from_lines(old, new);
    let (mut added, mut removed) = (0u32, 0u32);
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    (added, removed)
}

impl ObjectStore {
    /// Writes revision `revision.number`'s record, only if no device wrote that number first:
    /// two devices that both made "revision 3" can't both keep it.
    pub async fn write_revision(&self, project: &ProjectKey, revision: &Revision) -> Result<()> {
        let key = project.revision(revision.number);
        let body = Bytes::from(serde_json::to_vec_pretty(revision).map_err(|e| {
            Error::ManifestUnreadable {
                slug: project.slug().to_string(),
                reason: format!("a revision could not be written as JSON: {e}"),
            }
        })?);
        let conflict = || Error::ManifestConflict {
            slug: project.slug().to_string(),
        };
        let operation = format!("saving revision {}", revision.number);
        let condition =
            if self.conditional_writes(project.user()).await? == ConditionalWrites::Supported {
                Condition::IfNoneExists
            } else {
                if self.head_key(&key, &operation, project).await?.is_some() {
                    return Err(conflict());
                }
                Condition::Always
            };
        match self
            .put_raw(&key, body.clone(), MANIFEST_CONTENT_TYPE, condition)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.raw_response().map(|r| r.status().as_u16()) == Some(412) => {
                // A retried write whose first try landed finds its own record: that is ours.
                match self.get_key(&key, &operation, project).await {
                    Ok(Some(stored)) if stored.bytes == body => Ok(()),
                    _ => Err(conflict()),
                }
            }
            Err(e) => Err(classify(
                e,
                &self.attempt(operation, Access::Write, project.prefix()),
            )),
        }
    }

    /// Revision `n`'s record.
    pub async fn read_revision(&self, project: &ProjectKey, n: u64) -> Result<Revision> {
        let operation = format!("reading revision {n}");
        let Some(file) = self
            .get_key(&project.revision(n), &operation, project)
            .await?
        else {
            return Err(Error::RevisionNotFound {
                slug: project.slug().to_string(),
                revision: n,
            });
        };
        let revision: Revision =
            serde_json::from_slice(&file.bytes).map_err(|e| Error::ManifestUnreadable {
                slug: project.slug().to_string(),
                reason: format!("revision {n} is not valid: {e}"),
            })?;
        if revision.schema_version > REVISION_SCHEMA_VERSION {
            return Err(Error::ManifestTooNew {
                slug: project.slug().to_string(),
                found: revision.schema_version,
                supported: REVISION_SCHEMA_VERSION,
            });
        }
        Ok(revision)
    }

    /// Keeps the live file at `path` (whose bytes hash to `sha256`) under `objects/` before it
    /// is overwritten or deleted: a copy on the server, once per version.
    pub async fn keep_version(
        &self,
        project: &ProjectKey,
        path: &ProjectPath,
        sha256: &str,
    ) -> Result<()> {
        let to = project.object(sha256);
        let operation = format!("keeping the earlier version of “{path}”");
        if self.head_key(&to, &operation, project).await?.is_some() {
            return Ok(());
        }
        self.copy_raw(&project.file(path), &to, &project.prefix(), &operation)
            .await
    }

    /// Whether the version with this hash is kept under `objects/`.
    pub async fn has_version(&self, project: &ProjectKey, sha256: &str) -> Result<bool> {
        Ok(self
            .head_key(
                &project.object(sha256),
                "looking up a kept version",
                project,
            )
            .await?
            .is_some())
    }

    /// Puts the kept version with this hash back at `path`, a copy on the server.
    pub async fn bring_back(
        &self,
        project: &ProjectKey,
        path: &ProjectPath,
        sha256: &str,
    ) -> Result<()> {
        self.copy_raw(
            &project.object(sha256),
            &project.file(path),
            &project.prefix(),
            &format!("bringing back the earlier version of “{path}”"),
        )
        .await
    }

    /// The bytes of a kept version, or `None` when it is not kept.
    pub async fn read_version(&self, project: &ProjectKey, sha256: &str) -> Result<Option<Bytes>> {
        Ok(self
            .get_key(&project.object(sha256), "reading a kept version", project)
            .await?
            .map(|file| file.bytes))
    }

    /// Deletes one live file of a project (its version is kept first by the caller).
    pub async fn delete_file(&self, project: &ProjectKey, path: &ProjectPath) -> Result<()> {
        self.delete_key(
            &project.file(path),
            &format!("deleting “{path}”"),
            &project.prefix(),
        )
        .await
    }

    /// The live files in the bucket, by listing (not by the manifest).
    pub async fn live_paths(&self, project: &ProjectKey) -> Result<Vec<ProjectPath>> {
        Ok(self
            .list_keys(project, "listing the project's files")
            .await?
            .into_iter()
            .filter_map(|(key, _)| project.path_of(&key))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_count_lines_and_name_added_modified_and_removed_files() {
        let before = BTreeMap::from([
            ("a.js".to_string(), "one\ntwo\nthree\n".to_string()),
            ("gone.js".to_string(), "x\ny\n".to_string()),
            ("same.js".to_string(), "s\n".to_string()),
        ]);
        let after = BTreeMap::from([
            ("a.js".to_string(), "one\n2\nthree\nfour\n".to_string()),
            ("new.js".to_string(), "n\n".to_string()),
            ("same.js".to_string(), "s\n".to_string()),
        ]);
        let changes = file_changes(&before, &after);
        assert_eq!(
            changes,
            vec![
                FileChange {
                    path: "a.js".into(),
                    change: FileChangeKind::Modified,
                    lines_added: 2,
                    lines_removed: 1
                },
                FileChange {
                    path: "gone.js".into(),
                    change: FileChangeKind::Removed,
                    lines_added: 0,
                    lines_removed: 2
                },
                FileChange {
                    path: "new.js".into(),
                    change: FileChangeKind::Added,
                    lines_added: 1,
                    lines_removed: 0
                },
            ]
        );
    }
}
