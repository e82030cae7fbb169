//! The backend's Python modules, read with the Ruff parser: their imports, the names they
//! define, and their FastAPI apps, routers and routes.

use std::collections::{BTreeMap, HashMap, HashSet};

use rustpython_ruff_python_ast::{self as ast, Expr, Stmt};
use rustpython_ruff_text_size::{Ranged, TextRange};

use crate::paths::{self, line_of};
use crate::project::{guarded, parseable, Project};
use crate::stdlib::is_stdlib;
use crate::{CheckReport, FitKind, FitProblem, Method};

/// Every backend module that parsed, by path.
pub(crate) type Modules<'a> = BTreeMap<&'a str, Module>;

/// What the check needs from one Python module.
#[derive(Debug, Default)]
pub(crate) struct Module {
    pub imports: Vec<PyImport>,
    /// Names defined at the top level: classes, functions, assignments, imports.
    pub names: HashSet<String>,
    /// `from x import *` at the top level: its names are not statically known.
    pub star: bool,
    /// Names bound to `FastAPI()`.
    pub apps: Vec<String>,
    /// Names bound to `APIRouter(prefix=…)`, with the prefix.
    pub routers: HashMap<String, Prefix>,
    pub routes: Vec<RouteDecl>,
    pub includes: Vec<IncludeDecl>,
    /// Classes defined at the top level, in order.
    pub classes: Vec<ClassDecl>,
}

/// One import statement (one per module named by `import a, b`).
#[derive(Debug, Clone)]
pub(crate) struct PyImport {
    pub line: u32,
    /// The module as written: `.models`, `app.models`, `.` .
    pub written: String,
    /// For `from m import a as b`: (a, b). For `import m as b`: (m, b) — `b` is `m`'s first
    /// segment without `as`.
    pub bound: Vec<(String, String)>,
    /// Whether it is `from m import …`.
    pub from: bool,
    pub origin: Origin,
}

/// Where an import leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A module of the project.
    Local(Target),
    /// A relative or project-looking import of a module that does not exist: the file that
    /// would satisfy it (`None` when it climbs out of the project).
    Missing(Option<String>),
    Stdlib,
    /// Another package: its top-level import name.
    ThirdParty(String),
    /// Inside `try: … except ImportError:`: optional, not checked.
    Optional,
}

/// A project module: a file, or a folder (a package without `__init__.py`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    File(String),
    Folder(String),
}

/// A router's or include's path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Prefix {
    Known(String),
    /// Computed at run time.
    Unknown,
}

/// `@app.get("/path")` and the like.
#[derive(Debug, Clone)]
pub(crate) struct RouteDecl {
    pub object: ObjRef,
    pub method: Method,
    /// `None` when the path is computed at run time.
    pub path: Option<String>,
    pub line: u32,
    pub handler: Handler,
}

/// What a route's function declares about its data, as written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Handler {
    /// `response_model=…` in the decorator.
    pub response_model: Option<Expr>,
    /// The function's return annotation.
    pub returns: Option<Expr>,
    /// Each annotated parameter: its name and annotation.
    pub params: Vec<(String, Expr)>,
}

/// A class defined at a module's top level.
#[derive(Debug, Clone)]
pub(crate) struct ClassDecl {
    pub name: String,
    /// Each base's own name: `BaseModel` for `pydantic.BaseModel`, `Generic` for `Generic[T]`.
    pub bases: Vec<String>,
    /// Its class-level `name: annotation = value` statements, in order.
    pub annotated: Vec<AnnotatedName>,
}

/// `done: bool = False` in a class body.
#[derive(Debug, Clone)]
pub(crate) struct AnnotatedName {
    pub name: String,
    pub annotation: Expr,
    /// The annotation's source text, on one line.
    pub written: String,
    pub value: Option<Expr>,
}

/// `app.include_router(router, prefix="/x")`.
#[derive(Debug, Clone)]
pub(crate) struct IncludeDecl {
    pub parent: ObjRef,
    pub child: ObjRef,
    pub prefix: Prefix,
}

