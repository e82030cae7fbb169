//! A contract read back from a project's FastAPI code: its routes and its pydantic models.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use rustpython_ruff_python_ast::{Expr, Number, Operator, UnaryOp};
use serde_json::{json, Map, Value};

use crate::project::Project;
use crate::python::{self, callee_name, keyword, AnnotatedName, ClassDecl, Modules};
use crate::routes::{Routes, Served};
use crate::{
    Action, Contract, Endpoint, Field, Layout, Method, Model, SourceFile, MAX_ENDPOINTS, MAX_MODELS,
};

/// The bases that make a class a pydantic model.
const MODEL_BASES: [&str; 2] = ["BaseModel", "SQLModel"];

/// Beyond this, nested annotations, literals and base classes are not followed.
const MAX_DEPTH: u32 = 32;

/// How deep an example nests models inside models.
const MAX_EXAMPLE_DEPTH: u32 = 4;

/// The most fields one example spells out (nested models included): past it, `null`.
const MAX_EXAMPLE_FIELDS: usize = 1000;

/// The most fields one model lists (inherited ones included): generated models have a
/// handful, and a bound keeps junk with thousands of classes cheap to read.
const MAX_FIELDS: usize = 100;

/// The biggest literal read as a default: one per value, plus one per byte of text.
const MAX_LITERAL_SIZE: usize = 4096;

/// How many files the notes name before "and N more".
const NAMED_FILES: usize = 3;

/// A contract read back from a project's FastAPI code, for projects written before plans had
/// a structured contract: each route an endpoint, each pydantic model (a class deriving from
/// BaseModel) a model with its annotated fields and defaults. Empty when the backend has no
/// FastAPI routes. Never panics on any input.
///
/// A class deriving from another model is a model too, with the fields it inherits; a model
/// with no fields is left out. Past [`MAX_ENDPOINTS`] routes or [`MAX_MODELS`] models, the
/// first are kept (models the kept endpoints use first) and the notes say so.
pub fn contract_from_backend(layout: &Layout, files: &[SourceFile<'_>]) -> Contract {
    crate::on_deep_stack(|| derive_here(layout, files))
}

fn derive_here(layout: &Layout, files: &[SourceFile<'_>]) -> Contract {
    let project = Project::new(layout, files);
    let modules = python::analyse(&project);
    let routes = Routes::find(&project, &modules);
    if routes.served.is_empty() {
        return Contract::default();
    }
    let catalog = Catalog::read(&modules);
    let served = &routes.served[..routes.served.len().min(MAX_ENDPOINTS)];
    let every: HashSet<&str> = catalog.models.iter().map(|m| m.name).collect();
    let mut endpoints: Vec<Endpoint> = served
        .iter()
        .map(|route| endpoint(route, &every, &catalog))
        .collect();
    let kept = catalog.kept(&endpoints);
    if kept.len() < catalog.models.len() {
        let listed: HashSet<&str> = kept.iter().map(|m| m.name).collect();
        endpoints = served
            .iter()
            .map(|route| endpoint(route, &listed, &catalog))
            .collect();
    }
    let mut read: BTreeSet<&str> = routes.app_files.iter().map(String::as_str).collect();
    read.extend(served.iter().map(|route| route.file.as_str()));
    read.extend(kept.iter().map(|model| model.file));
    let mut notes = notes(&read.into_iter().collect::<Vec<_>>());
    if served.len() < routes.served.len() {
        notes.push_str(&format!(
            " Only the first {} of its {} routes are listed.",
            served.len(),
            routes.served.len()
        ));
    }
    if kept.len() < catalog.models.len() {
        notes.push_str(&format!(
            " Only {} of its {} models are listed.",
            kept.len(),
            catalog.models.len()
        ));
    }
    Contract {
        models: kept
            .iter()
            .map(|model| Model {
                name: model.name.to_string(),
                fields: model
                    .fields
                    .iter()
                    .map(|annotated| field(annotated))
                    .collect(),
            })
            .collect(),
        endpoints,
        notes,
    }
}

/// "Read from backend/main.py's routes and models (…)", naming at most [`NAMED_FILES`] files.
fn notes(files: &[&str]) -> String {
    const WHY: &str = "(the plan had no structured contract).";
    match files {
        [] => format!("Read from the backend's routes and models {WHY}"),
        [file] => format!("Read from {file}'s routes and models {WHY}"),
        _ => {
            let mut named = files[..files.len().min(NAMED_FILES)].join(", ");
            if files.len() > NAMED_FILES {
                named.push_str(&format!(" and {} more", files.len() - NAMED_FILES));
            }
            format!("Read from the routes and models in {named} {WHY}")
        }
    }
}

/// One route as an endpoint, its model one of `listed`.
fn endpoint(route: &Served<'_>, listed: &HashSet<&str>, catalog: &Catalog<'_>) -> Endpoint {
    let handler = route.handler;
    // FastAPI prefers `response_model=` to the return annotation; `response_model=None` turns
    // it off.
    let returned = handler
        .response_model
        .as_ref()
        .filter(|model| !matches!(model, Expr::NoneLiteral(_)))
        .or(handler.returns.as_ref())
        .map(|annotation| shape(annotation, 0))
        .unwrap_or_default();
    let returned_model = returned.name.filter(|name| listed.contains(name));
    let body_model = handler.params.iter().find_map(|(_, annotation)| {
        let body = shape(annotation, 0);
        body.name.filter(|name| !body.list && listed.contains(name))
    });
    let model = returned_model.or(body_model);
    let mut endpoint = Endpoint {
        method: route.method,
        path: route.path.clone(),
        action: Action::Custom,
        model: model.map(str::to_string),
        example: None,
    };
    let has_param = !endpoint.params().is_empty();
    let one = model.is_some() && !returned.list;
    endpoint.action = match route.method {
        Method::Get if returned.list && !has_param && returned_model.is_some() => {
            endpoint.model = returned_model.map(str::to_string);
            Action::List
        }
        Method::Get if has_param && one => Action::Get,
        Method::Post if one => Action::Create,
        Method::Put | Method::Patch if has_param && one => Action::Update,
        Method::Delete if has_param && one => Action::Delete,
        _ => Action::Custom,
    };
    if endpoint.action == Action::Custom {
        let example = match returned.name.filter(|name| catalog.has(name)) {
            Some(name) => {
                let one = catalog.example(name);
                if returned.list {
                    json!([one])
                } else {
                    one
                }
            }
            None if returned.list => json!([]),
            None => json!({}),
        };
        endpoint.example = Some(example);
    }
    endpoint
}

/// What an annotation says a value is: a list or one value, and the name of its type (or of
/// its items' type).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Shape<'e> {
    list: bool,
    name: Option<&'e str>,
}

/// `Todo`, `list[Todo]`, `List[Todo]`, `Optional[Todo]`, `Todo | None`, `"Todo"`,
/// `Annotated[Todo, …]`, `models.Todo`.
fn shape(annotation: &Expr, depth: u32) -> Shape<'_> {
    if depth > MAX_DEPTH {
        return Shape::default();
    }
    match annotation {
        Expr::Name(name) => named(name.id.as_str()),
        Expr::Attribute(attribute) => named(attribute.attr.as_str()),
        Expr::StringLiteral(literal) => {
            let written = literal.value.to_str().trim();
            let name = written.rsplit('.').next().unwrap_or(written);
            let identifier =
                !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
            if identifier {
                named(name)
            } else {
                Shape::default()
            }
        }
        Expr::Subscript(subscript) => {
            let Some(head) = callee_name(&subscript.value) else {
                return Shape::default();
            };
            let inner = subscript.slice.as_ref();
            match head {
                "list" | "List" | "Sequence" => {
                    let items = shape(inner, depth + 1);
                    Shape {
                        list: true,
                        name: items.name.filter(|_| !items.list),
                    }
                }
                "Optional" => shape(inner, depth + 1),
                "Annotated" => match inner {
                    Expr::Tuple(tuple) => tuple
                        .elts
                        .first()
                        .map(|first| shape(first, depth + 1))
                        .unwrap_or_default(),
                    other => shape(other, depth + 1),
                },
                "Union" => match inner {
                    Expr::Tuple(tuple) => {
                        let mut some = tuple.elts.iter().filter(|e| !is_none(e));
                        match (some.next(), some.next()) {
                            (Some(only), None) => shape(only, depth + 1),
                            _ => Shape::default(),
                        }
                    }
                    other => shape(other, depth + 1),
                },
                _ => Shape::default(),
            }
        }
        Expr::BinOp(union) if union.op == Operator::BitOr => {
            match (is_none(&union.left), is_none(&union.right)) {
                (false, true) => shape(&union.left, depth + 1),
                (true, false) => shape(&union.right, depth + 1),
                _ => Shape::default(),
            }
        }
        _ => Shape::default(),
    }
}

