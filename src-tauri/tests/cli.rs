//! The real `bucketforge` binary, run headless against real S3 servers.

use bucketforge_test_support as support;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use bucketforge_engine::store::{LocalBucket, LocalBucketOptions, ObjectStore};
use support::{project, unique_user, ServerKind, TestServer};

const FILES: [(&str, &str); 3] = [
    (
        "backend/main.py",
        "from fastapi import FastAPI\napp = FastAPI()\n",
    ),
    (
        "frontend/src/App.jsx",
        "export default function App() { return null; }\n",
    ),
    ("README.md", "# Todo\n"),
];

/// The binary with a clean environment: no AWS settings, no display, a home of its own.
fn bucketforge(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bucketforge"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("USER", "Test User")
        .stdin(Stdio::null());
    command
}

fn run(command: &mut Command, args: &[&str]) -> Output {
    command.args(args).output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

fn assert_ok(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status,
        stdout(output),
        stderr(output)
    );
}

/// Exit code ≠ 0 and exactly one line on stderr.
fn assert_one_line_error(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "expected a failure, got {}",
        stdout(output)
    );
    let err = stderr(output);
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line on stderr: {err:?}"
    );
    err
}

#[test]
fn help_and_version_work_without_a_display() {
    let home = tempfile::tempdir().unwrap();
    let version = run(&mut bucketforge(home.path()), &["--version"]);
    assert_ok(&version);
    assert_eq!(
        stdout(&version).trim(),
        format!("bucketforge {}", bucketforge_engine::VERSION)
    );
    let help = run(&mut bucketforge(home.path()), &["help"]);
    assert_ok(&help);
    for command in ["list", "show", "cat", "delete", "export", "check"] {
        assert!(stdout(&help).contains(command), "help names `{command}`");
    }
    assert!(stdout(&help).contains("S3_BUCKET_NAME"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_works_against_moto_through_the_seed_environment() {
    let server = TestServer::start(ServerKind::Moto).await;
    let store = server.store().await;
    let user = unique_user("cli");
    let key = project(&user, "todo-app");
    support::seed_project(&store, &key, "fastapi-react", &FILES).await;
    let home = tempfile::tempdir().unwrap();
    let cli = || {
        let mut command = bucketforge(home.path());
        command.envs(support::seed_env(&server.config));
        command
    };
    let user_arg = user.as_str();

    let list = run(&mut cli(), &["list", "--user", user_arg]);
    assert_ok(&list);
    assert_eq!(stdout(&list), "todo-app\n");

    let list_json = run(&mut cli(), &["list", "--user", user_arg, "--json"]);
    assert_ok(&list_json);
    let parsed: serde_json::Value = serde_json::from_str(&stdout(&list_json)).unwrap();
    assert_eq!(parsed["projects"][0]["slug"], "todo-app");

    // A display name is slugified, as in the app.
    let show = run(&mut cli(), &["show", "--user", user_arg, "Todo App"]);
    assert_ok(&show);
    let text = stdout(&show);
    assert!(text.contains("Status: complete"), "{text}");
    assert!(
        text.contains("backend/main.py") && text.contains("44 B"),
        "{text}"
    );
    assert!(text.contains("3 files"), "{text}");

    let cat = run(
        &mut cli(),
        &["cat", "--user", user_arg, "todo-app", "backend/main.py"],
    );
    assert_ok(&cat);
    assert_eq!(stdout(&cat), FILES[0].1);

    let out = home.path().join("todo.zip");
    let export = run(
        &mut cli(),
        &[
            "export",
            "--user",
            user_arg,
            "todo-app",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_ok(&export);
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut readme = String::new();
    zip.by_name("todo-app/README.md")
        .unwrap()
        .read_to_string(&mut readme)
        .unwrap();
    assert_eq!(readme, "# Todo\n");

    let check = run(&mut cli(), &["check", "--user", user_arg]);
    assert_ok(&check);
    assert!(
        stdout(&check).contains("Conditional writes"),
        "{}",
        stdout(&check)
    );

    // The seeded project predates the contract and lacks package.json, requirements.txt and
    // index.html: verify says what doesn't fit and fails.
    let unfit = run(
        &mut cli(),
        &["verify", "--user", user_arg, "Todo App", "--json"],
    );
    assert_eq!(unfit.status.code(), Some(1), "{}", stderr(&unfit));
    let report: serde_json::Value = serde_json::from_str(&stdout(&unfit)).unwrap();
    assert_eq!(report["slug"], "todo-app");
    assert_eq!(report["fits"], false);
    assert_eq!(report["sound"], false);
    assert!(
        !report["quality"]["checks"].as_array().unwrap().is_empty(),
        "{report}"
    );
    let problems = report["report"]["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["kind"] == "missing_file" && p["missing_file"] == "backend/requirements.txt"),
        "{report}"
    );
    let counter = project(&user, "counter");
    support::seed_project(&store, &counter, "react", &support::counter::FILES).await;
    let fits = run(&mut cli(), &["verify", "--user", user_arg, "counter"]);
    assert_ok(&fits);
    assert!(
        stdout(&fits).starts_with("Checked: 1 import, 4 packages"),
        "{}",
        stdout(&fits)
    );
    // Then how the counter follows the recipes: everything that applies to it passes.
    let recipes = stdout(&fits)
        .lines()
        .find(|l| l.starts_with("Recipes: "))
        .unwrap_or_default()
        .to_string();
    let counts: Vec<&str> = recipes
        .trim_start_matches("Recipes: ")
        .split(" of ")
        .collect();
    assert_eq!(counts.len(), 2, "{}", stdout(&fits));
    assert_eq!(
        format!("{} checks passed", counts[0]),
        counts[1],
        "{}",
        stdout(&fits)
    );
    store.delete_project(&counter).await.unwrap();

    // No terminal and no --yes: nothing is deleted.
    let refused = run(&mut cli(), &["delete", "--user", user_arg, "todo-app"]);
    let message = assert_one_line_error(&refused);
    assert!(message.contains("not confirmed"), "{message}");
    // The engine says what happened; the command line adds its own pointer on the same line.
    assert!(message.contains("pass --yes"), "{message}");
    assert!(store.read_manifest(&key).await.unwrap().is_some());

    let mut answered = cli();
    answered
        .args(["delete", "--user", user_arg, "todo-app"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = answered.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"y\n").unwrap();
    let deleted = child.wait_with_output().unwrap();
    assert_ok(&deleted);
    assert!(
        stdout(&deleted).contains("4 objects"),
        "{}",
        stdout(&deleted)
    );

    let gone = run(&mut cli(), &["show", "--user", user_arg, "todo-app"]);
    let message = assert_one_line_error(&gone);
    assert!(message.contains("no project “todo-app”"), "{message}");
    assert!(
        message.contains("`bucketforge list` shows them"),
        "{message}"
    );

    let gone_json = run(
        &mut cli(),
        &["--json", "cat", "--user", user_arg, "todo-app", "README.md"],
    );
    let err: serde_json::Value = serde_json::from_str(&assert_one_line_error(&gone_json)).unwrap();
    assert_eq!(err["code"], "file_not_found");
    assert!(
        !err["message"].as_str().unwrap().contains("bucketforge "),
        "{err}"
    );
    assert_eq!(err["hint"], "`bucketforge show todo-app` lists them.");
}

/// Seeds finished projects into the built-in bucket in `data` from a server of its own, as
/// when the app wrote them; the server stops before the CLI runs.
async fn seed_built_in(data: &Path, user: &bucketforge_engine::store::UserId, slugs: &[&str]) {
    let local = LocalBucket::start(LocalBucketOptions::with_random_credentials(data).unwrap())
        .await
        .unwrap();
    let store = ObjectStore::connect_local(&local).await.unwrap();
    for slug in slugs {
        support::seed_project(&store, &project(user, slug), "fastapi-react", &FILES).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_name_and_an_exact_short_name_find_the_same_project_in_every_command() {
    let data = tempfile::tempdir().unwrap();
    let user = unique_user("slug");
    seed_built_in(data.path(), &user, &["my-notes", "odd--name"]).await;
    let home = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let cli = |args: &[&str]| {
        let mut all = vec!["--local-dir", dir, "--user", user.as_str()];
        all.splice(0..0, args.iter().copied());
        run(&mut bucketforge(home.path()), &all)
    };

    let show = cli(&["show", "My Notes"]);
    assert_ok(&show);
    assert!(stdout(&show).contains("(my-notes)"), "{}", stdout(&show));
    let cat = cli(&["cat", "My Notes", "README.md"]);
    assert_ok(&cat);
    assert_eq!(stdout(&cat), "# Todo\n");
    let out = home.path().join("notes.zip");
    let export = cli(&["export", "My Notes", "--out", out.to_str().unwrap()]);
    assert_ok(&export);
    assert!(
        stdout(&export).contains("of “my-notes”"),
        "{}",
        stdout(&export)
    );
    // A short name slugifying would change is still found as it is.
    let exact = cli(&["--json", "show", "odd--name"]);
    assert_ok(&exact);
    let parsed: serde_json::Value = serde_json::from_str(&stdout(&exact)).unwrap();
    assert_eq!(parsed["slug"], "odd--name");
    let deleted = cli(&["delete", "--yes", "My Notes"]);
    assert_ok(&deleted);
    assert!(
        stdout(&deleted).contains("“my-notes”"),
        "{}",
        stdout(&deleted)
    );
    let list = cli(&["list"]);
    assert_eq!(stdout(&list), "odd--name\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_in_bucket_serves_the_cli_from_its_folder() {
    let data = tempfile::tempdir().unwrap();
    let user = unique_user("local");
    seed_built_in(data.path(), &user, &["notes"]).await;
    let home = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let user_arg = user.as_str();

    let list = run(
        &mut bucketforge(home.path()),
        &["--local", "--local-dir", dir, "list", "--user", user_arg],
    );
    assert_ok(&list);
    assert_eq!(stdout(&list), "notes\n");

    let cat = run(
        &mut bucketforge(home.path()),
        &[
            "cat",
            "--user",
            user_arg,
            "notes",
            "README.md",
            "--local-dir",
            dir,
        ],
    );
    assert_ok(&cat);
    assert_eq!(
        stdout(&cat),
        "# Todo\n",
        "with no settings at all, the built-in bucket is used"
    );

    let deleted = run(
        &mut bucketforge(home.path()),
        &[
            "--local",
            "--local-dir",
            dir,
            "delete",
            "--yes",
            "--user",
            user_arg,
            "notes",
        ],
    );
    assert_ok(&deleted);
    let list = run(
        &mut bucketforge(home.path()),
        &["--local", "--local-dir", dir, "list", "--user", user_arg],
    );
    assert_ok(&list);
    assert_eq!(stdout(&list), "");
}

#[test]
fn an_unreachable_endpoint_is_one_clear_line_and_a_failing_exit_code() {
    let home = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let output = run(
        bucketforge(home.path())
            .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
            .env("AWS_SECRET_ACCESS_KEY", "never-printed-secret"),
        &["check", "--endpoint-url", &endpoint, "--bucket", "b"],
    );
    let err = assert_one_line_error(&output);
    assert!(
        err.starts_with("error: BucketForge could not reach"),
        "{err}"
    );
    assert!(err.contains(&endpoint), "{err}");
    assert!(!err.contains("never-printed-secret"));
}

#[test]
fn half_a_key_pair_in_the_environment_names_the_missing_variable() {
    let home = tempfile::tempdir().unwrap();
    let output = run(
        bucketforge(home.path())
            .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
            .env("S3_BUCKET_NAME", "b"),
        &["list"],
    );
    let err = assert_one_line_error(&output);
    assert!(err.contains("AWS_SECRET_ACCESS_KEY"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_aws_profile_signs_requests_with_its_own_keys() {
    // A server that checks signatures, with keys only the profile file knows.
    let data = tempfile::tempdir().unwrap();
    let local = LocalBucket::start(LocalBucketOptions::new(
        data.path(),
        "AKIDFROMPROFILE",
        secrecy::SecretString::from("profile-secret".to_string()),
    ))
    .await
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        "[work]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = profile-secret\n\n\
         [stale]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = an-old-secret\n",
    )
    .unwrap();
    let args = |profile: &'static str| {
        vec![
            "check".to_string(),
            "--profile".into(),
            profile.into(),
            "--endpoint-url".into(),
            local.endpoint().to_string(),
            "--bucket".into(),
            bucketforge_engine::store::LOCAL_BUCKET.into(),
            "--path-style".into(),
        ]
    };
    let cli = |profile| {
        let mut command = bucketforge(home.path());
        command.args(args(profile));
        command.output().unwrap()
    };
    // Blocking here is fine: the server runs on the runtime's worker threads.
    let output = cli("work");
    assert_ok(&output);
    assert!(stdout(&output).contains("can list, write, read, copy and delete"));

    let output = cli("stale");
    let err = assert_one_line_error(&output);
    assert!(err.contains("secret access key does not match"), "{err}");
    assert!(!err.contains("an-old-secret"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_project_is_exported_only_when_asked_for_a_partial_zip() {
    let server = TestServer::start(ServerKind::Moto).await;
    let store = server.store().await;
    let user = unique_user("cli");
    let key = project(&user, "half-done");
    support::seed_project(&store, &key, "fastapi-react", &FILES).await;
    support::update_manifest(&store, &key, |manifest| {
        manifest.status = bucketforge_engine::store::ProjectStatus::Cancelled
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let cli = || {
        let mut command = bucketforge(home.path());
        command.envs(support::seed_env(&server.config));
        command
    };
    let out = home.path().join("half.zip");
    let args = [
        "export",
        "--user",
        user.as_str(),
        "half-done",
        "--out",
        out.to_str().unwrap(),
    ];
    let refused = run(&mut cli(), &args);
    let message = assert_one_line_error(&refused);
    assert!(message.contains("is not complete"), "{message}");
    assert!(!out.exists(), "no zip is written");

    let partial = run(&mut cli(), &[&args[..], &["--partial"]].concat());
    assert_ok(&partial);
    assert!(
        stdout(&partial).contains("the project is incomplete"),
        "{}",
        stdout(&partial)
    );
    let zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    assert_eq!(zip.len(), FILES.len());
}
