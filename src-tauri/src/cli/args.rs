//! The command line's arguments: what each command takes, and the overrides they make.

use std::path::PathBuf;

use bucketforge_engine::llm::ProviderKind;
use bucketforge_engine::plan::Stack;
use bucketforge_engine::session::Overrides;
use bucketforge_engine::store::{StoreConfigLayer, UserId};
use bucketforge_engine::Result;
use clap::{Args, Parser, Subcommand};

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
    /// Print a link that downloads a project: the whole project as a zip, or one file with --file
    Share {
        #[command(flatten)]
        user: UserArg,
        slug: String,
        /// Link to this one file of the project instead
        #[arg(long, value_name = "PATH")]
        file: Option<String>,
        /// How long the link works, e.g. 1h, 12h, 3days (from 1 minute to 7 days)
        #[arg(long, default_value = "1day", value_parser = humantime::parse_duration)]
        expires: std::time::Duration,
    },
    /// Check that the storage settings work: list, write, read, copy and delete a test object
    Check {
        #[command(flatten)]
        user: UserArg,
    },
    /// Print the IAM policy that lets one person use BucketForge in their own prefix of the bucket, and nothing else
    Policy {
        /// Whose policy: the user id they will set in BucketForge
        #[arg(long, value_name = "USER")]
        user: String,
    },
    /// Check that a project's files fit together: imports, packages and API calls
    Verify {
        #[command(flatten)]
        user: UserArg,
        slug: String,
    },
    /// Generate a project from an idea, straight into the bucket
    Generate(GenerateArgs),
    /// Finish a failed or cancelled project: keep what landed, write the rest
    Resume {
        #[command(flatten)]
        user: UserArg,
        slug: String,
        #[command(flatten)]
        llm: LlmArgs,
    },
    /// Change a project by asking: only the files the change needs are rewritten, and the
    /// version before stays restorable
    Change {
        #[command(flatten)]
        user: UserArg,
        slug: String,
        /// What to change, in your words, e.g. "Add a due date to each task"
        #[arg(long, value_name = "TEXT")]
        request: String,
        #[command(flatten)]
        llm: LlmArgs,
    },
    /// List every version of a project: what was asked, what changed, when
    History {
        #[command(flatten)]
        user: UserArg,
        slug: String,
    },
    /// Bring back the files of an earlier version, as a new version (nothing is lost)
    Restore {
        #[command(flatten)]
        user: UserArg,
        slug: String,
        /// The version to bring back (see `bucketforge history`)
        #[arg(long, value_name = "N")]
        revision: u64,
    },
    /// Show what a version changed against the one before it, as a unified diff
    Diff {
        #[command(flatten)]
        user: UserArg,
        slug: String,
        /// The version to show (see `bucketforge history`)
        #[arg(long, value_name = "N")]
        revision: u64,
    },
    /// Show or change the saved settings and the secrets in the OS keyring
    Config {
        #[command(subcommand)]
        action: ConfigCommand,
    },
}

impl StorageArgs {
    pub fn layer(&self) -> StoreConfigLayer {
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

impl UserArg {
    /// The user named with `--user`, checked.
    pub fn user_id(&self) -> Result<Option<UserId>> {
        self.user.as_deref().map(UserId::new).transpose()
    }
}

/// Which model writes the project; each flag overrides the saved settings.
#[derive(Debug, Args)]
pub struct LlmArgs {
    /// openai, anthropic, gemini, openrouter, ollama, lmstudio or custom [env: BUCKETFORGE_PROVIDER]
    #[arg(long)]
    pub provider: Option<ProviderKind>,
    /// The model to use [env: BUCKETFORGE_MODEL]
    #[arg(long)]
    pub model: Option<String>,
    /// The provider's API address, for local or self-hosted servers [env: BUCKETFORGE_LLM_BASE_URL]
    #[arg(long, value_name = "URL")]
    pub llm_base_url: Option<String>,
    /// Files written at once (default 6)
    #[arg(long, value_parser = clap::value_parser!(u32).range(bucketforge_engine::limits::CONCURRENCY_RANGE))]
    pub concurrency: Option<u32>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The app you want, in your own words
    #[arg(long)]
    pub idea: String,
    /// The project's name (default: the name the plan gives it)
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub user: UserArg,
    /// fastapi-react (a Python backend and a React frontend) or react (frontend only)
    #[arg(long, default_value = "fastapi-react")]
    pub stack: Stack,
    #[command(flatten)]
    pub llm: LlmArgs,
}

impl LlmArgs {
    /// What these flags and `--user` say on top of the saved settings.
    pub fn overrides(&self, user: &UserArg) -> Result<Overrides> {
        Ok(Overrides {
            user: user.user_id()?,
            provider: self.provider,
            model: self.model.clone(),
            llm_base_url: self.llm_base_url.clone(),
            concurrency: self.concurrency,
            ..Overrides::default()
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the settings; secrets only as "set" or "not set"
    Show,
    /// Change one setting, e.g. `config set storage.bucket my-apps`
    Set {
        /// storage.kind, storage.bucket, storage.region, storage.endpoint, storage.path_style,
        /// storage.access_key_id, storage.aws_profile, user_id, llm.provider, llm.model,
        /// llm.base_url or concurrency
        key: String,
        value: String,
    },
    /// Save a secret in the OS keyring, read from standard input
    SetSecret {
        /// s3-secret-key, or <provider>-api-key (openai-api-key, anthropic-api-key, …)
        name: String,
    },
    /// Remove a secret from the OS keyring
    DeleteSecret { name: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

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