/// How code names an app or router: `router`, or `todos.router`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ObjRef {
    Name(String),
    Attr(String, String),
    Other,
}

/// Reads every Python module under the backend root.
pub(crate) fn analyse<'a>(project: &Project<'a>) -> Modules<'a> {
    if project.backend.is_none() {
        return Modules::new();
    }
    let mut modules = Modules::new();
    for (path, text) in &project.files {
        if !project.in_backend(path) || paths::extension(path) != "py" {
            continue;
        }
        if let Some(mut module) = read(text) {
            for import in &mut module.imports {
                if import.origin != Origin::Optional {
                    import.origin = origin(project, path, import);
                }
            }
            modules.insert(*path, module);
        }
    }
    modules
}

/// One module, or `None` when it does not parse.
fn read(text: &str) -> Option<Module> {
    if !parseable(text) {
        return None;
    }
    guarded(|| {
        let parsed = rustpython_ruff_python_parser::parse_module(text).ok()?;
        let mut reader = Reader {
            text,
            module: Module::default(),
        };
        reader.body(&parsed.syntax().body, true, false, 0);
        Some(reader.module)
    })
}

/// Beyond this, nested blocks are not read (generated code never nests so deep).
const MAX_BLOCK_DEPTH: u32 = 64;

struct Reader<'t> {
    text: &'t str,
    module: Module,
}

