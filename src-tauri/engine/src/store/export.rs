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
    let fetched: Vec<(ProjectPath, bytes::Bytes)> = stream::iter(listing.files.clone())
        .map(|file| async move {
            let stored = store.get_file(project, &file.path).await?;
            if let Some(expected) = &file.sha256 {
                let actual = hex::encode(Sha256::digest(&stored.bytes));
                if &actual != expected {
                    return Err(Error::ExportFailed {
                        path: out.display().to_string(),
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

    let slug = project.slug().to_string();
    let out_path = out.to_path_buf();
    let bytes: u64 = fetched.iter().map(|(_, b)| b.len() as u64).sum();
    let files = fetched.len();
    tokio::task::spawn_blocking(move || write_zip(&out_path, &slug, &fetched))
        .await
        .map_err(|e| Error::ExportFailed {
            path: out.display().to_string(),
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
        let file = std::fs::File::create(&partial)?;
        let mut zip = ZipWriter::new(std::io::BufWriter::new(file));
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .unix_permissions(0o644);
        for (path, body) in files {
            zip.start_file(format!("{slug}/{path}"), options)
                .map_err(std::io::Error::other)?;
            zip.write_all(body)?;
        }
        let mut writer = zip.finish().map_err(std::io::Error::other)?;
        writer.flush()?;
        writer.get_ref().sync_all()?;
        drop(writer);
        std::fs::rename(&partial, out)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(failed(e.to_string()));
    }
    Ok(())
}
