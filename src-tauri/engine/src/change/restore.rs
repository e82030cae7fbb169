//! Revisions that need no model: Restore (the files of an earlier revision back, byte for
//! byte, as a new revision), Undo (restore the parent) and a hand edit saved from the code
//! editor. Each claims the project like a run, keeps every version it replaces, and on any
//! failure puts the files it touched back.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime};

use super::history::{base_revision, put_back, read_changeable};
use crate::generate::run::project_reports;
use crate::store::lease::{rfc3339, Lease};
use crate::store::{
    file_changes, ETag, Manifest, ManifestFile, ManifestPrecondition, ObjectStore, PendingChange,
    ProjectKey, ProjectPath, ProjectStatus, Revision, RevisionFile, RevisionKind, TokenUsage,
    REVISION_SCHEMA_VERSION,
};
use crate::{Error, Result};

/// Who holds the project while a revision is made, and for how long without a word.
#[derive(Debug, Clone)]
pub struct Holder {
    pub owner: String,
    pub ttl: Duration,
}

/// A revision made: the manifest that names it, and its record.
#[derive(Debug, Clone)]
pub struct Restored {
    pub manifest: Manifest,
    pub revision: Revision,
}

/// Brings back the files of revision `n` as a new revision.
pub async fn restore(
    store: &ObjectStore,
    key: &ProjectKey,
    n: u64,
    holder: &Holder,
) -> Result<Restored> {
    let (manifest, etag) = read_changeable(store, key).await?;
    let parent = base_revision(store, key, &manifest).await?;
    let target = store.read_revision(key, n).await?;
    restore_over(store, key, manifest, etag, parent, target, holder).await
}

/// Brings back the files of the current revision's parent, as a new revision.
pub async fn undo(store: &ObjectStore, key: &ProjectKey, holder: &Holder) -> Result<Restored> {
    let (manifest, etag) = read_changeable(store, key).await?;
    let parent = base_revision(store, key, &manifest).await?;
    let Some(before) = parent.parent else {
        return Err(Error::NothingToUndo {
            slug: key.slug().to_string(),
        });
    };
    let target = store.read_revision(key, before).await?;
    restore_over(store, key, manifest, etag, parent, target, holder).await
}

/// Saves `content` over `path` as a revision "Edited by hand", if the parser accepts it and the
/// project is still at `expected` (the revision the editor opened).
pub async fn save_edit(
    store: &ObjectStore,
    key: &ProjectKey,
    path: &ProjectPath,
    content: &str,
    expected: Option<u64>,
    holder: &Holder,
) -> Result<Restored> {
    crate::validate::validate(path, content).map_err(|problem| Error::EditInvalid {
        path: path.to_string(),
        problem: problem.to_string(),
    })?;
    let (manifest, etag) = read_changeable(store, key).await?;
    if expected.is_some() && expected != manifest.current_revision {
        return Err(Error::ManifestConflict {
            slug: key.slug().to_string(),
        });
    }
    let Some(file) = manifest.files.iter().find(|f| f.path == *path).cloned() else {
        return Err(Error::FileNotFound {
            slug: key.slug().to_string(),
            path: path.to_string(),
        });
    };
    let parent = base_revision(store, key, &manifest).await?;
    let mut texts = live_texts(store, key, &manifest.files).await?;
    let started = Instant::now();
    let paths = BTreeSet::from([path.to_string()]);
    let request = "Edited by hand".to_string();
    let (claimed, claim) = claim(
        store,
        key,
        &manifest,
        etag,
        &parent,
        RevisionKind::EditedByHand,
        &request,
        &paths,
        holder,
    )
    .await?;
    let made = async {
        store.keep_version(key, path, &file.sha256).await?;
        let receipt = store
            .put_file(key, path, content.as_bytes().to_vec())
            .await?;
        let before = texts.clone();
        texts.insert(path.to_string(), content.to_string());
        let mut files = manifest.files.clone();
        for f in files.iter_mut().filter(|f| f.path == *path) {
            *f = ManifestFile {
                path: path.clone(),
                bytes: receipt.bytes,
                sha256: receipt.sha256.clone(),
                content_type: receipt.content_type.clone(),
                attempts: 0,
            };
        }
        let revision = Revision {
            kind: RevisionKind::EditedByHand,
            request: request.clone(),
            summary: format!("{path} was edited by hand."),
            files: files
                .iter()
                .map(|f| RevisionFile {
                    path: f.path.clone(),
                    sha256: f.sha256.clone(),
                    bytes: f.bytes,
                })
                .collect(),
            changes: file_changes(&before, &texts),
            plan: manifest.plan.clone(),
            ..without_model(&parent, &manifest, started)
        };
        store.write_revision(key, &revision).await?;
        Ok::<_, Error>((revision, files))
    }
    .await;
    settle(store, key, claimed, claim, &parent, &paths, made, &texts).await
}

/// Every live file's text, by path.
async fn live_texts(
    store: &ObjectStore,
    key: &ProjectKey,
    files: &[ManifestFile],
) -> Result<BTreeMap<String, String>> {
    let mut texts = BTreeMap::new();
    for file in files {
        let stored = store.get_file(key, &file.path).await?;
        texts.insert(
            file.path.to_string(),
            String::from_utf8_lossy(&stored.bytes).into_owned(),
        );
    }
    Ok(texts)
}