impl Reader<'_> {
    fn line(&self, range: impl Ranged) -> u32 {
        line_of(self.text, range.start().to_usize())
    }

    /// Reads a block: `top` while at module level (where definitions are the module's
    /// names), `optional` inside `try` with an `except ImportError`.
    fn body(&mut self, body: &[Stmt], top: bool, optional: bool, depth: u32) {
        if depth > MAX_BLOCK_DEPTH {
            return;
        }
        for stmt in body {
            self.stmt(stmt, top, optional, depth);
        }
    }

    fn stmt(&mut self, stmt: &Stmt, top: bool, optional: bool, depth: u32) {
        match stmt {
            Stmt::Import(import) => {
                for alias in &import.names {
                    let name = alias.name.as_str().to_string();
                    let bound = match &alias.asname {
                        Some(asname) => asname.as_str().to_string(),
                        None => name.split('.').next().unwrap_or_default().to_string(),
                    };
                    if top {
                        self.module.names.insert(bound.clone());
                    }
                    self.module.imports.push(PyImport {
                        line: self.line(alias.range),
                        written: name.clone(),
                        bound: vec![(name, bound)],
                        from: false,
                        origin: if optional {
                            Origin::Optional
                        } else {
                            Origin::Stdlib
                        },
                    });
                }
            }
            Stmt::ImportFrom(import) => {
                let mut bound = Vec::new();
                for alias in &import.names {
                    let name = alias.name.as_str();
                    if name == "*" {
                        if top {
                            self.module.star = true;
                        }
                        continue;
                    }
                    let local = alias.asname.as_ref().map_or(name, |a| a.as_str());
                    if top {
                        self.module.names.insert(local.to_string());
                    }
                    bound.push((name.to_string(), local.to_string()));
                }
                let dots = ".".repeat(import.level as usize);
                let module = import.module.as_ref().map_or("", |m| m.as_str());
                self.module.imports.push(PyImport {
                    line: self.line(import.range),
                    written: format!("{dots}{module}"),
                    bound,
                    from: true,
                    origin: if optional {
                        Origin::Optional
                    } else {
                        Origin::Stdlib
                    },
                });
            }
            Stmt::FunctionDef(function) => {
                if top {
                    self.module.names.insert(function.name.as_str().to_string());
                }
                for decorator in &function.decorator_list {
                    self.decorator(&decorator.expression, function);
                }
                self.body(&function.body, false, false, depth + 1);
            }
            Stmt::ClassDef(class) => {
                if top {
                    self.module.names.insert(class.name.as_str().to_string());
                    let class = self.class(class);
                    self.module.classes.push(class);
                }
                self.body(&class.body, false, false, depth + 1);
            }
            Stmt::Assign(assign) => {
                if top {
                    for target in &assign.targets {
                        target_names(target, &mut self.module.names, 0);
                    }
                }
                if let [Expr::Name(target)] = assign.targets.as_slice() {
                    self.binding(target.id.as_str(), &assign.value);
                }
            }
            Stmt::AnnAssign(assign) => {
                if top {
                    target_names(&assign.target, &mut self.module.names, 0);
                }
                if let (Expr::Name(target), Some(value)) = (assign.target.as_ref(), &assign.value) {
                    self.binding(target.id.as_str(), value);
                }
            }
            Stmt::AugAssign(assign) if top => {
                target_names(&assign.target, &mut self.module.names, 0)
            }
            Stmt::TypeAlias(alias) if top => target_names(&alias.name, &mut self.module.names, 0),
            Stmt::Expr(expression) => self.call_statement(&expression.value),
            Stmt::If(branch) => {
                self.body(&branch.body, top, optional, depth + 1);
                for clause in &branch.elif_else_clauses {
                    self.body(&clause.body, top, optional, depth + 1);
                }
            }
            Stmt::Try(attempt) => {
                let catches_import_errors = attempt.handlers.iter().any(|handler| {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    handler.type_.as_deref().is_none_or(catches_import_error)
                });
                self.body(
                    &attempt.body,
                    top,
                    optional || catches_import_errors,
                    depth + 1,
                );
                for handler in &attempt.handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    self.body(&handler.body, top, optional, depth + 1);
                }
                self.body(&attempt.orelse, top, optional, depth + 1);
                self.body(&attempt.finalbody, top, optional, depth + 1);
            }
            Stmt::With(with) => {
                if top {
                    for item in &with.items {
                        if let Some(vars) = &item.optional_vars {
                            target_names(vars, &mut self.module.names, 0);
                        }
                    }
                }
                self.body(&with.body, top, optional, depth + 1);
            }
            Stmt::For(each) => {
                if top {
                    target_names(&each.target, &mut self.module.names, 0);
                }
                self.body(&each.body, top, optional, depth + 1);
                self.body(&each.orelse, top, optional, depth + 1);
            }
            Stmt::While(repeat) => {
                self.body(&repeat.body, top, optional, depth + 1);
                self.body(&repeat.orelse, top, optional, depth + 1);
            }
            _ => {}
        }
    }

    /// `app = FastAPI(…)`, `router = APIRouter(prefix="/api")`.
    fn binding(&mut self, name: &str, value: &Expr) {
        let Expr::Call(call) = value else { return };
        match callee_name(&call.func) {
            Some("FastAPI") => self.module.apps.push(name.to_string()),
            Some("APIRouter") => {
                let prefix = match keyword(call, "prefix") {
                    None => Prefix::Known(String::new()),
                    Some(value) => string(value).map_or(Prefix::Unknown, Prefix::Known),
                };
                self.module.routers.insert(name.to_string(), prefix);
            }
            _ => {}
        }
    }

    fn class(&self, class: &ast::StmtClassDef) -> ClassDecl {
        let annotated = class
            .body
            .iter()
            .filter_map(|stmt| match stmt {
                Stmt::AnnAssign(assign) => match assign.target.as_ref() {
                    Expr::Name(target) => Some(AnnotatedName {
                        name: target.id.as_str().to_string(),
                        annotation: assign.annotation.as_ref().clone(),
                        written: self.written(assign.annotation.range()),
                        value: assign.value.as_deref().cloned(),
                    }),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        ClassDecl {
            name: class.name.as_str().to_string(),
            bases: class.bases().iter().filter_map(base_name).collect(),
            annotated,
        }
    }

    /// The source text of a node, on one line: comments dropped, whitespace runs made one space.
    fn written(&self, range: TextRange) -> String {
        let text = self
            .text
            .get(range.start().to_usize()..range.end().to_usize())
            .unwrap_or_default();
        let code: Vec<&str> = text.lines().map(without_comment).collect();
        code.join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `@app.get("/path")`, `@router.api_route("/path", methods=[…])`.
    fn decorator(&mut self, expression: &Expr, function: &ast::StmtFunctionDef) {
        let Expr::Call(call) = expression else { return };
        let Expr::Attribute(attribute) = call.func.as_ref() else {
            return;
        };
        let object = obj_ref(&attribute.value);
        let line = self.line(call.range);
        let path = || {
            call.arguments
                .args
                .first()
                .or_else(|| keyword(call, "path"))
                .and_then(string)
        };
        let methods = match attribute.attr.as_str() {
            "api_route" => methods_keyword(call),
            other => match Method::parse(other).filter(|_| other == other.to_ascii_lowercase()) {
                Some(method) => vec![method],
                None => return,
            },
        };
        let handler = Handler {
            response_model: keyword(call, "response_model").cloned(),
            returns: function.returns.as_deref().cloned(),
            params: function
                .parameters
                .iter_non_variadic_params()
                .filter_map(|p| {
                    let annotation = p.parameter.annotation.as_deref()?;
                    Some((p.parameter.name.as_str().to_string(), annotation.clone()))
                })
                .collect(),
        };
        for method in methods {
            self.module.routes.push(RouteDecl {
                object: object.clone(),
                method,
                path: path(),
                line,
                handler: handler.clone(),
            });
        }
    }

    /// `app.include_router(router, prefix="/x")`, `app.add_api_route("/x", f, methods=[…])`.
    fn call_statement(&mut self, expression: &Expr) {
        let Expr::Call(call) = expression else { return };
        let Expr::Attribute(attribute) = call.func.as_ref() else {
            return;
        };
        match attribute.attr.as_str() {
            "include_router" => {
                let Some(child) = call
                    .arguments
                    .args
                    .first()
                    .or_else(|| keyword(call, "router"))
                else {
                    return;
                };
                let prefix = match keyword(call, "prefix") {
                    None => Prefix::Known(String::new()),
                    Some(value) => string(value).map_or(Prefix::Unknown, Prefix::Known),
                };
                self.module.includes.push(IncludeDecl {
                    parent: obj_ref(&attribute.value),
                    child: obj_ref(child),
                    prefix,
                });
            }
            "add_api_route" => {
                let object = obj_ref(&attribute.value);
                let path = call
                    .arguments
                    .args
                    .first()
                    .or_else(|| keyword(call, "path"))
                    .and_then(string);
                let line = self.line(call.range);
                let handler = Handler {
                    response_model: keyword(call, "response_model").cloned(),
                    ..Handler::default()
                };
                for method in methods_keyword(call) {
                    self.module.routes.push(RouteDecl {
                        object: object.clone(),
                        method,
                        path: path.clone(),
                        line,
                        handler: handler.clone(),
                    });
                }
            }
            _ => {}
        }
    }
}

/// The names an assignment target binds.
fn target_names(target: &Expr, names: &mut HashSet<String>, depth: u32) {
    if depth > MAX_BLOCK_DEPTH {
        return;
    }
    match target {
        Expr::Name(name) => {
            names.insert(name.id.as_str().to_string());
        }
        Expr::Tuple(tuple) => tuple
            .elts
            .iter()
            .for_each(|e| target_names(e, names, depth + 1)),
        Expr::List(list) => list
            .elts
            .iter()
            .for_each(|e| target_names(e, names, depth + 1)),
        Expr::Starred(starred) => target_names(&starred.value, names, depth + 1),
        _ => {}
    }
}

fn catches_import_error(kind: &Expr) -> bool {
    match kind {
        Expr::Name(name) => matches!(
            name.id.as_str(),
            "ImportError" | "ModuleNotFoundError" | "Exception" | "BaseException"
        ),
        Expr::Attribute(attribute) => attribute.attr.as_str() == "ImportError",
        Expr::Tuple(tuple) => tuple.elts.iter().any(catches_import_error),
        _ => false,
    }
}

/// A class base's own name: `BaseModel` for `BaseModel` and `pydantic.BaseModel`, `Generic`
/// for `Generic[T]`.
fn base_name(base: &Expr) -> Option<String> {
    match base {
        Expr::Subscript(subscript) => match subscript.value.as_ref() {
            Expr::Subscript(_) => None,
            value => base_name(value),
        },
        other => callee_name(other).map(str::to_string),
    }
}

/// A line of code without its `#` comment (a `#` inside a string is kept).
fn without_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '#' => return &line[..i],
            None if c == '"' || c == '\'' => quote = Some(c),
            None => {}
        }
    }
    line
}

