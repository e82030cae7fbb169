//! The text Settings' "Copy diagnostics" puts on the clipboard, for a user asking for help:
//! version, system, settings (secrets only as saved or not) and the last lines of the log.

use std::fmt::Write as _;
use std::path::Path;

use bucketforge_engine::session::{providers, SettingsView};

/// Log lines in a report.
pub const LOG_LINES: usize = 200;

/// The report, scrubbed of every secret this process knows (reading the settings view has
/// just read each saved secret, so all of them).
pub fn report(view: &SettingsView, log_dir: Option<&Path>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "BucketForge {}", bucketforge_engine::VERSION);
    let _ = writeln!(
        out,
        "System: {} {} ({})",
        std::env::consts::OS,
        std::env::consts::ARCH,
        std::env::consts::FAMILY
    );
    let settings = serde_json::to_string_pretty(&view.settings)
        .unwrap_or_else(|e| format!("(the settings could not be written out: {e})"));
    let _ = writeln!(out, "\nSettings:\n{settings}");
    if let Some(error) = &view.settings_error {
        let _ = writeln!(out, "Settings file problem: {}", error.message);
    }
    let _ = writeln!(out, "\nSecrets (in the OS keyring; never shown):");
    let saved = |yes: bool| if yes { "saved" } else { "not saved" };
    let _ = writeln!(
        out,
        "  storage secret key: {}",
        saved(view.secrets.storage_secret_key)
    );
    for provider in providers() {
        let yes = view.secrets.llm_api_keys.contains(&provider.kind);
        let _ = writeln!(out, "  {} API key: {}", provider.name, saved(yes));
    }
    if let Some(error) = &view.secrets.keyring_error {
        let _ = writeln!(out, "  keyring problem: {}", error.message);
    }
    match log_dir {
        None => {
            let _ = writeln!(out, "\nLog: none (the log folder could not be opened)");
        }
        Some(dir) => {
            let _ = writeln!(out, "\nLog folder: {}", dir.display());
            match crate::logging::last_lines(dir, LOG_LINES) {
                Ok(lines) => {
                    let _ = writeln!(out, "Last {} log lines:", lines.len());
                    for line in lines {
                        let _ = writeln!(out, "{line}");
                    }
                }
                Err(e) => {
                    let _ = writeln!(out, "The log could not be read: {e}");
                }
            }
        }
    }
    crate::scrub::scrub_text(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bucketforge_engine::llm::ProviderKind;
    use bucketforge_engine::session::SecretStatus;
    use bucketforge_engine::settings::Settings;
    use bucketforge_engine::store::UserId;

    fn view() -> SettingsView {
        SettingsView {
            settings: Settings::default(),
            secrets: SecretStatus {
                storage_secret_key: false,
                llm_api_keys: vec![ProviderKind::OpenAi],
                keyring_error: None,
            },
            default_user_id: UserId::new("alice").unwrap(),
            first_run: false,
            settings_error: None,
        }
    }

    #[test]
    fn a_report_has_the_version_the_system_the_secret_slots_and_the_last_200_log_lines() {
        let dir = tempfile::tempdir().unwrap();
        let lines: String = (1..=250).map(|n| format!("INFO line {n}\n")).collect();
        std::fs::write(dir.path().join("bucketforge.2026-01-01.log"), lines).unwrap();
        let report = report(&view(), Some(dir.path()));
        assert!(report.starts_with(&format!("BucketForge {}\n", bucketforge_engine::VERSION)));
        assert!(report.contains(std::env::consts::OS), "{report}");
        assert!(report.contains("storage secret key: not saved"), "{report}");
        assert!(report.contains("OpenAI API key: saved"), "{report}");
        assert!(report.contains("\"concurrency\": 6"), "{report}");
        assert!(
            report.contains("Last 200 log lines:\nINFO line 51\n"),
            "{report}"
        );
        assert!(report.trim_end().ends_with("INFO line 250"), "{report}");
        assert!(!report.contains("INFO line 50\n"), "{report}");
    }

    #[test]
    fn a_secret_in_the_log_is_not_in_the_report() {
        let dir = tempfile::tempdir().unwrap();
        crate::scrub::remember("sk-diag-0f9e8d7c6b5a");
        std::fs::write(
            dir.path().join("bucketforge.2026-01-01.log"),
            "WARN a line an older version wrote with sk-diag-0f9e8d7c6b5a in it\n",
        )
        .unwrap();
        let report = report(&view(), Some(dir.path()));
        assert!(!report.contains("sk-diag-0f9e8d7c6b5a"), "{report}");
        assert!(report.contains("wrote with [secret] in it"), "{report}");
    }
}
