//! The built-in bucket: an S3 server inside the app, on loopback, so a first run needs no account.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnectionBuilder;
use s3s::auth::SimpleAuth;
use s3s::dto::*;
use s3s::service::S3ServiceBuilder;
use s3s::{S3Request, S3Response, S3Result, S3};
use s3s_fs::FileSystem;
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use super::config::{ConnectionPolicy, StoreConfig, StoreCredentials, DEFAULT_REGION};
use crate::{Error, Result};

/// The one bucket the built-in server holds.
pub const LOCAL_BUCKET: &str = "bucketforge";

/// The app's identifier, so the data sits in the same folder Tauri gives the app.
const APP_IDENTIFIER: &str = "app.bucketforge.desktop";

/// How to start the built-in bucket. The credentials only ever live in memory.
#[derive(Clone)]
pub struct LocalBucketOptions {
    pub data_dir: PathBuf,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

impl fmt::Debug for LocalBucketOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalBucketOptions")
            .field("data_dir", &self.data_dir)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[redacted]")
            .finish()
    }
}

impl LocalBucketOptions {
    pub fn new(
        data_dir: impl Into<PathBuf>,
        access_key_id: impl Into<String>,
        secret_access_key: SecretString,
    ) -> Self {
        Self {
            data_dir: data_dir.into(),
            access_key_id: access_key_id.into(),
            secret_access_key,
        }
    }

    /// Fresh random credentials: only this process can talk to the server it starts.
    pub fn with_random_credentials(data_dir: impl Into<PathBuf>) -> Result<Self> {
        let (access_key_id, secret_access_key) = random_credentials()?;
        Ok(Self::new(data_dir, access_key_id, secret_access_key))
    }

    /// `{OS data dir}/app.bucketforge.desktop/local-bucket`, e.g.
    /// `~/.local/share/app.bucketforge.desktop/local-bucket` on Linux.
    pub fn default_data_dir() -> Result<PathBuf> {
        directories::BaseDirs::new()
            .map(|dirs| dirs.data_dir().join(APP_IDENTIFIER).join("local-bucket"))
            .ok_or_else(|| Error::LocalBucketFailed {
                dir: "(unknown)".into(),
                reason: "this system reports no home folder to keep data in".into(),
            })
    }
}

/// An access key ID and secret made from the OS's random source.
pub fn random_credentials() -> Result<(String, SecretString)> {
    let mut id = [0u8; 10];
    let mut secret = [0u8; 30];
    getrandom::fill(&mut id)
        .and_then(|()| getrandom::fill(&mut secret))
        .map_err(|e| Error::LocalBucketFailed {
            dir: "(not started)".into(),
            reason: format!("the system's random number source failed: {e}"),
        })?;
    Ok((
        format!("BFLOCAL{}", hex::encode_upper(id)),
        SecretString::from(hex::encode(secret)),
    ))
}

/// A running built-in bucket. Clones share it; it stops when the last clone is dropped.
#[derive(Clone)]
pub struct LocalBucket {
    inner: Arc<Running>,
}

struct Running {
    endpoint: String,
    data_dir: PathBuf,
    access_key_id: String,
    secret_access_key: SecretString,
    server: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every open connection.
        self.server.abort();
    }
}

impl fmt::Debug for LocalBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalBucket")
            .field("endpoint", &self.inner.endpoint)
            .field("data_dir", &self.inner.data_dir)
            .finish_non_exhaustive()
    }
}