/// `FastAPI` for `FastAPI(…)` and `fastapi.FastAPI(…)`.
pub(crate) fn callee_name(func: &Expr) -> Option<&str> {
    match func {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => Some(attribute.attr.as_str()),
        _ => None,
    }
}

fn obj_ref(expression: &Expr) -> ObjRef {
    match expression {
        Expr::Name(name) => ObjRef::Name(name.id.as_str().to_string()),
        Expr::Attribute(attribute) => match attribute.value.as_ref() {
            Expr::Name(module) => ObjRef::Attr(
                module.id.as_str().to_string(),
                attribute.attr.as_str().to_string(),
            ),
            _ => ObjRef::Other,
        },
        _ => ObjRef::Other,
    }
}

pub(crate) fn keyword<'c>(call: &'c ast::ExprCall, name: &str) -> Option<&'c Expr> {
    call.arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
        .map(|k| &k.value)
}

fn string(expression: &Expr) -> Option<String> {
    match expression {
        Expr::StringLiteral(literal) => Some(literal.value.to_str().to_string()),
        _ => None,
    }
}

/// The methods of `methods=["GET", "POST"]`; FastAPI's default is GET.
fn methods_keyword(call: &ast::ExprCall) -> Vec<Method> {
    let elements = match keyword(call, "methods") {
        None => return vec![Method::Get],
        Some(Expr::List(list)) => &list.elts,
        Some(Expr::Tuple(tuple)) => &tuple.elts,
        Some(Expr::Set(set)) => &set.elts,
        Some(_) => return Vec::new(),
    };
    elements
        .iter()
        .filter_map(string)
        .filter_map(|m| Method::parse(&m))
        .collect()
}

