//! One owner per built-in bucket folder, within one process: starts share the running server,
//! a folder held by someone else is used through its runtime file, a store follows the owner
//! when it moves, and no key or prefix reaches outside the bucket's folder.

use bucketforge_test_support as support;

use std::path::Path;
use std::time::Duration;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use bucketforge_engine::store::{
    LocalBucket, LocalBucketOptions, ObjectStore, ProjectPath, StoreConfig, StoreCredentials,
    LOCAL_BUCKET,
};
use secrecy::ExposeSecret;
use support::{project, unique_user};

/// A file named the way s3s-fs names its in-flight uploads: any s3s-fs instance that starts
/// on the folder deletes it.
const IN_FLIGHT: &str = ".tmp.987654.internal.part";

fn options(dir: &Path) -> LocalBucketOptions {
    LocalBucketOptions::with_random_credentials(dir).unwrap()
}

fn secret_of(config: &StoreConfig) -> (String, String) {
    match &config.credentials {
        StoreCredentials::Static {
            access_key_id,
            secret_access_key,
        } => (
            access_key_id.clone(),
            secret_access_key.expose_secret().to_string(),
        ),
        other => panic!("static credentials expected, got {other:?}"),
    }
}

/// Plays another process that owns `dir`: holds its lock and publishes `port` and `creds`
/// the way an owner does.
fn pretend_to_own(
    dir: &Path,
    runtime_file: &Path,
    port: u16,
    creds: &(String, String),
) -> std::fs::File {
    std::fs::create_dir_all(dir.join(LOCAL_BUCKET)).unwrap();
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(dir.join(".bucketforge-owner.lock"))
        .unwrap();
    lock.try_lock().expect("the folder is free");
    publish(&lock, runtime_file, port, creds);
    lock
}

