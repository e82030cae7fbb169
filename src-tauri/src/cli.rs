//! The headless command line: the same engine as the window, for scripts and power users.

use std::borrow::Cow;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use std::sync::Arc;

use bucketforge_engine::secrets::KeyringStore;
use bucketforge_engine::session::{Overrides, RunActivity, Session};
use bucketforge_engine::settings::SettingsFile;
use bucketforge_engine::store::keys::is_bidi_control;
use bucketforge_engine::store::{
    lease::spoken_age, FileSource, ProjectKey, ProjectPath, ProjectStatus, StoreConfigLayer, UserId,
};
use bucketforge_engine::{Error, Result};
use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::cli_config::{self, ConfigCommand};
use crate::cli_generate;

#[derive(Debug, Parser)]
#[command(
    name = "bucketforge",
    version = bucketforge_engine::VERSION,
    about = "Describe an app and get a full-stack project written straight into your own S3 bucket.",
    long_about = "Describe an app and get a full-stack project written straight into your own S3 bucket.\n\nRun without a command to open the BucketForge window.\n\nStorage settings come from the flags below, then AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL, S3_BUCKET_NAME and AWS_PROFILE, then the built-in local bucket."
)]
pub struct Cli {
    #[command(flatten)]
    pub storage: StorageArgs,

    /// Print machine-readable JSON instead of text (errors too, on stderr).
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where the projects are; each flag overrides its environment variable.
#[derive(Debug, Args)]
pub struct StorageArgs {
    /// S3-compatible endpoint (R2, MinIO, Garage, …); leave out for AWS [env: AWS_ENDPOINT_URL]
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// The bucket holding the projects [env: S3_BUCKET_NAME]
    #[arg(long, global = true)]
    pub bucket: Option<String>,

    /// The bucket's region [env: AWS_REGION]
    #[arg(long, global = true)]
    pub region: Option<String>,

    /// Address the bucket as ENDPOINT/BUCKET (needed by most self-hosted servers)
    #[arg(long, global = true)]
    pub path_style: bool,

    /// Named profile from ~/.aws/config (SSO included) [env: AWS_PROFILE]
    #[arg(long, global = true)]
    pub profile: Option<String>,

    /// Use the built-in bucket on this computer
    #[arg(long, global = true, conflicts_with_all = ["endpoint_url", "bucket", "profile"])]
    pub local: bool,

