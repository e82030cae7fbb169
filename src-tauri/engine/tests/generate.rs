//! Whole generation runs: the scripted LLM server over real HTTP, a real S3 server, the real
//! parsers. Every assertion about the bucket reads it back with the store.

use bucketforge_test_support::{self as support, llm as llm_support};

use std::sync::Arc;
use std::time::{Duration, Instant};

use bucketforge_engine::generate::{
    EventSink, GenerationEvent, GenerationSettings, Generator, NewProject,
};
use bucketforge_engine::llm::build_provider;
use bucketforge_engine::plan::{QualityFinding, QualityRule, Stack};
use bucketforge_engine::store::{
    ObjectStore, ProjectKey, ProjectPath, ProjectStatus, Slug, StoreConfig, UserId,
};
use bucketforge_engine::Error;
use bucketforge_scripted_llm::{Fault, Protocol, Reply, Script, ScriptedLlm};
use sha2::Digest;
use support::events::Events;
use support::fault_proxy::{Fault as S3Fault, FaultProxy};
use support::{unique_user, ServerKind, TestServer};
use tokio_util::sync::CancellationToken;

const MAIN_PY: &str = "from fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\nfrom pydantic import BaseModel\n\napp = FastAPI()\napp.add_middleware(CORSMiddleware, allow_origins=[\"*\"], allow_methods=[\"*\"], allow_headers=[\"*\"])\n\n\nclass Todo(BaseModel):\n    id: int\n    title: str\n    done: bool = False\n\n\ntodos: dict[int, Todo] = {}\n\n\n@app.get(\"/api/todos\")\ndef list_todos() -> list[Todo]:\n    return list(todos.values())\n\n\n@app.post(\"/api/todos\")\ndef add_todo(todo: Todo) -> Todo:\n    todos[todo.id] = todo\n    return todo\n";
const REQUIREMENTS: &str = "fastapi>=0.110\nuvicorn[standard]>=0.29\n";
const INDEX_HTML: &str = "<!doctype html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"UTF-8\" />\n    <title>Todo</title>\n  </head>\n  <body>\n    <div id=\"root\"></div>\n    <script type=\"module\" src=\"/src/main.jsx\"></script>\n  </body>\n</html>\n";
const PACKAGE_JSON: &str = "{\n  \"name\": \"todo-frontend\",\n  \"private\": true,\n  \"type\": \"module\",\n  \"scripts\": { \"dev\": \"vite\", \"build\": \"vite build\" },\n  \"dependencies\": { \"react\": \"^19.0.0\", \"react-dom\": \"^19.0.0\" },\n  \"devDependencies\": { \"vite\": \"^6.0.0\", \"@vitejs/plugin-react\": \"^4.3.4\" }\n}\n";
const MAIN_JSX: &str = "import React from 'react';\nimport { createRoot } from 'react-dom/client';\nimport App from './App.jsx';\n\ncreateRoot(document.getElementById('root')).render(<App />);\n";
const APP_JSX: &str = "import { useEffect, useState } from 'react';\n\nconst API = import.meta.env.VITE_API_URL ?? 'http://localhost:8000';\n\nexport default function App() {\n  const [todos, setTodos] = useState([]);\n  useEffect(() => {\n    fetch(`${API}/api/todos`).then((r) => r.json()).then(setTodos);\n  }, []);\n  return <ul>{todos.map((t) => <li key={t.id}>{t.title}</li>)}</ul>;\n}\n";
const VITE_CONFIG: &str = "import { defineConfig } from 'vite';\nimport react from '@vitejs/plugin-react';\n\nexport default defineConfig({ plugins: [react()] });\n";
const README: &str =
    "# Todo\n\n1. Install Python and Node.js.\n2. Run the backend, then the frontend.\n";

/// Long enough to mean "hung" on a busy two-core machine; never the figure a test is about.
const HANG: Duration = Duration::from_secs(30);

/// The files of a small, valid fastapi-react project, in plan order.
fn todo_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("backend/main.py", MAIN_PY),
        ("backend/requirements.txt", REQUIREMENTS),
        ("frontend/index.html", INDEX_HTML),
        ("frontend/package.json", PACKAGE_JSON),
        ("frontend/vite.config.js", VITE_CONFIG),
        ("frontend/src/main.jsx", MAIN_JSX),
        ("frontend/src/App.jsx", APP_JSX),
        ("README.md", README),
    ]
}

fn plan_json(name: &str, paths: &[&str]) -> String {
    let mut contract = support::todo_contract();
    contract["notes"] = "App lists the todos and adds one.".into();
    let files: Vec<_> = paths
        .iter()
        .map(|p| serde_json::json!({ "path": p, "purpose": format!("the {p} file") }))
        .collect();
    serde_json::json!({
        "name": name,
        "summary": "A to-do list with a FastAPI backend.",
        "stack": "fastapi-react",
        "contract": contract,
        "files": files,
    })
    .to_string()
}

/// A script that plans `files` and answers each with its content.
fn script_for(name: &str, files: &[(&str, &str)]) -> Script {
    let paths: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
    let mut script = Script::new().reply("plan", Reply::text(plan_json(name, &paths)));
    for (path, content) in files {
        script = script.reply(format!("write {path}"), Reply::text(*content));
    }
    script
}

/// Replaces what `task` answers (`Script::reply` appends to a task's sequence instead).
trait Override {
    fn answer(self, task: &str, replies: impl IntoIterator<Item = Reply>) -> Script;
}

impl Override for Script {
    fn answer(mut self, task: &str, replies: impl IntoIterator<Item = Reply>) -> Script {
        self.replies
            .insert(task.to_string(), replies.into_iter().collect());
        self
    }
}

struct Rig {
    _server: TestServer,
    llm: ScriptedLlm,
    store: ObjectStore,
    user: UserId,
    protocol: Protocol,
}

impl Rig {
    async fn start(kind: ServerKind, script: Script) -> Self {
        Self::on(kind, Protocol::OpenAi, script).await
    }

    async fn on(kind: ServerKind, protocol: Protocol, script: Script) -> Self {
        let server = TestServer::start(kind).await;
        let store = server.store().await;
        Self::with_store(server, store, protocol, script).await
    }

    async fn with_store(
        server: TestServer,
        store: ObjectStore,
        protocol: Protocol,
        script: Script,
    ) -> Self {
        let llm = ScriptedLlm::start(script).await.unwrap();
        Self {
            _server: server,
            llm,
            store,
            user: unique_user("gen"),
            protocol,
        }
    }

    fn generator(&self, settings: GenerationSettings) -> Generator {
        let provider = build_provider(&llm_support::config_for(&self.llm, self.protocol)).unwrap();
        Generator::new(
            self.store.clone(),
            provider,
            llm_support::kind_for(self.protocol),
            "test-model",
            settings,
        )
    }

    fn project(&self, name: Option<&str>) -> NewProject {
        NewProject {
            idea: "A to-do list where I can add tasks and tick them off.".into(),
            name: name.map(str::to_string),
            user: self.user.clone(),
            stack: Stack::FastapiReact,
        }
    }

    async fn generate(
        &self,
        name: Option<&str>,
    ) -> (Result<bucketforge_engine::store::Manifest, Error>, Events) {
        let events = Events::default();
        let result = self
            .generator(GenerationSettings::default())
            .generate(self.project(name), CancellationToken::new(), events.sink())
            .await;
        (result, events)
    }

