//! The API a plan promises (models and endpoints), read from the plan JSON and checked for use.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::paths::template_key;

/// The most endpoints one contract may list.
pub const MAX_ENDPOINTS: usize = 40;
/// The most models one contract may define.
pub const MAX_MODELS: usize = 20;

/// The API a plan promises: models, endpoints, notes. Reads a plain string as `notes` (older
/// plans, the `react` stack).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, TS)]
#[ts(export)]
pub struct Contract {
    /// The data the API works with.
    #[serde(default)]
    pub models: Vec<Model>,
    /// Every endpoint the backend serves and the frontend may call.
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
    /// Free text: component tree, props, names shared by the files.
    #[serde(default)]
    pub notes: String,
}

/// One kind of record the API stores or returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Model {
    /// Its name, as the code spells it (`Todo`).
    pub name: String,
    /// Its fields, in order.
    #[serde(default)]
    pub fields: Vec<Field>,
}

/// One field of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Field {
    /// Its name (`title`).
    pub name: String,
    /// Its type in the plan's words (`int`, `str`, `bool`, `list[str]`).
    #[serde(rename = "type")]
    pub ty: String,
    /// The value a new record gets when the request leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
}

/// An HTTP method an endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, TS)]
#[ts(export)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `GET`: read.
    Get,
    /// `POST`: create, or any other action.
    Post,
    /// `PUT`: replace.
    Put,
    /// `PATCH`: change part of a record.
    Patch,
    /// `DELETE`: remove.
    Delete,
}

impl Method {
    /// Every method, in the order they are usually listed.
    pub const ALL: [Method; 5] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
    ];

    /// The method's name in upper case, as HTTP writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Reads a method name in any case (`get`, `Post`, `DELETE`); `None` for anything else.
    pub fn parse(name: &str) -> Option<Method> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Method::parse(&name).ok_or_else(|| {
            de::Error::custom(format!(
                "unknown method “{name}”: use GET, POST, PUT, PATCH or DELETE"
            ))
        })
    }
}

/// What an endpoint does with its model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Returns every record of the model.
    List,
    /// Returns one record, named by a path parameter.
    Get,
    /// Stores a new record from the request body.
    Create,
    /// Changes one record, named by a path parameter.
    Update,
    /// Removes one record, named by a path parameter.
    Delete,
    /// Anything else; the contract carries an example response.
    Custom,
}

impl Action {
    /// The action's name as the plan writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::List => "list",
            Action::Get => "get",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Custom => "custom",
        }
    }
}

/// One endpoint of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Endpoint {
    /// The HTTP method.
    pub method: Method,
    /// The full path, parameters in braces: `/api/todos/{id}`.
    pub path: String,
    /// What it does.
    pub action: Action,
    /// The model it works on; required for every action but `custom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// An example response; required for `custom` endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<serde_json::Value>,
}

impl Endpoint {
    /// The `{param}` names in its path, in order.
    pub fn params(&self) -> Vec<&str> {
        let mut names = Vec::new();
        let mut rest = self.path.as_str();
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            let inside = &after[..close];
            // FastAPI's converters (`{path:path}`) name the parameter before the colon.
            let name = inside.split(':').next().unwrap_or(inside).trim();
            names.push(name);
            rest = &after[close + 1..];
        }
        names
    }

    /// `GET /api/todos`, the way messages name an endpoint.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

