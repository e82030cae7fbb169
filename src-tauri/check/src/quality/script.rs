//! The recipes a frontend script is held to, read from oxc's syntax tree.

use std::collections::HashSet;

use oxc::allocator::Allocator;
use oxc::ast::ast::{
    CallExpression, ConditionalExpression, Expression, IdentifierReference, IfStatement,
    JSXAttributeItem, JSXAttributeValue, JSXElement, JSXExpression, JSXFragment, LogicalExpression,
    LogicalOperator, StaticMemberExpression, TryStatement, UnaryExpression,
};
use oxc::ast_visit::{walk, Visit};
use oxc::parser::Parser;
use oxc::syntax::module_record::ImportImportName;

use super::{is_helper, is_remote, QualityFinding, QualityRule};
use crate::js::{source_type_for, unwrap};
use crate::paths::{self, line_of};
use crate::project::guarded;

/// What Vite always defines: reading these needs no fallback.
const VITE_BUILT_INS: [&str; 5] = ["DEV", "PROD", "MODE", "BASE_URL", "SSR"];

/// Elements whose `src` loads something into the page.
const LOADING_SRC: [&str; 7] = [
    "img", "script", "iframe", "video", "audio", "source", "embed",
];

/// Input types that need no label: buttons and hidden values.
const UNLABELLED_TYPES: [&str; 5] = ["hidden", "submit", "button", "reset", "image"];

pub(super) fn review(path: &str, text: &str, findings: &mut Vec<QualityFinding>) {
    let read = guarded(|| {
        let allocator = Allocator::default();
        let parsed = Parser::new(&allocator, text, source_type_for(path)).parse();
        if parsed.panicked || parsed.diagnostics.has_errors() {
            return None;
        }
        let mut react_dom = ReactDom::default();
        for entry in parsed.module_record.import_entries.iter() {
            if entry.module_request.name.as_str() != "react-dom" {
                continue;
            }
            let local = entry.local_name.name.to_string();
            match &entry.import_name {
                ImportImportName::Name(name)
                    if matches!(name.name.as_str(), "render" | "hydrate") =>
                {
                    react_dom.functions.insert(local);
                }
                ImportImportName::Name(_) => {}
                ImportImportName::Default(_) | ImportImportName::NamespaceObject => {
                    react_dom.objects.insert(local);
                }
            }
        }
        let mut reader = Reader {
            react_dom,
            ..Reader::default()
        };
        reader.visit_program(&parsed.program);
        Some(reader)
    });
    let Some(reader) = read else { return };
    let line = |offset: u32| Some(line_of(text, offset as usize));

    for (name, offset) in &reader.unguarded_env {
        findings.push(QualityFinding::new(
            QualityRule::GuardedEnv,
            path,
            line(*offset),
            format!("reads `import.meta.env.{name}` with no fallback, so the app calls \"undefined/…\" when it is not set: write `import.meta.env.{name} ?? \"http://localhost:8000\"`"),
        ));
    }
    if let Some(offset) = reader.legacy_render {
        findings.push(QualityFinding::new(
            QualityRule::CreateRoot,
            path,
            line(offset),
            "starts the app with `ReactDOM.render`, which React 19 no longer has (the page stays blank): use `createRoot(document.getElementById(\"root\")).render(<App />)` from \"react-dom/client\"",
        ));
    }
    let js_extension = matches!(paths::extension(path), "js" | "mjs" | "cjs");
    if let (true, Some(offset)) = (js_extension, reader.first_jsx) {
        findings.push(QualityFinding::new(
            QualityRule::JsxInJsx,
            path,
            line(offset),
            "holds JSX, which Vite refuses in a .js file: write it without JSX (plain functions, or `React.createElement`) and keep the markup in .jsx files",
        ));
    }
    if let Some((first, n)) = reader
        .unhandled_fetch
        .first()
        .map(|o| (*o, reader.unhandled_fetch.len()))
    {
        let times = if n == 1 {
            String::new()
        } else {
            format!(" ({n} calls)")
        };
        findings.push(QualityFinding::new(
            QualityRule::HandledRequests,
            path,
            line(first),
            format!("calls `fetch` with no `try`/`catch` or `.catch`{times}: when the server is down the user sees nothing; catch the failure and show a friendly message"),
        ));
    }
    if !is_helper(path) {
        if let Some((what, offset)) = reader.browser_apis.first() {
            findings.push(QualityFinding::new(
                QualityRule::BrowserHelpers,
                path,
                line(*offset),
                format!("uses `{what}` directly: keep browser storage and pop-ups in one helper module (e.g. src/storage.js) that the components import"),
            ));
        }
    }
    for (url, offset) in &reader.remote {
        findings.push(QualityFinding::new(
            QualityRule::LocalAssets,
            path,
            line(*offset),
            format!("loads \"{url}\" from the internet, which the preview blocks and an offline computer lacks: ship the file with the app or draw it with CSS or an icon"),
        ));
    }
    let unlabelled: Vec<u32> = reader
        .fields
        .iter()
        .filter(|f| {
            !f.labelled
                && !f
                    .id
                    .as_ref()
                    .is_some_and(|id| reader.label_targets.contains(id))
        })
        .map(|f| f.offset)
        .collect();
    if let Some(first) = unlabelled.first() {
        let n = unlabelled.len();
        findings.push(QualityFinding::new(
            QualityRule::LabelledInputs,
            path,
            line(*first),
            format!(
                "has {} without a label: wrap each in a `<label>` or give it `aria-label`",
                crate::count(n, "field", "fields")
            ),
        ));
    }
    if let Some(first) = reader.images_without_alt.first() {
        let n = reader.images_without_alt.len();
        findings.push(QualityFinding::new(
            QualityRule::ImageAlt,
            path,
            line(*first),
            format!(
                "has {} without `alt` text: describe each, or write `alt=\"\"` for decoration",
                crate::count(n, "image", "images")
            ),
        ));
    }
}

