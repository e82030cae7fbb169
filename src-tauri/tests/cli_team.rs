//! One bucket shared by a team, each person confined by S3 itself: moto enforcing IAM with the
//! policies `bucketforge policy` prints, and the real binary run with each person's own keys.
//! moto checks actions and resources, not conditions, so the policy's `s3:prefix` condition on
//! listing is held by the engine's unit test of the policy instead.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use bucketforge_scripted_llm::{Reply, ScriptedLlm};
use bucketforge_test_support::counter;
use bucketforge_test_support::processes::{S3Process, TeamMember, MOTO_REGION};

const API_KEY: &str = "sk-team-test-4b7e21";
const BUCKET: &str = "team-projects";

/// The binary with a clean environment and one person's keys for the shared bucket.
fn bucketforge(home: &Path, endpoint: &str, member: &TeamMember, llm: &ScriptedLlm) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bucketforge"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("USER", "team-tester")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", MOTO_REGION)
        .env("S3_BUCKET_NAME", BUCKET)
        .env("AWS_ACCESS_KEY_ID", &member.keys.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &member.keys.secret_access_key)
        .env("OPENAI_API_KEY", API_KEY)
        .env("BUCKETFORGE_LLM_BASE_URL", llm.openai_base_url())
        .stdin(Stdio::null());
    command
}

fn run(mut command: Command, args: &[&str]) -> Output {
    command.args(args).output().expect("the binary runs")
}

fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The `{code, message}` a refused command prints with `--json`.
fn refusal(output: &Output) -> (String, String) {
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: serde_json::Value = serde_json::from_str(stderr.trim())
        .unwrap_or_else(|e| panic!("not one JSON error ({e}): {stderr}"));
    (
        report["code"].as_str().unwrap_or_default().to_string(),
        report["message"].as_str().unwrap_or_default().to_string(),
    )
}

/// The policy the CLI prints for `user`: nothing but the JSON document on stdout.
fn printed_policy(home: &Path, user: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_bucketforge"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .args(["policy", "--user", user, "--bucket", BUCKET])
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    let policy = succeeded(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("projects/{user}/")), "{stderr}");
    assert!(stderr.contains("aws iam put-user-policy"), "{stderr}");
    assert!(stderr.contains("Garage has no prefix policies"), "{stderr}");
    policy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_person_works_in_their_own_prefix_and_s3_refuses_the_rest_in_plain_words() {
    let home = tempfile::tempdir().unwrap();
    let policies: Vec<(&str, String)> = ["alice", "bob"]
        .into_iter()
        .map(|user| (user, printed_policy(home.path(), user)))
        .collect();
    let (moto, members) =
        S3Process::start_moto_iam(BUCKET, &policies).unwrap_or_else(|e| panic!("{e}"));
    let endpoint = moto.endpoint.endpoint.clone();
    let (alice, bob) = (&members[0], &members[1]);
    let llm = ScriptedLlm::start(counter::script(API_KEY, counter::NAME, |_, content| {
        Reply::text(content)
    }))
    .await
    .unwrap();
    let as_person = |member: &TeamMember| bucketforge(home.path(), &endpoint, member, &llm);

    // Each generates in their own prefix with their own key.
    for member in [bob, alice] {
        let args = counter::generate_args(&member.user);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        succeeded(&run(as_person(member), &args));
    }

    // Alice lists, shows, checks, exports and deletes her own.
    let listed = succeeded(&run(as_person(alice), &["list", "--user", "alice"]));
    assert_eq!(listed.trim(), "click-counter");
    let shown = succeeded(&run(
        as_person(alice),
        &["show", "--user", "alice", "click-counter", "--json"],
    ));
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["status"], "complete", "{shown}");
    assert_eq!(
        shown["files"].as_array().map(Vec::len),
        Some(counter::FILES.len())
    );
    let checked = succeeded(&run(
        as_person(alice),
        &["check", "--user", "alice", "--json"],
    ));
    let checked: serde_json::Value = serde_json::from_str(&checked).unwrap();
    assert_eq!(checked["can_copy"], true, "{checked}");
    let zip = home.path().join("alice.zip");
    let zip_arg = zip.display().to_string();
    succeeded(&run(
        as_person(alice),
        &[
            "export",
            "--user",
            "alice",
            "click-counter",
            "--out",
            &zip_arg,
        ],
    ));
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    for (path, content) in counter::FILES {
        let mut entry = archive
            .by_name(&format!("click-counter/{path}"))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
        assert_eq!(text, content, "{path}");
    }

    // With Alice's key, Bob's prefix is refused by S3, and each refusal says what and where.
    let (code, message) = refusal(&run(
        as_person(alice),
        &[
            "cat",
            "--user",
            "bob",
            "click-counter",
            "src/App.jsx",
            "--json",
        ],
    ));
    assert_eq!(code, "access_denied_read", "{message}");
    assert!(
        message.starts_with("This access key may not read from “projects/bob/"),
        "{message}"
    );
    assert!(
        message.contains("Ask whoever manages the bucket to grant s3:GetObject"),
        "{message}"
    );
    let args = counter::generate_args("bob");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, message) = refusal(&run(as_person(alice), &args));
    assert_eq!(code, "access_denied_write", "{message}");
    assert!(
        message.contains("may not write to “projects/bob/"),
        "{message}"
    );
    let (code, message) = refusal(&run(
        as_person(alice),
        &[
            "delete",
            "--user",
            "bob",
            "click-counter",
            "--yes",
            "--json",
        ],
    ));
    // A delete reads the project's record first (is a run writing it?): that read is refused.
    assert_eq!(code, "access_denied_read", "{message}");
    assert!(
        message.contains("may not read from “projects/bob/click-counter/”"),
        "{message}"
    );

    // Bob's project is whole.
    let shown = succeeded(&run(
        as_person(bob),
        &["show", "--user", "bob", "click-counter", "--json"],
    ));
    let shown: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["status"], "complete", "{shown}");
    assert_eq!(
        shown["files"].as_array().map(Vec::len),
        Some(counter::FILES.len())
    );

    // And Alice's own delete goes through.
    succeeded(&run(
        as_person(alice),
        &["delete", "--user", "alice", "click-counter", "--yes"],
    ));
    assert_eq!(
        succeeded(&run(as_person(alice), &["list", "--user", "alice"])).trim(),
        ""
    );
    drop(llm);
    moto.stop();
}
