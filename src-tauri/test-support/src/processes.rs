//! moto and Garage as child processes on free loopback ports: the one start-up shared by the
//! Rust tests (in-process, see `moto()` and `garage()` in the crate root) and the end-to-end
//! suite (through the `bucketforge-test-servers` binary).
//!
//! Every server runs beside a watchdog that kills it, and removes its data, as soon as the
//! process that started it is gone, however that process ended.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use bucketforge_engine::store::{ObjectStore, StoreConfig, StoreCredentials, UserId};
use secrecy::SecretString;
use serde::Serialize;

pub const MOTO_INSTALL: &str = "pip install 'moto[server]'";
pub const GARAGE_INSTALL: &str = "cargo install garage --locked";

/// Garage's `s3_region`: requests signed for any other region are refused.
pub const GARAGE_REGION: &str = "garage";
/// moto accepts any region; the SDK's default.
pub const MOTO_REGION: &str = "us-east-1";

/// How long a server may take to start before the start-up gives up (a hang, not a figure).
const START_PATIENCE: Duration = Duration::from_secs(60);

/// An access key and its secret.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct KeyPair {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// Where a started server answers and how to sign for it: what the binary prints.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct S3Endpoint {
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Garage only: a key that may read the bucket but not write it.
    pub read_only: Option<KeyPair>,
    /// Garage only: a key that may write the bucket but not read it.
    pub write_only: Option<KeyPair>,
    /// The server process, so a caller can check it is gone after a stop.
    pub pid: u32,
    /// The server's data and log; removed when it stops.
    pub data_dir: PathBuf,
}

impl S3Endpoint {
    /// Settings for the engine's store, with the full key and short test timeouts.
    pub fn store_config(&self) -> StoreConfig {
        StoreConfig {
            bucket: self.bucket.clone(),
            region: self.region.clone(),
            endpoint: Some(self.endpoint.clone()),
            path_style: true,
            credentials: StoreCredentials::Static {
                access_key_id: self.access_key_id.clone(),
                secret_access_key: SecretString::from(self.secret_access_key.clone()),
            },
            policy: crate::fast_policy(),
        }
    }

    /// A plain SDK client with the full key, independent of the store under test.
    pub fn sdk_client(&self) -> aws_sdk_s3::Client {
        sdk_client(
            &self.endpoint,
            &self.region,
            &self.access_key_id,
            &self.secret_access_key,
        )
    }
}

