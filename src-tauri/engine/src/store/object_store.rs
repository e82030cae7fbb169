//! The one S3 client and its reads and writes. Listing, deleting, the manifest's conditional
//! writes and the connection check build on it (listing.rs, delete.rs, manifest_io.rs, check.rs).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, IdentityCache, Region, RequestChecksumCalculation,
    ResponseChecksumValidation,
};
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::put_object::{PutObjectError, PutObjectOutput};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use bytes::Bytes;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::config::{StoreConfig, StoreCredentials};
use super::content_type::content_type_for;
use super::failure::{classify, service_answer, Attempt};
use super::keys::{ProjectKey, ProjectPath};
use super::local::{LocalBucket, LocalBucketOptions};
use crate::error::{Access, ServiceDetail};
use crate::{Error, Result};

/// The most one read brings into memory: far more than any file a run writes (256 KiB) or a
/// manifest, far less than a stray video in the bucket.
pub const MAX_READ_BYTES: usize = 16 * 1024 * 1024;

/// An entity tag exactly as the server sent it (quotes included); compared without quotes.
#[derive(Debug, Clone, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ETag(String);

impl ETag {
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn bare(&self) -> &str {
        self.0.trim_start_matches("W/").trim_matches('"')
    }
}

impl PartialEq for ETag {
    fn eq(&self, other: &Self) -> bool {
        self.bare() == other.bare()
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether the server honours If-None-Match / If-Match on PutObject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ConditionalWrites {
    /// Refused writes come back as 412: manifests are protected against lost updates.
    Supported,
    /// The server answered 501 Not Implemented.
    NotImplemented,
    /// The server accepted a write it should have refused: it ignores the headers.
    Ignored,
}

impl ConditionalWrites {
    /// A sentence for `check` output, following "Conditional writes: ".
    pub fn describe(self) -> &'static str {
        match self {
            ConditionalWrites::Supported => {
                "supported, so two devices saving the same project can't overwrite each other."
            }
            ConditionalWrites::NotImplemented => {
                "not implemented by this storage. BucketForge checks a project before saving it instead, which stops stale saves but not two saves at the very same moment."
            }
            ConditionalWrites::Ignored => {
                "accepted but not enforced by this storage. BucketForge checks a project before saving it instead, which stops stale saves but not two saves at the very same moment."
            }
        }
    }
}

/// What a finished upload left in the bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PutReceipt {
    pub key: String,
    pub etag: ETag,
    /// Lower-case hex SHA-256 of the bytes sent.
    pub sha256: String,
    pub bytes: u64,
    pub content_type: String,
}

/// One object read back.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub bytes: Bytes,
    pub content_type: Option<String>,
    pub etag: ETag,
}

/// The outcome of a (possibly conditional) read.
enum Fetched {
    Found(StoredFile),
    Missing,
    Unchanged,
}

/// An object's metadata without its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileHead {
    pub bytes: u64,
    pub content_type: Option<String>,
    pub etag: ETag,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Condition<'a> {
    Always,
    IfNoneExists,
    IfMatches(&'a ETag),
}

/// A handle on one bucket; clones share one connection pool.
#[derive(Clone)]
pub struct ObjectStore {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) client: Client,
    pub(super) bucket: String,
    pub(super) region: String,
    pub(super) endpoint: String,
    pub(super) access_key_id: Option<String>,
    pub(super) conditional: Mutex<Option<ConditionalWrites>>,
    /// Keeps the built-in server running for as long as a store uses it.
    pub(super) local: Option<LocalBucket>,
}

impl fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStore")
            .field("bucket", &self.inner.bucket)
            .field("region", &self.inner.region)
            .field("endpoint", &self.inner.endpoint)
            .finish_non_exhaustive()
    }
}

type PutResult = std::result::Result<PutObjectOutput, SdkError<PutObjectError, HttpResponse>>;

impl ObjectStore {
    /// A client for a bucket of the user's own. Makes no request: `check` does that.
    pub async fn connect(config: &StoreConfig) -> Result<Self> {
        Self::build(config, None).await
    }