    fn key(&self, slug: &str) -> ProjectKey {
        ProjectKey::new(self.user.clone(), Slug::new(slug).unwrap())
    }

    async fn read(&self, key: &ProjectKey, path: &str) -> Option<String> {
        self.store
            .get_file(key, &ProjectPath::new(path).unwrap())
            .await
            .ok()
            .map(|f| String::from_utf8(f.bytes.to_vec()).unwrap())
    }

    /// Every key under the user's prefix, straight from a listing.
    async fn raw_keys(&self) -> Vec<String> {
        support::raw_keys(&self._server.config, &format!("projects/{}/", self.user)).await
    }
}

fn sha256(text: &str) -> String {
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

async fn a_whole_project_lands_in_the_bucket_exactly_as_written(
    kind: ServerKind,
    protocol: Protocol,
) {
    let files = todo_files();
    let rig = Rig::on(kind, protocol, script_for("Todo List", &files)).await;
    let (result, events) = rig.generate(None).await;
    let manifest = result.unwrap();

    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert_eq!(manifest.files.len(), files.len());
    let key = rig.key("todo-list");
    for ((path, content), recorded) in files.iter().zip(&manifest.files) {
        assert_eq!(
            recorded.path.as_str(),
            *path,
            "manifest lists files in plan order"
        );
        assert_eq!(
            rig.read(&key, path).await.as_deref(),
            Some(*content),
            "{path}"
        );
        assert_eq!(recorded.sha256, sha256(content), "{path}");
        assert_eq!(recorded.bytes, content.len() as u64);
        assert_eq!(recorded.attempts, 1);
        let head = rig
            .store
            .head_file(&key, &recorded.path)
            .await
            .unwrap()
            .expect("the object exists");
        assert_eq!(
            head.content_type.as_deref(),
            Some(recorded.content_type.as_str())
        );
    }
    let content_type = |p: &str| {
        manifest
            .files
            .iter()
            .find(|f| f.path.as_str() == p)
            .unwrap()
            .content_type
            .clone()
    };
    assert_eq!(
        content_type("backend/main.py"),
        "text/x-python; charset=utf-8"
    );
    assert_eq!(
        content_type("frontend/index.html"),
        "text/html; charset=utf-8"
    );
    assert_eq!(
        content_type("frontend/package.json"),
        "application/json; charset=utf-8"
    );

    let (stored, _) = rig.store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(
        stored, manifest,
        "the manifest in the bucket is the one returned"
    );
    assert!(stored.usage.prompt_tokens > 0);

    let events = events.all();
    assert_eq!(events.first(), Some(&GenerationEvent::Planning {}));
    assert!(matches!(
        events.last(),
        Some(GenerationEvent::Finished { files: 8, .. })
    ));
    let uploaded = events
        .iter()
        .filter(|e| matches!(e, GenerationEvent::FileUploaded { .. }))
        .count();
    assert_eq!(uploaded, 8);
    // Every file request carried the idea, the plan and the contract.
    for request in rig
        .llm
        .requests()
        .iter()
        .filter(|r| r.task.as_deref().is_some_and(|t| t.starts_with("write ")))
    {
        let prompt = request.last_user_message().unwrap();
        assert!(
            prompt.contains("A to-do list where I can add tasks"),
            "{prompt}"
        );
        assert!(
            prompt
                .contains(r#"{"method":"GET","path":"/api/todos","action":"list","model":"Todo"}"#),
            "the contract, as compact JSON: {prompt}"
        );
        assert!(
            prompt.contains("- frontend/src/App.jsx: the frontend/src/App.jsx file"),
            "{prompt}"
        );
    }
}

#[tokio::test]
async fn a_whole_project_lands_in_the_built_in_bucket_over_the_openai_protocol() {
    a_whole_project_lands_in_the_bucket_exactly_as_written(ServerKind::BuiltIn, Protocol::OpenAi)
        .await;
}

#[tokio::test]
async fn a_whole_project_lands_in_moto_over_the_anthropic_protocol() {
    a_whole_project_lands_in_the_bucket_exactly_as_written(ServerKind::Moto, Protocol::Anthropic)
        .await;
}

#[tokio::test]
async fn broken_python_is_repaired_with_the_parsers_message() {
    let files = todo_files();
    let script = script_for("Todo", &files)
        .answer(
            "write backend/main.py",
            [Reply::text("def broken(:\n    pass\n")],
        )
        .reply("fix backend/main.py", Reply::text(MAIN_PY));
    let rig = Rig::start(ServerKind::BuiltIn, script).await;
    let (result, events) = rig.generate(None).await;
    let manifest = result.unwrap();

    let main = manifest
        .files
        .iter()
        .find(|f| f.path.as_str() == "backend/main.py")
        .unwrap();
    assert_eq!(main.attempts, 2);
    assert_eq!(
        rig.read(&rig.key("todo"), "backend/main.py")
            .await
            .as_deref(),
        Some(MAIN_PY)
    );
    let fix = rig.llm.requests_for("fix backend/main.py");
    assert_eq!(fix.len(), 1);
    let prompt = fix[0].last_user_message().unwrap();
    assert!(
        prompt.contains("line 1"),
        "the repair request names the line: {prompt}"
    );
    assert!(
        prompt.contains("def broken(:"),
        "and quotes the broken content: {prompt}"
    );
    assert!(events.all().iter().any(|e| matches!(e,
        GenerationEvent::FileRepairing { path, reason, .. } if path == "backend/main.py" && reason.starts_with("line 1"))));
}

#[tokio::test]
async fn fences_and_chatter_around_an_answer_are_stripped() {
    let files = todo_files();
    let fenced = format!(
        "Sure! Here is the file:\n\n```python\n{MAIN_PY}```\nLet me know if you need more."
    );
    let script = script_for("Todo", &files).answer("write backend/main.py", [Reply::text(fenced)]);
    let rig = Rig::start(ServerKind::BuiltIn, script).await;
    rig.generate(None).await.0.unwrap();
    assert_eq!(
        rig.read(&rig.key("todo"), "backend/main.py")
            .await
            .as_deref(),
        Some(MAIN_PY)
    );
}

#[tokio::test]
async fn a_truncated_answer_is_continued_without_repeating_the_overlap() {
    let files = todo_files();
    let (head, _) = APP_JSX.split_at(200);
    // The continuation repeats the last 30 characters of what was already written.
    let tail = &APP_JSX[170..];
    let script = script_for("Todo", &files)
        .answer(
            "write frontend/src/App.jsx",
            [Reply::text(head).truncated()],
        )
        .reply("continue frontend/src/App.jsx", Reply::text(tail));
    let rig = Rig::start(ServerKind::BuiltIn, script).await;
    let manifest = rig.generate(None).await.0.unwrap();
    assert_eq!(
        rig.read(&rig.key("todo"), "frontend/src/App.jsx")
            .await
            .as_deref(),
        Some(APP_JSX)
    );
    let app = manifest
        .files
        .iter()
        .find(|f| f.path.as_str() == "frontend/src/App.jsx")
        .unwrap();
    assert_eq!(app.attempts, 2);
    // The continuation request carried what had been written so far.
    let cont = rig.llm.requests_for("continue frontend/src/App.jsx");
    assert_eq!(cont.len(), 1);
    assert!(cont[0].messages.iter().any(|(_, content)| content == head));
}

#[tokio::test]
async fn a_plan_that_climbs_out_of_the_project_is_repaired() {
    let files = todo_files();
    let mut bad_paths: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
    bad_paths.push("../x.py");
    let good_paths: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
    let script = script_for("Todo", &files).answer(
        "plan",
        [
            Reply::text(plan_json("Todo", &bad_paths)),
            Reply::text(plan_json("Todo", &good_paths)),
        ],
    );
    let rig = Rig::start(ServerKind::BuiltIn, script).await;
    let manifest = rig.generate(None).await.0.unwrap();
    assert_eq!(manifest.files.len(), files.len());
    let plans = rig.llm.requests_for("plan");
    assert_eq!(plans.len(), 2);
    let repair = plans[1].last_user_message().unwrap();
    assert!(repair.contains("../x.py"), "{repair}");
    assert!(!rig.raw_keys().await.iter().any(|k| k.contains("x.py")));
}

#[tokio::test]
async fn a_plan_still_bad_after_repair_is_a_clear_error_and_writes_nothing() {
    let script = Script::new().reply(
        "plan",
        Reply::text("I'd love to help! What framework do you prefer?"),
    );
    let rig = Rig::start(ServerKind::BuiltIn, script).await;
    let (result, events) = rig.generate(Some("Todo")).await;
    let err = result.unwrap_err();
    assert_eq!(err.code(), "plan_invalid");
    assert!(err.to_string().contains("no JSON object"), "{err}");
    assert_eq!(rig.llm.requests_for("plan").len(), 2);
    assert!(
        rig.raw_keys().await.is_empty(),
        "nothing may be written anywhere"
    );
    assert!(
        matches!(events.last(), GenerationEvent::Failed { error, .. } if error.code == "plan_invalid")
    );
}

#[tokio::test]
async fn a_storm_of_rate_limits_lowers_concurrency_and_still_completes() {
    let files = todo_files();
    let mut script = script_for("Todo", &files);
    for (path, content) in &files {
        script = script.answer(
            &format!("write {path}"),
            [
                Reply::fault(Fault::rate_limited_ms(20)),
                Reply::text(*content),
            ],
        );
    }
    let rig = Rig::start(ServerKind::BuiltIn, script).await;
    let (result, events) = rig.generate(None).await;
    let manifest = result.unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete);
    let lowered: Vec<u32> = events
        .all()
        .iter()
        .filter_map(|e| match e {
            GenerationEvent::RateLimited { concurrency } => Some(*concurrency),
            _ => None,
        })
        .collect();
    assert!(!lowered.is_empty(), "rate limits were reported");
    assert!(lowered.iter().all(|c| *c < 6), "{lowered:?}");
}

#[tokio::test]
async fn storage_refusing_uploads_for_a_moment_is_retried() {
    let server = TestServer::start(ServerKind::BuiltIn).await;
    let proxy = Arc::new(FaultProxy::start(server.addr()).await);
    let mut config: StoreConfig = server.config.clone();
    config.endpoint = Some(proxy.endpoint());
    config.policy.max_attempts = 4;
    let store = ObjectStore::connect(&config).await.unwrap();
    let files = todo_files();
    let rig = Rig::with_store(server, store, Protocol::OpenAi, script_for("Todo", &files)).await;
    let events = Events::default();
    let recorder = events.sink();
    let faults = proxy.clone();
    // Once the name is claimed, the next three requests (uploads) get 503 SlowDown.
    let sink: EventSink = Arc::new(move |e: GenerationEvent| {
        if matches!(e, GenerationEvent::Planned { .. }) {
            faults.times(S3Fault::SlowDown, 3);
        }
        recorder(e);
    });
    let manifest = rig
        .generator(GenerationSettings::default())
        .generate(rig.project(None), CancellationToken::new(), sink)
        .await
        .unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert_eq!(proxy.faulted(), 3);
    for (path, content) in &files {
        assert_eq!(
            rig.read(&rig.key("todo"), path).await.as_deref(),
            Some(*content)
        );
    }
}

#[tokio::test]
async fn cancelling_stops_every_stream_fast_and_records_exactly_what_landed() {
    let files = todo_files();
    let mut script = script_for("Todo", &files);
    // README comes quickly; every other file streams for about a minute.
    for (path, content) in &files {
        let reply = if *path == "README.md" {
            Reply::text(*content)
        } else {
            Reply::text(*content).chunk_chars(1).tokens_per_second(5.0)
        };
        script = script.answer(&format!("write {path}"), [reply]);
    }
    let rig = Arc::new(Rig::start(ServerKind::BuiltIn, script).await);
    let slow = files.len() - 1;
    let cancel = CancellationToken::new();
    let events = Events::default();
    let recorder = events.sink();
    let trigger = cancel.clone();
    let sink: EventSink = Arc::new(move |e: GenerationEvent| {
        if matches!(&e, GenerationEvent::FileUploaded { path, .. } if path == "README.md") {
            trigger.cancel();
        }
        recorder(e);
    });
    let run = {
        let (rig, cancel) = (rig.clone(), cancel.clone());
        tokio::spawn(async move {
            let generator = rig.generator(GenerationSettings {
                concurrency: files.len(),
                ..GenerationSettings::default()
            });
            generator.generate(rig.project(None), cancel, sink).await
        })
    };
    // Each slow answer would run on for seconds to minutes; these bounds only catch a hang.
    let result = tokio::time::timeout(HANG, run)
        .await
        .expect("the cancelled run returns")
        .unwrap();
    assert_eq!(result.unwrap_err().code(), "cancelled");
    // A disconnect is counted only for an answer dropped before its end, so six of them mean
    // every slow stream was stopped, not waited out.
    tokio::time::timeout(HANG, rig.llm.wait_for_settled_responses(slow + 2))
        .await
        .expect("every stream is settled");
    assert_eq!(rig.llm.disconnects(), slow, "the slow streams were cut off");
    assert_eq!(
        rig.llm.completed_responses(),
        2,
        "only the plan and README ended"
    );

    let key = rig.key("todo");
    let (manifest, _) = rig.store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(manifest.status, ProjectStatus::Cancelled);
    let listed: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(listed, ["README.md"]);
    // Every listed file is there with its hash, and nothing unlisted is.
    for file in &manifest.files {
        let content = rig.read(&key, file.path.as_str()).await.unwrap();
        assert_eq!(sha256(&content), file.sha256);
    }
    let mut keys = rig.raw_keys().await;
    keys.sort();
    assert_eq!(
        keys,
        [
            key.manifest(),
            key.file(&ProjectPath::new("README.md").unwrap())
        ]
    );
    assert!(
        matches!(events.last(), GenerationEvent::Cancelled { landed, .. } if landed == ["README.md"])
    );
}

#[tokio::test]
async fn resume_after_a_failure_regenerates_only_the_missing_files() {
    let files = todo_files();
    // The App never parses: the run fails after two repairs.
    let broken = "export default function App() { return <div>; }\n";
    let script = script_for("Todo", &files)
        .answer("write frontend/src/App.jsx", [Reply::text(broken)])
        .reply("fix frontend/src/App.jsx", Reply::text(broken));
    let rig = Rig::start(ServerKind::BuiltIn, script).await;
    let (result, events) = rig.generate(None).await;
    let err = result.unwrap_err();
    assert_eq!(err.code(), "file_invalid");
    assert!(err.to_string().contains("frontend/src/App.jsx"), "{err}");
    assert!(matches!(events.last(), GenerationEvent::Failed { .. }));
    let key = rig.key("todo");
    let (failed, _) = rig.store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(failed.status, ProjectStatus::Failed);
    assert!(failed
        .error
        .as_deref()
        .unwrap()
        .contains("frontend/src/App.jsx"));
    assert!(!failed
        .files
        .iter()
        .any(|f| f.path.as_str() == "frontend/src/App.jsx"));
    for file in &failed.files {
        assert!(
            rig.read(&key, file.path.as_str()).await.is_some(),
            "{} is listed so it is there",
            file.path
        );
    }

    // Now the model gets it right. Resume asks only for what is missing.
    rig.llm.set_script(script_for("Todo", &files));
    let before = rig.llm.requests().len();
    let events = Events::default();
    let manifest = rig
        .generator(GenerationSettings::default())
        .resume(key.clone(), CancellationToken::new(), events.sink())
        .await
        .unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert_eq!(manifest.files.len(), files.len());
    let asked: Vec<String> = rig.llm.requests()[before..]
        .iter()
        .filter_map(|r| r.task.clone())
        .collect();
    let missing = files.len() - failed.files.len();
    assert_eq!(asked.len(), missing, "{asked:?}");
    assert!(asked.contains(&"write frontend/src/App.jsx".to_string()));
    let kept = events
        .all()
        .iter()
        .filter(|e| matches!(e, GenerationEvent::FileKept { .. }))
        .count();
    assert_eq!(kept, failed.files.len());
    assert_eq!(
        rig.read(&key, "frontend/src/App.jsx").await.as_deref(),
        Some(APP_JSX)
    );
    assert!(manifest.revision > failed.revision);
}

#[tokio::test]
async fn a_file_whose_hash_no_longer_matches_is_written_again_on_resume() {
    let files = todo_files();
    // README breaks off three times, slowly, so the other files land before the run fails.
    let flaky = Reply::text(README)
        .chunk_chars(4)
        .tokens_per_second(40.0)
        .with_fault(Fault::cut_after(40));
    let script = script_for("Todo", &files).answer("write README.md", [flaky]);
    let rig = Rig::start(ServerKind::BuiltIn, script).await;
    let err = rig.generate(None).await.0.unwrap_err();
    assert_eq!(err.code(), "llm_stream_interrupted", "{err}");
    let key = rig.key("todo");
    let (failed, _) = rig.store.read_manifest(&key).await.unwrap().unwrap();
    assert!(failed
        .files
        .iter()
        .any(|f| f.path.as_str() == "backend/main.py"));
    // Someone changed a landed file behind BucketForge's back.
    rig.store
        .put_file(
            &key,
            &ProjectPath::new("backend/main.py").unwrap(),
            "print('changed')\n",
        )
        .await
        .unwrap();
    rig.llm.set_script(script_for("Todo", &files));
    rig.generator(GenerationSettings::default())
        .resume(
            key.clone(),
            CancellationToken::new(),
            Events::default().sink(),
        )
        .await
        .unwrap();
    assert_eq!(
        rig.read(&key, "backend/main.py").await.as_deref(),
        Some(MAIN_PY)
    );
    assert!(rig
        .llm
        .requests()
        .iter()
        .any(|r| r.task.as_deref() == Some("write backend/main.py")));
}

#[tokio::test]
async fn two_runs_on_one_name_never_interleave() {
    let files = todo_files();
    let rig = Rig::start(ServerKind::Moto, script_for("Todo", &files)).await;
    let (a, b) = tokio::join!(
        rig.generate(Some("Shared Name")),
        rig.generate(Some("Shared Name"))
    );
    let results = [a.0, b.0];
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "exactly one run may write the project");
    let lost = results.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert_eq!(lost.code(), "project_exists", "{lost}");
    // The project holds one run's files, once each.
    let key = rig.key("shared-name");
    let (manifest, _) = rig.store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert_eq!(manifest.files.len(), files.len());
    let writes = rig
        .llm
        .requests()
        .iter()
        .filter(|r| r.task.as_deref() == Some("write backend/main.py"))
        .count();
    assert_eq!(writes, 1, "the losing run wrote no files");
}

