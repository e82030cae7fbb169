//! The session keeps to the limits written once in `bucketforge_engine::limits`: the window's
//! settings, the CLI's overrides and the defaults all meet the same numbers.

use std::path::Path;
use std::sync::Arc;

use bucketforge_engine::generate::GenerationSettings;
use bucketforge_engine::limits::{DEFAULT_CONCURRENCY, MAX_CONCURRENCY, MIN_CONCURRENCY};
use bucketforge_engine::secrets::InMemorySecrets;
use bucketforge_engine::session::{Overrides, Session};
use bucketforge_engine::settings::{Settings, SettingsFile};

fn session(dir: &Path, overrides: Overrides) -> Session {
    Session::open(
        SettingsFile::in_dir(dir),
        Arc::new(InMemorySecrets::default()),
        None,
        overrides,
    )
}

#[tokio::test]
async fn saved_settings_take_any_concurrency_in_the_range_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let session = session(dir.path(), Overrides::default());
    for (concurrency, allowed) in [
        (MIN_CONCURRENCY - 1, false),
        (MIN_CONCURRENCY, true),
        (MAX_CONCURRENCY, true),
        (MAX_CONCURRENCY + 1, false),
    ] {
        let settings = Settings {
            concurrency,
            ..Settings::default()
        };
        let saved = session.save_settings(settings).await;
        assert_eq!(saved.is_ok(), allowed, "{concurrency}: {saved:?}");
        if let Err(e) = saved {
            assert!(
                e.to_string()
                    .contains(&format!("between {MIN_CONCURRENCY} and {MAX_CONCURRENCY}")),
                "{e}"
            );
        }
    }
}

#[test]
fn a_concurrency_asked_for_on_the_command_line_is_brought_into_the_range() {
    let dir = tempfile::tempdir().unwrap();
    for (asked, used) in [
        (0, MIN_CONCURRENCY),
        (MAX_CONCURRENCY, MAX_CONCURRENCY),
        (MAX_CONCURRENCY + 10, MAX_CONCURRENCY),
    ] {
        let session = session(
            dir.path(),
            Overrides {
                concurrency: Some(asked),
                ..Overrides::default()
            },
        );
        assert_eq!(session.generation_settings().concurrency, used as usize);
    }
}

#[test]
fn nobody_choosing_means_the_default_concurrency_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(Settings::default().concurrency, DEFAULT_CONCURRENCY);
    assert_eq!(
        GenerationSettings::default().concurrency,
        DEFAULT_CONCURRENCY as usize
    );
    let session = session(dir.path(), Overrides::default());
    assert_eq!(
        session.generation_settings().concurrency,
        DEFAULT_CONCURRENCY as usize
    );
}
