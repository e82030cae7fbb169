//! JavaScript and TypeScript files, read with oxc: their imports and exports, and the calls
//! the frontend makes to its API.

use std::collections::{BTreeMap, HashMap, HashSet};

use oxc::allocator::Allocator;
use oxc::ast::ast::{
    ArrowFunctionExpression, BinaryOperator, CallExpression, ExportDefaultDeclaration,
    ExportDefaultDeclarationKind, Expression, FormalParameters, Function, LogicalOperator,
    ObjectExpression, ObjectPropertyKind, StaticMemberExpression, VariableDeclarator,
};
use oxc::ast_visit::{walk, Visit};
use oxc::parser::Parser;
use oxc::span::SourceType;
use oxc::syntax::module_record::{
    ExportExportName, ExportImportName, ExportLocalName, ImportImportName, ModuleRecord,
};
use oxc::syntax::scope::ScopeFlags;

use crate::paths::{self, line_of};
use crate::project::{guarded, parseable, Project};

mod calls;
mod imports;

pub(crate) use calls::check_calls;
pub(crate) use imports::{check_imports, Specifier};

/// Extensions of the files read as scripts.
const SCRIPT_EXTENSIONS: [&str; 8] = ["js", "jsx", "ts", "tsx", "mjs", "cjs", "mts", "cts"];

/// Every script of the project that parsed, by path.
pub(crate) type Scripts<'a> = BTreeMap<&'a str, Script>;

/// What the check needs from one script.
#[derive(Debug, Default)]
pub(crate) struct Script {
    /// Every module it requests: static imports, re-exports, literal `import()` and `require()`.
    pub imports: Vec<Import>,
    /// The names it exports.
    pub exports: Exports,
    /// Names bound at the top level that a URL may be built from: imports, constants, axios.
    bindings: HashMap<String, Binding>,
    /// Export name → the local name it exports.
    exported: HashMap<String, String>,
    /// Functions that pass a parameter on as (the path of) a request: name → (their scope,
    /// the index of that request in `calls`); `None` when two functions share the name.
    wrappers: HashMap<String, Option<(u32, usize)>>,
    /// Calls that may be requests: `fetch`, `axios…`, and calls of names that may be wrappers.
    calls: Vec<CallSite>,
}

/// One module a script requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Import {
    /// As written, e.g. `./components/TodoList` or `react-dom/client`.
    pub specifier: String,
    /// Where the request is, for messages.
    pub line: u32,
    /// The value names it takes from the module (type-only imports are left out).
    pub names: Vec<ImportedName>,
}

/// A name an import takes from a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImportedName {
    /// `{ name }` (also `{ name as local }`, and re-exports).
    Named(String),
    /// The default export, bound to this local name.
    Default(String),
}

/// The names a module exports.
#[derive(Debug, Default, Clone)]
pub(crate) struct Exports {
    /// Every exported name; `default` for the default export.
    pub names: HashSet<String>,
    /// Whether more names may exist than are listed (`export * from`, CommonJS).
    pub open: bool,
}

/// What a top-level name stands for, as far as request URLs are concerned.
#[derive(Debug, Clone)]
enum Binding {
    /// Imported from another module.
    Import { specifier: String, name: Imported },
    /// The axios library itself.
    Axios,
    /// `axios.create({ baseURL })`: `library` is the name the library was called by.
    Instance { library: String, base: Vec<Part> },
    /// Any other value, evaluated as far as it is statically known.
    Value(Arg),
    /// Bound more than once: not statically known.
    Ambiguous,
}

#[derive(Debug, Clone)]
enum Imported {
    Named(String),
    Default,
    Namespace,
}

/// A piece of a URL as written: the URL is the concatenation of its parts.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    /// Literal text.
    Lit(String),
    /// A top-level name of this module, looked up when the project's modules are all read.
    Name(String),
    /// `import.meta.env.NAME` / `process.env.NAME` (`None`: the page's own origin), with the
    /// value used when it is unset (`VITE_API_URL || 'http://localhost:8000'`).
    Env {
        name: Option<String>,
        fallback: Option<Vec<Part>>,
    },
    /// Parameter `index` of the named function with scope `scope` (a wrapper's path).
    Param { scope: u32, index: usize },
    /// Known only at run time.
    Dynamic,
}

/// A call argument, evaluated as far as it is statically known.
#[derive(Debug, Clone)]
struct Arg {
    /// As a URL.
    url: Vec<Part>,
    /// As an options object (`{ method: 'POST' }`, axios's `{ url, method, baseURL }`).
    object: Option<ObjectArg>,
    /// As a plain value (a method name).
    value: Value,
}

