//! Benchmark (not a test): a whole generation against the scripted LLM server at a fixed token
//! rate and first-token latency, into the built-in bucket, next to the seed's old way (every
//! file written to a temp dir first, then the dir walked and uploaded).
//!
//! Both sides run in the same process, round after round, taking turns at going first, so a
//! slow moment of the machine lands on both; what is reported is streamed ÷ baseline per round
//! and the median of those ratios, not one side's absolute time.
//!
//! Run: `cargo bench -p bucketforge-engine --bench generate` (5 rounds of 12 and of 40 files),
//! or `-- --quick` for 3 rounds of 12 files.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bucketforge_engine::generate::{
    EventSink, GenerationEvent, GenerationSettings, Generator, NewProject,
};
use bucketforge_engine::llm::{
    build_provider, ChatMessage, ChatProvider, ChatRequest, ProviderConfig, ProviderKind,
    StreamEvent,
};
use bucketforge_engine::plan::Stack;
use bucketforge_engine::store::{
    LocalBucket, LocalBucketOptions, ObjectStore, ProjectKey, ProjectPath, Slug, UserId,
};
use bucketforge_scripted_llm::{Reply, Script, ScriptedLlm};
use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

const FIRST_TOKEN: Duration = Duration::from_millis(150);
const TOKENS_PER_SECOND: f64 = 400.0;
const CHARS_PER_TOKEN: usize = 4;
const CONCURRENCY: usize = 6;

/// A valid JSX file of about 1.2 KB.
fn component(i: usize) -> String {
    let items: String = (0..20)
        .map(|j| format!("      <li key=\"{j}\">Item {j} of part {i}</li>\n"))
        .collect();
    format!(
        "export default function Part{i}() {{\n  return (\n    <ul>\n{items}    </ul>\n  );\n}}\n"
    )
}

fn files(n: usize) -> Vec<(String, String)> {
    let mut files = vec![
        ("index.html".to_string(), "<!doctype html>\n<html><head><title>Bench</title></head><body><div id=\"root\"></div><script type=\"module\" src=\"/src/main.jsx\"></script></body></html>\n".to_string()),
        ("package.json".to_string(), "{\"name\":\"bench\",\"scripts\":{\"dev\":\"vite\"},\"dependencies\":{\"react\":\"^19.0.0\",\"react-dom\":\"^19.0.0\"},\"devDependencies\":{\"vite\":\"^6.0.0\",\"@vitejs/plugin-react\":\"^4.3.4\"}}\n".to_string()),
        ("src/main.jsx".to_string(), "import { createRoot } from 'react-dom/client';\nimport App from './App.jsx';\ncreateRoot(document.getElementById('root')).render(<App />);\n".to_string()),
        ("src/App.jsx".to_string(), component(0)),
        ("vite.config.js".to_string(), "import { defineConfig } from 'vite';\nimport react from '@vitejs/plugin-react';\nexport default defineConfig({ plugins: [react()] });\n".to_string()),
    ];
    for i in 1..=n.saturating_sub(5) {
        files.push((format!("src/parts/Part{i}.jsx"), component(i)));
    }
    files
}

fn script(files: &[(String, String)]) -> Script {
    let planned: Vec<_> = files
        .iter()
        .map(|(p, _)| serde_json::json!({"path": p, "purpose": "part"}))
        .collect();
    let plan = serde_json::json!({"name": "Bench", "summary": "s", "stack": "react", "contract": "c", "files": planned});
    let mut script = Script::new().reply("plan", Reply::text(plan.to_string()));
    for (path, content) in files {
        script = script.reply(
            format!("write {path}"),
            Reply::text(content.clone())
                .chunk_chars(CHARS_PER_TOKEN)
                .first_token_after(FIRST_TOKEN)
                .tokens_per_second(TOKENS_PER_SECOND),
        );
    }
    script
}

/// How long one file's answer takes at the scripted rate.
fn file_time(content: &str) -> Duration {
    FIRST_TOKEN
        + Duration::from_secs_f64(
            content.len().div_ceil(CHARS_PER_TOKEN) as f64 / TOKENS_PER_SECOND,
        )
}