/// Where an import leads: a project module (local ones win, as on `sys.path`), the standard
/// library, or a package.
fn origin(project: &Project<'_>, importer: &str, import: &PyImport) -> Origin {
    let level = import.written.chars().take_while(|c| *c == '.').count();
    let module = &import.written[level..];
    if level > 0 {
        let mut folder = paths::parent(importer).to_string();
        for _ in 1..level {
            let trimmed = folder.trim_end_matches('/');
            if trimmed.is_empty() {
                return Origin::Missing(None);
            }
            folder = paths::parent(trimmed).to_string();
        }
        if module.is_empty() {
            return Origin::Local(package(project, &folder));
        }
        return match lookup(project, &folder, module) {
            Some(target) => Origin::Local(target),
            None => Origin::Missing(Some(format!("{folder}{}.py", module.replace('.', "/")))),
        };
    }
    let first = module.split('.').next().unwrap_or_default();
    if first.is_empty() {
        return Origin::Stdlib;
    }
    for root in roots(project, importer) {
        let local = project.has_file(&format!("{root}{first}.py"))
            || project.has_folder(&format!("{root}{first}"));
        if local {
            return match lookup(project, &root, module) {
                Some(target) => Origin::Local(target),
                None => Origin::Missing(Some(format!("{root}{}.py", module.replace('.', "/")))),
            };
        }
    }
    if is_stdlib(first) {
        Origin::Stdlib
    } else {
        Origin::ThirdParty(first.to_string())
    }
}

/// The folders an absolute import is looked up in: the backend root (where the app is run
/// from), the importing file's folder, and the project root when the import starts with the
/// backend's own name (`from backend.models import …`).
fn roots(project: &Project<'_>, importer: &str) -> Vec<String> {
    let mut roots = Vec::new();
    if let Some(backend) = &project.backend {
        roots.push(backend.clone());
    }
    let own = paths::parent(importer).to_string();
    if !roots.contains(&own) {
        roots.push(own);
    }
    if let Some(backend) = project.backend.as_deref().filter(|b| !b.is_empty()) {
        let outer = paths::parent(backend.trim_end_matches('/')).to_string();
        if !roots.contains(&outer) {
            roots.push(outer);
        }
    }
    roots
}