impl Arg {
    fn dynamic() -> Arg {
        Arg {
            url: vec![Part::Dynamic],
            object: None,
            value: Value::Other,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct ObjectArg {
    method: Option<Value>,
    url: Option<Vec<Part>>,
    base_url: Option<Vec<Part>>,
    /// `...options`, where `options` is parameter (scope, index).
    spread_param: Option<(u32, usize)>,
    /// Any other spread: its properties are unknown.
    spread_other: bool,
}

/// A plain value: what an HTTP method name is made of.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    /// A wrapper's parameter, or one of its properties (`options.method`), with the value
    /// used when it is missing (`options.method || 'GET'`).
    Param {
        scope: u32,
        index: usize,
        key: Option<String>,
        fallback: Option<String>,
    },
    Other,
}

/// What is called.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Callee {
    /// `fetch(…)`, `window.fetch(…)`.
    Fetch,
    /// `name(…)`: axios itself, or a wrapper.
    Name(String),
    /// `object.property(…)`: an axios method, an instance's, or a namespace's function.
    Member(String, String),
}

/// A call that may be a request, with its first arguments.
#[derive(Debug, Clone)]
struct CallSite {
    callee: Callee,
    args: Vec<Arg>,
    line: u32,
}

/// Whether a path is read as a script.
pub(crate) fn is_script(path: &str) -> bool {
    SCRIPT_EXTENSIONS.contains(&paths::extension(path))
}

/// How oxc reads a file, by its name. Plain .js files in React projects often hold JSX too
/// (Vite accepts it), so JavaScript gets JSX on. The engine's validator and preview read files
/// the same way.
pub fn source_type_for(path: &str) -> SourceType {
    let source_type = SourceType::from_path(path)
        .unwrap_or_default()
        .with_module(!path.ends_with(".cjs"));
    if source_type.is_javascript() {
        source_type.with_jsx(true)
    } else {
        source_type
    }
}

/// Reads every script of the project that parses.
pub(crate) fn analyse<'a>(project: &Project<'a>) -> Scripts<'a> {
    project
        .files
        .iter()
        .filter(|(path, _)| is_script(path))
        .filter_map(|(path, text)| read(path, text).map(|script| (*path, script)))
        .collect()
}

/// One script, or `None` when it does not parse.
fn read(path: &str, text: &str) -> Option<Script> {
    if !parseable(text) {
        return None;
    }
    guarded(|| {
        let allocator = Allocator::default();
        let parsed = Parser::new(&allocator, text, source_type_for(path)).parse();
        if parsed.panicked || parsed.diagnostics.has_errors() {
            return None;
        }
        let record = &parsed.module_record;
        let mut script = Script {
            imports: imports_of(record, text),
            exports: exports_of(record, text),
            ..Script::default()
        };
        let mut reader = Reader::new(text, bindings_of(record));
        reader.visit_program(&parsed.program);
        script.imports.append(&mut reader.requires);
        script.exported = exported_of(record);
        script.wrappers = reader.wrappers();
        script.bindings = reader.bindings;
        script.calls = reader.calls;
        Some(script)
    })
}

/// Every module the script requests, with the value names it imports from each.
fn imports_of(record: &ModuleRecord<'_>, text: &str) -> Vec<Import> {
    let import_statements: HashSet<u32> = record
        .import_entries
        .iter()
        .map(|entry| entry.statement_span.start)
        .collect();
    let mut imports: Vec<Import> = Vec::new();
    for (specifier, requests) in &record.requested_modules {
        // A module only types are taken from is gone once the TypeScript is compiled.
        if requests.iter().all(|r| r.is_type) {
            continue;
        }
        let Some(first) = requests.iter().map(|r| r.span.start).min() else {
            continue;
        };
        let mut names = Vec::new();
        for entry in record.import_entries.iter() {
            if entry.is_type || entry.module_request.name.as_str() != specifier.as_str() {
                continue;
            }
            match &entry.import_name {
                ImportImportName::Name(name) => {
                    names.push(ImportedName::Named(name.name.to_string()));
                }
                ImportImportName::Default(_) => {
                    names.push(ImportedName::Default(entry.local_name.name.to_string()));
                }
                ImportImportName::NamespaceObject => {}
            }
        }
        // `export { a } from './x'` takes `a` from the module too (an import that is
        // exported again was counted with the imports above).
        for entry in record.indirect_export_entries.iter() {
            let from_here = entry
                .module_request
                .as_ref()
                .is_some_and(|m| m.name.as_str() == specifier.as_str());
            if !from_here
                || entry.is_type
                || import_statements.contains(&entry.statement_span.start)
            {
                continue;
            }
            if let ExportImportName::Name(name) = &entry.import_name {
                names.push(ImportedName::Named(name.name.to_string()));
            }
        }
        imports.push(Import {
            specifier: specifier.to_string(),
            line: line_of(text, first as usize),
            names,
        });
    }
    for dynamic in record.dynamic_imports.iter() {
        let start = dynamic.module_request.start as usize;
        let end = dynamic.module_request.end as usize;
        if let Some(specifier) = text.get(start..end).and_then(string_literal) {
            imports.push(Import {
                specifier,
                line: line_of(text, start),
                names: Vec::new(),
            });
        }
    }
    // The record keeps requests in a hash map: order them as the file does.
    imports.sort_by(|a, b| (a.line, &a.specifier).cmp(&(b.line, &b.specifier)));
    imports
}

