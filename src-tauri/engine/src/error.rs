//! The engine's one error type: each variant says what went wrong and what the user can do.

use std::fmt;

use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the storage refused to let us do, so a denial can say which permission is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    List,
    Read,
    Write,
    Delete,
    /// A server-side copy: a read of one object and a write of another, in one request.
    Copy,
}

impl Access {
    fn verb(self) -> &'static str {
        match self {
            Access::List => "list",
            Access::Read => "read",
            Access::Write => "write",
            Access::Delete => "delete",
            Access::Copy => "copy",
        }
    }

    /// "write to", as in "this access key may not write to “projects/bob/”".
    fn with_place(self) -> &'static str {
        match self {
            Access::List => "list what is in",
            Access::Read => "read from",
            Access::Write => "write to",
            Access::Delete => "delete from",
            Access::Copy => "copy files within",
        }
    }

    fn permission(self) -> &'static str {
        match self {
            Access::List => "s3:ListBucket",
            Access::Read => "s3:GetObject",
            Access::Write => "s3:PutObject",
            Access::Delete => "s3:DeleteObject",
            Access::Copy => "s3:GetObject and s3:PutObject",
        }
    }
}

/// "list, read or copy": the things refused, in the order they were tried.
fn verbs(missing: &[Access]) -> String {
    spoken_list(&missing.iter().map(|a| a.verb()).collect::<Vec<_>>(), "or")
}

/// "s3:ListBucket, s3:GetObject and s3:PutObject": each permission once.
fn permissions(missing: &[Access]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for access in missing {
        for name in access.permission().split(" and ") {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    spoken_list(&names, "and")
}

fn spoken_list(items: &[&str], last: &str) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., end] => format!("{} {last} {end}", init.join(", ")),
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verb())
    }
}

/// The storage service's own error code and message, kept because they are what a user
/// pastes into a search box. Shown after our sentence, never instead of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceDetail {
    pub code: Option<String>,
    pub message: Option<String>,
    pub status: Option<u16>,
}

