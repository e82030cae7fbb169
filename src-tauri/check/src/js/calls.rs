//! The frontend's calls to its API (`fetch`, axios and its instances, and the project's own
//! wrappers around them), each matched against the contract's endpoints.

use std::collections::HashMap;

use super::imports::{resolve, Resolved, Specifier};
use super::{
    is_local_host, split_origin, Arg, Binding, CallSite, Callee, Imported, ObjectArg, Part, Script,
    Scripts, Value,
};
use crate::paths::{self, call_matches, template_key};
use crate::project::Project;
use crate::{CheckReport, Contract, Endpoint, FitKind, FitProblem, Method};

/// How far one name may lead to another (imports, wrappers calling wrappers).
const MAX_HOPS: u32 = 8;

/// Checks every request the frontend makes against the contract. Only for a contract with
/// endpoints: a project without an API has nothing to call.
pub(crate) fn check_calls(
    project: &Project<'_>,
    scripts: &Scripts<'_>,
    contract: &Contract,
    report: &mut CheckReport,
) {
    if contract.endpoints.is_empty() {
        return;
    }
    let resolver = Resolver {
        project,
        scripts,
        env: dotenv(project),
    };
    let keys: Vec<(&Endpoint, String)> = contract
        .endpoints
        .iter()
        .map(|e| (e, template_key(&e.path)))
        .collect();
    for (path, script) in scripts {
        if !project.in_frontend(path) {
            continue;
        }
        let wrapped: Vec<usize> = script
            .wrappers
            .values()
            .flatten()
            .map(|(_, i)| *i)
            .collect();
        for (index, site) in script.calls.iter().enumerate() {
            // A wrapper's own request is checked at each call of the wrapper.
            if wrapped.contains(&index) {
                continue;
            }
            let Some(request) = resolver.request(path, site, None, 0) else {
                continue;
            };
            let Some(call_key) = api_path(&request.url) else {
                continue;
            };
            report.api_calls = report.api_calls.saturating_add(1);
            let known = keys.iter().any(|(endpoint, key)| {
                call_matches(key, &call_key) && request.method.is_none_or(|m| m == endpoint.method)
            });
            if !known {
                report.problems.push(unknown_endpoint(
                    path,
                    site.line,
                    request.method,
                    &call_key,
                    &keys,
                ));
            }
        }
    }
}

/// A request as far as it is statically known.
struct Request {
    /// `None`: chosen at run time.
    method: Option<Method>,
    url: Vec<Piece>,
}

/// A piece of a URL once names are looked up.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    /// A base URL from the environment, not known here: the API's origin.
    Origin,
    Dynamic,
}

/// A call argument, its names looked up in the module it was written in.
#[derive(Debug, Clone)]
struct Given {
    url: Vec<Piece>,
    method: MethodGiven,
    text: Option<String>,
    object: bool,
}

/// The `method` an options object gives.
#[derive(Debug, Clone, Copy, PartialEq)]
enum MethodGiven {
    /// Not given: the default (GET).
    Absent,
    Known(Method),
    /// Given, but only known at run time.
    Unknown,
}

impl MethodGiven {
    fn or_get(self) -> Option<Method> {
        match self {
            MethodGiven::Absent => Some(Method::Get),
            MethodGiven::Known(m) => Some(m),
            MethodGiven::Unknown => None,
        }
    }

    fn from_text(text: &str) -> MethodGiven {
        Method::parse(text).map_or(MethodGiven::Unknown, MethodGiven::Known)
    }
}

/// A wrapper's parameters as one call gives them.
struct Params<'g> {
    scope: u32,
    given: &'g [Given],
}

/// What a name stands for once imports are followed.
enum Target<'s> {
    Axios,
    Instance {
        file: &'s str,
        base: &'s [Part],
    },
    Wrapper {
        file: &'s str,
        scope: u32,
        site: &'s CallSite,
    },
    Namespace {
        file: &'s str,
    },
    Value {
        file: &'s str,
        arg: &'s Arg,
    },
    Unknown,
}

