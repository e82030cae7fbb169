//! Faults between BucketForge and a real S3 server, injected by a loopback proxy.
//!
//! The server behind the proxy is the built-in one (real s3s over real HTTP); the proxy
//! forwards, or answers with what a struggling or refusing S3 service sends.

use bucketforge_test_support as support;

use std::time::{Duration, Instant};

use bucketforge_engine::store::{
    ConditionalWrites, ConnectionPolicy, ManifestPrecondition, ObjectStore, ProjectKey,
    ProjectPath, StoreConfig,
};
use bucketforge_engine::Error;
use futures::{StreamExt, TryStreamExt};
use support::fault_proxy::{Fault, FaultProxy, Only};
use support::{project, unique_user, ServerKind, TestServer};

const ATTEMPTS: u32 = 3;

struct Rig {
    _server: TestServer,
    proxy: FaultProxy,
    config: StoreConfig,
}

impl Rig {
    async fn start() -> Self {
        Self::with_policy(support::fast_policy()).await
    }

    async fn with_policy(policy: ConnectionPolicy) -> Self {
        let server = TestServer::start(ServerKind::BuiltIn).await;
        let proxy = FaultProxy::start(server.addr()).await;
        let mut config = server.config.clone();
        config.endpoint = Some(proxy.endpoint());
        config.policy = ConnectionPolicy {
            max_attempts: ATTEMPTS,
            ..policy
        };
        Self {
            _server: server,
            proxy,
            config,
        }
    }

    async fn store(&self) -> ObjectStore {
        ObjectStore::connect(&self.config).await.unwrap()
    }
}

fn path(p: &str) -> ProjectPath {
    ProjectPath::new(p).unwrap()
}

async fn put(store: &ObjectStore) -> Result<(), Error> {
    let key = project(&unique_user("fault"), "todo");
    store
        .put_file(&key, &path("backend/main.py"), "print(1)\n")
        .await
        .map(|_| ())
}

#[tokio::test]
async fn throttling_is_retried_then_reported_as_a_busy_service() {
    let rig = Rig::start().await;
    let store = rig.store().await;
    rig.proxy.always(Fault::SlowDown);
    let err = put(&store).await.unwrap_err();
    assert_eq!(err.code(), "storage_busy", "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("SlowDown") && text.contains("Wait a minute"),
        "{text}"
    );
    assert_eq!(
        rig.proxy.requests(),
        ATTEMPTS as usize,
        "every try reached the proxy"
    );
}

