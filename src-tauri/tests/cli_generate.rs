//! `bucketforge generate` and `resume` as a user runs them: the real binary, a real S3 server
//! (moto, through the seed's environment variables) and the scripted LLM server over HTTP.
//! The tests run on a multi-threaded runtime: the test thread blocks on the child process
//! while the in-process LLM server answers it.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use bucketforge_engine::store::{ProjectPath, ProjectStatus, StoreConfig};
use bucketforge_scripted_llm::{Reply, Script, ScriptedLlm};
use bucketforge_test_support::counter::{self, FILES};
use bucketforge_test_support::processes::local_writes;
use bucketforge_test_support::{self as support, project, unique_user, ServerKind, TestServer};

const API_KEY: &str = "sk-cli-test-5ad1e0c7";

fn script() -> Script {
    script_named(counter::NAME)
}

/// The counter's script with the plan named `name`.
fn script_named(name: &str) -> Script {
    counter::script(API_KEY, name, |_, content| Reply::text(content))
}

/// The binary with a clean environment: S3 from the seed's variables, the LLM from flags and
/// its key from OPENAI_API_KEY, no display, a home of its own.
fn bucketforge(home: &Path, config: &StoreConfig, llm: &ScriptedLlm) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bucketforge"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("USER", "cli-tester")
        .envs(support::seed_env(config))
        .env("OPENAI_API_KEY", API_KEY)
        .env("BUCKETFORGE_LLM_BASE_URL", llm.openai_base_url())
        .stdin(Stdio::null());
    command
}

