//! The preview's simulated backend: answers a generated frontend's API calls in memory, the way
//! a FastAPI backend written for the project's contract would.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::plan::{Action, Contract, Endpoint, Field, Method, Model};
use crate::sync::lock;

/// The calls kept for the request panel; older ones are dropped.
const MAX_CALLS: usize = 200;
/// The largest request body read. Everything stays in memory until the preview closes, so a
/// runaway loop in the generated app must not grow it without bound.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The most records one model's collection holds, for the same reason.
const MAX_RECORDS: usize = 10_000;
/// Method and path as recorded in a call are cut to this many characters.
const MAX_RECORDED_CHARS: usize = 2048;

/// One project's backend, simulated from its contract while its preview is open.
#[derive(Debug)]
pub struct SimulatedBackend {
    contract: Contract,
    routes: Vec<Route>,
    /// The contract's models by name (trimmed).
    models: HashMap<String, Model>,
    store: Mutex<HashMap<String, Collection>>,
    calls: Mutex<VecDeque<ApiCall>>,
}

/// What the simulator answered: the status and the JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiAnswer {
    pub status: u16,
    pub body: Value,
}

/// One request the app made, for the preview's request panel.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ApiCall {
    /// The method, upper-case.
    pub method: String,
    /// The path as the app called it.
    pub path: String,
    pub status: u16,
    /// Microseconds the simulator took.
    #[ts(type = "number")]
    pub micros: u64,
    /// What the simulator did, in words: "listed 3 Todo", "created Todo 4", "no such endpoint".
    pub note: String,
}

/// An endpoint with its path split for matching.
#[derive(Debug)]
struct Route {
    endpoint: Endpoint,
    segments: Vec<Segment>,
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    /// A `{name}` segment: takes any non-empty segment.
    Param(String),
}

/// One model's records, in the order they were created.
#[derive(Debug, Default)]
struct Collection {
    records: Vec<Map<String, Value>>,
    /// The last integer id handed out.
    last_id: u64,
}

/// How a model's records get their `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdKind {
    /// Counting up from 1.
    Counter,
    /// A random UUID v4, as text.
    Uuid,
    /// The model has no `id` field: records keep whatever the body gave.
    None,
}

/// The one field name that identifies a record.
const ID: &str = "id";

/// An answer and the note that goes with it into the call list.
struct Outcome {
    status: u16,
    body: Value,
    note: String,
}

impl Outcome {
    fn ok(body: Value, note: String) -> Self {
        Outcome {
            status: 200,
            body,
            note,
        }
    }

    /// A FastAPI `HTTPException`: `{"detail": "..."}`.
    fn detail(status: u16, detail: String, note: String) -> Self {
        Outcome {
            status,
            body: json!({ "detail": detail }),
            note,
        }
    }
}

impl SimulatedBackend {
    pub fn new(contract: Contract) -> Self {
        let routes = contract
            .endpoints
            .iter()
            .map(|endpoint| Route {
                segments: template_segments(&endpoint.path),
                endpoint: endpoint.clone(),
            })
            .collect();
        let mut models = HashMap::new();
        for model in &contract.models {
            // Like Python, a name defined twice means the later definition.
            models.insert(model.name.trim().to_string(), model.clone());
        }
        SimulatedBackend {
            contract,
            routes,
            models,
            store: Mutex::new(HashMap::new()),
            calls: Mutex::new(VecDeque::new()),
        }
    }

    /// The contract it simulates, so a changed contract can be told from the same one.
    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// How many endpoints it answers (for the toolbar: "Simulated backend: 5 endpoints").
    pub fn endpoints(&self) -> usize {
        self.routes.len()
    }

    /// Answers one request. `path` is the API path as the app wrote it after the base URL
    /// (`/api/todos/3`; a query string is ignored); `method` in any case; `body` the raw
    /// request body, which may be empty or not JSON.
    pub fn answer(&self, method: &str, path: &str, body: &[u8]) -> ApiAnswer {
        let started = Instant::now();
        let method_label = method.trim().to_ascii_uppercase();
        let outcome = self.respond(&method_label, path, body);
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let call = ApiCall {
            method: shorten(&method_label),
            path: shorten(path),
            status: outcome.status,
            micros,
            note: outcome.note,
        };
        let mut calls = lock(&self.calls);
        if calls.len() >= MAX_CALLS {
            calls.pop_front();
        }
        calls.push_back(call);
        ApiAnswer {
            status: outcome.status,
            body: outcome.body,
        }
    }

    /// The calls answered so far, oldest first (at most the last 200).
    pub fn calls(&self) -> Vec<ApiCall> {
        lock(&self.calls).iter().cloned().collect()
    }

    /// Empties every collection and the call list; ids start again.
    pub fn reset(&self) {
        lock(&self.store).clear();
        lock(&self.calls).clear();
    }

