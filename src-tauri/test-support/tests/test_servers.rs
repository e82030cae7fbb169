//! The `bucketforge-test-servers` binary as the end-to-end suite runs it: one JSON line naming
//! live servers that answer real S3 requests, and nothing of them left once stdin closes, a
//! SIGTERM arrives, or the binary is killed outright.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use bucketforge_test_support::processes::{random_hex, sdk_client};
use bucketforge_test_support::S3Endpoint;

/// Long enough to mean "hung" on a busy two-core machine; never the figure a test is about.
const HANG: Duration = Duration::from_secs(60);

struct Servers {
    binary: Child,
    endpoints: BTreeMap<String, S3Endpoint>,
}

/// Runs the binary with `args` and reads the line it prints once its servers are up.
fn start(args: &[&str]) -> Servers {
    let mut binary = Command::new(env!("CARGO_BIN_EXE_bucketforge-test-servers"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    BufReader::new(binary.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let endpoints = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("not one JSON line of endpoints ({e}): {line:?}"));
    Servers { binary, endpoints }
}

/// Puts an object with the full key and reads it back with a fresh client.
async fn round_trip(server: &S3Endpoint) {
    let body = format!("probe {}", random_hex(8));
    server
        .sdk_client()
        .put_object()
        .bucket(&server.bucket)
        .key("probe.txt")
        .body(ByteStream::from(body.clone().into_bytes()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("PUT to {}: {e:?}", server.endpoint));
    let read = server
        .sdk_client()
        .get_object()
        .bucket(&server.bucket)
        .key("probe.txt")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET from {}: {e:?}", server.endpoint));
    assert_eq!(read.body.collect().await.unwrap().into_bytes(), body);
}

/// The error code an S3 server answers a listing signed with these keys and region.
async fn listing_error(server: &S3Endpoint, region: &str, key_id: &str, secret: &str) -> String {
    let error = sdk_client(&server.endpoint, region, key_id, secret)
        .list_objects_v2()
        .bucket(&server.bucket)
        .send()
        .await
        .expect_err("the listing is refused");
    error
        .raw_response()
        .map(|r| String::from_utf8_lossy(r.body().bytes().unwrap_or_default()).to_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

/// Processes still running (not zombies) whose PID is `pid` or whose command line names `dir`.
#[cfg(target_os = "linux")]
fn still_running(pid: u32, dir: &Path) -> Vec<String> {
    let dir = dir.display().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(id) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // The state follows the command name in parentheses: "Z" is a zombie, already ended.
        let state = stat.rsplit_once(") ").map(|(_, rest)| &rest[..1]);
        if matches!(state, None | Some("Z") | Some("X")) {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if id == pid || cmdline.contains(&dir) {
            found.push(format!("{id}: {cmdline}"));
        }
    }
    found
}

/// What is left of a stopped server: running processes, a listening port, data on disk.
fn leftovers(server: &S3Endpoint) -> Vec<String> {
    let mut left = Vec::new();
    #[cfg(target_os = "linux")]
    left.extend(still_running(server.pid, &server.data_dir));
    let addr = server.endpoint.trim_start_matches("http://");
    if std::net::TcpStream::connect(addr).is_ok() {
        left.push(format!("something still listens on {addr}"));
    }
    if server.data_dir.exists() {
        left.push(format!("{:?} is still there", server.data_dir));
    }
    left
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_servers_answer_real_requests_and_are_gone_once_stdin_closes() {
    let mut servers = start(&["--bucket", "probe-bucket"]);
    let moto = servers.endpoints["moto"].clone();
    let garage = servers.endpoints["garage"].clone();
    assert_eq!(moto.bucket, "probe-bucket");
    assert_eq!(garage.bucket, "probe-bucket");
    assert_eq!(garage.region, "garage", "Garage's region is its s3_region");
    round_trip(&moto).await;
    round_trip(&garage).await;

    // Garage checks what moto doesn't: the secret, and the region the request is signed for.
    let wrong_secret = random_hex(32);
    let refused = listing_error(&garage, "garage", &garage.access_key_id, &wrong_secret).await;
    assert!(refused.contains("AccessDenied"), "{refused}");
    let refused = listing_error(
        &garage,
        "us-east-1",
        &garage.access_key_id,
        &garage.secret_access_key,
    )
    .await;
    assert!(
        refused.contains("AuthorizationHeaderMalformed"),
        "{refused}"
    );
    // Its read-only key reads but does not write.
    let read_only = garage.read_only.clone().unwrap();
    let reader = sdk_client(
        &garage.endpoint,
        "garage",
        &read_only.access_key_id,
        &read_only.secret_access_key,
    );
    reader
        .get_object()
        .bucket(&garage.bucket)
        .key("probe.txt")
        .send()
        .await
        .expect("the read-only key reads");
    let write = reader
        .put_object()
        .bucket(&garage.bucket)
        .key("refused.txt")
        .body(ByteStream::from_static(b"no"))
        .send()
        .await;
    assert!(write.is_err(), "the read-only key may not write");

    assert!(leftovers(&moto).iter().any(|l| l.contains("listens")));
    drop(servers.binary.stdin.take());
    let status = servers.binary.wait().unwrap();
    assert!(status.success(), "{status}");
    // The binary waits for its servers before it exits: nothing is left at that moment.
    assert_eq!(leftovers(&moto), Vec::<String>::new());
    assert_eq!(leftovers(&garage), Vec::<String>::new());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_run_has_its_own_moto_with_random_keys_and_sigterm_stops_it() {
    let mut first = start(&["--moto"]);
    let mut second = start(&["--moto"]);
    assert_eq!(
        first.endpoints.keys().collect::<Vec<_>>(),
        ["moto"],
        "only what was asked for starts"
    );
    let (a, b) = (&first.endpoints["moto"], &second.endpoints["moto"]);
    assert_ne!(a.endpoint, b.endpoint);
    assert_ne!(a.access_key_id, b.access_key_id);
    assert_ne!(a.secret_access_key, b.secret_access_key);
    round_trip(a).await;
    round_trip(b).await;

    let terminated = Command::new("kill")
        .args(["-TERM", &first.binary.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    assert!(first.binary.wait().unwrap().success());
    assert_eq!(leftovers(a), Vec::<String>::new());
    // The other run is untouched by the first one's stop.
    round_trip(b).await;
    drop(second.binary.stdin.take());
    assert!(second.binary.wait().unwrap().success());
    assert_eq!(leftovers(b), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_binary_outright_still_ends_its_servers() {
    let mut servers = start(&["--garage"]);
    let garage = servers.endpoints["garage"].clone();
    round_trip(&garage).await;
    let running = leftovers(&garage);
    assert!(
        running.len() >= 3,
        "the server, its port and its data: {running:?}"
    );
    servers.binary.kill().unwrap();
    servers.binary.wait().unwrap();
    // The watchdog notices its parent is gone and ends the server.
    let deadline = Instant::now() + HANG;
    while !leftovers(&garage).is_empty() {
        assert!(
            Instant::now() < deadline,
            "left running after a kill: {:?}",
            leftovers(&garage)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