/// The value of a quoted string literal without escapes: `'./Page'` → `./Page`.
fn string_literal(source: &str) -> Option<String> {
    let quote = source.chars().next()?;
    if !matches!(quote, '\'' | '"' | '`') || source.len() < 2 || !source.ends_with(quote) {
        return None;
    }
    let inner = &source[1..source.len() - 1];
    (!inner.contains(['\\', quote, '$'])).then(|| inner.to_string())
}

fn exports_of(record: &ModuleRecord<'_>, text: &str) -> Exports {
    let mut exports = Exports::default();
    for entry in record
        .local_export_entries
        .iter()
        .chain(record.indirect_export_entries.iter())
        .chain(record.star_export_entries.iter())
    {
        match &entry.export_name {
            ExportExportName::Name(name) => {
                exports.names.insert(name.name.to_string());
            }
            ExportExportName::Default(_) => {
                exports.names.insert("default".to_string());
            }
            // `export * from './x'`: whatever that module exports.
            ExportExportName::Null => exports.open = true,
        }
    }
    if !record.has_module_syntax && (text.contains("module.exports") || text.contains("exports.")) {
        exports.open = true;
    }
    exports
}

fn exported_of(record: &ModuleRecord<'_>) -> HashMap<String, String> {
    let mut exported = HashMap::new();
    for entry in record.local_export_entries.iter() {
        let name = match &entry.export_name {
            ExportExportName::Name(name) => name.name.to_string(),
            ExportExportName::Default(_) => "default".to_string(),
            ExportExportName::Null => continue,
        };
        let local = match &entry.local_name {
            ExportLocalName::Name(local) | ExportLocalName::Default(local) => {
                local.name.to_string()
            }
            ExportLocalName::Null => DEFAULT_LOCAL.to_string(),
        };
        exported.insert(name, local);
    }
    // Imports exported again (`export { api } from './api'`) are bound under their export
    // name by `bindings_of`, so they resolve like local names.
    for entry in record.indirect_export_entries.iter() {
        if let ExportExportName::Name(name) = &entry.export_name {
            exported.insert(name.name.to_string(), reexport_local(&name.name));
        }
    }
    exported
}

/// The name an anonymous default export (`export default axios.create(…)`) is bound under.
const DEFAULT_LOCAL: &str = "*default*";

fn reexport_local(name: &str) -> String {
    format!("*reexport*{name}")
}

fn bindings_of(record: &ModuleRecord<'_>) -> HashMap<String, Binding> {
    let mut bindings = HashMap::new();
    for entry in record.import_entries.iter() {
        let specifier = entry.module_request.name.to_string();
        let name = match &entry.import_name {
            ImportImportName::Name(name) => Imported::Named(name.name.to_string()),
            ImportImportName::Default(_) => Imported::Default,
            ImportImportName::NamespaceObject => Imported::Namespace,
        };
        let binding = if specifier == "axios" && !matches!(name, Imported::Named(_)) {
            Binding::Axios
        } else {
            Binding::Import { specifier, name }
        };
        bindings.insert(entry.local_name.name.to_string(), binding);
    }
    for entry in record.indirect_export_entries.iter() {
        let (ExportExportName::Name(export), Some(module)) =
            (&entry.export_name, &entry.module_request)
        else {
            continue;
        };
        let name = match &entry.import_name {
            ExportImportName::Name(name) => Imported::Named(name.name.to_string()),
            _ => continue,
        };
        bindings.insert(
            reexport_local(&export.name),
            Binding::Import {
                specifier: module.name.to_string(),
                name,
            },
        );
    }
    bindings
}

/// A function being read: its parameters, and the constants declared in it so far.
struct Scope {
    id: u32,
    /// Only a named function can be called from elsewhere, and so act as a wrapper.
    named: Option<String>,
    params: Vec<Option<String>>,
    locals: HashMap<String, Arg>,
}