impl fmt::Display for ServiceDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(status) = self.status {
            parts.push(format!("HTTP {status}"));
        }
        if let Some(code) = &self.code {
            parts.push(code.clone());
        }
        if let Some(message) = self.message.as_deref().filter(|m| !m.is_empty()) {
            parts.push(message.to_string());
        }
        if parts.is_empty() {
            f.write_str("no details from the server")
        } else {
            f.write_str(&parts.join(": "))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("“{value}” can't be used as a {what}: {reason}")]
    InvalidName {
        what: &'static str,
        value: String,
        reason: &'static str,
    },

    #[error("The file path “{path}” was rejected: {reason}")]
    InvalidPath { path: String, reason: String },

    #[error("No system keyring is available: unlock or install GNOME Keyring / KWallet")]
    KeyringUnavailable,

    #[error("The system keyring did not answer within a minute. It may be locked and waiting for its password in another window: unlock it, then try again.")]
    KeyringNoAnswer,

    #[error("The system keyring could not handle “{name}”: {detail}")]
    Keyring { name: String, detail: String },

    #[error("“{name}” was left empty: paste the key itself")]
    EmptySecret { name: String },
    #[error("The run was cancelled.")]
    Cancelled,

    #[error("The LLM provider settings are incomplete: {reason}")]
    LlmConfigInvalid { reason: String },

    #[error("No API key is set for {provider}. Add one in Settings or set {env_var}.")]
    LlmKeyMissing {
        provider: String,
        env_var: &'static str,
    },

    #[error("The API key for {provider} was rejected (HTTP {status}). Check the key in Settings; it may be mistyped, revoked or without access to this model.")]
    LlmKeyRejected { provider: String, status: u16 },

    #[error("{provider} asks for an API key (HTTP {status}), and none was sent to this address. Save the key for this address in Settings, then try again.")]
    LlmKeyNeeded { provider: String, status: u16 },

    #[error("Model {model} is not available at {provider}. Pick another model in Settings, or check its spelling.")]
    LlmModelUnavailable { provider: String, model: String },

    #[error("The request is longer than the context length of {model} at {provider} allows ({detail}). Pick a model with a larger context window or describe a smaller project.")]
    LlmContextTooLong {
        provider: String,
        model: String,
        detail: String,
    },

    #[error("{provider} kept rate limiting requests after {attempts} tries. Wait a minute and try again, or lower the number of files generated in parallel.")]
    LlmRateLimited { provider: String, attempts: u32 },

    #[error("{provider} is unavailable or overloaded ({detail}) after {attempts} tries. Try again later or pick another provider.")]
    LlmUnavailable {
        provider: String,
        detail: String,
        attempts: u32,
    },

    #[error("Could not reach {provider} at {url} ({detail}). Check the address and your network; for a local model server, check that it is running.")]
    LlmUnreachable {
        provider: String,
        url: String,
        detail: String,
    },

    #[error("{provider} stopped sending data for {idle}, twice. Try again later or pick another provider.")]
    LlmStalled { provider: String, idle: String },

    #[error("The answer from {provider} was cut off after {received_chars} characters ({reason}). The partial answer was not used; generating it again usually works.")]
    LlmStreamInterrupted {
        provider: String,
        received_chars: usize,
        reason: String,
    },

    #[error("{provider} refused the request (HTTP {status}: {detail}). Check the provider's address and model in Settings.")]
    LlmRequestRejected {
        provider: String,
        status: u16,
        detail: String,
    },

    #[error("{provider} sent an answer BucketForge could not read ({detail}). Check that the address points at an OpenAI- or Anthropic-compatible API.")]
    LlmBadResponse { provider: String, detail: String },

    #[error("{provider} is rate limiting requests and asked to wait {wait} before the next one; BucketForge waits at most {limit}. Try again later, or pick another model or provider.")]
    LlmRateLimitedFor {
        provider: String,
        wait: String,
        limit: String,
    },

    #[error("{provider} did not finish one answer within {limit}, so BucketForge stopped waiting. Try again later, or pick a faster model or provider.")]
    LlmDeadlineExceeded { provider: String, limit: String },

    #[error("The answer from {provider} grew past {limit}, the most BucketForge accepts for it, so it was stopped. Ask for a smaller app, or pick another model.")]
    LlmAnswerTooLarge { provider: String, limit: String },

    #[error("The API key saved for {provider} is sent only to {saved_url}, the address it was saved with, not to {url}. Save the new address in Settings, or enter the key again for it (the command line reads {env_var}).")]
    LlmKeyNotForAddress {
        provider: String,
        saved_url: String,
        url: String,
        env_var: &'static str,
    },
    #[error("The storage settings are incomplete or wrong: {reason}")]
    InvalidStoreSettings { reason: String },

    #[error(
        "No S3 credentials were found ({detail}). Enter an access key in Settings, set \
         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or sign in with `aws sso login`."
    )]
    NoCredentials { detail: String },

    #[error(
        "The bucket “{bucket}” does not exist. Create it with your storage provider, or fix \
         the bucket name in Settings."
    )]
    BucketNotFound { bucket: String },

    #[error(
        "This access key may not {doing} “{prefix}” in bucket “{bucket}” ({detail}). \
         Ask whoever manages the bucket to grant {permission} there, or use other keys.",
        doing = access.with_place(),
        permission = access.permission()
    )]
    AccessDenied {
        bucket: String,
        prefix: String,
        access: Access,
        detail: ServiceDetail,
    },

    #[error(
        "This access key may not {verbs} under “{prefix}” in bucket “{bucket}”: S3 refused each of these. \
         Ask whoever manages the bucket to grant {permissions} there, or use other keys.",
        verbs = verbs(missing),
        permissions = permissions(missing)
    )]
    PermissionsMissing {
        bucket: String,
        prefix: String,
        /// What was refused, in the order it was tried.
        missing: Vec<Access>,
    },

    #[error(
        "The bucket “{bucket}” is in another region than “{configured}”{actual}. Set the \
         bucket's region in Settings (or AWS_REGION).",
        actual = match actual { Some(r) => format!(" (it is in “{r}”)"), None => String::new() }
    )]
    WrongRegion {
        bucket: String,
        configured: String,
        actual: Option<String>,
    },

    #[error(
        "The secret access key does not match the access key ID ({detail}). Copy the secret \
         again from your provider; it is easy to miss a character."
    )]
    BadSignature { detail: ServiceDetail },

    #[error(
        "The storage service does not know the access key ID “{access_key_id}” ({detail}). \
         Check it in Settings, or create a new key with your provider."
    )]
    UnknownAccessKey {
        access_key_id: String,
        detail: ServiceDetail,
    },

    #[error(
        "BucketForge could not reach the storage service at {endpoint} ({detail}). Check the \
         endpoint URL and your network connection, then try again."
    )]
    EndpointUnreachable { endpoint: String, detail: String },

    #[error(
        "The connection to the storage service at {endpoint} broke off while {operation} \
         ({detail}), and retrying did not help. Check your network and try again."
    )]
    ConnectionLost {
        endpoint: String,
        operation: String,
        detail: String,
    },

    #[error(
        "The storage service took too long while {operation}, and retrying did not help. \
         Check your network, or try again when the service is less busy."
    )]
    StorageTimeout { operation: String },

    #[error(
        "The storage service is too busy ({detail}) and kept refusing, even after BucketForge \
         waited and retried, while {operation}. Wait a minute and try again."
    )]
    StorageBusy {
        operation: String,
        detail: ServiceDetail,
    },

    #[error(
        "The storage service failed while {operation} ({detail}). Try again \
         later; if it keeps happening, check the provider's status page."
    )]
    StorageFailed {
        operation: String,
        detail: ServiceDetail,
    },

    #[error("There is no project “{slug}” for user “{user}”. Check the name against the list of projects.")]
    ProjectNotFound { user: String, slug: String },

    #[error("The project “{slug}” has no file “{path}”. Check the path against the project's list of files.")]
    FileNotFound { slug: String, path: String },

    #[error(
        "The project “{slug}” was changed by another device or run while this one was saving \
         it, so nothing was overwritten. Reload the project and try again."
    )]
    ManifestConflict { slug: String },

    #[error("This project has no record yet: it may still be generating, or its run stopped without finishing.")]
    ManifestMissing { slug: String },

    #[error(
        "The record of project “{slug}” (.bucketforge/manifest.json) could not be read: \
         {reason}. Its files are still there and can still be listed, read and exported."
    )]
    ManifestUnreadable { slug: String, reason: String },

    #[error(
        "The project “{slug}” was saved by a newer BucketForge (record version {found}; this \
         one reads up to {supported}). Update BucketForge to open it."
    )]
    ManifestTooNew {
        slug: String,
        found: u32,
        supported: u32,
    },

    #[error(
        "Only {deleted} objects of project “{slug}” were deleted; “{key}” could not be \
         ({detail}). Run the delete again; if it keeps failing, check delete permissions."
    )]
    DeleteIncomplete {
        slug: String,
        deleted: u64,
        key: String,
        detail: ServiceDetail,
    },

    #[error(
        "The built-in local bucket could not start in {dir}: {reason}. Check that the folder \
         is writable and has free space, or choose your own S3 bucket in Settings."
    )]
    LocalBucketFailed { dir: String, reason: String },

    #[error(
        "The built-in local bucket is selected but not running. Restart BucketForge, or \
         choose your own S3 bucket in Settings."
    )]
    LocalBucketNotStarted,

    #[error("Nothing was deleted: deleting “{what}” was not confirmed.")]
    NotConfirmed { what: String },

    #[error(
        "The export to {path} failed: {reason}. Choose another file name or folder and try again."
    )]
    ExportFailed { path: String, reason: String },

    #[error("A link to the whole of “{slug}” could not be made: {reason}.")]
    ShareFailed { slug: String, reason: String },

    #[error("The AI's plan for this idea could not be used, even after asking it to fix it: {}. Try again, describe the idea a little differently, or pick a stronger model in Settings.", problems.join("; "))]
    PlanInvalid { problems: Vec<String> },

    #[error("A project called “{slug}” already exists in your bucket. Choose another name, or open it from Projects (Resume finishes an unfinished one).")]
    ProjectExists { slug: String },

    #[error(
        "“{slug}” is being written by {owner} right now (it last checked in {} ago), so \
         nothing was changed. Wait for that run to finish; if it has stopped, this works once \
         it has been silent for {} (or at once on the computer it ran on, once it has quit).",
        crate::spoken::spoken_age(*secs_ago),
        crate::spoken::spoken_age(*ttl_secs)
    )]
    ProjectBusy {
        slug: String,
        owner: String,
        secs_ago: u64,
        ttl_secs: u64,
    },

    #[error(
        "Every file of “{slug}” that was written is in the bucket, but the project's record \
         could not be updated ({detail}). Resume will finish it."
    )]
    RecordNotSaved { slug: String, detail: String },

    #[error(
        "Another run took over “{slug}” because this one stopped checking in for too long \
         (the computer may have been asleep). This run stopped without changing anything more."
    )]
    ProjectTakenOver { slug: String },

    #[error(
        "“{slug}” is not complete: {landed} of its {planned} files are in the bucket. Resume \
         it first, or export just the files that are there (the partial export option)."
    )]
    ProjectIncomplete {
        slug: String,
        landed: usize,
        planned: usize,
    },

    #[error(
        "“{key}” is {bytes} bytes, more than the {limit} bytes BucketForge reads at once, so it \
         was not opened. Download it straight from the bucket instead."
    )]
    ObjectTooLarge { key: String, bytes: u64, limit: u64 },

    #[error(
        "BucketForge hit an internal error while {what}. What was saved so far is kept and \
         recorded; Resume continues from there. Please report this if it happens again."
    )]
    Internal { what: String },

    #[error("“{slug}” has nothing to resume: it is already complete.")]
    NothingToResume { slug: String },

    #[error("“{slug}” has no version {revision}. Its history lists the versions there are.")]
    RevisionNotFound { slug: String, revision: u64 },

    #[error("“{slug}” has no earlier version to go back to.")]
    NothingToUndo { slug: String },

    #[error("An earlier change to “{slug}” did not finish. Resume the project to put it back as it was before that change, then try again.")]
    ChangeInterrupted { slug: String },

    #[error(
        "The earlier version of “{path}” that version {revision} of “{slug}” needs is no longer \
         in the bucket (.bucketforge/objects/ was emptied), so it could not be brought back. \
         Nothing was changed; choose another version."
    )]
    VersionMissing {
        slug: String,
        path: String,
        revision: u64,
    },

    #[error("The AI's plan for this change could not be used, even after asking it to fix it: {}. Nothing was changed. Try again, describe the change a little differently, or pick a stronger model in Settings.", problems.join("; "))]
    ChangePlanInvalid { problems: Vec<String> },

    #[error(
        "“{path}” was not saved: {problem}. Fix it and save again; the saved version is unchanged."
    )]
    EditInvalid { path: String, problem: String },

    #[error("The AI wrote {bytes} bytes for “{path}”, more than the {limit}-byte limit for one file, so it was not saved. Try again, or ask for a smaller app.")]
    FileTooLarge {
        path: String,
        bytes: u64,
        limit: u64,
    },

    #[error("“{path}” still had an error after the AI tried to fix it twice ({problem}). Resume the project to try this file again, or pick a stronger model in Settings.")]
    FileInvalid { path: String, problem: String },

    #[error("The AI's answer for “{path}” kept hitting its length limit, so the file is incomplete and was not saved. Pick a model with a larger output limit, or ask for a smaller app.")]
    FileTruncated { path: String },

    #[error("BucketForge could not find your home folder to keep its settings in. Set the HOME environment variable (or BUCKETFORGE_CONFIG_DIR) and start it again.")]
    NoHomeDirectory,

    #[error("Your settings file {path} could not be read: {reason}. A copy was kept as {backup}; BucketForge starts with default settings until you save new ones.")]
    SettingsUnreadable {
        path: String,
        backup: String,
        reason: String,
    },

    #[error("Your settings file {path} could not be saved or read ({detail}). Check that the folder exists and that you may write to it.")]
    SettingsIo { path: String, detail: String },

    #[error("These settings can't be used: {reason}.")]
    InvalidSettings { reason: String },

    #[error("The update address “{address}” can't be used: {reason}. Correct it under Updates in Settings, or leave it empty for BucketForge's own.")]
    UpdateAddressInvalid { address: String, reason: String },

    #[error("BucketForge could not reach {address} to look for a new version ({detail}). Check your internet connection and try again; the version you have keeps working.")]
    UpdateUnreachable { address: String, detail: String },

    #[error("{address} answered, but not with an update description BucketForge can read ({detail}). Check the update address under Updates in Settings, or try again later.")]
    UpdateUnreadable { address: String, detail: String },

    #[error("The download of version {version} does not carry BucketForge's signature ({detail}), so it was not installed and nothing changed. Try again later; if it keeps happening, download BucketForge from its website instead.")]
    UpdateSignatureInvalid { version: String, detail: String },

    #[error("Version {version} was downloaded but could not be installed ({detail}). The version you have is unchanged and keeps working; try again, or download the new installer from BucketForge's website.")]
    UpdateInstallFailed { version: String, detail: String },

    #[error("There is no new version waiting to be installed. Press Check for updates first.")]
    UpdateNotChecked,
}