impl LocalBucket {
    /// Starts the server on 127.0.0.1 with a port the OS picks. Must be called inside a
    /// Tokio runtime, which then runs it.
    pub async fn start(options: LocalBucketOptions) -> Result<Self> {
        let dir = options.data_dir.clone();
        let failed = |reason: String| Error::LocalBucketFailed {
            dir: dir.display().to_string(),
            reason,
        };
        create_private_dir(&dir)
            .map_err(|e| failed(format!("the folder could not be created ({e})")))?;
        let fs = FileSystem::new(&dir).map_err(|e| failed(format!("{e:?}")))?;
        let service = {
            let mut builder = S3ServiceBuilder::new(LocalS3 {
                fs,
                root: dir.clone(),
                conditional: tokio::sync::Mutex::new(()),
            });
            builder.set_auth(SimpleAuth::from_single(
                options.access_key_id.clone(),
                options.secret_access_key.expose_secret().to_string(),
            ));
            builder.build()
        };
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|e| failed(format!("no loopback port could be opened ({e})")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| failed(format!("the loopback port is unknown ({e})")))?;
        let server = tokio::spawn(async move {
            let http = ConnectionBuilder::new(TokioExecutor::new());
            let mut connections = JoinSet::new();
            loop {
                let socket = match listener.accept().await {
                    Ok((socket, _)) => socket,
                    Err(_) => {
                        // Out of file handles, usually: give in-flight requests time to end.
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = socket.set_nodelay(true);
                let connection = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                connections.spawn(async move {
                    let _ = connection.await;
                });
                // Reap finished connections so the set does not grow for ever.
                while connections.try_join_next().is_some() {}
            }
        });
        Ok(Self {
            inner: Arc::new(Running {
                endpoint: format!("http://{addr}"),
                data_dir: dir,
                access_key_id: options.access_key_id,
                secret_access_key: options.secret_access_key,
                server,
            }),
        })
    }

    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// The settings an S3 client needs to reach this server.
    pub fn store_config(&self) -> StoreConfig {
        StoreConfig {
            bucket: LOCAL_BUCKET.to_string(),
            region: DEFAULT_REGION.to_string(),
            endpoint: Some(self.inner.endpoint.clone()),
            path_style: true,
            credentials: StoreCredentials::Static {
                access_key_id: self.inner.access_key_id.clone(),
                secret_access_key: self.inner.secret_access_key.clone(),
            },
            // Loopback: failing fast beats waiting on a server that is not there.
            policy: ConnectionPolicy {
                connect_timeout: std::time::Duration::from_secs(2),
                ..ConnectionPolicy::default()
            },
        }
    }
}

/// Creates the data folder readable by this user only; a folder the user already had (given
/// with `--local-dir`) keeps its permissions.
fn create_private_dir(data_dir: &Path) -> std::io::Result<()> {
    if !data_dir.exists() {
        std::fs::create_dir_all(data_dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))?;
        }
    }
    std::fs::create_dir_all(data_dir.join(LOCAL_BUCKET))
}

/// s3s-fs with two fixes. Conditional writes are made atomic: s3s-fs checks If-None-Match /
/// If-Match and then writes, so two racing writers could both pass the check; one lock
/// closes that gap. And listing one folder level (projects of a user) reads that folder
/// instead of walking every file in the bucket, which s3s-fs does for each page.
struct LocalS3 {
    fs: FileSystem,
    root: PathBuf,
    conditional: tokio::sync::Mutex<()>,
}

impl fmt::Debug for LocalS3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LocalS3")
    }
}

#[async_trait::async_trait]
impl S3 for LocalS3 {
    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        if req.input.if_match.is_some() || req.input.if_none_match.is_some() {
            let _one_at_a_time = self.conditional.lock().await;
            self.fs.put_object(req).await
        } else {
            self.fs.put_object(req).await
        }
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.fs.get_object(req).await
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.fs.head_object(req).await
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.fs.delete_object(req).await
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.fs.delete_objects(req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = &req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let one_level = input.delimiter.as_deref() == Some("/")
            && (prefix.is_empty() || prefix.ends_with('/'))
            && prefix
                .split('/')
                .all(|s| s != "." && s != ".." && !s.contains('\\'))
            && input.encoding_type.is_none();
        if !one_level {
            return self.fs.list_objects_v2(req).await;
        }
        let bucket_dir = self.root.join(&input.bucket);
        if !bucket_dir.is_dir() {
            return Err(s3s::s3_error!(NoSuchBucket));
        }
        let dir = bucket_dir.join(&prefix);
        let resume = match (
            input.continuation_token.as_deref(),
            input.start_after.as_deref(),
        ) {
            (Some(token), Some(after)) => Some(token.max(after).to_string()),
            (Some(one), None) | (None, Some(one)) => Some(one.to_string()),
            (None, None) => None,
        };
        let max_keys =
            usize::try_from(input.max_keys.unwrap_or(1000).clamp(0, 1000)).unwrap_or(1000);
        let listed_prefix = prefix.clone();
        // One more than a page: if it exists, the listing is truncated.
        let mut page = tokio::task::spawn_blocking(move || {
            list_one_level(&dir, &listed_prefix, resume.as_deref(), max_keys + 1)
        })
        .await
        .map_err(|e| s3s::s3_error!(InternalError, "listing stopped: {e}"))?
        .map_err(|e| s3s::s3_error!(InternalError, "listing failed: {e}"))?;
        let is_truncated = page.len() > max_keys;
        page.truncate(max_keys);
        let next_continuation_token = if is_truncated {
            page.last().map(|e| e.key.clone())
        } else {
            None
        };
        let mut contents = Vec::new();
        let mut common_prefixes = Vec::new();
        for entry in &page {
            match &entry.file {
                Some((size, modified)) => contents.push(Object {
                    key: Some(entry.key.clone()),
                    size: Some(*size),
                    last_modified: modified.map(Timestamp::from),
                    ..Default::default()
                }),
                None => common_prefixes.push(CommonPrefix {
                    prefix: Some(entry.key.clone()),
                }),
            }
        }
        let input = req.input;
        Ok(S3Response::new(ListObjectsV2Output {
            key_count: Some(i32::try_from(page.len()).unwrap_or(i32::MAX)),
            max_keys: input.max_keys.or(Some(1000)),
            is_truncated: Some(is_truncated),
            contents: (!contents.is_empty()).then_some(contents),
            common_prefixes: (!common_prefixes.is_empty()).then_some(common_prefixes),
            continuation_token: input.continuation_token,
            next_continuation_token,
            delimiter: input.delimiter,
            name: Some(input.bucket),
            prefix: input.prefix,
            start_after: input.start_after,
            ..Default::default()
        }))
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.fs.head_bucket(req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.fs.get_bucket_location(req).await
    }

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.fs.list_buckets(req).await
    }
}