    /// Folder of the built-in bucket (default: the app's data folder)
    #[arg(long, global = true, value_name = "DIR", env = "BUCKETFORGE_LOCAL_DIR")]
    pub local_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct UserArg {
    /// Whose projects (default: your OS user name)
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List your projects
    List {
        #[command(flatten)]
        user: UserArg,
    },
    /// Show a project's status and files with their sizes
    Show {
        #[command(flatten)]
        user: UserArg,
        slug: String,
    },
    /// Print one file of a project
    Cat {
        #[command(flatten)]
        user: UserArg,
        slug: String,
        path: String,
    },
    /// Delete a project and every file in it
    Delete {
        #[command(flatten)]
        user: UserArg,
        slug: String,
        /// Do not ask for confirmation
        #[arg(long, short = 'y')]
        yes: bool,
        /// Delete it even while a run is writing it (that run then fails)
        #[arg(long)]
        force: bool,
    },
    /// Save a project as a zip file
    Export {
        #[command(flatten)]
        user: UserArg,
        slug: String,
        /// The zip file to write
        #[arg(long, value_name = "FILE.zip")]
        out: PathBuf,
        /// Export an unfinished project too, with just the files that are in the bucket
        #[arg(long)]
        partial: bool,
    },
    /// Check that the storage settings work: list, write, read and delete a test object
    Check {
        #[command(flatten)]
        user: UserArg,
    },
    /// Generate a project from an idea, straight into the bucket
    Generate(cli_generate::GenerateArgs),
    /// Finish a failed or cancelled project: keep what landed, write the rest
    Resume {
        #[command(flatten)]
        user: UserArg,
        slug: String,
        #[command(flatten)]
        llm: cli_generate::LlmArgs,
    },
    /// Show or change the saved settings and the secrets in the OS keyring
    Config {
        #[command(subcommand)]
        action: ConfigCommand,
    },
}

/// Runs one headless command and returns the process exit code.
pub fn execute(cli: Cli) -> ExitCode {
    let Some(command) = cli.command else {
        return ExitCode::SUCCESS;
    };
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: BucketForge could not start its background workers: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&cli.storage, json, command)) {
        Ok(code) => code,
        Err(e) => {
            report_error(&e, json);
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn report_error(error: &Error, json: bool) {
    if json {
        eprintln!("{}", json!(error.to_report()));
    } else {
        // One line, whatever the message holds, so scripts can rely on it.
        eprintln!(
            "error: {}",
            printable(&error.to_string()).replace('\n', " ")
        );
    }
}

impl StorageArgs {
    fn layer(&self) -> StoreConfigLayer {
        StoreConfigLayer {
            bucket: self.bucket.clone(),
            region: self.region.clone(),
            endpoint: self.endpoint_url.clone(),
            path_style: self.path_style.then_some(true),
            local: self.local.then_some(true),
            profile: self.profile.clone(),
            ..Default::default()
        }
    }
}

/// The session a command works in: flags > environment > saved settings > defaults.
pub(crate) fn session(storage: &StorageArgs, overrides: Overrides) -> Result<Session> {
    let overrides = Overrides {
        storage: storage.layer(),
        local_dir: storage.local_dir.clone(),
        ..overrides
    };
    Ok(Session::open(
        SettingsFile::default_location()?,
        Arc::new(crate::scrub::Watched(Arc::new(KeyringStore::new()))),
        Some(Arc::new(|name: &str| std::env::var(name).ok())),
        overrides,
    ))
}

pub(crate) fn user_override(arg: &UserArg) -> Result<Option<UserId>> {
    arg.user.as_deref().map(UserId::new).transpose()
}

fn user_session(storage: &StorageArgs, user: &UserArg) -> Result<Session> {
    session(
        storage,
        Overrides {
            user: user_override(user)?,
            ..Overrides::default()
        },
    )
}

pub(crate) fn print_json(value: serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(&value).unwrap_or_else(|_| value.to_string())
    );
}

async fn run(storage: &StorageArgs, json: bool, command: Command) -> Result<ExitCode> {
    match command {
        Command::List { user } => {
            let session = user_session(storage, &user)?;
            let projects = session.all_projects().await?;
            let user = session.user()?;
            if json {
                print_json(json!({ "user": user, "projects": projects }));
            } else if projects.is_empty() {
                eprintln!(
                    "No projects for user “{user}” in bucket “{}”.",
                    session.bucket_name().await?
                );
            } else {
                for project in projects {
                    println!("{}", project.slug);
                }
            }
        }
        Command::Show { user, slug } => {
            let session = user_session(storage, &user)?;
            let details = session.project(&slug).await?;
            let status = details
                .manifest
                .as_ref()
                .map(|m| json!(m.status))
                .unwrap_or(serde_json::Value::Null);
            if json {
                print_json(json!({
                    "user": session.user()?,
                    "slug": details.slug,
                    "status": status,
                    "activity": details.activity,
                    "source": details.source,
                    "name": details.manifest.as_ref().map(|m| m.name.clone()),
                    "planned_files": details.manifest.as_ref().map(|m| m.plan.files.len()),
                    "files": details.files,
                }));
                return Ok(ExitCode::SUCCESS);
            }
            match &details.manifest {
                Some(manifest) => {
                    println!("{} ({})", printable(&manifest.name), details.slug);
                    println!(
                        "Status: {}",
                        // The lease's owner is text from the bucket, like the name.
                        printable(&status_line(
                            status.as_str().unwrap_or("unknown"),
                            details.activity.as_ref(),
                            &details.slug
                        ))
                    );
                    if manifest.status != ProjectStatus::Complete {
                        println!(
                            "Incomplete: {} of {} planned files are in the bucket.",
                            details.files.len(),
                            manifest.plan.files.len()
                        );
                    }
                    if let Some(error) = &manifest.error {
                        println!("Error: {}", printable(error));
                    }
                }
                None => {
                    println!("{}", details.slug);
                    println!(
                        "Status: unknown (no record was written; these are the files in the bucket)"
                    );
                }
            }
            let total: u64 = details.files.iter().map(|f| f.bytes).sum();
            for file in &details.files {
                println!(
                    "{:>10}  {}",
                    human_size(file.bytes),
                    printable(file.path.as_str())
                );
            }
            println!(
                "{} files, {}{}",
                details.files.len(),
                human_size(total),
                if details.source == FileSource::BareListing {
                    " (unverified)"
                } else {
                    ""
                }
            );
        }
        Command::Cat { user, slug, path } => {
            let path = ProjectPath::new(&path)?;
            let session = user_session(storage, &user)?;
            let file = session.read_file(&slug, &path).await?;
            if json {
                print_json(json!({
                    "path": path,
                    "content_type": file.content_type,
                    "etag": file.etag,
                    "content": String::from_utf8_lossy(&file.bytes),
                }));
            } else {
                let mut out = std::io::stdout().lock();
                // A closed pipe (`| head`) is the reader's choice, not an error.
                let _ = out.write_all(&file.bytes).and_then(|()| out.flush());
            }
        }
        Command::Delete {
            user,
            slug,
            yes,
            force,
        } => {
            let session = user_session(storage, &user)?;
            let key = session.project_key(&slug)?;
            let bucket = session.bucket_name().await?;
            if !yes && !confirm(&key, &bucket) {
                return Err(Error::NotConfirmed {
                    what: key.slug().to_string(),
                });
            }
            let deleted = session.delete(key.slug().as_str(), force).await?;
            if json {
                print_json(json!({ "slug": key.slug(), "deleted_objects": deleted }));
            } else {
                println!("Deleted project “{}” ({deleted} objects).", key.slug());
            }
        }
        Command::Export {
            user,
            slug,
            out,
            partial,
        } => {
            let session = user_session(storage, &user)?;
            let key = session.project_key(&slug)?;
            let slug = key.slug();
            let summary = session.export(slug.as_str(), &out, partial).await?;
            if json {
                print_json(json!(summary));
            } else {
                println!(
                    "Exported {} files ({}) of “{slug}” to {}{}.",
                    summary.files,
                    human_size(summary.bytes),
                    out.display(),
                    if summary.complete {
                        ""
                    } else {
                        " (the project is incomplete: only the files that landed)"
                    }
                );
            }
        }
        Command::Check { user } => {
            let report = user_session(storage, &user)?.check_storage().await?;
            if json {
                print_json(json!(report));
            } else {
                println!(
                    "Connected to bucket “{}” at {} ({}) in {} ms.",
                    report.bucket, report.endpoint, report.region, report.elapsed_ms
                );
                for note in &report.notes {
                    println!("{note}");
                }
            }
        }
        Command::Generate(args) => return cli_generate::generate(storage, json, args).await,
        Command::Resume { user, slug, llm } => {
            return cli_generate::resume(storage, json, &user, &slug, &llm).await
        }
        Command::Config { action } => cli_config::run(storage, json, action).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The status as a person reads it: a `generating` project whose run stopped checking in
/// is interrupted, and says how to finish it.
fn status_line(status: &str, activity: Option<&RunActivity>, slug: &str) -> String {
    match activity {
        Some(a) if a.interrupted => format!(
            "interrupted ({} stopped checking in {} ago); `bucketforge resume {slug}` finishes it",
            a.owner,
            spoken_age(a.seconds_since_check_in)
        ),
        Some(a) => format!(
            "generating ({}, checked in {} ago)",
            a.owner,
            spoken_age(a.seconds_since_check_in)
        ),
        None => status.to_string(),
    }
}

/// Asks on the terminal; anything but "y"/"yes" is a no. Without a terminal the answer is
/// read from stdin unprompted, so `echo y | bucketforge delete …` works and a script with no
/// input gets a refusal, not a question nobody sees.
fn confirm(key: &ProjectKey, bucket: &str) -> bool {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!(
            "Delete project “{}” of user “{}” and every file in it from bucket “{bucket}”? This can't be undone. [y/N] ",
            key.slug(),
            key.user()
        );
        let _ = std::io::stderr().flush();
    }
    let mut answer = String::new();
    match stdin.lock().read_line(&mut answer) {
        Ok(_) => matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"),
        Err(_) => false,
    }
}

/// Text from the LLM or a server, made safe for a terminal: escape sequences, control
/// characters other than newline and tab, and bidi controls are removed, so a plan name can't
/// recolour the screen, retitle the window, hide a line or make one path read as another.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    let needs_stripping =
        |c: char| (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c);
    if !text.chars().any(needs_stripping) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut state = Escape::None;
    for c in text.chars() {
        state = state.next(c, &mut out);
    }
    Cow::Owned(out)
}

/// Where [`printable`] is inside a terminal escape sequence (ECMA-48).
#[derive(Clone, Copy)]
enum Escape {
    None,
    /// After ESC.
    Started,
    /// After ESC and intermediate bytes, waiting for the final one.
    Intermediate,
    /// A control sequence (ESC `[` or CSI): parameters, then a final byte.
    Control,
    /// A control string (OSC, DCS, APC, PM, SOS) that only BEL or ST ends.
    String,
    /// ESC inside a control string: `\` makes it ST, anything else starts a new sequence.
    StringEsc,
}

impl Escape {
    fn next(self, c: char, out: &mut String) -> Self {
        match self {
            Escape::None => match c {
                '\u{1b}' => Escape::Started,
                '\u{9b}' => Escape::Control,
                '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => Escape::String,
                '\n' | '\t' => {
                    out.push(c);
                    Escape::None
                }
                c if c.is_control() || is_bidi_control(c) => Escape::None,
                c => {
                    out.push(c);
                    Escape::None
                }
            },
            Escape::Started => match c {
                '[' => Escape::Control,
                ']' | 'P' | 'X' | '^' | '_' => Escape::String,
                '\u{20}'..='\u{2f}' => Escape::Intermediate,
                '\u{30}'..='\u{7e}' => Escape::None,
                _ => Escape::None.next(c, out),
            },
            Escape::Intermediate => match c {
                '\u{20}'..='\u{2f}' => Escape::Intermediate,
                '\u{30}'..='\u{7e}' => Escape::None,
                _ => Escape::None.next(c, out),
            },
            Escape::Control => match c {
                '\u{20}'..='\u{3f}' => Escape::Control,
                '\u{40}'..='\u{7e}' => Escape::None,
                _ => Escape::None.next(c, out),
            },
            Escape::String => match c {
                '\u{07}' | '\u{9c}' => Escape::None,
                '\u{1b}' => Escape::StringEsc,
                _ => Escape::String,
            },
            Escape::StringEsc => match c {
                '\\' => Escape::None,
                _ => Escape::Started.next(c, out),
            },
        }
    }
}

pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MB");
    }