fn publish(lock: &std::fs::File, runtime_file: &Path, port: u16, creds: &(String, String)) {
    use std::io::{Seek, Write};
    let body = serde_json::json!({
        "port": port, "access_key_id": creds.0, "secret_access_key": creds.1,
    });
    let temp = runtime_file.with_extension("tmp");
    std::fs::write(&temp, body.to_string()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    std::fs::rename(&temp, runtime_file).unwrap();
    let mut lock = lock;
    lock.set_len(0).unwrap();
    lock.rewind().unwrap();
    lock.write_all(runtime_file.to_str().unwrap().as_bytes())
        .unwrap();
}

async fn round_trip(store: &ObjectStore, label: &str) {
    let key = project(&unique_user("owner"), "notes");
    let path = ProjectPath::new("README.md").unwrap();
    let body = format!("# {label}\n");
    store.put_file(&key, &path, body.clone()).await.unwrap();
    let read = store.get_file(&key, &path).await.unwrap();
    assert_eq!(read.bytes, body.as_bytes(), "{label}");
}

#[tokio::test]
async fn two_starts_on_one_folder_in_one_process_share_one_server() {
    let data = tempfile::tempdir().unwrap();
    let first = LocalBucket::start(options(data.path())).await.unwrap();
    std::fs::write(data.path().join(IN_FLIGHT), "half an upload").unwrap();
    // Another spelling of the same folder, and other credentials.
    let second = LocalBucket::start(options(&data.path().join(".")))
        .await
        .unwrap();
    assert_eq!(first.endpoint(), second.endpoint());
    assert_eq!(first.data_dir(), second.data_dir());
    assert!(first.is_serving() && second.is_serving());
    assert_eq!(
        secret_of(&first.store_config()),
        secret_of(&second.store_config()),
        "the second start uses the running server's credentials"
    );
    assert!(
        data.path().join(IN_FLIGHT).exists(),
        "a second s3s-fs started on the folder and deleted an in-flight upload"
    );
    let a = ObjectStore::connect_local(&first).await.unwrap();
    let b = ObjectStore::connect_local(&second).await.unwrap();
    let key = project(&unique_user("share"), "notes");
    let path = ProjectPath::new("a.txt").unwrap();
    a.put_file(&key, &path, "from a").await.unwrap();
    assert_eq!(b.get_file(&key, &path).await.unwrap().bytes, "from a");
}

#[tokio::test]
async fn a_session_whose_store_is_reset_mid_run_keeps_one_server_on_its_folder() {
    let data = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let session = support::window_session(config.path(), data.path());
    let running = session.store().await.unwrap();
    std::fs::write(data.path().join(IN_FLIGHT), "half an upload").unwrap();
    session.save_settings(session.settings()).await.unwrap();
    let fresh = session.store().await.unwrap();
    assert_eq!(running.endpoint(), fresh.endpoint());
    assert!(data.path().join(IN_FLIGHT).exists());
    round_trip(&running, "the store a run still holds").await;
    round_trip(&fresh, "the store made after the reset").await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_runtime_file_is_readable_by_its_user_only_and_names_the_server() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let local = LocalBucket::start(options(data.path())).await.unwrap();
    let file = local.runtime_file();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(
        format!("http://127.0.0.1:{}", json["port"]),
        local.endpoint()
    );
    let (id, secret) = secret_of(&local.store_config());
    assert_eq!(json["access_key_id"], id.as_str());
    assert_eq!(json["secret_access_key"], secret.as_str());
    assert!(!format!("{local:?}").contains(&secret));
}

#[tokio::test]
async fn a_folder_another_process_owns_is_used_through_its_runtime_file() {
    let data = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    // The "other process" serves from another folder; what matters is where requests go.
    let server_dir = tempfile::tempdir().unwrap();
    let server = LocalBucket::start(options(server_dir.path()))
        .await
        .unwrap();
    let creds = secret_of(&server.store_config());
    let port: u16 = server
        .endpoint()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let runtime_file = elsewhere.path().join("rt.json");
    let lock = pretend_to_own(data.path(), &runtime_file, port, &creds);
    std::fs::write(data.path().join(IN_FLIGHT), "half an upload").unwrap();

    let client = LocalBucket::start(options(data.path())).await.unwrap();
    assert!(!client.is_serving());
    assert_eq!(client.endpoint(), server.endpoint());
    assert_eq!(client.runtime_file(), runtime_file);
    let store = ObjectStore::connect_local(&client).await.unwrap();
    round_trip(&store, "through the owner").await;
    assert!(data.path().join(IN_FLIGHT).exists());

    // The owner goes; this process takes over. The old port is still taken (by the server
    // that stands in for the owner), so it serves on a new one and says so.
    drop(lock);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !client.is_serving() {
        assert!(std::time::Instant::now() < deadline, "no takeover");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_ne!(client.endpoint(), server.endpoint());
    assert!(
        !data.path().join(IN_FLIGHT).exists(),
        "the new owner cleans up what the old one left"
    );
    let published: serde_json::Value =
        serde_json::from_slice(&std::fs::read(client.runtime_file()).unwrap()).unwrap();
    assert_eq!(
        format!("http://127.0.0.1:{}", published["port"]),
        client.endpoint()
    );
    assert_eq!(
        published["access_key_id"],
        creds.0.as_str(),
        "same credentials"
    );
    round_trip(&store, "the store made before the takeover").await;
}

#[tokio::test]
async fn a_store_follows_an_owner_that_moved_to_another_port() {
    let data = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let first_dir = tempfile::tempdir().unwrap();
    let second_dir = tempfile::tempdir().unwrap();
    let first = LocalBucket::start(options(first_dir.path())).await.unwrap();
    let port_of = |local: &LocalBucket| -> u16 {
        local
            .endpoint()
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let runtime_file = elsewhere.path().join("rt.json");
    let lock = pretend_to_own(
        data.path(),
        &runtime_file,
        port_of(&first),
        &secret_of(&first.store_config()),
    );
    let client = LocalBucket::start(options(data.path())).await.unwrap();
    let store = ObjectStore::connect_local(&client).await.unwrap();
    round_trip(&store, "before the move").await;

    // The owner now listens elsewhere, with other credentials, and the old port is closed.
    let second = LocalBucket::start(options(second_dir.path()))
        .await
        .unwrap();
    publish(
        &lock,
        &runtime_file,
        port_of(&second),
        &secret_of(&second.store_config()),
    );
    let old = first.endpoint();
    drop(first);
    while tokio::net::TcpStream::connect(old.trim_start_matches("http://"))
        .await
        .is_ok()
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    round_trip(&store, "after the move").await;
    assert_eq!(client.endpoint(), second.endpoint());
    assert!(!client.is_serving());
}

/// A plain S3 client on the built-in bucket, so requests go out exactly as written.
fn raw_client(local: &LocalBucket) -> aws_sdk_s3::Client {
    let (id, secret) = secret_of(&local.store_config());
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(local.endpoint())
        .force_path_style(true)
        .credentials_provider(Credentials::new(id, secret, None, None, "test"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

fn code<E: aws_sdk_s3::error::ProvideErrorMetadata>(
    result: Result<impl std::fmt::Debug, aws_sdk_s3::error::SdkError<E>>,
) -> String {
    match result {
        Ok(output) => format!("accepted: {output:?}"),
        Err(e) => aws_sdk_s3::error::ProvideErrorMetadata::code(&e)
            .unwrap_or("no code")
            .to_string(),
    }
}

#[tokio::test]
async fn keys_and_prefixes_that_climb_out_of_the_bucket_are_refused() {
    let data = tempfile::tempdir().unwrap();
    let local = LocalBucket::start(options(data.path())).await.unwrap();
    let client = raw_client(&local);
    std::fs::write(data.path().join("outside.txt"), "not an object").unwrap();
    let outside_dir = tempfile::tempdir().unwrap();
    std::fs::write(outside_dir.path().join("far.txt"), "far away").unwrap();
    let far = format!("{}/", outside_dir.path().display());

    for prefix in ["../", "a/../../", far.as_str(), "a\\b/", "a\0b/", "/"] {
        for delimiter in [Some("/"), None] {
            let listed = client
                .list_objects_v2()
                .bucket(LOCAL_BUCKET)
                .prefix(prefix)
                .set_delimiter(delimiter.map(str::to_string))
                .send()
                .await;
            assert_eq!(code(listed), "InvalidArgument", "{prefix:?} {delimiter:?}");
        }
    }
    let far_key = format!("{}far.txt", far);
    for key in [
        "../outside.txt",
        "a/../../outside.txt",
        far_key.as_str(),
        "..\\outside.txt",
    ] {
        let got = client
            .get_object()
            .bucket(LOCAL_BUCKET)
            .key(key)
            .send()
            .await;
        assert_eq!(code(got), "InvalidArgument", "get {key:?}");
        let head = client
            .head_object()
            .bucket(LOCAL_BUCKET)
            .key(key)
            .send()
            .await;
        assert!(head.is_err(), "head {key:?}");
        let deleted = client
            .delete_object()
            .bucket(LOCAL_BUCKET)
            .key(key)
            .send()
            .await;
        assert_eq!(code(deleted), "InvalidArgument", "delete {key:?}");
    }
    let put = client
        .put_object()
        .bucket(LOCAL_BUCKET)
        .key("../planted.txt")
        .body(ByteStream::from_static(b"planted"))
        .send()
        .await;
    assert_eq!(code(put), "InvalidArgument");
    assert!(!data.path().join("planted.txt").exists());
    assert!(data.path().join("outside.txt").exists());
    assert!(outside_dir.path().join("far.txt").exists());

    // Ordinary keys still work, dots and all.
    let put = client
        .put_object()
        .bucket(LOCAL_BUCKET)
        .key("projects/u/p/..hidden/a.b..c")
        .body(ByteStream::from_static(b"fine"))
        .send()
        .await;
    assert!(put.is_ok(), "{put:?}");
}