/// What the file imports from "react-dom" that starts an app the old way.
#[derive(Default)]
struct ReactDom {
    /// `render` / `hydrate` imported by name.
    functions: HashSet<String>,
    /// The module itself: `import ReactDOM from "react-dom"`.
    objects: HashSet<String>,
}

/// A form field: where it is, whether a label covers it, its literal `id`.
struct Field {
    offset: u32,
    labelled: bool,
    id: Option<String>,
}

#[derive(Default)]
struct Reader {
    react_dom: ReactDom,
    /// Offsets of `import.meta.env.X` reads that have a fallback or are tested first.
    guarded_env: HashSet<u32>,
    /// Inside the test of an `if` or `?:`, where a missing value is handled.
    in_test: u32,
    /// Variables an enclosing `if` or `?:` tested: read safely in its branches.
    tested: Vec<String>,
    unguarded_env: Vec<(String, u32)>,
    /// Inside a `try` block, or the promise a `.catch` handles.
    handled: u32,
    unhandled_fetch: Vec<u32>,
    browser_apis: Vec<(String, u32)>,
    legacy_render: Option<u32>,
    first_jsx: Option<u32>,
    remote: Vec<(String, u32)>,
    /// Inside a `<label>`.
    in_label: u32,
    fields: Vec<Field>,
    /// `htmlFor` values.
    label_targets: HashSet<String>,
    images_without_alt: Vec<u32>,
}

/// `import.meta.env.NAME` → NAME.
fn env_read<'a>(member: &StaticMemberExpression<'a>) -> Option<&'a str> {
    let Expression::StaticMemberExpression(inner) = unwrap(&member.object) else {
        return None;
    };
    (inner.property.name.as_str() == "env"
        && matches!(unwrap(&inner.object), Expression::ImportMeta(_)))
    .then(|| member.property.name.as_str())
}

fn as_env_read<'e, 'a>(expression: &'e Expression<'a>) -> Option<&'e StaticMemberExpression<'a>> {
    match unwrap(expression) {
        Expression::StaticMemberExpression(member) if env_read(member).is_some() => Some(member),
        _ => None,
    }
}

