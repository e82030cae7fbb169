//! The JSON errors take on their way to the UI and `--json` output, pinned by snapshots: a
//! renamed code, a moved `fix_in` or a reworded message shows up as a reviewed diff.

use bucketforge_engine::generate::GenerationEvent;
use bucketforge_engine::session::{ProjectListItem, RunActivity};
use bucketforge_engine::store::ProjectStatus;
use bucketforge_engine::{Access, Error, ErrorCode, ServiceDetail};

/// The storage service's own words, as an S3 error carries them.
fn detail(status: u16, code: &str, message: &str) -> ServiceDetail {
    ServiceDetail {
        code: Some(code.into()),
        message: Some(message.into()),
        status: Some(status),
    }
}

fn denied(access: Access) -> Error {
    Error::AccessDenied {
        bucket: "team-apps".into(),
        prefix: "projects/alice/".into(),
        access,
        detail: detail(403, "AccessDenied", "Access Denied"),
    }
}

/// A representative error for every code. The match has no wildcard, so a new code does not
/// compile until it has an example here (and so a snapshot).
fn example(code: ErrorCode) -> Error {
    let provider = || "OpenAI".to_string();
    let slug = || "todo-list".to_string();
    match code {
        ErrorCode::InvalidName => Error::InvalidName {
            what: "project name",
            value: "---".into(),
            reason: "it has no letters or digits",
        },
        ErrorCode::InvalidPath => Error::InvalidPath {
            path: "../etc/passwd".into(),
            reason: "it climbs out of the project".into(),
        },
        ErrorCode::KeyringUnavailable => Error::KeyringUnavailable,
        ErrorCode::KeyringNoAnswer => Error::KeyringNoAnswer,
        ErrorCode::Keyring => Error::Keyring {
            name: "OpenAI API key".into(),
            detail: "the collection is locked".into(),
        },
        ErrorCode::EmptySecret => Error::EmptySecret {
            name: "OpenAI API key".into(),
        },
        ErrorCode::Cancelled => Error::Cancelled,
        ErrorCode::LlmConfigInvalid => Error::LlmConfigInvalid {
            reason: "the custom provider has no address".into(),
        },
        ErrorCode::LlmKeyMissing => Error::LlmKeyMissing {
            provider: provider(),
            env_var: "OPENAI_API_KEY",
        },
        ErrorCode::LlmKeyRejected => Error::LlmKeyRejected {
            provider: provider(),
            status: 401,
        },
        ErrorCode::LlmKeyNeeded => Error::LlmKeyNeeded {
            provider: provider(),
            status: 401,
        },
        ErrorCode::LlmModelUnavailable => Error::LlmModelUnavailable {
            provider: provider(),
            model: "gpt-9".into(),
        },
        ErrorCode::LlmContextTooLong => Error::LlmContextTooLong {
            provider: provider(),
            model: "gpt-4o-mini".into(),
            detail: "130000 tokens requested, 128000 allowed".into(),
        },
        ErrorCode::LlmRateLimited => Error::LlmRateLimited {
            provider: provider(),
            attempts: 6,
        },
        ErrorCode::LlmUnavailable => Error::LlmUnavailable {
            provider: provider(),
            detail: "HTTP 503".into(),
            attempts: 4,
        },
        ErrorCode::LlmUnreachable => Error::LlmUnreachable {
            provider: "Ollama".into(),
            url: "http://127.0.0.1:11434/v1".into(),
            detail: "connection refused".into(),
        },
        ErrorCode::LlmStalled => Error::LlmStalled {
            provider: provider(),
            idle: "60 s".into(),
        },
        ErrorCode::LlmStreamInterrupted => Error::LlmStreamInterrupted {
            provider: provider(),
            received_chars: 1200,
            reason: "the connection closed".into(),
        },
        ErrorCode::LlmRequestRejected => Error::LlmRequestRejected {
            provider: provider(),
            status: 400,
            detail: "unknown parameter".into(),
        },
        ErrorCode::LlmBadResponse => Error::LlmBadResponse {
            provider: provider(),
            detail: "expected server-sent events, got HTML".into(),
        },
        ErrorCode::LlmDeadlineExceeded => Error::LlmDeadlineExceeded {
            provider: provider(),
            limit: "10 min".into(),
        },
        ErrorCode::LlmAnswerTooLarge => Error::LlmAnswerTooLarge {
            provider: provider(),
            limit: "4 MiB".into(),
        },
        ErrorCode::LlmKeyNotForAddress => Error::LlmKeyNotForAddress {
            provider: provider(),
            saved_url: "https://api.openai.com/v1".into(),
            url: "https://proxy.example.com/v1".into(),
            env_var: "OPENAI_API_KEY",
        },
        ErrorCode::InvalidStoreSettings => Error::InvalidStoreSettings {
            reason: "the bucket name is empty".into(),
        },
        ErrorCode::NoCredentials => Error::NoCredentials {
            detail: "no access key in Settings or the environment".into(),
        },
        ErrorCode::BucketNotFound => Error::BucketNotFound {
            bucket: "team-apps".into(),
        },
        ErrorCode::AccessDeniedList => denied(Access::List),
        ErrorCode::AccessDeniedRead => denied(Access::Read),
        ErrorCode::AccessDeniedWrite => denied(Access::Write),
        ErrorCode::AccessDeniedDelete => denied(Access::Delete),
        ErrorCode::AccessDeniedCopy => denied(Access::Copy),
        ErrorCode::PermissionsMissing => Error::PermissionsMissing {
            bucket: "team-apps".into(),
            prefix: "projects/alice/".into(),
            missing: vec![Access::List, Access::Copy],
        },
        ErrorCode::WrongRegion => Error::WrongRegion {
            bucket: "team-apps".into(),
            configured: "us-east-1".into(),
            actual: Some("eu-west-3".into()),
        },
        ErrorCode::BadSignature => Error::BadSignature {
            detail: detail(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            ),
        },
        ErrorCode::UnknownAccessKey => Error::UnknownAccessKey {
            access_key_id: "AKIAEXAMPLE".into(),
            detail: detail(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
            ),
        },
        ErrorCode::EndpointUnreachable => Error::EndpointUnreachable {
            endpoint: "https://s3.example.com".into(),
            detail: "dns error".into(),
        },
        ErrorCode::ConnectionLost => Error::ConnectionLost {
            endpoint: "https://s3.example.com".into(),
            operation: "uploading “backend/main.py”".into(),
            detail: "connection reset".into(),
        },
        ErrorCode::StorageTimeout => Error::StorageTimeout {
            operation: "listing projects".into(),
        },
        ErrorCode::StorageBusy => Error::StorageBusy {
            operation: "uploading “backend/main.py”".into(),
            detail: detail(503, "SlowDown", "Please reduce your request rate."),
        },
        ErrorCode::StorageFailed => Error::StorageFailed {
            operation: "reading the project's record".into(),
            detail: detail(500, "InternalError", "We encountered an internal error."),
        },
        ErrorCode::ProjectNotFound => Error::ProjectNotFound {
            user: "alice".into(),
            slug: slug(),
        },
        ErrorCode::FileNotFound => Error::FileNotFound {
            slug: slug(),
            path: "backend/main.py".into(),
        },
        ErrorCode::ManifestConflict => Error::ManifestConflict { slug: slug() },
        ErrorCode::ManifestMissing => Error::ManifestMissing { slug: slug() },
        ErrorCode::ManifestUnreadable => Error::ManifestUnreadable {
            slug: slug(),
            reason: "expected value at line 1 column 1".into(),
        },
        ErrorCode::ManifestTooNew => Error::ManifestTooNew {
            slug: slug(),
            found: 9,
            supported: 2,
        },
        ErrorCode::DeleteIncomplete => Error::DeleteIncomplete {
            slug: slug(),
            deleted: 12,
            key: "projects/alice/todo-list/backend/main.py".into(),
            detail: detail(403, "AccessDenied", "Access Denied"),
        },
        ErrorCode::LocalBucketFailed => Error::LocalBucketFailed {
            dir: "/home/alice/.local/share/bucketforge/bucket".into(),
            reason: "no space left on device".into(),
        },
        ErrorCode::LocalBucketNotStarted => Error::LocalBucketNotStarted,
        ErrorCode::NotConfirmed => Error::NotConfirmed { what: slug() },
        ErrorCode::ExportFailed => Error::ExportFailed {
            path: "/home/alice/todo-list.zip".into(),
            reason: "permission denied".into(),
        },
        ErrorCode::ShareFailed => Error::ShareFailed {
            slug: slug(),
            reason: "“src/App.jsx” in the bucket is not the file the project recorded (its SHA-256 differs); it may have been changed outside BucketForge".into(),
        },
        ErrorCode::PlanInvalid => Error::PlanInvalid {
            problems: vec![
                "the plan has no files".into(),
                "the stack “rails” is not one BucketForge writes".into(),
            ],
        },
        ErrorCode::ProjectExists => Error::ProjectExists { slug: slug() },
        ErrorCode::NothingToResume => Error::NothingToResume { slug: slug() },
        ErrorCode::RevisionNotFound => Error::RevisionNotFound {
            slug: slug(),
            revision: 9,
        },
        ErrorCode::NothingToUndo => Error::NothingToUndo { slug: slug() },
        ErrorCode::ChangeInterrupted => Error::ChangeInterrupted { slug: slug() },
        ErrorCode::VersionMissing => Error::VersionMissing {
            slug: slug(),
            path: "frontend/src/App.jsx".into(),
            revision: 2,
        },
        ErrorCode::ChangePlanInvalid => Error::ChangePlanInvalid {
            problems: vec!["“src/Nope.jsx” is not in the project: use \"add\" for a new file".into()],
        },
        ErrorCode::EditInvalid => Error::EditInvalid {
            path: "backend/main.py".into(),
            problem: "line 3: expected an indented block".into(),
        },
        ErrorCode::ProjectBusy => Error::ProjectBusy {
            slug: slug(),
            owner: "BucketForge on alice-laptop".into(),
            secs_ago: 5,
            ttl_secs: 120,
        },
        ErrorCode::RecordNotSaved => Error::RecordNotSaved {
            slug: slug(),
            detail: "HTTP 503".into(),
        },
        ErrorCode::ProjectTakenOver => Error::ProjectTakenOver { slug: slug() },
        ErrorCode::ProjectIncomplete => Error::ProjectIncomplete {
            slug: slug(),
            landed: 4,
            planned: 9,
        },
        ErrorCode::Internal => Error::Internal {
            what: "writing “backend/main.py”".into(),
        },
        ErrorCode::ObjectTooLarge => Error::ObjectTooLarge {
            key: "projects/alice/todo-list/data.bin".into(),
            bytes: 90_000_000,
            limit: 16_777_216,
        },
        ErrorCode::FileTooLarge => Error::FileTooLarge {
            path: "frontend/src/App.jsx".into(),
            bytes: 3_000_000,
            limit: 1_048_576,
        },
        ErrorCode::FileInvalid => Error::FileInvalid {
            path: "backend/main.py".into(),
            problem: "line 3: expected an indented block".into(),
        },
        ErrorCode::FileTruncated => Error::FileTruncated {
            path: "frontend/src/App.jsx".into(),
        },
        ErrorCode::NoHomeDirectory => Error::NoHomeDirectory,
        ErrorCode::SettingsUnreadable => Error::SettingsUnreadable {
            path: "/home/alice/.config/bucketforge/settings.json".into(),
            backup: "/home/alice/.config/bucketforge/settings.json.bad".into(),
            reason: "expected `,` at line 4".into(),
        },
        ErrorCode::SettingsIo => Error::SettingsIo {
            path: "/home/alice/.config/bucketforge/settings.json".into(),
            detail: "read-only file system".into(),
        },
        ErrorCode::InvalidSettings => Error::InvalidSettings {
            reason: "files written at once must be between 1 and 16".into(),
        },
        ErrorCode::UpdateAddressInvalid => Error::UpdateAddressInvalid {
            address: "http://updates.example.com/latest.json".into(),
            reason: "it must start with https:// (plain http is only for this computer)".into(),
        },
        ErrorCode::UpdateUnreachable => Error::UpdateUnreachable {
            address: "https://releases.bucketforge.app/latest.json".into(),
            detail: "the connection was refused".into(),
        },
        ErrorCode::UpdateUnreadable => Error::UpdateUnreadable {
            address: "https://releases.bucketforge.app/latest.json".into(),
            detail: "it has no download for linux-x86_64".into(),
        },
        ErrorCode::UpdateSignatureInvalid => Error::UpdateSignatureInvalid {
            version: "0.2.0".into(),
            detail: "the signature does not match the file".into(),
        },
        ErrorCode::UpdateInstallFailed => Error::UpdateInstallFailed {
            version: "0.2.0".into(),
            detail: "the download is not an AppImage".into(),
        },
        ErrorCode::UpdateNotChecked => Error::UpdateNotChecked,
    }
}

