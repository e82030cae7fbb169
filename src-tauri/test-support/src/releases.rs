//! A release of BucketForge as the updater sees one: a throwaway signing key made with the same
//! `tauri signer` a release is signed with, files signed with it, and an HTTP server on
//! 127.0.0.1 that serves `latest.json` and the downloads (and counts what it was asked for).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

/// The repository's root, where `npx` finds the Tauri CLI in node_modules.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the Tauri CLI's `signer` with `args`; panics with its output when it fails.
fn signer(args: &[&str]) -> String {
    let out = Command::new("npx")
        .arg("--prefix")
        .arg(repo_root())
        .args(["tauri", "signer"])
        .args(args)
        .output()
        .expect("npx runs (Node.js and `npm ci` are needed for the updater tests)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "tauri signer {args:?} failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// A key pair made for one test, in a temporary folder that goes with it.
pub struct SigningKey {
    dir: tempfile::TempDir,
    /// The public key as tauri.conf.json holds one (base64 of minisign's public key file).
    pub public: String,
}

impl SigningKey {
    /// `tauri signer generate`, without a password.
    pub fn generate() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("release.key");
        signer(&["generate", "--ci", "-p", "", "-w", key.to_str().unwrap()]);
        let public = std::fs::read_to_string(key.with_extension("key.pub")).unwrap();
        SigningKey {
            dir,
            public: public.trim().to_string(),
        }
    }

    /// `tauri signer sign --app-version VERSION` of `bytes`: the `.sig` file's text, which is
    /// what latest.json carries as the signature.
    pub fn sign(&self, bytes: &[u8], version: &str) -> String {
        let file = self
            .dir
            .path()
            .join(format!("artifact-{}", crate::processes::random_hex(4)));
        std::fs::write(&file, bytes).unwrap();
        let key = self.dir.path().join("release.key");
        signer(&[
            "sign",
            "--app-version",
            version,
            "-f",
            key.to_str().unwrap(),
            "-p",
            "",
            file.to_str().unwrap(),
        ]);
        let sig = std::fs::read_to_string(format!("{}.sig", file.display())).unwrap();
        sig.trim().to_string()
    }
}

#[derive(Default)]
struct Served {
    files: BTreeMap<String, Vec<u8>>,
    requests: Vec<String>,
}

/// An HTTP server on 127.0.0.1 serving files from memory; anything else is 404.
pub struct ReleaseServer {
    addr: SocketAddr,
    served: Arc<Mutex<Served>>,
    serving: tokio::task::JoinHandle<()>,
}

async fn serve(
    State(served): State<Arc<Mutex<Served>>>,
    UrlPath(name): UrlPath<String>,
) -> (StatusCode, Vec<u8>) {
    let mut served = served.lock().unwrap();
    served.requests.push(name.clone());
    match served.files.get(&name) {
        Some(bytes) => (StatusCode::OK, bytes.clone()),
        None => (StatusCode::NOT_FOUND, b"not found".to_vec()),
    }
}

impl ReleaseServer {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let served = Arc::new(Mutex::new(Served::default()));
        let app = Router::new()
            .route("/{name}", get(serve))
            .with_state(served.clone());
        let serving = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ReleaseServer {
            addr,
            served,
            serving,
        }
    }

    /// `http://127.0.0.1:PORT/NAME`.
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}", self.addr)
    }

    /// Serves `bytes` as `/NAME` from now on.
    pub fn put(&self, name: &str, bytes: impl Into<Vec<u8>>) {
        self.served
            .lock()
            .unwrap()
            .files
            .insert(name.to_string(), bytes.into());
    }

    /// Serves a `latest.json` announcing `version`, with `download` (a name this server
    /// serves) and `signature` for `target` (e.g. "linux-x86_64").
    pub fn publish(&self, version: &str, target: &str, download: &str, signature: &str) {
        let manifest = serde_json::json!({
            "version": version,
            "notes": format!("What is new in {version}."),
            "pub_date": "2026-12-01T09:30:00Z",
            "platforms": { target: { "url": self.url(download), "signature": signature } },
        });
        self.put("latest.json", manifest.to_string());
    }

    /// The names asked for so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.served.lock().unwrap().requests.clone()
    }
}

impl Drop for ReleaseServer {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

/// The updater's name for this machine's downloads, as a static latest.json keys them.
pub fn this_target() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        os => os,
    };
    format!("{os}-{}", std::env::consts::ARCH)
}

/// Bytes an AppImage install accepts: an ELF executable's first bytes, then `label`.
pub fn appimage_bytes(label: &str) -> Vec<u8> {
    let mut bytes = b"\x7fELF\x02\x01\x01\x00".to_vec();
    bytes.extend_from_slice(label.as_bytes());
    bytes.resize(4096, 0);
    bytes
}
