//! Starts the S3 servers the tests use (moto, Garage), prints one JSON line with their
//! endpoints and keys, and stops them when stdin closes or on SIGTERM/SIGINT. The end-to-end
//! suite (e2e/servers.mjs) runs this, so it shares the Rust tests' start-up.
//!
//! A watchdog beside every server ends it even if this process is killed outright.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use bucketforge_test_support::{S3Endpoint, S3Process};
use clap::Parser;

#[derive(Parser)]
#[command(
    about = "Starts moto and/or Garage for the tests and prints their endpoints as one JSON line"
)]
struct Args {
    /// Start moto (with neither flag, both start).
    #[arg(long)]
    moto: bool,
    /// Start Garage (with neither flag, both start).
    #[arg(long)]
    garage: bool,
    /// The bucket each server holds.
    #[arg(long, default_value = "bucketforge-e2e")]
    bucket: String,
}

/// Starts one kind of server with the bucket named.
type Start = fn(&str) -> Result<S3Process, String>;

fn main() {
    let args = Args::parse();
    let both = !args.moto && !args.garage;
    let mut running: Vec<(&str, S3Process)> = Vec::new();
    let starts: [(&str, bool, Start); 2] = [
        ("moto", args.moto || both, S3Process::start_moto),
        ("garage", args.garage || both, S3Process::start_garage),
    ];
    for (name, wanted, start) in starts {
        if !wanted {
            continue;
        }
        match start(&args.bucket) {
            Ok(process) => running.push((name, process)),
            Err(e) => {
                eprintln!("bucketforge-test-servers: {name} did not start: {e}");
                stop_all(running);
                std::process::exit(1);
            }
        }
    }
    let endpoints: BTreeMap<&str, &S3Endpoint> = running
        .iter()
        .map(|(name, process)| (*name, &process.endpoint))
        .collect();
    let printed = serde_json::to_string(&endpoints)
        .map_err(|e| e.to_string())
        .and_then(|line| {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{line}")
                .and_then(|()| out.flush())
                .map_err(|e| e.to_string())
        });
    if let Err(e) = printed {
        eprintln!("bucketforge-test-servers: could not print the endpoints: {e}");
        stop_all(running);
        std::process::exit(1);
    }
    wait_for_stop();
    stop_all(running);
}

fn stop_all(running: Vec<(&str, S3Process)>) {
    for (_, process) in running {
        process.stop();
    }
}

/// Returns when stdin reaches its end (the parent closed it, or died) or a stop signal comes.
fn wait_for_stop() {
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    let on_eof = stop.clone();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 256];
        while matches!(stdin.read(&mut buf), Ok(n) if n > 0) {}
        let _ = on_eof.send(());
    });
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => {
                eprintln!(
                    "bucketforge-test-servers: no signal handling ({e}); stop by closing stdin"
                );
                return;
            }
        };
        runtime.block_on(stop_signal());
        let _ = stop.send(());
    });
    let _ = stopped.recv();
}

#[cfg(unix)]
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn stop_signal() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
