//! Writes generated TypeScript that is not a type (the tables and limits the UI shares with
//! the engine) beside ts-rs's bindings, so `cargo test` keeps both up to date.

use std::path::{Path, PathBuf};

/// Writes `text` to `name` in the bindings folder, leaving an unchanged file untouched.
pub(crate) fn write(name: &str, text: &str) {
    let dir = std::env::var_os("TS_RS_EXPORT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
        std::fs::write(&path, text).unwrap();
    }
}