impl Error {
    /// A stable code the UI and `--json` output switch on; the message is for people.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidName { .. } => ErrorCode::InvalidName,
            Error::InvalidPath { .. } => ErrorCode::InvalidPath,
            Error::KeyringUnavailable => ErrorCode::KeyringUnavailable,
            Error::KeyringNoAnswer => ErrorCode::KeyringNoAnswer,
            Error::Keyring { .. } => ErrorCode::Keyring,
            Error::EmptySecret { .. } => ErrorCode::EmptySecret,
            Error::Cancelled => ErrorCode::Cancelled,
            Error::LlmConfigInvalid { .. } => ErrorCode::LlmConfigInvalid,
            Error::LlmKeyMissing { .. } => ErrorCode::LlmKeyMissing,
            Error::LlmKeyRejected { .. } => ErrorCode::LlmKeyRejected,
            Error::LlmKeyNeeded { .. } => ErrorCode::LlmKeyNeeded,
            Error::LlmModelUnavailable { .. } => ErrorCode::LlmModelUnavailable,
            Error::LlmContextTooLong { .. } => ErrorCode::LlmContextTooLong,
            // One code for both: the UI treats them alike; the message differs.
            Error::LlmRateLimited { .. } | Error::LlmRateLimitedFor { .. } => {
                ErrorCode::LlmRateLimited
            }
            Error::LlmUnavailable { .. } => ErrorCode::LlmUnavailable,
            Error::LlmUnreachable { .. } => ErrorCode::LlmUnreachable,
            Error::LlmStalled { .. } => ErrorCode::LlmStalled,
            Error::LlmStreamInterrupted { .. } => ErrorCode::LlmStreamInterrupted,
            Error::LlmRequestRejected { .. } => ErrorCode::LlmRequestRejected,
            Error::LlmBadResponse { .. } => ErrorCode::LlmBadResponse,
            Error::LlmDeadlineExceeded { .. } => ErrorCode::LlmDeadlineExceeded,
            Error::LlmAnswerTooLarge { .. } => ErrorCode::LlmAnswerTooLarge,
            Error::LlmKeyNotForAddress { .. } => ErrorCode::LlmKeyNotForAddress,
            Error::InvalidStoreSettings { .. } => ErrorCode::InvalidStoreSettings,
            Error::NoCredentials { .. } => ErrorCode::NoCredentials,
            Error::BucketNotFound { .. } => ErrorCode::BucketNotFound,
            Error::AccessDenied { access, .. } => match access {
                Access::List => ErrorCode::AccessDeniedList,
                Access::Read => ErrorCode::AccessDeniedRead,
                Access::Write => ErrorCode::AccessDeniedWrite,
                Access::Delete => ErrorCode::AccessDeniedDelete,
                Access::Copy => ErrorCode::AccessDeniedCopy,
            },
            Error::PermissionsMissing { .. } => ErrorCode::PermissionsMissing,
            Error::WrongRegion { .. } => ErrorCode::WrongRegion,
            Error::BadSignature { .. } => ErrorCode::BadSignature,
            Error::UnknownAccessKey { .. } => ErrorCode::UnknownAccessKey,
            Error::EndpointUnreachable { .. } => ErrorCode::EndpointUnreachable,
            Error::ConnectionLost { .. } => ErrorCode::ConnectionLost,
            Error::StorageTimeout { .. } => ErrorCode::StorageTimeout,
            Error::StorageBusy { .. } => ErrorCode::StorageBusy,
            Error::StorageFailed { .. } => ErrorCode::StorageFailed,
            Error::ProjectNotFound { .. } => ErrorCode::ProjectNotFound,
            Error::FileNotFound { .. } => ErrorCode::FileNotFound,
            Error::ManifestConflict { .. } => ErrorCode::ManifestConflict,
            Error::ManifestMissing { .. } => ErrorCode::ManifestMissing,
            Error::ManifestUnreadable { .. } => ErrorCode::ManifestUnreadable,
            Error::ManifestTooNew { .. } => ErrorCode::ManifestTooNew,
            Error::DeleteIncomplete { .. } => ErrorCode::DeleteIncomplete,
            Error::LocalBucketFailed { .. } => ErrorCode::LocalBucketFailed,
            Error::LocalBucketNotStarted => ErrorCode::LocalBucketNotStarted,
            Error::NotConfirmed { .. } => ErrorCode::NotConfirmed,
            Error::ShareFailed { .. } => ErrorCode::ShareFailed,
            Error::ExportFailed { .. } => ErrorCode::ExportFailed,
            Error::PlanInvalid { .. } => ErrorCode::PlanInvalid,
            Error::ProjectExists { .. } => ErrorCode::ProjectExists,
            Error::NothingToResume { .. } => ErrorCode::NothingToResume,
            Error::RevisionNotFound { .. } => ErrorCode::RevisionNotFound,
            Error::NothingToUndo { .. } => ErrorCode::NothingToUndo,
            Error::ChangeInterrupted { .. } => ErrorCode::ChangeInterrupted,
            Error::VersionMissing { .. } => ErrorCode::VersionMissing,
            Error::ChangePlanInvalid { .. } => ErrorCode::ChangePlanInvalid,
            Error::EditInvalid { .. } => ErrorCode::EditInvalid,
            Error::ProjectBusy { .. } => ErrorCode::ProjectBusy,
            Error::RecordNotSaved { .. } => ErrorCode::RecordNotSaved,
            Error::ProjectTakenOver { .. } => ErrorCode::ProjectTakenOver,
            Error::ProjectIncomplete { .. } => ErrorCode::ProjectIncomplete,
            Error::Internal { .. } => ErrorCode::Internal,
            Error::ObjectTooLarge { .. } => ErrorCode::ObjectTooLarge,
            Error::FileTooLarge { .. } => ErrorCode::FileTooLarge,
            Error::FileInvalid { .. } => ErrorCode::FileInvalid,
            Error::FileTruncated { .. } => ErrorCode::FileTruncated,
            Error::NoHomeDirectory => ErrorCode::NoHomeDirectory,
            Error::SettingsUnreadable { .. } => ErrorCode::SettingsUnreadable,
            Error::SettingsIo { .. } => ErrorCode::SettingsIo,
            Error::InvalidSettings { .. } => ErrorCode::InvalidSettings,
            Error::UpdateAddressInvalid { .. } => ErrorCode::UpdateAddressInvalid,
            Error::UpdateUnreachable { .. } => ErrorCode::UpdateUnreachable,
            Error::UpdateUnreadable { .. } => ErrorCode::UpdateUnreadable,
            Error::UpdateSignatureInvalid { .. } => ErrorCode::UpdateSignatureInvalid,
            Error::UpdateInstallFailed { .. } => ErrorCode::UpdateInstallFailed,
            Error::UpdateNotChecked => ErrorCode::UpdateNotChecked,
        }
    }

    /// `{ code, message, fix_in }`, the shape every command error takes on its way to the UI.
    pub fn to_report(&self) -> ErrorReport {
        let code = self.code();
        ErrorReport {
            code,
            message: self.to_string(),
            fix_in: code.fix_in(),
        }
    }
}

