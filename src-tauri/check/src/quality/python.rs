//! The recipes a backend module is held to: SQLite used safely, CORS the frontend can pass.
//! Read from the Ruff parser's syntax tree.

use std::collections::HashMap;

use rustpython_ruff_python_ast::visitor::{self, Visitor};
use rustpython_ruff_python_ast::{self as ast, Expr, Stmt};
use rustpython_ruff_text_size::Ranged;

use super::{QualityFinding, QualityRule};
use crate::paths::line_of;
use crate::project::guarded;
use crate::python::keyword;

/// Origins the frontend may be opened from: the two local names, the usual port and the next
/// one Vite picks when it is taken.
const LOCAL_ORIGINS: [&str; 4] = [
    "http://localhost:5173",
    "http://127.0.0.1:5173",
    "http://localhost:5174",
    "http://127.0.0.1:5174",
];

/// The CORS setting the prompts ask for.
const CORS_RECIPE: &str = "`allow_origin_regex=r\"http://(localhost|127\\.0\\.0\\.1)(:\\d+)?\"`";

pub(super) fn review(path: &str, text: &str, findings: &mut Vec<QualityFinding>) {
    let read = guarded(|| {
        let parsed = rustpython_ruff_python_parser::parse_module(text).ok()?;
        let body = &parsed.syntax().body;
        let mut reader = Reader {
            constants: constants(body),
            ..Reader::default()
        };
        for stmt in body {
            reader.visit_stmt(stmt);
        }
        Some(reader)
    });
    let Some(reader) = read else { return };
    let line = |offset: usize| Some(line_of(text, offset));
    let mentions_file = text.contains("__file__");

    for connect in &reader.connects {
        if connect.shared && !connect.any_thread {
            findings.push(QualityFinding::new(
                QualityRule::SqlitePerRequest,
                path,
                line(connect.offset),
                "opens one SQLite connection when the module loads and shares it: FastAPI answers requests on other threads, where that connection refuses to work. Open a connection inside each request (a `get_db()` helper with `with sqlite3.connect(DB_PATH) as conn:`)",
            ));
        } else if connect.shared {
            findings.push(QualityFinding::new(
                QualityRule::SqlitePerRequest,
                path,
                line(connect.offset),
                "shares one SQLite connection between all requests: open one per request instead, so two requests never write through it at once",
            ).into_note());
        }
        let anchored = match &connect.target {
            Target::Memory => true,
            Target::Literal(_) => false,
            Target::Computed => mentions_file,
        };
        if !anchored {
            let name = match &connect.target {
                Target::Literal(name) => format!("\"{name}\""),
                _ => "the database file".into(),
            };
            findings.push(QualityFinding::new(
                QualityRule::SqliteBesideCode,
                path,
                line(connect.offset),
                format!("opens {name} relative to wherever the server is started, so starting it from another folder shows an empty app: use `DB_PATH = Path(__file__).parent / \"app.db\"`"),
            ));
        }
    }
    for offset in &reader.create_tables {
        findings.push(QualityFinding::new(
            QualityRule::SqliteIfNotExists,
            path,
            line(*offset),
            "creates a table without `IF NOT EXISTS`, so the server fails the second time it starts: write `CREATE TABLE IF NOT EXISTS`",
        ));
    }
    if reader.creates_app {
        match &reader.cors {
            None => findings.push(QualityFinding::new(
                QualityRule::CorsLocalhost,
                path,
                reader.app_offset.and_then(line),
                format!("has no CORS middleware, so the browser blocks every call from the frontend: add `app.add_middleware(CORSMiddleware, {}, allow_methods=[\"*\"], allow_headers=[\"*\"])`", CORS_RECIPE.trim_matches('`')),
            )),
            Some(cors) => {
                let refused: Vec<&str> = LOCAL_ORIGINS
                    .iter()
                    .copied()
                    .filter(|origin| !cors.allows(origin))
                    .collect();
                if let Some(first) = refused.first() {
                    findings.push(QualityFinding::new(
                        QualityRule::CorsLocalhost,
                        path,
                        line(cors.offset),
                        format!("lets the frontend in only from some addresses (not {first}), and Vite may open it on 127.0.0.1 or another port: use {CORS_RECIPE}"),
                    ));
                }
            }
        }
    }
}

/// Where a connection's database is.
#[derive(Debug, PartialEq)]
enum Target {
    /// `":memory:"`.
    Memory,
    /// A relative file name written as text: relative to the working folder.
    Literal(String),
    /// Computed: anchored when the module builds it from `__file__`.
    Computed,
}

/// One `sqlite3.connect(…)`.
#[derive(Debug)]
struct Connect {
    offset: usize,
    target: Target,
    /// Made when the module loads (outside any function): one connection for every request.
    shared: bool,
    /// `check_same_thread=False`.
    any_thread: bool,
}

/// What the CORS middleware allows.
#[derive(Debug)]
struct Cors {
    offset: usize,
    origins: Vec<String>,
    /// The list is not written out: assume it allows what it needs to.
    unknown: bool,
    regex: Option<String>,
}

