//! What BucketForge's test targets share: real S3 servers (moto and Garage as child processes,
//! the built-in bucket in-process), a fault-injecting proxy, LLM test helpers, the counter-app
//! fixture, seeding helpers and the secret sweep.
//!
//! moto and Garage are shared by every test in one test binary (each test works under a user of
//! its own); a watchdog ends them, and removes their data, as soon as the test process is gone.
//! The built-in server runs in-process, one per test.

pub mod changes;
pub mod counter;
pub mod events;
pub mod fault_proxy;
pub mod llm;
pub mod processes;
pub mod releases;
pub mod sweep;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use bucketforge_engine::store::{
    ConnectionPolicy, LocalBucket, LocalBucketOptions, ObjectStore, ProjectKey, Slug, StoreConfig,
    StoreCredentials, UserId,
};
pub use processes::{S3Endpoint, S3Process, GARAGE_INSTALL, MOTO_INSTALL};
use secrecy::SecretString;

/// The bucket the Rust tests' moto and Garage hold.
const TEST_BUCKET: &str = "bucketforge-test";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    BuiltIn,
    Moto,
    Garage,
}

/// Short limits so fault scenarios end in well under a second per request.
pub fn fast_policy() -> ConnectionPolicy {
    ConnectionPolicy {
        connect_timeout: Duration::from_millis(500),
        attempt_timeout: Duration::from_secs(10),
        operation_timeout: Duration::from_secs(30),
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
    }
}

/// One S3 server for one test.
pub struct TestServer {
    pub kind: ServerKind,
    pub config: StoreConfig,
    /// The built-in server, when that is the kind; keeps it running.
    pub local: Option<LocalBucket>,
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    pub async fn start(kind: ServerKind) -> Self {
        match kind {
            ServerKind::BuiltIn => {
                let dir = tempfile::tempdir().unwrap();
                let local = LocalBucket::start(
                    LocalBucketOptions::with_random_credentials(dir.path()).unwrap(),
                )
                .await
                .expect("the built-in bucket starts");
                let mut config = local.store_config();
                config.policy = fast_policy();
                Self {
                    kind,
                    config,
                    local: Some(local),
                    _dir: Some(dir),
                }
            }
            ServerKind::Moto => Self {
                kind,
                config: moto().store_config(),
                local: None,
                _dir: None,
            },
            ServerKind::Garage => Self {
                kind,
                config: garage().store_config(),
                local: None,
                _dir: None,
            },
        }
    }

    pub async fn store(&self) -> ObjectStore {
        self.store_with(self.config.clone()).await
    }

    /// A store with changed settings (another key, region or endpoint) on the same server.
    pub async fn store_with(&self, config: StoreConfig) -> ObjectStore {
        ObjectStore::connect(&config)
            .await
            .expect("a store connects")
    }

    /// The server's address, for a proxy in front of it.
    pub fn addr(&self) -> SocketAddr {
        let endpoint = self.config.endpoint.as_deref().unwrap();
        endpoint
            .trim_start_matches("http://")
            .parse()
            .expect("a loopback endpoint")
    }

    /// The same settings with another secret for the same key ID.
    pub fn with_wrong_secret(&self) -> StoreConfig {
        let mut config = self.config.clone();
        if let StoreCredentials::Static { access_key_id, .. } = &config.credentials {
            config.credentials = StoreCredentials::Static {
                access_key_id: access_key_id.clone(),
                secret_access_key: SecretString::from("0".repeat(64)),
            };
        }
        config
    }
}

/// A user of its own for each test, so tests sharing a server never see each other's data.
pub fn unique_user(label: &str) -> UserId {
    UserId::new(&format!("{label}-{}", processes::random_hex(4))).unwrap()
}

pub fn project(user: &UserId, slug: &str) -> ProjectKey {
    ProjectKey::new(user.clone(), Slug::new(slug).unwrap())
}

/// Uploads `(project, path, body)` files 32 at a time, as a busy generation run would.
pub async fn put_all(
    store: &ObjectStore,
    files: impl IntoIterator<Item = (ProjectKey, String, String)>,
) {
    use futures::{StreamExt, TryStreamExt};
    futures::stream::iter(files)
        .map(|(key, path, body)| {
            let store = store.clone();
            async move {
                let path = bucketforge_engine::store::ProjectPath::new(&path).unwrap();
                store.put_file(&key, &path, body).await.map(|_| ())
            }
        })
        .buffer_unordered(32)
        .try_collect::<()>()
        .await
        .expect("the files are uploaded");
}

