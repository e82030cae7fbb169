//! The headless command line: the same engine as the window, for scripts and power users.
//! `args` defines the arguments, `output` prints, `generate` and `config` run their commands;
//! this module opens the session and dispatches. No submodule imports this one.

mod args;
mod config;
mod generate;
mod history;
mod output;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use bucketforge_engine::secrets::KeyringStore;
use bucketforge_engine::session::{Overrides, Session};
use bucketforge_engine::settings::SettingsFile;
use bucketforge_engine::store::{FileSource, ProjectPath, ProjectStatus};
use bucketforge_engine::{Error, Result};
use serde_json::json;

pub use args::{Cli, Command, StorageArgs, UserArg};
use output::{confirm, human_size, print_json, printable, report_error, status_line};

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

/// The session a command works in: flags > environment > saved settings > defaults.
fn session(storage: &StorageArgs, overrides: Overrides) -> Result<Session> {
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

fn user_session(storage: &StorageArgs, user: &UserArg) -> Result<Session> {
    session(
        storage,
        Overrides {
            user: user.user_id()?,
            ..Overrides::default()
        },
    )
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
        Command::Share {
            user,
            slug,
            file,
            expires,
        } => {
            let session = user_session(storage, &user)?;
            let key = session.project_key(&slug)?;
            let slug = key.slug().as_str();
            let secs = expires.as_secs();
            let (url, secs, this_computer_only, what) = match &file {
                Some(path) => {
                    let link = session.share_link(slug, path, secs).await?;
                    (
                        link.url,
                        link.expires_in_secs,
                        link.this_computer_only,
                        path.clone(),
                    )
                }
                None => {
                    let link = session.share_project(slug, secs).await?;
                    let what = format!(
                        "a .zip of “{slug}” ({} files, {})",
                        link.files,
                        human_size(link.bytes)
                    );
                    (
                        link.url,
                        link.expires_in_secs,
                        link.this_computer_only,
                        what,
                    )
                }
            };
            if json {
                print_json(json!({
                    "slug": slug,
                    "file": file,
                    "url": url,
                    "expires_in_secs": secs,
                    "this_computer_only": this_computer_only,
                }));
            } else {
                // The link alone on stdout, for scripts; what it is on stderr.
                println!("{url}");
                let lasts = humantime::format_duration(std::time::Duration::from_secs(secs));
                if this_computer_only {
                    eprintln!(
                        "The link downloads {} for {lasts}, but only on this computer while the BucketForge window is open: the project is in the built-in bucket.",
                        printable(&what)
                    );
                } else {
                    eprintln!(
                        "Anyone with the link can download {} for {lasts}.",
                        printable(&what)
                    );
                }
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
        Command::Policy { user } => {
            let team = session(storage, Overrides::default())?.team_policy(&user)?;
            if json {
                let document: serde_json::Value =
                    serde_json::from_str(&team.policy).unwrap_or_default();
                print_json(json!({ "policy": document, "team": team }));
            } else {
                // The policy alone on stdout, so `> policy.json` saves just it.
                println!("{}", team.policy);
                eprintln!(
                    "\nThis policy lets “{}” use BucketForge in {} of bucket “{}” and nothing else.",
                    team.user, team.prefix, team.bucket
                );
                for (n, step) in team.steps.iter().enumerate() {
                    eprintln!("{}. {step}", n + 1);
                }
                for note in &team.other_stores {
                    eprintln!("{note}");
                }
            }
        }
        Command::Verify { user, slug } => {
            let session = user_session(storage, &user)?;
            let key = session.project_key(&slug)?;
            let verified = session.verify(key.slug().as_str()).await?;
            if json {
                print_json(json!({
                    "slug": key.slug(),
                    "fits": verified.check.is_clean(),
                    "sound": verified.is_sound(),
                    "report": verified.check,
                    "quality": verified.quality,
                }));
            } else {
                // Problems name files and packages from the bucket: print them as text.
                println!("{}", printable(&generate::fit_lines(&verified.check)));
                println!("{}", printable(&generate::quality_lines(&verified.quality)));
            }
            if !verified.is_sound() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Generate(args) => {
            let session = session(storage, args.llm.overrides(&args.user)?)?;
            return Ok(generate::generate(session, json, args).await);
        }
        Command::Resume { user, slug, llm } => {
            let session = session(storage, llm.overrides(&user)?)?;
            return Ok(generate::resume(session, json, &slug).await);
        }
        Command::Change {
            user,
            slug,
            request,
            llm,
        } => {
            let session = session(storage, llm.overrides(&user)?)?;
            return Ok(generate::change(session, json, &slug, &request).await);
        }
        Command::History { user, slug } => {
            let history = user_session(storage, &user)?.history(&slug).await?;
            if json {
                print_json(json!(history));
            } else {
                print!("{}", printable(&history::history_text(&history)));
            }
        }
        Command::Restore {
            user,
            slug,
            revision,
        } => {
            let made = user_session(storage, &user)?
                .restore(&slug, revision)
                .await?;
            if json {
                print_json(json!(made.revision));
            } else {
                println!(
                    "{}",
                    printable(&format!(
                        "Version {} of “{}” has the files of version {revision} ({}).",
                        made.revision.number,
                        made.manifest.plan.name,
                        history::changes_text(&made.revision)
                    ))
                );
            }
        }
        Command::Diff {
            user,
            slug,
            revision,
        } => {
            let diff = user_session(storage, &user)?
                .revision_diff(&slug, revision)
                .await?;
            if json {
                print_json(json!(diff));
            } else {
                print!("{}", printable(&history::unified(&diff)));
            }
        }
        Command::Config { action } => {
            config::run(session(storage, Overrides::default())?, json, action).await?
        }
    }
    Ok(ExitCode::SUCCESS)
}
