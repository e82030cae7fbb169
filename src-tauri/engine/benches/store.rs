//! Storage benchmark: upload latency and project listing on the built-in server and moto.
//!
//! `cargo bench -p bucketforge-engine --bench store`; set BUCKETFORGE_BENCH_GARAGE=1 to add
//! Garage. Not a test: it prints a table and asserts nothing.

use bucketforge_test_support as support;

use std::time::{Duration, Instant};

use bucketforge_engine::store::{ObjectStore, ProjectPath, MAX_PAGE_SIZE};
use futures::{StreamExt, TryStreamExt};
use support::{project, unique_user, ServerKind, TestServer};

const PUTS: usize = 800;
const PUT_CONCURRENCY: usize = 8;
const PROJECTS: usize = 10_000;
const LIST_RUNS: usize = 5;

struct Row {
    server: &'static str,
    put_p50: Duration,
    put_p99: Duration,
    puts_per_s: f64,
    first_page: Duration,
    all_projects: Duration,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut servers = vec![
        (ServerKind::BuiltIn, "built-in"),
        (ServerKind::Moto, "moto"),
    ];
    if std::env::var_os("BUCKETFORGE_BENCH_GARAGE").is_some() {
        servers.push((ServerKind::Garage, "garage"));
    }
    let rows: Vec<Row> = servers
        .into_iter()
        .map(|(kind, name)| runtime.block_on(measure(kind, name)))
        .collect();
    print_table(&rows);
}

/// A deterministic size between 2 and 50 KB for the i-th upload.
fn size_of(i: usize) -> usize {
    2 * 1024 + (i * 7919) % (48 * 1024 + 1)
}

async fn measure(kind: ServerKind, name: &'static str) -> Row {
    eprintln!("{name}: starting");
    let server = TestServer::start(kind).await;
    let store = server.store().await;

    let user = unique_user("bench-put");
    // One warm-up upload so connection set-up is not counted as latency.
    put(&store, &user, usize::MAX).await;
    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures::stream::iter(0..PUTS)
        .map(|i| {
            let store = store.clone();
            let user = user.clone();
            async move { put(&store, &user, i).await }
        })
        .buffer_unordered(PUT_CONCURRENCY)
        .collect()
        .await;
    let elapsed = started.elapsed();
    latencies.sort();
    eprintln!("{name}: {PUTS} uploads in {elapsed:?}");

    let user = unique_user("bench-list");
    let setup = Instant::now();
    let files = (0..PROJECTS).map(|i| {
        let key = project(&user, &format!("project-{i:05}"));
        (key, "README.md".to_string(), "# p\n".to_string())
    });
    support::put_all(&store, files).await;
    eprintln!(
        "{name}: {PROJECTS} projects created in {:?}",
        setup.elapsed()
    );

    let mut first_pages = Vec::new();
    let mut all = Vec::new();
    for _ in 0..LIST_RUNS {
        let t = Instant::now();
        let page = store
            .list_projects_page(&user, None, MAX_PAGE_SIZE)
            .await
            .unwrap();
        first_pages.push(t.elapsed());
        assert_eq!(page.projects.len(), MAX_PAGE_SIZE as usize);

        let t = Instant::now();
        let count = store
            .list_projects(&user)
            .try_fold(0usize, |n, _| async move { Ok(n + 1) })
            .await
            .unwrap();
        all.push(t.elapsed());
        assert_eq!(count, PROJECTS);
    }
    first_pages.sort();
    all.sort();
    Row {
        server: name,
        put_p50: percentile(&latencies, 50.0),
        put_p99: percentile(&latencies, 99.0),
        puts_per_s: PUTS as f64 / elapsed.as_secs_f64(),
        first_page: first_pages[LIST_RUNS / 2],
        all_projects: all[LIST_RUNS / 2],
    }
}

async fn put(store: &ObjectStore, user: &bucketforge_engine::store::UserId, i: usize) -> Duration {
    let key = project(user, "bench");
    let size = if i == usize::MAX { 1024 } else { size_of(i) };
    let body = "x".repeat(size);
    let path = ProjectPath::new(&format!("src/file-{i}.js")).unwrap();
    let t = Instant::now();
    store.put_file(&key, &path, body).await.expect("an upload");
    t.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "PutObject: {PUTS} files of 2–50 KB, {PUT_CONCURRENCY} at a time. Listing: {PROJECTS} projects, median of {LIST_RUNS} runs."
    );
    println!(
        "| server   | put p50  | put p99  | puts/s | list first page (1000) | list all {PROJECTS} |"
    );
    println!(
        "|----------|----------|----------|--------|------------------------|-----------------|"
    );
    for r in rows {
        println!(
            "| {:<8} | {:>8} | {:>8} | {:>6.0} | {:>22} | {:>15} |",
            r.server,
            ms(r.put_p50),
            ms(r.put_p99),
            r.puts_per_s,
            ms(r.first_page),
            ms(r.all_projects)
        );
    }
    if let Some(base) = rows.first() {
        println!();
        println!("Ratios to {}:", base.server);
        for r in &rows[1..] {
            println!(
                "  {}: put p50 ×{:.2}, put p99 ×{:.2}, first page ×{:.2}, all projects ×{:.2}",
                r.server,
                r.put_p50.as_secs_f64() / base.put_p50.as_secs_f64(),
                r.put_p99.as_secs_f64() / base.put_p99.as_secs_f64(),
                r.first_page.as_secs_f64() / base.first_page.as_secs_f64(),
                r.all_projects.as_secs_f64() / base.all_projects.as_secs_f64()
            );
        }
    }
}
