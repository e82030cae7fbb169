//! Changing a project by asking, and its history: the scripted LLM over real HTTP, real S3
//! servers (the built-in bucket, moto, Garage), every assertion read back from the bucket.

use std::collections::BTreeMap;
use std::time::Duration;

use bucketforge_engine::change::{self, Holder};
use bucketforge_engine::generate::{GenerationEvent, GenerationSettings, Generator, NewProject};
use bucketforge_engine::llm::build_provider;
use bucketforge_engine::plan::Stack;
use bucketforge_engine::store::{
    FileChangeKind, Lease, Manifest, ObjectStore, ProjectKey, ProjectPath, ProjectStatus,
    RevisionKind,
};
use bucketforge_engine::{Error, ErrorCode};
use bucketforge_scripted_llm::{Protocol, Reply, Script, ScriptedLlm};
use bucketforge_test_support::changes::{self, APP, README, REQUEST, RESET};
use bucketforge_test_support::events::Events;
use bucketforge_test_support::{self as support, llm as llm_support, unique_user, ServerKind};
use tokio_util::sync::CancellationToken;

struct Rig {
    server: support::TestServer,
    llm: ScriptedLlm,
    store: ObjectStore,
    key: ProjectKey,
}

/// Replaces what `task` answers.
fn answer(mut script: Script, task: &str, replies: Vec<Reply>) -> Script {
    script.replies.insert(task.to_string(), replies);
    script
}

impl Rig {
    /// A server with the counter (and its README) generated as revision 1.
    async fn generated(kind: ServerKind, script: Script) -> Rig {
        let server = support::TestServer::start(kind).await;
        let store = server.store().await;
        let llm = ScriptedLlm::start(script).await.unwrap();
        let user = unique_user("chg");
        let rig = Rig {
            key: support::project(&user, "click-counter"),
            server,
            llm,
            store,
        };
        let manifest = rig
            .generator()
            .generate(
                NewProject {
                    idea: "A button that counts my clicks".into(),
                    name: None,
                    user,
                    stack: Stack::React,
                },
                CancellationToken::new(),
                Events::default().sink(),
            )
            .await
            .unwrap();
        assert_eq!(manifest.current_revision, Some(1));
        rig
    }

    fn generator(&self) -> Generator {
        self.generator_with(GenerationSettings::default())
    }

    fn generator_with(&self, settings: GenerationSettings) -> Generator {
        let config = llm_support::config_for(&self.llm, Protocol::OpenAi);
        Generator::new(
            self.store.clone(),
            build_provider(&config).unwrap(),
            llm_support::kind_for(Protocol::OpenAi),
            "test-model",
            settings,
        )
    }

    async fn change(&self, request: &str) -> (Result<Manifest, Error>, Events) {
        let events = Events::default();
        let result = self
            .generator()
            .change(
                self.key.clone(),
                request,
                CancellationToken::new(),
                events.sink(),
            )
            .await;
        (result, events)
    }

    async fn manifest(&self) -> Manifest {
        self.store
            .read_manifest(&self.key)
            .await
            .unwrap()
            .unwrap()
            .0
    }

    async fn live(&self) -> BTreeMap<String, String> {
        support::live_files(&self.server.config, &self.store, &self.key).await
    }

    /// Each live file's ETag and Last-Modified, from HEAD requests of a plain client.
    async fn stamps(&self) -> BTreeMap<String, (String, String)> {
        let client = support::raw_client(&self.server.config);
        let mut stamps = BTreeMap::new();
        for path in self.store.live_paths(&self.key).await.unwrap() {
            let head = client
                .head_object()
                .bucket(&self.server.config.bucket)
                .key(self.key.file(&path))
                .send()
                .await
                .unwrap();
            stamps.insert(
                path.to_string(),
                (
                    head.e_tag().unwrap_or_default().to_string(),
                    format!("{:?}", head.last_modified()),
                ),
            );
        }
        stamps
    }