struct Resolver<'p, 's> {
    project: &'p Project<'s>,
    scripts: &'p Scripts<'s>,
    env: HashMap<String, String>,
}

impl<'p, 's> Resolver<'p, 's> {
    fn script(&self, file: &str) -> Option<(&'p str, &'p Script)> {
        self.scripts.get_key_value(file).map(|(k, v)| (*k, v))
    }

    /// What `name` stands for in `file`.
    fn target(&self, file: &str, name: &str, hops: u32) -> Target<'p> {
        let Some((file, script)) = self.script(file) else {
            return Target::Unknown;
        };
        if hops > MAX_HOPS {
            return Target::Unknown;
        }
        if let Some(Some((scope, index))) = script.wrappers.get(name) {
            if let Some(site) = script.calls.get(*index) {
                return Target::Wrapper {
                    file,
                    scope: *scope,
                    site,
                };
            }
        }
        match script.bindings.get(name) {
            Some(Binding::Axios) => Target::Axios,
            Some(Binding::Instance { library, base }) => match self.target(file, library, hops + 1)
            {
                Target::Axios => Target::Instance { file, base },
                _ => Target::Unknown,
            },
            Some(Binding::Value(arg)) => Target::Value { file, arg },
            Some(Binding::Import { specifier, name }) => {
                let Some(Resolved::File(target)) =
                    resolve(self.project, file, Specifier::of(specifier))
                else {
                    return Target::Unknown;
                };
                match name {
                    Imported::Namespace => match self.script(&target) {
                        Some((file, _)) => Target::Namespace { file },
                        None => Target::Unknown,
                    },
                    Imported::Default => self.export(&target, "default", hops + 1),
                    Imported::Named(name) => self.export(&target, name, hops + 1),
                }
            }
            Some(Binding::Ambiguous) => Target::Unknown,
            None if name == "axios" => Target::Axios,
            None => Target::Unknown,
        }
    }

    fn export(&self, file: &str, name: &str, hops: u32) -> Target<'p> {
        match self.script(file).and_then(|(_, s)| s.exported.get(name)) {
            Some(local) => self.target(file, local, hops),
            None => Target::Unknown,
        }
    }

    /// The request a call makes, if it is one.
    fn request(
        &self,
        file: &str,
        site: &CallSite,
        params: Option<&Params<'_>>,
        hops: u32,
    ) -> Option<Request> {
        if hops > MAX_HOPS {
            return None;
        }
        let given: Vec<Given> = site
            .args
            .iter()
            .map(|a| self.given(file, a, params, hops))
            .collect();
        let first = given.first()?;
        match &site.callee {
            Callee::Fetch => Some(Request {
                url: first.url.clone(),
                method: match given.get(1) {
                    None => Some(Method::Get),
                    Some(options) if options.object => options.method.or_get(),
                    Some(_) => None,
                },
            }),
            Callee::Name(name) => match self.target(file, name, hops) {
                Target::Axios => Some(axios_call(&given)),
                Target::Wrapper { file, scope, site } => {
                    let params = Params {
                        scope,
                        given: &given,
                    };
                    self.request(file, site, Some(&params), hops + 1)
                }
                _ => None,
            },
            Callee::Member(object, property) => match self.target(file, object, hops) {
                Target::Axios => axios_method(property, &given, None),
                Target::Instance { file, base } => {
                    let base = self.pieces(file, base, None, hops + 1);
                    axios_method(property, &given, Some(base))
                }
                Target::Namespace { file } => match self.export(file, property, hops + 1) {
                    Target::Wrapper { file, scope, site } => {
                        let params = Params {
                            scope,
                            given: &given,
                        };
                        self.request(file, site, Some(&params), hops + 1)
                    }
                    _ => None,
                },
                _ => None,
            },
        }
    }

    /// An argument with its names looked up: in `file`, and in the wrapper's parameters.
    fn given(&self, file: &str, arg: &Arg, params: Option<&Params<'_>>, hops: u32) -> Given {
        // The whole argument is a parameter of the wrapper: what the caller gave.
        if let Value::Param {
            scope,
            index,
            key: None,
            fallback: None,
        } = &arg.value
        {
            return match params {
                // Left out by the caller: `undefined`, which as options means the defaults.
                Some(p) if p.scope == *scope => p.given.get(*index).cloned().unwrap_or(Given {
                    url: vec![Piece::Dynamic],
                    method: MethodGiven::Absent,
                    text: None,
                    object: true,
                }),
                _ => Given {
                    url: vec![Piece::Dynamic],
                    method: MethodGiven::Unknown,
                    text: None,
                    object: false,
                },
            };
        }
        let text = match &arg.value {
            Value::Str(s) => Some(s.clone()),
            _ => None,
        };
        match &arg.object {
            Some(object) => Given {
                url: object.url.as_ref().map_or_else(
                    || vec![Piece::Dynamic],
                    |u| self.pieces(file, u, params, hops + 1),
                ),
                method: self.object_method(object, params),
                text,
                object: true,
            },
            None => Given {
                url: self.pieces(file, &arg.url, params, hops + 1),
                method: MethodGiven::Unknown,
                text,
                object: false,
            },
        }
    }

    fn object_method(&self, object: &ObjectArg, params: Option<&Params<'_>>) -> MethodGiven {
        if let Some(method) = &object.method {
            return value_method(method, params);
        }
        if let Some((scope, index)) = object.spread_param {
            return match params {
                Some(p) if p.scope == scope => {
                    p.given.get(index).map_or(MethodGiven::Absent, |g| {
                        if g.object {
                            g.method
                        } else {
                            MethodGiven::Unknown
                        }
                    })
                }
                _ => MethodGiven::Unknown,
            };
        }
        if object.spread_other {
            MethodGiven::Unknown
        } else {
            MethodGiven::Absent
        }
    }

    /// URL parts with names looked up, parameters filled in and the environment read.
    fn pieces(
        &self,
        file: &str,
        parts: &[Part],
        params: Option<&Params<'_>>,
        hops: u32,
    ) -> Vec<Piece> {
        let mut pieces = Vec::new();
        if hops > MAX_HOPS {
            pieces.push(Piece::Dynamic);
            return pieces;
        }
        for part in parts {
            match part {
                Part::Lit(text) => pieces.push(Piece::Text(text.clone())),
                Part::Name(name) => match self.target(file, name, hops) {
                    Target::Value { file, arg } => {
                        pieces.extend(self.pieces(file, &arg.url, None, hops + 1))
                    }
                    _ => pieces.push(Piece::Dynamic),
                },
                Part::Env { name, fallback } => {
                    match (name.as_ref().and_then(|n| self.env.get(n)), fallback) {
                        (Some(value), _) => pieces.push(Piece::Text(value.clone())),
                        (None, Some(fallback)) => {
                            pieces.extend(self.pieces(file, fallback, params, hops + 1))
                        }
                        (None, None) => pieces.push(Piece::Origin),
                    }
                }
                Part::Param { scope, index } => match params {
                    Some(p) if p.scope == *scope => match p.given.get(*index) {
                        Some(given) => pieces.extend(given.url.iter().cloned()),
                        None => pieces.push(Piece::Dynamic),
                    },
                    _ => pieces.push(Piece::Dynamic),
                },
                Part::Dynamic => pieces.push(Piece::Dynamic),
            }
        }
        pieces
    }
}