/// The text of an attribute written as a string: `src="…"`, `src={"…"}`, `src={`…`}` (the
/// template's first piece).
fn attribute_text(value: &JSXAttributeValue<'_>) -> Option<String> {
    match value {
        JSXAttributeValue::StringLiteral(s) => Some(s.value.to_string()),
        JSXAttributeValue::ExpressionContainer(container) => match &container.expression {
            JSXExpression::StringLiteral(s) => Some(s.value.to_string()),
            JSXExpression::TemplateLiteral(t) => t.quasis.first().map(|q| q.value.raw.to_string()),
            _ => None,
        },
        _ => None,
    }
}

impl Reader {
    /// Visits the test of an `if` or `?:`; the variables it reads count as tested until the
    /// caller truncates `tested` by the number returned.
    fn test(&mut self, test: &Expression<'_>) -> usize {
        self.in_test += 1;
        self.visit_expression(test);
        self.in_test -= 1;
        let mut names = EnvNames::default();
        names.visit_expression(test);
        let n = names.0.len();
        self.tested.extend(names.0);
        n
    }
}

/// Every `import.meta.env.X` an expression reads.
#[derive(Default)]
struct EnvNames(Vec<String>);

impl<'a> Visit<'a> for EnvNames {
    fn visit_static_member_expression(&mut self, it: &StaticMemberExpression<'a>) {
        if let Some(name) = env_read(it) {
            self.0.push(name.to_string());
        }
        walk::walk_static_member_expression(self, it);
    }
}

impl<'a> Visit<'a> for Reader {
    fn visit_logical_expression(&mut self, it: &LogicalExpression<'a>) {
        if matches!(it.operator, LogicalOperator::Coalesce | LogicalOperator::Or) {
            if let Some(member) = as_env_read(&it.left) {
                self.guarded_env.insert(member.span.start);
            }
        }
        walk::walk_logical_expression(self, it);
    }

    fn visit_conditional_expression(&mut self, it: &ConditionalExpression<'a>) {
        let tested = self.test(&it.test);
        self.visit_expression(&it.consequent);
        self.visit_expression(&it.alternate);
        self.tested.truncate(self.tested.len() - tested);
    }

    fn visit_if_statement(&mut self, it: &IfStatement<'a>) {
        let tested = self.test(&it.test);
        self.visit_statement(&it.consequent);
        if let Some(alternate) = &it.alternate {
            self.visit_statement(alternate);
        }
        self.tested.truncate(self.tested.len() - tested);
    }

    fn visit_unary_expression(&mut self, it: &UnaryExpression<'a>) {
        // `typeof import.meta.env.X`, `!import.meta.env.X`: a test of the value.
        self.in_test += 1;
        walk::walk_unary_expression(self, it);
        self.in_test -= 1;
    }