fn named(name: &str) -> Shape<'_> {
    Shape {
        list: false,
        name: Some(name),
    }
}

fn is_none(expression: &Expr) -> bool {
    matches!(expression, Expr::NoneLiteral(_))
}

/// A pydantic model found in the backend.
#[derive(Debug)]
struct FoundModel<'m> {
    file: &'m str,
    name: &'m str,
    /// The class-level names that are its fields, inherited ones first.
    fields: Vec<&'m AnnotatedName>,
}

/// Every pydantic model of the backend with at least one field, in file order; of two
/// classes with one name, the last.
struct Catalog<'m> {
    models: Vec<FoundModel<'m>>,
    by_name: HashMap<&'m str, usize>,
}

impl<'m> Catalog<'m> {
    fn read(modules: &'m Modules<'_>) -> Catalog<'m> {
        let classes: Vec<(&'m str, &'m ClassDecl)> = modules
            .iter()
            .flat_map(|(file, module)| module.classes.iter().map(move |class| (*file, class)))
            .collect();
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (i, (_, class)) in classes.iter().enumerate() {
            last.insert(class.name.as_str(), i);
        }
        // A model is a class deriving from BaseModel, or from another model.
        let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
        for (name, &i) in &last {
            for base in &classes[i].1.bases {
                children.entry(base.as_str()).or_default().push(*name);
            }
        }
        let mut models: HashSet<&str> = HashSet::new();
        let mut queue: VecDeque<&str> = MODEL_BASES.into_iter().collect();
        while let Some(base) = queue.pop_front() {
            for &child in children.get(base).into_iter().flatten() {
                if !MODEL_BASES.contains(&child) && models.insert(child) {
                    queue.push_back(child);
                }
            }
        }
        let mut fields = Fields {
            classes: &classes,
            last: &last,
            models: &models,
            resolved: HashMap::new(),
            visiting: HashSet::new(),
        };
        let mut catalog = Catalog {
            models: Vec::new(),
            by_name: HashMap::new(),
        };
        for (i, &(file, class)) in classes.iter().enumerate() {
            let name = class.name.as_str();
            if last.get(name) != Some(&i) || !models.contains(name) {
                continue;
            }
            let found = fields.of(name, 0);
            if found.is_empty() {
                continue;
            }
            catalog.by_name.insert(name, catalog.models.len());
            catalog.models.push(FoundModel {
                file,
                name,
                fields: found,
            });
        }
        catalog
    }

    fn has(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// The models a contract can list: all of them, or past [`MAX_MODELS`], those the
    /// endpoints use first, in file order.
    fn kept(&self, endpoints: &[Endpoint]) -> Vec<&FoundModel<'m>> {
        if self.models.len() <= MAX_MODELS {
            return self.models.iter().collect();
        }
        let used: HashSet<&str> = endpoints
            .iter()
            .filter_map(|e| e.model.as_deref())
            .collect();
        let mut keep: HashSet<&str> = self
            .models
            .iter()
            .filter(|m| used.contains(m.name))
            .take(MAX_MODELS)
            .map(|m| m.name)
            .collect();
        for model in &self.models {
            if keep.len() >= MAX_MODELS {
                break;
            }
            keep.insert(model.name);
        }
        self.models
            .iter()
            .filter(|m| keep.contains(m.name))
            .collect()
    }

    /// An example record: each field's default, else a placeholder for its type.
    fn example(&self, name: &str) -> Value {
        let mut budget = MAX_EXAMPLE_FIELDS;
        let mut chain = Vec::new();
        self.example_of(name, &mut chain, &mut budget)
    }

    fn example_of<'n>(
        &'n self,
        name: &'n str,
        chain: &mut Vec<&'n str>,
        budget: &mut usize,
    ) -> Value {
        let Some(model) = self.by_name.get(name).map(|&i| &self.models[i]) else {
            return Value::Null;
        };
        chain.push(name);
        let mut record = Map::new();
        for annotated in &model.fields {
            let value = if *budget == 0 {
                Value::Null
            } else {
                *budget -= 1;
                match annotated.value.as_ref().and_then(default) {
                    Some(default) => default,
                    None => self.placeholder(&annotated.annotation, chain, budget),
                }
            };
            record.insert(annotated.name.clone(), value);
        }
        chain.pop();
        Value::Object(record)
    }

    /// int → 0, float → 0.0, str → "", bool → false, lists → [], dicts → {}, a model → its
    /// example; anything else → null.
    fn placeholder<'n>(
        &'n self,
        annotation: &'n Expr,
        chain: &mut Vec<&'n str>,
        budget: &mut usize,
    ) -> Value {
        let (head, bare) = match annotation {
            Expr::Subscript(subscript) => (callee_name(&subscript.value), false),
            other => (callee_name(other), true),
        };
        match head {
            Some("int") => json!(0),
            Some("float") => json!(0.0),
            Some("str") => json!(""),
            Some("bool") => json!(false),
            Some(
                "list" | "List" | "set" | "Set" | "frozenset" | "FrozenSet" | "tuple" | "Tuple"
                | "Sequence",
            ) => json!([]),
            Some("dict" | "Dict" | "Mapping") => json!({}),
            Some(model)
                if bare
                    && self.has(model)
                    && !chain.contains(&model)
                    && chain.len() < MAX_EXAMPLE_DEPTH as usize =>
            {
                self.example_of(model, chain, budget)
            }
            _ => Value::Null,
        }
    }
}