    fn respond(&self, method_label: &str, path: &str, body: &[u8]) -> Outcome {
        let segments = request_segments(path);
        let matching: Vec<(&Route, Vec<(String, String)>)> = self
            .routes
            .iter()
            .filter_map(|route| Some((route, route.params_of(&segments)?)))
            .collect();
        if matching.is_empty() {
            return Outcome::detail(
                404,
                format!(
                    "The app called {method_label} {path}, which this project's backend doesn't have."
                ),
                "no such endpoint".into(),
            );
        }
        let method = Method::parse(method_label);
        // Starlette would take the first route declared; a literal segment beating a parameter
        // is what the app's author meant whatever the order the plan listed them in.
        let mut best: Option<&(&Route, Vec<(String, String)>)> = None;
        for candidate in matching
            .iter()
            .filter(|(r, _)| Some(r.endpoint.method) == method)
        {
            if best.is_none_or(|(b, _)| candidate.0.specificity() > b.specificity()) {
                best = Some(candidate);
            }
        }
        let Some((route, params)) = best else {
            let answers: Vec<&str> = Method::ALL
                .into_iter()
                .filter(|m| matching.iter().any(|(r, _)| r.endpoint.method == *m))
                .map(Method::as_str)
                .collect();
            let answers = answers.join(", ");
            return Outcome::detail(
                405,
                format!(
                    "The app called {method_label} {path}, which this project's backend doesn't answer (it answers {answers})."
                ),
                format!("wrong method (it answers {answers})"),
            );
        };
        self.run(route, params, body)
    }

    fn run(&self, route: &Route, params: &[(String, String)], body: &[u8]) -> Outcome {
        let endpoint = &route.endpoint;
        if endpoint.action == Action::Custom {
            return match &endpoint.example {
                Some(example) => Outcome::ok(example.clone(), "answered with the example".into()),
                None => Outcome::ok(Value::Null, "answered null (no example)".into()),
            };
        }
        match self.model_of(endpoint) {
            Ok(model) => self.run_on(model, endpoint, params, body),
            Err(outcome) => outcome,
        }
    }

    /// Runs a model's action (anything but `custom`).
    fn run_on(
        &self,
        model: &Model,
        endpoint: &Endpoint,
        params: &[(String, String)],
        body: &[u8],
    ) -> Outcome {
        match endpoint.action {
            Action::List => return self.list(model, params),
            Action::Create => return self.create(model, params, body),
            _ => {}
        }
        let Some((id_param, id)) = record_id(params) else {
            return Outcome::detail(
                500,
                format!(
                    "The endpoint {} is a “{}” endpoint but its path names no record, like “{}/{{id}}”, so the simulated backend can't tell which {} is meant.",
                    endpoint.label(),
                    endpoint.action.as_str(),
                    endpoint.path.trim_end_matches('/'),
                    model.name
                ),
                "the endpoint's path has no parameter".into(),
            );
        };
        match endpoint.action {
            Action::Get => self.get(model, id),
            Action::Delete => self.delete(model, id),
            _ => {
                // Other parameters name a parent (`/lists/{list_id}/items/{id}`).
                let parents: Vec<(String, String)> = params
                    .iter()
                    .filter(|(name, _)| name != id_param)
                    .cloned()
                    .collect();
                let merge = endpoint.method == Method::Patch;
                self.update(model, id, &parents, merge, body)
            }
        }
    }