/// Where a name read inside a function comes from.
enum Found<'r> {
    Param { scope: u32, index: usize },
    AnonymousParam,
    Local(&'r Arg),
}

/// Walks a program for what URLs are built from and the calls that may be requests.
struct Reader<'s> {
    text: &'s str,
    scopes: Vec<Scope>,
    next_scope: u32,
    /// The name of the function about to be read (`const request = async (…) => …`).
    pending_name: Option<String>,
    scope_names: HashMap<u32, String>,
    bindings: HashMap<String, Binding>,
    calls: Vec<CallSite>,
    requires: Vec<Import>,
    depth: u32,
}

/// Beyond this, expressions are not evaluated further (a URL is never built so deep).
const MAX_EVAL_DEPTH: u32 = 24;

/// Beyond this many nested expressions and functions, the walk reads no deeper.
const MAX_WALK_DEPTH: u32 = 300;

impl<'s> Reader<'s> {
    fn new(text: &'s str, bindings: HashMap<String, Binding>) -> Reader<'s> {
        Reader {
            text,
            scopes: Vec::new(),
            next_scope: 0,
            pending_name: None,
            scope_names: HashMap::new(),
            bindings,
            calls: Vec::new(),
            requires: Vec::new(),
            depth: 0,
        }
    }

    fn bind(&mut self, name: String, binding: Binding) {
        match self.bindings.get_mut(&name) {
            Some(existing) => *existing = Binding::Ambiguous,
            None => {
                self.bindings.insert(name, binding);
            }
        }
    }

    fn enter(&mut self, own_name: Option<String>, params: &FormalParameters<'_>) {
        let named = own_name.or_else(|| self.pending_name.take());
        self.pending_name = None;
        let id = self.next_scope;
        self.next_scope += 1;
        if let Some(name) = &named {
            self.scope_names.insert(id, name.clone());
        }
        let params = params
            .items
            .iter()
            .map(|p| p.pattern.get_identifier_name().map(|n| n.to_string()))
            .collect();
        self.scopes.push(Scope {
            id,
            named,
            params,
            locals: HashMap::new(),
        });
    }

    fn lookup(&self, name: &str) -> Option<Found<'_>> {
        for scope in self.scopes.iter().rev() {
            if let Some(local) = scope.locals.get(name) {
                return Some(Found::Local(local));
            }
            if let Some(index) = scope.params.iter().position(|p| p.as_deref() == Some(name)) {
                return Some(if scope.named.is_some() {
                    Found::Param {
                        scope: scope.id,
                        index,
                    }
                } else {
                    Found::AnonymousParam
                });
            }
        }
        None
    }

    /// The functions whose parameter is the path of a request they make.
    fn wrappers(&self) -> HashMap<String, Option<(u32, usize)>> {
        let mut wrappers: HashMap<String, Option<(u32, usize)>> = HashMap::new();
        for (index, call) in self.calls.iter().enumerate() {
            let Some(scope) = wrapped_scope(call) else {
                continue;
            };
            let Some(name) = self.scope_names.get(&scope) else {
                continue;
            };
            match wrappers.get(name) {
                None => {
                    wrappers.insert(name.clone(), Some((scope, index)));
                }
                // The first request of a function stands for it; another function of the
                // same name makes the name ambiguous.
                Some(Some((known, _))) if *known != scope => {
                    wrappers.insert(name.clone(), None);
                }
                Some(_) => {}
            }
        }
        wrappers
    }

    fn record_call(&mut self, call: &CallExpression<'_>) {
        let callee = match unwrap(&call.callee) {
            Expression::Identifier(id) if id.name.as_str() == "require" => {
                if let Some(Expression::StringLiteral(s)) =
                    call.arguments.first().and_then(|a| a.as_expression())
                {
                    self.requires.push(Import {
                        specifier: s.value.to_string(),
                        line: line_of(self.text, call.span.start as usize),
                        names: Vec::new(),
                    });
                }
                return;
            }
            Expression::Identifier(id) if id.name.as_str() == "fetch" => Callee::Fetch,
            Expression::Identifier(id) => Callee::Name(id.name.to_string()),
            Expression::StaticMemberExpression(member) => match unwrap(&member.object) {
                Expression::Identifier(object)
                    if member.property.name.as_str() == "fetch"
                        && matches!(object.name.as_str(), "window" | "globalThis" | "self") =>
                {
                    Callee::Fetch
                }
                Expression::Identifier(object) => {
                    Callee::Member(object.name.to_string(), member.property.name.to_string())
                }
                _ => return,
            },
            _ => return,
        };
        if call.arguments.is_empty() {
            return;
        }
        if let Callee::Member(object, property) = &callee {
            // Only members of axios, an instance or an imported module can be requests.
            let maybe = HTTP_MEMBERS.contains(&property.as_str())
                || matches!(self.bindings.get(object), Some(Binding::Import { .. }));
            if !maybe {
                return;
            }
        }
        let args = call
            .arguments
            .iter()
            .take(3)
            .map(|a| {
                a.as_expression()
                    .map_or_else(Arg::dynamic, |e| self.eval_arg(e))
            })
            .collect();
        self.calls.push(CallSite {
            callee,
            args,
            line: line_of(self.text, call.span.start as usize),
        });
    }

