//! The one S3 client: every read and write of projects, manifests and probes goes through here.

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
use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use aws_sdk_s3::operation::put_object::{PutObjectError, PutObjectOutput};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_sdk_s3::Client;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use bytes::Bytes;
use futures::stream::{self, Stream, TryStreamExt};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::content_type::{content_type_for, MANIFEST_CONTENT_TYPE};
use super::failure::{classify, service_answer, Attempt};
use super::local::{LocalBucket, LocalBucketOptions};
use super::{
    Manifest, ProjectKey, ProjectPath, Slug, StoreConfig, StoreCredentials, UserId,
    MANIFEST_SCHEMA_VERSION,
};
use crate::error::{Access, ServiceDetail};
use crate::sync::lock;
use crate::{Error, Result};

/// The most one read brings into memory: far more than any file a run writes (256 KiB) or a
/// manifest, far less than a stray video in the bucket.
pub const MAX_READ_BYTES: usize = 16 * 1024 * 1024;

/// S3's own ceiling for one listing or one batch delete.
pub const MAX_PAGE_SIZE: u16 = 1000;

/// Probe objects are named so they sort apart from projects and are never taken for one.
const PROBE_PREFIX: &str = ".bucketforge-probe-";

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

/// What the manifest in the bucket must be for a write to go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestPrecondition {
    /// A new project: fail if anyone already wrote a manifest.
    MustNotExist,
    /// An update: fail if the manifest changed since it was read with this tag.
    MustMatch(ETag),
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
    /// No manifest exists (a run still going, or one that died): only what a listing shows.
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

/// What `check` found out about the bucket and the keys.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ConnectionReport {
    pub bucket: String,
    pub region: String,
    pub endpoint: String,
    /// Where the probe object was written and deleted again.
    pub probe_key: String,
    pub can_list: bool,
    pub can_write: bool,
    pub can_read: bool,
    pub can_delete: bool,
    pub conditional_writes: ConditionalWrites,
    /// Sentences for the user.
    pub notes: Vec<String>,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Copy)]
enum Condition<'a> {
    Always,
    IfNoneExists,
    IfMatches(&'a ETag),
}

/// A handle on one bucket; clones share one connection pool.
#[derive(Clone)]
pub struct ObjectStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    bucket: String,
    region: String,
    endpoint: String,
    access_key_id: Option<String>,
    conditional: Mutex<Option<ConditionalWrites>>,
    /// Keeps the built-in server running for as long as a store uses it.
    local: Option<LocalBucket>,
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

    fn attempt(&self, operation: String, access: Access, prefix: String) -> Attempt<'_> {
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

    async fn put_raw(
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

    async fn get_key(
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

    async fn head_key(
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
        let config =
            PresigningConfig::expires_in(expires_in).map_err(|e| Error::InvalidStoreSettings {
                reason: format!("a share link can't last {expires_in:?}: {e}"),
            })?;
        let request = self
            .inner
            .client
            .get_object()
            .bucket(&self.inner.bucket)
            .key(project.file(path))
            .presigned(config)
            .await
            .map_err(|e| {
                classify(
                    e,
                    &self.attempt(
                        format!("making a link to “{path}”"),
                        Access::Read,
                        project.prefix(),
                    ),
                )
            })?;
        Ok(request.uri().to_string())
    }

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
    async fn list_page(
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

    fn next_token(
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
    async fn list_keys(&self, project: &ProjectKey, operation: &str) -> Result<Vec<(String, u64)>> {
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
            self.inner
                .client
                .delete_object()
                .bucket(&self.inner.bucket)
                .key(&manifest_key)
                .send()
                .await
                .map_err(|e| classify(e, &attempt("deleting the project's record")))?;
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
                if let Some(failed) = output.errors().first() {
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

    fn remember(&self, mode: ConditionalWrites) {
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

    fn probe_key(&self, user: &UserId) -> String {
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
    async fn probe_conditions(&self, probe: &str, prefix: &str) -> Result<ConditionalWrites> {
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

    async fn delete_probe(&self, probe: &str, prefix: &str) -> Result<()> {
        self.inner
            .client
            .delete_object()
            .bucket(&self.inner.bucket)
            .key(probe)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| {
                classify(
                    e,
                    &self.attempt(
                        "deleting the test object".into(),
                        Access::Delete,
                        prefix.to_string(),
                    ),
                )
            })
    }

    /// Tries everything BucketForge needs (list, write, read, delete, conditional writes)
    /// under the user's own prefix, and names the first thing that fails.
    pub async fn check(&self, user: &UserId) -> Result<ConnectionReport> {
        let started = std::time::Instant::now();
        let prefix = ProjectKey::user_prefix(user);
        self.list_page(&prefix, true, 1, None, "listing projects")
            .await?;

        let probe = self.probe_key(user);
        let conditional = match self.probe_conditions(&probe, &prefix).await {
            Ok(mode) => mode,
            Err(e) => {
                // The probe may exist if only a later step failed; leave nothing behind.
                let _ = self.delete_probe(&probe, &prefix).await;
                return Err(e);
            }
        };
        let read = self
            .inner
            .client
            .get_object()
            .bucket(&self.inner.bucket)
            .key(&probe)
            .send()
            .await;
        if let Err(e) = read {
            let _ = self.delete_probe(&probe, &prefix).await;
            return Err(classify(
                e,
                &self.attempt(
                    "reading the test object".into(),
                    Access::Read,
                    prefix.clone(),
                ),
            ));
        }
        self.delete_probe(&probe, &prefix).await?;
        self.remember(conditional);

        let mut notes = vec![
            format!("BucketForge can list, write, read and delete under “{prefix}”."),
            format!("Conditional writes: {}", conditional.describe()),
        ];
        if self.inner.local.is_some() {
            notes.push("This is the built-in bucket on this computer.".into());
        }
        Ok(ConnectionReport {
            bucket: self.inner.bucket.clone(),
            region: self.inner.region.clone(),
            endpoint: self.inner.endpoint.clone(),
            probe_key: probe,
            can_list: true,
            can_write: true,
            can_read: true,
            can_delete: true,
            conditional_writes: conditional,
            notes,
            elapsed_ms: started.elapsed().as_millis() as u64,
        })
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

    #[test]
    fn etags_compare_without_quotes_or_weak_markers() {
        assert_eq!(ETag::new("\"abc\""), ETag::new("abc"));
        assert_eq!(ETag::new("W/\"abc\""), ETag::new("\"abc\""));
        assert_ne!(ETag::new("\"abc\""), ETag::new("\"abd\""));
    }

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
