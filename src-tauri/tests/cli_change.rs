//! `bucketforge change`, `history`, `restore` and `diff` as a user runs them: the real binary, a
//! real S3 server (moto) and the scripted LLM server over HTTP.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use bucketforge_engine::store::{ProjectKey, ProjectStatus, StoreConfig};
use bucketforge_scripted_llm::{Reply, Script, ScriptedLlm};
use bucketforge_test_support::changes::{self, APP, README, REQUEST, RESET};
use bucketforge_test_support::processes::local_writes;
use bucketforge_test_support::{self as support, project, unique_user, ServerKind, TestServer};

const API_KEY: &str = "sk-cli-change-8c1f";

/// The binary with a clean environment: S3 from the seed's variables, the LLM from flags.
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

const LLM: [&str; 4] = ["--provider", "openai", "--model", "gpt-4o-mini"];

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

struct Rig {
    server: TestServer,
    llm: ScriptedLlm,
    home: tempfile::TempDir,
    user: String,
    key: ProjectKey,
}

impl Rig {
    /// The counter with its README generated through the CLI, as revision 1.
    async fn generated(script: Script) -> Rig {
        let server = TestServer::start(ServerKind::Moto).await;
        let llm = ScriptedLlm::start(script).await.unwrap();
        let user = unique_user("cli");
        let rig = Rig {
            key: project(&user, "click-counter"),
            user: user.to_string(),
            server,
            llm,
            home: tempfile::tempdir().unwrap(),
        };
        ok(&rig
            .command()
            .args([
                "generate",
                "--idea",
                "A button that counts my clicks",
                "--stack",
                "react",
            ])
            .args(LLM)
            .args(["--user", &rig.user, "--json"])
            .output()
            .unwrap());
        rig
    }

    fn command(&self) -> Command {
        bucketforge(self.home.path(), &self.server.config, &self.llm)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command()
            .args(args)
            .args(["--user", &self.user])
            .output()
            .unwrap()
    }

    fn change_args(&self) -> Vec<String> {
        let mut args: Vec<String> = ["change", "click-counter", "--request", REQUEST]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(LLM.iter().map(|s| s.to_string()));
        args.extend(["--user".to_string(), self.user.clone(), "--json".into()]);
        args
    }

    async fn live(&self) -> BTreeMap<String, String> {
        let store = self.server.store().await;
        support::live_files(&self.server.config, &store, &self.key).await
    }
}

fn generated_files() -> BTreeMap<String, String> {
    changes::files()
        .into_iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect()
}

