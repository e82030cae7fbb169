//! Everything the model is told, pinned by snapshots: a changed recipe, rule or wording shows
//! up in review as a diff of the prompt itself.

use bucketforge_engine::generate::prompts;
use bucketforge_engine::plan::{Plan, PlannedFile, Stack};
use bucketforge_engine::store::ProjectPath;
use bucketforge_engine::validate::validate;

const IDEA: &str = "A to-do list where I can tick tasks off and see how many are left";

fn plan(stack: Stack) -> Plan {
    let (contract, files) = match stack {
        Stack::FastapiReact => (
            {
                let mut contract = bucketforge_test_support::todo_contract();
                contract["notes"] = "App shows TodoList; api.js has listTodos and addTodo.".into();
                contract
            },
            vec![
                ("frontend/src/api.js", "one function per endpoint"),
                ("backend/main.py", "the API"),
                ("frontend/src/App.jsx", "the page"),
                ("frontend/src/components/TodoList.jsx", "the list"),
            ],
        ),
        Stack::React => (
            serde_json::json!({
                "models": [{ "name": "Todo", "fields": [{ "name": "title", "type": "str" }] }],
                "endpoints": [],
                "notes": "App keeps the todos through storage.js.",
            }),
            vec![
                ("src/storage.js", "load and save"),
                ("src/App.jsx", "the page"),
            ],
        ),
    };
    Plan {
        name: "Todo".into(),
        summary: "Tasks to tick off.".into(),
        stack,
        contract: serde_json::from_value(contract).unwrap(),
        files: files
            .into_iter()
            .map(|(path, purpose)| PlannedFile {
                path: path.into(),
                purpose: purpose.into(),
            })
            .collect(),
    }
}

fn file<'p>(plan: &'p Plan, path: &str) -> &'p PlannedFile {
    plan.files.iter().find(|f| f.path == path).unwrap()
}

#[test]
fn system_prompts() {
    insta::assert_snapshot!("system_fastapi_react", prompts::system(Stack::FastapiReact));
    insta::assert_snapshot!("system_react", prompts::system(Stack::React));
}

#[test]
fn plan_prompts() {
    insta::assert_snapshot!(
        "plan_fastapi_react",
        prompts::plan(IDEA, Some("My Todos"), Stack::FastapiReact)
    );
    insta::assert_snapshot!("plan_react", prompts::plan(IDEA, None, Stack::React));
    insta::assert_snapshot!(
        "plan_repair",
        prompts::plan_repair(&[
            "it lists no files".into(),
            "\"stack\" must be \"react\"".into()
        ])
    );
}

#[test]
fn write_prompts_carry_each_file_s_recipe_and_the_exports_written_before_it() {
    let full = plan(Stack::FastapiReact);
    let api = "const API_URL = import.meta.env.VITE_API_URL ?? 'http://localhost:8000';\n\nexport async function listTodos() {\n  try {\n    const r = await fetch(`${API_URL}/api/todos`);\n    return await r.json();\n  } catch {\n    throw new Error('Could not load your tasks.');\n  }\n}\n\nexport async function addTodo(title) {\n  return title;\n}\n";
    let shared = vec![(
        "frontend/src/api.js".to_string(),
        prompts::export_lines("frontend/src/api.js", api),
    )];
    insta::assert_snapshot!(
        "write_component_with_exports",
        prompts::write(
            IDEA,
            &full,
            file(&full, "frontend/src/components/TodoList.jsx"),
            &shared
        )
    );
    insta::assert_snapshot!(
        "write_api_module",
        prompts::write(IDEA, &full, file(&full, "frontend/src/api.js"), &[])
    );
    insta::assert_snapshot!(
        "write_backend",
        prompts::write(IDEA, &full, file(&full, "backend/main.py"), &[])
    );
    let react = plan(Stack::React);
    insta::assert_snapshot!(
        "write_storage_module",
        prompts::write(IDEA, &react, file(&react, "src/storage.js"), &[])
    );
}

#[test]
fn repair_prompts() {
    let full = plan(Stack::FastapiReact);
    let main = file(&full, "backend/main.py");
    let broken = "from fastapi import FastAPI\napp = FastAPI(\n";
    let problem = validate(&ProjectPath::new("backend/main.py").unwrap(), broken).unwrap_err();
    insta::assert_snapshot!("fix", prompts::fix(IDEA, &full, main, broken, &problem));
    insta::assert_snapshot!(
        "fit_fix",
        prompts::fit_fix(
            IDEA,
            &full,
            main,
            "import numpy\n",
            &["imports `numpy`, which backend/requirements.txt does not declare: add it there, or stop using it".into()],
        )
    );
    insta::assert_snapshot!(
        "quality_fix",
        prompts::quality_fix(
            IDEA,
            &full,
            main,
            "app = FastAPI()\n",
            &["line 1: has no CORS middleware, so the browser blocks every call from the frontend".into()],
        )
    );
    insta::assert_snapshot!("continue", prompts::continue_file(main));
}

#[test]
fn shared_files_are_recognised_and_their_exports_read() {
    assert!(prompts::is_shared("frontend/src/api.js"));
    assert!(prompts::is_shared("src/storage.js"));
    assert!(prompts::is_shared("backend/models.py"));
    assert!(prompts::is_shared("src/lib/format.ts"));
    assert!(!prompts::is_shared("frontend/src/App.jsx"));
    assert!(!prompts::is_shared("frontend/src/api.css"));
    assert!(!prompts::is_shared("backend/main.py"));
    assert_eq!(
        prompts::export_lines(
            "backend/models.py",
            "from pydantic import BaseModel\n\nDB_PATH = 'x'\n\nclass Todo(BaseModel):\n    title: str\n\ndef get_db():\n    pass\n"
        ),
        ["DB_PATH = 'x'", "class Todo(BaseModel):", "def get_db():"]
    );
    assert_eq!(
        prompts::export_lines(
            "src/storage.js",
            "const KEY = 'x';\nexport function load(key, fallback) {\n  return fallback;\n}\nexport const save = (k, v) => {};\n"
        ),
        ["export function load(key, fallback)", "export const save = (k, v) => {};"]
    );
}