#[tokio::test]
async fn an_unnamed_project_whose_name_is_taken_gets_the_next_free_one() {
    let files = todo_files();
    let rig = Rig::start(ServerKind::BuiltIn, script_for("Todo", &files)).await;
    rig.generate(None).await.0.unwrap();
    rig.generate(None).await.0.unwrap();
    assert!(rig
        .store
        .read_manifest(&rig.key("todo-2"))
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn twelve_files_at_concurrency_six_stream_six_at_once_and_never_seven() {
    let mut files: Vec<(String, String)> = todo_files()
        .into_iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect();
    for i in 0..12 - files.len() {
        files.push((
            format!("frontend/src/components/Part{i}.jsx"),
            format!("export default function Part{i}() {{ return <p>part {i}</p>; }}\n"),
        ));
    }
    assert_eq!(files.len(), 12);
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    let mut script = Script::new().reply("plan", Reply::text(plan_json("Parts", &paths)));
    // Each answer streams for about half a second, long enough that six requests sent together
    // overlap even when this machine is busy; the overlap is counted by the server, not timed.
    for (path, content) in &files {
        let chunk = content.len().div_ceil(40);
        script = script.reply(
            format!("write {path}"),
            Reply::text(content.clone())
                .chunk_chars(chunk)
                .first_token_after(Duration::from_millis(100))
                .tokens_per_second(100.0),
        );
    }
    let rig = Rig::start(ServerKind::BuiltIn, script).await;
    let manifest = rig
        .generator(GenerationSettings {
            concurrency: 6,
            ..GenerationSettings::default()
        })
        .generate(
            rig.project(None),
            CancellationToken::new(),
            Events::default().sink(),
        )
        .await
        .unwrap();

    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert_eq!(manifest.files.len(), 12);
    assert_eq!(rig.llm.request_count(), 13, "the plan and each file once");
    // Six at once makes the files phase two waves long instead of twelve; the wall-clock
    // figure is in `benches/generate.rs`.
    assert_eq!(
        rig.llm.most_responses_at_once(),
        6,
        "answers streamed at the same moment"
    );
}

// ---- leases: a project is never stuck "generating" ----

/// Settings whose heartbeat and lease are short, so tests of them take moments.
fn quick_lease() -> GenerationSettings {
    GenerationSettings {
        // Every file at once: README must not wait behind the slow ones.
        concurrency: todo_files().len(),
        heartbeat: Duration::from_millis(100),
        lease_ttl: Duration::from_secs(1),
        ..GenerationSettings::default()
    }
}

/// README answers at once; every other file streams for about a minute.
fn slow_but_readme(files: &[(&str, &str)]) -> Script {
    let mut script = script_for("Todo", files);
    for (path, content) in files {
        let reply = if *path == "README.md" {
            Reply::text(*content)
        } else {
            Reply::text(*content).chunk_chars(1).tokens_per_second(5.0)
        };
        script = script.answer(&format!("write {path}"), [reply]);
    }
    script
}

/// Starts a slow run in the background; returns once README landed.
async fn slow_run_after_readme(
    rig: &Arc<Rig>,
    settings: GenerationSettings,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<Result<bucketforge_engine::store::Manifest, Error>> {
    let landed = Arc::new(tokio::sync::Notify::new());
    let signal = landed.clone();
    let sink: EventSink = Arc::new(move |e: GenerationEvent| {
        if matches!(&e, GenerationEvent::FileUploaded { path, .. } if path == "README.md") {
            signal.notify_one();
        }
    });
    let run = {
        let rig = rig.clone();
        tokio::spawn(async move {
            rig.generator(settings)
                .generate(rig.project(None), cancel, sink)
                .await
        })
    };
    landed.notified().await;
    run
}

/// Reads the manifest until `done` holds, for up to 20 seconds.
async fn manifest_until(
    rig: &Rig,
    key: &ProjectKey,
    done: impl Fn(&bucketforge_engine::store::Manifest) -> bool,
) -> bucketforge_engine::store::Manifest {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (manifest, _) = rig.store.read_manifest(key).await.unwrap().unwrap();
        if done(&manifest) {
            return manifest;
        }
        assert!(Instant::now() < deadline, "never came: {manifest:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn files_are_recorded_in_the_manifest_as_they_land_while_the_lease_is_renewed() {
    let files = todo_files();
    let rig = Arc::new(Rig::start(ServerKind::BuiltIn, slow_but_readme(&files)).await);
    let cancel = CancellationToken::new();
    let run = slow_run_after_readme(&rig, quick_lease(), cancel.clone()).await;
    let key = rig.key("todo");
    let recorded = manifest_until(&rig, &key, |m| !m.files.is_empty()).await;
    assert_eq!(recorded.status, ProjectStatus::Generating);
    assert_eq!(recorded.files[0].path.as_str(), "README.md");
    assert_eq!(recorded.files[0].sha256, sha256(README));
    let first_beat = recorded.lease.clone().unwrap();
    assert_eq!(first_beat.pid, std::process::id());
    // The heartbeat renews the lease while the other files are still streaming.
    let renewed = manifest_until(&rig, &key, |m| m.revision > recorded.revision + 2).await;
    assert_eq!(renewed.lease.as_ref().unwrap().run_id, first_beat.run_id);
    assert_eq!(renewed.status, ProjectStatus::Generating);
    cancel.cancel();
    assert_eq!(run.await.unwrap().unwrap_err().code(), "cancelled");
    let (ended, _) = rig.store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(ended.status, ProjectStatus::Cancelled);
    assert!(ended.lease.is_none());
}

/// Turns a failed project's manifest into one that `lease` holds as `generating`.
/// A run still writing it may renew its lease in between: then read and try again.
async fn hold_with(rig: &Rig, key: &ProjectKey, lease: bucketforge_engine::store::Lease) {
    for _ in 0..50 {
        let (mut manifest, etag) = rig.store.read_manifest(key).await.unwrap().unwrap();
        manifest.status = ProjectStatus::Generating;
        manifest.lease = Some(lease.clone());
        match rig
            .store
            .write_manifest(
                key,
                &manifest,
                bucketforge_engine::store::ManifestPrecondition::MustMatch(etag),
            )
            .await
        {
            Ok(_) => return,
            Err(Error::ManifestConflict { .. }) => continue,
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the manifest kept changing");
}

#[tokio::test]
async fn a_live_lease_elsewhere_refuses_resume_and_a_stale_one_is_taken_over() {
    let files = todo_files();
    let broken = "def broken(:\n";
    let script = script_for("Todo", &files)
        .answer("write backend/main.py", [Reply::text(broken)])
        .answer(
            "fix backend/main.py",
            [Reply::text(broken), Reply::text(broken)],
        );
    let rig = Rig::start(ServerKind::BuiltIn, script).await;
    let (result, _) = rig.generate(None).await;
    assert_eq!(result.unwrap_err().code(), "file_invalid");
    let key = rig.key("todo");

    // Another computer's run, checking in right now.
    let mut elsewhere =
        bucketforge_engine::store::Lease::new("the BucketForge window", Duration::from_secs(30));
    elsewhere.owner = "the BucketForge window on laptop".into();
    elsewhere.machine = Some("another-machine".into());
    hold_with(&rig, &key, elsewhere.clone()).await;
    rig.llm.set_script(script_for("Todo", &files));
    let events = Events::default();
    let busy = rig
        .generator(GenerationSettings::default())
        .resume(key.clone(), CancellationToken::new(), events.sink())
        .await
        .unwrap_err();
    assert_eq!(busy.code(), "project_busy");
    assert!(busy.to_string().contains("laptop"), "{busy}");
    let (untouched, _) = rig.store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(untouched.lease.as_ref(), Some(&elsewhere));

    // The same run, silent for an hour: its project is taken over and finished.
    let silent = elsewhere.renewed(std::time::SystemTime::now() - Duration::from_secs(3600));
    hold_with(&rig, &key, silent).await;
    let manifest = rig
        .generator(GenerationSettings::default())
        .resume(key.clone(), CancellationToken::new(), events.sink())
        .await
        .unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert!(manifest.lease.is_none());
    assert_eq!(
        rig.read(&key, "backend/main.py").await.as_deref(),
        Some(MAIN_PY)
    );
}

#[tokio::test]
async fn a_run_whose_project_was_taken_over_stops_and_writes_nothing_more() {
    let files = todo_files();
    let rig = Arc::new(Rig::start(ServerKind::BuiltIn, slow_but_readme(&files)).await);
    let run = slow_run_after_readme(&rig, quick_lease(), CancellationToken::new()).await;
    let key = rig.key("todo");
    // Another device decides the run is gone and takes the project.
    let other = bucketforge_engine::store::Lease::new("another device", Duration::from_secs(30));
    hold_with(&rig, &key, other.clone()).await;
    let error = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the run notices at its next heartbeat")
        .unwrap()
        .unwrap_err();
    assert_eq!(error.code(), "project_taken_over");
    let (manifest, _) = rig.store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(manifest.lease, Some(other), "the new holder's record stays");
    assert_eq!(manifest.status, ProjectStatus::Generating);
}

/// The real provider, except that writing one file panics, as a buggy parser might.
struct PanicsOn {
    inner: Arc<dyn bucketforge_engine::llm::ChatProvider>,
    task: &'static str,
}

#[async_trait::async_trait]
impl bucketforge_engine::llm::ChatProvider for PanicsOn {
    fn provider_name(&self) -> &str {
        self.inner.provider_name()
    }

    async fn stream_chat(
        &self,
        req: &bucketforge_engine::llm::ChatRequest,
        cancel: CancellationToken,
    ) -> bucketforge_engine::Result<bucketforge_engine::llm::ChatStream> {
        let asks = req
            .messages
            .last()
            .map(|m| m.content.as_str())
            .unwrap_or("");
        if asks.starts_with(self.task) {
            panic!("a bug while answering {}", self.task);
        }
        self.inner.stream_chat(req, cancel).await
    }
}

#[tokio::test]
async fn a_panic_while_writing_a_file_fails_the_run_with_a_truthful_manifest() {
    let files = todo_files();
    let rig = Rig::start(ServerKind::BuiltIn, script_for("Todo", &files)).await;
    let real = build_provider(&llm_support::config_for(&rig.llm, rig.protocol)).unwrap();
    let panicky = Arc::new(PanicsOn {
        inner: real,
        task: "TASK: write frontend/src/App.jsx",
    });
    let generator = Generator::new(
        rig.store.clone(),
        panicky,
        llm_support::kind_for(rig.protocol),
        "test-model",
        GenerationSettings::default(),
    );
    let events = Events::default();
    let error = generator
        .generate(rig.project(None), CancellationToken::new(), events.sink())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "internal");
    assert!(
        error.to_string().contains("frontend/src/App.jsx"),
        "{error}"
    );
    let key = rig.key("todo");
    let (manifest, _) = rig.store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(manifest.status, ProjectStatus::Failed);
    assert!(manifest.lease.is_none());
    // Every file the manifest lists is in the bucket with its hash.
    for file in &manifest.files {
        let content = rig.read(&key, file.path.as_str()).await.unwrap();
        assert_eq!(sha256(&content), file.sha256);
    }
    assert!(matches!(events.last(), GenerationEvent::Failed { .. }));
    let resumed = rig
        .generator(GenerationSettings::default())
        .resume(key.clone(), CancellationToken::new(), events.sink())
        .await
        .unwrap();
    assert_eq!(resumed.status, ProjectStatus::Complete);
    assert_eq!(
        rig.read(&key, "frontend/src/App.jsx").await.as_deref(),
        Some(APP_JSX)
    );
}

/// A rig whose store goes through a fault proxy in front of the built-in bucket.
async fn rig_behind_proxy(script: Script) -> (Rig, Arc<FaultProxy>) {
    let server = TestServer::start(ServerKind::BuiltIn).await;
    let proxy = Arc::new(FaultProxy::start(server.addr()).await);
    let mut config: StoreConfig = server.config.clone();
    config.endpoint = Some(proxy.endpoint());
    config.policy = support::fast_policy();
    let store = ObjectStore::connect(&config).await.unwrap();
    let rig = Rig::with_store(server, store, Protocol::OpenAi, script).await;
    (rig, proxy)
}

fn manifest_puts(conditional: bool) -> support::fault_proxy::Only {
    support::fault_proxy::Only {
        method: Some("PUT".into()),
        path_contains: Some(".bucketforge/manifest.json".into()),
        conditional,
    }
}

#[tokio::test]
async fn a_final_record_that_cannot_be_saved_is_reported_and_resume_finishes_it() {
    let files = todo_files();
    let (rig, proxy) = rig_behind_proxy(script_for("Todo", &files)).await;
    let events = Events::default();
    let recorder = events.sink();
    let faults = proxy.clone();
    let uploaded = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = files.len();
    // Once the last file landed, every write of the manifest fails.
    let sink: EventSink = Arc::new(move |e: GenerationEvent| {
        if matches!(e, GenerationEvent::FileUploaded { .. })
            && uploaded.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == count
        {
            faults.when(manifest_puts(false), S3Fault::InternalError, None);
        }
        recorder(e);
    });
    let settings = GenerationSettings {
        final_write_attempts: 2,
        ..quick_lease()
    };
    let error = rig
        .generator(settings.clone())
        .generate(rig.project(None), CancellationToken::new(), sink)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "record_not_saved");
    assert!(
        error.to_string().contains("Resume will finish it"),
        "{error}"
    );
    assert!(proxy.faulted() >= 2);
    assert!(matches!(events.last(), GenerationEvent::Failed { .. }));
    let key = rig.key("todo");
    let (stuck, _) = rig.store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(stuck.status, ProjectStatus::Generating);

    proxy.always(S3Fault::Pass);
    // This process still runs, so only the lease's time to live frees the project.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let manifest = rig
        .generator(settings)
        .resume(key.clone(), CancellationToken::new(), events.sink())
        .await
        .unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete);
    for (path, content) in &files {
        assert_eq!(rig.read(&key, path).await.as_deref(), Some(*content));
    }
}

#[tokio::test]
async fn a_conditional_manifest_write_whose_answer_was_lost_still_succeeds() {
    let files = todo_files();
    let (rig, proxy) = rig_behind_proxy(script_for("Todo", &files)).await;
    // Find out about conditional writes first, so the fault hits the manifest itself.
    rig.store.conditional_writes(&rig.user).await.unwrap();
    // The claim (If-None-Match) lands but its answer is lost; so does the first write
    // after it (If-Match). The SDK sends each again and meets its own write.
    proxy.when(manifest_puts(true), S3Fault::ForwardThenReset, Some(1));
    let faults = proxy.clone();
    let events = Events::default();
    let recorder = events.sink();
    let sink: EventSink = Arc::new(move |e: GenerationEvent| {
        if matches!(e, GenerationEvent::Planned { .. }) {
            assert_eq!(faults.faulted(), 1, "the claim's answer was lost");
            faults.when(manifest_puts(true), S3Fault::ForwardThenReset, Some(1));
        }
        recorder(e);
    });
    let manifest = rig
        .generator(GenerationSettings::default())
        .generate(rig.project(None), CancellationToken::new(), sink)
        .await
        .unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete);
    assert_eq!(proxy.faulted(), 1, "a later write's answer was lost too");
    let (stored, _) = rig
        .store
        .read_manifest(&rig.key("todo"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, manifest);
}

#[tokio::test]
async fn quitting_the_app_cancels_its_runs_and_records_each_end() {
    use bucketforge_engine::session::{GenerateRequest, Overrides};
    let files = todo_files();
    let rig = Rig::start(ServerKind::BuiltIn, slow_but_readme(&files)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = support::seed_env(&rig._server.config);
    env.extend([
        ("BUCKETFORGE_PROVIDER".to_string(), "custom".to_string()),
        ("BUCKETFORGE_LLM_BASE_URL".into(), rig.llm.openai_base_url()),
        ("BUCKETFORGE_MODEL".into(), "test-model".into()),
    ]);
    let session = Arc::new(support::session_with_env(
        dir.path(),
        env,
        Overrides {
            user: Some(rig.user.clone()),
            // Every file at once: README must not wait behind the slow ones.
            concurrency: Some(todo_files().len() as u32),
            ..Overrides::default()
        },
    ));
    let events = Events::default();
    let recorder = events.sink();
    let landed = Arc::new(tokio::sync::Notify::new());
    let signal = landed.clone();
    let sink: EventSink = Arc::new(move |e: GenerationEvent| {
        if matches!(e, GenerationEvent::FileUploaded { .. }) {
            signal.notify_one();
        }
        recorder(e);
    });
    session
        .start_generation(
            GenerateRequest {
                idea: "A to-do list".into(),
                name: None,
                stack: Stack::FastapiReact,
            },
            sink,
        )
        .await
        .unwrap();
    landed.notified().await;
    assert_eq!(session.active_runs().len(), 1);

    session.shutdown(Duration::from_secs(30)).await;
    assert!(session.active_runs().is_empty(), "every run ended");
    assert!(matches!(events.last(), GenerationEvent::Cancelled { .. }));
    let (manifest, _) = rig
        .store
        .read_manifest(&rig.key("todo"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(manifest.status, ProjectStatus::Cancelled);
    assert!(manifest.lease.is_none());
    assert!(manifest
        .files
        .iter()
        .any(|f| f.path.as_str() == "README.md"));
}

// ---- the cross-file check and its targeted repairs ----

/// The App as a model might first write it: a package nobody declared, a component file the
/// plan never had, and a call to an endpoint the contract lacks.
const APP_UNFIT: &str = "import axios from 'axios';\nimport { useEffect, useState } from 'react';\nimport TodoList from './components/TodoList';\n\nconst API = import.meta.env.VITE_API_URL ?? 'http://localhost:8000';\n\nexport default function App() {\n  const [todos, setTodos] = useState([]);\n  const [summary, setSummary] = useState(null);\n  useEffect(() => {\n    fetch(`${API}/api/todos`).then((r) => r.json()).then(setTodos);\n    axios.get(`${API}/api/summaries`).then((r) => setSummary(r.data));\n  }, []);\n  return <main><TodoList todos={todos} />{summary && <p>{summary.total}</p>}</main>;\n}\n";
const APP_FIT: &str = "import { useEffect, useState } from 'react';\nimport TodoList from './components/TodoList';\n\nconst API = import.meta.env.VITE_API_URL ?? 'http://localhost:8000';\n\nexport default function App() {\n  const [todos, setTodos] = useState([]);\n  useEffect(() => {\n    fetch(`${API}/api/todos`).then((r) => r.json()).then(setTodos);\n  }, []);\n  const add = (title) => fetch(`${API}/api/todos`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ id: Date.now(), title, done: false }) });\n  return <main><TodoList todos={todos} onAdd={add} /></main>;\n}\n";
const TODO_LIST: &str = "export default function TodoList({ todos }) {\n  return <ul>{todos.map((t) => <li key={t.id}>{t.title}</li>)}</ul>;\n}\n";

/// The backend importing a package its requirements don't list.
fn main_py_unfit() -> String {
    format!("import numpy as np\n{MAIN_PY}")
}

/// The todo project with the unfit App and backend; each fix task answers with `fixes`.
fn unfit_script(app_fixes: &[&str], main_fixes: &[&str]) -> Script {
    let main_unfit = main_py_unfit();
    let files: Vec<(&str, &str)> = todo_files()
        .into_iter()
        .map(|(path, content)| match path {
            "frontend/src/App.jsx" => (path, APP_UNFIT),
            "backend/main.py" => (path, main_unfit.as_str()),
            _ => (path, content),
        })
        .collect();
    let mut script = script_for("Todo", &files).reply(
        "write frontend/src/components/TodoList.jsx",
        Reply::text(TODO_LIST),
    );
    for fix in app_fixes {
        script = script.reply("fix frontend/src/App.jsx", Reply::text(*fix));
    }
    for fix in main_fixes {
        script = script.reply("fix backend/main.py", Reply::text(*fix));
    }
    script
}

fn tasks(rig: &Rig) -> Vec<String> {
    rig.llm
        .requests()
        .iter()
        .filter_map(|r| r.task.clone())
        .collect()
}

#[tokio::test]
async fn files_that_do_not_fit_get_one_targeted_fix_each_and_end_consistent() {
    let rig = Rig::start(ServerKind::BuiltIn, unfit_script(&[APP_FIT], &[MAIN_PY])).await;
    let (result, events) = rig.generate(None).await;
    let manifest = result.unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete);

    // One request per file that could fix something; nothing else was asked again.
    let asked = tasks(&rig);
    let planned: Vec<String> = todo_files()
        .iter()
        .map(|(p, _)| format!("write {p}"))
        .collect();
    let mut repairs: Vec<&str> = asked
        .iter()
        .map(String::as_str)
        .filter(|t| *t != "plan" && !planned.iter().any(|p| p == t))
        .collect();
    repairs.sort();
    assert_eq!(
        repairs,
        [
            "fix backend/main.py",
            "fix frontend/src/App.jsx",
            "write frontend/src/components/TodoList.jsx"
        ]
    );
    // The App's one fix names both of its problems in plain words, with its content.
    let app_fix = rig.llm.requests_for("fix frontend/src/App.jsx");
    let prompt = app_fix[0].last_user_message().unwrap();
    assert!(prompt.contains("axios"), "{prompt}");
    assert!(prompt.contains("/api/summaries"), "{prompt}");
    assert!(prompt.contains("import axios from 'axios'"), "{prompt}");
    let main_fix = rig.llm.requests_for("fix backend/main.py");
    assert!(main_fix[0].last_user_message().unwrap().contains("numpy"));

    // The bucket holds the repaired files and the one the plan lacked; the record says so.
    let key = rig.key("todo");
    assert_eq!(
        rig.read(&key, "frontend/src/App.jsx").await.as_deref(),
        Some(APP_FIT)
    );
    assert_eq!(
        rig.read(&key, "backend/main.py").await.as_deref(),
        Some(MAIN_PY)
    );
    assert_eq!(
        rig.read(&key, "frontend/src/components/TodoList.jsx")
            .await
            .as_deref(),
        Some(TODO_LIST)
    );
    assert!(manifest
        .files
        .iter()
        .any(|f| f.path.as_str() == "frontend/src/components/TodoList.jsx"));
    assert!(manifest
        .plan
        .files
        .iter()
        .any(|f| f.path == "frontend/src/components/TodoList.jsx"));
    assert_eq!(manifest.files.len(), todo_files().len() + 1);
    let app = manifest
        .files
        .iter()
        .find(|f| f.path.as_str() == "frontend/src/App.jsx")
        .unwrap();
    assert_eq!(app.sha256, sha256(APP_FIT));
    assert_eq!(app.attempts, 2, "the write and its one fix");
    let check = manifest
        .check
        .clone()
        .expect("the record carries the check");
    assert!(check.problems.is_empty(), "{check:?}");
    // main.jsx → App.jsx → TodoList.jsx; react, react-dom, vite, @vitejs/plugin-react,
    // fastapi, pydantic; the App's GET and POST of /api/todos, both served by main.py.
    assert_eq!(
        (check.imports, check.packages, check.api_calls, check.routes),
        (2, 6, 2, 2),
        "{check:?}"
    );
    let (stored, _) = rig.store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(stored.check, manifest.check);

    let events = events.all();
    assert!(events.contains(&GenerationEvent::Checking {}));
    assert!(events
        .iter()
        .any(|e| matches!(e, GenerationEvent::Checked { report } if report.problems.is_empty())));
    assert!(matches!(
        events.last(),
        Some(GenerationEvent::Finished { files: 9, .. })
    ));
}

#[tokio::test]
async fn problems_no_fix_removes_are_recorded_and_fix_with_ai_tries_once_more() {
    // The model answers each fix with the same App: two rounds, and the problems stay.
    let rig = Rig::start(
        ServerKind::BuiltIn,
        unfit_script(&[APP_UNFIT, APP_UNFIT, APP_FIT], &[MAIN_PY]),
    )
    .await;
    let (result, _) = rig.generate(None).await;
    let manifest = result.unwrap();
    assert_eq!(
        manifest.status,
        ProjectStatus::Complete,
        "the files are all there"
    );
    let check = manifest.check.clone().unwrap();
    assert_eq!(
        rig.llm.requests_for("fix frontend/src/App.jsx").len(),
        2,
        "at most two rounds"
    );
    assert_eq!(
        rig.llm.requests_for("fix backend/main.py").len(),
        1,
        "fixed in the first round, never asked again"
    );
    assert!(!check.problems.is_empty());
    assert!(
        check
            .problems
            .iter()
            .all(|p| p.fix_in.first().map(String::as_str) == Some("frontend/src/App.jsx")),
        "{check:?}"
    );
    assert!(
        check.problems.iter().any(|p| p.message.contains("axios")),
        "{check:?}"
    );
    let key = rig.key("todo");
    let (stored, _) = rig.store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(stored.check, Some(check));

    // Fix with AI: one more round, for the App alone.
    let before = rig.llm.requests().len();
    let events = Events::default();
    let refitted = rig
        .generator(GenerationSettings::default())
        .refit(key.clone(), CancellationToken::new(), events.sink())
        .await
        .unwrap();
    let asked: Vec<String> = rig.llm.requests()[before..]
        .iter()
        .filter_map(|r| r.task.clone())
        .collect();
    assert_eq!(asked, ["fix frontend/src/App.jsx"]);
    assert_eq!(refitted.status, ProjectStatus::Complete);
    assert!(
        refitted.check.as_ref().unwrap().problems.is_empty(),
        "{:?}",
        refitted.check
    );
    assert!(refitted.revision > manifest.revision);
    assert_eq!(
        rig.read(&key, "frontend/src/App.jsx").await.as_deref(),
        Some(APP_FIT)
    );
    let kept = events
        .all()
        .iter()
        .filter(|e| matches!(e, GenerationEvent::FileKept { .. }))
        .count();
    assert_eq!(
        kept,
        manifest.files.len(),
        "every file was kept, none written again"
    );
}

// ---- the checks that need no model ----

/// The App reading the API's address with no fallback: it would call "undefined/api/todos".
const APP_UNGUARDED: &str = "import { useEffect, useState } from 'react';\n\nconst API = import.meta.env.VITE_API_URL;\n\nexport default function App() {\n  const [todos, setTodos] = useState([]);\n  useEffect(() => {\n    fetch(`${API}/api/todos`).then((r) => r.json()).then(setTodos);\n  }, []);\n  return <ul>{todos.map((t) => <li key={t.id}>{t.title}</li>)}</ul>;\n}\n";

/// Generates the todo project in the built-in bucket with the App first written as `first` and
/// each fix of it answered by the next of `fixes`: the rig, the finished record and the events.
async fn generate_with_app(
    first: &str,
    fixes: &[&str],
) -> (Rig, bucketforge_engine::store::Manifest, Events) {
    let files: Vec<(&str, &str)> = todo_files()
        .into_iter()
        .map(|(path, content)| match path {
            "frontend/src/App.jsx" => (path, first),
            _ => (path, content),
        })
        .collect();
    let mut script = script_for("Todo", &files);
    for fix in fixes {
        script = script.reply("fix frontend/src/App.jsx", Reply::text(*fix));
    }
    let rig = Rig::start(ServerKind::BuiltIn, script).await;
    let (result, events) = rig.generate(None).await;
    let manifest = result.unwrap();
    assert_eq!(manifest.status, ProjectStatus::Complete);
    (rig, manifest, events)
}

#[tokio::test]
async fn a_file_that_would_break_the_app_gets_exactly_one_targeted_fix_and_the_project_passes() {
    let (rig, manifest, events) = generate_with_app(APP_UNGUARDED, &[APP_JSX]).await;

    let asked = tasks(&rig);
    let fixes: Vec<&String> = asked.iter().filter(|t| t.starts_with("fix ")).collect();
    assert_eq!(fixes, ["fix frontend/src/App.jsx"], "{asked:?}");
    // The fix names the line and the recipe, with the file as it was.
    let fix_requests = rig.llm.requests_for("fix frontend/src/App.jsx");
    let prompt = fix_requests[0].last_user_message().unwrap();
    assert!(prompt.contains("would break the app"), "{prompt}");
    assert!(
        prompt.contains("line 3: reads `import.meta.env.VITE_API_URL` with no fallback"),
        "{prompt}"
    );
    assert!(
        prompt.contains("const API = import.meta.env.VITE_API_URL;\n"),
        "{prompt}"
    );

    let key = rig.key("todo");
    assert_eq!(
        rig.read(&key, "frontend/src/App.jsx").await.as_deref(),
        Some(APP_JSX)
    );
    let app = manifest
        .files
        .iter()
        .find(|f| f.path.as_str() == "frontend/src/App.jsx")
        .unwrap();
    assert_eq!(app.attempts, 2, "the write and its one fix");
    assert!(events.all().iter().any(|e| matches!(e,
        GenerationEvent::FileRepairing { path, reason, .. }
            if path == "frontend/src/App.jsx" && reason.contains("VITE_API_URL"))));

    // The record's report: nothing that breaks the app; the unhandled fetch stays a note.
    let quality = manifest
        .quality
        .clone()
        .expect("the record carries the report");
    assert_eq!(quality.breaking().count(), 0, "{quality:?}");
    assert!(quality
        .checks
        .iter()
        .any(|c| c.rule == QualityRule::GuardedEnv && c.passed));
    let notes: Vec<(QualityRule, &str)> = quality
        .findings
        .iter()
        .map(|f| (f.rule, f.path.as_str()))
        .collect();
    assert_eq!(
        notes,
        [(QualityRule::HandledRequests, "frontend/src/App.jsx")]
    );
    let (stored, _) = rig.store.read_manifest(&key).await.unwrap().unwrap();
    assert_eq!(stored.quality, manifest.quality);
}

#[tokio::test]
async fn a_fix_that_still_breaks_or_does_not_parse_is_asked_once_and_nothing_is_lost() {
    // The fix answers with the same unguarded App: one fix only, and the report says so.
    let (rig, manifest, _) = generate_with_app(APP_UNGUARDED, &[APP_UNGUARDED]).await;
    assert_eq!(rig.llm.requests_for("fix frontend/src/App.jsx").len(), 1);
    let quality = manifest.quality.unwrap();
    let breaking: Vec<&QualityFinding> = quality.breaking().collect();
    assert_eq!(breaking.len(), 1, "{quality:?}");
    assert_eq!(breaking[0].rule, QualityRule::GuardedEnv);
    assert_eq!(breaking[0].line, Some(3));

    // The fix answers with code no parser accepts, every time: the valid App before it lands.
    let (rig, manifest, _) =
        generate_with_app(APP_UNGUARDED, &["export default function App( {"]).await;
    // What still breaks the app is recorded, not hidden.
    let quality = manifest.quality.unwrap();
    assert_eq!(
        quality.breaking().map(|f| f.rule).collect::<Vec<_>>(),
        [QualityRule::GuardedEnv]
    );
    assert_eq!(
        rig.read(&rig.key("todo"), "frontend/src/App.jsx")
            .await
            .as_deref(),
        Some(APP_UNGUARDED)
    );
    // One targeted fix, then the parser's own repairs of that answer, then no more.
    let fixes = rig.llm.requests_for("fix frontend/src/App.jsx").len();
    assert_eq!(
        fixes as u32,
        1 + GenerationSettings::default().max_repairs,
        "{:?}",
        tasks(&rig)
    );
}

#[tokio::test]
async fn fix_with_ai_asks_once_more_for_a_recipe_the_run_left_broken() {
    // The run's one fix keeps the App broken; Fix with AI's answers it properly.
    let (rig, manifest, _) = generate_with_app(APP_UNGUARDED, &[APP_UNGUARDED, APP_JSX]).await;
    assert_eq!(manifest.quality.as_ref().unwrap().breaking().count(), 1);
    assert!(manifest.check.as_ref().unwrap().is_clean(), "the files fit");

    let before = rig.llm.requests().len();
    let key = rig.key("todo");
    let refitted = rig
        .generator(GenerationSettings::default())
        .refit(
            key.clone(),
            CancellationToken::new(),
            Events::default().sink(),
        )
        .await
        .unwrap();
    let requests = rig.llm.requests();
    let asked: Vec<String> = requests[before..]
        .iter()
        .filter_map(|r| r.task.clone())
        .collect();
    assert_eq!(asked, ["fix frontend/src/App.jsx"]);
    let prompt = requests[before].last_user_message().unwrap();
    assert!(prompt.contains("would break the app"), "{prompt}");
    assert_eq!(refitted.quality.as_ref().unwrap().breaking().count(), 0);
    assert_eq!(
        rig.read(&key, "frontend/src/App.jsx").await.as_deref(),
        Some(APP_JSX)
    );
}