fn changed_files() -> BTreeMap<String, String> {
    let mut files = generated_files();
    files.remove("README.md");
    files.insert("src/App.jsx".into(), APP.into());
    files.insert("src/Reset.jsx".into(), RESET.into());
    files
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_history_diff_and_restore_work_from_the_command_line() {
    let rig = Rig::generated(changes::script("Click Counter")).await;
    let out = ok(&rig.command().args(rig.change_args()).output().unwrap());
    let last = json(out.lines().last().unwrap());
    assert_eq!(last["type"], "finished", "{out}");
    assert!(out.contains("\"type\":\"file_removed\""), "{out}");
    assert_eq!(rig.live().await, changed_files());

    // history: one entry per revision, with what was asked and what changed.
    let history = json(&ok(&rig.run(&["history", "click-counter", "--json"])));
    assert_eq!(history["current"], 2);
    let revisions = history["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 2);
    assert_eq!(revisions[1]["request"], REQUEST);
    assert_eq!(revisions[1]["changes"].as_array().unwrap().len(), 3);
    let text = ok(&rig.run(&["history", "click-counter"]));
    assert!(
        text.contains("Version 2 (current) — changed by asking"),
        "{text}"
    );
    assert!(
        text.contains("Files: 1 changed, 1 added, 1 removed"),
        "{text}"
    );
    assert!(text.contains("removed  README.md (+0 −5)"), "{text}");

    // diff: a unified diff of revision 2 against revision 1.
    let diff = ok(&rig.run(&["diff", "click-counter", "--revision", "2"]));
    assert!(
        diff.contains("--- a/src/App.jsx\n+++ b/src/App.jsx\n"),
        "{diff}"
    );
    assert!(diff.contains("+import Reset from './Reset.jsx';"), "{diff}");
    assert!(
        diff.contains("--- /dev/null\n+++ b/src/Reset.jsx"),
        "{diff}"
    );
    assert!(diff.contains("--- a/README.md\n+++ /dev/null"), "{diff}");
    assert!(
        diff.contains(&format!("-{}", README.lines().next().unwrap())),
        "{diff}"
    );

    // restore: revision 3 with revision 1's files, byte for byte; history grows by one.
    let restored = json(&ok(&rig.run(&[
        "restore",
        "click-counter",
        "--revision",
        "1",
        "--json",
    ])));
    assert_eq!(restored["number"], 3);
    assert_eq!(restored["restored_from"], 1);
    assert_eq!(rig.live().await, generated_files());
    let history = json(&ok(&rig.run(&["history", "click-counter", "--json"])));
    assert_eq!(history["revisions"].as_array().unwrap().len(), 3);

    // A version that does not exist is one clear line and changes nothing.
    let missing = rig.run(&["restore", "click-counter", "--revision", "9"]);
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("has no version 9"), "{stderr}");
    assert_eq!(rig.live().await, generated_files());
}

/// Runs `args` under strace and returns what it wrote to the local disk (its log aside).
fn local_writes_of(rig: &Rig, args: &[String]) -> Vec<String> {
    let logs = rig.home.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let trace = rig.home.path().join(format!("trace-{}.txt", args[0]));
    let command = rig.command();
    let output = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=%file,%desc", "-o"])
        .arg(&trace)
        .arg(command.get_program())
        .args(args)
        .env_clear()
        .envs(command.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .env("BUCKETFORGE_LOG_DIR", &logs)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    ok(&output);
    let trace = std::fs::read_to_string(&trace).unwrap();
    assert!(trace.contains("openat("), "strace recorded the file calls");
    let in_logs = format!("\"{}/", logs.display());
    local_writes(&trace)
        .into_iter()
        .filter(|line| !line.contains(&in_logs))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_and_restore_write_nothing_to_the_local_disk() {
    support::require_program("strace", "apt-get install strace");
    let rig = Rig::generated(changes::script("Click Counter")).await;
    let writes = local_writes_of(&rig, &rig.change_args());
    assert!(writes.is_empty(), "change wrote:\n{}", writes.join("\n"));
    assert_eq!(rig.live().await, changed_files());
    let restore: Vec<String> = [
        "restore",
        "click-counter",
        "--revision",
        "1",
        "--user",
        &rig.user,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let writes = local_writes_of(&rig, &restore);
    assert!(writes.is_empty(), "restore wrote:\n{}", writes.join("\n"));
    assert_eq!(rig.live().await, generated_files());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_changing_one_project_one_wins_the_other_is_told_and_nothing_is_lost() {
    // Both read the project before either has its change plan, so both try to claim it.
    let mut script = changes::script("Click Counter");
    script.replies.insert(
        "change".into(),
        vec![Reply::text(changes::change_plan()).first_token_after(Duration::from_millis(800))],
    );
    let rig = Rig::generated(script).await;
    let spawn = || {
        rig.command()
            .args(rig.change_args())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let (won, lost) = match (a.status.success(), b.status.success()) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        _ => panic!(
            "one change must win and one lose:\n{}\n{}",
            String::from_utf8_lossy(&a.stderr),
            String::from_utf8_lossy(&b.stderr)
        ),
    };
    assert!(String::from_utf8_lossy(&won.stdout).contains("\"type\":\"finished\""));
    let told = String::from_utf8_lossy(&lost.stdout);
    assert!(
        told.contains("manifest_conflict") || told.contains("project_busy"),
        "{told}"
    );
    assert_eq!(rig.live().await, changed_files());
    let history = json(&ok(&rig.run(&["history", "click-counter", "--json"])));
    assert_eq!(history["revisions"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_killed_midway_is_put_back_by_resume() {
    use std::io::BufRead;
    let mut script = changes::script("Click Counter");
    script.replies.insert(
        "edit src/App.jsx".into(),
        vec![Reply::text(APP).first_token_after(Duration::from_secs(120))],
    );
    let rig = Rig::generated(script).await;
    let mut child = rig
        .command()
        .args(rig.change_args())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines {
        let line = line.unwrap();
        if line.contains("\"type\":\"file_uploaded\"") && line.contains("src/Reset.jsx") {
            break;
        }
    }
    // The new file is in the bucket, the edit still on its way: the process dies.
    let store = rig.server.store().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (manifest, _) = store.read_manifest(&rig.key).await.unwrap().unwrap();
        if manifest
            .files
            .iter()
            .any(|f| f.path.as_str() == "src/Reset.jsx")
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{manifest:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(rig.live().await.contains_key("src/Reset.jsx"));
    let (manifest, _) = store.read_manifest(&rig.key).await.unwrap().unwrap();
    assert_eq!(manifest.status, ProjectStatus::Generating);
    assert!(manifest.change.is_some());

    // The dead process's lease names this computer's process: resume takes over at once.
    let out = ok(&rig
        .command()
        .args(["resume", "click-counter"])
        .args(LLM)
        .args(["--user", &rig.user, "--json"])
        .output()
        .unwrap());
    assert!(out.contains("\"type\":\"finished\""), "{out}");
    assert_eq!(rig.live().await, generated_files());
    let (manifest, _) = store.read_manifest(&rig.key).await.unwrap().unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert_eq!(manifest.current_revision, Some(1));
    // And the change can be asked for again.
    rig.llm.set_script(changes::script("Click Counter"));
    ok(&rig.command().args(rig.change_args()).output().unwrap());
    assert_eq!(rig.live().await, changed_files());
}
