//! One owner per built-in bucket folder across processes: the real `bucketforge` binary beside
//! this test process (which stands in for the window), sharing one folder.
//! The tests run on a multi-threaded runtime: the server this process may own keeps
//! answering while the test thread waits on a child.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bucketforge_engine::store::{
    LocalBucket, LocalBucketOptions, ObjectStore, ProjectPath, ProjectStatus, UserId,
};
use bucketforge_scripted_llm::{Reply, Script, ScriptedLlm};
use bucketforge_test_support::counter::{self, FILES};
use bucketforge_test_support::{self as support, project, unique_user};

const API_KEY: &str = "sk-local-owner-1f2e3d";

/// Named the way s3s-fs names its in-flight uploads: any s3s-fs that starts on the folder
/// deletes it, so while it stays, nobody but the owner served the folder.
const IN_FLIGHT: &str = ".tmp.987654.internal.part";

/// Plans the counter's four files and writes each, `slow_file` after a long pause.
fn script(slow_file: Option<&str>) -> Script {
    counter::script(API_KEY, counter::NAME, |path, content| {
        let reply = Reply::text(content).chunk_chars(16);
        if slow_file == Some(path) {
            reply.first_token_after(Duration::from_secs(300))
        } else {
            reply
        }
    })
}

/// The binary on the built-in bucket in `dir`, with a clean environment of its own.
fn bucketforge(home: &Path, dir: &Path, llm: Option<&ScriptedLlm>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bucketforge"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("USER", "owner-tester")
        .arg("--local")
        .arg("--local-dir")
        .arg(dir)
        .stdin(Stdio::null());
    if let Some(llm) = llm {
        command
            .env("OPENAI_API_KEY", API_KEY)
            .env("BUCKETFORGE_LLM_BASE_URL", llm.openai_base_url());
    }
    command
}

fn described(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `command` on a blocking thread, so this runtime keeps serving meanwhile.
async fn output_of(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// `bucketforge list` again and again until `stop`; every run must succeed.
fn keep_listing(
    home: &Path,
    dir: &Path,
    user: &UserId,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<usize> {
    let (home, dir, user) = (home.to_path_buf(), dir.to_path_buf(), user.clone());
    tokio::task::spawn_blocking(move || {
        let mut runs = 0;
        while !stop.load(Ordering::Acquire) || runs == 0 {
            let output = bucketforge(&home, &dir, None)
                .args(["list", "--user", user.as_str()])
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "list failed: {}",
                described(&output)
            );
            runs += 1;
        }
        runs
    })
}

fn leftover_parts(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else if entry.file_name().to_string_lossy().ends_with(".part") {
                found.push(entry.path().display().to_string());
            }
        }
    }
    found
}

async fn assert_project_is_exact(store: &ObjectStore, user: &UserId) {
    let key = project(user, "click-counter");
    for (path, content) in FILES {
        let file = store
            .get_file(&key, &ProjectPath::new(path).unwrap())
            .await
            .unwrap_or_else(|e| panic!("{user} {path}: {e}"));
        assert_eq!(file.bytes, content.as_bytes(), "{user} {path}");
    }
    let (manifest, _) = store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete, "{user}");
    assert_eq!(manifest.files.len(), FILES.len(), "{user}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_beside_an_owner_connects_to_it_instead_of_serving_the_folder() {
    let data = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let owner =
        LocalBucket::start(LocalBucketOptions::with_random_credentials(data.path()).unwrap())
            .await
            .unwrap();
    assert!(owner.is_serving());
    let store = ObjectStore::connect_local(&owner).await.unwrap();
    let user = unique_user("beside");
    support::seed_project(&store, &project(&user, "notes"), "react", &FILES).await;
    std::fs::write(data.path().join(IN_FLIGHT), "half an upload").unwrap();

    for _ in 0..5 {
        let output = output_of({
            let mut command = bucketforge(home.path(), data.path(), None);
            command.args(["list", "--user", user.as_str()]);
            command
        })
        .await;
        assert!(output.status.success(), "{}", described(&output));
        assert_eq!(String::from_utf8_lossy(&output.stdout), "notes\n");
        assert!(
            data.path().join(IN_FLIGHT).exists(),
            "the CLI started its own server on the folder"
        );
    }
    let cat = output_of({
        let mut command = bucketforge(home.path(), data.path(), None);
        command.args(["cat", "--user", user.as_str(), "notes", "src/App.jsx"]);
        command
    })
    .await;
    assert!(cat.status.success(), "{}", described(&cat));
    assert_eq!(String::from_utf8_lossy(&cat.stdout), FILES[3].1);
    assert!(owner.is_serving());
}

