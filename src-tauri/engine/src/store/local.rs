//! The built-in bucket: an S3 server inside the app, on loopback, so a first run needs no account.

use std::fmt;
use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use aws_credential_types::provider::{future, ProvideCredentials};
use aws_credential_types::Credentials;
use aws_sdk_s3::config::interceptors::{
    BeforeTransmitInterceptorContextMut, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
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

use super::config::{
    ConnectionPolicy, StoreConfig, StoreCredentials, DEFAULT_REGION, LOCAL_BUCKET,
};
use super::owner::{self, Registry, Runtime};
use crate::sync::lock as locked;
use crate::{Error, Result};

/// The app's identifier (tauri.conf.json), which names its folders in the OS data and log dirs.
pub const APP_IDENTIFIER: &str = "app.bucketforge.desktop";

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

/// How long a starting process waits for the folder's owner to say where it listens (the
/// owner may itself be starting).
const OWNER_PATIENCE: Duration = Duration::from_secs(20);
/// How long a new owner keeps trying the previous owner's port before it takes another:
/// a killed owner's listening socket can outlive its lock by a moment.
const SAME_PORT_PATIENCE: Duration = Duration::from_secs(1);

/// Built-in buckets of this process by canonical folder, so a second start (a store reset
/// by new settings while a run still writes) reuses the first instead of serving it twice.
static FOLDERS: LazyLock<Registry<Folder>> = LazyLock::new(Registry::new);
/// Starts one at a time, so two starts on one folder can't both miss the registry.
static STARTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The built-in bucket of one folder, as this process sees it: served here, or by another
/// process that owns the folder. Clones share it; when the last clone is dropped, this
/// process stops serving (or waiting to serve) the folder.
///
/// A process that does not own the folder keeps a thread blocked on the folder's lock; when
/// the owner exits, however it exits, that thread gets the lock and this process serves the
/// folder on the owner's port with the owner's credentials, so stores built in every process
/// keep working. If that port is taken, it serves on another one and rewrites the runtime
/// file; stores of other processes read it again after a failed connection (see
/// `FollowOwner`).
#[derive(Clone)]
pub struct LocalBucket {
    inner: Arc<Folder>,
}

struct Folder {
    /// Canonical, so two spellings of one folder are one folder.
    dir: PathBuf,
    runtime: Mutex<Runtime>,
    runtime_file: Mutex<PathBuf>,
    /// `Some` while this process owns and serves the folder.
    serving: Mutex<Option<Serving>>,
    /// A request failed to connect: the owner may have moved; read the runtime file again.
    stale: AtomicBool,
    handle: tokio::runtime::Handle,
}

/// The server task and the lock that makes this process the folder's owner.
struct Serving {
    server: Option<JoinHandle<()>>,
    lock: Option<File>,
    handle: tokio::runtime::Handle,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let lock = self.lock.take();
        if let Some(server) = self.server.take() {
            // Aborting the accept loop drops its JoinSet, which aborts every open connection.
            server.abort();
            // The lock goes only once the listener is closed, so whoever takes over can bind
            // the same port. If the runtime is gone, the task is dropped and so is the lock.
            self.handle.spawn(async move {
                let _ = server.await;
                drop(lock);
            });
        }
    }
}

impl fmt::Debug for LocalBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalBucket")
            .field("endpoint", &self.endpoint())
            .field("data_dir", &self.inner.dir)
            .field("serving", &self.is_serving())
            .finish_non_exhaustive()
    }
}

