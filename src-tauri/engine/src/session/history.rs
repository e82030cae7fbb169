//! A project's revisions: changing it by asking, its history, a revision's diff against its
//! parent, Restore, Undo and saving a hand edit. The window's commands and the CLI call these.

use std::sync::Arc;

use serde::Serialize;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use super::Session;
use crate::change::history::version_bytes;
use crate::change::{self, Holder};
use crate::generate::EventSink;
use crate::store::{FileChangeKind, Manifest, ProjectPath, Revision};
use crate::Result;

/// Every revision of a project, newest last.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProjectHistory {
    pub slug: String,
    /// The revision the live files are; `null` for a project without revisions yet (one
    /// written before they existed, or one still being generated).
    #[ts(type = "number | null")]
    pub current: Option<u64>,
    pub revisions: Vec<Revision>,
}

/// One file of a revision against its parent: both texts (absent where it did not exist).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct FileDiff {
    pub path: String,
    pub change: FileChangeKind,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What a revision changed, file by file.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RevisionDiff {
    #[ts(type = "number")]
    pub revision: u64,
    #[ts(type = "number | null")]
    pub parent: Option<u64>,
    pub files: Vec<FileDiff>,
}

/// A revision made by Restore, Undo or a hand edit.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RevisionMade {
    pub manifest: Manifest,
    pub revision: Revision,
}

impl From<change::Restored> for RevisionMade {
    fn from(made: change::Restored) -> Self {
        RevisionMade {
            manifest: made.manifest,
            revision: made.revision,
        }
    }
}

impl Session {
    fn holder(&self) -> Holder {
        let settings = self.generation_settings();
        Holder {
            owner: settings.owner,
            ttl: settings.lease_ttl,
        }
    }

    /// Changes a project as `request` asks, here and now (the command line's way).
    pub async fn change(
        &self,
        slug: &str,
        request: &str,
        cancel: CancellationToken,
        events: EventSink,
    ) -> Result<Manifest> {
        let key = self.project_key(slug)?;
        let generator = self.generator().await?;
        generator.change(key, request, cancel, events).await
    }

    /// Starts a change in the background; events arrive on `events` until a final one.
    pub async fn start_change(
        self: &Arc<Self>,
        slug: &str,
        request: String,
        events: EventSink,
    ) -> Result<String> {
        self.start_on_project(
            slug,
            events,
            move |generator, key, cancel, events| async move {
                generator.change(key, &request, cancel, events).await
            },
        )
        .await
    }

    /// Every revision of a project, oldest first.
    pub async fn history(&self, slug: &str) -> Result<ProjectHistory> {
        let key = self.project_key(slug)?;
        let store = self.store().await?;
        let manifest = store
            .read_manifest(&key)
            .await?
            .map(|(m, _)| m)
            .ok_or_else(|| crate::Error::ManifestMissing {
                slug: key.slug().to_string(),
            })?;
        // A change under way has written no revision past its base yet.
        let newest = manifest
            .current_revision
            .or(manifest.change.as_ref().map(|c| c.base));
        let mut revisions = Vec::new();
        for n in 1..=newest.unwrap_or(0) {
            revisions.push(store.read_revision(&key, n).await?);
        }
        Ok(ProjectHistory {
            slug: key.slug().to_string(),
            current: manifest.current_revision,
            revisions,
        })
    }

    /// What revision `n` changed against its parent, with both texts of every file it touched.
    pub async fn revision_diff(&self, slug: &str, n: u64) -> Result<RevisionDiff> {
        let key = self.project_key(slug)?;
        let store = self.store().await?;
        let live = store
            .read_manifest(&key)
            .await?
            .map(|(m, _)| m)
            .ok_or_else(|| crate::Error::ManifestMissing {
                slug: key.slug().to_string(),
            })?;
        let revision = store.read_revision(&key, n).await?;
        let parent = match revision.parent {
            Some(p) => Some(store.read_revision(&key, p).await?),
            None => None,
        };
        let text = |bytes: bytes::Bytes| String::from_utf8_lossy(&bytes).into_owned();
        let mut files = Vec::new();
        for change in &revision.changes {
            let before = match parent.as_ref().and_then(|p| p.file(&change.path)) {
                Some(file) => Some(text(
                    version_bytes(&store, &key, &live, file, revision.parent.unwrap_or(n)).await?,
                )),
                None => None,
            };
            let after = match revision.file(&change.path) {
                Some(file) => Some(text(version_bytes(&store, &key, &live, file, n).await?)),
                None => None,
            };
            files.push(FileDiff {
                path: change.path.clone(),
                change: change.change,
                before,
                after,
            });
        }
        Ok(RevisionDiff {
            revision: n,
            parent: revision.parent,
            files,
        })
    }

    /// Brings back revision `n`'s files as a new revision.
    pub async fn restore(&self, slug: &str, n: u64) -> Result<RevisionMade> {
        let key = self.project_key(slug)?;
        let store = self.store().await?;
        Ok(change::restore(&store, &key, n, &self.holder())
            .await?
            .into())
    }

    /// Brings back the current revision's parent as a new revision.
    pub async fn undo(&self, slug: &str) -> Result<RevisionMade> {
        let key = self.project_key(slug)?;
        let store = self.store().await?;
        Ok(change::undo(&store, &key, &self.holder()).await?.into())
    }

    /// Saves a file edited by hand as a new revision, if its parser accepts it and the project
    /// is still at `expected`.
    pub async fn save_edit(
        &self,
        slug: &str,
        path: &str,
        content: &str,
        expected: Option<u64>,
    ) -> Result<RevisionMade> {
        let key = self.project_key(slug)?;
        let path = ProjectPath::new(path)?;
        let store = self.store().await?;
        Ok(
            change::save_edit(&store, &key, &path, content, expected, &self.holder())
                .await?
                .into(),
        )
    }
}