impl Contract {
    /// Everything wrong with it, in plain words ready for a plan-repair prompt; empty when
    /// usable. `needs_endpoints`: true for the fastapi-react stack (at least one endpoint
    /// required); false for react (endpoints must then be empty).
    pub fn problems(&self, needs_endpoints: bool) -> Vec<String> {
        let mut problems = Vec::new();
        self.model_problems(&mut problems);
        if needs_endpoints && self.endpoints.is_empty() {
            problems.push(
                "“endpoints” is empty: list every endpoint the backend serves and the frontend calls"
                    .into(),
            );
        }
        if !needs_endpoints && !self.endpoints.is_empty() {
            problems.push(format!(
                "this stack has no backend, so “endpoints” must be empty (it lists {})",
                self.endpoints.len()
            ));
            return problems;
        }
        if self.endpoints.len() > MAX_ENDPOINTS {
            problems.push(format!(
                "it lists {} endpoints; list at most {MAX_ENDPOINTS}",
                self.endpoints.len()
            ));
        }
        let models: HashSet<&str> = self.models.iter().map(|m| m.name.trim()).collect();
        let mut seen = HashSet::new();
        for endpoint in &self.endpoints {
            endpoint_problems(endpoint, &models, &mut problems);
            if !seen.insert((endpoint.method, template_key(&endpoint.path))) {
                problems.push(format!("“{}” is listed twice", endpoint.label()));
            }
        }
        problems
    }

    fn model_problems(&self, problems: &mut Vec<String>) {
        if self.models.len() > MAX_MODELS {
            problems.push(format!(
                "it defines {} models; define at most {MAX_MODELS}",
                self.models.len()
            ));
        }
        let mut names = HashSet::new();
        for model in &self.models {
            let name = model.name.trim();
            if name.is_empty() {
                problems.push("a model in “models” has no “name”".into());
                continue;
            }
            if !names.insert(name) {
                problems.push(format!("the model “{name}” is defined twice"));
            }
            if model.fields.is_empty() {
                problems.push(format!("the model “{name}” has no “fields”"));
            }
            let mut fields = HashSet::new();
            for field in &model.fields {
                let field_name = field.name.trim();
                if field_name.is_empty() {
                    problems.push(format!("a field of the model “{name}” has no “name”"));
                    continue;
                }
                if !fields.insert(field_name) {
                    problems.push(format!(
                        "the model “{name}” has the field “{field_name}” twice"
                    ));
                }
                if field.ty.trim().is_empty() {
                    problems.push(format!("the field “{name}.{field_name}” has no “type”"));
                }
            }
        }
    }

    /// Compact JSON for prompts (serde_json::to_string).
    pub fn to_prompt_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// "API: 5 endpoints, 2 models" style one-line summary.
    pub fn summary(&self) -> String {
        if self.endpoints.is_empty() && self.models.is_empty() {
            return if self.notes.trim().is_empty() {
                "API: none".into()
            } else {
                "API: none (notes only)".into()
            };
        }
        format!(
            "API: {}, {}",
            crate::count(self.endpoints.len(), "endpoint", "endpoints"),
            crate::count(self.models.len(), "model", "models")
        )
    }
}

fn endpoint_problems(endpoint: &Endpoint, models: &HashSet<&str>, problems: &mut Vec<String>) {
    let label = endpoint.label();
    let path = endpoint.path.as_str();
    if path.trim().is_empty() {
        problems.push(format!("a “{}” endpoint has no “path”", endpoint.method));
        return;
    }
    if !path.starts_with('/') {
        problems.push(format!("“{label}”: the path must start with “/”"));
    }
    if path.contains('?') || path.contains('#') {
        problems.push(format!(
            "“{label}”: the path must not hold a query string; list the path alone"
        ));
    }
    if path.chars().any(char::is_whitespace) {
        problems.push(format!("“{label}”: the path must not contain spaces"));
    }
    if path
        .split('/')
        .any(|segment| segment == ".." || segment == ".")
    {
        problems.push(format!(
            "“{label}”: the path must not contain “.” or “..” segments"
        ));
    }
    match param_shape(path) {
        ParamShape::Fine => {}
        ParamShape::Unnamed => problems.push(format!(
            "“{label}”: every “{{…}}” in the path needs a name, like “{{id}}”"
        )),
        ParamShape::Unbalanced => problems.push(format!(
            "“{label}”: the braces in the path do not pair up; write parameters like “{{id}}”"
        )),
    }
    if let Some(model) = &endpoint.model {
        if !models.contains(model.trim()) {
            problems.push(format!(
                "“{label}” uses the model “{model}”, which “models” does not define"
            ));
        }
    }
    let action = endpoint.action;
    if action != Action::Custom && endpoint.model.is_none() {
        problems.push(format!(
            "“{label}” is a “{}” endpoint and needs a “model”",
            action.as_str()
        ));
    }
    if matches!(action, Action::Get | Action::Update | Action::Delete)
        && endpoint.params().is_empty()
    {
        problems.push(format!(
            "“{label}” is a “{}” endpoint and needs a parameter in its path, like “{}/{{id}}”",
            action.as_str(),
            path.trim_end_matches('/')
        ));
    }
    if action == Action::Custom && endpoint.example.is_none() {
        problems.push(format!(
            "“{label}” is custom and needs an “example” response"
        ));
    }
}

