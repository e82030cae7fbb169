//! The object store against three real S3 servers (built-in, moto, Garage), same assertions.

use bucketforge_test_support as support;

use std::collections::BTreeSet;
use std::io::Read;
use std::sync::Arc;

use bucketforge_engine::plan::{Plan, PlannedFile, Stack};
use bucketforge_engine::store::{
    export_project, ConditionalWrites, FileSource, Manifest, ManifestFile, ManifestPrecondition,
    ObjectStore, ProjectKey, ProjectPath, ProjectStatus, UserId,
};
use bucketforge_engine::Error;
use futures::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};
use support::{project, unique_user, ServerKind, TestServer};

/// Runs each named test once per server, as `built_in::name`, `moto::name`, `garage::name`.
macro_rules! on_every_server {
    ($($name:ident),* $(,)?) => {
        mod built_in {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::ServerKind::BuiltIn).await })*
        }
        mod moto {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::ServerKind::Moto).await })*
        }
        mod garage {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::ServerKind::Garage).await })*
        }
    };
}

on_every_server!(
    stores_a_file_and_reads_it_back_with_its_type_tag_and_hash,
    a_file_that_is_not_there_is_reported_as_missing,
    lists_2500_projects_in_order_with_none_twice,
    lists_projects_a_page_at_a_time_with_continuation_tokens,
    lists_a_projects_files_from_its_manifest_or_from_a_marked_bare_listing,
    updates_a_manifest_only_from_the_version_it_was_read_at,
    two_writers_racing_on_one_manifest_never_both_win_and_nothing_is_lost,
    deletes_every_object_of_a_project_over_several_pages_and_nothing_else,
    checks_the_connection_and_leaves_no_probe_behind,
    a_bucket_that_does_not_exist_is_named_in_the_check,
    exports_a_project_to_a_zip_with_every_file_intact,
    a_presigned_link_serves_the_file_without_credentials,
);

/// What each server is known to do with If-None-Match / If-Match on PutObject.
fn expected_conditional_writes(kind: ServerKind) -> ConditionalWrites {
    match kind {
        ServerKind::BuiltIn | ServerKind::Moto => ConditionalWrites::Supported,
        // Garage 2.x accepts the headers on PutObject and ignores them.
        ServerKind::Garage => ConditionalWrites::Ignored,
    }
}

fn path(p: &str) -> ProjectPath {
    ProjectPath::new(p).unwrap()
}

fn manifest(name: &str, files: Vec<ManifestFile>, revision: u64) -> Manifest {
    let plan = Plan {
        name: name.into(),
        summary: "Todos".into(),
        stack: Stack::FastapiReact,
        contract: bucketforge_engine::plan::Contract {
            notes: "GET /todos".into(),
            ..Default::default()
        },
        files: files
            .iter()
            .map(|f| PlannedFile {
                path: f.path.to_string(),
                purpose: "test".into(),
            })
            .collect(),
    };
    let mut manifest = Manifest::new(
        "a todo list",
        plan,
        "test",
        "test-model",
        "2025-01-01T00:00:00Z",
    );
    manifest.status = ProjectStatus::Complete;
    manifest.files = files;
    manifest.revision = revision;
    manifest
}

/// Uploads files and returns their manifest entries, as a generation run would.
async fn upload(
    store: &ObjectStore,
    key: &ProjectKey,
    files: &[(&str, &str)],
) -> Vec<ManifestFile> {
    let mut entries = Vec::new();
    for (p, body) in files {
        let receipt = store
            .put_file(key, &path(p), body.to_string())
            .await
            .unwrap();
        entries.push(ManifestFile {
            path: path(p),
            bytes: receipt.bytes,
            sha256: receipt.sha256,
            content_type: receipt.content_type,
            attempts: 1,
        });
    }
    entries
}