async fn restore_over(
    store: &ObjectStore,
    key: &ProjectKey,
    manifest: Manifest,
    etag: ETag,
    parent: Revision,
    target: Revision,
    holder: &Holder,
) -> Result<Restored> {
    let started = Instant::now();
    // Every version the target needs is found before anything changes: kept under objects/,
    // or live now (at its own path or another) and kept first.
    let mut paths = BTreeSet::new();
    for file in &target.files {
        let same = parent
            .file(file.path.as_str())
            .is_some_and(|p| p.sha256 == file.sha256);
        if same {
            continue;
        }
        paths.insert(file.path.to_string());
        if store.has_version(key, &file.sha256).await? {
            continue;
        }
        match manifest.files.iter().find(|f| f.sha256 == file.sha256) {
            Some(live) => store.keep_version(key, &live.path, &live.sha256).await?,
            None => {
                return Err(Error::VersionMissing {
                    slug: key.slug().to_string(),
                    path: file.path.to_string(),
                    revision: target.number,
                })
            }
        }
    }
    for file in &parent.files {
        if target.file(file.path.as_str()).is_none() {
            paths.insert(file.path.to_string());
        }
    }
    let before = live_texts(store, key, &manifest.files).await?;
    let request = format!("Restored version {}", target.number);
    let (claimed, claim) = claim(
        store,
        key,
        &manifest,
        etag,
        &parent,
        RevisionKind::Restored,
        &request,
        &paths,
        holder,
    )
    .await?;
    let mut texts = BTreeMap::new();
    let made = async {
        for live in manifest
            .files
            .iter()
            .filter(|f| paths.contains(f.path.as_str()))
        {
            store.keep_version(key, &live.path, &live.sha256).await?;
        }
        put_back(store, key, &target, &paths).await?;
        // Only the files in `paths` changed: the rest are as they were read before.
        texts = before.clone();
        texts.retain(|path, _| target.file(path).is_some());
        let brought: Vec<ManifestFile> = target
            .manifest_files()
            .into_iter()
            .filter(|f| paths.contains(f.path.as_str()))
            .collect();
        texts.extend(live_texts(store, key, &brought).await?);
        let revision = Revision {
            kind: RevisionKind::Restored,
            request: request.clone(),
            summary: format!(
                "The files of version {} are back: {}",
                target.number, target.summary
            ),
            restored_from: Some(target.number),
            files: target.files.clone(),
            changes: file_changes(&before, &texts),
            plan: target.plan.clone(),
            ..without_model(&parent, &manifest, started)
        };
        store.write_revision(key, &revision).await?;
        Ok::<_, Error>((revision, target.manifest_files()))
    }
    .await;
    settle(store, key, claimed, claim, &parent, &paths, made, &texts).await
}

/// The next revision after `parent`, made now without a model: the caller fills in what it
/// is and its files.
fn without_model(parent: &Revision, manifest: &Manifest, started: Instant) -> Revision {
    Revision {
        schema_version: REVISION_SCHEMA_VERSION,
        number: parent.number + 1,
        parent: Some(parent.number),
        kind: RevisionKind::Restored,
        request: String::new(),
        summary: String::new(),
        restored_from: None,
        files: Vec::new(),
        changes: Vec::new(),
        plan: manifest.plan.clone(),
        usage: TokenUsage::default(),
        provider: manifest.provider.clone(),
        model: manifest.model.clone(),
        created_at: rfc3339(SystemTime::now()),
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}

/// Takes the project for one revision, with what to put back if it never finishes.
#[allow(clippy::too_many_arguments)]
async fn claim(
    store: &ObjectStore,
    key: &ProjectKey,
    manifest: &Manifest,
    etag: ETag,
    parent: &Revision,
    kind: RevisionKind,
    request: &str,
    paths: &BTreeSet<String>,
    holder: &Holder,
) -> Result<(Manifest, ETag)> {
    let mut claimed = manifest.clone();
    claimed.status = ProjectStatus::Generating;
    claimed.revision += 1;
    claimed.lease = Some(Lease::new(&holder.owner, holder.ttl));
    claimed.current_revision = Some(parent.number);
    claimed.change = Some(PendingChange {
        base: parent.number,
        kind,
        request: request.to_string(),
        paths: paths.iter().cloned().collect(),
    });
    let etag = store
        .write_manifest(key, &claimed, ManifestPrecondition::MustMatch(etag))
        .await?;
    Ok((claimed, etag))
}

/// Records the revision made (the manifest names it, complete, with both checks over its
/// files), or on failure puts the files back as `parent` has them.
#[allow(clippy::too_many_arguments)]
async fn settle(
    store: &ObjectStore,
    key: &ProjectKey,
    claimed: Manifest,
    claim: ETag,
    parent: &Revision,
    paths: &BTreeSet<String>,
    made: Result<(Revision, Vec<ManifestFile>)>,
    texts: &BTreeMap<String, String>,
) -> Result<Restored> {
    let mut manifest = claimed;
    manifest.status = ProjectStatus::Complete;
    manifest.lease = None;
    manifest.change = None;
    manifest.error = None;
    manifest.revision += 1;
    match made {
        Ok((revision, files)) => {
            let (check, quality) = project_reports(&revision.plan, texts);
            manifest.files = files;
            manifest.plan = revision.plan.clone();
            manifest.current_revision = Some(revision.number);
            manifest.check = Some(check);
            manifest.quality = Some(quality);
            store
                .write_manifest(key, &manifest, ManifestPrecondition::MustMatch(claim))
                .await?;
            Ok(Restored { manifest, revision })
        }
        Err(e) => {
            match put_back(store, key, parent, paths).await {
                Ok(()) => {
                    manifest.files = parent.manifest_files();
                    manifest.plan = parent.plan.clone();
                    manifest.current_revision = Some(parent.number);
                    if let Err(e) = store
                        .write_manifest(key, &manifest, ManifestPrecondition::MustMatch(claim))
                        .await
                    {
                        tracing::warn!(error = %e, "put back but not recorded; Resume records it");
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not put the files back; Resume does");
                }
            }
            Err(e)
        }
    }
}