impl LocalBucket {
    /// Serves the folder on 127.0.0.1 (a port the OS picks), or connects to the process that
    /// already does. Must be called inside a Tokio runtime, which then runs the server.
    ///
    /// The credentials in `options` are used when no earlier owner left a runtime file for
    /// the folder; otherwise the folder keeps its credentials and port, so clients of an
    /// owner that just exited keep working.
    pub async fn start(options: LocalBucketOptions) -> Result<Self> {
        let given = options.data_dir.clone();
        let failed = |reason: String| Error::LocalBucketFailed {
            dir: given.display().to_string(),
            reason,
        };
        create_private_dir(&given)
            .map_err(|e| failed(format!("the folder could not be created ({e})")))?;
        let dir = given
            .canonicalize()
            .map_err(|e| failed(format!("the folder could not be resolved ({e})")))?;
        let _one_start_at_a_time = STARTS.lock().await;
        if let Some(folder) = FOLDERS.running(&dir) {
            return Ok(Self { inner: folder });
        }
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|_| failed("it was started outside a Tokio runtime".into()))?;
        let folder = Arc::new(Folder {
            runtime_file: Mutex::new(owner::preferred_runtime_file(&dir)),
            dir: dir.clone(),
            runtime: Mutex::new(Runtime {
                port: 0,
                access_key_id: options.access_key_id,
                secret_access_key: options.secret_access_key,
            }),
            serving: Mutex::new(None),
            stale: AtomicBool::new(false),
            handle,
        });
        // Registered before any waiting thread exists, so that thread always finds it.
        FOLDERS.insert(&dir, Arc::downgrade(&folder));
        folder.clone().serve_or_join().await?;
        Ok(Self { inner: folder })
    }

    /// Where the folder is served now; the port is the owner's, in whichever process.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.inner.port())
    }

    /// The folder, canonical.
    pub fn data_dir(&self) -> &Path {
        &self.inner.dir
    }

    /// True while this process owns the folder and serves it; false while another does.
    pub fn is_serving(&self) -> bool {
        self.inner.is_serving()
    }

    /// Where the owner published its port and credentials.
    pub fn runtime_file(&self) -> PathBuf {
        locked(&self.inner.runtime_file).clone()
    }

    /// The settings an S3 client needs to reach this server.
    pub fn store_config(&self) -> StoreConfig {
        let runtime = self.inner.runtime();
        StoreConfig {
            bucket: LOCAL_BUCKET.to_string(),
            region: DEFAULT_REGION.to_string(),
            endpoint: Some(self.endpoint()),
            path_style: true,
            credentials: StoreCredentials::Static {
                access_key_id: runtime.access_key_id,
                secret_access_key: runtime.secret_access_key,
            },
            policy: ConnectionPolicy {
                // Loopback: failing fast beats waiting on a server that is not there.
                connect_timeout: Duration::from_secs(2),
                // Enough tries, growing from 50 ms, to span an owner's exit and the takeover
                // by another process (usually a few milliseconds) even on a loaded machine.
                max_attempts: 10,
                initial_backoff: Duration::from_millis(50),
                ..ConnectionPolicy::default()
            },
        }
    }

    /// Makes a store's requests go wherever the folder's owner listens now.
    pub(crate) fn follower(&self) -> FollowOwner {
        FollowOwner(self.inner.clone())
    }

    /// The owner's credentials, looked up for every request.
    pub(crate) fn credentials(&self) -> OwnerCredentials {
        OwnerCredentials(self.inner.clone())
    }
}

impl Folder {
    fn failed(&self, reason: String) -> Error {
        Error::LocalBucketFailed {
            dir: self.dir.display().to_string(),
            reason,
        }
    }

    fn runtime(&self) -> Runtime {
        locked(&self.runtime).clone()
    }

    fn port(&self) -> u16 {
        locked(&self.runtime).port
    }

    fn is_serving(&self) -> bool {
        locked(&self.serving).is_some()
    }