/// Reads the child's JSON events until one of `kind`; the rest of its output is drained on.
fn wait_for_event(child: &mut Child, kind: &str) {
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        if event["type"] == kind {
            std::thread::spawn(move || lines.for_each(drop));
            return;
        }
        assert_ne!(event["type"], "failed", "{line}");
    }
    panic!("the child ended before a {kind} event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_owning_process_is_killed_another_takes_over_and_its_store_keeps_working() {
    let data = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let llm = ScriptedLlm::start(script(Some("src/App.jsx")))
        .await
        .unwrap();
    let mut child = bucketforge(home.path(), data.path(), Some(&llm))
        .args(counter::generate_args(unique_user("killed").as_str()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Once a file is uploaded the child serves the folder, and it then waits on the LLM.
    let mut child = tokio::task::spawn_blocking(move || {
        wait_for_event(&mut child, "file_uploaded");
        child
    })
    .await
    .unwrap();

    let local =
        LocalBucket::start(LocalBucketOptions::with_random_credentials(data.path()).unwrap())
            .await
            .unwrap();
    assert!(!local.is_serving(), "the child owns the folder");
    let endpoint = local.endpoint();
    let store = ObjectStore::connect_local(&local).await.unwrap();
    let user = unique_user("survivor");
    let key = project(&user, "notes");
    let path = ProjectPath::new("README.md").unwrap();
    store.put_file(&key, &path, "# before\n").await.unwrap();

    child.kill().unwrap();
    child.wait().unwrap();

    // The very next request, on the store made before: no error, whoever serves it.
    store.put_file(&key, &path, "# after\n").await.unwrap();
    assert_eq!(
        store.get_file(&key, &path).await.unwrap().bytes,
        "# after\n"
    );
    assert!(local.is_serving(), "this process took the folder over");
    assert_eq!(local.endpoint(), endpoint, "on the same port");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_generate_runs_a_looping_list_and_the_window_share_one_folder_byte_exact() {
    let data = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let llm = ScriptedLlm::start(script(None)).await.unwrap();

    // The window: a session of this process on the same folder, which it serves.
    let window = support::window_session(config.path(), data.path());
    let window_store = window.store().await.unwrap();
    std::fs::write(data.path().join(IN_FLIGHT), "half an upload").unwrap();

    let users: Vec<UserId> = (0..3).map(|i| unique_user(&format!("run{i}"))).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let lister = keep_listing(home.path(), data.path(), &users[0], stop.clone());
    let runs: Vec<_> = users
        .iter()
        .map(|user| {
            let mut command = bucketforge(home.path(), data.path(), Some(&llm));
            command.args(counter::generate_args(user.as_str()));
            tokio::spawn(output_of(command))
        })
        .collect();

    // Meanwhile the window saves its settings (which resets its store) and uses the bucket.
    let window_user = unique_user("window");
    let window_key = project(&window_user, "notes");
    let mut rounds = 0;
    while rounds < 3 || !runs.iter().all(|r| r.is_finished()) {
        window.save_settings(window.settings()).await.unwrap();
        let store = window.store().await.unwrap();
        let path = ProjectPath::new(&format!("notes/{rounds}.md")).unwrap();
        let body = format!("# note {rounds}\n");
        store
            .put_file(&window_key, &path, body.clone())
            .await
            .unwrap();
        assert_eq!(
            store.get_file(&window_key, &path).await.unwrap().bytes,
            body
        );
        rounds += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for run in runs {
        let output = run.await.unwrap();
        assert!(output.status.success(), "{}", described(&output));
    }
    stop.store(true, Ordering::Release);
    let listed = lister.await.unwrap();
    assert!(listed >= 1);

    for user in &users {
        assert_project_is_exact(&window_store, user).await;
    }
    for round in 0..rounds {
        let path = ProjectPath::new(&format!("notes/{round}.md")).unwrap();
        assert_eq!(
            window_store
                .get_file(&window_key, &path)
                .await
                .unwrap()
                .bytes,
            format!("# note {round}\n")
        );
    }
    assert!(
        data.path().join(IN_FLIGHT).exists(),
        "another s3s-fs started on the folder while the window served it"
    );
    std::fs::remove_file(data.path().join(IN_FLIGHT)).unwrap();
    let parts = leftover_parts(data.path());
    assert!(parts.is_empty(), "temporary files left behind: {parts:?}");
}