    /// The model an endpoint works on, or the 500 that says the contract lacks it.
    fn model_of(&self, endpoint: &Endpoint) -> Result<&Model, Outcome> {
        let name = endpoint
            .model
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty());
        let Some(name) = name else {
            return Err(Outcome::detail(
                500,
                format!(
                    "The endpoint {} is a “{}” endpoint but names no model, so the simulated backend doesn't know what to store.",
                    endpoint.label(),
                    endpoint.action.as_str()
                ),
                "the endpoint names no model".into(),
            ));
        };
        self.models.get(name).ok_or_else(|| {
            Outcome::detail(
                500,
                format!(
                    "The endpoint {} works on the model “{name}”, which the project's contract doesn't define.",
                    endpoint.label()
                ),
                format!("no model {name} in the contract"),
            )
        })
    }

    fn list(&self, model: &Model, params: &[(String, String)]) -> Outcome {
        // `/api/lists/{list_id}/todos` lists the todos whose `list_id` is the one in the path.
        let filters: Vec<(&str, &str)> = params
            .iter()
            .filter(|(name, _)| field(model, name).is_some())
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let store = lock(&self.store);
        let records: Vec<Value> = store
            .get(model_key(model))
            .map(|collection| {
                collection
                    .records
                    .iter()
                    .filter(|record| {
                        filters.iter().all(|(name, value)| {
                            id_text(record.get(*name)).as_deref() == Some(*value)
                        })
                    })
                    .map(|record| Value::Object(record.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let note = format!("listed {} {}", records.len(), model.name);
        Outcome::ok(Value::Array(records), note)
    }

    fn get(&self, model: &Model, id: &str) -> Outcome {
        let store = lock(&self.store);
        let found = store
            .get(model_key(model))
            .and_then(|collection| collection.position(id).map(|i| &collection.records[i]));
        match found {
            Some(record) => Outcome::ok(
                Value::Object(record.clone()),
                format!("got {} {}", model.name, shorten(id)),
            ),
            None => not_found(model, id),
        }
    }

    fn create(&self, model: &Model, params: &[(String, String)], body: &[u8]) -> Outcome {
        let mut record = match object_body(body) {
            Ok(record) => record,
            Err(outcome) => return outcome,
        };
        set_parents(model, params, &mut record);
        if let Err(outcome) = check_required(model, &record) {
            return outcome;
        }
        fill_defaults(model, &mut record);
        let mut store = lock(&self.store);
        let collection = store.entry(model_key(model).to_string()).or_default();
        if collection.records.len() >= MAX_RECORDS {
            return too_many(model);
        }
        let note = match id_kind(model) {
            IdKind::Counter => {
                collection.last_id += 1;
                record.insert(ID.into(), Value::from(collection.last_id));
                format!("created {} {}", model.name, collection.last_id)
            }
            IdKind::Uuid => {
                let id = new_uuid();
                let note = format!("created {} {id}", model.name);
                record.insert(ID.into(), Value::String(id));
                note
            }
            IdKind::None => format!("created a {}", model.name),
        };
        collection.records.push(record.clone());
        Outcome::ok(Value::Object(record), note)
    }

    fn update(
        &self,
        model: &Model,
        id: &str,
        parents: &[(String, String)],
        merge: bool,
        body: &[u8],
    ) -> Outcome {
        // FastAPI validates the body before the handler looks the record up: 422 before 404.
        let mut given = match object_body(body) {
            Ok(given) => given,
            Err(outcome) => return outcome,
        };
        set_parents(model, parents, &mut given);
        if !merge {
            if let Err(outcome) = check_required(model, &given) {
                return outcome;
            }
        }
        let mut store = lock(&self.store);
        let Some((collection, index)) = store
            .get_mut(model_key(model))
            .and_then(|c| c.position(id).map(|i| (c, i)))
        else {
            return not_found(model, id);
        };
        let record = &mut collection.records[index];
        let old_id = record.get(ID).cloned();
        let verb = if merge {
            record.extend(given);
            "updated"
        } else {
            fill_defaults(model, &mut given);
            *record = given;
            "replaced"
        };
        // A record is found by its id, so it has one; the body can't change it.
        if let Some(old_id) = old_id {
            record.insert(ID.into(), old_id);
        }
        Outcome::ok(
            Value::Object(record.clone()),
            format!("{verb} {} {}", model.name, shorten(id)),
        )
    }

    fn delete(&self, model: &Model, id: &str) -> Outcome {
        let mut store = lock(&self.store);
        let removed = store
            .get_mut(model_key(model))
            .and_then(|c| c.position(id).map(|i| c.records.remove(i)));
        match removed {
            Some(record) => Outcome::ok(
                Value::Object(record),
                format!("deleted {} {}", model.name, shorten(id)),
            ),
            None => not_found(model, id),
        }
    }
}

impl Route {
    /// The path parameters when `request` (decoded segments) matches this route's template.
    fn params_of(&self, request: &[String]) -> Option<Vec<(String, String)>> {
        if self.segments.len() != request.len() {
            return None;
        }
        let mut params = Vec::new();
        for (template, given) in self.segments.iter().zip(request) {
            match template {
                Segment::Literal(text) if text == given => {}
                Segment::Param(name) if !given.is_empty() => {
                    params.push((name.clone(), given.clone()));
                }
                _ => return None,
            }
        }
        Some(params)
    }

    /// Which segments are literal, in order: more literal segments, earlier, match first.
    fn specificity(&self) -> Vec<bool> {
        self.segments
            .iter()
            .map(|s| matches!(s, Segment::Literal(_)))
            .collect()
    }
}

impl Collection {
    fn position(&self, id: &str) -> Option<usize> {
        self.records
            .iter()
            .position(|record| id_text(record.get(ID)).as_deref() == Some(id))
    }
}

/// A template's segments after its leading slash, trailing slashes ignored.
fn template_segments(path: &str) -> Vec<Segment> {
    split_path(path)
        .map(|segment| match segment.find('{') {
            Some(open) => {
                let inside = &segment[open + 1..];
                let inside = inside.split('}').next().unwrap_or(inside);
                // FastAPI's converters (`{path:path}`) name the parameter before the colon.
                let name = inside.split(':').next().unwrap_or(inside).trim();
                Segment::Param(name.to_string())
            }
            None => Segment::Literal(segment.to_string()),
        })
        .collect()
}

/// A called path's segments, decoded, without its query string or fragment.
fn request_segments(path: &str) -> Vec<String> {
    let end = path.find(['?', '#']).unwrap_or(path.len());
    split_path(&path[..end]).map(percent_decode).collect()
}

fn split_path(path: &str) -> std::str::Split<'_, char> {
    let path = path.trim();
    let path = path.strip_prefix('/').unwrap_or(path);
    path.trim_end_matches('/').split('/')
}

/// Decodes `%XX` escapes; bytes that are not UTF-8 become U+FFFD.
pub(crate) fn percent_decode(raw: &str) -> String {
    if !raw.contains('%') {
        return raw.to_string();
    }
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(high << 4 | low);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The parameter that names the record, and its value: `{id}`, else the last one
/// (`/lists/{l}/todos/{t}`).
fn record_id(params: &[(String, String)]) -> Option<(&str, &str)> {
    params
        .iter()
        .find(|(name, _)| name == ID)
        .or(params.last())
        .map(|(name, value)| (name.as_str(), value.as_str()))
}

/// Path parameters that name fields of the model (a parent's id, as in
/// `/api/lists/{list_id}/todos`) go into the record the way the handler would store them.
fn set_parents(model: &Model, params: &[(String, String)], record: &mut Map<String, Value>) {
    for (name, value) in params {
        if let Some(field) = field(model, name).filter(|f| f.name.trim() != ID) {
            record.insert(name.clone(), typed(&field.ty, value));
        }
    }
}

/// An id as the path would spell it: `3` for the number 3 and for the text "3".
fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

fn model_key(model: &Model) -> &str {
    model.name.trim()
}

fn field<'m>(model: &'m Model, name: &str) -> Option<&'m Field> {
    model.fields.iter().find(|f| f.name.trim() == name)
}

fn id_kind(model: &Model) -> IdKind {
    match field(model, ID) {
        None => IdKind::None,
        Some(f) if is_integer_type(&f.ty) => IdKind::Counter,
        Some(_) => IdKind::Uuid,
    }
}

/// The type without `Optional[...]` or a `| None` alternative, lower-case: `int` for
/// `Optional[int]`.
fn core_type(ty: &str) -> String {
    let ty = ty.trim().to_ascii_lowercase();
    let ty = ty.trim_end_matches('?');
    let ty = ty
        .strip_prefix("optional[")
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(ty);
    ty.split('|')
        .map(str::trim)
        .find(|part| !matches!(*part, "none" | "null"))
        .unwrap_or(ty)
        .to_string()
}

fn is_integer_type(ty: &str) -> bool {
    matches!(core_type(ty).as_str(), "int" | "integer" | "number")
}

/// Whether the type says the value may be missing (`Optional[str]`, `str | None`, `string?`):
/// such a field is not required and defaults to `null`. The plan's `"default": null` reads as
/// no default at all, so the type is the only place this shows.
fn is_optional_type(ty: &str) -> bool {
    let ty = ty.trim().to_ascii_lowercase();
    ty.starts_with("optional[")
        || ty.ends_with('?')
        || ty
            .split('|')
            .any(|part| matches!(part.trim(), "none" | "null"))
}

/// A path parameter as the value a field of type `ty` holds: `3` for an `int` field.
fn typed(ty: &str, text: &str) -> Value {
    match core_type(ty).as_str() {
        "int" | "integer" | "number" | "float" | "decimal" => {
            if let Ok(n) = text.parse::<i64>() {
                return Value::from(n);
            }
            match text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
            {
                Some(n) => Value::Number(n),
                None => Value::String(text.into()),
            }
        }
        "bool" | "boolean" => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text.into()),
        },
        _ => Value::String(text.into()),
    }
}