async fn stores_a_file_and_reads_it_back_with_its_type_tag_and_hash(kind: ServerKind) {
    let server = TestServer::start(kind).await;
    let store = server.store().await;
    let key = project(&unique_user("put"), "todo");
    let body = "from fastapi import FastAPI\napp = FastAPI()  # café\n";

    let receipt = store
        .put_file(&key, &path("backend/main.py"), body.to_string())
        .await
        .unwrap();
    assert_eq!(receipt.key, format!("{}backend/main.py", key.prefix()));
    assert_eq!(receipt.sha256, hex::encode(Sha256::digest(body.as_bytes())));
    assert_eq!(receipt.bytes, body.len() as u64);
    assert!(!receipt.etag.as_str().is_empty());

    let stored = store
        .get_file(&key, &path("backend/main.py"))
        .await
        .unwrap();
    assert_eq!(stored.bytes, body.as_bytes());
    assert_eq!(
        stored.content_type.as_deref(),
        Some("text/x-python; charset=utf-8")
    );
    assert_eq!(stored.etag, receipt.etag);

    let head = store
        .head_file(&key, &path("backend/main.py"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(head.bytes, body.len() as u64);
    assert_eq!(head.etag, receipt.etag);

    store
        .put_file(&key, &path("frontend/src/App.jsx"), "export default 1;\n")
        .await
        .unwrap();
    let jsx = store
        .get_file(&key, &path("frontend/src/App.jsx"))
        .await
        .unwrap();
    assert_eq!(jsx.content_type.as_deref(), Some("text/jsx; charset=utf-8"));
}

async fn a_file_that_is_not_there_is_reported_as_missing(kind: ServerKind) {
    let server = TestServer::start(kind).await;
    let store = server.store().await;
    let key = project(&unique_user("missing"), "todo");
    let err = store.get_file(&key, &path("nope.py")).await.unwrap_err();
    assert!(matches!(err, Error::FileNotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("nope.py"), "{err}");
    assert!(store
        .head_file(&key, &path("nope.py"))
        .await
        .unwrap()
        .is_none());
    assert!(store.read_manifest(&key).await.unwrap().is_none());
    let err = store.project_files(&key).await.unwrap_err();
    assert_eq!(err.code(), "project_not_found");
}

/// Creates `count` one-file projects named `p-0000`… in a shuffled order, 32 at a time.
async fn create_projects(store: &ObjectStore, user: &UserId, count: usize) -> Vec<String> {
    let mut slugs: Vec<String> = (0..count).map(|i| format!("p-{i:04}")).collect();
    let expected = slugs.clone();
    // A fixed shuffle: insertion order must not decide listing order.
    slugs.sort_by_key(|s| {
        let digest = Sha256::digest(s.as_bytes());
        u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]])
    });
    let files = slugs.into_iter().map(|slug| {
        let body = format!("# {slug}\n");
        (project(user, &slug), "README.md".to_string(), body)
    });
    support::put_all(store, files).await;
    expected
}

async fn lists_2500_projects_in_order_with_none_twice(kind: ServerKind) {
    let server = TestServer::start(kind).await;
    let store = server.store().await;
    let user = unique_user("many");
    let expected = create_projects(&store, &user, 2500).await;
    // A project of another user must not show up.
    store
        .put_file(
            &project(&unique_user("other"), "p-0001"),
            &path("a.md"),
            "x",
        )
        .await
        .unwrap();

    let listed: Vec<String> = store
        .list_projects(&user)
        .map_ok(|p| p.slug.to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2500);
    let unique: BTreeSet<&String> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "a project was listed twice");
    assert_eq!(listed, expected, "projects come back in key order");
}