/// Pinned snapshots live in tests/snapshots/error_reports/, one file per code.
fn pinned(path: &str, check: impl FnOnce()) {
    insta::with_settings!({
        snapshot_path => format!("snapshots/{path}"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        check();
    });
}

#[test]
fn every_error_code_has_a_pinned_report() {
    pinned("error_reports", || {
        for code in ErrorCode::all() {
            insta::assert_json_snapshot!(code.as_str(), example(code).to_report());
        }
    });
}

#[test]
fn every_error_code_is_reached_by_its_example_with_a_message_and_a_place_to_fix_it() {
    let mut counted = 0;
    for code in ErrorCode::all() {
        let error = example(code);
        assert_eq!(
            error.code(),
            code,
            "the example for {code} carries another code"
        );
        let report = error.to_report();
        assert!(
            !report.message.trim().is_empty(),
            "{code} has an empty message"
        );
        assert_eq!(report.fix_in, code.fix_in(), "{code}");
        let json = serde_json::to_value(&report).unwrap();
        assert!(
            matches!(
                json["fix_in"].as_str(),
                Some("storage_settings" | "llm_settings" | "settings" | "none")
            ),
            "{code}: {json}"
        );
        counted += 1;
    }
    assert!(counted > 50, "only {counted} codes were walked");
}

#[test]
fn a_code_serialises_to_the_same_name_the_cli_and_tests_compare_with() {
    for code in ErrorCode::all() {
        assert_eq!(
            serde_json::to_value(code).unwrap(),
            serde_json::json!(code.as_str()),
        );
        assert_eq!(code, code.as_str());
        assert_eq!(code.to_string(), code.as_str());
    }
}

#[test]
fn a_failed_file_event_carries_the_code_and_the_message() {
    let event = GenerationEvent::FileFailed {
        path: "backend/main.py".into(),
        error: example(ErrorCode::FileInvalid).to_report(),
    };
    pinned("events", || {
        insta::assert_json_snapshot!("file_failed", event)
    });
}

#[test]
fn a_project_row_with_an_unreadable_record_carries_the_code_and_the_message() {
    let row = |slug: &str, problem: Error| ProjectListItem {
        slug: slug.into(),
        name: slug.into(),
        status: None,
        files: 0,
        bytes: 0,
        updated_at: None,
        idea: None,
        problem: Some(problem.to_report()),
        activity: None,
    };
    let missing = row("todo-list", example(ErrorCode::ManifestMissing));
    let too_new = row("notes", example(ErrorCode::ManifestTooNew));
    pinned("projects", || {
        insta::assert_json_snapshot!("project_without_record", missing);
        insta::assert_json_snapshot!("project_with_newer_record", too_new);
    });
    let listed = ProjectListItem {
        slug: "todo-list".into(),
        name: "Todo List".into(),
        status: Some(ProjectStatus::Generating),
        files: 3,
        bytes: 2048,
        updated_at: Some("2026-01-02T03:04:05Z".into()),
        idea: Some("A todo list".into()),
        problem: None,
        activity: Some(RunActivity {
            owner: "BucketForge on alice-laptop".into(),
            seconds_since_check_in: 4,
            ttl_secs: 120,
            interrupted: false,
        }),
    };
    pinned("projects", || {
        insta::assert_json_snapshot!("project_readable", listed)
    });
}