fn events(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_writes_every_file_to_s3_and_prints_one_json_event_per_line() {
    let server = TestServer::start(ServerKind::Moto).await;
    let llm = ScriptedLlm::start(script()).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let user = unique_user("cli");
    let output = bucketforge(home.path(), &server.config, &llm)
        .args(counter::generate_args(user.as_str()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = events(&output);
    assert_eq!(events.first().unwrap()["type"], "planning");
    let last = events.last().unwrap();
    assert_eq!(last["type"], "finished", "{last}");
    assert_eq!(last["files"], counter::FILES.len());
    let uploaded: BTreeSet<String> = events
        .iter()
        .filter(|e| e["type"] == "file_uploaded")
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(uploaded.len(), counter::FILES.len());

    let store = server.store().await;
    let key = project(&user, "click-counter");
    for (path, content) in FILES {
        let file = store
            .get_file(&key, &ProjectPath::new(path).unwrap())
            .await
            .unwrap();
        assert_eq!(file.bytes, content.as_bytes(), "{path}");
    }
    let (manifest, _) = store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert_eq!(manifest.model, "gpt-4o-mini");
    // The key reached the server and nowhere else: not in what the CLI printed.
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!printed.contains(API_KEY));
    assert!(llm
        .requests()
        .iter()
        .all(|r| r.header("authorization") == Some(&format!("Bearer {API_KEY}"))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_prints_links_that_download_the_whole_project_and_one_file() {
    let server = TestServer::start(ServerKind::Garage).await;
    let llm = ScriptedLlm::start(script()).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let user = unique_user("share");
    let generated = bucketforge(home.path(), &server.config, &llm)
        .args(counter::generate_args(user.as_str()))
        .output()
        .unwrap();
    assert!(generated.status.success(), "{generated:?}");

    let output = bucketforge(home.path(), &server.config, &llm)
        .args([
            "share",
            "--user",
            user.as_str(),
            "click-counter",
            "--expires",
            "2h",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let url = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains(&format!(
            "Anyone with the link can download a .zip of “click-counter” ({} files",
            counter::FILES.len()
        )),
        "{said}"
    );
    assert!(said.contains("for 2h"), "{said}");
    // Garage checks the signature: the link downloads the zip, whose entries are the files in S3.
    let (status, zip) = support::http_get_bytes(&url).await;
    assert_eq!(status, 200, "{url}");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    assert_eq!(archive.len(), FILES.len());
    let store = server.store().await;
    let key = project(&user, "click-counter");
    for (path, _) in FILES {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut archive
                .by_name(&format!("click-counter/{path}"))
                .unwrap_or_else(|e| panic!("{path}: {e}")),
            &mut bytes,
        )
        .unwrap();
        let stored = store
            .get_file(&key, &ProjectPath::new(path).unwrap())
            .await
            .unwrap();
        assert_eq!(bytes, stored.bytes, "{path}");
    }
    // One character of the signature changed: Garage refuses it.
    let tampered = match url.rfind("X-Amz-Signature=") {
        Some(at) => {
            let mut chars: Vec<char> = url.chars().collect();
            let i = at + "X-Amz-Signature=".len();
            chars[i] = if chars[i] == '0' { '1' } else { '0' };
            chars.into_iter().collect::<String>()
        }
        None => panic!("no signature in {url}"),
    };
    assert_eq!(support::http_get_bytes(&tampered).await.0, 403);

    let output = bucketforge(home.path(), &server.config, &llm)
        .args([
            "share",
            "--user",
            user.as_str(),
            "click-counter",
            "--file",
            "src/App.jsx",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let link: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(link["expires_in_secs"], 86_400, "{link}");
    let (status, body) = support::http_get_bytes(link["url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let app = FILES.iter().find(|(p, _)| *p == "src/App.jsx").unwrap().1;
    assert_eq!(body, app.as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_exits_non_zero_and_resume_finishes_it() {
    let server = TestServer::start(ServerKind::Moto).await;
    let broken = "export default function App() { return <p>; }\n";
    let mut failing = script();
    failing
        .replies
        .insert("write src/App.jsx".into(), vec![Reply::text(broken)]);
    failing
        .replies
        .insert("fix src/App.jsx".into(), vec![Reply::text(broken)]);
    let llm = ScriptedLlm::start(failing).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let user = unique_user("cli");
    let output = bucketforge(home.path(), &server.config, &llm)
        .args(counter::generate_args(user.as_str()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let last = events(&output).pop().unwrap();
    assert_eq!(last["type"], "failed");
    assert_eq!(last["error"]["code"], "file_invalid");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");

    resume_finishes_byte_exact(home.path(), &server, &llm, &user).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_named_only_with_emoji_completes_under_a_hashed_slug() {
    let server = TestServer::start(ServerKind::Moto).await;
    let llm = ScriptedLlm::start(script_named("🚀✨")).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let user = unique_user("cli");
    let output = bucketforge(home.path(), &server.config, &llm)
        .args(counter::generate_args(user.as_str()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = events(&output);
    // The first 8 hex digits of SHA-256("🚀✨"): the slug is the same on every run.
    let slug = "app-dfecabc5";
    let planned = events.iter().find(|e| e["type"] == "planned").unwrap();
    assert_eq!(planned["slug"], slug, "{planned}");
    assert_eq!(planned["name"], "🚀✨");
    assert_eq!(events.last().unwrap()["type"], "finished");
    let store = server.store().await;
    let (manifest, _) = store
        .read_manifest(&project(&user, slug))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert_eq!(manifest.name, "🚀✨");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminal_controls_in_a_plan_name_never_reach_the_terminal() {
    const HOSTILE: [char; 5] = ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\r'];
    let server = TestServer::start(ServerKind::Moto).await;
    // No letters or digits, so the slug is hashed and the escape bytes stay in the name.
    let name = "🚀\u{1b}]\u{7}\u{202e}✨\u{9b}\r";
    let llm = ScriptedLlm::start(script_named(name)).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let user = unique_user("cli");
    let mut args = counter::generate_args(user.as_str());
    args.retain(|a| a != "--json");
    let output = bucketforge(home.path(), &server.config, &llm)
        .args(&args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "stderr: {stderr}");
    assert!(stderr.contains("Planned “🚀✨” (app-"), "{stderr}");
    assert!(!stderr.contains(HOSTILE), "{stderr:?}");

    let slug = bucketforge_engine::store::slugify(name).unwrap();
    let store = server.store().await;
    let (manifest, _) = store
        .read_manifest(&project(&user, slug.as_str()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        manifest.name, name,
        "the record keeps the name as the plan gave it"
    );
    let shown = bucketforge(home.path(), &server.config, &llm)
        .args(["show", slug.as_str(), "--user", user.as_str()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.status.success(), "{stdout}");
    assert!(
        stdout.starts_with(&format!("🚀✨ ({slug})\n")),
        "{stdout:?}"
    );
    assert!(!stdout.contains(HOSTILE), "{stdout:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_api_key_is_one_clear_line() {
    let server = TestServer::start(ServerKind::Moto).await;
    let llm = ScriptedLlm::start(script()).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let output = bucketforge(home.path(), &server.config, &llm)
        .env("OPENAI_API_KEY", "sk-wrong")
        .args([
            "generate",
            "--idea",
            "a counter",
            "--provider",
            "openai",
            "--model",
            "gpt-4o-mini",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.trim_end().lines().last().unwrap();
    assert!(
        last.starts_with("error: The API key for OpenAI was rejected"),
        "{stderr}"
    );
    assert!(!stderr.contains("sk-wrong"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_generation_writes_nothing_to_the_local_disk() {
    support::require_program("strace", "apt-get install strace");
    let server = TestServer::start(ServerKind::Moto).await;
    let llm = ScriptedLlm::start(script()).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let trace = home.path().join("trace.txt");
    // The log file is the one thing the app keeps on this computer, in a folder of its own.
    let logs = home.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let user = unique_user("cli");
    let command = bucketforge(home.path(), &server.config, &llm);
    let program = command.get_program().to_owned();
    let output = Command::new("strace")
        .arg("-f")
        .arg("-qq")
        .args(["-e", "trace=%file,%desc"])
        .arg("-o")
        .arg(&trace)
        .arg(program)
        .args(counter::generate_args(user.as_str()))
        .env_clear()
        .envs(command.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .env("BUCKETFORGE_LOG_DIR", &logs)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(events(&output).pop().unwrap()["type"], "finished");
    let trace = std::fs::read_to_string(&trace).unwrap();
    assert!(trace.contains("openat("), "strace recorded the file calls");
    let in_logs = format!("\"{}/", logs.display());
    let (log_writes, writes): (Vec<String>, Vec<String>) = local_writes(&trace)
        .into_iter()
        .partition(|line| line.contains(&in_logs));
    assert!(!log_writes.is_empty(), "the run wrote its log:\n{trace}");
    assert!(
        writes.is_empty(),
        "the run wrote to the local disk:\n{}",
        writes.join("\n")
    );
    // And the project really was generated, in S3.
    let store = server.store().await;
    assert!(store
        .read_manifest(&project(&user, "click-counter"))
        .await
        .unwrap()
        .is_some());
}

#[test]
fn the_write_detector_sees_a_created_file_and_ignores_reads() {
    let trace = "1234 openat(AT_FDCWD, \"/etc/ssl/certs/ca.pem\", O_RDONLY|O_CLOEXEC) = 3\n\
                 1234 openat(AT_FDCWD, \"/tmp/x/app.py\", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 5\n\
                 1234 openat(AT_FDCWD, \"/dev/null\", O_RDWR) = 4\n\
                 1235 mkdir(\"/tmp/x/out\", 0777) = 0\n\
                 1235 openat(AT_FDCWD, \"/nope\", O_WRONLY|O_CREAT, 0666) = -1 EACCES (Permission denied)\n";
    let writes = local_writes(trace);
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(writes[0].contains("/tmp/x/app.py"));
    assert!(writes[1].contains("mkdir"));
}

/// The counter's script with every file but the first slow to start, so a run can be stopped
/// after one file landed and before the others.
fn slow_script() -> Script {
    let mut slow = script();
    for (path, content) in &FILES[1..] {
        slow.replies.insert(
            format!("write {path}"),
            vec![Reply::text(*content).first_token_after(std::time::Duration::from_secs(120))],
        );
    }
    slow
}

/// Starts `generate --json` and reads its events until the first file landed.
fn generate_until_a_file_landed(
    home: &Path,
    config: &StoreConfig,
    llm: &ScriptedLlm,
    user: &str,
) -> (
    std::process::Child,
    std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
) {
    use std::io::BufRead;
    let mut child = bucketforge(home, config, llm)
        .args(counter::generate_args(user))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let event: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        if event["type"] == "file_uploaded" {
            return (child, lines);
        }
        seen.push(event);
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the run ended before any file landed: {seen:?}");
}

/// Resumes the project with a fast script, checks every file is the scripted one, and returns
/// the resume's events.
async fn resume_finishes_byte_exact(
    home: &Path,
    server: &TestServer,
    llm: &ScriptedLlm,
    user: &bucketforge_engine::store::UserId,
) -> Vec<serde_json::Value> {
    llm.set_script(script());
    let output = bucketforge(home, &server.config, llm)
        .args(["resume", "click-counter", "--user", user.as_str(), "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = events(&output);
    assert_eq!(events.last().unwrap()["type"], "finished");
    let store = server.store().await;
    let key = project(user, "click-counter");
    for (path, content) in FILES {
        let file = store
            .get_file(&key, &ProjectPath::new(path).unwrap())
            .await
            .unwrap();
        assert_eq!(file.bytes, content.as_bytes(), "{path}");
    }
    let (manifest, _) = store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert_eq!(manifest.files.len(), FILES.len());
    assert!(manifest.lease.is_none(), "a finished run holds no lease");
    events
}

/// The file that landed before the stop was kept by the resume, not written again.
fn kept_index_html(events: &[serde_json::Value]) {
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "file_kept" && e["path"] == "index.html"),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_records_the_cancel_and_resume_finishes_every_file_byte_exact() {
    a_stop_signal_records_the_cancel_and_resume_finishes("-TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_from_a_closed_terminal_records_the_cancel_like_sigterm() {
    a_stop_signal_records_the_cancel_and_resume_finishes("-HUP").await;
}

/// Sends `signal` (as `kill` spells it) to a run after its first file landed.
async fn a_stop_signal_records_the_cancel_and_resume_finishes(signal: &str) {
    let server = TestServer::start(ServerKind::Moto).await;
    let llm = ScriptedLlm::start(slow_script()).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let user = unique_user("cli");
    let (mut child, lines) =
        generate_until_a_file_landed(home.path(), &server.config, &llm, user.as_str());

    // While it runs, its lease keeps a second process from resuming or deleting it.
    for args in [
        vec!["resume", "click-counter"],
        vec!["delete", "click-counter", "--yes"],
    ] {
        let busy = bucketforge(home.path(), &server.config, &llm)
            .args(&args)
            .args(["--user", user.as_str(), "--json"])
            .output()
            .unwrap();
        assert_eq!(busy.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&busy.stderr);
        let error: serde_json::Value = serde_json::from_str(stderr.trim()).unwrap();
        assert_eq!(error["code"], "project_busy", "{stderr}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("the bucketforge command on"),
            "{stderr}"
        );
    }

    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "a cancelled run exits 130");
    let last: serde_json::Value =
        serde_json::from_str(&lines.map(Result::unwrap).last().unwrap()).unwrap();
    assert_eq!(last["type"], "cancelled", "{last}");

    let store = server.store().await;
    let key = project(&user, "click-counter");
    let (manifest, _) = store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(manifest.status, ProjectStatus::Cancelled);
    assert!(manifest.lease.is_none());
    assert!(manifest
        .files
        .iter()
        .any(|f| f.path.as_str() == "index.html"));

    kept_index_html(&resume_finishes_byte_exact(home.path(), &server, &llm, &user).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sigkill_the_dead_runs_lease_lets_resume_finish_at_once() {
    let server = TestServer::start(ServerKind::Moto).await;
    let llm = ScriptedLlm::start(slow_script()).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let user = unique_user("cli");
    let (mut child, _lines) =
        generate_until_a_file_landed(home.path(), &server.config, &llm, user.as_str());
    let store = server.store().await;
    let key = project(&user, "click-counter");
    // The run records each file soon after it lands; kill it once that happened.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (manifest, _) = store.read_manifest(&key).await.unwrap().unwrap();
        if manifest
            .files
            .iter()
            .any(|f| f.path.as_str() == "index.html")
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{manifest:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let (manifest, _) = store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(manifest.status, ProjectStatus::Generating);
    let lease = manifest.lease.expect("a running project has a lease");
    assert_eq!(lease.pid, child.id());

    // `show` tells the user the run was interrupted and how to finish it.
    let show = bucketforge(home.path(), &server.config, &llm)
        .args(["show", "click-counter", "--user", user.as_str()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(text.contains("Status: interrupted"), "{text}");
    assert!(text.contains("bucketforge resume click-counter"), "{text}");

    kept_index_html(&resume_finishes_byte_exact(home.path(), &server, &llm, &user).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_of_u64_max_fails_with_a_rate_limit_message_and_resume_finishes() {
    let server = TestServer::start(ServerKind::Moto).await;
    let mut limited = script();
    limited.replies.insert(
        "write src/App.jsx".into(),
        vec![Reply::fault(bucketforge_scripted_llm::Fault::rate_limited(
            u64::MAX,
        ))],
    );
    let llm = ScriptedLlm::start(limited).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let user = unique_user("cli");
    let output = bucketforge(home.path(), &server.config, &llm)
        .args(counter::generate_args(user.as_str()))
        .output()
        .unwrap();
    // Exit 1 with the reason, not 101 with a panic.
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let last = events(&output).pop().unwrap();
    assert_eq!(last["type"], "failed", "{last}");
    assert_eq!(last["error"]["code"], "llm_rate_limited", "{last}");
    let (manifest, _) = server
        .store()
        .await
        .read_manifest(&project(&user, "click-counter"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(manifest.status, ProjectStatus::Failed);
    resume_finishes_byte_exact(home.path(), &server, &llm, &user).await;
}