    /// Connects to whatever `config` chose, starting the built-in bucket only if it chose
    /// that; `local` is asked for the built-in bucket's folder and credentials then.
    pub async fn open(
        config: &StoreConfig,
        local: impl FnOnce() -> Result<LocalBucketOptions>,
    ) -> Result<Self> {
        if config.is_local() {
            let bucket = LocalBucket::start(local()?).await?;
            Self::connect_local(&bucket).await
        } else {
            Self::connect(config).await
        }
    }

    /// A client for the built-in bucket, through the same S3 code path as any other bucket.
    pub async fn connect_local(local: &LocalBucket) -> Result<Self> {
        Self::build(&local.store_config(), Some(local.clone())).await
    }

    async fn build(config: &StoreConfig, local: Option<LocalBucket>) -> Result<Self> {
        if config.bucket.trim().is_empty() {
            return Err(Error::InvalidStoreSettings {
                reason: "the bucket name is empty".into(),
            });
        }
        let policy = &config.policy;
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .force_path_style(config.path_style)
            // R2, MinIO, Garage and older servers reject the newer default checksums.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(policy.max_attempts.max(1))
                    .with_initial_backoff(policy.initial_backoff),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(policy.connect_timeout)
                    .operation_attempt_timeout(policy.attempt_timeout)
                    .operation_timeout(policy.operation_timeout)
                    .build(),
            );
        if let Some(endpoint) = &config.endpoint {
            builder = builder.endpoint_url(endpoint.clone());
        }
        if let Some(local) = &local {
            // The built-in bucket's owner can change (another process, another port): each
            // request asks where it is now, with the credentials it serves.
            builder = builder
                .interceptor(local.follower())
                .identity_cache(IdentityCache::no_cache());
        }
        let access_key_id = match &config.credentials {
            StoreCredentials::Static {
                access_key_id,
                secret_access_key,
            } => {
                builder = builder.credentials_provider(Credentials::new(
                    access_key_id.clone(),
                    secret_access_key.expose_secret().to_string(),
                    None,
                    None,
                    "bucketforge-settings",
                ));
                Some(access_key_id.clone())
            }
            StoreCredentials::AwsChain { profile } => {
                let mut loader = aws_config::defaults(BehaviorVersion::latest())
                    .region(Region::new(config.region.clone()));
                if let Some(profile) = profile {
                    loader = loader.profile_name(profile);
                }
                let shared = loader.load().await;
                builder.set_credentials_provider(shared.credentials_provider());
                None
            }
            StoreCredentials::Local if local.is_none() => {
                return Err(Error::LocalBucketNotStarted);
            }
            StoreCredentials::Local => None,
        };
        if let Some(local) = &local {
            builder = builder.credentials_provider(local.credentials());
        }
        Ok(Self {
            inner: Arc::new(Inner {
                client: Client::from_conf(builder.build()),
                bucket: config.bucket.clone(),
                region: config.region.clone(),
                endpoint: config.endpoint_for_display(),
                access_key_id,
                conditional: Mutex::new(None),
                local,
            }),
        })
    }

    /// True for the bucket built into the app: its links work only on this computer, and
    /// only while BucketForge runs.
    pub fn is_built_in(&self) -> bool {
        self.inner.local.is_some()
    }

    pub fn bucket(&self) -> &str {
        &self.inner.bucket
    }

    pub fn region(&self) -> &str {
        &self.inner.region
    }

    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    pub(super) fn attempt(&self, operation: String, access: Access, prefix: String) -> Attempt<'_> {
        Attempt {
            bucket: &self.inner.bucket,
            region: &self.inner.region,
            endpoint: &self.inner.endpoint,
            access_key_id: self.inner.access_key_id.as_deref(),
            operation,
            access,
            prefix,
        }
    }

    /// Uploads one generated file with the Content-Type its name calls for.
    pub async fn put_file(
        &self,
        project: &ProjectKey,
        path: &ProjectPath,
        body: impl Into<Bytes>,
    ) -> Result<PutReceipt> {
        let body: Bytes = body.into();
        let key = project.file(path);
        let content_type = content_type_for(path);
        let sha256 = hex::encode(Sha256::digest(&body));
        let bytes = body.len() as u64;
        let output = self
            .put_raw(&key, body, &content_type, Condition::Always)
            .await
            .map_err(|e| {
                classify(
                    e,
                    &self.attempt(format!("saving “{path}”"), Access::Write, project.prefix()),
                )
            })?;
        Ok(PutReceipt {
            key,
            etag: ETag::new(output.e_tag().unwrap_or_default()),
            sha256,
            bytes,
            content_type,
        })
    }

    pub(super) async fn put_raw(
        &self,
        key: &str,
        body: Bytes,
        content_type: &str,
        condition: Condition<'_>,
    ) -> PutResult {
        let request = self
            .inner
            .client
            .put_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body));
        let request = match condition {
            Condition::Always => request,
            Condition::IfNoneExists => request.if_none_match("*"),
            Condition::IfMatches(etag) => request.if_match(etag.as_str()),
        };
        request.send().await
    }

    /// Reads one file of a project.
    pub async fn get_file(&self, project: &ProjectKey, path: &ProjectPath) -> Result<StoredFile> {
        let operation = format!("reading “{path}”");
        match self
            .get_key(&project.file(path), &operation, project)
            .await?
        {
            Some(file) => Ok(file),
            None => Err(Error::FileNotFound {
                slug: project.slug().to_string(),
                path: path.to_string(),
            }),
        }
    }

    pub(super) async fn get_key(
        &self,
        key: &str,
        operation: &str,
        project: &ProjectKey,
    ) -> Result<Option<StoredFile>> {
        match self.get_key_unless(key, operation, project, None).await? {
            Fetched::Found(file) => Ok(Some(file)),
            Fetched::Missing => Ok(None),
            // Only a confused server answers "not modified" to an unconditional read.
            Fetched::Unchanged => Err(Error::StorageFailed {
                operation: operation.to_string(),
                detail: ServiceDetail {
                    status: Some(304),
                    message: Some("the server sent no body for a plain read".into()),
                    ..ServiceDetail::default()
                },
            }),
        }
    }

    /// Reads a file unless it still carries `etag`: the preview re-reads every file on every
    /// load, and most of them have not changed.
    pub async fn get_file_if_changed(
        &self,
        project: &ProjectKey,
        path: &ProjectPath,
        etag: &ETag,
    ) -> Result<Option<StoredFile>> {
        let operation = format!("reading “{path}”");
        match self
            .get_key_unless(&project.file(path), &operation, project, Some(etag))
            .await?
        {
            Fetched::Found(file) => Ok(Some(file)),
            Fetched::Unchanged => Ok(None),
            Fetched::Missing => Err(Error::FileNotFound {
                slug: project.slug().to_string(),
                path: path.to_string(),
            }),
        }
    }

    async fn get_key_unless(
        &self,
        key: &str,
        operation: &str,
        project: &ProjectKey,
        unless: Option<&ETag>,
    ) -> Result<Fetched> {
        let attempt = || self.attempt(operation.to_string(), Access::Read, project.prefix());
        let output = match self
            .inner
            .client
            .get_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .set_if_none_match(unless.map(|etag| etag.as_str().to_string()))
            .send()
            .await
        {
            Ok(output) => output,
            Err(e) if is_missing(&e) => return Ok(Fetched::Missing),
            Err(e) if e.raw_response().map(|r| r.status().as_u16()) == Some(304) => {
                return Ok(Fetched::Unchanged)
            }
            Err(e) => return Err(classify(e, &attempt())),
        };
        let etag = ETag::new(output.e_tag().unwrap_or_default());
        let content_type = output.content_type().map(str::to_string);
        let too_large = |bytes: u64| Error::ObjectTooLarge {
            key: key.to_string(),
            bytes,
            limit: MAX_READ_BYTES as u64,
        };
        if let Some(length) = output
            .content_length()
            .filter(|l| *l > MAX_READ_BYTES as i64)
        {
            return Err(too_large(length as u64));
        }
        // Chunk by chunk, so a body longer than it said (or than any file we write) stops at
        // the cap instead of filling the memory.
        let mut body = output.body;
        let mut bytes = bytes::BytesMut::new();
        loop {
            let chunk = body.try_next().await.map_err(|e| Error::ConnectionLost {
                endpoint: self.inner.endpoint.clone(),
                operation: operation.to_string(),
                detail: e.to_string(),
            })?;
            let Some(chunk) = chunk else { break };
            if bytes.len() + chunk.len() > MAX_READ_BYTES {
                return Err(too_large((bytes.len() + chunk.len()) as u64));
            }
            bytes.extend_from_slice(&chunk);
        }
        let bytes = bytes.freeze();
        Ok(Fetched::Found(StoredFile {
            bytes,
            content_type,
            etag,
        }))
    }

    /// A file's size, type and tag, or `None` when it is not there.
    pub async fn head_file(
        &self,
        project: &ProjectKey,
        path: &ProjectPath,
    ) -> Result<Option<FileHead>> {
        self.head_key(
            &project.file(path),
            &format!("looking up “{path}”"),
            project,
        )
        .await
    }

    pub(super) async fn head_key(
        &self,
        key: &str,
        operation: &str,
        project: &ProjectKey,
    ) -> Result<Option<FileHead>> {
        match self
            .inner
            .client
            .head_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => Ok(Some(FileHead {
                bytes: output.content_length().unwrap_or(0).max(0) as u64,
                content_type: output.content_type().map(str::to_string),
                etag: ETag::new(output.e_tag().unwrap_or_default()),
            })),
            Err(e) if is_missing(&e) => Ok(None),
            Err(e) => Err(classify(
                e,
                &self.attempt(operation.to_string(), Access::Read, project.prefix()),
            )),
        }
    }

    /// A link anyone can open until it expires, for sharing one file.
    pub async fn presigned_get_url(
        &self,
        project: &ProjectKey,
        path: &ProjectPath,
        expires_in: Duration,
    ) -> Result<String> {
        self.presign_key(
            &project.file(path),
            format!("making a link to “{path}”"),
            project.prefix(),
            expires_in,
        )
        .await
    }

    /// Stores `zip` in the project's `.bucketforge/exports/` and returns a link that downloads
    /// it until `expires_in`. Each share is a zip of its own, so an older link keeps working.
    pub async fn share_zip(
        &self,
        project: &ProjectKey,
        zip: Vec<u8>,
        expires_in: Duration,
    ) -> Result<String> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let key = project.export(&format!("{}-{stamp}.zip", project.slug()));
        self.put_raw(&key, Bytes::from(zip), "application/zip", Condition::Always)
            .await
            .map_err(|e| {
                classify(
                    e,
                    &self.attempt(
                        "saving the project's zip for its link".into(),
                        Access::Write,
                        project.prefix(),
                    ),
                )
            })?;
        self.presign_key(
            &key,
            "making a link to the project's zip".into(),
            project.prefix(),
            expires_in,
        )
        .await
    }

    async fn presign_key(
        &self,
        key: &str,
        operation: String,
        prefix: String,
        expires_in: Duration,
    ) -> Result<String> {
        let config =
            PresigningConfig::expires_in(expires_in).map_err(|e| Error::InvalidStoreSettings {
                reason: format!("a share link can't last {expires_in:?}: {e}"),
            })?;
        let request = self
            .inner
            .client
            .get_object()
            .bucket(&self.inner.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| classify(e, &self.attempt(operation, Access::Read, prefix)))?;
        Ok(request.uri().to_string())
    }
}

/// True for a 404 on an object: absence, not failure. A missing bucket is a failure.
fn is_missing<E>(err: &SdkError<E, HttpResponse>) -> bool
where
    E: aws_sdk_s3::error::ProvideErrorMetadata,
{
    match service_answer(err) {
        Some(answer) => {
            answer.code() != Some("NoSuchBucket")
                && (answer.status() == Some(404)
                    || matches!(answer.code(), Some("NoSuchKey" | "NotFound")))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_compare_without_quotes_or_weak_markers() {
        assert_eq!(ETag::new("\"abc\""), ETag::new("abc"));
        assert_eq!(ETag::new("W/\"abc\""), ETag::new("\"abc\""));
        assert_ne!(ETag::new("\"abc\""), ETag::new("\"abd\""));
    }
}