    fn visit_static_member_expression(&mut self, it: &StaticMemberExpression<'a>) {
        if let Some(name) = env_read(it) {
            if self.in_test == 0
                && !self.guarded_env.contains(&it.span.start)
                && !self.tested.iter().any(|t| t == name)
                && !VITE_BUILT_INS.contains(&name)
            {
                self.unguarded_env.push((name.to_string(), it.span.start));
            }
        }
        if let Expression::Identifier(object) = unwrap(&it.object) {
            let property = it.property.name.as_str();
            if matches!(object.name.as_str(), "window" | "globalThis")
                && matches!(property, "localStorage" | "sessionStorage")
            {
                self.browser_apis
                    .push((property.to_string(), it.span.start));
            }
        }
        walk::walk_static_member_expression(self, it);
    }

    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        if matches!(it.name.as_str(), "localStorage" | "sessionStorage") {
            self.browser_apis.push((it.name.to_string(), it.span.start));
        }
    }

    fn visit_try_statement(&mut self, it: &TryStatement<'a>) {
        self.handled += 1;
        self.visit_block_statement(&it.block);
        self.handled -= 1;
        if let Some(handler) = &it.handler {
            self.visit_catch_clause(handler);
        }
        if let Some(finalizer) = &it.finalizer {
            self.visit_block_statement(finalizer);
        }
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        match unwrap(&it.callee) {
            Expression::Identifier(id) => {
                let name = id.name.as_str();
                if name == "fetch" && self.handled == 0 {
                    self.unhandled_fetch.push(it.span.start);
                }
                if matches!(name, "alert" | "confirm" | "prompt") {
                    self.browser_apis.push((name.to_string(), it.span.start));
                }
                if self.react_dom.functions.contains(name) {
                    self.legacy_render.get_or_insert(it.span.start);
                }
            }
            Expression::StaticMemberExpression(member) => {
                let property = member.property.name.as_str();
                if let Expression::Identifier(object) = unwrap(&member.object) {
                    let object = object.name.as_str();
                    let global = matches!(object, "window" | "globalThis" | "self");
                    if global && property == "fetch" && self.handled == 0 {
                        self.unhandled_fetch.push(it.span.start);
                    }
                    if global && matches!(property, "alert" | "confirm" | "prompt") {
                        self.browser_apis
                            .push((property.to_string(), it.span.start));
                    }
                    if matches!(property, "render" | "hydrate")
                        && (self.react_dom.objects.contains(object) || object == "ReactDOM")
                    {
                        self.legacy_render.get_or_insert(it.span.start);
                    }
                }
                // `p.catch(…)` and `p.then(ok, failed)` handle the failure of `p`.
                let handles =
                    property == "catch" || (property == "then" && it.arguments.len() >= 2);
                if handles {
                    self.handled += 1;
                    self.visit_expression(&member.object);
                    self.handled -= 1;
                    self.visit_arguments(&it.arguments);
                    return;
                }
            }
            _ => {}
        }
        walk::walk_call_expression(self, it);
    }

    fn visit_jsx_fragment(&mut self, it: &JSXFragment<'a>) {
        self.first_jsx.get_or_insert(it.span.start);
        walk::walk_jsx_fragment(self, it);
    }

    fn visit_jsx_element(&mut self, it: &JSXElement<'a>) {
        self.first_jsx.get_or_insert(it.span.start);
        let opening = &it.opening_element;
        let name = opening
            .name
            .get_identifier_name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        let attribute = |wanted: &str| {
            opening.attributes.iter().find_map(|item| match item {
                JSXAttributeItem::Attribute(attr)
                    if attr.name.get_identifier().name.as_str() == wanted =>
                {
                    Some(attr.value.as_ref())
                }
                _ => None,
            })
        };
        let spread = opening
            .attributes
            .iter()
            .any(|item| matches!(item, JSXAttributeItem::SpreadAttribute(_)));
        let text_of = |wanted: &str| attribute(wanted).flatten().and_then(attribute_text);
        let start = opening.span.start;

        let loads = match name.as_str() {
            "link" => vec![text_of("href")],
            "video" => vec![text_of("src"), text_of("poster")],
            n if LOADING_SRC.contains(&n) => vec![text_of("src")],
            _ => Vec::new(),
        };
        for url in loads.into_iter().flatten().filter(|u| is_remote(u)) {
            self.remote.push((url, start));
        }
        if name == "label" {
            if let Some(target) = text_of("htmlFor") {
                self.label_targets.insert(target);
            }
        }
        if matches!(name.as_str(), "input" | "select" | "textarea") {
            let kind = text_of("type").unwrap_or_default().to_ascii_lowercase();
            let named = ["aria-label", "aria-labelledby", "title"]
                .iter()
                .any(|a| attribute(a).is_some());
            if !UNLABELLED_TYPES.contains(&kind.as_str()) {
                self.fields.push(Field {
                    offset: start,
                    labelled: self.in_label > 0 || named || spread,
                    id: text_of("id"),
                });
            }
        }
        if name == "img" && attribute("alt").is_none() && !spread {
            self.images_without_alt.push(start);
        }

        let label = name == "label";
        if label {
            self.in_label += 1;
        }
        walk::walk_jsx_element(self, it);
        if label {
            self.in_label -= 1;
        }
    }
}
