//! A project out of the bucket into one zip file: the only local write, to a file the user names.

use std::io::Write;
use std::path::{Path, PathBuf};

use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::listing::FileSource;
use super::object_store::ObjectStore;
use super::{ProjectKey, ProjectPath, ProjectStatus};
use crate::{Error, Result};

/// Files fetched at once while exporting.
const FETCH_CONCURRENCY: usize = 8;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ExportSummary {
    pub path: PathBuf,
    pub files: usize,
    #[ts(type = "number")]
    pub bytes: u64,
    pub source: FileSource,
    /// False when the project was not complete and only what landed was exported.
    pub complete: bool,
}

/// Writes every file of the project into `out` as `{slug}/{path}` entries.
///
/// Files listed in the manifest are checked against its SHA-256, so a zip never passes off
/// changed or half-written files as the recorded project. The zip is built beside `out`
/// and renamed into place, so a failed export leaves no partial file.
///
/// A project whose record says it is not complete is exported only with `partial`: a zip
/// of half an app should never pass for the app.
pub async fn export_project(
    store: &ObjectStore,
    project: &ProjectKey,
    out: &Path,
    partial: bool,
) -> Result<ExportSummary> {
    let where_to = out.display().to_string();
    let fetched = fetch_checked(store, project, partial, &where_to).await?;
    let slug = project.slug().to_string();
    let out_path = out.to_path_buf();
    let bytes: u64 = fetched.files.iter().map(|(_, b)| b.len() as u64).sum();
    let files = fetched.files.len();
    let (source, complete) = (fetched.source, fetched.complete);
    tokio::task::spawn_blocking(move || write_zip(&out_path, &slug, &fetched.files))
        .await
        .map_err(|e| Error::ExportFailed {
            path: where_to,
            reason: format!("the export stopped unexpectedly ({e})"),
        })??;
    Ok(ExportSummary {
        path: out.to_path_buf(),
        files,
        bytes,
        source,
        complete,
    })
}

/// A complete project as one zip in memory, for a link: its files checked as an export checks
/// them, under `{slug}/`. Returns the zip and the number of files in it.
pub async fn project_zip(
    store: &ObjectStore,
    project: &ProjectKey,
    label: &str,
) -> Result<(Vec<u8>, usize)> {
    let fetched = fetch_checked(store, project, false, label).await?;
    let slug = project.slug().to_string();
    let files = fetched.files.len();
    let label = label.to_string();
    tokio::task::spawn_blocking(move || zip_bytes(&slug, &fetched.files))
        .await
        .map_err(|e| Error::ExportFailed {
            path: label.clone(),
            reason: format!("the zip stopped unexpectedly ({e})"),
        })?
        .map(|zip| (zip, files))
        .map_err(|e| Error::ExportFailed {
            path: label,
            reason: e.to_string(),
        })
}

/// A project's files as an export takes them.
struct Fetched {
    files: Vec<(ProjectPath, bytes::Bytes)>,
    source: FileSource,
    complete: bool,
}

/// Every file of the project, each checked against the SHA-256 its record names; an incomplete
/// project only with `partial`. `label` names the export in errors.
async fn fetch_checked(
    store: &ObjectStore,
    project: &ProjectKey,
    partial: bool,
    label: &str,
) -> Result<Fetched> {
    let listing = store.project_files(project).await?;
    let source = listing.source;
    let complete = match &listing.manifest {
        Some((manifest, _)) => manifest.status == ProjectStatus::Complete,
        // A bare listing has no record to say what is missing.
        None => true,
    };
    if !complete && !partial {
        let planned = listing
            .manifest
            .as_ref()
            .map_or(0, |(m, _)| m.plan.files.len());
        return Err(Error::ProjectIncomplete {
            slug: project.slug().to_string(),
            landed: listing.files.len(),
            planned,
        });
    }
    let files: Vec<(ProjectPath, bytes::Bytes)> = stream::iter(listing.files.clone())
        .map(|file| async move {
            let stored = store.get_file(project, &file.path).await?;
            if let Some(expected) = &file.sha256 {
                let actual = hex::encode(Sha256::digest(&stored.bytes));
                if &actual != expected {
                    return Err(Error::ExportFailed {
                        path: label.to_string(),
                        reason: format!(
                            "“{}” in the bucket is not the file the project recorded (its \
                             SHA-256 differs); it may have been changed outside BucketForge",
                            file.path
                        ),
                    });
                }
            }
            Ok((file.path, stored.bytes))
        })
        .buffered(FETCH_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(Fetched {
        files,
        source,
        complete,
    })
}

/// The zip of `files` under `{slug}/`, in memory.
fn zip_bytes(slug: &str, files: &[(ProjectPath, bytes::Bytes)]) -> std::io::Result<Vec<u8>> {
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .unix_permissions(0o644);
    for (path, body) in files {
        zip.start_file(format!("{slug}/{path}"), options)
            .map_err(std::io::Error::other)?;
        zip.write_all(body)?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}

fn write_zip(out: &Path, slug: &str, files: &[(ProjectPath, bytes::Bytes)]) -> Result<()> {
    let failed = |reason: String| Error::ExportFailed {
        path: out.display().to_string(),
        reason,
    };
    let file_name = out
        .file_name()
        .ok_or_else(|| failed("it names a folder, not a file".into()))?;
    let partial = out.with_file_name(format!(".{}.partial", file_name.to_string_lossy()));
    let result = (|| -> std::io::Result<()> {
        let zip = zip_bytes(slug, files)?;
        let mut file = std::fs::File::create(&partial)?;
        file.write_all(&zip)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&partial, out)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(failed(e.to_string()));
    }
    Ok(())
}
