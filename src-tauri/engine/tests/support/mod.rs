//! Real S3 servers for the integration tests, started here on free loopback ports.
//!
//! moto and Garage run as child processes shared by every test in one test binary (each
//! test works under a user of its own); a watchdog ends them, and removes their data, as
//! soon as the test process is gone. The built-in server runs in-process, one per test.
#![allow(dead_code)]

pub mod fault_proxy;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use bucketforge_engine::store::{
    ConnectionPolicy, LocalBucket, LocalBucketOptions, ObjectStore, ProjectKey, Slug, StoreConfig,
    StoreCredentials, UserId,
};
use secrecy::SecretString;

pub const MOTO_INSTALL: &str = "pip install 'moto[server]'";
pub const GARAGE_INSTALL: &str = "cargo install garage --locked";

const TEST_BUCKET: &str = "bucketforge-test";
const GARAGE_REGION: &str = "garage";

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
                config: moto().config(),
                local: None,
                _dir: None,
            },
            ServerKind::Garage => Self {
                kind,
                config: garage().config(),
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

    /// Whether the server checks request signatures at all (moto does not, by default).
    pub fn verifies_signatures(&self) -> bool {
        self.kind != ServerKind::Moto
    }
}

/// A user of its own for each test, so tests sharing a server never see each other's data.
pub fn unique_user(label: &str) -> UserId {
    let mut nonce = [0u8; 4];
    getrandom::fill(&mut nonce).unwrap();
    UserId::new(&format!("{label}-{}", hex::encode(nonce))).unwrap()
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

/// `bucketforge generate` of the counter app (the CLI tests' script) for `user`, as JSON.
pub fn counter_generate_args(user: &str) -> Vec<String> {
    [
        "generate",
        "--idea",
        "A button that counts how often I click it",
        "--stack",
        "react",
        "--provider",
        "openai",
        "--model",
        "gpt-4o-mini",
        "--user",
        user,
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
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

struct ChildServer {
    endpoint: String,
    region: String,
    access_key_id: String,
    secret_access_key: String,
    /// Garage only: keys allowed to read but not write, and to write but not read.
    read_only: Option<(String, String)>,
    write_only: Option<(String, String)>,
}

impl ChildServer {
    fn config(&self) -> StoreConfig {
        StoreConfig {
            bucket: TEST_BUCKET.into(),
            region: self.region.clone(),
            endpoint: Some(self.endpoint.clone()),
            path_style: true,
            credentials: StoreCredentials::Static {
                access_key_id: self.access_key_id.clone(),
                secret_access_key: SecretString::from(self.secret_access_key.clone()),
            },
            policy: fast_policy(),
        }
    }
}

/// Settings for Garage with a key that may only read the bucket, or only write it.
pub fn garage_config_with_key(read_only: bool) -> StoreConfig {
    let server = garage();
    let (id, secret) = if read_only {
        server.read_only.clone().unwrap()
    } else {
        server.write_only.clone().unwrap()
    };
    StoreConfig {
        credentials: StoreCredentials::Static {
            access_key_id: id,
            secret_access_key: SecretString::from(secret),
        },
        ..server.config()
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Fails the test, naming the install command, when a server program is missing.
pub fn require_program(program: &str, install: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{program}` is not installed, and these tests need it. Install it with: {install}"
            )
        })
}

/// Runs `program args` under a watchdog that kills it (and removes `cleanup`) once this
/// test process exits, since statics are never dropped.
fn spawn_watched(program: &Path, args: &[&str], cleanup: Option<&Path>, log: &Path) {
    let script = r#"parent=$1; cleanup=$2; shift 2
"$@" & child=$!
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.2; done
kill "$child" 2>/dev/null; wait "$child" 2>/dev/null
if [ -n "$cleanup" ]; then rm -rf "$cleanup"; fi"#;
    let log_file = std::fs::File::create(log).unwrap();
    let mut watchdog = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("watchdog")
        .arg(std::process::id().to_string())
        .arg(cleanup.map(|p| p.display().to_string()).unwrap_or_default())
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .expect("sh starts");
    // Reaps the watchdog if it ends while the tests still run (say, the server crashed).
    std::thread::spawn(move || {
        let _ = watchdog.wait();
    });
}

fn wait_for_port(port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = std::fs::read_to_string(log).unwrap_or_default();
    panic!("{what} did not start listening on port {port} within 60 s. Its output:\n{output}");
}

/// Runs the async `setup` on a runtime of its own: the servers outlive any one test's runtime.
fn block_on<F>(setup: F) -> F::Output
where
    F: std::future::Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(setup)
            })
            .join()
            .unwrap()
    })
}

fn moto() -> &'static ChildServer {
    static MOTO: OnceLock<ChildServer> = OnceLock::new();
    MOTO.get_or_init(|| {
        let program = require_program("moto_server", MOTO_INSTALL);
        let port = free_port();
        let dir = tempfile::Builder::new()
            .prefix("bucketforge-moto-")
            .tempdir()
            .unwrap()
            .keep();
        let log = dir.join("moto.log");
        spawn_watched(
            &program,
            &["-H", "127.0.0.1", "-p", &port.to_string()],
            Some(&dir),
            &log,
        );
        wait_for_port(port, "moto_server", &log);
        let server = ChildServer {
            endpoint: format!("http://127.0.0.1:{port}"),
            region: "us-east-1".into(),
            access_key_id: "moto-test-key".into(),
            secret_access_key: "moto-test-secret".into(),
            read_only: None,
            write_only: None,
        };
        block_on(create_bucket(&server));
        server
    })
}

async fn create_bucket(server: &ChildServer) {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(server.region.clone()))
        .endpoint_url(&server.endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            &server.access_key_id,
            &server.secret_access_key,
            None,
            None,
            "tests",
        ))
        .build();
    aws_sdk_s3::Client::from_conf(config)
        .create_bucket()
        .bucket(TEST_BUCKET)
        .send()
        .await
        .expect("the test bucket is created");
}

fn garage() -> &'static ChildServer {
    static GARAGE: OnceLock<ChildServer> = OnceLock::new();
    GARAGE.get_or_init(|| {
        let program = require_program("garage", GARAGE_INSTALL);
        let dir = tempfile::Builder::new()
            .prefix("bucketforge-garage-")
            .tempdir()
            .unwrap()
            .keep();
        let (s3_port, rpc_port) = (free_port(), free_port());
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).unwrap();
        let config_path = dir.join("garage.toml");
        std::fs::write(
            &config_path,
            format!(
                r#"metadata_dir = "{meta}"
data_dir = "{data}"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc_port}"
rpc_public_addr = "127.0.0.1:{rpc_port}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "{GARAGE_REGION}"
api_bind_addr = "127.0.0.1:{s3_port}"
root_domain = ".s3.garage.localhost"
"#,
                meta = dir.join("meta").display(),
                data = dir.join("data").display(),
                secret = hex::encode(secret),
            ),
        )
        .unwrap();
        let config_arg = config_path.display().to_string();
        let log = dir.join("garage.log");
        spawn_watched(&program, &["-c", &config_arg, "server"], Some(&dir), &log);
        wait_for_port(s3_port, "garage", &log);
        wait_for_port(rpc_port, "garage (RPC)", &log);

        let cli = |args: &[&str]| -> String {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let output = Command::new(&program)
                    .arg("-c")
                    .arg(&config_arg)
                    .args(args)
                    .output()
                    .expect("the garage CLI runs");
                if output.status.success() {
                    return String::from_utf8_lossy(&output.stdout).to_string();
                }
                if Instant::now() > deadline {
                    panic!(
                        "`garage {}` failed: {}{}",
                        args.join(" "),
                        String::from_utf8_lossy(&output.stdout),
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
                std::thread::sleep(Duration::from_millis(250));
            }
        };
        let node = cli(&["node", "id", "-q"]);
        let node = node.trim().split('@').next().unwrap().to_string();
        cli(&["layout", "assign", "-z", "dc1", "-c", "1G", &node]);
        cli(&["layout", "apply", "--version", "1"]);
        cli(&["bucket", "create", TEST_BUCKET]);

        let key = |name: &str, seed: u8| -> (String, String) {
            let mut id = [0u8; 12];
            getrandom::fill(&mut id).unwrap();
            let id = format!("GK{}", hex::encode(id));
            let secret = hex::encode([seed; 32]);
            cli(&["key", "import", "--yes", "-n", name, &id, &secret]);
            (id, secret)
        };
        let full = key("full", 0x11);
        cli(&[
            "bucket",
            "allow",
            "--read",
            "--write",
            "--owner",
            TEST_BUCKET,
            "--key",
            &full.0,
        ]);
        let read_only = key("read-only", 0x22);
        cli(&[
            "bucket",
            "allow",
            "--read",
            TEST_BUCKET,
            "--key",
            &read_only.0,
        ]);
        let write_only = key("write-only", 0x33);
        cli(&[
            "bucket",
            "allow",
            "--write",
            TEST_BUCKET,
            "--key",
            &write_only.0,
        ]);

        let server = ChildServer {
            endpoint: format!("http://127.0.0.1:{s3_port}"),
            region: GARAGE_REGION.into(),
            access_key_id: full.0,
            secret_access_key: full.1,
            read_only: Some(read_only),
            write_only: Some(write_only),
        };
        // The layout takes a moment to reach the S3 side; wait until a listing works.
        let config = server.config();
        block_on(async move {
            let store = ObjectStore::connect(&config).await.unwrap();
            let user = UserId::new("warmup").unwrap();
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                match store.list_projects_page(&user, None, 1).await {
                    Ok(_) => break,
                    Err(e) if Instant::now() < deadline => {
                        let _ = e;
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                    Err(e) => panic!("Garage never became ready: {e}"),
                }
            }
        });
        server
    })
}

// ---------------------------------------------------------------- looking behind the store

/// Every key under `prefix`, read with a plain SDK client rather than the store under test.
pub async fn raw_keys(config: &StoreConfig, prefix: &str) -> Vec<String> {
    let StoreCredentials::Static {
        access_key_id,
        secret_access_key,
    } = &config.credentials
    else {
        panic!("raw access needs static credentials");
    };
    use secrecy::ExposeSecret;
    let sdk = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(config.region.clone()))
        .endpoint_url(config.endpoint.clone().unwrap())
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            access_key_id,
            secret_access_key.expose_secret(),
            None,
            None,
            "tests",
        ))
        .build();
    let output = aws_sdk_s3::Client::from_conf(sdk)
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
