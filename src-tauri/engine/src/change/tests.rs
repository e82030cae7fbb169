use super::*;
use crate::plan::Stack;

fn counter_plan() -> Plan {
    let files = [
        "index.html",
        "package.json",
        "src/main.jsx",
        "src/App.jsx",
        "vite.config.js",
    ];
    serde_json::from_value(serde_json::json!({
        "name": "Counter", "summary": "Counts.", "stack": "react",
        "contract": "App renders a button.",
        "files": files.iter().map(|p| serde_json::json!({"path": p, "purpose": "part"})).collect::<Vec<_>>(),
    }))
    .unwrap()
}

fn live(plan: &Plan) -> BTreeSet<String> {
    plan.files.iter().map(|f| f.path.clone()).collect()
}

#[test]
fn a_change_plan_in_a_fence_is_read_and_applied_to_the_plan() {
    let plan = counter_plan();
    let answer = "Here you go:\n```json\n{\"summary\": \"Adds a reset button.\", \"files\": [\
        {\"path\": \"src/App.jsx\", \"action\": \"modify\", \"purpose\": \"counter with reset\"},\
        {\"path\": \"src/Reset.jsx\", \"action\": \"add\", \"purpose\": \"the reset button\"},\
        {\"path\": \"vite.config.js\", \"action\": \"delete\"}]}\n```";
    let change = parse_change_plan(answer, &plan, &live(&plan));
    // vite.config.js is not required by the react stack's plan rules.
    let change = change.unwrap();
    assert_eq!(change.written().count(), 2);
    let next = change.apply_to(&plan);
    let paths: Vec<&str> = next.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "index.html",
            "package.json",
            "src/main.jsx",
            "src/App.jsx",
            "src/Reset.jsx"
        ]
    );
    assert_eq!(next.files[3].purpose, "counter with reset");
}

#[test]
fn a_change_plan_that_names_missing_files_or_breaks_the_project_lists_every_reason() {
    let plan = counter_plan();
    let answer = r#"{"summary": "", "files": [
        {"path": "src/Nope.jsx", "action": "modify", "purpose": "x"},
        {"path": "src/App.jsx", "action": "add", "purpose": "x"},
        {"path": "../etc/passwd", "action": "add", "purpose": "x"},
        {"path": "src/App.jsx", "action": "modify", "purpose": "x"}]}"#;
    let problems = parse_change_plan(answer, &plan, &live(&plan)).unwrap_err();
    let all = problems.join("\n");
    assert!(all.contains("“summary” is empty"), "{all}");
    assert!(
        all.contains("“src/Nope.jsx” is not in the project"),
        "{all}"
    );
    assert!(all.contains("“src/App.jsx” already exists"), "{all}");
    assert!(all.contains("named twice"), "{all}");
    assert!(all.contains("..") || all.contains("passwd"), "{all}");

    // Deleting a required file leaves no whole project.
    let answer = r#"{"summary": "s", "files": [{"path": "index.html", "action": "delete"}]}"#;
    let problems = parse_change_plan(answer, &plan, &live(&plan)).unwrap_err();
    assert!(
        problems[0].contains("after this change") && problems[0].contains("index.html"),
        "{problems:?}"
    );
    assert!(parse_change_plan("no json here", &plan, &live(&plan)).is_err());
    assert!(parse_change_plan(r#"{"summary": "s", "files": []}"#, &plan, &live(&plan)).is_err());
}

const APP: &str = "import { useState } from 'react';\n\
export default function App() {\n\
  const [n, setN] = useState(0);\n\
  const label = `Clicked ${n} times`;\n\
  return (\n\
    <main>\n\
      <h1>Counter</h1>\n\
      <button onClick={() => setN(n + 1)}>{label}</button>\n\
    </main>\n\
  );\n\
}\n";

#[test]
fn lazy_markers_in_comments_and_bare_ellipses_are_refused() {
    for lazy in [
        "// ... rest of the code stays the same\nexport default function App() {}\n",
        "export default function App() {\n  // existing code unchanged\n  return null;\n}\n",
        "export default function App() {\n  ...\n}\n",
        "export default function App() {\n  {/* ... */}\n}\n",
    ] {
        let problems = edit_problems("src/App.jsx", APP, lazy, true);
        assert!(
            problems.iter().any(|p| p.contains("left out")),
            "{lazy:?}: {problems:?}"
        );
    }
    // The same words in a string, or a phrase the original already had, are not markers.
    let fine = APP.replace("Counter", "Counter (the rest of the code is fun)");
    assert!(edit_problems("src/App.jsx", APP, &fine, false).is_empty());
    let python = "def f():\n    ...\n";
    assert!(edit_problems(
        "backend/x.py",
        python,
        "def f():\n    ...\n\ndef g():\n    return 1\n",
        false
    )
    .is_empty());
}

#[test]
fn an_edit_that_drops_most_of_the_file_is_refused_unless_a_removal_was_asked() {
    let short = "export default function App() {\n  return <button>0</button>;\n}\n";
    let problems = edit_problems("src/App.jsx", APP, short, false);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("shorter than before"), "{problems:?}");
    assert!(edit_problems("src/App.jsx", APP, short, true).is_empty());
    // A small trim is fine without a removal.
    let trimmed = APP.replace("      <h1>Counter</h1>\n", "");
    assert!(edit_problems("src/App.jsx", APP, &trimmed, false).is_empty());
    assert!(asks_for_removal("Remove the title"));
    assert!(asks_for_removal("make it simpler: simplify the layout"));
    assert!(!asks_for_removal("Add a due date to each task"));
}

#[test]
fn an_edit_that_drops_an_export_another_file_imports_is_named() {
    let plan = counter_plan();
    let texts = BTreeMap::from([
        (
            "src/api.js".to_string(),
            "export function load() { return 1; }\nexport function save() {}\n".to_string(),
        ),
        (
            "src/App.jsx".to_string(),
            "import { load, save } from './api.js';\nexport default function App() { save(load()); return null; }\n".to_string(),
        ),
    ]);
    let layout = Stack::React.layout();
    let dropped = dropped_exports(
        &layout,
        &plan.contract,
        &texts,
        "src/api.js",
        "export function load() { return 2; }\n",
    );
    assert_eq!(dropped.len(), 1, "{dropped:?}");
    assert!(dropped[0].contains("save"), "{dropped:?}");
    let kept = dropped_exports(
        &layout,
        &plan.contract,
        &texts,
        "src/api.js",
        "export function load() { return 2; }\nexport function save(x) { return x; }\n",
    );
    assert!(kept.is_empty(), "{kept:?}");
}

#[test]
fn a_change_plan_s_contract_replaces_the_plan_s_and_none_keeps_it() {
    let plan = counter_plan();
    let with = r#"{"summary": "Counts per day.", "contract": {"models": [{"name": "Day", "fields": [{"name": "count", "type": "int"}]}], "endpoints": [], "notes": "App shows a count per day."},
        "files": [{"path": "src/App.jsx", "action": "modify", "purpose": "counts per day"}]}"#;
    let change = parse_change_plan(with, &plan, &live(&plan)).unwrap();
    let next = change.apply_to(&plan);
    assert_eq!(next.contract.models[0].name, "Day");
    assert_ne!(next.contract, plan.contract);
    let without = r#"{"summary": "s", "files": [{"path": "src/App.jsx", "action": "modify", "purpose": "p"}]}"#;
    let change = parse_change_plan(without, &plan, &live(&plan)).unwrap();
    assert_eq!(change.apply_to(&plan).contract, plan.contract);
}
