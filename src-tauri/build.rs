//! Compiles the app's IPC permissions: every command is listed here and granted in capabilities/.

/// Every command the shell registers. A command missing here cannot be granted to a window.
const COMMANDS: &[&str] = &["version"];

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("failed to compile the app's IPC permissions");
}
