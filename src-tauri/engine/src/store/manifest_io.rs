//! Reading and saving a project's manifest: conditional writes (If-None-Match / If-Match)
//! where the server honours them, and a read-compare-write fallback where it does not.

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::put_object::PutObjectError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use bytes::Bytes;
use serde::Deserialize;

use super::content_type::MANIFEST_CONTENT_TYPE;
use super::failure::{classify, service_answer};
use super::keys::{ProjectKey, UserId};
use super::manifest::{Manifest, MANIFEST_SCHEMA_VERSION};
use super::object_store::{Condition, ConditionalWrites, ETag, ObjectStore};
use crate::error::Access;
use crate::sync::lock;
use crate::{Error, Result};

/// Probe objects are named so they sort apart from projects and are never taken for one.
const PROBE_PREFIX: &str = ".bucketforge-probe-";

/// What the manifest in the bucket must be for a write to go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestPrecondition {
    /// A new project: fail if anyone already wrote a manifest.
    MustNotExist,
    /// An update: fail if the manifest changed since it was read with this tag.
    MustMatch(ETag),
}

impl ObjectStore {
    /// The project's manifest and its tag, or `None` for a project without one.
    pub async fn read_manifest(&self, project: &ProjectKey) -> Result<Option<(Manifest, ETag)>> {
        let Some(file) = self
            .get_key(&project.manifest(), "reading the project's record", project)
            .await?
        else {
            return Ok(None);
        };
        let manifest = parse_manifest(project, &file.bytes)?;
        Ok(Some((manifest, file.etag)))
    }

    /// Saves the manifest only if the bucket still holds what `expected` says, so two devices
    /// never silently overwrite each other. Returns the new tag.
    pub async fn write_manifest(
        &self,
        project: &ProjectKey,
        manifest: &Manifest,
        expected: ManifestPrecondition,
    ) -> Result<ETag> {
        let body = Bytes::from(serde_json::to_vec_pretty(manifest).map_err(|e| {
            Error::ManifestUnreadable {
                slug: project.slug().to_string(),
                reason: format!("it could not be written as JSON: {e}"),
            }
        })?);
        let key = project.manifest();
        let conflict = || Error::ManifestConflict {
            slug: project.slug().to_string(),
        };
        let attempt = || {
            self.attempt(
                "saving the project's record".into(),
                Access::Write,
                project.prefix(),
            )
        };
        if self.conditional_writes(project.user()).await? == ConditionalWrites::Supported {
            let condition = match &expected {
                ManifestPrecondition::MustNotExist => Condition::IfNoneExists,
                ManifestPrecondition::MustMatch(etag) => Condition::IfMatches(etag),
            };
            match self
                .put_raw(&key, body.clone(), MANIFEST_CONTENT_TYPE, condition)
                .await
            {
                Ok(output) => return Ok(ETag::new(output.e_tag().unwrap_or_default())),
                Err(e) => match condition_outcome(&e) {
                    // The SDK retries a write whose answer was lost; if the lost attempt
                    // landed, the retry's condition fails against our own write. The manifest
                    // then holds exactly what we wrote: that is success, not a conflict.
                    ConditionOutcome::Refused => {
                        let stored = self
                            .get_key(&key, "reading the project's record back", project)
                            .await;
                        return match stored {
                            Ok(Some(stored)) if stored.bytes == body => Ok(stored.etag),
                            _ => Err(conflict()),
                        };
                    }
                    // If-Match on a manifest someone deleted: that is a conflict too.
                    ConditionOutcome::Missing => return Err(conflict()),
                    ConditionOutcome::NotImplemented => {
                        self.remember(ConditionalWrites::NotImplemented);
                    }
                    ConditionOutcome::Other => return Err(classify(e, &attempt())),
                },
            }
        }
        self.write_manifest_checked(project, &key, body, &expected)
            .await
    }