/// Uploads `files` and a `complete` manifest listing them, as a finished run leaves a project.
pub async fn seed_project(
    store: &ObjectStore,
    key: &ProjectKey,
    stack: &str,
    files: &[(&str, &str)],
) {
    let mut recorded = Vec::new();
    for (path, body) in files {
        let path = bucketforge_engine::store::ProjectPath::new(path).unwrap();
        let receipt = store.put_file(key, &path, body.to_string()).await.unwrap();
        recorded.push(serde_json::json!({
            "path": path, "bytes": receipt.bytes, "sha256": receipt.sha256,
            "content_type": receipt.content_type, "attempts": 1,
        }));
    }
    let manifest = serde_json::from_value(serde_json::json!({
        "schema_version": 1, "status": "complete", "name": key.slug().to_string(), "idea": "a test project",
        "plan": { "name": key.slug().to_string(), "summary": "s", "stack": stack, "contract": "c", "files": [] },
        "provider": "test", "model": "m", "files": recorded,
        "usage": { "prompt_tokens": 1, "completion_tokens": 2 },
        "timings": { "started_at": "2026-01-01T00:00:00Z" }, "revision": 1,
    }))
    .unwrap();
    store
        .write_manifest(
            key,
            &manifest,
            bucketforge_engine::store::ManifestPrecondition::MustNotExist,
        )
        .await
        .unwrap();
}

/// The to-do API the tests share: a `Todo` model (id, title, done), listed and created.
pub fn todo_contract() -> serde_json::Value {
    serde_json::json!({
        "models": [{ "name": "Todo", "fields": [
            { "name": "id", "type": "int" }, { "name": "title", "type": "str" },
            { "name": "done", "type": "bool", "default": false }] }],
        "endpoints": [
            { "method": "GET", "path": "/api/todos", "action": "list", "model": "Todo" },
            { "method": "POST", "path": "/api/todos", "action": "create", "model": "Todo" }],
    })
}

/// Gives a seeded project `contract`, as a plan with that contract would have recorded it.
pub async fn set_contract(store: &ObjectStore, key: &ProjectKey, contract: serde_json::Value) {
    let (mut manifest, etag) = store
        .read_manifest(key)
        .await
        .expect("the manifest can be read")
        .expect("the project was seeded");
    manifest.plan.contract = serde_json::from_value(contract).expect("a valid contract");
    store
        .write_manifest(
            key,
            &manifest,
            bucketforge_engine::store::ManifestPrecondition::MustMatch(etag),
        )
        .await
        .expect("the manifest is written");
}

/// A session as the CLI opens one, with `env` standing in for the process environment: its
/// settings file in `dir`, its secrets in memory.
pub fn session_with_env(
    dir: &Path,
    env: Vec<(String, String)>,
    overrides: bucketforge_engine::session::Overrides,
) -> bucketforge_engine::session::Session {
    bucketforge_engine::session::Session::open(
        bucketforge_engine::settings::SettingsFile::in_dir(dir),
        std::sync::Arc::new(bucketforge_engine::secrets::InMemorySecrets::default()),
        Some(std::sync::Arc::new(move |name: &str| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })),
        overrides,
    )
}

/// A session as the window opens one (no environment) on the built-in bucket in `data`.
pub fn window_session(dir: &Path, data: &Path) -> bucketforge_engine::session::Session {
    bucketforge_engine::session::Session::open(
        bucketforge_engine::settings::SettingsFile::in_dir(dir),
        std::sync::Arc::new(bucketforge_engine::secrets::InMemorySecrets::default()),
        None,
        bucketforge_engine::session::Overrides {
            local_dir: Some(data.to_path_buf()),
            ..Default::default()
        },
    )
}

/// Changes a project's manifest as another run or device would: read, change, write back
/// only over what was read.
pub async fn update_manifest(
    store: &ObjectStore,
    key: &ProjectKey,
    change: impl FnOnce(&mut bucketforge_engine::store::Manifest),
) {
    let (mut manifest, etag) = store.read_manifest(key).await.unwrap().unwrap();
    change(&mut manifest);
    store
        .write_manifest(
            key,
            &manifest,
            bucketforge_engine::store::ManifestPrecondition::MustMatch(etag),
        )
        .await
        .unwrap();
}

