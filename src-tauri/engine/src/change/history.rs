//! What every revision-making operation (a change, Fix with AI, a restore, a hand edit) shares:
//! the revision it starts from, whether the project may be changed now, and putting live files
//! back as a revision has them.

use std::collections::BTreeSet;

use bytes::Bytes;

use crate::store::lease::rfc3339;
use crate::store::{
    ETag, Manifest, ObjectStore, ProjectKey, ProjectStatus, Revision, RevisionFile, RevisionKind,
    REVISION_SCHEMA_VERSION,
};
use crate::{Error, Result};

/// A complete project's files as its first revision, for a project written before revisions
/// existed: recorded when it is first changed.
pub fn first_revision(manifest: &Manifest) -> Revision {
    Revision {
        schema_version: REVISION_SCHEMA_VERSION,
        number: 1,
        parent: None,
        kind: RevisionKind::Generated,
        request: manifest.idea.clone(),
        summary: manifest.plan.summary.clone(),
        restored_from: None,
        files: Revision::files_of(manifest),
        changes: Vec::new(),
        plan: manifest.plan.clone(),
        usage: manifest.usage.clone(),
        provider: manifest.provider.clone(),
        model: manifest.model.clone(),
        created_at: manifest
            .timings
            .finished_at
            .clone()
            .unwrap_or_else(|| rfc3339(std::time::SystemTime::now())),
        elapsed_ms: manifest.timings.elapsed_ms,
    }
}

/// The revision a complete project is at; for a project without one, revision 1 recorded now.
pub async fn base_revision(
    store: &ObjectStore,
    key: &ProjectKey,
    manifest: &Manifest,
) -> Result<Revision> {
    match manifest.current_revision {
        Some(n) => store.read_revision(key, n).await,
        None => {
            let first = first_revision(manifest);
            match store.write_revision(key, &first).await {
                Ok(()) => Ok(first),
                // Another device recorded it a moment ago, from the same manifest.
                Err(Error::ManifestConflict { .. }) => store.read_revision(key, 1).await,
                Err(e) => Err(e),
            }
        }
    }
}

/// Whether the project may be changed now: complete, with no change left unfinished, and no
/// run writing it.
pub fn changeable(slug: &str, manifest: &Manifest) -> Result<()> {
    if let Some(busy) = manifest.busy(slug) {
        return Err(busy);
    }
    if manifest.change.is_some() {
        return Err(Error::ChangeInterrupted {
            slug: slug.to_string(),
        });
    }
    match manifest.status {
        ProjectStatus::Complete => Ok(()),
        _ => Err(Error::ProjectIncomplete {
            slug: slug.to_string(),
            landed: manifest.files.len(),
            planned: manifest.plan.files.len(),
        }),
    }
}

/// The project's manifest and its tag, if the project may be changed now.
pub async fn read_changeable(store: &ObjectStore, key: &ProjectKey) -> Result<(Manifest, ETag)> {
    let (manifest, etag) =
        store
            .read_manifest(key)
            .await?
            .ok_or_else(|| Error::ProjectNotFound {
                user: key.user().to_string(),
                slug: key.slug().to_string(),
            })?;
    changeable(key.slug().as_str(), &manifest)?;
    Ok((manifest, etag))
}

/// Makes the live files named in `paths` what `target` has: each of its versions brought back
/// from `objects/` (a file never replaced is already live), each file it lacks deleted. Every
/// version needed is looked up before anything changes.
pub async fn put_back(
    store: &ObjectStore,
    key: &ProjectKey,
    target: &Revision,
    paths: &BTreeSet<String>,
) -> Result<()> {
    let live: BTreeSet<String> = store
        .live_paths(key)
        .await?
        .into_iter()
        .map(|p| p.to_string())
        .collect();
    let mut bring = Vec::new();
    for file in target
        .files
        .iter()
        .filter(|f| paths.contains(f.path.as_str()))
    {
        if store.has_version(key, &file.sha256).await? {
            bring.push(file);
        } else if !live.contains(file.path.as_str()) {
            return Err(Error::VersionMissing {
                slug: key.slug().to_string(),
                path: file.path.to_string(),
                revision: target.number,
            });
        }
    }
    for file in bring {
        store.bring_back(key, &file.path, &file.sha256).await?;
    }
    for path in live.iter().filter(|p| paths.contains(*p)) {
        if target.file(path).is_none() {
            store
                .delete_file(key, &crate::store::ProjectPath::new(path)?)
                .await?;
        }
    }
    Ok(())
}

/// The bytes of one file version of a project: kept under `objects/`, or live at `path` when
/// the live file is that version.
pub async fn version_bytes(
    store: &ObjectStore,
    key: &ProjectKey,
    live: &Manifest,
    file: &RevisionFile,
    revision: u64,
) -> Result<Bytes> {
    if let Some(bytes) = store.read_version(key, &file.sha256).await? {
        return Ok(bytes);
    }
    let here = live
        .files
        .iter()
        .find(|f| f.sha256 == file.sha256)
        .map(|f| f.path.clone());
    if let Some(path) = here {
        let stored = store.get_file(key, &path).await?;
        if crate::store::sha256_hex(&stored.bytes) == file.sha256 {
            return Ok(stored.bytes);
        }
    }
    Err(Error::VersionMissing {
        slug: key.slug().to_string(),
        path: file.path.to_string(),
        revision,
    })
}