/// The module `dotted` names inside `folder`: `models.py`, `models/__init__.py` or a
/// `models/` folder.
fn lookup(project: &Project<'_>, folder: &str, dotted: &str) -> Option<Target> {
    let relative = dotted.replace('.', "/");
    let file = format!("{folder}{relative}.py");
    if project.has_file(&file) {
        return Some(Target::File(file));
    }
    let init = format!("{folder}{relative}/__init__.py");
    if project.has_file(&init) {
        return Some(Target::File(init));
    }
    let sub = format!("{folder}{relative}/");
    project.has_folder(&sub).then_some(Target::Folder(sub))
}

/// The package a folder is: its `__init__.py`, or the folder itself.
fn package(project: &Project<'_>, folder: &str) -> Target {
    let init = format!("{folder}__init__.py");
    if project.has_file(&init) {
        Target::File(init)
    } else {
        Target::Folder(folder.to_string())
    }
}

/// A module `name` inside a package (its file or folder), if there is one.
pub(crate) fn submodule(project: &Project<'_>, package: &Target, name: &str) -> Option<Target> {
    let folder = match package {
        Target::File(file) if paths::file_name(file) == "__init__.py" => paths::parent(file),
        Target::File(_) => return None,
        Target::Folder(folder) => folder.as_str(),
    };
    lookup(project, folder, name)
}

/// Checks that every project module imported exists and defines the names taken from it.
pub(crate) fn check_imports(
    project: &Project<'_>,
    modules: &Modules<'_>,
    report: &mut CheckReport,
) {
    for (importer, module) in modules {
        for import in &module.imports {
            let at = format!("`{importer}` (line {})", import.line);
            match &import.origin {
                Origin::Missing(missing) => {
                    report.imports = report.imports.saturating_add(1);
                    let message = match missing {
                        Some(file) => format!(
                            "{at} imports `{}`, which is not a module of the project: write {file}, or change the import",
                            import.written
                        ),
                        None => format!(
                            "{at} imports `{}`, which points outside the project: import a module of the project instead",
                            import.written
                        ),
                    };
                    report.problems.push(FitProblem {
                        kind: FitKind::MissingFile,
                        message,
                        fix_in: vec![importer.to_string()],
                        missing_file: missing.clone(),
                    });
                }
                Origin::Local(target) => {
                    report.imports = report.imports.saturating_add(1);
                    if import.from {
                        for (name, _) in &import.bound {
                            if let Some(problem) =
                                missing_name(project, modules, importer, &at, import, target, name)
                            {
                                report.problems.push(problem);
                            }
                        }
                    }
                }
                Origin::Stdlib | Origin::ThirdParty(_) | Origin::Optional => {}
            }
        }
    }
}