    fn holder(&self) -> Holder {
        Holder {
            owner: "a test".into(),
            ttl: Duration::from_secs(60),
        }
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

async fn a_change_moves_exactly_its_files_and_every_revision_comes_back_byte_exact(
    kind: ServerKind,
) {
    let rig = Rig::generated(kind, changes::script("Click Counter")).await;
    assert_eq!(rig.live().await, generated_files());
    let before = rig.stamps().await;
    let spent_before = rig.manifest().await.usage;
    // Last-Modified counts whole seconds: a file rewritten now would show a later one.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let (result, events) = rig.change(REQUEST).await;
    let manifest = result.unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert_eq!(manifest.current_revision, Some(2));
    assert!(manifest.change.is_none() && manifest.lease.is_none());
    assert_eq!(rig.live().await, changed_files());
    let after = rig.stamps().await;
    for (path, stamp) in &before {
        if ["src/App.jsx", "README.md"].contains(&path.as_str()) {
            continue;
        }
        assert_eq!(after.get(path), Some(stamp), "{path} was not to be written");
    }
    assert_ne!(after["src/App.jsx"], before["src/App.jsx"]);
    // Exactly the named files were asked for and uploaded.
    let uploaded: Vec<String> = events
        .all()
        .iter()
        .filter_map(|e| match e {
            GenerationEvent::FileUploaded { path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(uploaded.len(), 2, "{uploaded:?}");
    assert!(events.all().contains(&GenerationEvent::FileRemoved {
        path: "README.md".into()
    }));
    let change_request = &rig.llm.requests_for("change")[0];
    let asked = change_request.last_user_message().unwrap();
    assert!(
        asked.contains(REQUEST) && asked.contains("src/App.jsx ("),
        "{asked}"
    );

    // The record of revision 2, and the replaced versions kept under objects/.
    let revision = rig.store.read_revision(&rig.key, 2).await.unwrap();
    assert_eq!(revision.kind, RevisionKind::Changed);
    assert_eq!(revision.parent, Some(1));
    assert_eq!(revision.request, REQUEST);
    assert_eq!(revision.summary, "Adds a Reset button under the counter.");
    let kinds: Vec<(&str, FileChangeKind)> = revision
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.change))
        .collect();
    assert_eq!(
        kinds,
        [
            ("README.md", FileChangeKind::Removed),
            ("src/App.jsx", FileChangeKind::Modified),
            ("src/Reset.jsx", FileChangeKind::Added),
        ]
    );
    assert_eq!(
        revision.changes[0].lines_removed,
        README.lines().count() as u32
    );
    assert_eq!(
        revision.changes[2].lines_added,
        RESET.lines().count() as u32
    );
    // The revision's cost is all the change spent, its change plan included.
    assert_eq!(
        revision.usage.completion_tokens,
        manifest.usage.completion_tokens - spent_before.completion_tokens
    );
    assert_eq!(
        revision.usage.prompt_tokens,
        manifest.usage.prompt_tokens - spent_before.prompt_tokens
    );
    assert!(revision.usage.completion_tokens > 0);
    for (path, content) in [
        ("src/App.jsx", generated_files()["src/App.jsx"].clone()),
        ("README.md", README.to_string()),
    ] {
        let kept = rig
            .store
            .read_version(
                &rig.key,
                &bucketforge_engine::store::sha256_hex(content.as_bytes()),
            )
            .await
            .unwrap();
        assert_eq!(kept.as_deref(), Some(content.as_bytes()), "{path} was kept");
    }

    // Restore revision 1: a new revision with its files, byte for byte.
    let restored = change::restore(&rig.store, &rig.key, 1, &rig.holder())
        .await
        .unwrap();
    assert_eq!(restored.revision.number, 3);
    assert_eq!(restored.revision.restored_from, Some(1));
    assert_eq!(restored.manifest.current_revision, Some(3));
    assert_eq!(rig.live().await, generated_files());
    assert_eq!(
        rig.manifest().await.plan.files.len(),
        generated_files().len()
    );

    // Undo: back to revision 2's files, as revision 4. History is never rewritten.
    let undone = change::undo(&rig.store, &rig.key, &rig.holder())
        .await
        .unwrap();
    assert_eq!(undone.revision.number, 4);
    assert_eq!(undone.revision.restored_from, Some(2));
    assert_eq!(rig.live().await, changed_files());
    for n in 1..=4 {
        assert_eq!(
            rig.store.read_revision(&rig.key, n).await.unwrap().number,
            n
        );
    }
    let manifest = rig.manifest().await;
    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert!(manifest.check.is_some_and(|c| c.is_clean()));
}

#[tokio::test]
async fn a_change_moves_exactly_its_files_in_the_built_in_bucket() {
    a_change_moves_exactly_its_files_and_every_revision_comes_back_byte_exact(ServerKind::BuiltIn)
        .await;
}

#[tokio::test]
async fn a_change_moves_exactly_its_files_in_moto() {
    a_change_moves_exactly_its_files_and_every_revision_comes_back_byte_exact(ServerKind::Moto)
        .await;
}

#[tokio::test]
async fn a_change_moves_exactly_its_files_in_garage() {
    a_change_moves_exactly_its_files_and_every_revision_comes_back_byte_exact(ServerKind::Garage)
        .await;
}

#[tokio::test]
async fn an_edit_with_a_lazy_marker_or_that_loses_code_goes_back_as_a_fix() {
    let lazy = "import { useState } from 'react';\nimport Reset from './Reset.jsx';\n\nexport default function App() {\n  // ... rest of the code unchanged\n  return <Reset onReset={() => {}} />;\n}\n";
    let script = answer(
        changes::script("Click Counter"),
        "edit src/App.jsx",
        vec![Reply::text(lazy)],
    )
    .reply("fix src/App.jsx", Reply::text(APP));
    let rig = Rig::generated(ServerKind::Moto, script).await;
    let (result, events) = rig.change(REQUEST).await;
    result.unwrap();
    let fixes = rig.llm.requests_for("fix src/App.jsx");
    assert_eq!(fixes.len(), 1);
    let fix = fixes[0].last_user_message().unwrap();
    assert!(
        fix.contains("left out") && fix.contains("CURRENT CONTENT"),
        "{fix}"
    );
    assert!(events.all().iter().any(|e| matches!(e,
        GenerationEvent::FileRepairing { path, reason, .. } if path == "src/App.jsx" && reason.contains("rest of the code unchanged"))));
    assert_eq!(rig.live().await, changed_files());
}

#[tokio::test]
async fn a_change_whose_edit_never_parses_puts_every_file_back_and_says_why() {
    let broken = "export default function App( {\n";
    let script = answer(
        changes::script("Click Counter"),
        "edit src/App.jsx",
        vec![Reply::text(broken)],
    )
    .reply("fix src/App.jsx", Reply::text(broken));
    let rig = Rig::generated(ServerKind::Moto, script).await;
    let (result, events) = rig.change(REQUEST).await;
    let error = result.unwrap_err();
    assert_eq!(error.code(), ErrorCode::FileInvalid, "{error}");
    assert!(matches!(
        events.all().last(),
        Some(GenerationEvent::Failed { .. })
    ));
    // The live files are revision 1's, byte for byte; the project is complete there.
    assert_eq!(rig.live().await, generated_files());
    let manifest = rig.manifest().await;
    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert_eq!(manifest.current_revision, Some(1));
    assert!(manifest.change.is_none() && manifest.lease.is_none());
    assert_eq!(manifest.files.len(), generated_files().len());
    assert!(matches!(
        rig.store.read_revision(&rig.key, 2).await,
        Err(Error::RevisionNotFound { .. })
    ));
}

#[tokio::test]
async fn cancelling_a_change_puts_every_file_back() {
    // The edit takes long enough to cancel while the new file has already landed.
    let script = answer(
        changes::script("Click Counter"),
        "edit src/App.jsx",
        vec![Reply::text(APP).first_token_after(Duration::from_secs(20))],
    );
    let rig = Rig::generated(ServerKind::Moto, script).await;
    let cancel = CancellationToken::new();
    let events = Events::default();
    let generator = rig.generator();
    let key = rig.key.clone();
    let sink = events.sink();
    let token = cancel.clone();
    let run = tokio::spawn(async move { generator.change(key, REQUEST, token, sink).await });
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !events
        .all()
        .iter()
        .any(|e| matches!(e, GenerationEvent::FileUploaded { path, .. } if path == "src/Reset.jsx"))
    {
        assert!(std::time::Instant::now() < deadline, "{:?}", events.all());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(rig.live().await.contains_key("src/Reset.jsx"));
    cancel.cancel();
    let error = run.await.unwrap().unwrap_err();
    assert!(matches!(error, Error::Cancelled), "{error}");
    assert!(matches!(
        events.all().last(),
        Some(GenerationEvent::Cancelled { .. })
    ));
    assert_eq!(rig.live().await, generated_files());
    let manifest = rig.manifest().await;
    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert_eq!(manifest.current_revision, Some(1));
}

#[tokio::test]
async fn resume_puts_back_a_change_whose_process_died() {
    let rig = Rig::generated(ServerKind::Moto, changes::script("Click Counter")).await;
    // What a killed change leaves: App.jsx kept and overwritten, a new file, a lease that
    // stopped being renewed, the change still pending.
    let app = ProjectPath::new("src/App.jsx").unwrap();
    let sha = bucketforge_engine::store::sha256_hex(generated_files()["src/App.jsx"].as_bytes());
    rig.store.keep_version(&rig.key, &app, &sha).await.unwrap();
    rig.store.put_file(&rig.key, &app, APP).await.unwrap();
    let reset = ProjectPath::new("src/Reset.jsx").unwrap();
    rig.store.put_file(&rig.key, &reset, RESET).await.unwrap();
    support::update_manifest(&rig.store, &rig.key, |m| {
        m.status = ProjectStatus::Generating;
        let mut lease = Lease::new("a process that died", Duration::from_secs(120));
        // A process of this computer that is no longer there.
        lease.pid = 3_999_999;
        m.lease = Some(lease);
        m.change = Some(bucketforge_engine::store::PendingChange {
            base: 1,
            kind: RevisionKind::Changed,
            request: REQUEST.into(),
            paths: vec![
                "README.md".into(),
                "src/App.jsx".into(),
                "src/Reset.jsx".into(),
            ],
        });
    })
    .await;
    // A change can't start on top of it.
    let (result, _) = rig.change("Make the button blue").await;
    assert_eq!(result.unwrap_err().code(), ErrorCode::ChangeInterrupted);

    let events = Events::default();
    let manifest = rig
        .generator()
        .resume(rig.key.clone(), CancellationToken::new(), events.sink())
        .await
        .unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert_eq!(manifest.current_revision, Some(1));
    assert!(manifest.change.is_none());
    assert_eq!(rig.live().await, generated_files());
    // Nothing was asked of the model to put it back.
    assert!(rig.llm.requests_for("edit src/App.jsx").is_empty());
}

#[tokio::test]
async fn a_project_from_before_revisions_gets_revision_one_on_its_first_change() {
    let rig = Rig::generated(ServerKind::Moto, changes::script("Click Counter")).await;
    // As a project written before revisions existed: no record, no number.
    support::raw_client(&rig.server.config)
        .delete_object()
        .bucket(&rig.server.config.bucket)
        .key(rig.key.revision(1))
        .send()
        .await
        .unwrap();
    support::update_manifest(&rig.store, &rig.key, |m| m.current_revision = None).await;
    rig.change(REQUEST).await.0.unwrap();
    let first = rig.store.read_revision(&rig.key, 1).await.unwrap();
    assert_eq!(first.kind, RevisionKind::Generated);
    assert_eq!(first.files.len(), generated_files().len());
    change::restore(&rig.store, &rig.key, 1, &rig.holder())
        .await
        .unwrap();
    assert_eq!(rig.live().await, generated_files());
}

#[tokio::test]
async fn a_hand_edit_is_parsed_before_it_is_saved_and_checked_against_the_open_version() {
    let rig = Rig::generated(ServerKind::BuiltIn, changes::script("Click Counter")).await;
    let app = ProjectPath::new("src/App.jsx").unwrap();
    let holder = rig.holder();
    let broken = change::save_edit(
        &rig.store,
        &rig.key,
        &app,
        "export default function (",
        Some(1),
        &holder,
    )
    .await
    .unwrap_err();
    assert_eq!(broken.code(), ErrorCode::EditInvalid);
    assert!(broken.to_string().contains("src/App.jsx"), "{broken}");
    assert_eq!(rig.live().await, generated_files());

    let edited = generated_files()["src/App.jsx"].replace("Clicked", "Pressed");
    let made = change::save_edit(&rig.store, &rig.key, &app, &edited, Some(1), &holder)
        .await
        .unwrap();
    assert_eq!(made.revision.kind, RevisionKind::EditedByHand);
    assert_eq!(made.revision.request, "Edited by hand");
    assert_eq!(made.revision.changes[0].lines_added, 1);
    assert_eq!(rig.live().await["src/App.jsx"], edited);
    // An editor still showing version 1 can't overwrite version 2.
    let stale = change::save_edit(
        &rig.store,
        &rig.key,
        &app,
        "export default 1;\n",
        Some(1),
        &holder,
    )
    .await
    .unwrap_err();
    assert_eq!(stale.code(), ErrorCode::ManifestConflict);
    assert_eq!(rig.live().await["src/App.jsx"], edited);
    let undone = change::undo(&rig.store, &rig.key, &holder).await.unwrap();
    assert_eq!(undone.revision.number, 3);
    assert_eq!(rig.live().await, generated_files());
}

#[tokio::test]
async fn two_changes_at_once_one_wins_and_the_other_is_told_and_loses_nothing() {
    // Both read the project, then wait for their change plans: they claim it at nearly the
    // same moment, and only one claim can match what both read.
    let script = answer(
        changes::script("Click Counter"),
        "change",
        vec![Reply::text(changes::change_plan()).first_token_after(Duration::from_millis(500))],
    );
    let rig = Rig::generated(ServerKind::Moto, script).await;
    let (a, b) = tokio::join!(rig.change(REQUEST), rig.change(REQUEST));
    let (won, lost) = match (a.0, b.0) {
        (Ok(m), Err(e)) | (Err(e), Ok(m)) => (m, e),
        other => panic!("one change must win and one lose: {other:?}"),
    };
    assert_eq!(won.current_revision, Some(2));
    assert!(
        [ErrorCode::ManifestConflict, ErrorCode::ProjectBusy].contains(&lost.code()),
        "{lost}"
    );
    assert_eq!(rig.live().await, changed_files());
    assert!(matches!(
        rig.store.read_revision(&rig.key, 3).await,
        Err(Error::RevisionNotFound { .. })
    ));
}
