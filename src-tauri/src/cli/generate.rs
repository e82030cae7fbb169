//! `bucketforge generate` and `resume`: a run with live progress on stderr, or JSON events.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use bucketforge_engine::generate::{EventSink, GenerationEvent};
use bucketforge_engine::plan::{CheckReport, QualityReport};
use bucketforge_engine::session::{GenerateRequest, Session};
use bucketforge_engine::{Error, Result};
use futures::FutureExt;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio_util::sync::CancellationToken;

use crate::cli::args::GenerateArgs;
use crate::cli::output::{human_size, printable, report_error};
use crate::signals::stop_signal;

/// What a cancelled generation or resume leaves, in words.
const UNFINISHED: &str =
    "Cancelled. What landed is listed in the project's record; `bucketforge resume` finishes it.";

/// Exit code of a run the user cancelled (as for a shell command stopped with Ctrl-C).
const CANCELLED: u8 = 130;

pub async fn generate(session: Session, json: bool, args: GenerateArgs) -> ExitCode {
    let request = GenerateRequest {
        idea: args.idea,
        name: args.name,
        stack: args.stack,
    };
    let cancel = cancel_on_signal();
    let display = Display::new(json);
    let outcome = contained(session.generate(request, cancel.clone(), display.sink())).await;
    finish(&display, outcome, &cancel, json, UNFINISHED)
}

pub async fn resume(session: Session, json: bool, slug: &str) -> ExitCode {
    let cancel = cancel_on_signal();
    let display = Display::new(json);
    let outcome = contained(session.resume(slug, cancel.clone(), display.sink())).await;
    finish(&display, outcome, &cancel, json, UNFINISHED)
}

pub async fn change(session: Session, json: bool, slug: &str, request: &str) -> ExitCode {
    let cancel = cancel_on_signal();
    let display = Display::new(json);
    let outcome = contained(session.change(slug, request, cancel.clone(), display.sink())).await;
    finish(
        &display,
        outcome,
        &cancel,
        json,
        "Cancelled. The project is as it was before this change.",
    )
}

/// A panic inside the run becomes an error with exit code 1, never a crash with a trace.
async fn contained<T>(run: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    std::panic::AssertUnwindSafe(run)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            Err(Error::Internal {
                what: "generating the project".into(),
            })
        })
}

/// Cancels the run on Ctrl-C, on `kill` (SIGTERM) and when the terminal closes (SIGHUP):
/// each ends the run the same way, with its end recorded in the project. A second signal
/// while the run records its end quits at once; the run's lease then lets `resume` finish.
fn cancel_on_signal() -> CancellationToken {
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if stop_signal().await {
            on_signal.cancel();
            if stop_signal().await {
                std::process::exit(i32::from(CANCELLED));
            }
        }
    });
    cancel
}

/// The exit code, after the last words on stderr (the final event already went to stdout
/// with `--json`).
fn finish<T>(
    display: &Display,
    outcome: Result<T>,
    cancel: &CancellationToken,
    json: bool,
    on_cancel: &str,
) -> ExitCode {
    display.clear();
    match outcome {
        Ok(_) => ExitCode::SUCCESS,
        Err(_) if cancel.is_cancelled() => {
            if !json {
                eprintln!("{on_cancel}");
            }
            ExitCode::from(CANCELLED)
        }
        Err(e) => {
            report_error(&e, json);
            ExitCode::FAILURE
        }
    }
}

/// Shows a run's events: JSON lines on stdout, a live per-file display on a terminal, or
/// plain lines on stderr otherwise.
struct Display {
    mode: Mode,
}

enum Mode {
    Json,
    Lines,
    Live(Arc<Live>),
}

struct Live {
    multi: MultiProgress,
    overall: ProgressBar,
    files: Mutex<HashMap<String, ProgressBar>>,
}

impl Display {
    fn new(json: bool) -> Self {
        let mode = if json {
            Mode::Json
        } else if std::io::stderr().is_terminal() {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let overall = multi.add(ProgressBar::new(0));
            overall.set_style(
                ProgressStyle::with_template(
                    "{spinner} {msg} [{bar:30}] {pos}/{len} files, {elapsed}",
                )
                // A literal template; the plain style if it ever stopped parsing.
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            overall.set_message("Planning");
            overall.enable_steady_tick(std::time::Duration::from_millis(120));
            Mode::Live(Arc::new(Live {
                multi,
                overall,
                files: Mutex::new(HashMap::new()),
            }))
        } else {
            Mode::Lines
        };
        Self { mode }
    }

    fn sink(&self) -> EventSink {
        match &self.mode {
            Mode::Json => Arc::new(
                |event: GenerationEvent| match serde_json::to_string(&event) {
                    Ok(line) => println!("{line}"),
                    Err(e) => eprintln!("error: an event could not be written as JSON: {e}"),
                },
            ),
            Mode::Lines => Arc::new(|event: GenerationEvent| {
                if let Some(line) = describe(&event) {
                    eprintln!("{}", printable(&line));
                }
            }),
            Mode::Live(live) => {
                let live = Arc::clone(live);
                Arc::new(move |event: GenerationEvent| live.show(&event))
            }
        }
    }

    fn clear(&self) {
        if let Mode::Live(live) = &self.mode {
            live.overall.finish();
        }
    }
}

impl Live {
    fn file(&self, path: &str) -> ProgressBar {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        files
            .entry(path.to_string())
            .or_insert_with(|| {
                let bar = self.multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("  {prefix:<40} {msg}")
                        // A literal template; the plain style if it ever stopped parsing.
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_prefix(printable(path).into_owned());
                bar.set_message("queued");
                bar
            })
            .clone()
    }