#[tokio::test]
async fn a_throttled_upload_succeeds_once_the_service_recovers() {
    let rig = Rig::start().await;
    let store = rig.store().await;
    rig.proxy.times(Fault::SlowDown, 2);
    put(&store).await.unwrap();
    assert_eq!(rig.proxy.faulted(), 2);
    assert_eq!(
        rig.proxy.requests(),
        3,
        "two refusals, then the try that worked"
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_with_the_services_own_code() {
    let rig = Rig::start().await;
    let store = rig.store().await;
    rig.proxy.always(Fault::InternalError);
    let err = put(&store).await.unwrap_err();
    assert_eq!(err.code(), "storage_failed", "{err:?}");
    assert!(err.to_string().contains("HTTP 500: InternalError"), "{err}");
    assert!(
        err.to_string().contains("saving “backend/main.py”"),
        "{err}"
    );
    assert_eq!(rig.proxy.requests(), ATTEMPTS as usize);
}

#[tokio::test]
async fn connection_resets_are_retried_then_reported_as_a_lost_connection() {
    let rig = Rig::start().await;
    let store = rig.store().await;
    rig.proxy.always(Fault::Reset);
    let err = put(&store).await.unwrap_err();
    assert_eq!(err.code(), "connection_lost", "{err:?}");
    assert!(err.to_string().contains(&rig.proxy.endpoint()), "{err}");
    assert_eq!(rig.proxy.requests(), ATTEMPTS as usize);

    rig.proxy.times(Fault::Reset, 1);
    put(&store).await.expect("one reset is absorbed by a retry");
}

#[tokio::test]
async fn slow_answers_time_out_each_try_then_report_a_timeout() {
    let rig = Rig::with_policy(ConnectionPolicy {
        attempt_timeout: Duration::from_millis(300),
        operation_timeout: Duration::from_secs(20),
        ..support::fast_policy()
    })
    .await;
    let store = rig.store().await;
    // Answers come after the operation's own limit, so only the per-try limit can end a try
    // early enough for all of them to be made.
    rig.proxy.always(Fault::Delay(Duration::from_secs(60)));
    let started = Instant::now();
    let err = put(&store).await.unwrap_err();
    assert_eq!(err.code(), "storage_timeout", "{err:?}");
    assert!(
        // Ten times the tries' own limits, and well under the operation's.
        started.elapsed() < Duration::from_secs(10),
        "gave up per try, not after the delay"
    );
    assert_eq!(rig.proxy.requests(), ATTEMPTS as usize);

    rig.proxy.times(Fault::Delay(Duration::from_millis(100)), 1);
    put(&store).await.expect("a slow but timely answer is fine");
}

#[tokio::test]
async fn a_denied_write_is_reported_at_once_without_retrying() {
    let rig = Rig::start().await;
    let store = rig.store().await;
    rig.proxy.always(Fault::AccessDenied);
    let err = put(&store).await.unwrap_err();
    assert_eq!(err.code(), "access_denied_write", "{err:?}");
    assert!(err.to_string().contains("s3:PutObject"), "{err}");
    assert_eq!(rig.proxy.requests(), 1, "a refusal is not retried");
}

#[tokio::test]
async fn a_signature_mismatch_is_its_own_error() {
    let rig = Rig::start().await;
    let store = rig.store().await;
    rig.proxy.always(Fault::SignatureDoesNotMatch);
    let err = store.check(&unique_user("sig")).await.unwrap_err();
    assert_eq!(err.code(), "bad_signature", "{err:?}");
    assert!(err.to_string().contains("secret access key"), "{err}");
    assert_eq!(rig.proxy.requests(), 1);
}

#[tokio::test]
async fn check_names_every_operation_the_keys_may_not_do() {
    let rig = Rig::start().await;
    let store = rig.store().await;

    // No write: nothing to read or copy, and the delete of the missing probe is allowed.
    rig.proxy.on_method("PUT", Fault::AccessDenied);
    let err = store.check(&unique_user("w")).await.unwrap_err();
    assert_eq!(err.code(), "access_denied_write", "{err:?}");

    // Listing and reading are both GETs: both are named, in one message.
    rig.proxy.on_method("GET", Fault::AccessDenied);
    let err = store.check(&unique_user("r")).await.unwrap_err();
    assert_eq!(err.code(), "permissions_missing", "{err:?}");
    let text = err.to_string();
    assert!(text.contains("may not list or read under"), "{text}");
    assert!(
        text.contains("grant s3:ListBucket and s3:GetObject there"),
        "{text}"
    );

    rig.proxy.on_method("DELETE", Fault::AccessDenied);
    let err = store.check(&unique_user("d")).await.unwrap_err();
    assert_eq!(err.code(), "access_denied_delete", "{err:?}");

    // The server-side copy history needs: a PUT naming its source.
    rig.proxy.when(
        Only {
            method: Some("PUT".into()),
            path_contains: Some(".copy".into()),
            ..Only::default()
        },
        Fault::AccessDenied,
        None,
    );
    let user = unique_user("c");
    let err = store.check(&user).await.unwrap_err();
    assert_eq!(err.code(), "access_denied_copy", "{err:?}");
    assert!(
        err.to_string().contains("may not copy files within"),
        "{err}"
    );
    // Nothing of the check is left behind.
    rig.proxy.always(Fault::Pass);
    assert_eq!(
        support::raw_keys(&rig.config, &ProjectKey::user_prefix(&user)).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn an_aws_style_wrong_region_answer_names_the_buckets_region() {
    let rig = Rig::start().await;
    let store = rig.store().await;
    rig.proxy.always(Fault::WrongRegion("eu-central-1".into()));
    let err = store.check(&unique_user("region")).await.unwrap_err();
    match &err {
        Error::WrongRegion {
            actual, configured, ..
        } => {
            assert_eq!(actual.as_deref(), Some("eu-central-1"));
            assert_eq!(configured, "us-east-1");
        }
        other => panic!("expected a wrong region, got {other:?}"),
    }
    assert!(err.to_string().contains("AWS_REGION"), "{err}");
}

#[tokio::test]
async fn an_endpoint_with_nothing_listening_is_unreachable() {
    let server = TestServer::start(ServerKind::BuiltIn).await;
    let mut config = server.config.clone();
    let port = support::free_port();
    config.endpoint = Some(format!("http://127.0.0.1:{port}"));
    let store = ObjectStore::connect(&config).await.unwrap();
    let err = store.check(&unique_user("gone")).await.unwrap_err();
    assert_eq!(err.code(), "endpoint_unreachable", "{err:?}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[tokio::test]
async fn without_conditional_writes_check_says_so_and_manifests_fall_back_to_compare_then_write() {
    let rig = Rig::start().await;
    let store = rig.store().await;
    let user = unique_user("nocond");
    rig.proxy.always(Fault::NoConditionalWrites);

    let report = store.check(&user).await.unwrap();
    assert_eq!(report.conditional_writes, ConditionalWrites::NotImplemented);
    assert!(
        report.notes.iter().any(|n| n.contains("not implemented")),
        "{:?}",
        report.notes
    );

    let key = project(&user, "todo");
    let faulted_before = rig.proxy.faulted();
    let manifest = sample_manifest(1);
    let tag = store
        .write_manifest(&key, &manifest, ManifestPrecondition::MustNotExist)
        .await
        .unwrap();
    assert_eq!(
        rig.proxy.faulted(),
        faulted_before,
        "no conditional write was even tried"
    );
    assert_eq!(
        store
            .write_manifest(&key, &manifest, ManifestPrecondition::MustNotExist)
            .await
            .unwrap_err()
            .code(),
        "manifest_conflict"
    );
    store
        .write_manifest(
            &key,
            &sample_manifest(2),
            ManifestPrecondition::MustMatch(tag.clone()),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .write_manifest(
                &key,
                &sample_manifest(3),
                ManifestPrecondition::MustMatch(tag)
            )
            .await
            .unwrap_err()
            .code(),
        "manifest_conflict"
    );
    assert_eq!(
        store.read_manifest(&key).await.unwrap().unwrap().0.revision,
        2
    );
}

#[tokio::test]
async fn a_server_that_starts_refusing_conditions_mid_run_is_handled_by_the_fallback() {
    let rig = Rig::start().await;
    let store = rig.store().await;
    let user = unique_user("downgrade");
    assert_eq!(
        store.conditional_writes(&user).await.unwrap(),
        ConditionalWrites::Supported
    );
    rig.proxy.always(Fault::NoConditionalWrites);
    let key = project(&user, "todo");
    store
        .write_manifest(
            &key,
            &sample_manifest(1),
            ManifestPrecondition::MustNotExist,
        )
        .await
        .expect("the 501 makes the store fall back instead of failing");
    assert_eq!(rig.proxy.faulted(), 1);
    assert_eq!(
        store.conditional_writes(&user).await.unwrap(),
        ConditionalWrites::NotImplemented
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_project_stream_fetches_a_page_only_when_it_is_read() {
    let rig = Rig::start().await;
    let store = rig.store().await;
    let user = unique_user("lazy");
    let files = (0..1001).map(|i| {
        (
            project(&user, &format!("p-{i:04}")),
            "README.md".into(),
            "# p\n".into(),
        )
    });
    support::put_all(&store, files).await;

    rig.proxy.always(Fault::Pass);
    let stream = store.list_projects(&user);
    assert_eq!(
        rig.proxy.requests(),
        0,
        "nothing is fetched before the stream is read"
    );
    let first: Vec<_> = stream.take(5).try_collect().await.unwrap();
    assert_eq!(first.len(), 5);
    assert_eq!(rig.proxy.requests(), 1, "five projects take one page");

    rig.proxy.always(Fault::Pass);
    let all: Vec<_> = store.list_projects(&user).try_collect().await.unwrap();
    assert_eq!(all.len(), 1001);
    assert_eq!(
        rig.proxy.requests(),
        2,
        "1001 projects take two pages of 1000"
    );
}

fn sample_manifest(revision: u64) -> bucketforge_engine::store::Manifest {
    serde_json::from_value(serde_json::json!({
        "schema_version": 1,
        "status": "complete",
        "name": "Todo",
        "idea": "a todo list",
        "plan": { "name": "Todo", "summary": "s", "stack": "react", "contract": "c", "files": [] },
        "provider": "test",
        "model": "m",
        "files": [],
        "usage": { "prompt_tokens": 0, "completion_tokens": 0 },
        "timings": { "started_at": "2025-01-01T00:00:00Z" },
        "revision": revision,
    }))
    .unwrap()
}