/// `from target import name`: a problem when `name` is neither defined there nor a module of
/// that package.
fn missing_name(
    project: &Project<'_>,
    modules: &Modules<'_>,
    importer: &str,
    at: &str,
    import: &PyImport,
    target: &Target,
    name: &str,
) -> Option<FitProblem> {
    if submodule(project, target, name).is_some() {
        return None;
    }
    match target {
        Target::File(file) => {
            // A module that did not parse, or whose names are not all known, is not judged.
            let defined = modules.get(file.as_str())?;
            if defined.star || defined.names.contains(name) {
                return None;
            }
            let mut names: Vec<&str> = defined
                .names
                .iter()
                .map(String::as_str)
                .filter(|n| !n.starts_with('_'))
                .collect();
            names.sort_unstable();
            let mut shown: Vec<&str> = names.iter().take(8).copied().collect();
            if names.len() > 8 {
                shown.push("…");
            }
            let has = if shown.is_empty() {
                String::new()
            } else {
                format!(" (it defines: {})", shown.join(", "))
            };
            Some(FitProblem {
                kind: FitKind::MissingExport,
                message: format!(
                    "{at} imports `{name}` from `{}`, but {file} does not define `{name}` at its top level{has}: define it there, or import a name it has",
                    import.written
                ),
                fix_in: vec![file.clone(), importer.to_string()],
                missing_file: None,
            })
        }
        Target::Folder(folder) => {
            let file = format!("{folder}{name}.py");
            Some(FitProblem {
                kind: FitKind::MissingFile,
                message: format!(
                    "{at} imports `{name}` from `{}`, which is not a module of the project: write {file}, or change the import",
                    import.written
                ),
                fix_in: vec![importer.to_string()],
                missing_file: Some(file),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(text: &str) -> Module {
        read(text).expect("parses")
    }

    #[test]
    fn collects_top_level_names_only() {
        let m = module(
            "import os, json as j\nfrom typing import List\nfrom .models import Todo as T\nX = 1\na, (b, *c) = 1, (2, 3)\ny: int = 2\nclass Todo: pass\nasync def f():\n    inner = 1\nif True:\n    Z = 3\ntry:\n    import ujson\nexcept ImportError:\n    ujson = None\n",
        );
        for name in [
            "os", "j", "List", "T", "X", "a", "b", "c", "y", "Todo", "f", "Z", "ujson",
        ] {
            assert!(m.names.contains(name), "{name}");
        }
        assert!(!m.names.contains("inner"));
        assert!(!m.star);
        assert!(module("from .models import *\n").star);
    }

    #[test]
    fn imports_inside_try_import_error_are_optional() {
        let m = module("try:\n    import ujson as json\nexcept ImportError:\n    import json\n");
        assert_eq!(m.imports[0].origin, Origin::Optional);
        assert_ne!(m.imports[1].origin, Origin::Optional);
    }

    #[test]
    fn finds_apps_routers_routes_and_includes() {
        let m = module(
            "from fastapi import FastAPI, APIRouter\nimport fastapi\napp = fastapi.FastAPI(title='x')\nrouter = APIRouter(prefix='/todos')\nother = APIRouter(prefix=PREFIX)\n\n@router.get('/{id}')\ndef one(id: int): ...\n\n@app.api_route('/api/stats', methods=['GET', 'POST'])\ndef stats(): ...\n\n@app.delete(path='/api/x')\ndef x(): ...\n\napp.include_router(router, prefix='/api')\napp.include_router(todos.router)\napp.add_api_route('/api/y', x, methods=['PUT'])\n",
        );
        assert_eq!(m.apps, ["app"]);
        assert_eq!(m.routers["router"], Prefix::Known("/todos".into()));
        assert_eq!(m.routers["other"], Prefix::Unknown);
        let routes: Vec<(String, Method, Option<String>)> = m
            .routes
            .iter()
            .map(|r| (format!("{:?}", r.object), r.method, r.path.clone()))
            .collect();
        assert_eq!(
            routes,
            [
                (
                    "Name(\"router\")".to_string(),
                    Method::Get,
                    Some("/{id}".to_string())
                ),
                (
                    "Name(\"app\")".to_string(),
                    Method::Get,
                    Some("/api/stats".to_string())
                ),
                (
                    "Name(\"app\")".to_string(),
                    Method::Post,
                    Some("/api/stats".to_string())
                ),
                (
                    "Name(\"app\")".to_string(),
                    Method::Delete,
                    Some("/api/x".to_string())
                ),
                (
                    "Name(\"app\")".to_string(),
                    Method::Put,
                    Some("/api/y".to_string())
                ),
            ]
        );
        assert_eq!(m.includes.len(), 2);
        assert_eq!(m.includes[0].prefix, Prefix::Known("/api".into()));
        assert_eq!(
            m.includes[1].child,
            ObjRef::Attr("todos".into(), "router".into())
        );
    }

    #[test]
    fn broken_modules_are_skipped() {
        assert!(read("def broken(:\n    pass\n").is_none());
        assert!(read("\u{0}\u{ffff}").is_none());
    }
}