    fn show(&self, event: &GenerationEvent) {
        match event {
            GenerationEvent::Planned { name, files, .. } => {
                self.overall
                    .set_message(format!("Writing “{}”", printable(name)));
                self.overall.set_length(files.len() as u64);
                for path in files {
                    self.file(path);
                }
            }
            GenerationEvent::FileStarted { path } => self.file(path).set_message("writing"),
            GenerationEvent::FileProgress { path, bytes, .. } => self
                .file(path)
                .set_message(format!("writing, {}", human_size(*bytes))),
            GenerationEvent::FileRepairing { path, reason, .. } => self
                .file(path)
                .set_message(format!("repairing: {}", printable(reason))),
            GenerationEvent::FileUploaded {
                path, bytes, ms, ..
            } => {
                self.file(path)
                    .finish_with_message(format!("uploaded, {} in {ms} ms", human_size(*bytes)));
                // A repaired file lands a second time; the bar counts files, not uploads.
                if self.overall.position() < self.overall.length().unwrap_or(0) {
                    self.overall.inc(1);
                }
            }
            GenerationEvent::Checking {} => self
                .overall
                .set_message("Checking that the files fit together"),
            GenerationEvent::FileKept { path, bytes } => {
                self.file(path)
                    .finish_with_message(format!("kept from the last run, {}", human_size(*bytes)));
                self.overall.inc(1);
            }
            GenerationEvent::FileRemoved { path } => {
                self.file(path).finish_with_message("removed");
                self.overall.inc(1);
            }
            GenerationEvent::FileFailed { path, error } => self
                .file(path)
                .abandon_with_message(format!("failed: {}", printable(&error.message))),
            other => {
                if let Some(line) = describe(other) {
                    let _ = self.multi.println(printable(&line));
                }
            }
        }
    }
}

/// The cross-file check's summary, then each problem left on a line of its own.
pub fn fit_lines(report: &CheckReport) -> String {
    let mut out = report.summary();
    for problem in &report.problems {
        out.push_str("\n  - ");
        out.push_str(&problem.message);
    }
    out
}

/// The recipes' summary, then each departure left on a line of its own: those that would
/// break the app, then the notes.
pub fn quality_lines(report: &QualityReport) -> String {
    let mut out = format!("Recipes: {}", report.summary());
    for finding in &report.findings {
        let kind = if finding.breaks { "problem" } else { "note" };
        let place = match finding.line {
            Some(line) => format!("{}:{line}", finding.path),
            None => finding.path.clone(),
        };
        out.push_str(&format!("\n  - {kind}, {place}: {}", finding.message));
    }
    out
}

/// One line for a plain log of the run; `None` for events too small to print. It holds LLM
/// text: print it through [`printable`].
fn describe(event: &GenerationEvent) -> Option<String> {
    Some(match event {
        GenerationEvent::Planning {} => "Planning the project…".into(),
        GenerationEvent::Planned {
            slug, name, files, ..
        } => {
            format!("Planned “{name}” ({slug}): {} files.", files.len())
        }
        GenerationEvent::FileStarted { path } => format!("Writing {path}…"),
        GenerationEvent::FileProgress { .. } | GenerationEvent::Usage { .. } => return None,
        GenerationEvent::FileRepairing { path, reason, .. } => {
            format!("Repairing {path}: {reason}")
        }
        GenerationEvent::FileUploaded {
            path,
            key,
            bytes,
            ms,
        } => {
            format!("Uploaded {path} ({}, {ms} ms) to {key}", human_size(*bytes))
        }
        GenerationEvent::FileKept { path, .. } => format!("Kept {path} from the last run."),
        GenerationEvent::FileRemoved { path } => format!("Removed {path}."),
        GenerationEvent::FileFailed { path, error } => format!("Failed {path}: {}", error.message),
        GenerationEvent::RateLimited { concurrency } => {
            format!("The provider is rate limiting; writing {concurrency} files at once now.")
        }
        GenerationEvent::Checking {} => "Checking that the files fit together…".into(),
        GenerationEvent::Checked { report } => fit_lines(report),
        GenerationEvent::Finished {
            slug,
            files,
            tokens,
            cost_usd,
            elapsed_ms,
        } => format!(
            "Done: {files} files of “{slug}” in {:.1} s, {tokens} tokens{}.",
            *elapsed_ms as f64 / 1000.0,
            cost_usd
                .map(|c| format!(", about ${c:.2}"))
                .unwrap_or_default()
        ),
        GenerationEvent::Failed { error, landed, .. } => {
            format!("Failed ({} files landed): {}", landed.len(), error.message)
        }
        GenerationEvent::Cancelled { landed, .. } => {
            format!("Cancelled ({} files landed).", landed.len())
        }
    })
}