impl Cors {
    fn allows(&self, origin: &str) -> bool {
        if self.unknown
            || self
                .origins
                .iter()
                .any(|o| o == "*" || o.trim_end_matches('/') == origin)
        {
            return true;
        }
        self.regex.as_deref().is_some_and(|pattern| {
            // Starlette matches the whole origin.
            regex::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|re| re.is_match(origin))
        })
    }
}

#[derive(Default)]
struct Reader {
    /// Module-level `NAME = "text"` and `NAME = [...]`.
    constants: HashMap<String, Expr>,
    /// Inside a function body.
    in_function: u32,
    connects: Vec<Connect>,
    create_tables: Vec<usize>,
    creates_app: bool,
    app_offset: Option<usize>,
    cors: Option<Cors>,
}

/// Names bound once at module level to a plain value.
fn constants(body: &[Stmt]) -> HashMap<String, Expr> {
    let mut found: HashMap<String, Option<Expr>> = HashMap::new();
    for stmt in body {
        let (target, value) = match stmt {
            Stmt::Assign(assign) if assign.targets.len() == 1 => {
                (&assign.targets[0], &*assign.value)
            }
            Stmt::AnnAssign(assign) => match &assign.value {
                Some(value) => (&*assign.target, &**value),
                None => continue,
            },
            _ => continue,
        };
        if let Expr::Name(name) = target {
            let entry = found.entry(name.id.to_string()).or_insert(None);
            // Bound twice: not a constant.
            *entry = if entry.is_none() {
                Some(value.clone())
            } else {
                None
            };
        }
    }
    found
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect()
}

fn callee(call: &ast::ExprCall) -> (Option<&str>, &str) {
    match &*call.func {
        Expr::Attribute(attribute) => {
            let object = match &*attribute.value {
                Expr::Name(name) => Some(name.id.as_str()),
                _ => None,
            };
            (object, attribute.attr.as_str())
        }
        Expr::Name(name) => (None, name.id.as_str()),
        _ => (None, ""),
    }
}

impl Reader {
    /// A value, looked through one module-level name.
    fn resolved<'e>(&'e self, expression: &'e Expr) -> &'e Expr {
        match expression {
            Expr::Name(name) => self.constants.get(name.id.as_str()).unwrap_or(expression),
            _ => expression,
        }
    }

    fn connect(&mut self, call: &ast::ExprCall) {
        let target = match call.arguments.args.first().map(|a| self.resolved(a)) {
            Some(Expr::StringLiteral(s)) => {
                let name = s.value.to_str();
                if name == ":memory:" || name.starts_with("file::memory:") {
                    Target::Memory
                } else if name.starts_with('/') {
                    Target::Computed
                } else {
                    Target::Literal(name.to_string())
                }
            }
            _ => Target::Computed,
        };
        let any_thread = keyword(call, "check_same_thread")
            .is_some_and(|v| matches!(v, Expr::BooleanLiteral(b) if !b.value));
        self.connects.push(Connect {
            offset: call.start().to_usize(),
            target,
            shared: self.in_function == 0,
            any_thread,
        });
    }

    fn cors(&mut self, call: &ast::ExprCall) {
        let mut origins = Vec::new();
        let mut unknown = false;
        if let Some(value) = keyword(call, "allow_origins") {
            match self.resolved(value) {
                Expr::List(ast::ExprList { elts, .. })
                | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
                    for element in elts {
                        match self.resolved(element) {
                            Expr::StringLiteral(s) => origins.push(s.value.to_str().to_string()),
                            _ => unknown = true,
                        }
                    }
                }
                _ => unknown = true,
            }
        }
        let regex = keyword(call, "allow_origin_regex").and_then(|v| match self.resolved(v) {
            Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
            _ => None,
        });
        if keyword(call, "allow_origin_regex").is_some() && regex.is_none() {
            unknown = true;
        }
        self.cors = Some(Cors {
            offset: call.start().to_usize(),
            origins,
            unknown,
            regex,
        });
    }
}

impl<'a> Visitor<'a> for Reader {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) => {
                self.in_function += 1;
                visitor::walk_stmt(self, stmt);
                self.in_function -= 1;
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => {
                let (object, name) = callee(call);
                match (object, name) {
                    (Some("sqlite3"), "connect") => self.connect(call),
                    (None, "FastAPI") | (Some("fastapi"), "FastAPI") => {
                        self.creates_app = true;
                        self.app_offset.get_or_insert(call.start().to_usize());
                    }
                    (Some(_), "add_middleware") => {
                        let is_cors = call.arguments.args.first().is_some_and(|first| {
                            matches!(first, Expr::Name(n) if n.id.as_str() == "CORSMiddleware")
                                || matches!(first, Expr::Attribute(a) if a.attr.as_str() == "CORSMiddleware")
                        });
                        if is_cors {
                            self.cors(call);
                        }
                    }
                    _ => {}
                }
            }
            Expr::StringLiteral(s) => {
                let sql = s.value.to_str().to_ascii_uppercase();
                let words: Vec<&str> = sql.split_whitespace().collect();
                let creates_bare = words
                    .windows(3)
                    .any(|w| w[0] == "CREATE" && w[1] == "TABLE" && w[2] != "IF");
                if creates_bare {
                    self.create_tables.push(s.start().to_usize());
                }
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}