/// Works out each model's fields, its bases' first, once per model.
struct Fields<'c, 'm> {
    classes: &'c [(&'m str, &'m ClassDecl)],
    last: &'c HashMap<&'m str, usize>,
    models: &'c HashSet<&'m str>,
    resolved: HashMap<&'m str, Vec<&'m AnnotatedName>>,
    /// The models being resolved: a class that (through others) derives from itself stops here.
    visiting: HashSet<&'m str>,
}

impl<'m> Fields<'_, 'm> {
    fn of(&mut self, name: &'m str, depth: u32) -> Vec<&'m AnnotatedName> {
        if let Some(done) = self.resolved.get(name) {
            return done.clone();
        }
        let Some(&i) = self.last.get(name) else {
            return Vec::new();
        };
        if depth > MAX_DEPTH || !self.visiting.insert(name) {
            return Vec::new();
        }
        let class = self.classes[i].1;
        let mut fields = FieldList::default();
        // Like pydantic's walk of the MRO: the last base's fields first, and a field
        // redefined later keeps its first place.
        for base in class.bases.iter().rev() {
            if self.models.contains(base.as_str()) {
                for inherited in self.of(base.as_str(), depth + 1) {
                    fields.upsert(inherited);
                }
            }
        }
        for annotated in &class.annotated {
            if is_field(annotated) {
                fields.upsert(annotated);
            }
        }
        self.visiting.remove(name);
        self.resolved.insert(name, fields.list.clone());
        fields.list
    }
}

/// A model's fields in order, each name once, at most [`MAX_FIELDS`].
#[derive(Default)]
struct FieldList<'m> {
    list: Vec<&'m AnnotatedName>,
    at: HashMap<&'m str, usize>,
}

impl<'m> FieldList<'m> {
    fn upsert(&mut self, field: &'m AnnotatedName) {
        match self.at.get(field.name.as_str()) {
            Some(&i) => self.list[i] = field,
            None if self.list.len() < MAX_FIELDS => {
                self.at.insert(field.name.as_str(), self.list.len());
                self.list.push(field);
            }
            None => {}
        }
    }
}

/// Whether pydantic treats a class-level `name: annotation` as a field: not a `ClassVar`, a
/// `_private` name, `model_config`, or an SQLModel relationship.
fn is_field(annotated: &AnnotatedName) -> bool {
    let name = annotated.name.as_str();
    let relationship = matches!(
        &annotated.value,
        Some(Expr::Call(call)) if callee_name(&call.func) == Some("Relationship")
    );
    !(name.starts_with('_')
        || name == "model_config"
        || annotated.written.is_empty()
        || relationship
        || is_class_var(&annotated.annotation))
}

/// A field as the contract lists it: its type as written, its default when a literal.
fn field(annotated: &AnnotatedName) -> Field {
    Field {
        name: annotated.name.clone(),
        ty: annotated.written.clone(),
        default: annotated.value.as_ref().and_then(default),
    }
}

fn is_class_var(annotation: &Expr) -> bool {
    let head = match annotation {
        Expr::Subscript(subscript) => callee_name(&subscript.value),
        other => callee_name(other),
    };
    head == Some("ClassVar")
}