/// Every code an [`Error`] can carry: the closed set the UI and `--json` output switch on.
/// The wire names (snake_case) never change once shipped; a new kind of error gets a new code.
// `strum` gives the same names as `&'static str` without going through serde, and the list of
// every code without writing it a second time (the tests walk it).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    ts_rs::TS,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    InvalidName,
    InvalidPath,
    KeyringUnavailable,
    KeyringNoAnswer,
    Keyring,
    EmptySecret,
    Cancelled,
    LlmConfigInvalid,
    LlmKeyMissing,
    LlmKeyRejected,
    LlmKeyNeeded,
    LlmModelUnavailable,
    LlmContextTooLong,
    LlmRateLimited,
    LlmUnavailable,
    LlmUnreachable,
    LlmStalled,
    LlmStreamInterrupted,
    LlmRequestRejected,
    LlmBadResponse,
    LlmDeadlineExceeded,
    LlmAnswerTooLarge,
    LlmKeyNotForAddress,
    InvalidStoreSettings,
    NoCredentials,
    BucketNotFound,
    AccessDeniedList,
    AccessDeniedRead,
    AccessDeniedWrite,
    AccessDeniedDelete,
    AccessDeniedCopy,
    PermissionsMissing,
    WrongRegion,
    BadSignature,
    UnknownAccessKey,
    EndpointUnreachable,
    ConnectionLost,
    StorageTimeout,
    StorageBusy,
    StorageFailed,
    ProjectNotFound,
    FileNotFound,
    ManifestConflict,
    ManifestMissing,
    ManifestUnreadable,
    ManifestTooNew,
    DeleteIncomplete,
    LocalBucketFailed,
    LocalBucketNotStarted,
    NotConfirmed,
    ExportFailed,
    ShareFailed,
    PlanInvalid,
    ProjectExists,
    NothingToResume,
    RevisionNotFound,
    NothingToUndo,
    ChangeInterrupted,
    VersionMissing,
    ChangePlanInvalid,
    EditInvalid,
    ProjectBusy,
    RecordNotSaved,
    ProjectTakenOver,
    ProjectIncomplete,
    Internal,
    ObjectTooLarge,
    FileTooLarge,
    FileInvalid,
    FileTruncated,
    NoHomeDirectory,
    SettingsUnreadable,
    SettingsIo,
    InvalidSettings,
    UpdateAddressInvalid,
    UpdateUnreachable,
    UpdateUnreadable,
    UpdateSignatureInvalid,
    UpdateInstallFailed,
    UpdateNotChecked,
}