    /// Owns the folder if nobody does; otherwise connects to the owner and waits to take over.
    async fn serve_or_join(self: Arc<Self>) -> Result<()> {
        let deadline = Instant::now() + OWNER_PATIENCE;
        loop {
            let folder = self.clone();
            let owned = tokio::task::spawn_blocking(move || match owner::try_own(&folder.dir) {
                Ok(Some(lock)) => folder.serve(lock).map(|()| true),
                Ok(None) => Ok(false),
                Err(e) => Err(folder.failed(format!("its lock file could not be opened ({e})"))),
            })
            .await
            .map_err(|e| self.failed(format!("starting it stopped: {e}")))??;
            if owned {
                return Ok(());
            }
            // A runtime file whose port does not answer is an earlier owner's: the current
            // owner is still starting.
            if let Some((path, runtime)) = owner::published_runtime(&self.dir) {
                if port_answers(runtime.port).await {
                    tracing::info!(
                        dir = %self.dir.display(),
                        port = runtime.port,
                        "another BucketForge process serves the built-in bucket; connecting to it"
                    );
                    *locked(&self.runtime) = runtime;
                    *locked(&self.runtime_file) = path;
                    self.wait_to_take_over();
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                return Err(self.failed(format!(
                    "another BucketForge process holds it but did not say where it serves it within {} seconds",
                    OWNER_PATIENCE.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Serves the folder, holding `lock`. Blocks (briefly) on the file system and the port.
    fn serve(&self, lock: File) -> Result<()> {
        let mut runtime = owner::published_runtime(&self.dir)
            .map(|(_, runtime)| runtime)
            .unwrap_or_else(|| self.runtime());
        // s3s-fs deletes the temporary files it finds in the folder; holding the lock, this
        // process is the only one that can have any in flight.
        let fs = FileSystem::new(&self.dir).map_err(|e| self.failed(format!("{e:?}")))?;
        let listener = bind_loopback(runtime.port)
            .map_err(|e| self.failed(format!("no loopback port could be opened ({e})")))?;
        runtime.port = listener
            .local_addr()
            .map_err(|e| self.failed(format!("the loopback port is unknown ({e})")))?
            .port();
        let runtime_file = owner::preferred_runtime_file(&self.dir);
        owner::write_runtime_file(&runtime_file, &runtime)
            .and_then(|()| owner::record_runtime_path(&lock, &runtime_file))
            .map_err(|e| {
                self.failed(format!(
                    "its runtime file {} could not be written ({e})",
                    runtime_file.display()
                ))
            })?;
        let listener = {
            let _runtime = self.handle.enter();
            listener
                .set_nonblocking(true)
                .and_then(|()| TcpListener::from_std(listener))
                .map_err(|e| self.failed(format!("the loopback port could not be used ({e})")))?
        };
        let service = {
            let mut builder = S3ServiceBuilder::new(LocalS3 {
                fs,
                root: self.dir.clone(),
                conditional: tokio::sync::Mutex::new(()),
            });
            builder.set_auth(SimpleAuth::from_single(
                runtime.access_key_id.clone(),
                runtime.secret_access_key.expose_secret().to_string(),
            ));
            builder.build()
        };
        let server = self.handle.spawn(accept(listener, service));
        tracing::info!(
            dir = %self.dir.display(),
            port = runtime.port,
            "serving the built-in bucket"
        );
        *locked(&self.runtime) = runtime;
        *locked(&self.runtime_file) = runtime_file;
        *locked(&self.serving) = Some(Serving {
            server: Some(server),
            lock: Some(lock),
            handle: self.handle.clone(),
        });
        Ok(())
    }

    /// Makes sure a thread of this process waits for the folder's lock, to serve the folder
    /// as soon as its owner is gone.
    fn wait_to_take_over(&self) {
        if !FOLDERS.claim_waiter(&self.dir) {
            return;
        }
        let dir = self.dir.clone();
        let spawned = std::thread::Builder::new()
            .name("bucketforge-owner-wait".into())
            .spawn(move || loop {
                // Blocks in the kernel until the owner's lock is released, even by its death.
                let lock = match owner::open_lock(&dir).and_then(|file| file.lock().map(|()| file))
                {
                    Ok(lock) => lock,
                    Err(e) => {
                        tracing::warn!(dir = %dir.display(), error = %e, "can't wait for the built-in bucket's owner");
                        FOLDERS.waiter_gone(&dir);
                        return;
                    }
                };
                // Nobody here uses the folder any more: let the lock go with the thread.
                let Some(folder) = FOLDERS.waiter_woke(&dir) else {
                    return;
                };
                if folder.is_serving() {
                    return;
                }
                match folder.serve(lock) {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not take over the built-in bucket");
                        drop(folder);
                        // Give the next process a chance before trying again.
                        std::thread::sleep(Duration::from_secs(1));
                        if !FOLDERS.claim_waiter(&dir) {
                            return;
                        }
                    }
                }
            });
        if let Err(e) = spawned {
            FOLDERS.waiter_gone(&self.dir);
            tracing::warn!(error = %e, "no thread to wait for the built-in bucket's owner; this process will not take over");
        }
    }

    /// Reads the runtime file again, after a request could not reach the owner.
    fn follow_owner(&self) {
        if self.is_serving() {
            return;
        }
        if let Some((path, runtime)) = owner::published_runtime(&self.dir) {
            let mut current = locked(&self.runtime);
            if current.port != runtime.port {
                tracing::info!(
                    port = runtime.port,
                    "the built-in bucket moved to another port"
                );
            }
            *current = runtime;
            *locked(&self.runtime_file) = path;
        }
    }
}

/// A loopback listener on `port`, retried for a moment if it is busy, else on a port the OS
/// picks. Port 0 means any.
fn bind_loopback(port: u16) -> std::io::Result<std::net::TcpListener> {
    let any = || std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)));
    if port == 0 {
        return any();
    }
    let deadline = Instant::now() + SAME_PORT_PATIENCE;
    loop {
        match std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))) {
            Ok(listener) => return Ok(listener),
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(25)),
            Err(e) => {
                tracing::info!(port, error = %e, "the built-in bucket's port is taken; using another");
                return any();
            }
        }
    }
}

async fn port_answers(port: u16) -> bool {
    matches!(
        tokio::time::timeout(
            Duration::from_secs(2),
            tokio::net::TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))),
        )
        .await,
        Ok(Ok(_))
    )
}

