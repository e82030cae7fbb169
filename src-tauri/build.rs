//! Compiles the app's IPC permissions: every command is listed here and granted in capabilities/.

/// Every command the shell registers. A command missing here cannot be granted to a window.
const COMMANDS: &[&str] = &[
    "version",
    "ipc_calls",
    "settings_get",
    "settings_save",
    "settings_save_all",
    "secret_set",
    "secret_delete",
    "providers_list",
    "storage_presets",
    "storage_check",
    "llm_check",
    "llm_models",
    "ollama_detect",
    "generate",
    "resume",
    "cancel",
    "runs_active",
    "projects_list",
    "project_get",
    "project_file",
    "project_export",
    "project_share_link",
    "project_delete",
    "preview_url",
];

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("failed to compile the app's IPC permissions");
}