/// Where the user fixes an error: the UI turns this into its "Open Settings" action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FixIn {
    /// Settings → Storage: the bucket, its address, region or keys.
    StorageSettings,
    /// Settings → AI provider: the provider, its address, key or model.
    LlmSettings,
    /// Settings as a whole: the saved settings file or the keyring that holds the keys.
    Settings,
    /// Nothing in Settings helps: the message says what to do.
    None,
}

impl ErrorCode {
    /// The wire name, e.g. `"bucket_not_found"`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Every code, in declaration order.
    pub fn all() -> impl Iterator<Item = ErrorCode> {
        <ErrorCode as strum::IntoEnumIterator>::iter()
    }

    /// Where the user goes to fix an error with this code.
    pub fn fix_in(self) -> FixIn {
        use ErrorCode::*;
        match self {
            InvalidStoreSettings
            | NoCredentials
            | BucketNotFound
            | AccessDeniedList
            | AccessDeniedRead
            | AccessDeniedWrite
            | AccessDeniedDelete
            | AccessDeniedCopy
            | PermissionsMissing
            | WrongRegion
            | BadSignature
            | UnknownAccessKey
            | EndpointUnreachable
            | LocalBucketFailed
            | LocalBucketNotStarted => FixIn::StorageSettings,
            LlmConfigInvalid | LlmKeyMissing | LlmKeyRejected | LlmKeyNeeded
            | LlmModelUnavailable | LlmUnreachable | LlmRequestRejected | LlmBadResponse
            | LlmKeyNotForAddress => FixIn::LlmSettings,
            KeyringUnavailable | Keyring | SettingsUnreadable | InvalidSettings
            | UpdateAddressInvalid | UpdateUnreadable => FixIn::Settings,
            InvalidName
            | InvalidPath
            | KeyringNoAnswer
            | EmptySecret
            | Cancelled
            | LlmContextTooLong
            | LlmRateLimited
            | LlmUnavailable
            | LlmStalled
            | LlmStreamInterrupted
            | LlmDeadlineExceeded
            | LlmAnswerTooLarge
            | ConnectionLost
            | StorageTimeout
            | StorageBusy
            | StorageFailed
            | ProjectNotFound
            | FileNotFound
            | ManifestConflict
            | ManifestMissing
            | ManifestUnreadable
            | ManifestTooNew
            | DeleteIncomplete
            | NotConfirmed
            | ExportFailed
            | ShareFailed
            | PlanInvalid
            | ProjectExists
            | NothingToResume
            | RevisionNotFound
            | NothingToUndo
            | ChangeInterrupted
            | VersionMissing
            | ChangePlanInvalid
            | EditInvalid
            | ProjectBusy
            | RecordNotSaved
            | ProjectTakenOver
            | ProjectIncomplete
            | Internal
            | ObjectTooLarge
            | FileTooLarge
            | FileInvalid
            | FileTruncated
            | NoHomeDirectory
            | SettingsIo
            | UpdateUnreachable
            | UpdateSignatureInvalid
            | UpdateInstallFailed
            | UpdateNotChecked => FixIn::None,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lets tests and scripts compare a code with its wire name: `err.code() == "bucket_not_found"`.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// `{ code, message, fix_in }`: how every error reaches the UI and `--json` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ErrorReport {
    pub code: ErrorCode,
    /// For people, shown as written.
    pub message: String,
    pub fix_in: FixIn,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denial_names_the_missing_permission_and_keeps_the_service_code() {
        let err = Error::AccessDenied {
            bucket: "team".into(),
            prefix: "projects/alice/".into(),
            access: Access::Write,
            detail: ServiceDetail {
                code: Some("AccessDenied".into()),
                message: Some("Access Denied".into()),
                status: Some(403),
            },
        };
        let text = err.to_string();
        assert_eq!(err.code(), "access_denied_write");
        assert!(text.contains("s3:PutObject"), "{text}");
        assert!(
            text.contains("HTTP 403: AccessDenied: Access Denied"),
            "{text}"
        );
        assert!(text.contains("projects/alice/"), "{text}");
    }

    #[test]
    fn missing_permissions_are_listed_together_each_once() {
        let err = Error::PermissionsMissing {
            bucket: "team".into(),
            prefix: "projects/alice/".into(),
            missing: vec![Access::List, Access::Read, Access::Copy],
        };
        assert_eq!(err.code(), "permissions_missing");
        assert_eq!(
            err.to_string(),
            "This access key may not list, read or copy under “projects/alice/” in bucket “team”: S3 refused each of these. \
             Ask whoever manages the bucket to grant s3:ListBucket, s3:GetObject and s3:PutObject there, or use other keys."
        );
        let one = Error::AccessDenied {
            bucket: "team".into(),
            prefix: "projects/bob/".into(),
            access: Access::Write,
            detail: ServiceDetail::default(),
        };
        assert!(
            one.to_string()
                .starts_with("This access key may not write to “projects/bob/” in bucket “team”"),
            "{one}"
        );
    }

    #[test]
    fn a_wrong_region_says_where_the_bucket_is_when_known() {
        let known = Error::WrongRegion {
            bucket: "b".into(),
            configured: "us-east-1".into(),
            actual: Some("eu-west-3".into()),
        };
        assert!(known.to_string().contains("it is in “eu-west-3”"));
        let unknown = Error::WrongRegion {
            bucket: "b".into(),
            configured: "us-east-1".into(),
            actual: None,
        };
        assert!(!unknown.to_string().contains("it is in"));
    }
}