fn value_method(value: &Value, params: Option<&Params<'_>>) -> MethodGiven {
    match value {
        Value::Str(text) => MethodGiven::from_text(text),
        Value::Param {
            scope,
            index,
            key,
            fallback,
        } => {
            let Some(p) = params.filter(|p| p.scope == *scope) else {
                return MethodGiven::Unknown;
            };
            let given = match (p.given.get(*index), key.as_deref()) {
                (None, _) => MethodGiven::Absent,
                (Some(g), None) => g
                    .text
                    .as_deref()
                    .map_or(MethodGiven::Unknown, MethodGiven::from_text),
                (Some(g), Some("method")) if g.object => g.method,
                (Some(_), _) => MethodGiven::Unknown,
            };
            match (given, fallback) {
                (MethodGiven::Absent, Some(fallback)) => MethodGiven::from_text(fallback),
                (given, _) => given,
            }
        }
        Value::Other => MethodGiven::Unknown,
    }
}

/// `axios(url, config)` or `axios(config)`.
fn axios_call(given: &[Given]) -> Request {
    match given.first() {
        Some(config) if config.object => Request {
            url: config.url.clone(),
            method: config.method.or_get(),
        },
        Some(url) => Request {
            url: url.url.clone(),
            method: given.get(1).map_or(Some(Method::Get), |c| {
                if c.object {
                    c.method.or_get()
                } else {
                    None
                }
            }),
        },
        None => Request {
            url: vec![Piece::Dynamic],
            method: None,
        },
    }
}

