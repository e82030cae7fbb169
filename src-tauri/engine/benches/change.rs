//! Benchmark (not a test): a one-file change to a 30-file project next to generating the same
//! project again, against the scripted LLM server at a fixed token rate and first-token
//! latency, into the built-in bucket behind a counting proxy. Both run in the same process,
//! round after round, taking turns at going first; what is reported is change ÷ regenerate per
//! round (bytes uploaded, PUT requests, LLM output tokens, wall time) and their medians.
//!
//! Run: `cargo bench -p bucketforge-engine --bench change` (5 rounds), or `-- --quick` (2).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bucketforge_engine::generate::{EventSink, GenerationSettings, Generator, NewProject};
use bucketforge_engine::llm::{build_provider, ProviderConfig, ProviderKind};
use bucketforge_engine::plan::Stack;
use bucketforge_engine::store::{Manifest, ObjectStore, ProjectKey, Slug, StoreConfig, UserId};
use bucketforge_scripted_llm::{Reply, Script, ScriptedLlm};
use bucketforge_test_support::fault_proxy::{FaultProxy, SeenRequest};
use bucketforge_test_support::{ServerKind, TestServer};
use tokio_util::sync::CancellationToken;

const FILES: usize = 30;
const FIRST_TOKEN: Duration = Duration::from_millis(150);
const TOKENS_PER_SECOND: f64 = 400.0;
const CHARS_PER_TOKEN: usize = 4;

/// A valid JSX file of about 1.2 KB.
fn component(i: usize, label: &str) -> String {
    let items: String = (0..20)
        .map(|j| format!("      <li key=\"{j}\">{label} {j} of part {i}</li>\n"))
        .collect();
    format!(
        "export default function Part{i}() {{\n  return (\n    <ul>\n{items}    </ul>\n  );\n}}\n"
    )
}

fn files() -> Vec<(String, String)> {
    let mut files = vec![
        ("index.html".to_string(), "<!doctype html>\n<html><head><title>Bench</title></head><body><div id=\"root\"></div><script type=\"module\" src=\"/src/main.jsx\"></script></body></html>\n".to_string()),
        ("package.json".to_string(), "{\"name\":\"bench\",\"scripts\":{\"dev\":\"vite\"},\"dependencies\":{\"react\":\"^19.0.0\",\"react-dom\":\"^19.0.0\"},\"devDependencies\":{\"vite\":\"^6.0.0\",\"@vitejs/plugin-react\":\"^4.3.4\"}}\n".to_string()),
        ("src/main.jsx".to_string(), "import { createRoot } from 'react-dom/client';\nimport App from './App.jsx';\ncreateRoot(document.getElementById('root')).render(<App />);\n".to_string()),
        ("src/App.jsx".to_string(), component(0, "Item")),
        ("vite.config.js".to_string(), "import { defineConfig } from 'vite';\nimport react from '@vitejs/plugin-react';\nexport default defineConfig({ plugins: [react()] });\n".to_string()),
    ];
    for i in 1..=FILES - 5 {
        files.push((format!("src/parts/Part{i}.jsx"), component(i, "Item")));
    }
    files
}

fn at_rate(text: String) -> Reply {
    Reply::text(text)
        .chunk_chars(CHARS_PER_TOKEN)
        .first_token_after(FIRST_TOKEN)
        .tokens_per_second(TOKENS_PER_SECOND)
}

fn script() -> Script {
    let files = files();
    let planned: Vec<_> = files
        .iter()
        .map(|(p, _)| serde_json::json!({"path": p, "purpose": "part"}))
        .collect();
    let plan = serde_json::json!({"name": "Bench", "summary": "s", "stack": "react", "contract": "c", "files": planned});
    let mut script = Script::new().reply("plan", at_rate(plan.to_string()));
    for (path, content) in &files {
        script = script.reply(format!("write {path}"), at_rate(content.clone()));
    }
    let change = serde_json::json!({"summary": "Renames the items of part 7.", "files": [
        {"path": "src/parts/Part7.jsx", "action": "modify", "purpose": "part"}]});
    script
        .reply("change", at_rate(change.to_string()))
        .reply("edit src/parts/Part7.jsx", at_rate(component(7, "Entry")))
}

/// What one side cost, from the proxy's log and the manifest.
#[derive(Debug, Clone, Copy)]
struct Cost {
    bytes: f64,
    puts: f64,
    tokens: f64,
    wall: Duration,
}

fn cost(seen: &[SeenRequest], tokens: u64, wall: Duration) -> Cost {
    let puts: Vec<&SeenRequest> = seen.iter().filter(|r| r.method == "PUT").collect();
    Cost {
        bytes: puts.iter().map(|r| r.body_bytes).sum::<usize>() as f64,
        puts: puts.len() as f64,
        tokens: tokens as f64,
        wall,
    }
}