/// The best any pipeline could do: the plan, then the files in waves of CONCURRENCY.
fn ideal(files: &[(String, String)], plan: Duration) -> Duration {
    let per_file = files.iter().map(|(_, c)| file_time(c)).max().unwrap();
    plan + per_file * files.len().div_ceil(CONCURRENCY) as u32
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Outcome {
    wall: Duration,
    /// Last token of a file → the object readable in the bucket, per file.
    readable: Vec<Duration>,
}

async fn streaming(store: &ObjectStore, llm: &ScriptedLlm, name: &str, user: &UserId) -> Outcome {
    let provider = build_provider(
        &ProviderConfig::new(ProviderKind::OpenAi)
            .with_base_url(llm.openai_base_url())
            .with_api_key("k"),
    )
    .unwrap();
    let generator = Generator::new(
        store.clone(),
        provider,
        ProviderKind::OpenAi,
        "bench",
        GenerationSettings {
            concurrency: CONCURRENCY,
            ..GenerationSettings::default()
        },
    );
    let last_token: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let uploaded: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let (tokens, ups) = (last_token.clone(), uploaded.clone());
    // The final progress event of a file is sent as its answer ends; the upload event as it lands.
    let sink: EventSink = Arc::new(move |e| match e {
        GenerationEvent::FileProgress { path, .. } => {
            tokens.lock().unwrap().insert(path, Instant::now());
        }
        GenerationEvent::FileUploaded { path, .. } => {
            ups.lock().unwrap().push((path, Instant::now()))
        }
        _ => {}
    });
    let started = Instant::now();
    let project = NewProject {
        idea: "bench".into(),
        name: Some(name.to_string()),
        user: user.clone(),
        stack: Stack::React,
    };
    generator
        .generate(project, CancellationToken::new(), sink)
        .await
        .unwrap();
    let wall = started.elapsed();
    let tokens = last_token.lock().unwrap();
    let readable = uploaded
        .lock()
        .unwrap()
        .iter()
        .map(|(path, at)| at.duration_since(tokens[path]))
        .collect();
    Outcome { wall, readable }
}

/// The seed's way: every answer written to a temp dir, then the dir walked and uploaded.
async fn temp_dir_then_upload(
    store: &ObjectStore,
    llm: &ScriptedLlm,
    files: &[(String, String)],
    slug: &str,
    user: &UserId,
) -> Outcome {
    let provider: Arc<dyn ChatProvider> = build_provider(
        &ProviderConfig::new(ProviderKind::OpenAi)
            .with_base_url(llm.openai_base_url())
            .with_api_key("k"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let plan = ChatRequest {
        system: "s".into(),
        messages: vec![ChatMessage::user("TASK: plan\n")],
        model: "bench".into(),
        max_tokens: 4096,
        temperature: None,
        json_mode: true,
        max_answer_bytes: None,
    };
    drain(&*provider, &plan).await;
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut tasks = Vec::new();
    for (path, _) in files {
        let (provider, limit, root, path) = (
            provider.clone(),
            limit.clone(),
            dir.path().to_path_buf(),
            path.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire().await.unwrap();
            let request = ChatRequest {
                system: "s".into(),
                messages: vec![ChatMessage::user(format!("TASK: write {path}\n"))],
                model: "bench".into(),
                max_tokens: 8192,
                temperature: None,
                json_mode: false,
                max_answer_bytes: None,
            };
            let text = drain(&*provider, &request).await;
            let done = Instant::now();
            let file = root.join(&path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, text).unwrap();
            (path, done)
        }));
    }
    let mut last_token = HashMap::new();
    for task in tasks {
        let (path, at) = task.await.unwrap();
        last_token.insert(path, at);
    }
    let key = ProjectKey::new(user.clone(), Slug::new(slug).unwrap());
    let mut readable = Vec::new();
    for entry in walk(dir.path()) {
        let relative = entry
            .strip_prefix(dir.path())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let body = std::fs::read(&entry).unwrap();
        store
            .put_file(&key, &ProjectPath::new(&relative).unwrap(), body)
            .await
            .unwrap();
        readable.push(Instant::now().duration_since(last_token[&relative]));
    }
    Outcome {
        wall: started.elapsed(),
        readable,
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

async fn drain(provider: &dyn ChatProvider, request: &ChatRequest) -> String {
    let mut stream = provider
        .stream_chat(request, CancellationToken::new())
        .await
        .unwrap();
    let mut text = String::new();
    while let Some(event) = stream.next().await {
        if let StreamEvent::TextDelta(delta) = event.unwrap() {
            text.push_str(&delta);
        }
    }
    text
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn p50(outcome: &Outcome) -> Duration {
    let mut readable = outcome.readable.clone();
    readable.sort();
    percentile(&readable, 0.5)
}

fn ratio(streamed: Duration, baseline: Duration) -> f64 {
    streamed.as_secs_f64() / baseline.as_secs_f64()
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// One round: both pipelines on the same server and bucket, in the given order.
async fn round(
    store: &ObjectStore,
    llm: &ScriptedLlm,
    files: &[(String, String)],
    user: &UserId,
    label: &str,
    streamed_first: bool,
) -> (Outcome, Outcome) {
    let name = format!("streamed-{label}");
    let slug = format!("seed-{label}");
    if streamed_first {
        let streamed = streaming(store, llm, &name, user).await;
        let baseline = temp_dir_then_upload(store, llm, files, &slug, user).await;
        (streamed, baseline)
    } else {
        let baseline = temp_dir_then_upload(store, llm, files, &slug, user).await;
        let streamed = streaming(store, llm, &name, user).await;
        (streamed, baseline)
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` hands the harness `--bench`; only `--quick` means anything here.
    let quick = std::env::args().any(|a| a == "--quick");
    let (sizes, rounds): (&[usize], usize) = if quick { (&[12], 3) } else { (&[12, 40], 5) };
    let data = tempfile::tempdir().unwrap();
    let local =
        LocalBucket::start(LocalBucketOptions::with_random_credentials(data.path()).unwrap())
            .await
            .unwrap();
    let store = ObjectStore::connect_local(&local).await.unwrap();
    println!("Scripted LLM: first token after {} ms, {TOKENS_PER_SECOND} tokens/s of {CHARS_PER_TOKEN} chars; concurrency {CONCURRENCY}; built-in bucket; {rounds} rounds, alternating which side goes first.\n", FIRST_TOKEN.as_millis());
    println!(
        "| files | round | first | streamed wall | baseline wall | wall streamed ÷ baseline | streamed last token → readable p50 | baseline p50 | p50 streamed ÷ baseline |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut summary = Vec::new();
    for &n in sizes {
        let files = files(n);
        let llm = ScriptedLlm::start(script(&files)).await.unwrap();
        let user = UserId::new(&format!("bench-{n}")).unwrap();
        let ideal = ideal(&files, Duration::ZERO);
        let (mut wall_ratios, mut readable_ratios) = (Vec::new(), Vec::new());
        let mut streamed_walls = Vec::new();
        for r in 1..=rounds {
            let streamed_first = r % 2 == 1;
            let label = format!("{n}-r{r}");
            let (streamed, baseline) =
                round(&store, &llm, &files, &user, &label, streamed_first).await;
            let wall_ratio = ratio(streamed.wall, baseline.wall);
            let readable_ratio = ratio(p50(&streamed), p50(&baseline));
            println!(
                "| {n} | {r} | {} | {} | {} | {wall_ratio:.2} | {} | {} | {readable_ratio:.3} |",
                if streamed_first {
                    "streamed"
                } else {
                    "baseline"
                },
                ms(streamed.wall),
                ms(baseline.wall),
                ms(p50(&streamed)),
                ms(p50(&baseline)),
            );
            wall_ratios.push(wall_ratio);
            readable_ratios.push(readable_ratio);
            streamed_walls.push(streamed.wall.as_secs_f64() / ideal.as_secs_f64());
        }
        summary.push((n, ideal, wall_ratios, readable_ratios, streamed_walls));
    }
    println!("\n| files | ideal | streamed wall ÷ ideal p50 | wall streamed ÷ baseline p50 | min | max | last token → readable, streamed ÷ baseline p50 |");
    println!("|---|---|---|---|---|---|---|");
    for (n, ideal, wall, readable, streamed_walls) in summary {
        let min = wall.iter().copied().fold(f64::INFINITY, f64::min);
        let max = wall.iter().copied().fold(0.0, f64::max);
        println!(
            "| {n} | {} | {:.2} | {:.2} | {min:.2} | {max:.2} | {:.3} |",
            ms(ideal),
            median(&streamed_walls),
            median(&wall),
            median(&readable),
        );
    }
    println!("\nideal = the files in waves of {CONCURRENCY} at the scripted rate, plan excluded (the plan reply is instant here). Baseline = every answer written to a temp dir, then the dir walked and uploaded.");
}