    /// Read, compare, write, read back: for servers without conditional writes.
    async fn write_manifest_checked(
        &self,
        project: &ProjectKey,
        key: &str,
        body: Bytes,
        expected: &ManifestPrecondition,
    ) -> Result<ETag> {
        let conflict = || Error::ManifestConflict {
            slug: project.slug().to_string(),
        };
        let current = self
            .head_key(key, "reading the project's record", project)
            .await?;
        let unchanged = match (expected, &current) {
            (ManifestPrecondition::MustNotExist, None) => true,
            (ManifestPrecondition::MustMatch(want), Some(head)) => *want == head.etag,
            _ => false,
        };
        if !unchanged {
            return Err(conflict());
        }
        let written = self
            .put_raw(key, body, MANIFEST_CONTENT_TYPE, Condition::Always)
            .await
            .map_err(|e| {
                classify(
                    e,
                    &self.attempt(
                        "saving the project's record".into(),
                        Access::Write,
                        project.prefix(),
                    ),
                )
            })?;
        let etag = ETag::new(written.e_tag().unwrap_or_default());
        // Someone who saved between our check and our write now owns the manifest.
        match self
            .head_key(key, "reading the project's record back", project)
            .await?
        {
            Some(head) if head.etag == etag => Ok(etag),
            _ => Err(conflict()),
        }
    }

    pub(super) fn remember(&self, mode: ConditionalWrites) {
        *lock(&self.inner.conditional) = Some(mode);
    }

    /// Whether this server honours conditional writes, found out once with a probe object
    /// under the user's own prefix and then remembered.
    pub async fn conditional_writes(&self, user: &UserId) -> Result<ConditionalWrites> {
        let known = *lock(&self.inner.conditional);
        if let Some(mode) = known {
            return Ok(mode);
        }
        let probe = self.probe_key(user);
        let prefix = ProjectKey::user_prefix(user);
        let result = self.probe_conditions(&probe, &prefix).await;
        let cleanup = self.delete_probe(&probe, &prefix).await;
        let mode = result?;
        cleanup?;
        self.remember(mode);
        Ok(mode)
    }

    pub(super) fn probe_key(&self, user: &UserId) -> String {
        let mut nonce = [0u8; 8];
        // Without randomness two devices could probe the same key; a clock is good enough.
        if getrandom::fill(&mut nonce).is_err() {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            nonce = (now.as_nanos() as u64).to_le_bytes();
        }
        format!(
            "{}{PROBE_PREFIX}{}",
            ProjectKey::user_prefix(user),
            hex::encode(nonce)
        )
    }

    /// Writes the probe once (it must not exist), then tries two writes that must be refused.
    pub(super) async fn probe_conditions(
        &self,
        probe: &str,
        prefix: &str,
    ) -> Result<ConditionalWrites> {
        let body = || Bytes::from_static(b"BucketForge connection check; safe to delete.\n");
        let write_attempt = || {
            self.attempt(
                "writing a test object".into(),
                Access::Write,
                prefix.to_string(),
            )
        };
        match self
            .put_raw(
                probe,
                body(),
                "text/plain; charset=utf-8",
                Condition::IfNoneExists,
            )
            .await
        {
            Ok(_) => {}
            Err(e) => match condition_outcome(&e) {
                ConditionOutcome::NotImplemented => {
                    self.put_raw(
                        probe,
                        body(),
                        "text/plain; charset=utf-8",
                        Condition::Always,
                    )
                    .await
                    .map_err(|e| classify(e, &write_attempt()))?;
                    return Ok(ConditionalWrites::NotImplemented);
                }
                _ => return Err(classify(e, &write_attempt())),
            },
        }
        let wrong = ETag::new("\"00000000000000000000000000000000\"");
        for condition in [Condition::IfNoneExists, Condition::IfMatches(&wrong)] {
            match self
                .put_raw(probe, body(), "text/plain; charset=utf-8", condition)
                .await
            {
                Ok(_) => return Ok(ConditionalWrites::Ignored),
                Err(e) => match condition_outcome(&e) {
                    ConditionOutcome::Refused => {}
                    ConditionOutcome::NotImplemented => {
                        return Ok(ConditionalWrites::NotImplemented)
                    }
                    ConditionOutcome::Missing | ConditionOutcome::Other => {
                        return Err(classify(e, &write_attempt()))
                    }
                },
            }
        }
        Ok(ConditionalWrites::Supported)
    }