enum ParamShape {
    Fine,
    Unnamed,
    Unbalanced,
}

/// Whether every `{` in a path closes before the next `{` or `/`, and names something.
fn param_shape(path: &str) -> ParamShape {
    let mut open: Option<String> = None;
    for c in path.chars() {
        match (&mut open, c) {
            (None, '{') => open = Some(String::new()),
            (None, '}') => return ParamShape::Unbalanced,
            (Some(_), '{' | '/') => return ParamShape::Unbalanced,
            (Some(name), '}') => {
                let name = name.split(':').next().unwrap_or_default().trim();
                let named = name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_alphanumeric() || c == '_');
                if !named {
                    return ParamShape::Unnamed;
                }
                open = None;
            }
            (Some(name), c) => name.push(c),
            (None, _) => {}
        }
    }
    if open.is_some() {
        ParamShape::Unbalanced
    } else {
        ParamShape::Fine
    }
}

/// The contract as the plan JSON spells it, fields each optional.
#[derive(Deserialize)]
struct ContractFields {
    // `null` reads as empty, like a missing field.
    #[serde(default)]
    models: Option<Vec<Model>>,
    #[serde(default)]
    endpoints: Option<Vec<Endpoint>>,
    #[serde(default, deserialize_with = "notes_text")]
    notes: String,
}

/// Notes as one string; a list of lines (a common answer) is joined, `null` is empty.
fn notes_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Notes {
        Text(String),
        Lines(Vec<String>),
        Nothing(()),
    }
    match Notes::deserialize(deserializer) {
        Ok(Notes::Text(text)) => Ok(text),
        Ok(Notes::Lines(lines)) => Ok(lines.join("\n")),
        Ok(Notes::Nothing(())) => Ok(String::new()),
        Err(_) => Err(de::Error::custom(
            "“notes” must be text (a string, or a list of strings)",
        )),
    }
}

impl<'de> Deserialize<'de> for Contract {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ContractVisitor)
    }
}

struct ContractVisitor;