/// The seed's environment variables (as the CLI reads them) for a server's settings.
pub fn seed_env(config: &StoreConfig) -> Vec<(String, String)> {
    use secrecy::ExposeSecret;
    let StoreCredentials::Static {
        access_key_id,
        secret_access_key,
    } = &config.credentials
    else {
        panic!("static credentials expected");
    };
    [
        ("AWS_ACCESS_KEY_ID", access_key_id.clone()),
        (
            "AWS_SECRET_ACCESS_KEY",
            secret_access_key.expose_secret().to_string(),
        ),
        ("AWS_REGION", config.region.clone()),
        (
            "AWS_ENDPOINT_URL",
            config
                .endpoint
                .clone()
                .expect("a test server has an endpoint"),
        ),
        ("S3_BUCKET_NAME", config.bucket.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

// ---------------------------------------------------------------- child processes

/// The moto of this test process, started on first use and shared by its tests.
pub fn moto() -> &'static S3Endpoint {
    static MOTO: OnceLock<S3Process> = OnceLock::new();
    &MOTO
        .get_or_init(|| S3Process::start_moto(TEST_BUCKET).unwrap_or_else(|e| panic!("{e}")))
        .endpoint
}

/// The Garage of this test process, started on first use and shared by its tests.
pub fn garage() -> &'static S3Endpoint {
    static GARAGE: OnceLock<S3Process> = OnceLock::new();
    &GARAGE
        .get_or_init(|| S3Process::start_garage(TEST_BUCKET).unwrap_or_else(|e| panic!("{e}")))
        .endpoint
}

/// Settings for Garage with a key that may only read the bucket, or only write it.
pub fn garage_config_with_key(read_only: bool) -> StoreConfig {
    let server = garage();
    let key = if read_only {
        server.read_only.clone()
    } else {
        server.write_only.clone()
    }
    .expect("Garage has a read-only and a write-only key");
    StoreConfig {
        credentials: StoreCredentials::Static {
            access_key_id: key.access_key_id,
            secret_access_key: SecretString::from(key.secret_access_key),
        },
        ..server.store_config()
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    processes::free_port().unwrap_or_else(|e| panic!("{e}"))
}

/// Fails the test, naming the install command, when a server program is missing.
pub fn require_program(program: &str, install: &str) -> PathBuf {
    processes::find_program(program, install).unwrap_or_else(|e| panic!("{e}"))
}

// ---------------------------------------------------------------- looking behind the store

/// A plain SDK client for the server of `config`, independent of the store under test.
pub fn raw_client(config: &StoreConfig) -> aws_sdk_s3::Client {
    use secrecy::ExposeSecret;
    let StoreCredentials::Static {
        access_key_id,
        secret_access_key,
    } = &config.credentials
    else {
        panic!("raw access needs static credentials");
    };
    processes::sdk_client(
        config
            .endpoint
            .as_deref()
            .expect("a test server has an endpoint"),
        &config.region,
        access_key_id,
        secret_access_key.expose_secret(),
    )
}

/// Every key under `prefix`, read with a plain SDK client rather than the store under test.
pub async fn raw_keys(config: &StoreConfig, prefix: &str) -> Vec<String> {
    let output = raw_client(config)
        .list_objects_v2()
        .bucket(&config.bucket)
        .prefix(prefix)
        .send()
        .await
        .unwrap();
    output
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

/// Every live file of a project, by path, found by listing (not by its manifest) and read with
/// a plain SDK client.
pub async fn live_files(
    config: &StoreConfig,
    store: &ObjectStore,
    key: &ProjectKey,
) -> std::collections::BTreeMap<String, String> {
    let mut files = std::collections::BTreeMap::new();
    for path in store.live_paths(key).await.unwrap() {
        let bytes = raw_get(config, &key.file(&path)).await;
        files.insert(path.to_string(), String::from_utf8(bytes).unwrap());
    }
    files
}

/// One object's bytes, read with a plain SDK client rather than the store under test.
pub async fn raw_get(config: &StoreConfig, key: &str) -> Vec<u8> {
    let object = raw_client(config)
        .get_object()
        .bucket(&config.bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {key}: {e:?}"));
    object.body.collect().await.unwrap().into_bytes().to_vec()
}

/// The status and exact bytes a GET of `url` answers (a zip, say).
pub async fn http_get_bytes(url: &str) -> (u16, Vec<u8>) {
    let response = reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    (status, body.to_vec())
}

/// A bare HTTP/1.1 GET on loopback, with no credentials of any kind.
pub async fn http_get(url: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url
        .strip_prefix("http://")
        .expect("a plain-HTTP loopback URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}
