//! Listing page by page: a user's projects, and a project's files.

use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use futures::stream::{self, Stream, TryStreamExt};
use serde::{Deserialize, Serialize};

use super::content_type::content_type_for;
use super::failure::classify;
use super::keys::{ProjectKey, ProjectPath, Slug, UserId};
use super::manifest::Manifest;
use super::object_store::{ETag, ObjectStore};
use crate::error::{Access, ServiceDetail};
use crate::{Error, Result};

/// S3's own ceiling for one listing or one batch delete.
pub const MAX_PAGE_SIZE: u16 = 1000;

/// Where to pick up a listing; opaque to callers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PageToken(String);

impl PageToken {
    /// A token handed back by a caller (the UI keeps it as text between pages).
    pub fn from_string(token: String) -> Self {
        Self(token)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One project found under a user's prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ProjectSummary {
    pub slug: Slug,
}

#[derive(Debug, Clone)]
pub struct ProjectPage {
    pub projects: Vec<ProjectSummary>,
    /// `None` on the last page.
    pub next_page: Option<PageToken>,
}

/// Where a project's file list came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum FileSource {
    /// The manifest: what a finished (or failed) run recorded, with hashes.
    Manifest,
    /// No manifest exists (a run writes one before its first file, so these files came from
    /// elsewhere or outlived a delete cut short): only what a listing shows.
    BareListing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ProjectFile {
    pub path: ProjectPath,
    #[ts(type = "number")]
    pub bytes: u64,
    pub sha256: Option<String>,
    pub content_type: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ProjectFiles {
    pub source: FileSource,
    pub files: Vec<ProjectFile>,
    pub manifest: Option<(Manifest, ETag)>,
}

impl ObjectStore {
    /// One page of a user's projects, in key order. Pass the previous page's token to go on.
    pub async fn list_projects_page(
        &self,
        user: &UserId,
        page: Option<&PageToken>,
        page_size: u16,
    ) -> Result<ProjectPage> {
        self.list_projects_page_starting(user, "", page, page_size)
            .await
    }

    /// One page of the user's projects whose slug starts with `slug_start` (a search).
    pub async fn list_projects_page_starting(
        &self,
        user: &UserId,
        slug_start: &str,
        page: Option<&PageToken>,
        page_size: u16,
    ) -> Result<ProjectPage> {
        let user_prefix = ProjectKey::user_prefix(user);
        // Only slug characters may extend the prefix, so a search can't reach past the user.
        let slug_start: String = slug_start
            .chars()
            .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect();
        let prefix = format!("{user_prefix}{slug_start}");
        let output = self
            .list_page(&prefix, true, page_size, page, "listing projects")
            .await?;
        let projects = output
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix())
            .filter_map(|p| p.strip_prefix(&user_prefix)?.strip_suffix('/'))
            // Anything that is not a valid slug was not put there by BucketForge.
            .filter_map(|slug| Slug::new(slug).ok())
            .map(|slug| ProjectSummary { slug })
            .collect();
        let next_page = self.next_token(
            output.is_truncated(),
            output.next_continuation_token(),
            page,
            "listing projects",
        )?;
        Ok(ProjectPage {
            projects,
            next_page,
        })
    }

    /// One ListObjectsV2 page under `prefix`. `folded` asks for `/` as the delimiter, so
    /// deeper keys come back as common prefixes (one per project).
    pub(super) async fn list_page(
        &self,
        prefix: &str,
        folded: bool,
        max_keys: u16,
        token: Option<&PageToken>,
        operation: &str,
    ) -> Result<ListObjectsV2Output> {
        self.inner
            .client
            .list_objects_v2()
            .bucket(&self.inner.bucket)
            .prefix(prefix)
            .set_delimiter(folded.then(|| "/".to_string()))
            .max_keys(i32::from(max_keys.clamp(1, MAX_PAGE_SIZE)))
            .set_continuation_token(token.map(|t| t.0.clone()))
            .send()
            .await
            .map_err(|e| {
                classify(
                    e,
                    &self.attempt(operation.to_string(), Access::List, prefix.to_string()),
                )
            })
    }

    pub(super) fn next_token(
        &self,
        truncated: Option<bool>,
        next: Option<&str>,
        previous: Option<&PageToken>,
        operation: &str,
    ) -> Result<Option<PageToken>> {
        if !truncated.unwrap_or(false) {
            return Ok(None);
        }
        match next {
            // A server that hands back the same token would have us loop for ever.
            Some(token) if previous.is_none_or(|p| p.0 != token) => {
                Ok(Some(PageToken(token.to_string())))
            }
            _ => Err(Error::StorageFailed {
                operation: operation.to_string(),
                detail: ServiceDetail {
                    code: None,
                    message: Some(
                        "the listing said more results follow but gave no new continuation token"
                            .into(),
                    ),
                    status: None,
                },
            }),
        }
    }

    /// Every project of a user, fetched page by page only as the stream is read.
    pub fn list_projects(
        &self,
        user: &UserId,
    ) -> impl Stream<Item = Result<ProjectSummary>> + Send + 'static {
        let store = self.clone();
        let user = user.clone();
        // `None` once the last page has been fetched; `Some(None)` before the first.
        let pages = stream::try_unfold(Some(None::<PageToken>), move |state| {
            let store = store.clone();
            let user = user.clone();
            async move {
                let Some(token) = state else {
                    return Ok(None);
                };
                let page = store
                    .list_projects_page(&user, token.as_ref(), MAX_PAGE_SIZE)
                    .await?;
                let next_state = page.next_page.map(Some);
                Ok::<_, Error>(Some((page.projects, next_state)))
            }
        });
        pages
            .map_ok(|projects| stream::iter(projects.into_iter().map(Ok)))
            .try_flatten()
    }