async fn lists_projects_a_page_at_a_time_with_continuation_tokens(kind: ServerKind) {
    let server = TestServer::start(kind).await;
    let store = server.store().await;
    let user = unique_user("pages");
    let expected = create_projects(&store, &user, 25).await;

    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = store
            .list_projects_page(&user, token.as_ref(), 10)
            .await
            .unwrap();
        pages += 1;
        assert!(page.projects.len() <= 10);
        seen.extend(page.projects.into_iter().map(|p| p.slug.to_string()));
        match page.next_page {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, expected);

    // The stream can be cut short; store_faults.rs counts the requests that takes.
    let first: Vec<_> = store
        .list_projects(&user)
        .take(3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(first.len(), 3);
}

async fn lists_a_projects_files_from_its_manifest_or_from_a_marked_bare_listing(kind: ServerKind) {
    let server = TestServer::start(kind).await;
    let store = server.store().await;
    let key = project(&unique_user("files"), "shop");
    let entries = upload(
        &store,
        &key,
        &[
            ("backend/main.py", "print(1)\n"),
            ("frontend/index.html", "<html></html>\n"),
        ],
    )
    .await;

    let bare = store.project_files(&key).await.unwrap();
    assert_eq!(bare.source, FileSource::BareListing);
    let paths: Vec<String> = bare.files.iter().map(|f| f.path.to_string()).collect();
    assert_eq!(paths, ["backend/main.py", "frontend/index.html"]);
    assert!(bare.files.iter().all(|f| f.sha256.is_none()));
    assert_eq!(bare.files[0].bytes, 9);

    // Only the first file made it into the record: readers trust the record.
    store
        .write_manifest(
            &key,
            &manifest("Shop", entries[..1].to_vec(), 1),
            ManifestPrecondition::MustNotExist,
        )
        .await
        .unwrap();
    let recorded = store.project_files(&key).await.unwrap();
    assert_eq!(recorded.source, FileSource::Manifest);
    assert_eq!(recorded.files.len(), 1);
    assert_eq!(
        recorded.files[0].sha256.as_deref(),
        Some(entries[0].sha256.as_str())
    );
    assert_eq!(recorded.manifest.unwrap().0.name, "Shop");
}

async fn updates_a_manifest_only_from_the_version_it_was_read_at(kind: ServerKind) {
    let server = TestServer::start(kind).await;
    let store = server.store().await;
    let key = project(&unique_user("manifest"), "todo");
    let files = upload(&store, &key, &[("README.md", "# todo\n")]).await;

    let first = manifest("Todo", files.clone(), 1);
    let tag1 = store
        .write_manifest(&key, &first, ManifestPrecondition::MustNotExist)
        .await
        .unwrap();
    let (read, read_tag) = store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(read, first);
    assert_eq!(read_tag, tag1);

    let err = store
        .write_manifest(
            &key,
            &manifest("Again", files.clone(), 1),
            ManifestPrecondition::MustNotExist,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "manifest_conflict", "{err}");

    let second = manifest("Todo", files.clone(), 2);
    let tag2 = store
        .write_manifest(&key, &second, ManifestPrecondition::MustMatch(tag1.clone()))
        .await
        .unwrap();
    assert_ne!(tag2, tag1);

    let stale = store
        .write_manifest(
            &key,
            &manifest("Stale", files.clone(), 2),
            ManifestPrecondition::MustMatch(tag1),
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, Error::ManifestConflict { .. }), "{stale:?}");
    assert!(
        stale.to_string().contains("nothing was overwritten"),
        "{stale}"
    );

    let (kept, _) = store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(kept, second, "the refused writes changed nothing");
    assert_eq!(
        store.conditional_writes(key.user()).await.unwrap(),
        expected_conditional_writes(kind)
    );
}