/// `axios.get(url)`, `api.post(url, body)`, `api.request(config)`; an instance's base URL
/// goes before a path that is not absolute.
fn axios_method(property: &str, given: &[Given], base: Option<Vec<Piece>>) -> Option<Request> {
    let first = given.first()?;
    let (url, method) = match property {
        "request" if first.object => (first.url.clone(), first.method.or_get()),
        "request" => return None,
        other => (first.url.clone(), Some(Method::parse(other)?)),
    };
    let absolute = matches!(url.first(), Some(Piece::Text(t)) if split_origin(t).is_some());
    let url = match base {
        Some(mut base) if !absolute => {
            base.push(Piece::Text("/".into()));
            base.extend(url);
            base
        }
        _ => url,
    };
    Some(Request { url, method })
}

/// The path template a request URL reaches on the project's API (`/api/todos/{}`), or `None`
/// when it is not the API (another host, a page-relative path, a file) or not known.
fn api_path(url: &[Piece]) -> Option<String> {
    let mut pieces = url.iter().peekable();
    // Skip the base: an unknown origin, or a local one written out.
    let mut path = String::new();
    loop {
        match pieces.next()? {
            Piece::Origin => continue,
            Piece::Text(text) if text.is_empty() => continue,
            Piece::Text(text) => match split_origin(text) {
                Some((host, rest)) if is_local_host(host) => {
                    path.push_str(rest);
                    break;
                }
                Some(_) => return None,
                None if text.starts_with('/') => {
                    path.push_str(text);
                    break;
                }
                None => return None,
            },
            Piece::Dynamic => return None,
        }
    }
    const MARK: char = '\u{1}';
    for piece in pieces {
        match piece {
            Piece::Text(text) => path.push_str(text),
            Piece::Origin | Piece::Dynamic => path.push(MARK),
        }
    }
    let path = path.split(['?', '#']).next().unwrap_or_default();
    if !path.starts_with('/') {
        // The origin was followed by something only known at run time.
        return None;
    }
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| if s.contains(MARK) { "{}" } else { s })
        .collect();
    match (segments.first(), segments.last()) {
        // Not known which resource it is.
        (Some(&"{}"), _) => return None,
        // A file, not an endpoint (`/logo.svg`, `/data.json`).
        (_, Some(last))
            if *last != "{}"
                && !paths::extension(last).is_empty()
                && last.chars().any(|c| c.is_ascii_alphabetic())
                && last
                    .rsplit('.')
                    .next()
                    .is_some_and(|e| e.chars().all(|c| c.is_ascii_alphanumeric())) =>
        {
            return None;
        }
        _ => {}
    }
    Some(format!("/{}", segments.join("/")))
}