    /// Every object key under a prefix, with its size, over as many pages as it takes.
    pub(super) async fn list_keys(
        &self,
        project: &ProjectKey,
        operation: &str,
    ) -> Result<Vec<(String, u64)>> {
        let prefix = project.prefix();
        let mut keys = Vec::new();
        let mut token: Option<PageToken> = None;
        loop {
            let output = self
                .list_page(&prefix, false, MAX_PAGE_SIZE, token.as_ref(), operation)
                .await?;
            keys.extend(
                output.contents().iter().filter_map(|o| {
                    Some((o.key()?.to_string(), o.size().unwrap_or(0).max(0) as u64))
                }),
            );
            match self.next_token(
                output.is_truncated(),
                output.next_continuation_token(),
                token.as_ref(),
                operation,
            )? {
                Some(next) => token = Some(next),
                None => return Ok(keys),
            }
        }
    }

    /// A project's files: from its manifest when there is one, else from a bare listing
    /// (marked as such, since nothing vouches for those files).
    pub async fn project_files(&self, project: &ProjectKey) -> Result<ProjectFiles> {
        if let Some((manifest, etag)) = self.read_manifest(project).await? {
            let files = manifest
                .files
                .iter()
                .map(|f| ProjectFile {
                    path: f.path.clone(),
                    bytes: f.bytes,
                    sha256: Some(f.sha256.clone()),
                    content_type: Some(f.content_type.clone()),
                })
                .collect();
            return Ok(ProjectFiles {
                source: FileSource::Manifest,
                files,
                manifest: Some((manifest, etag)),
            });
        }
        let keys = self
            .list_keys(project, "listing the project's files")
            .await?;
        if keys.is_empty() {
            return Err(Error::ProjectNotFound {
                user: project.user().to_string(),
                slug: project.slug().to_string(),
            });
        }
        let files = keys
            .into_iter()
            .filter_map(|(key, bytes)| {
                let path = project.path_of(&key)?;
                Some(ProjectFile {
                    content_type: Some(content_type_for(&path)),
                    path,
                    bytes,
                    sha256: None,
                })
            })
            .collect();
        Ok(ProjectFiles {
            source: FileSource::BareListing,
            files,
            manifest: None,
        })
    }
}
