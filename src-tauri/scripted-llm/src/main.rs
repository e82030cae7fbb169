//! `scripted-llm --script script.json --port N`: the scripted LLM server as its own process,
//! for end-to-end tests of the app. Prints its URL on the first line of stdout.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use bucketforge_scripted_llm::{Script, ScriptedLlm};
use clap::Parser;

#[derive(Parser)]
#[command(
    version,
    about = "A scripted LLM server speaking the OpenAI and Anthropic wire formats"
)]
struct Args {
    /// The script (JSON); without one every request gets a reply naming its task.
    #[arg(long)]
    script: Option<PathBuf>,
    /// 0 picks a free port.
    #[arg(long, default_value_t = 0)]
    port: u16,
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = Args::parse();
    let script = match &args.script {
        Some(path) => match Script::from_file(path) {
            Ok(script) => script,
            Err(e) => {
                eprintln!(
                    "scripted-llm: cannot read the script {}: {e}",
                    path.display()
                );
                std::process::exit(2);
            }
        },
        None => Script::new(),
    };
    let server = match ScriptedLlm::bind(SocketAddr::new(args.host, args.port), script).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!(
                "scripted-llm: cannot listen on {}:{}: {e}",
                args.host, args.port
            );
            std::process::exit(2);
        }
    };
    println!("{}", server.url());
    // Whoever started us reads the URL before sending anything.
    let _ = std::io::stdout().flush();
    tokio::select! {
        result = server.serve_until_stopped() => {
            if let Err(e) = result {
                eprintln!("scripted-llm: {e}");
                std::process::exit(1);
            }
        }
        _ = shutdown_signal() => {}
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler can be installed");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