async fn two_writers_racing_on_one_manifest_never_both_win_and_nothing_is_lost(kind: ServerKind) {
    let server = TestServer::start(kind).await;
    let user = unique_user("race");
    // Two devices: two clients with connection pools of their own.
    let devices = [server.store().await, server.store().await];
    let mode = devices[0].conditional_writes(&user).await.unwrap();
    assert_eq!(mode, expected_conditional_writes(kind));
    devices[1].conditional_writes(&user).await.unwrap();

    for round in 0..10 {
        let key = project(&user, &format!("race-{round}"));
        let files = upload(&devices[0], &key, &[("README.md", "# race\n")]).await;
        let base = devices[0]
            .write_manifest(
                &key,
                &manifest("base", files.clone(), 1),
                ManifestPrecondition::MustNotExist,
            )
            .await
            .unwrap();

        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let writers: Vec<_> = devices
            .iter()
            .enumerate()
            .map(|(i, store)| {
                let store = store.clone();
                let key = key.clone();
                let base = base.clone();
                let barrier = barrier.clone();
                let mine = manifest(&format!("device-{i}"), files.clone(), 2);
                tokio::spawn(async move {
                    barrier.wait().await;
                    let result = store
                        .write_manifest(&key, &mine, ManifestPrecondition::MustMatch(base))
                        .await;
                    (mine, result)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for writer in writers {
            let (mine, result) = writer.await.unwrap();
            match result {
                Ok(tag) => winners.push((mine, tag)),
                Err(Error::ManifestConflict { .. }) => {}
                Err(other) => panic!("round {round}: a writer failed with {other:?}"),
            }
        }
        let (stored, stored_tag) = devices[1].read_manifest(&key).await.unwrap().unwrap();
        match mode {
            ConditionalWrites::Supported => {
                assert_eq!(winners.len(), 1, "round {round}: exactly one writer wins");
                assert_eq!(
                    stored, winners[0].0,
                    "round {round}: the winner's manifest is stored"
                );
                assert_eq!(stored_tag, winners[0].1);
            }
            // Without conditional writes only read-compare-write is left: someone always
            // wins and the stored manifest is whole, but two near-simultaneous saves can both
            // succeed. `check` says so to the user.
            _ => {
                assert!(!winners.is_empty(), "round {round}: someone wins");
                assert!(
                    winners.iter().any(|(m, _)| *m == stored),
                    "round {round}: the stored manifest is one a winner wrote"
                );
            }
        }
    }
}

async fn deletes_every_object_of_a_project_over_several_pages_and_nothing_else(kind: ServerKind) {
    let server = TestServer::start(kind).await;
    let store = server.store().await;
    let user = unique_user("delete");
    let doomed = project(&user, "doomed");
    let kept = project(&user, "doomed-not");
    let files = (0..1005).map(|i| {
        let body = format!("export const n = {i};\n");
        (doomed.clone(), format!("src/f{i:04}.js"), body)
    });
    support::put_all(&store, files).await;
    store
        .write_manifest(
            &doomed,
            &manifest("Doomed", vec![], 1),
            ManifestPrecondition::MustNotExist,
        )
        .await
        .unwrap();
    store
        .put_file(&kept, &path("README.md"), "# stays\n")
        .await
        .unwrap();

    let deleted = store.delete_project(&doomed).await.unwrap();
    assert_eq!(deleted, 1006, "1005 files and the manifest");

    let left: Vec<String> = store
        .list_projects(&user)
        .map_ok(|p| p.slug.to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(left, ["doomed-not"]);
    assert!(store.read_manifest(&doomed).await.unwrap().is_none());
    assert_eq!(
        store.delete_project(&doomed).await.unwrap_err().code(),
        "project_not_found"
    );
    assert!(store.get_file(&kept, &path("README.md")).await.is_ok());
}

async fn checks_the_connection_and_leaves_no_probe_behind(kind: ServerKind) {
    let server = TestServer::start(kind).await;
    let store = server.store().await;
    let user = unique_user("check");
    store
        .put_file(&project(&user, "existing"), &path("README.md"), "# hi\n")
        .await
        .unwrap();

    let report = store.check(&user).await.unwrap();
    assert!(
        report.probe_key.starts_with(&format!("projects/{user}/")),
        "{}",
        report.probe_key
    );
    assert!(report.can_list && report.can_write && report.can_read && report.can_delete);
    assert_eq!(report.conditional_writes, expected_conditional_writes(kind));
    assert!(report
        .notes
        .iter()
        .any(|n| n.contains("Conditional writes")));

    let listing = store
        .project_files(&project(&user, "existing"))
        .await
        .unwrap();
    assert_eq!(listing.files.len(), 1);
    let leftovers = support::raw_keys(&server.config, &format!("projects/{user}/")).await;
    assert_eq!(leftovers, [format!("projects/{user}/existing/README.md")]);
}

async fn a_bucket_that_does_not_exist_is_named_in_the_check(kind: ServerKind) {
    let server = TestServer::start(kind).await;
    let mut config = server.config.clone();
    config.bucket = "no-such-bucket-here".into();
    let store = server.store_with(config).await;
    let err = store.check(&unique_user("nobucket")).await.unwrap_err();
    assert_eq!(err.code(), "bucket_not_found", "{err:?}");
    assert!(err.to_string().contains("no-such-bucket-here"), "{err}");
}

async fn exports_a_project_to_a_zip_with_every_file_intact(kind: ServerKind) {
    let server = TestServer::start(kind).await;
    let store = server.store().await;
    let key = project(&unique_user("export"), "todo");
    let files = [
        ("backend/main.py", "print('hi')\n"),
        ("frontend/src/App.jsx", "export default () => null;\n"),
        ("README.md", "# Todo — ünïcode\n"),
    ];
    let entries = upload(&store, &key, &files).await;
    store
        .write_manifest(
            &key,
            &manifest("Todo", entries, 1),
            ManifestPrecondition::MustNotExist,
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("todo.zip");

    let summary = export_project(&store, &key, &out, false).await.unwrap();
    assert_eq!(summary.files, 3);
    assert_eq!(summary.source, FileSource::Manifest);

    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    assert_eq!(zip.len(), 3);
    for (p, body) in files {
        let mut entry = zip.by_name(&format!("todo/{p}")).unwrap();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        assert_eq!(text, body);
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names.len(),
        1,
        "no partial file is left beside the zip: {names:?}"
    );

    // A file changed behind the manifest's back is not exported as the recorded project.
    store
        .put_file(&key, &path("README.md"), "tampered\n")
        .await
        .unwrap();
    let err = export_project(&store, &key, &dir.path().join("again.zip"), false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "export_failed");
    assert!(err.to_string().contains("README.md"), "{err}");
    assert!(!dir.path().join("again.zip").exists());
}

async fn a_presigned_link_serves_the_file_without_credentials(kind: ServerKind) {
    let server = TestServer::start(kind).await;
    let store = server.store().await;
    let key = project(&unique_user("share"), "todo");
    store
        .put_file(&key, &path("index.html"), "<h1>shared</h1>")
        .await
        .unwrap();
    let url = store
        .presigned_get_url(
            &key,
            &path("index.html"),
            std::time::Duration::from_secs(300),
        )
        .await
        .unwrap();
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let (status, body) = support::http_get(&url).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, "<h1>shared</h1>");
}

// ------------------------------------------------ behaviour only some servers can show for real

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_a_bad_signature_on_the_built_in_server() {
    let server = TestServer::start(ServerKind::BuiltIn).await;
    let store = server.store_with(server.with_wrong_secret()).await;
    let err = store.check(&unique_user("sig")).await.unwrap_err();
    assert_eq!(err.code(), "bad_signature", "{err:?}");
    assert!(err.to_string().contains("SignatureDoesNotMatch"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_a_bad_signature_on_garage() {
    let server = TestServer::start(ServerKind::Garage).await;
    let store = server.store_with(server.with_wrong_secret()).await;
    let err = store.check(&unique_user("sig")).await.unwrap_err();
    assert_eq!(err.code(), "bad_signature", "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_region_is_named_with_the_right_one_on_garage() {
    let server = TestServer::start(ServerKind::Garage).await;
    let mut config = server.config.clone();
    config.region = "eu-west-1".into();
    let err = server
        .store_with(config)
        .await
        .check(&unique_user("region"))
        .await
        .unwrap_err();
    match &err {
        Error::WrongRegion {
            configured, actual, ..
        } => {
            assert_eq!(configured, "eu-west-1");
            assert_eq!(actual.as_deref(), Some("garage"));
        }
        other => panic!("expected a wrong region, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_key_is_told_it_may_not_write_on_garage() {
    let server = TestServer::start(ServerKind::Garage).await;
    let store = server
        .store_with(support::garage_config_with_key(true))
        .await;
    let err = store.check(&unique_user("ro")).await.unwrap_err();
    // Garage's read permission doesn't cover deleting either: both are named.
    assert_eq!(err.code(), "permissions_missing", "{err:?}");
    let text = err.to_string();
    assert!(text.contains("may not write or delete under"), "{text}");
    assert!(text.contains("s3:PutObject and s3:DeleteObject"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_only_key_is_told_it_may_not_read_on_garage() {
    let server = TestServer::start(ServerKind::Garage).await;
    let store = server
        .store_with(support::garage_config_with_key(false))
        .await;
    let err = store.check(&unique_user("wo")).await.unwrap_err();
    // Writing and deleting work; listing, reading and copying (a read of the source) don't.
    assert_eq!(err.code(), "permissions_missing", "{err:?}");
    let text = err.to_string();
    assert!(text.contains("may not list, read or copy under"), "{text}");
    assert!(
        text.contains("s3:ListBucket, s3:GetObject and s3:PutObject"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_access_key_is_named_on_the_built_in_server() {
    let server = TestServer::start(ServerKind::BuiltIn).await;
    let mut config = server.config.clone();
    config.credentials = bucketforge_engine::store::StoreCredentials::Static {
        access_key_id: "NOBODYSKEY".into(),
        secret_access_key: secrecy::SecretString::from("x".to_string()),
    };
    let err = server
        .store_with(config)
        .await
        .check(&unique_user("who"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unknown_access_key", "{err:?}");
    assert!(err.to_string().contains("NOBODYSKEY"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_larger_than_the_read_cap_is_refused_instead_of_filling_the_memory() {
    let server = TestServer::start(ServerKind::BuiltIn).await;
    let store = server.store().await;
    let key = project(&unique_user("big"), "video");
    let big = vec![b'x'; bucketforge_engine::store::MAX_READ_BYTES + 1];
    store.put_file(&key, &path("clip.txt"), big).await.unwrap();
    let err = store.get_file(&key, &path("clip.txt")).await.unwrap_err();
    assert_eq!(err.code(), "object_too_large");
    assert!(err.to_string().contains("clip.txt"), "{err}");
    // One byte less is read as usual.
    let fits = vec![b'y'; bucketforge_engine::store::MAX_READ_BYTES];
    store.put_file(&key, &path("fits.txt"), fits).await.unwrap();
    let read = store.get_file(&key, &path("fits.txt")).await.unwrap();
    assert_eq!(read.bytes.len(), bucketforge_engine::store::MAX_READ_BYTES);
}
