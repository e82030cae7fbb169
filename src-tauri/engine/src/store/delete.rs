//! Deleting a project: its record first, then every object under its prefix.

use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use super::failure::classify;
use super::keys::ProjectKey;
use super::listing::{PageToken, MAX_PAGE_SIZE};
use super::object_store::ObjectStore;
use crate::error::{Access, ServiceDetail};
use crate::{Error, Result};

impl ObjectStore {
    /// Deletes one object; one that is already gone counts as deleted.
    pub(super) async fn delete_key(&self, key: &str, operation: &str, prefix: &str) -> Result<()> {
        self.inner
            .client
            .delete_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                classify(
                    e,
                    &self.attempt(operation.to_string(), Access::Delete, prefix.to_string()),
                )
            })
    }

    /// Deletes every object of a project and returns how many there were.
    ///
    /// The manifest goes first, so a delete cut short leaves a project that is shown as
    /// unfinished rather than one whose record lists files that are gone.
    pub async fn delete_project(&self, project: &ProjectKey) -> Result<u64> {
        let prefix = project.prefix();
        let attempt = |what: &str| self.attempt(what.to_string(), Access::Delete, prefix.clone());
        let mut deleted = 0u64;
        let manifest_key = project.manifest();
        if self
            .head_key(&manifest_key, "looking up the project's record", project)
            .await?
            .is_some()
        {
            self.delete_key(&manifest_key, "deleting the project's record", &prefix)
                .await?;
            deleted += 1;
        }
        let mut token: Option<PageToken> = None;
        loop {
            let page = self
                .list_page(
                    &prefix,
                    false,
                    MAX_PAGE_SIZE,
                    token.as_ref(),
                    "listing the project's files to delete them",
                )
                .await?;
            let batch: Vec<ObjectIdentifier> = page
                .contents()
                .iter()
                .filter_map(|o| o.key())
                .filter(|k| *k != manifest_key)
                .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
                .collect();
            if !batch.is_empty() {
                let requested = batch.len() as u64;
                let delete = Delete::builder()
                    .set_objects(Some(batch))
                    .quiet(true)
                    .build()
                    .map_err(|e| Error::StorageFailed {
                        operation: "deleting the project's files".into(),
                        detail: ServiceDetail {
                            message: Some(e.to_string()),
                            ..Default::default()
                        },
                    })?;
                let output = self
                    .inner
                    .client
                    .delete_objects()
                    .bucket(&self.inner.bucket)
                    .delete(delete)
                    .send()
                    .await
                    .map_err(|e| classify(e, &attempt("deleting the project's files")))?;
                // Some stores (moto among them) judge a batch delete by the bucket rather than
                // by each key, and refuse keys a person's policy does allow: those go one by
                // one, each judged by its own key, as a plain delete is everywhere.
                let refused: Vec<&str> = output
                    .errors()
                    .iter()
                    .filter(|e| e.code() == Some("AccessDenied"))
                    .filter_map(|e| e.key())
                    .collect();
                if refused.len() == output.errors().len() {
                    for key in refused {
                        self.inner
                            .client
                            .delete_object()
                            .bucket(&self.inner.bucket)
                            .key(key)
                            .send()
                            .await
                            .map_err(|e| classify(e, &attempt("deleting the project's files")))?;
                    }
                } else if let Some(failed) = output.errors().first() {
                    let done = requested.saturating_sub(output.errors().len() as u64);
                    return Err(Error::DeleteIncomplete {
                        slug: project.slug().to_string(),
                        deleted: deleted + done,
                        key: failed.key().unwrap_or_default().to_string(),
                        detail: ServiceDetail {
                            code: failed.code().map(str::to_string),
                            message: failed.message().map(str::to_string),
                            status: None,
                        },
                    });
                }
                deleted += requested;
            }
            match self.next_token(
                page.is_truncated(),
                page.next_continuation_token(),
                token.as_ref(),
                "listing the project's files to delete them",
            )? {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        if deleted == 0 {
            return Err(Error::ProjectNotFound {
                user: project.user().to_string(),
                slug: project.slug().to_string(),
            });
        }
        Ok(deleted)
    }
}