/// The default a field's value gives, when it is a literal: `= 3`, `= Field(default=3)`,
/// `= Field(3)`, `= Field(default_factory=list)`. `Field(...)` and `Field()` give none.
fn default(value: &Expr) -> Option<Value> {
    let Expr::Call(call) = value else {
        return literal(value);
    };
    if callee_name(&call.func) != Some("Field") {
        return None;
    }
    if let Some(first) = call.arguments.args.first() {
        return literal(first);
    }
    if let Some(default) = keyword(call, "default") {
        return literal(default);
    }
    match keyword(call, "default_factory").and_then(callee_name) {
        Some("list") => Some(json!([])),
        Some("dict") => Some(json!({})),
        _ => None,
    }
}

/// A literal as JSON: numbers, strings, `True`/`False`/`None`, and lists, tuples and
/// string-keyed dicts of literals, up to [`MAX_LITERAL_SIZE`].
fn literal(value: &Expr) -> Option<Value> {
    let mut room = MAX_LITERAL_SIZE;
    literal_within(value, &mut room)
}

fn literal_within(value: &Expr, room: &mut usize) -> Option<Value> {
    *room = room.checked_sub(1)?;
    match value {
        Expr::NumberLiteral(number) => json_number(&number.value, false),
        Expr::UnaryOp(unary) => match (unary.op, unary.operand.as_ref()) {
            (UnaryOp::USub, Expr::NumberLiteral(number)) => json_number(&number.value, true),
            (UnaryOp::UAdd, Expr::NumberLiteral(number)) => json_number(&number.value, false),
            _ => None,
        },
        Expr::StringLiteral(string) => text(string.value.to_str(), room).map(Value::String),
        Expr::BooleanLiteral(boolean) => Some(Value::Bool(boolean.value)),
        Expr::NoneLiteral(_) => Some(Value::Null),
        Expr::List(list) => items(&list.elts, room),
        Expr::Tuple(tuple) => items(&tuple.elts, room),
        Expr::Dict(dict) => {
            let mut object = Map::new();
            for item in &dict.items {
                let Some(Expr::StringLiteral(key)) = &item.key else {
                    return None;
                };
                let key = text(key.value.to_str(), room)?;
                object.insert(key, literal_within(&item.value, room)?);
            }
            Some(Value::Object(object))
        }
        _ => None,
    }
}

fn text(text: &str, room: &mut usize) -> Option<String> {
    *room = room.checked_sub(text.len())?;
    Some(text.to_string())
}

fn items(elements: &[Expr], room: &mut usize) -> Option<Value> {
    elements
        .iter()
        .map(|element| literal_within(element, room))
        .collect::<Option<Vec<Value>>>()
        .map(Value::Array)
}