    #[test]
    fn text_without_controls_is_printed_as_it_is() {
        let text = "Список дел 🚀\n\tfrontend/src/App.jsx — “quoted” ✓";
        assert!(matches!(printable(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn terminal_escape_sequences_are_stripped_whole() {
        for (hostile, shown) in [
            ("\u{1b}[31mred\u{1b}[0m", "red"),
            ("\u{1b}[2J\u{1b}[1;1Hcleared", "cleared"),
            ("a\u{1b}[?25lb", "ab"),
            ("\u{1b}]0;pwned\u{7}title", "title"),
            (
                "\u{1b}]8;;http://evil\u{1b}\\link\u{1b}]8;;\u{1b}\\",
                "link",
            ),
            ("\u{1b}Pdcs data\u{1b}\\after", "after"),
            ("\u{1b}_apc\u{9c}after", "after"),
            ("\u{9b}31mC1 red", "C1 red"),
            ("\u{9d}0;title\u{7}x", "x"),
            ("\u{1b}(Bcharset", "charset"),
            ("\u{1b}7saved\u{1b}8", "saved"),
            ("\u{1b}]unterminated title", ""),
            ("\u{1b}]0;t\u{1b}[31mred", "red"),
            ("end\u{1b}", "end"),
        ] {
            assert_eq!(printable(hostile), shown, "{hostile:?}");
        }
    }

    #[test]
    fn control_and_bidi_characters_are_removed_but_newline_and_tab_stay() {
        assert_eq!(printable("a\rb\u{8}c\u{7}d\u{0}e\u{7f}f\u{85}g"), "abcdefg");
        assert_eq!(printable("line 1\n\tline 2\r\n"), "line 1\n\tline 2\n");
        assert_eq!(
            printable("App\u{202e}gpj.js \u{2066}x\u{2069} \u{200f}\u{61c}"),
            "Appgpj.js x "
        );
        // An ESC before a newline ends there; the newline is kept.
        assert_eq!(printable("a\u{1b}\nb"), "a\nb");
    }

    #[test]
    fn storage_flags_are_accepted_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "bucketforge",
            "list",
            "--user",
            "alice",
            "--bucket",
            "b",
            "--endpoint-url",
            "http://127.0.0.1:9000",
            "--path-style",
            "--json",
        ])
        .unwrap();
        assert_eq!(cli.storage.bucket.as_deref(), Some("b"));
        assert!(cli.storage.path_style && cli.json);
    }

    #[test]
    fn the_local_bucket_cannot_be_combined_with_a_remote_one() {
        let err =
            Cli::try_parse_from(["bucketforge", "list", "--local", "--bucket", "b"]).unwrap_err();
        assert!(err.to_string().contains("cannot be used with"), "{err}");
    }
}