/// One entry of a one-level listing: an object (`file` set) or a common prefix.
struct Listed {
    key: String,
    file: Option<(i64, Option<std::time::SystemTime>)>,
}

/// Up to `limit` objects and sub-prefixes directly under `dir` whose keys sort after
/// `resume`, in S3's key order. Only the names are read for the whole folder; sizes and
/// contents are looked at for the entries on the page, so a page costs the same whether
/// the folder holds a hundred projects or a hundred thousand.
///
/// A folder counts as a prefix only if some file is below it: deleting a project's objects
/// leaves its empty folders behind, and S3 would not list those.
fn list_one_level(
    dir: &Path,
    prefix: &str,
    resume: Option<&str>,
    limit: usize,
) -> std::io::Result<Vec<Listed>> {
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut candidates = Vec::new();
    for entry in read {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let kind = entry.file_type()?;
        let key = if kind.is_dir() {
            format!("{prefix}{name}/")
        } else if kind.is_file() {
            format!("{prefix}{name}")
        } else {
            continue;
        };
        if resume.is_none_or(|r| key.as_str() > r) {
            candidates.push((key, entry.path(), kind.is_dir()));
        }
    }
    candidates.sort_by(|a, b| a.0.cmp(&b.0));
    let mut listed = Vec::new();
    for (key, path, is_dir) in candidates {
        if listed.len() == limit {
            break;
        }
        if is_dir {
            if holds_a_file(&path)? {
                listed.push(Listed { key, file: None });
            }
        } else {
            let meta = std::fs::metadata(&path)?;
            listed.push(Listed {
                key,
                file: Some((
                    i64::try_from(meta.len()).unwrap_or(i64::MAX),
                    meta.modified().ok(),
                )),
            });
        }
    }
    Ok(listed)
}

fn holds_a_file(dir: &Path) -> std::io::Result<bool> {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_file() {
                return Ok(true);
            }
            if kind.is_dir() {
                pending.push(entry.path());
            }
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_credentials_differ_each_time_and_debug_hides_the_secret() {
        let (id_a, secret_a) = random_credentials().unwrap();
        let (id_b, secret_b) = random_credentials().unwrap();
        assert_ne!(id_a, id_b);
        assert_ne!(secret_a.expose_secret(), secret_b.expose_secret());
        let options = LocalBucketOptions::new("/tmp/x", id_a, secret_a.clone());
        assert!(!format!("{options:?}").contains(secret_a.expose_secret()));
    }

    #[test]
    fn a_one_level_listing_skips_empty_folders_and_resumes_after_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for project in ["b", "a", "c"] {
            std::fs::create_dir_all(root.join(project).join("src")).unwrap();
            std::fs::write(root.join(project).join("src/main.py"), "x").unwrap();
        }
        std::fs::create_dir_all(root.join("deleted/src")).unwrap();
        std::fs::write(root.join(".probe"), "12345").unwrap();

        let keys = |resume: Option<&str>, limit| -> Vec<String> {
            list_one_level(root, "projects/u/", resume, limit)
                .unwrap()
                .into_iter()
                .map(|e| e.key)
                .collect()
        };
        assert_eq!(
            keys(None, 10),
            [
                "projects/u/.probe",
                "projects/u/a/",
                "projects/u/b/",
                "projects/u/c/"
            ]
        );
        assert_eq!(keys(Some("projects/u/a/"), 1), ["projects/u/b/"]);
        assert!(keys(Some("projects/u/c/"), 10).is_empty());
        let probe = list_one_level(root, "", None, 1).unwrap().remove(0);
        assert_eq!(probe.file.unwrap().0, 5);
        assert!(list_one_level(&root.join("missing"), "", None, 10)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn the_default_folder_is_the_apps_own_data_folder() {
        let dir = LocalBucketOptions::default_data_dir().unwrap();
        assert!(
            dir.ends_with("app.bucketforge.desktop/local-bucket"),
            "{dir:?}"
        );
    }
}