/// The request body as a JSON object, or the answer pydantic gives when it is not one.
fn object_body(body: &[u8]) -> Result<Map<String, Value>, Outcome> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Outcome::detail(
            413,
            format!(
                "The request body is {} bytes; the simulated backend reads at most {MAX_BODY_BYTES}.",
                body.len()
            ),
            "body too large".into(),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(record)) => Ok(record),
        _ => Err(Outcome {
            status: 422,
            body: json!({ "detail": [{
                "loc": ["body"],
                "msg": "Input should be a valid object",
                "type": "model_attributes_type",
            }] }),
            note: "the body is not a JSON object".into(),
        }),
    }
}

/// Every required field the body leaves out, all named at once as pydantic does.
fn check_required(model: &Model, record: &Map<String, Value>) -> Result<(), Outcome> {
    let missing: Vec<&str> = model
        .fields
        .iter()
        .filter(|f| f.default.is_none() && !is_optional_type(&f.ty))
        .map(|f| f.name.trim())
        .filter(|name| *name != ID && !name.is_empty() && !record.contains_key(*name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let detail: Vec<Value> = missing
        .iter()
        .map(|name| json!({ "loc": ["body", name], "msg": "Field required", "type": "missing" }))
        .collect();
    Err(Outcome {
        status: 422,
        body: json!({ "detail": detail }),
        note: format!("missing {}", missing.join(", ")),
    })
}

/// Fills what the body left out: a field's default, or `null` for an optional one.
fn fill_defaults(model: &Model, record: &mut Map<String, Value>) {
    for f in &model.fields {
        let name = f.name.trim();
        if name == ID || name.is_empty() || record.contains_key(name) {
            continue;
        }
        if let Some(default) = &f.default {
            record.insert(name.to_string(), default.clone());
        } else if is_optional_type(&f.ty) {
            record.insert(name.to_string(), Value::Null);
        }
    }
}

fn not_found(model: &Model, id: &str) -> Outcome {
    let detail = format!("{} {id} not found", model.name);
    let note = format!("{} {} not found", model.name, shorten(id));
    Outcome::detail(404, detail, note)
}

fn too_many(model: &Model) -> Outcome {
    Outcome::detail(
        507,
        format!(
            "The simulated backend holds at most {MAX_RECORDS} {} records; reset the preview's data to start again.",
            model.name
        ),
        format!("too many {}", model.name),
    )
}

/// A random UUID v4 in its usual text form.
fn new_uuid() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // The preview's ids need not be secret; an id is better than a failed create.
        bytes.fill_with(|| fastrand::u8(..));
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Text cut to what the call list keeps.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_RECORDED_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use super::*;

    fn contract(value: Value) -> Contract {
        serde_json::from_value(value).unwrap()
    }

    /// The design's example, with a `get`, a `PATCH` and a literal route beside `{id}`.
    fn todos() -> SimulatedBackend {
        SimulatedBackend::new(contract(json!({
            "models": [{"name": "Todo", "fields": [
                {"name": "id", "type": "int"},
                {"name": "title", "type": "str"},
                {"name": "done", "type": "bool", "default": false},
            ]}],
            "endpoints": [
                {"method": "GET",    "path": "/api/todos",       "action": "list",   "model": "Todo"},
                {"method": "POST",   "path": "/api/todos",       "action": "create", "model": "Todo"},
                {"method": "GET",    "path": "/api/todos/{id}",  "action": "get",    "model": "Todo"},
                {"method": "PUT",    "path": "/api/todos/{id}",  "action": "update", "model": "Todo"},
                {"method": "PATCH",  "path": "/api/todos/{id}",  "action": "update", "model": "Todo"},
                {"method": "DELETE", "path": "/api/todos/{id}",  "action": "delete", "model": "Todo"},
                {"method": "GET",    "path": "/api/todos/stats", "action": "custom", "example": {"total": 0}},
                {"method": "GET",    "path": "/api/stats",       "action": "custom", "example": {"total": 0}},
            ],
        })))
    }

    fn create(backend: &SimulatedBackend, body: Value) -> ApiAnswer {
        backend.answer("POST", "/api/todos", body.to_string().as_bytes())
    }

    fn is_uuid_v4(text: &str) -> bool {
        let bytes = text.as_bytes();
        text.len() == 36
            && [8, 13, 18, 23].iter().all(|&i| bytes[i] == b'-')
            && text
                .chars()
                .filter(|c| *c != '-')
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
            && bytes[14] == b'4'
            && b"89ab".contains(&bytes[19])
    }

    #[test]
    fn counts_its_endpoints() {
        assert_eq!(todos().endpoints(), 8);
        assert_eq!(SimulatedBackend::new(Contract::default()).endpoints(), 0);
    }

    #[test]
    fn creates_records_with_ids_counting_up_and_defaults_filled() {
        let backend = todos();
        let first = create(&backend, json!({"title": "milk", "id": 99, "extra": [1]}));
        assert_eq!(first.status, 200);
        assert_eq!(
            first.body,
            json!({"id": 1, "title": "milk", "done": false, "extra": [1]})
        );
        let second = create(&backend, json!({"title": "eggs", "done": true}));
        assert_eq!(second.body, json!({"id": 2, "title": "eggs", "done": true}));
    }

    #[test]
    fn lists_records_in_the_order_they_were_created() {
        let backend = todos();
        assert_eq!(
            backend.answer("GET", "/api/todos", b""),
            ApiAnswer {
                status: 200,
                body: json!([])
            }
        );
        create(&backend, json!({"title": "a"}));
        create(&backend, json!({"title": "b"}));
        let listed = backend.answer("get", "/api/todos/?sort=asc", b"");
        assert_eq!(listed.status, 200);
        let titles: Vec<&str> = listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, ["a", "b"]);
    }

    #[test]
    fn gets_a_record_by_its_id_and_404s_an_unknown_one() {
        let backend = todos();
        create(&backend, json!({"title": "a"}));
        create(&backend, json!({"title": "b"}));
        let got = backend.answer("GET", "/api/todos/2", b"");
        assert_eq!(got.status, 200);
        assert_eq!(got.body["title"], "b");
        let missing = backend.answer("GET", "/api/todos/7", b"");
        assert_eq!(missing.status, 404);
        assert_eq!(missing.body, json!({"detail": "Todo 7 not found"}));
        assert_eq!(backend.answer("GET", "/api/todos/abc", b"").status, 404);
    }

    #[test]
    fn string_ids_are_random_uuids_and_match_their_path() {
        let backend = SimulatedBackend::new(contract(json!({
            "models": [{"name": "Note", "fields": [
                {"name": "id", "type": "UUID"}, {"name": "text", "type": "str"},
            ]}],
            "endpoints": [
                {"method": "POST", "path": "/api/notes", "action": "create", "model": "Note"},
                {"method": "GET", "path": "/api/notes/{note_id}", "action": "get", "model": "Note"},
            ],
        })));
        let a = backend.answer("POST", "/api/notes", br#"{"text": "x", "id": "mine"}"#);
        let b = backend.answer("POST", "/api/notes", br#"{"text": "y"}"#);
        let (a_id, b_id) = (
            a.body["id"].as_str().unwrap(),
            b.body["id"].as_str().unwrap(),
        );
        assert!(is_uuid_v4(a_id), "{a_id}");
        assert!(is_uuid_v4(b_id), "{b_id}");
        assert_ne!(a_id, b_id);
        let got = backend.answer("GET", &format!("/api/notes/{b_id}"), b"");
        assert_eq!(got.status, 200);
        assert_eq!(got.body["text"], "y");
    }

    #[test]
    fn path_ids_match_numbers_and_text_and_are_percent_decoded() {
        let backend = SimulatedBackend::new(contract(json!({
            "models": [{"name": "Tag", "fields": [{"name": "name", "type": "str"}]}],
            "endpoints": [
                {"method": "POST", "path": "/api/tags", "action": "create", "model": "Tag"},
                {"method": "GET", "path": "/api/tags/{id}", "action": "get", "model": "Tag"},
            ],
        })));
        // No `id` field in the model: records keep the id the body gave, text or number.
        backend.answer("POST", "/api/tags", br#"{"name": "a", "id": "a b"}"#);
        backend.answer("POST", "/api/tags", br#"{"name": "n", "id": 3}"#);
        assert_eq!(
            backend.answer("GET", "/api/tags/a%20b", b"").body["name"],
            "a"
        );
        assert_eq!(backend.answer("GET", "/api/tags/3", b"").body["name"], "n");
        assert_eq!(backend.answer("GET", "/api/tags/3/", b"").status, 200);
    }

    #[test]
    fn a_create_missing_required_fields_names_each_one() {
        let backend = SimulatedBackend::new(contract(json!({
            "models": [{"name": "Book", "fields": [
                {"name": "id", "type": "int"},
                {"name": "title", "type": "str"},
                {"name": "author", "type": "str"},
                {"name": "year", "type": "int", "default": 2000},
                {"name": "isbn", "type": "Optional[str]"},
            ]}],
            "endpoints": [{"method": "POST", "path": "/api/books", "action": "create", "model": "Book"}],
        })));
        let answer = backend.answer("POST", "/api/books", b"{}");
        assert_eq!(answer.status, 422);
        assert_eq!(
            answer.body,
            json!({"detail": [
                {"loc": ["body", "title"], "msg": "Field required", "type": "missing"},
                {"loc": ["body", "author"], "msg": "Field required", "type": "missing"},
            ]})
        );
        let made = backend.answer("POST", "/api/books", br#"{"title": "t", "author": "a"}"#);
        assert_eq!(
            made.body,
            json!({"id": 1, "title": "t", "author": "a", "year": 2000, "isbn": null})
        );
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused_like_pydantic() {
        let backend = todos();
        let expected = json!({"detail": [{
            "loc": ["body"], "msg": "Input should be a valid object", "type": "model_attributes_type",
        }]});
        for body in [
            &b""[..],
            b"[1]",
            b"not json",
            b"\xff\xfe",
            b"null",
            b"\"text\"",
        ] {
            let answer = backend.answer("POST", "/api/todos", body);
            assert_eq!(answer.status, 422);
            assert_eq!(answer.body, expected);
        }
        let put = backend.answer("PUT", "/api/todos/1", b"[]");
        assert_eq!(put.status, 422);
    }

    #[test]
    fn patch_merges_and_put_replaces() {
        let backend = todos();
        create(&backend, json!({"title": "a", "note": "keep?"}));
        let patched = backend.answer("PATCH", "/api/todos/1", br#"{"done": true, "id": 5}"#);
        assert_eq!(patched.status, 200);
        assert_eq!(
            patched.body,
            json!({"id": 1, "title": "a", "done": true, "note": "keep?"})
        );
        let replaced = backend.answer("PUT", "/api/todos/1", br#"{"title": "b"}"#);
        assert_eq!(replaced.status, 200);
        assert_eq!(replaced.body, json!({"id": 1, "title": "b", "done": false}));
        assert_eq!(
            backend.answer("GET", "/api/todos/1", b"").body,
            replaced.body
        );
    }

    #[test]
    fn a_put_missing_a_required_field_is_refused_and_changes_nothing() {
        let backend = todos();
        create(&backend, json!({"title": "a"}));
        let answer = backend.answer("PUT", "/api/todos/1", br#"{"done": true}"#);
        assert_eq!(answer.status, 422);
        assert_eq!(answer.body["detail"][0]["loc"], json!(["body", "title"]));
        assert_eq!(
            backend.answer("GET", "/api/todos/1", b"").body,
            json!({"id": 1, "title": "a", "done": false})
        );
    }

    #[test]
    fn updating_or_deleting_an_unknown_record_is_404() {
        let backend = todos();
        for (method, body) in [
            ("PUT", r#"{"title": "x"}"#),
            ("PATCH", "{}"),
            ("DELETE", ""),
        ] {
            let answer = backend.answer(method, "/api/todos/9", body.as_bytes());
            assert_eq!(answer.status, 404, "{method}");
            assert_eq!(answer.body, json!({"detail": "Todo 9 not found"}));
        }
    }

    #[test]
    fn delete_returns_the_removed_record() {
        let backend = todos();
        create(&backend, json!({"title": "a"}));
        create(&backend, json!({"title": "b"}));
        let deleted = backend.answer("DELETE", "/api/todos/1", b"");
        assert_eq!(deleted.status, 200);
        assert_eq!(deleted.body["title"], "a");
        assert_eq!(backend.answer("GET", "/api/todos/1", b"").status, 404);
        assert_eq!(
            backend
                .answer("GET", "/api/todos", b"")
                .body
                .as_array()
                .unwrap()
                .len(),
            1
        );
        // Ids are not reused after a delete.
        assert_eq!(create(&backend, json!({"title": "c"})).body["id"], 3);
    }

    #[test]
    fn custom_endpoints_answer_their_example() {
        let backend = todos();
        assert_eq!(
            backend.answer("GET", "/api/stats", b""),
            ApiAnswer {
                status: 200,
                body: json!({"total": 0})
            }
        );
        let bare = SimulatedBackend::new(contract(json!({
            "endpoints": [{"method": "POST", "path": "/api/ping", "action": "custom"}],
        })));
        assert_eq!(bare.answer("POST", "/api/ping", b"").body, Value::Null);
    }

    #[test]
    fn a_literal_segment_beats_a_parameter_whatever_the_order() {
        let backend = todos();
        create(&backend, json!({"title": "a"}));
        assert_eq!(
            backend.answer("GET", "/api/todos/stats", b"").body,
            json!({"total": 0})
        );
        let reversed = SimulatedBackend::new(contract(json!({
            "endpoints": [
                {"method": "GET", "path": "/api/{kind}/{id}", "action": "custom", "example": "param"},
                {"method": "GET", "path": "/api/{kind}/stats", "action": "custom", "example": "late literal"},
                {"method": "GET", "path": "/api/todos/{id}", "action": "custom", "example": "early literal"},
            ],
        })));
        assert_eq!(
            reversed.answer("GET", "/api/todos/stats", b"").body,
            "early literal"
        );
        assert_eq!(
            reversed.answer("GET", "/api/notes/stats", b"").body,
            "late literal"
        );
        assert_eq!(reversed.answer("GET", "/api/notes/3", b"").body, "param");
    }

    #[test]
    fn an_unknown_route_is_404_with_a_sentence() {
        let backend = todos();
        let answer = backend.answer("post", "/api/x", b"{}");
        assert_eq!(answer.status, 404);
        assert_eq!(
            answer.body,
            json!({"detail": "The app called POST /api/x, which this project's backend doesn't have."})
        );
        assert_eq!(backend.answer("GET", "/api/todos/1/2", b"").status, 404);
        assert_eq!(backend.answer("GET", "/api/todos//", b"").status, 200);
    }

    #[test]
    fn a_known_path_with_the_wrong_method_is_405_naming_the_methods() {
        let backend = todos();
        let answer = backend.answer("DELETE", "/api/todos", b"");
        assert_eq!(answer.status, 405);
        assert_eq!(
            answer.body,
            json!({"detail": "The app called DELETE /api/todos, which this project's backend doesn't answer (it answers GET, POST)."})
        );
        let odd = backend.answer("OPTIONS", "/api/todos/3", b"");
        assert_eq!(odd.status, 405);
        assert!(odd.body["detail"]
            .as_str()
            .unwrap()
            .ends_with("(it answers GET, PUT, PATCH, DELETE)."));
    }

    #[test]
    fn an_endpoint_whose_model_is_missing_is_a_500_in_words() {
        let backend = SimulatedBackend::new(contract(json!({
            "endpoints": [
                {"method": "GET", "path": "/api/users", "action": "list", "model": "User"},
                {"method": "GET", "path": "/api/things", "action": "list"},
            ],
        })));
        let answer = backend.answer("GET", "/api/users", b"");
        assert_eq!(answer.status, 500);
        assert_eq!(
            answer.body,
            json!({"detail": "The endpoint GET /api/users works on the model “User”, which the project's contract doesn't define."})
        );
        assert_eq!(backend.answer("GET", "/api/things", b"").status, 500);
    }

    #[test]
    fn nested_routes_list_and_create_under_their_parent() {
        let backend = SimulatedBackend::new(contract(json!({
            "models": [{"name": "Item", "fields": [
                {"name": "id", "type": "int"}, {"name": "list_id", "type": "int"}, {"name": "text", "type": "str"},
            ]}],
            "endpoints": [
                {"method": "GET", "path": "/api/lists/{list_id}/items", "action": "list", "model": "Item"},
                {"method": "POST", "path": "/api/lists/{list_id}/items", "action": "create", "model": "Item"},
                {"method": "PUT", "path": "/api/lists/{list_id}/items/{item_id}", "action": "update", "model": "Item"},
                {"method": "DELETE", "path": "/api/lists/{list_id}/items/{item_id}", "action": "delete", "model": "Item"},
            ],
        })));
        let made = backend.answer("POST", "/api/lists/4/items", br#"{"text": "a"}"#);
        assert_eq!(made.body, json!({"id": 1, "list_id": 4, "text": "a"}));
        backend.answer("POST", "/api/lists/5/items", br#"{"text": "b"}"#);
        let listed = backend.answer("GET", "/api/lists/4/items", b"");
        assert_eq!(listed.body, json!([{"id": 1, "list_id": 4, "text": "a"}]));
        let replaced = backend.answer("PUT", "/api/lists/4/items/1", br#"{"text": "c"}"#);
        assert_eq!(replaced.body, json!({"id": 1, "list_id": 4, "text": "c"}));
        assert_eq!(
            backend.answer("DELETE", "/api/lists/5/items/2", b"").status,
            200
        );
    }

    #[test]
    fn reset_empties_everything_and_restarts_ids() {
        let backend = todos();
        create(&backend, json!({"title": "a"}));
        create(&backend, json!({"title": "b"}));
        backend.reset();
        assert!(backend.calls().is_empty());
        assert_eq!(backend.answer("GET", "/api/todos", b"").body, json!([]));
        assert_eq!(create(&backend, json!({"title": "c"})).body["id"], 1);
    }

    #[test]
    fn every_call_is_recorded_with_a_note() {
        let backend = todos();
        create(&backend, json!({"title": "a"}));
        backend.answer("get", "/api/todos", b"");
        backend.answer("GET", "/api/todos/7", b"");
        backend.answer("POST", "/api/todos", b"{}");
        backend.answer("PATCH", "/api/todos/1", br#"{"done": true}"#);
        backend.answer("PUT", "/api/todos/1", br#"{"title": "z"}"#);
        backend.answer("GET", "/api/todos/1", b"");
        backend.answer("GET", "/api/stats", b"");
        backend.answer("DELETE", "/api/todos/1", b"");
        backend.answer("POST", "/api/x?y=1", b"");
        backend.answer("DELETE", "/api/todos", b"");
        let calls = backend.calls();
        let seen: Vec<(&str, &str, u16, &str)> = calls
            .iter()
            .map(|c| {
                (
                    c.method.as_str(),
                    c.path.as_str(),
                    c.status,
                    c.note.as_str(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("POST", "/api/todos", 200, "created Todo 1"),
                ("GET", "/api/todos", 200, "listed 1 Todo"),
                ("GET", "/api/todos/7", 404, "Todo 7 not found"),
                ("POST", "/api/todos", 422, "missing title"),
                ("PATCH", "/api/todos/1", 200, "updated Todo 1"),
                ("PUT", "/api/todos/1", 200, "replaced Todo 1"),
                ("GET", "/api/todos/1", 200, "got Todo 1"),
                ("GET", "/api/stats", 200, "answered with the example"),
                ("DELETE", "/api/todos/1", 200, "deleted Todo 1"),
                ("POST", "/api/x?y=1", 404, "no such endpoint"),
                (
                    "DELETE",
                    "/api/todos",
                    405,
                    "wrong method (it answers GET, POST)"
                ),
            ]
        );
    }

    #[test]
    fn keeps_only_the_last_calls() {
        let backend = todos();
        for i in 0..MAX_CALLS + 5 {
            backend.answer("GET", &format!("/api/todos/{i}"), b"");
        }
        let calls = backend.calls();
        assert_eq!(calls.len(), MAX_CALLS);
        assert_eq!(calls[0].path, "/api/todos/5");
    }

    #[test]
    fn concurrent_creates_get_distinct_ids() {
        let backend = Arc::new(todos());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let backend = Arc::clone(&backend);
                std::thread::spawn(move || {
                    (0..50)
                        .map(|i| {
                            let body = json!({"title": format!("{t}-{i}")}).to_string();
                            let answer = backend.answer("POST", "/api/todos", body.as_bytes());
                            assert_eq!(answer.status, 200);
                            answer.body["id"].as_u64().unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let ids: BTreeSet<u64> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        assert_eq!(ids, (1..=400).collect());
        let listed = backend.answer("GET", "/api/todos", b"");
        assert_eq!(listed.body.as_array().unwrap().len(), 400);
    }

    #[test]
    fn a_huge_or_deep_body_is_refused_without_panicking() {
        let backend = todos();
        let huge = vec![b'['; MAX_BODY_BYTES + 1];
        assert_eq!(backend.answer("POST", "/api/todos", &huge).status, 413);
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            backend.answer("POST", "/api/todos", deep.as_bytes()).status,
            422
        );
        let long_path = format!("/api/{}", "x".repeat(100_000));
        assert_eq!(backend.answer("GET", &long_path, b"").status, 404);
        assert!(backend.calls().last().unwrap().path.chars().count() <= MAX_RECORDED_CHARS + 1);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_junk(
            method in "GET|POST|PUT|PATCH|DELETE|get|\\PC{0,12}",
            path in "(/api/todos(/(\\d{1,3}|stats|%[0-9a-fA-F]{0,2}|\\PC{0,8}))?/?|\\PC{0,40})(\\?\\PC{0,10})?",
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
            json_body in proptest::option::of("\\{(\"(title|done|id|x)\": ?(\"\\PC{0,5}\"|\\d{1,3}|true|null|\\[\\]|\\{\\}),? ?){0,4}\\}"),
        ) {
            let backend = todos();
            backend.answer("POST", "/api/todos", br#"{"title": "seed"}"#);
            let body = json_body.map(String::into_bytes).unwrap_or(body);
            let answer = backend.answer(&method, &path, &body);
            proptest::prop_assert!(matches!(answer.status, 200 | 404 | 405 | 422));
            proptest::prop_assert_eq!(backend.calls().len(), 2);
        }
    }
}