    /// Copies `from` to `to` inside the bucket, on the server: the operation a project's history
    /// uses to keep an old version before it is overwritten.
    pub(super) async fn copy_raw(
        &self,
        from: &str,
        to: &str,
        prefix: &str,
        operation: &str,
    ) -> Result<()> {
        // The source is `bucket/key`, URL-encoded, with its slashes kept.
        const KEY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
            .remove(b'/')
            .remove(b'-')
            .remove(b'_')
            .remove(b'.')
            .remove(b'~');
        let source = format!(
            "{}/{}",
            self.inner.bucket,
            percent_encoding::utf8_percent_encode(from, KEY)
        );
        self.inner
            .client
            .copy_object()
            .bucket(&self.inner.bucket)
            .key(to)
            .copy_source(source)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                classify(
                    e,
                    &self.attempt(operation.to_string(), Access::Copy, prefix.to_string()),
                )
            })
    }

    pub(super) async fn delete_probe(&self, probe: &str, prefix: &str) -> Result<()> {
        self.delete_key(probe, "deleting the test object", prefix)
            .await
    }
}

/// How the server answered a conditional write.
enum ConditionOutcome {
    /// 412 (or 409 from AWS when two conditional writes meet): the condition did not hold.
    Refused,
    /// 404 on If-Match: the object is gone.
    Missing,
    NotImplemented,
    Other,
}

fn condition_outcome(err: &SdkError<PutObjectError, HttpResponse>) -> ConditionOutcome {
    let Some(answer) = service_answer(err) else {
        return ConditionOutcome::Other;
    };
    match (answer.status(), answer.code()) {
        (_, Some("PreconditionFailed" | "ConditionalRequestConflict")) | (Some(412 | 409), _) => {
            ConditionOutcome::Refused
        }
        (_, Some("NotImplemented")) | (Some(501), _) => ConditionOutcome::NotImplemented,
        (_, Some("NoSuchKey")) => ConditionOutcome::Missing,
        _ => ConditionOutcome::Other,
    }
}

fn parse_manifest(project: &ProjectKey, bytes: &[u8]) -> Result<Manifest> {
    let unreadable = |reason: String| Error::ManifestUnreadable {
        slug: project.slug().to_string(),
        reason,
    };
    #[derive(Deserialize)]
    struct Version {
        schema_version: u32,
    }
    // Look at the version first so a newer manifest gets "update BucketForge", not a
    // confusing complaint about some field.
    let version: Version = serde_json::from_slice(bytes)
        .map_err(|e| unreadable(format!("it is not a BucketForge record ({e})")))?;
    if version.schema_version > MANIFEST_SCHEMA_VERSION {
        return Err(Error::ManifestTooNew {
            slug: project.slug().to_string(),
            found: version.schema_version,
            supported: MANIFEST_SCHEMA_VERSION,
        });
    }
    serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::keys::Slug;

    #[test]
    fn a_manifest_from_a_newer_version_asks_for_an_update() {
        let key = ProjectKey::new(UserId::new("u").unwrap(), Slug::new("p").unwrap());
        let err = parse_manifest(&key, br#"{"schema_version": 99, "whatever": true}"#).unwrap_err();
        assert_eq!(err.code(), "manifest_too_new");
        assert!(err.to_string().contains("Update BucketForge"), "{err}");
        let err = parse_manifest(&key, b"<html>").unwrap_err();
        assert_eq!(err.code(), "manifest_unreadable");
    }
}
