//! The app's log: a daily file in the OS log folder that a user can send (secrets scrubbed), and
//! stderr when asked for with `-v` or `RUST_LOG`.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::scrub::Scrubbed;

/// The log files are `bucketforge.YYYY-MM-DD.log`.
const FILE_PREFIX: &str = "bucketforge";
const FILE_SUFFIX: &str = "log";
/// Days of logs kept; older files are removed as new ones start.
const KEEP_FILES: usize = 7;
/// What the file records unless `RUST_LOG` says otherwise: our crates' info lines, everyone
/// else's warnings.
const FILE_FILTER: &str = "warn,bucketforge=info,bucketforge_app=info,bucketforge_engine=info";

/// The `-v` flag's id on the command line.
pub const VERBOSE: &str = "verbose";

static LOG_DIR: OnceLock<PathBuf> = OnceLock::new();

/// Adds `-v`/`--verbose` (repeatable) to the command line.
pub fn with_verbose_flag(command: clap::Command) -> clap::Command {
    command.arg(
        clap::Arg::new(VERBOSE)
            .short('v')
            .long(VERBOSE)
            .action(clap::ArgAction::Count)
            .global(true)
            .help("Print what BucketForge does on stderr (-vv for more detail; RUST_LOG chooses exactly what)"),
    )
}

/// Where the log files go: `BUCKETFORGE_LOG_DIR`, or the OS log folder (Tauri's app log
/// folder): `~/.local/share/app.bucketforge.desktop/logs` on Linux,
/// `~/Library/Logs/app.bucketforge.desktop` on macOS, `%LOCALAPPDATA%\app.bucketforge.desktop\logs`
/// on Windows.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BUCKETFORGE_LOG_DIR") {
        return Some(PathBuf::from(dir));
    }
    let dirs = directories::BaseDirs::new()?;
    let identifier = bucketforge_engine::store::local::APP_IDENTIFIER;
    if cfg!(target_os = "macos") {
        Some(dirs.home_dir().join("Library/Logs").join(identifier))
    } else {
        Some(dirs.data_local_dir().join(identifier).join("logs"))
    }
}

/// The folder this process logs to, once [`init`] has run and could create it.
pub fn dir() -> Option<&'static Path> {
    LOG_DIR.get().map(PathBuf::as_path)
}

/// Starts logging for this process: the file in `dir` (when it can be created), and stderr
/// when `verbosity` > 0 or `RUST_LOG` is set. Logging never stops the app: without a folder
/// it logs to stderr only, and says so there. A second call changes nothing.
pub fn init(dir: Option<PathBuf>, verbosity: u8) {
    crate::scrub::remember_environment();
    let rust_log = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let file = dir.and_then(|dir| match open_file(&dir) {
        Ok(appender) => {
            let _ = LOG_DIR.set(dir);
            Some(appender)
        }
        Err(e) => {
            eprintln!(
                "warning: BucketForge can't write its log in {} ({e}); it logs nowhere this time.",
                dir.display()
            );
            None
        }
    });
    let file_layer = file.map(|appender| {
        // A line as each command or run ends (with its time), so the log shows what was done.
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_span_events(FmtSpan::CLOSE)
            .with_writer(Scrubbed(appender))
            .with_filter(filter(rust_log.as_deref().unwrap_or(FILE_FILTER)))
    });
    let stderr_layer = (verbosity > 0 || rust_log.is_some()).then(|| {
        let chosen = match verbosity {
            0 | 1 => FILE_FILTER.to_string(),
            2 => FILE_FILTER.replace("=info", "=debug"),
            _ => FILE_FILTER.replace("=info", "=trace"),
        };
        tracing_subscriber::fmt::layer()
            .with_span_events(FmtSpan::CLOSE)
            .with_writer(Scrubbed(std::io::stderr as fn() -> std::io::Stderr))
            .with_filter(filter(rust_log.as_deref().unwrap_or(&chosen)))
    });
    let _ = tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .try_init();
}

/// A filter from `RUST_LOG`-style directives; ones it can't read are skipped.
fn filter(directives: &str) -> EnvFilter {
    EnvFilter::builder().parse_lossy(directives)
}

/// The rolling file, in a folder only this user can read.
fn open_file(dir: &Path) -> std::io::Result<RollingFileAppender> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(FILE_PREFIX)
        .filename_suffix(FILE_SUFFIX)
        .max_log_files(KEEP_FILES)
        .build(dir)
        .map_err(std::io::Error::other)
}

/// The last `count` lines of the log, oldest first, from the newest files. Not scrubbed here:
/// whoever shows them scrubs the whole text once (the diagnostics report does).
pub fn last_lines(dir: &Path, count: usize) -> std::io::Result<Vec<String>> {
    let prefix = format!("{FILE_PREFIX}.");
    let suffix = format!(".{FILE_SUFFIX}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(&suffix))
        })
        .collect();
    // The date in the name sorts them oldest first; read from the newest back.
    files.sort();
    let mut newest_first = Vec::with_capacity(count);
    for file in files.iter().rev() {
        if newest_first.len() == count {
            break;
        }
        let bytes = std::fs::read(file)?;
        let text = String::from_utf8_lossy(&bytes);
        let wanted = count - newest_first.len();
        newest_first.extend(text.lines().rev().take(wanted).map(str::to_string));
    }
    newest_first.reverse();
    Ok(newest_first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_folder_is_named_by_the_apps_identifier() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
        assert_eq!(
            conf["identifier"],
            bucketforge_engine::store::local::APP_IDENTIFIER
        );
    }

    #[test]
    fn the_last_lines_come_from_the_newest_files_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bucketforge.2026-01-01.log"), "a\nb\nc\n").unwrap();
        std::fs::write(dir.path().join("bucketforge.2026-01-02.log"), "d\ne\n").unwrap();
        std::fs::write(dir.path().join("other.txt"), "x\n").unwrap();
        assert_eq!(last_lines(dir.path(), 3).unwrap(), ["c", "d", "e"]);
        assert_eq!(
            last_lines(dir.path(), 10).unwrap(),
            ["a", "b", "c", "d", "e"]
        );
    }
}