    fn eval_arg(&self, expression: &Expression<'_>) -> Arg {
        let expression = unwrap(expression);
        if let Expression::Identifier(id) = expression {
            match self.lookup(&id.name) {
                Some(Found::Local(arg)) => return arg.clone(),
                Some(Found::Param { scope, index }) => {
                    return Arg {
                        url: vec![Part::Param { scope, index }],
                        object: None,
                        value: Value::Param {
                            scope,
                            index,
                            key: None,
                            fallback: None,
                        },
                    }
                }
                Some(Found::AnonymousParam) => return Arg::dynamic(),
                None => {}
            }
        }
        Arg {
            url: self.eval_url(expression, 0),
            object: match expression {
                Expression::ObjectExpression(object) => Some(self.eval_object(object)),
                _ => None,
            },
            value: self.eval_value(expression, 0),
        }
    }

    fn eval_url(&self, expression: &Expression<'_>, depth: u32) -> Vec<Part> {
        if depth > MAX_EVAL_DEPTH {
            return vec![Part::Dynamic];
        }
        match unwrap(expression) {
            Expression::StringLiteral(s) => vec![Part::Lit(s.value.to_string())],
            Expression::TemplateLiteral(template) => {
                let mut parts = Vec::new();
                for (i, quasi) in template.quasis.iter().enumerate() {
                    let text = quasi.value.cooked.unwrap_or(quasi.value.raw);
                    if !text.is_empty() {
                        parts.push(Part::Lit(text.to_string()));
                    }
                    if let Some(inner) = template.expressions.get(i) {
                        parts.extend(self.eval_url(inner, depth + 1));
                    }
                }
                parts
            }
            Expression::BinaryExpression(binary) if binary.operator == BinaryOperator::Addition => {
                let mut parts = self.eval_url(&binary.left, depth + 1);
                parts.extend(self.eval_url(&binary.right, depth + 1));
                parts
            }
            Expression::Identifier(id) => match self.lookup(&id.name) {
                Some(Found::Local(arg)) => arg.url.clone(),
                Some(Found::Param { scope, index }) => vec![Part::Param { scope, index }],
                Some(Found::AnonymousParam) => vec![Part::Dynamic],
                None if id.name.as_str() == "undefined" => vec![Part::Dynamic],
                None => vec![Part::Name(id.name.to_string())],
            },
            Expression::StaticMemberExpression(member) => match env_name(member) {
                Some(name) => vec![Part::Env {
                    name,
                    fallback: None,
                }],
                None => vec![Part::Dynamic],
            },
            Expression::LogicalExpression(logical)
                if matches!(
                    logical.operator,
                    LogicalOperator::Or | LogicalOperator::Coalesce
                ) =>
            {
                let left = self.eval_url(&logical.left, depth + 1);
                match left.as_slice() {
                    [Part::Env {
                        name,
                        fallback: None,
                    }] => vec![Part::Env {
                        name: name.clone(),
                        fallback: Some(self.eval_url(&logical.right, depth + 1)),
                    }],
                    _ => vec![Part::Dynamic],
                }
            }
            Expression::ConditionalExpression(conditional) => {
                let a = literal_text(&self.eval_url(&conditional.consequent, depth + 1));
                let b = literal_text(&self.eval_url(&conditional.alternate, depth + 1));
                match (a, b) {
                    // `PROD ? '/api' : 'http://localhost:8000/api'`: the same path either way.
                    (Some(a), Some(b)) if without_local_origin(&a) == without_local_origin(&b) => {
                        vec![Part::Lit(without_local_origin(&a).to_string())]
                    }
                    _ => vec![Part::Dynamic],
                }
            }
            _ => vec![Part::Dynamic],
        }
    }