impl<'de> Visitor<'de> for ContractVisitor {
    type Value = Contract;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the contract to be an object with “models”, “endpoints” and “notes”")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Contract, E> {
        Ok(Contract {
            notes: text.to_string(),
            ..Contract::default()
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Contract, A::Error> {
        let fields = ContractFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Contract {
            models: fields.models.unwrap_or_default(),
            endpoints: fields.endpoints.unwrap_or_default(),
            notes: fields.notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn design_example() -> serde_json::Value {
        json!({
            "models": [ {"name": "Todo", "fields": [ {"name": "id", "type": "int"},
                         {"name": "title", "type": "str"}, {"name": "done", "type": "bool", "default": false} ]} ],
            "endpoints": [
              {"method": "GET",    "path": "/api/todos",      "action": "list",   "model": "Todo"},
              {"method": "POST",   "path": "/api/todos",      "action": "create", "model": "Todo"},
              {"method": "PUT",    "path": "/api/todos/{id}", "action": "update", "model": "Todo"},
              {"method": "DELETE", "path": "/api/todos/{id}", "action": "delete", "model": "Todo"},
              {"method": "GET",    "path": "/api/stats",      "action": "custom", "example": {"total": 0}}
            ],
            "notes": "free text: component tree, props, names shared by the files"
        })
    }

    fn contract(value: serde_json::Value) -> Contract {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn reads_the_design_example_and_finds_nothing_wrong() {
        let c = contract(design_example());
        assert_eq!(c.models.len(), 1);
        assert_eq!(c.models[0].fields[2].default, Some(json!(false)));
        assert_eq!(c.endpoints.len(), 5);
        assert_eq!(c.endpoints[2].method, Method::Put);
        assert_eq!(c.endpoints[2].action, Action::Update);
        assert_eq!(c.endpoints[4].example, Some(json!({"total": 0})));
        assert!(c.notes.starts_with("free text"));
        assert_eq!(c.problems(true), Vec::<String>::new());
        assert_eq!(c.summary(), "API: 5 endpoints, 1 model");
    }

    #[test]
    fn a_plain_string_reads_as_notes() {
        let c: Contract = serde_json::from_str("\"App holds the list\"").unwrap();
        assert_eq!(
            c,
            Contract {
                notes: "App holds the list".into(),
                ..Contract::default()
            }
        );
        assert_eq!(c.problems(false), Vec::<String>::new());
        assert_eq!(c.summary(), "API: none (notes only)");
    }

    #[test]
    fn every_part_of_an_object_is_optional() {
        assert_eq!(contract(json!({})), Contract::default());
        assert_eq!(
            contract(json!({"models": null, "endpoints": null, "notes": null})),
            Contract::default()
        );
        let c = contract(json!({"notes": ["one", "two"]}));
        assert_eq!(c.notes, "one\ntwo");
    }

    #[test]
    fn anything_but_text_or_an_object_is_refused_with_a_plain_message() {
        for bad in ["42", "[1, 2]", "true", "null"] {
            let err = serde_json::from_str::<Contract>(bad)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("“models”, “endpoints” and “notes”"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn methods_are_read_in_any_case_and_written_in_upper_case() {
        let e: Endpoint = serde_json::from_value(
            json!({"method": "delete", "path": "/api/todos/{id}", "action": "delete", "model": "Todo"}),
        )
        .unwrap();
        assert_eq!(e.method, Method::Delete);
        assert_eq!(e.method.to_string(), "DELETE");
        let back = serde_json::to_value(&e).unwrap();
        assert_eq!(back["method"], "DELETE");
        assert!(back.get("example").is_none());
        let err = serde_json::from_value::<Endpoint>(
            json!({"method": "FETCH", "path": "/x", "action": "custom"}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown method “FETCH”"), "{err}");
    }

    #[test]
    fn the_prompt_json_is_compact_and_reads_back_the_same() {
        let c = contract(design_example());
        let text = c.to_prompt_json();
        assert!(!text.contains('\n'));
        assert!(text.contains("\"type\":\"int\""));
        assert_eq!(serde_json::from_str::<Contract>(&text).unwrap(), c);
    }

    #[test]
    fn params_are_named_in_order() {
        let e = Endpoint {
            method: Method::Get,
            path: "/api/users/{user_id}/todos/{id}/{rest:path}".into(),
            action: Action::Get,
            model: Some("Todo".into()),
            example: None,
        };
        assert_eq!(e.params(), vec!["user_id", "id", "rest"]);
    }

    fn with_endpoints(endpoints: serde_json::Value) -> Contract {
        let mut value = design_example();
        value["endpoints"] = endpoints;
        contract(value)
    }

    #[test]
    fn duplicate_endpoints_are_found_whatever_their_parameter_names() {
        let c = with_endpoints(json!([
            {"method": "GET", "path": "/api/todos", "action": "list", "model": "Todo"},
            {"method": "GET", "path": "/api/todos/", "action": "list", "model": "Todo"},
            {"method": "PUT", "path": "/api/todos/{id}", "action": "update", "model": "Todo"},
            {"method": "PUT", "path": "/api/todos/{todo_id}", "action": "update", "model": "Todo"},
            {"method": "DELETE", "path": "/api/todos/{id}", "action": "delete", "model": "Todo"},
        ]));
        assert_eq!(
            c.problems(true),
            vec![
                "“GET /api/todos/” is listed twice".to_string(),
                "“PUT /api/todos/{todo_id}” is listed twice".to_string(),
            ]
        );
    }

    #[test]
    fn validation_names_each_endpoint_and_what_to_do() {
        let c = with_endpoints(json!([
            {"method": "POST", "path": "/api/todos", "action": "create", "model": "Task"},
            {"method": "GET", "path": "/api/stats", "action": "custom"},
            {"method": "GET", "path": "api/todos", "action": "list"},
            {"method": "DELETE", "path": "/api/todos", "action": "delete", "model": "Todo"},
            {"method": "GET", "path": "/api/todos/{}", "action": "get", "model": "Todo"},
            {"method": "GET", "path": "/api/a/{id", "action": "custom", "example": 1},
            {"method": "GET", "path": "/api/b?x=1", "action": "custom", "example": 1},
            {"method": "GET", "path": "/api/../c d", "action": "custom", "example": 1},
        ]));
        let problems = c.problems(true);
        let expected = [
            "“POST /api/todos” uses the model “Task”, which “models” does not define",
            "“GET /api/stats” is custom and needs an “example” response",
            "“GET api/todos”: the path must start with “/”",
            "“GET api/todos” is a “list” endpoint and needs a “model”",
            "“DELETE /api/todos” is a “delete” endpoint and needs a parameter in its path, like “/api/todos/{id}”",
            "“GET /api/todos/{}”: every “{…}” in the path needs a name, like “{id}”",
            "“GET /api/a/{id”: the braces in the path do not pair up; write parameters like “{id}”",
            "“GET /api/b?x=1”: the path must not hold a query string; list the path alone",
            "“GET /api/../c d”: the path must not contain spaces",
            "“GET /api/../c d”: the path must not contain “.” or “..” segments",
        ];
        for message in expected {
            assert!(
                problems.iter().any(|p| p == message),
                "missing {message:?} in {problems:#?}"
            );
        }
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    }

    #[test]
    fn models_must_be_named_once_with_typed_fields() {
        let c = contract(json!({
            "models": [
                {"name": "Todo", "fields": [{"name": "id", "type": "int"}, {"name": "id", "type": ""}]},
                {"name": "Todo", "fields": [{"name": "x", "type": "str"}]},
                {"name": "", "fields": []},
                {"name": "Empty", "fields": []},
            ],
            "endpoints": [{"method": "GET", "path": "/api/todos", "action": "list", "model": "Todo"}],
        }));
        assert_eq!(
            c.problems(true),
            vec![
                "the model “Todo” has the field “id” twice".to_string(),
                "the field “Todo.id” has no “type”".to_string(),
                "the model “Todo” is defined twice".to_string(),
                "a model in “models” has no “name”".to_string(),
                "the model “Empty” has no “fields”".to_string(),
            ]
        );
    }

    #[test]
    fn the_backend_stack_needs_endpoints_and_the_react_stack_none() {
        let empty = Contract::default();
        assert_eq!(empty.problems(true).len(), 1);
        assert!(empty.problems(true)[0].starts_with("“endpoints” is empty"));
        assert_eq!(empty.problems(false), Vec::<String>::new());
        let full = contract(design_example());
        assert_eq!(
            full.problems(false),
            vec![
                "this stack has no backend, so “endpoints” must be empty (it lists 5)".to_string()
            ]
        );
    }

    #[test]
    fn size_limits_are_enforced() {
        let endpoints: Vec<_> = (0..=MAX_ENDPOINTS)
            .map(|i| json!({"method": "GET", "path": format!("/api/s{i}"), "action": "custom", "example": i}))
            .collect();
        let models: Vec<_> = (0..=MAX_MODELS)
            .map(|i| json!({"name": format!("M{i}"), "fields": [{"name": "id", "type": "int"}]}))
            .collect();
        let c = contract(json!({"models": models, "endpoints": endpoints}));
        assert_eq!(
            c.problems(true),
            vec![
                format!("it defines 21 models; define at most {MAX_MODELS}"),
                format!("it lists 41 endpoints; list at most {MAX_ENDPOINTS}"),
            ]
        );
    }
}
