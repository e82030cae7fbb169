//! The commands the UI may invoke; each one is listed in build.rs and granted in capabilities/.

/// The app's version, shown in the sidebar.
#[tauri::command]
pub fn version() -> &'static str {
    bucketforge_engine::VERSION
}