    fn eval_object(&self, object: &ObjectExpression<'_>) -> ObjectArg {
        let mut arg = ObjectArg::default();
        for property in &object.properties {
            match property {
                ObjectPropertyKind::ObjectProperty(p) => {
                    let Some(key) = p.key.static_name() else {
                        continue;
                    };
                    match key.as_ref() {
                        "method" => arg.method = Some(self.eval_value(&p.value, 0)),
                        "url" => arg.url = Some(self.eval_url(&p.value, 0)),
                        "baseURL" | "baseUrl" => arg.base_url = Some(self.eval_url(&p.value, 0)),
                        _ => {}
                    }
                }
                ObjectPropertyKind::SpreadProperty(spread) => match unwrap(&spread.argument) {
                    Expression::Identifier(id) => match self.lookup(&id.name) {
                        Some(Found::Param { scope, index }) => {
                            arg.spread_param = Some((scope, index));
                        }
                        Some(Found::Local(local)) => match &local.object {
                            Some(inner) => {
                                if arg.method.is_none() {
                                    arg.method = inner.method.clone();
                                }
                                arg.spread_param = arg.spread_param.or(inner.spread_param);
                                arg.spread_other |= inner.spread_other;
                            }
                            None => arg.spread_other = true,
                        },
                        _ => arg.spread_other = true,
                    },
                    _ => arg.spread_other = true,
                },
            }
        }
        arg
    }

    fn eval_value(&self, expression: &Expression<'_>, depth: u32) -> Value {
        if depth > MAX_EVAL_DEPTH {
            return Value::Other;
        }
        match unwrap(expression) {
            Expression::StringLiteral(s) => Value::Str(s.value.to_string()),
            Expression::TemplateLiteral(t) if t.expressions.is_empty() => {
                t.quasis.first().map_or(Value::Other, |q| {
                    Value::Str(q.value.cooked.unwrap_or(q.value.raw).to_string())
                })
            }
            Expression::Identifier(id) => match self.lookup(&id.name) {
                Some(Found::Local(arg)) => arg.value.clone(),
                Some(Found::Param { scope, index }) => Value::Param {
                    scope,
                    index,
                    key: None,
                    fallback: None,
                },
                _ => Value::Other,
            },
            Expression::StaticMemberExpression(member) => match unwrap(&member.object) {
                Expression::Identifier(id) => match self.lookup(&id.name) {
                    Some(Found::Param { scope, index }) => Value::Param {
                        scope,
                        index,
                        key: Some(member.property.name.to_string()),
                        fallback: None,
                    },
                    _ => Value::Other,
                },
                _ => Value::Other,
            },
            Expression::LogicalExpression(logical)
                if matches!(
                    logical.operator,
                    LogicalOperator::Or | LogicalOperator::Coalesce
                ) =>
            {
                match (
                    self.eval_value(&logical.left, depth + 1),
                    self.eval_value(&logical.right, depth + 1),
                ) {
                    (
                        Value::Param {
                            scope,
                            index,
                            key,
                            fallback: None,
                        },
                        Value::Str(fallback),
                    ) => Value::Param {
                        scope,
                        index,
                        key,
                        fallback: Some(fallback),
                    },
                    _ => Value::Other,
                }
            }
            // `method.toUpperCase()`
            Expression::CallExpression(call) if call.arguments.is_empty() => {
                match unwrap(&call.callee) {
                    Expression::StaticMemberExpression(member)
                        if matches!(
                            member.property.name.as_str(),
                            "toUpperCase" | "toLowerCase"
                        ) =>
                    {
                        self.eval_value(&member.object, depth + 1)
                    }
                    _ => Value::Other,
                }
            }
            _ => Value::Other,
        }
    }

    /// What a top-level constant stands for.
    fn top_level_binding(&self, init: &Expression<'_>) -> Binding {
        if let Expression::CallExpression(call) = unwrap(init) {
            if let Expression::StaticMemberExpression(member) = unwrap(&call.callee) {
                if let (Expression::Identifier(library), "create") =
                    (unwrap(&member.object), member.property.name.as_str())
                {
                    let base = call
                        .arguments
                        .first()
                        .and_then(|a| a.as_expression())
                        .and_then(|e| match unwrap(e) {
                            Expression::ObjectExpression(o) => self.eval_object(o).base_url,
                            _ => None,
                        })
                        .unwrap_or_default();
                    return Binding::Instance {
                        library: library.name.to_string(),
                        base,
                    };
                }
            }
        }
        Binding::Value(self.eval_arg(init))
    }
}

/// The axios methods that send a request (and `create`, which makes an instance).
const HTTP_MEMBERS: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "request", "head", "options",
];