fn json_number(number: &Number, negative: bool) -> Option<Value> {
    match number {
        Number::Int(int) if negative => int.as_i64().and_then(i64::checked_neg).map(Value::from),
        Number::Int(int) => int.as_u64().map(Value::from),
        Number::Float(float) => {
            let float = if negative { -float } else { *float };
            serde_json::Number::from_f64(float).map(Value::Number)
        }
        Number::Complex { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::{literal, shape, Shape, MAX_LITERAL_SIZE};
    use crate::{
        contract_from_backend, Action, Contract, Endpoint, Field, Layout, Method, Model,
        SourceFile, MAX_ENDPOINTS, MAX_MODELS,
    };

    fn layout() -> Layout {
        Layout {
            frontend_root: "frontend/".into(),
            backend_root: Some("backend/".into()),
        }
    }

    fn derive(files: &[(&str, &str)]) -> Contract {
        let sources: Vec<SourceFile<'_>> = files
            .iter()
            .map(|(path, text)| SourceFile { path, text })
            .collect();
        contract_from_backend(&layout(), &sources)
    }

    fn typed(name: &str, ty: &str, default: Option<serde_json::Value>) -> Field {
        Field {
            name: name.into(),
            ty: ty.into(),
            default,
        }
    }

    fn route(
        method: Method,
        path: &str,
        action: Action,
        model: Option<&str>,
        example: Option<serde_json::Value>,
    ) -> Endpoint {
        Endpoint {
            method,
            path: path.into(),
            action,
            model: model.map(str::to_string),
            example,
        }
    }

    /// Everything a derived contract promises whatever the code: models and endpoints a plan
    /// validator accepts, with only the code's own paths left to judge.
    fn assert_well_formed(contract: &Contract) {
        let problems: Vec<String> = contract
            .problems(true)
            .into_iter()
            .filter(|p| !p.contains("the path") && !p.contains("no “path”"))
            .filter(|p| !p.ends_with("is listed twice") && !p.starts_with("“endpoints” is empty"))
            .collect();
        assert_eq!(problems, Vec::<String>::new(), "{contract:#?}");
        assert_eq!(contract.endpoints.is_empty(), contract.notes.is_empty());
    }

    const TYPICAL: &str = r#"from typing import List, Optional

from fastapi import FastAPI, HTTPException
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel

app = FastAPI(title="Todos")
app.add_middleware(CORSMiddleware, allow_origins=["*"])


class TodoCreate(BaseModel):
    title: str
    done: bool = False


class Todo(BaseModel):
    id: int
    title: str
    done: bool = False


todos: list[Todo] = []


@app.get("/api/todos", response_model=list[Todo])
def list_todos():
    return todos


@app.post("/api/todos", status_code=201)
def create_todo(todo: TodoCreate) -> Todo:
    saved = Todo(id=len(todos) + 1, **todo.model_dump())
    todos.append(saved)
    return saved


@app.put("/api/todos/{todo_id}")
def update_todo(todo_id: int, todo: TodoCreate) -> Todo:
    for i, t in enumerate(todos):
        if t.id == todo_id:
            todos[i] = Todo(id=todo_id, **todo.model_dump())
            return todos[i]
    raise HTTPException(status_code=404, detail="Not found")


@app.delete("/api/todos/{todo_id}")
def delete_todo(todo_id: int):
    todos[:] = [t for t in todos if t.id != todo_id]
    return {"ok": True}


@app.get("/api/stats")
def stats() -> dict:
    return {"total": len(todos), "done": sum(t.done for t in todos)}
"#;

    fn typical() -> Vec<(&'static str, &'static str)> {
        vec![
            ("backend/main.py", TYPICAL),
            ("backend/requirements.txt", "fastapi\nuvicorn\n"),
            (
                "frontend/src/App.jsx",
                "export default function App() { return null; }\n",
            ),
        ]
    }

    #[test]
    fn a_typical_generated_backend_reads_back_as_the_contract_it_implements() {
        let todo_create = vec![
            typed("title", "str", None),
            typed("done", "bool", Some(json!(false))),
        ];
        let mut todo = vec![typed("id", "int", None)];
        todo.extend(todo_create.clone());
        let expected = Contract {
            models: vec![
                Model {
                    name: "TodoCreate".into(),
                    fields: todo_create,
                },
                Model {
                    name: "Todo".into(),
                    fields: todo,
                },
            ],
            endpoints: vec![
                route(Method::Get, "/api/todos", Action::List, Some("Todo"), None),
                route(Method::Post, "/api/todos", Action::Create, Some("Todo"), None),
                route(
                    Method::Put,
                    "/api/todos/{todo_id}",
                    Action::Update,
                    Some("Todo"),
                    None,
                ),
                route(
                    Method::Delete,
                    "/api/todos/{todo_id}",
                    Action::Custom,
                    None,
                    Some(json!({})),
                ),
                route(Method::Get, "/api/stats", Action::Custom, None, Some(json!({}))),
            ],
            notes: "Read from backend/main.py's routes and models (the plan had no structured contract)."
                .into(),
        };
        let derived = derive(&typical());
        assert_eq!(derived, expected);
        assert_eq!(derived.problems(true), Vec::<String>::new());
    }

    #[test]
    fn router_prefixes_add_up_and_routes_known_only_at_run_time_are_left_out() {
        let main = r#"from fastapi import FastAPI
from routers import todos, admin
from settings import ADMIN

app = FastAPI()
app.include_router(todos.router, prefix="/api")
app.include_router(admin.router, prefix=ADMIN)


@app.get("/health")
def health() -> dict:
    return {"ok": True}


@app.get(ADMIN + "/x")
def hidden() -> dict:
    return {}
"#;
        let todos = r#"from typing import List

from fastapi import APIRouter

from models import Todo, TodoPatch

router = APIRouter(prefix="/todos", tags=["todos"])


@router.get("", response_model=List[Todo])
async def all_todos():
    return []


@router.get("/{todo_id}", response_model=Todo)
async def one(todo_id: int):
    ...


@router.patch("/{todo_id}")
async def patch(todo_id: int, changes: TodoPatch) -> Todo:
    ...


@router.api_route("/{todo_id}", methods=["DELETE"])
async def remove(todo_id: int) -> Todo:
    ...
"#;
        let models = r#"from typing import Optional

from pydantic import BaseModel


class Todo(BaseModel):
    id: int
    title: str


class TodoPatch(BaseModel):
    title: Optional[str] = None
"#;
        let admin = "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n@router.get(\"/users\")\ndef users() -> list[dict]:\n    return []\n";
        let derived = derive(&[
            ("backend/main.py", main),
            ("backend/routers/__init__.py", ""),
            ("backend/routers/todos.py", todos),
            ("backend/routers/admin.py", admin),
            ("backend/models.py", models),
            ("backend/settings.py", "ADMIN = '/admin'\n"),
        ]);
        assert_eq!(
            derived.endpoints,
            vec![
                route(
                    Method::Get,
                    "/health",
                    Action::Custom,
                    None,
                    Some(json!({}))
                ),
                route(Method::Get, "/api/todos", Action::List, Some("Todo"), None),
                route(
                    Method::Get,
                    "/api/todos/{todo_id}",
                    Action::Get,
                    Some("Todo"),
                    None
                ),
                route(
                    Method::Patch,
                    "/api/todos/{todo_id}",
                    Action::Update,
                    Some("Todo"),
                    None
                ),
                route(
                    Method::Delete,
                    "/api/todos/{todo_id}",
                    Action::Delete,
                    Some("Todo"),
                    None
                ),
            ]
        );
        assert_eq!(
            derived.models,
            vec![
                Model {
                    name: "Todo".into(),
                    fields: vec![typed("id", "int", None), typed("title", "str", None)],
                },
                Model {
                    name: "TodoPatch".into(),
                    fields: vec![typed("title", "Optional[str]", Some(json!(null)))],
                },
            ]
        );
        assert_eq!(
            derived.notes,
            "Read from the routes and models in backend/main.py, backend/models.py, backend/routers/todos.py (the plan had no structured contract)."
        );
        assert_eq!(derived.problems(true), Vec::<String>::new());
    }

    const FIELDS: &str = r#"from datetime import datetime
from typing import ClassVar, List, Optional

import pydantic
from fastapi import FastAPI
from pydantic import ConfigDict, Field

app = FastAPI()


class Item(pydantic.BaseModel):
    model_config = ConfigDict(from_attributes=True)
    kind: ClassVar[str] = "item"
    _secret: str = "x"
    name: str = Field(..., min_length=1)
    count: int = Field(default=3, ge=0)
    price: float = Field(2.5)
    discount: float = -0.5
    rating: int = -1
    note: Optional[str] = None
    tags: list[str] = []
    meta: dict[str, int] = {"a": 1}
    pair: tuple = (1, "two", None, True)
    created: datetime = Field(default_factory=datetime.now)
    labels: List[str] = Field(default_factory=list)
    size: int | None = Field()
    when: datetime = datetime.now()
    big: int = 123456789012345678901234567890
    keys: dict = {1: "one"}
    spread: List[
        str  # one per line
    ] = ["a", "b"]

    class Config:
        orm_mode = True


@app.get("/api/item")
def item() -> Item:
    return Item(name="x")


@app.get("/api/items")
def items() -> list[Item]:
    return []
"#;

    #[test]
    fn fields_keep_their_written_types_and_their_literal_defaults() {
        let derived = derive(&[("backend/main.py", FIELDS)]);
        let expected_fields = vec![
            typed("name", "str", None),
            typed("count", "int", Some(json!(3))),
            typed("price", "float", Some(json!(2.5))),
            typed("discount", "float", Some(json!(-0.5))),
            typed("rating", "int", Some(json!(-1))),
            typed("note", "Optional[str]", Some(json!(null))),
            typed("tags", "list[str]", Some(json!([]))),
            typed("meta", "dict[str, int]", Some(json!({"a": 1}))),
            typed("pair", "tuple", Some(json!([1, "two", null, true]))),
            typed("created", "datetime", None),
            typed("labels", "List[str]", Some(json!([]))),
            typed("size", "int | None", None),
            typed("when", "datetime", None),
            typed("big", "int", None),
            typed("keys", "dict", None),
            typed("spread", "List[ str ]", Some(json!(["a", "b"]))),
        ];
        assert_eq!(
            derived.models,
            vec![Model {
                name: "Item".into(),
                fields: expected_fields,
            }]
        );
        let example = json!({
            "name": "", "count": 3, "price": 2.5, "discount": -0.5, "rating": -1, "note": null,
            "tags": [], "meta": {"a": 1}, "pair": [1, "two", null, true], "created": null,
            "labels": [], "size": null, "when": null, "big": 0, "keys": {}, "spread": ["a", "b"],
        });
        assert_eq!(
            derived.endpoints,
            vec![
                route(
                    Method::Get,
                    "/api/item",
                    Action::Custom,
                    Some("Item"),
                    Some(example.clone())
                ),
                route(Method::Get, "/api/items", Action::List, Some("Item"), None),
            ]
        );
        assert_eq!(derived.problems(true), Vec::<String>::new());
    }

    #[test]
    fn each_endpoint_gets_the_action_its_method_path_and_model_make() {
        let main = r#"from typing import Optional, Union, List
from fastapi import FastAPI
from sqlmodel import SQLModel, Field, Relationship

app = FastAPI()


class Team(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    heroes: List["Hero"] = Relationship(back_populates="team")


class Hero(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    team: Optional[Team] = None
    lead: Team


class Empty(SQLModel):
    pass


@app.get("/heroes/{hero_id}")
def one(hero_id: int) -> Optional[Hero]: ...

@app.get("/teams/{team_id}/heroes")
def of_team(team_id: int) -> list[Hero]: ...

@app.get("/me")
def me() -> "Hero": ...

@app.post("/heroes")
def create(hero: Hero): ...

@app.post("/heroes/bulk")
def bulk(heroes: list[Hero]) -> list[Hero]: ...

@app.post("/heroes/search")
def search(q: str) -> dict: ...

@app.put("/heroes")
def replace_all(hero: Hero) -> Hero: ...

@app.patch("/heroes/{hero_id}")
def rename(hero_id: int, name: str) -> Hero | None: ...

@app.delete("/heroes/{hero_id}", response_model=None)
def remove(hero_id: int) -> Union[Hero, None]: ...

@app.delete("/heroes/{hero_id}/team")
def leave(hero_id: int) -> Empty: ...

@app.api_route("/teams", methods=["GET", "POST"], response_model=Team)
def teams(): ...
"#;
        let derived = derive(&[("backend/main.py", main)]);
        let team = json!({"id": null, "name": ""});
        let hero = json!({"id": null, "name": "", "team": null, "lead": {"id": null, "name": ""}});
        assert_eq!(
            derived.endpoints,
            vec![
                route(
                    Method::Get,
                    "/heroes/{hero_id}",
                    Action::Get,
                    Some("Hero"),
                    None
                ),
                route(
                    Method::Get,
                    "/teams/{team_id}/heroes",
                    Action::Custom,
                    Some("Hero"),
                    Some(json!([hero]))
                ),
                route(
                    Method::Get,
                    "/me",
                    Action::Custom,
                    Some("Hero"),
                    Some(hero.clone())
                ),
                route(Method::Post, "/heroes", Action::Create, Some("Hero"), None),
                route(
                    Method::Post,
                    "/heroes/bulk",
                    Action::Custom,
                    Some("Hero"),
                    Some(json!([hero]))
                ),
                route(
                    Method::Post,
                    "/heroes/search",
                    Action::Custom,
                    None,
                    Some(json!({}))
                ),
                route(
                    Method::Put,
                    "/heroes",
                    Action::Custom,
                    Some("Hero"),
                    Some(hero.clone())
                ),
                route(
                    Method::Patch,
                    "/heroes/{hero_id}",
                    Action::Update,
                    Some("Hero"),
                    None
                ),
                route(
                    Method::Delete,
                    "/heroes/{hero_id}",
                    Action::Delete,
                    Some("Hero"),
                    None
                ),
                route(
                    Method::Delete,
                    "/heroes/{hero_id}/team",
                    Action::Custom,
                    None,
                    Some(json!({}))
                ),
                route(
                    Method::Get,
                    "/teams",
                    Action::Custom,
                    Some("Team"),
                    Some(team)
                ),
                route(Method::Post, "/teams", Action::Create, Some("Team"), None),
            ]
        );
        let names: Vec<&str> = derived.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Team", "Hero"]);
        assert_eq!(
            derived.models[0].fields,
            vec![
                typed("id", "Optional[int]", Some(json!(null))),
                typed("name", "str", None)
            ]
        );
        assert_eq!(derived.problems(true), Vec::<String>::new());
    }

    #[test]
    fn models_inherit_fields_and_of_two_with_one_name_the_last_is_kept() {
        let base = r#"from pydantic import BaseModel


class Stamped(BaseModel):
    created: str = "now"
    title: str = "untitled"


class Todo(BaseModel):
    old: int
"#;
        let main = r#"from fastapi import FastAPI
from base import Stamped

app = FastAPI()


class Mixin:
    extra: int = 1


class TodoBase(Stamped):
    title: str
    done: bool = False


class Todo(TodoBase, Mixin):
    id: int


class Loop(Todo, Loop):
    again: int = 2


@app.get("/api/todos")
def todos() -> list[Todo]: ...
"#;
        let derived = derive(&[("backend/base.py", base), ("backend/main.py", main)]);
        let names: Vec<&str> = derived.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Stamped", "TodoBase", "Todo", "Loop"]);
        assert_eq!(
            derived.models[2].fields,
            vec![
                typed("created", "str", Some(json!("now"))),
                typed("title", "str", None),
                typed("done", "bool", Some(json!(false))),
                typed("id", "int", None),
            ]
        );
        assert_eq!(derived.models[3].fields.len(), 5);
        assert_eq!(
            derived.notes,
            "Read from the routes and models in backend/base.py, backend/main.py (the plan had no structured contract)."
        );
        assert_eq!(derived.problems(true), Vec::<String>::new());
    }

    #[test]
    fn a_backend_without_fastapi_routes_gives_an_empty_contract() {
        let models = "from pydantic import BaseModel\n\nclass Todo(BaseModel):\n    id: int\n";
        let no_fastapi = [
            ("backend/main.py", "print('hello')\n"),
            ("backend/models.py", models),
        ];
        assert_eq!(derive(&no_fastapi), Contract::default());
        let no_routes = [(
            "backend/main.py",
            "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get(PATHS['todos'])\ndef todos(): ...\n",
        )];
        assert_eq!(derive(&no_routes), Contract::default());
        assert_eq!(
            derive(&[("backend/main.py", "def (:\n")]),
            Contract::default()
        );
        assert_eq!(derive(&[]), Contract::default());
        let no_backend = Layout {
            frontend_root: String::new(),
            backend_root: None,
        };
        let files = [SourceFile {
            path: "backend/main.py",
            text: TYPICAL,
        }];
        assert_eq!(
            contract_from_backend(&no_backend, &files),
            Contract::default()
        );
    }

    #[test]
    fn the_notes_name_three_files_and_count_the_rest() {
        let main = "from fastapi import FastAPI\nfrom routers import a, b, c, d\napp = FastAPI()\napp.include_router(a.router)\napp.include_router(b.router)\napp.include_router(c.router)\napp.include_router(d.router)\n";
        let router = "from fastapi import APIRouter\nrouter = APIRouter()\n@router.get('/x')\ndef x() -> dict: ...\n";
        let derived = derive(&[
            ("backend/main.py", main),
            ("backend/routers/a.py", &router.replace("/x", "/a")),
            ("backend/routers/b.py", &router.replace("/x", "/b")),
            ("backend/routers/c.py", &router.replace("/x", "/c")),
            ("backend/routers/d.py", &router.replace("/x", "/d")),
        ]);
        assert_eq!(derived.endpoints.len(), 4);
        assert_eq!(
            derived.notes,
            "Read from the routes and models in backend/main.py, backend/routers/a.py, backend/routers/b.py and 2 more (the plan had no structured contract)."
        );
    }

    #[test]
    fn a_route_the_code_repeats_is_the_only_problem_left() {
        let repeated = TYPICAL.replace("@app.get(\"/api/stats\")", "@app.get(\"/api/todos/\")");
        let derived = derive(&[("backend/main.py", &repeated)]);
        assert_eq!(
            derived.problems(true),
            vec!["“GET /api/todos/” is listed twice".to_string()]
        );
    }

    #[test]
    fn past_the_contract_limits_the_first_routes_and_the_models_they_use_are_kept() {
        let mut main = String::from(
            "from fastapi import FastAPI\nfrom pydantic import BaseModel\napp = FastAPI()\n",
        );
        for i in 0..MAX_MODELS + 5 {
            main.push_str(&format!("class M{i}(BaseModel):\n    id: int\n"));
        }
        for i in 0..MAX_ENDPOINTS + 3 {
            let model = MAX_MODELS + 4 - i % 5;
            main.push_str(&format!(
                "@app.get('/api/r{i}')\ndef r{i}() -> list[M{model}]: ...\n"
            ));
        }
        let derived = derive(&[("backend/main.py", &main)]);
        assert_eq!(derived.endpoints.len(), MAX_ENDPOINTS);
        assert_eq!(derived.models.len(), MAX_MODELS);
        assert!(derived.notes.ends_with(
            &format!(" Only the first {MAX_ENDPOINTS} of its {} routes are listed. Only {MAX_MODELS} of its {} models are listed.", MAX_ENDPOINTS + 3, MAX_MODELS + 5)
        ), "{}", derived.notes);
        // The five models the routes use come last in the file, and are kept before the others.
        assert!(derived.endpoints.iter().all(|e| e.action == Action::List));
        assert_eq!(derived.problems(true), Vec::<String>::new());
    }

    #[test]
    fn thousands_of_classes_and_long_inheritance_chains_stay_within_the_limits() {
        // Each class derives from the next, and the last from BaseModel, so the file's first
        // class inherits from all the others; every class also has many bases.
        let classes = 3000;
        let mut main = String::from(
            "from fastapi import FastAPI\nfrom pydantic import BaseModel\napp = FastAPI()\n",
        );
        for i in 0..classes {
            let base = if i + 1 == classes {
                "BaseModel".to_string()
            } else {
                format!("C{}", i + 1)
            };
            main.push_str(&format!(
                "class C{i}({base}, C{}, C{}):\n    f{i}: int = {i}\n",
                (i + 2) % classes,
                (i + 3) % classes
            ));
        }
        main.push_str("@app.get('/api/c/{id}')\ndef one(id: int) -> C0: ...\n");
        let started = std::time::Instant::now();
        let derived = derive(&[("backend/main.py", &main)]);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        assert_eq!(derived.models.len(), MAX_MODELS);
        assert!(derived
            .models
            .iter()
            .all(|m| m.fields.len() <= super::MAX_FIELDS));
        assert_eq!(derived.endpoints[0].action, Action::Get);
        assert_eq!(derived.problems(true), Vec::<String>::new());
    }

    #[test]
    fn annotations_name_their_model_and_whether_it_comes_as_a_list() {
        let read = |text: &str| {
            let parsed = rustpython_ruff_python_parser::parse_expression(text).unwrap();
            let found = shape(parsed.expr(), 0);
            (found.list, found.name.map(str::to_string))
        };
        let one = |name: &str| (false, Some(name.to_string()));
        let many = |name: &str| (true, Some(name.to_string()));
        assert_eq!(read("Todo"), one("Todo"));
        assert_eq!(read("models.Todo"), one("Todo"));
        assert_eq!(read("'Todo'"), one("Todo"));
        assert_eq!(read("Optional[Todo]"), one("Todo"));
        assert_eq!(read("None | Todo"), one("Todo"));
        assert_eq!(read("Annotated[Todo, Body()]"), one("Todo"));
        assert_eq!(read("list[Todo]"), many("Todo"));
        assert_eq!(read("typing.List[Optional[Todo]]"), many("Todo"));
        assert_eq!(read("list[list[Todo]]"), (true, None));
        assert_eq!(read("dict[str, Todo]"), (false, None));
        assert_eq!(read("Union[Todo, Other]"), (false, None));
        assert_eq!(read("'list of todos'"), (false, None));
        assert_eq!(
            shape(&deep("list[", "Todo", "]"), 0),
            Shape {
                list: true,
                name: None
            }
        );
    }

    #[test]
    fn only_literals_become_defaults() {
        let read = |text: &str| {
            let parsed = rustpython_ruff_python_parser::parse_expression(text).unwrap();
            literal(parsed.expr())
        };
        assert_eq!(
            read("[1, -2, 3.5, 'x', None, True, {'k': [False]}]"),
            Some(json!([1, -2, 3.5, "x", null, true, {"k": [false]}]))
        );
        assert_eq!(read("-9223372036854775808"), None);
        assert_eq!(read("18446744073709551615"), Some(json!(u64::MAX)));
        for not_literal in [
            "1j", "-x", "f'{x}'", "b'x'", "[1, x]", "{**x}", "{1: 2}", "x()", "...", "1e999",
            "not True",
        ] {
            assert_eq!(read(not_literal), None, "{not_literal}");
        }
        let huge = format!("[{}]", vec!["1"; MAX_LITERAL_SIZE].join(", "));
        assert_eq!(read(&huge), None);
        assert_eq!(read(&format!("'{}'", "x".repeat(MAX_LITERAL_SIZE))), None);
        assert_eq!(
            read(&format!("[{}]", "[".repeat(100) + &"]".repeat(100))).map(|_| ()),
            Some(())
        );
    }

    /// `open` and `close` nested around `core` deeper than annotations are followed.
    fn deep(open: &str, core: &str, close: &str) -> rustpython_ruff_python_ast::Expr {
        let levels = 100;
        let text = format!("{}{core}{}", open.repeat(levels), close.repeat(levels));
        rustpython_ruff_python_parser::parse_expression(&text)
            .unwrap()
            .into_expr()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn junk_never_panics(
            texts in proptest::collection::vec(any::<String>(), 1..6),
            bytes in proptest::collection::vec(any::<u8>(), 0..512),
            paths in proptest::collection::vec("[a-zA-Z0-9_./é-]{0,24}", 1..6),
        ) {
            let junk = String::from_utf8_lossy(&bytes).to_string();
            let mut owned: Vec<(String, String)> = Vec::new();
            for (i, path) in paths.iter().enumerate() {
                let text = if i % 2 == 0 { junk.clone() } else { texts[i % texts.len()].clone() };
                owned.push((format!("backend/{path}.py"), text));
            }
            // Real code with junk spliced in, so the parser gets past the first token.
            owned.push(("backend/main.py".into(), format!("{TYPICAL}{}", texts[0])));
            owned.push(("backend/fields.py".into(), format!("{FIELDS}{junk}")));
            let files: Vec<SourceFile<'_>> = owned.iter().map(|(path, text)| SourceFile { path, text }).collect();
            for layout in [layout(), Layout { frontend_root: "/".into(), backend_root: Some("".into()) }] {
                assert_well_formed(&contract_from_backend(&layout, &files));
            }
        }

        #[test]
        fn edited_backends_never_panic_and_read_back_well_formed(
            edits in proptest::collection::vec((0usize..2, 0usize..4096, 0usize..64, "[ -~\n]{0,12}"), 1..6),
        ) {
            // Cut, splice and duplicate parts of real code: text that nearly parses.
            let mut files = [("backend/main.py".to_string(), TYPICAL.to_string()), ("backend/fields.py".to_string(), FIELDS.to_string())];
            for (which, at, len, insert) in edits {
                let text = &files[which].1;
                let start = floor_char_boundary(text, at % (text.len() + 1));
                let end = floor_char_boundary(text, (start + len).min(text.len()));
                files[which].1 = format!("{}{insert}{}", &text[..start], &text[end..]);
            }
            let files: Vec<SourceFile<'_>> = files.iter().map(|(path, text)| SourceFile { path, text }).collect();
            assert_well_formed(&contract_from_backend(&layout(), &files));
        }
    }

    fn floor_char_boundary(text: &str, mut at: usize) -> usize {
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }
}