fn unknown_endpoint(
    file: &str,
    line: u32,
    method: Option<Method>,
    call_key: &str,
    keys: &[(&Endpoint, String)],
) -> FitProblem {
    let shown = call_key.replace("{}", "{…}");
    let call = match method {
        Some(m) => format!("{m} {shown}"),
        None => shown.clone(),
    };
    let same_path: Vec<&Endpoint> = keys
        .iter()
        .filter(|(_, key)| call_matches(key, call_key))
        .map(|(e, _)| *e)
        .collect();
    let message = if let (Some(_), Some(first)) = (method, same_path.first()) {
        let methods: Vec<String> = same_path.iter().map(|e| e.method.to_string()).collect();
        format!(
            "`{file}` (line {line}) calls {call}, but the contract lists {} only for {}: use that method, or call an endpoint the contract lists",
            first.path,
            methods.join(", ")
        )
    } else {
        let mut nearest: Vec<(usize, &Endpoint)> = keys
            .iter()
            .map(|(e, key)| {
                let wrong_method = method.is_some_and(|m| m != e.method);
                (
                    paths::distance(key, call_key) * 2 + usize::from(wrong_method),
                    *e,
                )
            })
            .collect();
        nearest.sort_by_key(|(score, _)| *score);
        let nearest: Vec<String> = nearest.iter().take(3).map(|(_, e)| e.label()).collect();
        format!(
            "`{file}` (line {line}) calls {call}, which the contract does not list (nearest: {}): call an endpoint the contract lists",
            nearest.join(", ")
        )
    };
    FitProblem {
        kind: FitKind::UnknownEndpoint,
        message,
        fix_in: vec![file.to_string()],
        missing_file: None,
    }
}

/// The frontend's environment, as Vite reads it in development: `.env`, `.env.local`,
/// `.env.development`, `.env.development.local`, later files winning.
fn dotenv(project: &Project<'_>) -> HashMap<String, String> {
    let mut env = HashMap::new();
    for name in [
        ".env",
        ".env.local",
        ".env.development",
        ".env.development.local",
    ] {
        let Some(text) = project.text(&format!("{}{name}", project.frontend)) else {
            continue;
        };
        for line in text.lines() {
            let line = line.trim();
            let line = line.strip_prefix("export ").unwrap_or(line);
            if line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim();
            let value = match value.chars().next() {
                Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or_default(),
                _ => value.split(" #").next().unwrap_or_default().trim(),
            };
            env.insert(key.trim().to_string(), value.to_string());
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Piece {
        Piece::Text(s.into())
    }

    #[test]
    fn finds_the_api_path_of_a_url() {
        assert_eq!(
            api_path(&[text("/api/todos")]).as_deref(),
            Some("/api/todos")
        );
        assert_eq!(
            api_path(&[Piece::Origin, text("/api/todos/"), Piece::Dynamic]).as_deref(),
            Some("/api/todos/{}")
        );
        assert_eq!(
            api_path(&[text("http://localhost:8000"), text("/api/todos?done=1")]).as_deref(),
            Some("/api/todos")
        );
        assert_eq!(
            api_path(&[text("http://localhost:8000/api//todos/")]).as_deref(),
            Some("/api/todos")
        );
        assert_eq!(api_path(&[text("https://api.github.com/users")]), None);
        assert_eq!(api_path(&[text("todos")]), None);
        assert_eq!(api_path(&[Piece::Origin, Piece::Dynamic]), None);
        assert_eq!(api_path(&[Piece::Dynamic, text("/api/todos")]), None);
        assert_eq!(api_path(&[text("/logo.svg")]), None);
        assert_eq!(
            api_path(&[text("/api/v1.2/todos")]).as_deref(),
            Some("/api/v1.2/todos")
        );
    }

    #[test]
    fn reads_dotenv_files_like_vite() {
        let files = [
            crate::SourceFile {
                path: "frontend/.env",
                text: "VITE_API_URL=http://localhost:9000\n# note\nVITE_X='quoted' \n",
            },
            crate::SourceFile {
                path: "frontend/.env.development",
                text: "VITE_API_URL=\"http://localhost:8000/api\"\n",
            },
        ];
        let layout = crate::Layout {
            frontend_root: "frontend/".into(),
            backend_root: None,
        };
        let project = Project::new(&layout, &files);
        let env = dotenv(&project);
        assert_eq!(env["VITE_API_URL"], "http://localhost:8000/api");
        assert_eq!(env["VITE_X"], "quoted");
    }
}