impl<'a> Visit<'a> for Reader<'_> {
    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        let name = it.id.get_identifier_name().map(|n| n.to_string());
        if let (Some(name), Some(init)) = (name, &it.init) {
            if is_function(init) {
                self.pending_name = Some(name);
            } else if self.scopes.is_empty() {
                let binding = self.top_level_binding(init);
                self.bind(name, binding);
            } else {
                let arg = self.eval_arg(init);
                if let Some(scope) = self.scopes.last_mut() {
                    scope.locals.insert(name, arg);
                }
            }
        }
        walk::walk_variable_declarator(self, it);
        self.pending_name = None;
    }

    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        if self.depth > MAX_WALK_DEPTH {
            return;
        }
        self.depth += 1;
        let own = it.id.as_ref().map(|id| id.name.to_string());
        self.enter(own, &it.params);
        walk::walk_function(self, it, flags);
        self.scopes.pop();
        self.depth -= 1;
    }

    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        if self.depth > MAX_WALK_DEPTH {
            return;
        }
        self.depth += 1;
        self.enter(None, &it.params);
        walk::walk_arrow_function_expression(self, it);
        self.scopes.pop();
        self.depth -= 1;
    }

    fn visit_export_default_declaration(&mut self, it: &ExportDefaultDeclaration<'a>) {
        match &it.declaration {
            ExportDefaultDeclarationKind::FunctionDeclaration(f) if f.id.is_none() => {
                self.pending_name = Some(DEFAULT_LOCAL.to_string());
            }
            kind => {
                if let Some(expression) = kind.as_expression() {
                    if is_function(expression) {
                        self.pending_name = Some(DEFAULT_LOCAL.to_string());
                    } else if !matches!(unwrap(expression), Expression::Identifier(_)) {
                        let binding = self.top_level_binding(expression);
                        self.bind(DEFAULT_LOCAL.to_string(), binding);
                    }
                }
            }
        }
        walk::walk_export_default_declaration(self, it);
        self.pending_name = None;
    }

    fn visit_expression(&mut self, it: &Expression<'a>) {
        // Deeply nested expressions (`a + a + … + a`) are not read to the bottom: a URL is
        // never built so deep, and the walk must not run out of stack.
        if self.depth > MAX_WALK_DEPTH {
            return;
        }
        self.depth += 1;
        walk::walk_expression(self, it);
        self.depth -= 1;
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        self.record_call(it);
        walk::walk_call_expression(self, it);
    }
}

/// The scope of the named function a call passes one of its parameters through as the path
/// of a request (`fetch(`${API}${path}`, options)` inside `request(path, options)`).
fn wrapped_scope(call: &CallSite) -> Option<u32> {
    let first = call.args.first()?;
    let url = first
        .object
        .as_ref()
        .and_then(|o| o.url.as_ref())
        .unwrap_or(&first.url);
    let mut literal = String::new();
    for part in url {
        match part {
            Part::Lit(text) => {
                if text.contains(['?', '#']) {
                    return None;
                }
                literal.push_str(text);
            }
            Part::Name(_) | Part::Env { .. } => {}
            Part::Param { scope, .. } => {
                let path = without_local_origin(&literal);
                return (path.is_empty() || path == "/" || !path.ends_with('/')).then_some(*scope);
            }
            Part::Dynamic => return None,
        }
    }
    None
}

fn is_function(expression: &Expression<'_>) -> bool {
    matches!(
        unwrap(expression),
        Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_)
    )
}

/// The expression inside parentheses, `await`, and TypeScript's `as` / `!` / `satisfies`.
pub(crate) fn unwrap<'e, 'a>(expression: &'e Expression<'a>) -> &'e Expression<'a> {
    let mut current = expression;
    for _ in 0..MAX_EVAL_DEPTH {
        current = match current {
            Expression::ParenthesizedExpression(e) => &e.expression,
            Expression::AwaitExpression(e) => &e.argument,
            Expression::TSAsExpression(e) => &e.expression,
            Expression::TSNonNullExpression(e) => &e.expression,
            Expression::TSSatisfiesExpression(e) => &e.expression,
            _ => return current,
        };
    }
    current
}

/// `import.meta.env.NAME` and `process.env.NAME` → `Some(Some(NAME))`;
/// `window.location.origin` → `Some(None)` (the page's own origin).
fn env_name(member: &StaticMemberExpression<'_>) -> Option<Option<String>> {
    let property = member.property.name.as_str();
    match unwrap(&member.object) {
        Expression::StaticMemberExpression(inner) => {
            let is_env = inner.property.name.as_str() == "env"
                && match unwrap(&inner.object) {
                    Expression::ImportMeta(_) => true,
                    Expression::Identifier(id) => id.name.as_str() == "process",
                    _ => false,
                };
            if is_env {
                return Some(Some(property.to_string()));
            }
            let is_location = inner.property.name.as_str() == "location"
                && matches!(unwrap(&inner.object), Expression::Identifier(id) if id.name.as_str() == "window");
            (is_location && property == "origin").then_some(None)
        }
        Expression::Identifier(id) if id.name.as_str() == "location" && property == "origin" => {
            Some(None)
        }
        _ => None,
    }
}

