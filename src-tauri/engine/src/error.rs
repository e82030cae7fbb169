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
}

impl Access {
    fn verb(self) -> &'static str {
        match self {
            Access::List => "list",
            Access::Read => "read",
            Access::Write => "write",
            Access::Delete => "delete",
        }
    }

    fn permission(self) -> &'static str {
        match self {
            Access::List => "s3:ListBucket",
            Access::Read => "s3:GetObject",
            Access::Write => "s3:PutObject",
            Access::Delete => "s3:DeleteObject",
        }
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
        "The bucket “{bucket}” refused to let BucketForge {access} under “{prefix}” ({detail}). \
         Ask whoever manages it to grant {permission} on that prefix, or use other keys.",
        permission = access.permission()
    )]
    AccessDenied {
        bucket: String,
        prefix: String,
        access: Access,
        detail: ServiceDetail,
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

    #[error("The AI's plan for this idea could not be used, even after asking it to fix it: {}. Try again, describe the idea a little differently, or pick a stronger model in Settings.", problems.join("; "))]
    PlanInvalid { problems: Vec<String> },

    #[error("A project called “{slug}” already exists in your bucket. Choose another name, or open it from Projects (Resume finishes an unfinished one).")]
    ProjectExists { slug: String },

    #[error(
        "“{slug}” is being written by {owner} right now (it last checked in {} ago), so \
         nothing was changed. Wait for that run to finish; if it has stopped, this works once \
         it has been silent for {} (or at once on the computer it ran on, once it has quit).",
        crate::store::lease::spoken_age(*secs_ago),
        crate::store::lease::spoken_age(*ttl_secs)
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

    #[error("“{slug}” has nothing to resume: it is {}.", match status { crate::store::ProjectStatus::Complete => "already complete", _ => "being generated right now (on this or another device)" })]
    NothingToResume {
        slug: String,
        status: crate::store::ProjectStatus,
    },

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
}

impl Error {
    /// A stable code the UI and `--json` output switch on; the message is for people.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidName { .. } => "invalid_name",
            Error::InvalidPath { .. } => "invalid_path",
            Error::KeyringUnavailable => "keyring_unavailable",
            Error::KeyringNoAnswer => "keyring_no_answer",
            Error::Keyring { .. } => "keyring",
            Error::EmptySecret { .. } => "empty_secret",
            Error::Cancelled => "cancelled",
            Error::LlmConfigInvalid { .. } => "llm_config_invalid",
            Error::LlmKeyMissing { .. } => "llm_key_missing",
            Error::LlmKeyRejected { .. } => "llm_key_rejected",
            Error::LlmKeyNeeded { .. } => "llm_key_needed",
            Error::LlmModelUnavailable { .. } => "llm_model_unavailable",
            Error::LlmContextTooLong { .. } => "llm_context_too_long",
            Error::LlmRateLimited { .. } => "llm_rate_limited",
            Error::LlmUnavailable { .. } => "llm_unavailable",
            Error::LlmUnreachable { .. } => "llm_unreachable",
            Error::LlmStalled { .. } => "llm_stalled",
            Error::LlmStreamInterrupted { .. } => "llm_stream_interrupted",
            Error::LlmRequestRejected { .. } => "llm_request_rejected",
            Error::LlmBadResponse { .. } => "llm_bad_response",
            // The same code as `LlmRateLimited`: the UI treats both alike; the message differs.
            Error::LlmRateLimitedFor { .. } => "llm_rate_limited",
            Error::LlmDeadlineExceeded { .. } => "llm_deadline_exceeded",
            Error::LlmAnswerTooLarge { .. } => "llm_answer_too_large",
            Error::LlmKeyNotForAddress { .. } => "llm_key_not_for_address",
            Error::InvalidStoreSettings { .. } => "invalid_store_settings",
            Error::NoCredentials { .. } => "no_credentials",
            Error::BucketNotFound { .. } => "bucket_not_found",
            Error::AccessDenied { access, .. } => match access {
                Access::List => "access_denied_list",
                Access::Read => "access_denied_read",
                Access::Write => "access_denied_write",
                Access::Delete => "access_denied_delete",
            },
            Error::WrongRegion { .. } => "wrong_region",
            Error::BadSignature { .. } => "bad_signature",
            Error::UnknownAccessKey { .. } => "unknown_access_key",
            Error::EndpointUnreachable { .. } => "endpoint_unreachable",
            Error::ConnectionLost { .. } => "connection_lost",
            Error::StorageTimeout { .. } => "storage_timeout",
            Error::StorageBusy { .. } => "storage_busy",
            Error::StorageFailed { .. } => "storage_failed",
            Error::ProjectNotFound { .. } => "project_not_found",
            Error::FileNotFound { .. } => "file_not_found",
            Error::ManifestConflict { .. } => "manifest_conflict",
            Error::ManifestUnreadable { .. } => "manifest_unreadable",
            Error::ManifestTooNew { .. } => "manifest_too_new",
            Error::DeleteIncomplete { .. } => "delete_incomplete",
            Error::LocalBucketFailed { .. } => "local_bucket_failed",
            Error::LocalBucketNotStarted => "local_bucket_not_started",
            Error::NotConfirmed { .. } => "not_confirmed",
            Error::ExportFailed { .. } => "export_failed",
            Error::PlanInvalid { .. } => "plan_invalid",
            Error::ProjectExists { .. } => "project_exists",
            Error::NothingToResume { .. } => "nothing_to_resume",
            Error::ProjectBusy { .. } => "project_busy",
            Error::RecordNotSaved { .. } => "record_not_saved",
            Error::ProjectTakenOver { .. } => "project_taken_over",
            Error::ProjectIncomplete { .. } => "project_incomplete",
            Error::Internal { .. } => "internal",
            Error::ObjectTooLarge { .. } => "object_too_large",
            Error::FileTooLarge { .. } => "file_too_large",
            Error::FileInvalid { .. } => "file_invalid",
            Error::FileTruncated { .. } => "file_truncated",
            Error::NoHomeDirectory => "no_home_directory",
            Error::SettingsUnreadable { .. } => "settings_unreadable",
            Error::SettingsIo { .. } => "settings_io",
            Error::InvalidSettings { .. } => "invalid_settings",
        }
    }

    /// `{ code, message }`, the shape every command error takes on its way to the UI.
    pub fn to_report(&self) -> ErrorReport {
        ErrorReport {
            code: self.code().to_string(),
            message: self.to_string(),
        }
    }
}

/// `{ code, message }`: how every error reaches the UI and `--json` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ErrorReport {
    pub code: String,
    pub message: String,
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
