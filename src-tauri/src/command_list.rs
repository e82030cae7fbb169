// Every command the window may invoke, written once. Add a command by adding its name here:
// build.rs makes its permission from this list, lib.rs registers its handler from it, and
// tests fail until capabilities/main.json grants it and ui/src/api.ts calls it.
// (A plain comment: build.rs `include!`s this file, where a module doc comment can't stand.)

command_list! {
    commands: [
        version,
        diagnostics,
        settings_get,
        settings_save_all,
        secret_delete,
        providers_list,
        storage_presets,
        storage_check,
        team_policy,
        llm_check,
        llm_models,
        ollama_detect,
        generate,
        resume,
        project_fix,
        project_change,
        project_history,
        project_diff,
        project_restore,
        project_undo,
        project_save_file,
        cancel,
        runs_active,
        projects_list,
        project_get,
        project_file,
        project_export,
        project_share_link,
        project_share_zip,
        project_delete,
        preview_url,
        preview_api,
        preview_api_reset,
        update_check,
        update_install,
    ],
    // Only in builds with the `test-hooks` feature (`cargo test`, the end-to-end build), granted
    // by capabilities/test-hooks/; never in a release.
    test_hooks: [
        ipc_calls,
    ],
}