fn generator(store: &ObjectStore, llm: &ScriptedLlm) -> Generator {
    let config = ProviderConfig::new(ProviderKind::OpenAi)
        .with_base_url(llm.openai_base_url())
        .with_api_key("sk-bench");
    Generator::new(
        store.clone(),
        build_provider(&config).unwrap(),
        ProviderKind::OpenAi,
        "bench-model",
        GenerationSettings::default(),
    )
}

fn quiet() -> EventSink {
    Arc::new(|_| {})
}

async fn regenerate(
    store: &ObjectStore,
    llm: &ScriptedLlm,
    proxy: &FaultProxy,
    user: &UserId,
    name: &str,
) -> (Cost, ProjectKey) {
    proxy.forget();
    let started = Instant::now();
    let manifest: Manifest = generator(store, llm)
        .generate(
            NewProject {
                idea: "a bench".into(),
                name: Some(name.into()),
                user: user.clone(),
                stack: Stack::React,
            },
            CancellationToken::new(),
            quiet(),
        )
        .await
        .expect("the generation completes");
    let wall = started.elapsed();
    let key = ProjectKey::new(user.clone(), Slug::new(name).unwrap());
    (
        cost(&proxy.seen(), manifest.usage.completion_tokens, wall),
        key,
    )
}

async fn change(
    store: &ObjectStore,
    llm: &ScriptedLlm,
    proxy: &FaultProxy,
    key: &ProjectKey,
) -> Cost {
    let before = store.read_manifest(key).await.unwrap().unwrap().0.usage;
    proxy.forget();
    let started = Instant::now();
    let manifest = generator(store, llm)
        .change(
            key.clone(),
            "Call the items of part 7 entries",
            CancellationToken::new(),
            quiet(),
        )
        .await
        .expect("the change completes");
    let wall = started.elapsed();
    let tokens = manifest.usage.completion_tokens - before.completion_tokens;
    cost(&proxy.seen(), tokens, wall)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 2 } else { 5 };
    let server = TestServer::start(ServerKind::BuiltIn).await;
    let proxy = FaultProxy::start(server.addr()).await;
    let mut config: StoreConfig = server.config.clone();
    config.endpoint = Some(proxy.endpoint());
    let store = ObjectStore::connect(&config).await.unwrap();
    let llm = ScriptedLlm::start(script()).await.unwrap();
    let user = UserId::new("bench-change").unwrap();
    println!(
        "A one-file change vs regenerating a {FILES}-file project (built-in bucket, {TOKENS_PER_SECOND} tokens/s, first token after {} ms)",
        FIRST_TOKEN.as_millis()
    );
    println!(
        "{:<6} {:>22} {:>14} {:>16} {:>18}",
        "round", "bytes up (chg/regen)", "PUTs", "output tokens", "wall ms"
    );
    let mut ratios: [Vec<f64>; 4] = Default::default();
    for round in 0..rounds {
        let name = format!("bench-{round}");
        // The project the change works on is generated first in every round; then the two
        // measured sides take turns at going first.
        let (_, key) = regenerate(&store, &llm, &proxy, &user, &name).await;
        let again = format!("bench-{round}-again");
        let (changed, regenerated) = if round % 2 == 0 {
            let c = change(&store, &llm, &proxy, &key).await;
            let (r, _) = regenerate(&store, &llm, &proxy, &user, &again).await;
            (c, r)
        } else {
            let (r, _) = regenerate(&store, &llm, &proxy, &user, &again).await;
            (change(&store, &llm, &proxy, &key).await, r)
        };
        let pairs = [
            (changed.bytes, regenerated.bytes),
            (changed.puts, regenerated.puts),
            (changed.tokens, regenerated.tokens),
            (
                changed.wall.as_secs_f64() * 1000.0,
                regenerated.wall.as_secs_f64() * 1000.0,
            ),
        ];
        for (i, (c, r)) in pairs.iter().enumerate() {
            ratios[i].push(c / r);
        }
        let cell = |(c, r): (f64, f64)| format!("{c:.0}/{r:.0}");
        println!(
            "{:<6} {:>22} {:>14} {:>16} {:>18}",
            round + 1,
            cell(pairs[0]),
            cell(pairs[1]),
            cell(pairs[2]),
            cell(pairs[3])
        );
    }
    let [bytes, puts, tokens, wall] = ratios.map(median);
    println!(
        "median change ÷ regenerate: bytes uploaded {bytes:.3}, PUTs {puts:.3}, output tokens {tokens:.3}, wall time {wall:.3}"
    );
}