/// The text of parts that are all literal.
fn literal_text(parts: &[Part]) -> Option<String> {
    let mut text = String::new();
    for part in parts {
        match part {
            Part::Lit(s) => text.push_str(s),
            _ => return None,
        }
    }
    Some(text)
}

/// Whether a host is this machine (where the generated backend runs in development).
pub(crate) fn is_local_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let name = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default().to_string()
    };
    matches!(
        name.as_str(),
        "localhost" | "127.0.0.1" | "0.0.0.0" | "[::1]"
    )
}

/// A URL with a local origin (`http://localhost:8000/api`) as its path (`/api`); any other
/// text as it is.
fn without_local_origin(url: &str) -> &str {
    match split_origin(url) {
        Some((host, path)) if is_local_host(host) => path,
        _ => url,
    }
}

/// `http://host:port/path` → (`host:port`, `/path`); `None` without a scheme.
pub(crate) fn split_origin(url: &str) -> Option<(&str, &str)> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .or_else(|| url.strip_prefix("//"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some((&rest[..end], &rest[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(path: &str, text: &str) -> Script {
        read(path, text).expect("parses")
    }

    #[test]
    fn reads_imports_with_the_names_they_take() {
        let s = script(
            "src/App.tsx",
            "import React, { useState } from 'react';\nimport TodoList from './components/TodoList';\nimport type { Todo } from './types';\nimport { type Props, api } from './api';\nimport './App.css';\nexport { helper } from './helpers';\nconst Page = () => import('./Page');\n",
        );
        let specifiers: Vec<&str> = s.imports.iter().map(|i| i.specifier.as_str()).collect();
        assert_eq!(
            specifiers,
            [
                "react",
                "./components/TodoList",
                "./api",
                "./App.css",
                "./helpers",
                "./Page"
            ]
        );
        assert_eq!(
            s.imports[1].names,
            [ImportedName::Default("TodoList".into())]
        );
        assert_eq!(s.imports[1].line, 2);
        assert_eq!(s.imports[2].names, [ImportedName::Named("api".into())]);
        assert_eq!(s.imports[4].names, [ImportedName::Named("helper".into())]);
    }

    #[test]
    fn reads_every_kind_of_export() {
        let s = script(
            "src/api.ts",
            "export const a = 1, b = 2;\nexport function c() {}\nexport class D {}\nexport interface T {}\nconst e = 1;\nexport { e as f };\nexport * as ns from './x';\nexport default function () {}\n",
        );
        let mut names: Vec<&str> = s.exports.names.iter().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["D", "T", "a", "b", "c", "default", "f", "ns"]);
        assert!(!s.exports.open);
        assert!(script("src/x.js", "export * from './y';\n").exports.open);
        assert!(
            script("src/x.cjs", "module.exports = { a: 1 };\n")
                .exports
                .open
        );
    }

    #[test]
    fn broken_scripts_are_skipped() {
        assert!(read("src/App.jsx", "export default function App( {").is_none());
        assert!(read("src/App.jsx", "\u{0}\u{1}garbage{{{").is_none());
    }

    #[test]
    fn finds_wrappers_that_pass_a_path_on() {
        let s = script(
            "src/api.js",
            "const API = import.meta.env.VITE_API_URL || 'http://localhost:8000';\nasync function request(path, options = {}) {\n  const res = await fetch(`${API}${path}`, { headers: {}, ...options });\n  return res.json();\n}\nexport const getTodo = (id) => request(`/api/todos/${id}`);\n",
        );
        assert!(matches!(s.wrappers.get("request"), Some(Some(_))));
        assert!(!s.wrappers.contains_key("getTodo"));
    }

    #[test]
    fn knows_local_origins() {
        assert_eq!(without_local_origin("http://localhost:8000/api"), "/api");
        assert_eq!(without_local_origin("http://127.0.0.1:8000"), "");
        assert_eq!(
            without_local_origin("https://example.com/api"),
            "https://example.com/api"
        );
        assert!(is_local_host("[::1]:8000"));
        assert!(!is_local_host("api.example.com"));
        assert_eq!(string_literal("'./Page'").as_deref(), Some("./Page"));
        assert_eq!(string_literal("`./${x}`"), None);
    }
}
