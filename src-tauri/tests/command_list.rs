//! The command list (src-tauri/src/command_list.rs) is the list the main window is granted and
//! the list the UI calls; the test hooks are granted only by a capability a release never reads.

use std::collections::BTreeSet;

use bucketforge_app::command_list::{COMMANDS, TEST_HOOK_COMMANDS};
use serde_json::Value;

/// The permission tauri-build makes for a command: `project_get` → `allow-project-get`.
fn permission(command: &str) -> String {
    format!("allow-{}", command.replace('_', "-"))
}

fn permissions(commands: &[&str]) -> BTreeSet<String> {
    commands.iter().map(|c| permission(c)).collect()
}

/// The app's own permissions a capability grants (plugin ones, `plugin:…`, aside).
fn granted(capability: &str) -> BTreeSet<String> {
    let capability: Value = serde_json::from_str(capability).unwrap();
    assert_eq!(capability["windows"], serde_json::json!(["main"]));
    capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|p| !p.contains(':'))
        .map(str::to_string)
        .collect()
}

/// The first argument of every `invoke("…")` / `invoke<T>("…")` in a TypeScript file.
fn invoked(source: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in source.match_indices("invoke") {
        let mut rest = &source[at + "invoke".len()..];
        if let Some(generic) = rest.strip_prefix('<') {
            rest = generic.split_once('>').map_or("", |(_, after)| after);
        }
        let Some(args) = rest.strip_prefix('(') else {
            continue;
        };
        if let Some(name) = args.trim_start().strip_prefix('"') {
            names.insert(name.split('"').next().unwrap().to_string());
        }
    }
    names
}

#[test]
fn the_main_window_is_granted_exactly_the_listed_commands() {
    assert_eq!(
        granted(include_str!("../capabilities/main.json")),
        permissions(COMMANDS),
        "capabilities/main.json must grant `allow-<command>` for every command in command_list.rs, and nothing else of the app's"
    );
}

#[test]
fn the_ui_calls_exactly_the_listed_commands() {
    let listed: BTreeSet<String> = COMMANDS.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        invoked(include_str!("../../ui/src/api.ts")),
        listed,
        "ui/src/api.ts must call every command in command_list.rs, and no other"
    );
}

#[test]
fn test_hooks_are_granted_only_by_the_test_hooks_capability() {
    assert!(!TEST_HOOK_COMMANDS.is_empty());
    let hooks = permissions(TEST_HOOK_COMMANDS);
    assert!(hooks.is_disjoint(&permissions(COMMANDS)));
    // A release build reads capabilities/*.json only (build.rs); the hooks' grant is one folder down.
    assert_eq!(
        granted(include_str!("../capabilities/test-hooks/ipc-calls.json")),
        hooks
    );
    let capabilities =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/capabilities");
    for entry in std::fs::read_dir(capabilities).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let grants = granted(&std::fs::read_to_string(&path).unwrap());
            assert!(
                grants.is_disjoint(&hooks),
                "{} grants a test hook",
                path.display()
            );
        }
    }
}

#[test]
fn the_invoke_scanner_finds_plain_and_typed_calls_only() {
    let source = r#"import { invoke } from "x";
        invoke<string>("version"); invoke("settings_get", { a }); invoke(
          "cancel", { runId });"#;
    let expected: BTreeSet<String> = ["version", "settings_get", "cancel"]
        .map(String::from)
        .into();
    assert_eq!(invoked(source), expected);
}