/// A plain SDK client for a loopback S3 server (path-style addressing).
pub fn sdk_client(endpoint: &str, region: &str, key_id: &str, secret: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(key_id, secret, None, None, "tests"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// A running moto or Garage, with its watchdog.
pub struct S3Process {
    pub endpoint: S3Endpoint,
    server: Child,
    watchdog: Child,
}

impl S3Process {
    /// moto's S3 server with `bucket`. Without IAM enforcement moto accepts any signature, so
    /// its keys are random only to look like real ones (see `start_moto_iam` for a moto that checks).
    pub fn start_moto(bucket: &str) -> Result<Self, String> {
        let program = find_program("moto_server", MOTO_INSTALL)?;
        let dir = data_dir("moto")?;
        let port = free_port()?;
        let log = dir.join("moto.log");
        let mut process = Self::spawn(
            &program,
            &["-H", "127.0.0.1", "-p", &port.to_string()],
            &dir,
            &log,
            moto_endpoint(port, bucket, &dir),
        )?;
        let started = process
            .wait_for_port(port, "moto_server", &log)
            .and_then(|()| block_on(create_bucket(process.endpoint.clone())));
        match started {
            Ok(()) => Ok(process),
            Err(e) => {
                process.stop();
                Err(e)
            }
        }
    }

    /// moto enforcing IAM, as AWS does for a team's bucket: `bucket`, and for each `(name,
    /// policy)` an IAM user with that inline policy and an access key of its own. Every request
    /// after this setup must be signed by a user's key and is allowed only by its policy (moto
    /// checks actions and resources; it doesn't evaluate conditions).
    ///
    /// moto runs through `moto_iam_server.py`, which hands its signature check the query string
    /// as sent: moto's own check rebuilds it decoded, so it refuses every listing under a prefix.
    pub fn start_moto_iam(
        bucket: &str,
        people: &[(&str, String)],
    ) -> Result<(Self, Vec<TeamMember>), String> {
        let python = find_program("python3", MOTO_INSTALL)?;
        // moto itself must be there, with the same Python.
        find_program("moto_server", MOTO_INSTALL)?;
        let dir = data_dir("moto-iam")?;
        let shim = dir.join("moto_iam_server.py");
        std::fs::write(&shim, include_str!("../moto_iam_server.py"))
            .map_err(|e| format!("could not write {shim:?}: {e}"))?;
        let port = free_port()?;
        let log = dir.join("moto.log");
        // The requests moto lets through unsigned: the bucket, then three IAM calls a person.
        let setup_requests = 1 + 3 * people.len();
        let shim_arg = shim.display().to_string();
        let mut process = Self::spawn_with_env(
            &python,
            &[&shim_arg, "-H", "127.0.0.1", "-p", &port.to_string()],
            &[("INITIAL_NO_AUTH_ACTION_COUNT", setup_requests.to_string())],
            &dir,
            &log,
            // With IAM on, this key may do nothing once the setup is over.
            moto_endpoint(port, bucket, &dir),
        )?;
        let started = process
            .wait_for_port(port, "moto_server", &log)
            .and_then(|()| block_on(create_bucket(process.endpoint.clone())))
            .and_then(|()| {
                people
                    .iter()
                    .map(|(name, policy)| {
                        block_on(iam_member(&process.endpoint.endpoint, name, policy))
                    })
                    .collect::<Result<Vec<_>, String>>()
            });
        match started {
            Ok(members) => Ok((process, members)),
            Err(e) => {
                process.stop();
                Err(e)
            }
        }
    }

    /// A single-node Garage with `bucket`, a full key and a read-only and a write-only one.
    /// Garage checks signatures and its region for real, as a cloud bucket does.
    pub fn start_garage(bucket: &str) -> Result<Self, String> {
        let program = find_program("garage", GARAGE_INSTALL)?;
        let dir = data_dir("garage")?;
        let (s3_port, rpc_port) = (free_port()?, free_port()?);
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
                secret = random_hex(32),
            ),
        )
        .map_err(|e| format!("could not write Garage's config: {e}"))?;
        let config_arg = config_path.display().to_string();
        let log = dir.join("garage.log");
        let full = garage_key();
        let mut process = Self::spawn(
            &program,
            &["-c", &config_arg, "server"],
            &dir,
            &log,
            S3Endpoint {
                endpoint: format!("http://127.0.0.1:{s3_port}"),
                region: GARAGE_REGION.into(),
                bucket: bucket.into(),
                access_key_id: full.access_key_id.clone(),
                secret_access_key: full.secret_access_key.clone(),
                read_only: Some(garage_key()),
                write_only: Some(garage_key()),
                pid: 0,
                data_dir: dir.clone(),
            },
        )?;
        match process.set_up_garage(&program, &config_arg, s3_port, rpc_port, &log) {
            Ok(()) => Ok(process),
            Err(e) => {
                process.stop();
                Err(e)
            }
        }
    }

    fn set_up_garage(
        &mut self,
        program: &Path,
        config_arg: &str,
        s3_port: u16,
        rpc_port: u16,
        log: &Path,
    ) -> Result<(), String> {
        self.wait_for_port(s3_port, "garage", log)?;
        self.wait_for_port(rpc_port, "garage (RPC)", log)?;
        // The CLI talks to the node over RPC, which takes a moment to accept commands.
        let cli = |args: &[&str]| -> Result<String, String> {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let output = Command::new(program)
                    .arg("-c")
                    .arg(config_arg)
                    .args(args)
                    .stdin(Stdio::null())
                    .output()
                    .map_err(|e| format!("the garage CLI did not run: {e}"))?;
                if output.status.success() {
                    return Ok(String::from_utf8_lossy(&output.stdout).to_string());
                }
                if Instant::now() > deadline {
                    return Err(format!(
                        "`garage {}` failed: {}{}",
                        args.join(" "),
                        String::from_utf8_lossy(&output.stdout),
                        String::from_utf8_lossy(&output.stderr)
                    ));
                }
                std::thread::sleep(Duration::from_millis(250));
            }
        };
        let node = cli(&["node", "id", "-q"])?;
        let node = node
            .trim()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_string();
        cli(&["layout", "assign", "-z", "dc1", "-c", "1G", &node])?;
        cli(&["layout", "apply", "--version", "1"])?;
        let bucket = self.endpoint.bucket.clone();
        cli(&["bucket", "create", &bucket])?;
        let full = KeyPair {
            access_key_id: self.endpoint.access_key_id.clone(),
            secret_access_key: self.endpoint.secret_access_key.clone(),
        };
        let grants: [(&str, &KeyPair, &[&str]); 3] = [
            ("full", &full, &["--read", "--write", "--owner"]),
            (
                "read-only",
                self.endpoint.read_only.as_ref().unwrap_or(&full),
                &["--read"],
            ),
            (
                "write-only",
                self.endpoint.write_only.as_ref().unwrap_or(&full),
                &["--write"],
            ),
        ];
        for (name, key, rights) in grants {
            cli(&[
                "key",
                "import",
                "--yes",
                "-n",
                name,
                &key.access_key_id,
                &key.secret_access_key,
            ])?;
            let mut allow = vec!["bucket", "allow"];
            allow.extend_from_slice(rights);
            allow.extend_from_slice(&[bucket.as_str(), "--key", key.access_key_id.as_str()]);
            cli(&allow)?;
        }
        // The layout takes a moment to reach the S3 side; wait until a listing works.
        let config = self.endpoint.store_config();
        block_on(async move {
            let store = ObjectStore::connect(&config)
                .await
                .map_err(|e| format!("no store for Garage: {e}"))?;
            let user = UserId::new("warmup").map_err(|e| e.to_string())?;
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                match store.list_projects_page(&user, None, 1).await {
                    Ok(_) => return Ok(()),
                    Err(_) if Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                    Err(e) => return Err(format!("Garage never became ready: {e}")),
                }
            }
        })
    }

    /// Runs `program args` with its output in `log`, and a watchdog beside it that kills it
    /// and removes `dir` once this process is gone (statics are never dropped, and a killed
    /// process drops nothing).
    fn spawn(
        program: &Path,
        args: &[&str],
        dir: &Path,
        log: &Path,
        endpoint: S3Endpoint,
    ) -> Result<Self, String> {
        Self::spawn_with_env(program, args, &[], dir, log, endpoint)
    }

    fn spawn_with_env(
        program: &Path,
        args: &[&str],
        env: &[(&str, String)],
        dir: &Path,
        log: &Path,
        mut endpoint: S3Endpoint,
    ) -> Result<Self, String> {
        let log_file =
            std::fs::File::create(log).map_err(|e| format!("could not create {log:?}: {e}"))?;
        let log_copy = log_file
            .try_clone()
            .map_err(|e| format!("could not share {log:?}: {e}"))?;
        let server = Command::new(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log_copy)
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("could not start {program:?}: {e}"))?;
        endpoint.pid = server.id();
        let script = r#"parent=$1; child=$2; cleanup=$3
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.2; done
kill "$child" 2>/dev/null
tries=0
while kill -0 "$child" 2>/dev/null && [ "$tries" -lt 25 ]; do sleep 0.2; tries=$((tries + 1)); done
kill -9 "$child" 2>/dev/null
rm -rf "$cleanup""#;
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("watchdog")
            .arg(std::process::id().to_string())
            .arg(server.id().to_string())
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let mut server = server;
        match watchdog {
            Ok(watchdog) => Ok(Self {
                endpoint,
                server,
                watchdog,
            }),
            Err(e) => {
                let _ = server.kill();
                let _ = server.wait();
                let _ = std::fs::remove_dir_all(dir);
                Err(format!("could not start the watchdog (sh): {e}"))
            }
        }
    }

    fn wait_for_port(&mut self, port: u16, what: &str, log: &Path) -> Result<(), String> {
        let deadline = Instant::now() + START_PATIENCE;
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.server.try_wait() {
                let output = std::fs::read_to_string(log).unwrap_or_default();
                return Err(format!(
                    "{what} exited ({status}) before listening. Its output:\n{output}"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let output = std::fs::read_to_string(log).unwrap_or_default();
        Err(format!(
            "{what} did not start listening on port {port} within {} s. Its output:\n{output}",
            START_PATIENCE.as_secs()
        ))
    }

    /// Stops the server and its watchdog, waits for both to be gone and removes the data.
    pub fn stop(mut self) {
        // The watchdog first, so it cannot outlive the server and act on a reused PID.
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = std::fs::remove_dir_all(&self.endpoint.data_dir);
    }
}

fn garage_key() -> KeyPair {
    KeyPair {
        access_key_id: format!("GK{}", random_hex(12)),
        secret_access_key: random_hex(32),
    }
}

async fn create_bucket(endpoint: S3Endpoint) -> Result<(), String> {
    endpoint
        .sdk_client()
        .create_bucket()
        .bucket(&endpoint.bucket)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("could not create the bucket {}: {e:?}", endpoint.bucket))
}

/// Where a moto on `port` answers, with `bucket`, a random key and its data in `dir`.
fn moto_endpoint(port: u16, bucket: &str, dir: &Path) -> S3Endpoint {
    S3Endpoint {
        endpoint: format!("http://127.0.0.1:{port}"),
        region: MOTO_REGION.into(),
        bucket: bucket.into(),
        access_key_id: format!("AKIA{}", random_hex(8).to_uppercase()),
        secret_access_key: random_hex(20),
        read_only: None,
        write_only: None,
        pid: 0,
        data_dir: dir.to_path_buf(),
    }
}

/// A person of a team on an IAM-enforcing moto: their IAM user name and access key.
#[derive(Debug, Clone)]
pub struct TeamMember {
    pub user: String,
    pub keys: KeyPair,
}

/// Creates the IAM user `name` with `policy` inline and an access key, during moto's unsigned
/// setup (the Authorization header only routes the call to IAM).
async fn iam_member(endpoint: &str, name: &str, policy: &str) -> Result<TeamMember, String> {
    let client = reqwest::Client::new();
    let version = ("Version", "2010-05-08");
    iam_call(
        &client,
        endpoint,
        vec![("Action", "CreateUser"), ("UserName", name), version],
    )
    .await?;
    iam_call(
        &client,
        endpoint,
        vec![
            ("Action", "PutUserPolicy"),
            ("UserName", name),
            ("PolicyName", "bucketforge"),
            ("PolicyDocument", policy),
            version,
        ],
    )
    .await?;
    let created = iam_call(
        &client,
        endpoint,
        vec![("Action", "CreateAccessKey"), ("UserName", name), version],
    )
    .await?;
    let field = |tag: &str| {
        let open = format!("<{tag}>");
        let start = created.find(&open).map(|at| at + open.len());
        let end = created.find(&format!("</{tag}>"));
        match (start, end) {
            (Some(start), Some(end)) if start <= end => Ok(created[start..end].to_string()),
            _ => Err(format!(
                "no {tag} in moto's CreateAccessKey answer: {created}"
            )),
        }
    };
    Ok(TeamMember {
        user: name.to_string(),
        keys: KeyPair {
            access_key_id: field("AccessKeyId")?,
            secret_access_key: field("SecretAccessKey")?,
        },
    })
}

/// One IAM query-API call to moto; its answer's body.
async fn iam_call(
    client: &reqwest::Client,
    endpoint: &str,
    params: Vec<(&'static str, &str)>,
) -> Result<String, String> {
    let response = client
        .post(format!("{endpoint}/"))
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIASETUP/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0",
        )
        .header("X-Amz-Date", "20260101T000000Z")
        .form(&params)
        .send()
        .await
        .map_err(|e| format!("IAM call {:?} failed: {e}", params[0]))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| format!("IAM answer unreadable: {e}"))?;
    if !status.is_success() {
        return Err(format!(
            "IAM call {:?} answered {status}: {text}",
            params[0]
        ));
    }
    Ok(text)
}