async fn accept(listener: TcpListener, service: s3s::service::S3Service) {
    let http = ConnectionBuilder::new(TokioExecutor::new());
    let mut connections = JoinSet::new();
    loop {
        let socket = match listener.accept().await {
            Ok((socket, _)) => socket,
            Err(_) => {
                // Out of file handles, usually: give in-flight requests time to end.
                tokio::time::sleep(Duration::from_millis(20)).await;
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
}

/// Points each request of a store at the port the folder's owner listens on now. A request
/// that could not connect marks the owner as possibly moved, and the next try reads the
/// runtime file again; the SDK's retries span the moment between one owner and the next.
pub(crate) struct FollowOwner(Arc<Folder>);

impl fmt::Debug for FollowOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FollowOwner")
    }
}

impl Intercept for FollowOwner {
    fn name(&self) -> &'static str {
        "FollowOwner"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        if self.0.stale.swap(false, Ordering::AcqRel) {
            self.0.follow_owner();
        }
        Ok(())
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        let request = context.request_mut();
        let uri = with_port(request.uri(), self.0.port());
        request.set_uri(uri)?;
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        if let Some(Err(e)) = context.output_or_error() {
            if e.as_connector_error()
                .is_some_and(|c| c.is_io() || c.is_timeout())
            {
                self.0.stale.store(true, Ordering::Release);
            }
        }
        Ok(())
    }
}

/// `uri` on the loopback address with `port`, path and query kept.
fn with_port(uri: &str, port: u16) -> String {
    let rest = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let path_at = rest.find(['/', '?']).unwrap_or(rest.len());
    format!("http://127.0.0.1:{port}{}", &rest[path_at..])
}

/// The folder owner's credentials, for every request (they change only if an owner had to
/// start afresh).
pub(crate) struct OwnerCredentials(Arc<Folder>);

impl fmt::Debug for OwnerCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OwnerCredentials")
    }
}

impl ProvideCredentials for OwnerCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let runtime = self.0.runtime();
        future::ProvideCredentials::ready(Ok(Credentials::new(
            runtime.access_key_id,
            runtime.secret_access_key.expose_secret().to_string(),
            None,
            None,
            "bucketforge-local",
        )))
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
        stays_in_bucket(&req.input.key)?;
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
        stays_in_bucket(&req.input.key)?;
        self.fs.get_object(req).await
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        stays_in_bucket(&req.input.key)?;
        self.fs.head_object(req).await
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        stays_in_bucket(&req.input.key)?;
        self.fs.delete_object(req).await
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        stays_in_bucket(&req.input.key)?;
        match &req.input.copy_source {
            CopySource::Bucket { bucket, key, .. } if **bucket == *req.input.bucket => {
                stays_in_bucket(key)?;
            }
            // One bucket, and only its own objects.
            _ => return Err(s3s::s3_error!(AccessDenied, "copies stay in this bucket")),
        }
        self.fs.copy_object(req).await
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        for object in &req.input.delete.objects {
            stays_in_bucket(&object.key)?;
        }
        self.fs.delete_objects(req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = &req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        // Checked for both ways of listing: the one-level listing reads the folder the
        // prefix names.
        stays_in_bucket(&prefix)?;
        let one_level = input.delimiter.as_deref() == Some("/")
            && (prefix.is_empty() || prefix.ends_with('/'))
            && prefix.split('/').all(|s| s != ".")
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

/// Refuses a key or prefix that would name a path outside the bucket's folder once joined to
/// it. s3s-fs only keeps paths inside its root, which also holds other buckets, its metadata
/// and the owner's lock and runtime files.
fn stays_in_bucket(key: &str) -> S3Result<()> {
    let reason = if key.starts_with('/') {
        Some("starts with “/”")
    } else if key.contains('\\') {
        Some("contains a backslash")
    } else if key.contains('\0') {
        Some("contains a NUL character")
    } else if key.split('/').any(|segment| segment == "..") {
        Some("has a “..” segment")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(s3s::s3_error!(
            InvalidArgument,
            "the key or prefix {reason}, which this server does not allow"
        )),
        None => Ok(()),
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
    fn keys_that_would_leave_the_bucket_folder_are_refused_and_others_pass() {
        for bad in ["../x", "a/../../x", "..", "/etc/passwd", "a\\..\\x", "a\0b"] {
            assert!(stays_in_bucket(bad).is_err(), "{bad:?}");
        }
        for good in [
            "",
            "projects/u/",
            "a..b/..c/d..",
            "projects/u/p/.bucketforge/manifest.json",
        ] {
            assert!(stays_in_bucket(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn a_request_is_pointed_at_the_owners_port_with_its_path_and_query_kept() {
        assert_eq!(
            with_port("http://127.0.0.1:1111/bucketforge/a%20b?list-type=2", 2222),
            "http://127.0.0.1:2222/bucketforge/a%20b?list-type=2"
        );
        assert_eq!(with_port("http://127.0.0.1:1111", 3), "http://127.0.0.1:3");
        assert_eq!(
            with_port("http://127.0.0.1:1111?x=1", 3),
            "http://127.0.0.1:3?x=1"
        );
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