/// `bytes` random bytes as lowercase hex./// `bytes` random bytes as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).unwrap_or_else(|e| panic!("no randomness from the OS: {e}"));
    hex::encode(buf)
}

fn data_dir(label: &str) -> Result<PathBuf, String> {
    tempfile::Builder::new()
        .prefix(&format!("bucketforge-{label}-"))
        .tempdir()
        .map(|dir| dir.keep())
        .map_err(|e| format!("could not create a temp dir for {label}: {e}"))
}

pub fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

/// The program's path, or an error naming the install command when it is missing.
pub fn find_program(program: &str, install: &str) -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            format!(
                "`{program}` is not installed, and these tests need it. Install it with: {install}"
            )
        })
}

/// Runs the async `setup` on a runtime of its own: the servers outlive any one test's runtime,
/// and a test may start them from inside its own.
pub(crate) fn block_on<F>(setup: F) -> F::Output
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
                    .unwrap_or_else(|e| panic!("no tokio runtime: {e}"))
                    .block_on(setup)
            })
            .join()
            .unwrap_or_else(|_| panic!("the set-up thread panicked"))
    })
}

/// Every path the process opened for writing, created, renamed or removed, from strace.
pub fn local_writes(trace: &str) -> Vec<String> {
    const WRITING: [&str; 4] = ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"];
    const MUTATING: [&str; 9] = [
        "mkdir(",
        "mkdirat(",
        "rename(",
        "renameat(",
        "renameat2(",
        "unlink(",
        "unlinkat(",
        "creat(",
        "truncate(",
    ];
    trace
        .lines()
        .filter(|line| !line.contains("= -1 "))
        .filter(|line| {
            let opens_for_writing = (line.contains("openat(") || line.contains("open("))
                && WRITING.iter().any(|flag| line.contains(flag));
            opens_for_writing || MUTATING.iter().any(|call| line.contains(call))
        })
        // The terminal, /dev/null and the kernel's pseudo-files are not the disk.
        .filter(|line| {
            !["\"/dev/", "\"/proc/", "\"/sys/"]
                .iter()
                .any(|p| line.contains(p))
        })
        .map(str::to_string)
        .collect()
}
