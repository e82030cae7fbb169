//! The backend's FastAPI routes, with every router's prefix applied across files, compared
//! with the contract's endpoints.

use std::collections::{BTreeMap, HashSet};

use crate::paths::{self, template_key};
use crate::project::Project;
use crate::python::{
    submodule, Handler, Module, Modules, ObjRef, Origin, Prefix, RouteDecl, Target,
};
use crate::{to_u32, CheckReport, Contract, Endpoint, FitKind, FitProblem, Method};

/// How far imports and includes are followed.
const MAX_HOPS: u32 = 8;

/// An app or router: the file that creates it and the name it is bound to there.
type Object = (String, String);

/// A route the backend serves: its full path, and where it is declared.
#[derive(Debug, Clone)]
pub(crate) struct Served<'m> {
    pub method: Method,
    pub path: String,
    pub file: String,
    line: u32,
    /// The app or router it is declared on, and that object's full prefix.
    object: String,
    prefix: String,
    /// What the route's function declares.
    pub handler: &'m Handler,
}

/// Every route, with the apps and routers found.
#[derive(Debug, Default)]
pub(crate) struct Routes<'m> {
    /// Files creating a `FastAPI()` app, in path order.
    pub app_files: Vec<String>,
    /// Every route an app serves whose path is known (those only known at run time are left
    /// out), in the order found.
    pub served: Vec<Served<'m>>,
    /// Routes on routers that no app includes (with only their own prefix).
    stranded: Vec<Served<'m>>,
    /// Some route or prefix is only known at run time: the routes are not all known.
    uncertain: bool,
}

/// Checks the backend's routes against the contract's endpoints, both ways.
pub(crate) fn check(
    project: &Project<'_>,
    modules: &Modules<'_>,
    contract: &Contract,
    report: &mut CheckReport,
) {
    if project.backend.is_none() || modules.is_empty() {
        return;
    }
    let routes = Routes::find(project, modules);
    let declared: usize = modules.values().map(|m| m.routes.len()).sum();
    report.routes = to_u32(if routes.app_files.is_empty() {
        declared
    } else {
        routes.served.len()
    });
    if contract.endpoints.is_empty() {
        return;
    }
    let Some(app_file) = routes.app_files.first() else {
        let main = modules
            .keys()
            .find(|p| paths::file_name(p) == "main.py")
            .or_else(|| modules.keys().next())
            .map(|p| p.to_string());
        report.problems.push(FitProblem {
            kind: FitKind::MissingRoute,
            message: format!(
                "no backend file creates the FastAPI app (`app = FastAPI()`), so none of the contract's {} is served: create the app in {} and add a route for each endpoint",
                crate::count(contract.endpoints.len(), "endpoint", "endpoints"),
                main.as_deref().unwrap_or("backend/main.py")
            ),
            fix_in: main.into_iter().collect(),
            missing_file: None,
        });
        return;
    };
    if routes.uncertain {
        return;
    }
    for endpoint in &contract.endpoints {
        let key = template_key(&endpoint.path);
        let served = routes
            .served
            .iter()
            .any(|r| r.method == endpoint.method && template_key(&r.path) == key);
        if !served {
            report
                .problems
                .push(missing_route(endpoint, &key, &routes, app_file));
        }
    }
    let keys: Vec<(Method, String)> = contract
        .endpoints
        .iter()
        .map(|e| (e.method, template_key(&e.path)))
        .collect();
    for route in &routes.served {
        let key = template_key(&route.path);
        if !keys.iter().any(|(m, k)| *m == route.method && *k == key) {
            report.problems.push(extra_route(route, &key, contract));
        }
    }
}

fn missing_route(endpoint: &Endpoint, key: &str, routes: &Routes, app_file: &str) -> FitProblem {
    let label = endpoint.label();
    let method = endpoint.method.as_str().to_ascii_lowercase();
    if let Some(stranded) = routes
        .stranded
        .iter()
        .find(|r| r.method == endpoint.method && ends_with_path(key, &template_key(&r.path)))
    {
        return FitProblem {
            kind: FitKind::MissingRoute,
            message: format!(
                "the contract lists {label}; {} declares it on `{}` (line {}), but no app includes that router: call `app.include_router(…)` for it in {app_file}",
                stranded.file, stranded.object, stranded.line
            ),
            fix_in: dedup(vec![app_file.to_string(), stranded.file.clone()]),
            missing_file: None,
        };
    }
    // The file serving the most similar paths is where the route belongs.
    let wanted: Vec<&str> = key.split('/').filter(|s| !s.is_empty()).collect();
    let nearest = routes
        .served
        .iter()
        .map(|r| {
            let key = template_key(&r.path);
            let shared = key
                .split('/')
                .filter(|s| !s.is_empty())
                .zip(&wanted)
                .take_while(|(a, b)| a == *b)
                .count();
            (shared, r)
        })
        .filter(|(shared, _)| *shared >= wanted.len().min(2))
        .max_by_key(|(shared, _)| *shared)
        .map(|(_, r)| r);
    let (file, hint) = match nearest {
        Some(route) if endpoint.path.starts_with(&route.prefix) => {
            let rest = &endpoint.path[route.prefix.len()..];
            let rest = if rest.is_empty() { "/" } else { rest };
            (
                route.file.clone(),
                format!("`@{}.{method}(\"{rest}\")`", route.object),
            )
        }
        _ => (
            app_file.to_string(),
            format!("`@app.{method}(\"{}\")`", endpoint.path),
        ),
    };
    FitProblem {
        kind: FitKind::MissingRoute,
        message: format!(
            "the contract lists {label}, but no backend route serves it: add {hint} in {file}"
        ),
        fix_in: dedup(vec![file, app_file.to_string()]),
        missing_file: None,
    }
}

fn extra_route(route: &Served, key: &str, contract: &Contract) -> FitProblem {
    let mut nearest: Vec<(usize, &Endpoint)> = contract
        .endpoints
        .iter()
        .map(|e| {
            let score = paths::distance(&template_key(&e.path), key) * 2
                + usize::from(e.method != route.method);
            (score, e)
        })
        .collect();
    nearest.sort_by_key(|(score, _)| *score);
    let nearest: Vec<String> = nearest.iter().take(3).map(|(_, e)| e.label()).collect();
    FitProblem {
        kind: FitKind::ExtraRoute,
        message: format!(
            "`{}` (line {}) serves {} {}, which the contract does not list (nearest: {}): remove it, or make it one of the contract's endpoints",
            route.file,
            route.line,
            route.method,
            route.path,
            nearest.join(", ")
        ),
        fix_in: vec![route.file.clone()],
        missing_file: None,
    }
}

/// Whether `path`'s last segments are `tail` (a router's routes, before an include's prefix).
fn ends_with_path(path: &str, tail: &str) -> bool {
    let path: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let tail: Vec<&str> = tail.split('/').filter(|s| !s.is_empty()).collect();
    !tail.is_empty() && path.ends_with(&tail)
}

fn dedup(files: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    files
        .into_iter()
        .filter(|f| seen.insert(f.clone()))
        .collect()
}

/// Joins URL path prefixes: `/api` + `/todos` → `/api/todos`.
fn join_path(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) => format!(
            "{}/{}",
            prefix.trim_end_matches('/'),
            path.trim_start_matches('/')
        ),
    }
}

impl<'m> Routes<'m> {
    pub(crate) fn find(project: &Project<'_>, modules: &'m Modules<'_>) -> Routes<'m> {
        let finder = Finder { project, modules };
        let mut routes = Routes::default();
        // Each object's routes and the routers it includes, found across files.
        let mut own: BTreeMap<Object, Vec<(&str, &RouteDecl)>> = BTreeMap::new();
        let mut includes: BTreeMap<Object, Vec<(Object, Prefix)>> = BTreeMap::new();
        let mut apps: Vec<Object> = Vec::new();
        for (file, module) in modules {
            for app in &module.apps {
                apps.push((file.to_string(), app.clone()));
            }
            for route in &module.routes {
                match finder.object(file, &route.object, 0) {
                    Some(object) => own.entry(object).or_default().push((file, route)),
                    None => routes.uncertain = true,
                }
            }
            for include in &module.includes {
                match (
                    finder.object(file, &include.parent, 0),
                    finder.object(file, &include.child, 0),
                ) {
                    (Some(parent), Some(child)) => {
                        includes
                            .entry(parent)
                            .or_default()
                            .push((child, include.prefix.clone()));
                    }
                    _ => routes.uncertain = true,
                }
            }
        }
        for (file, _) in &apps {
            if !routes.app_files.contains(file) {
                routes.app_files.push(file.clone());
            }
        }
        let mut reached: HashSet<Object> = HashSet::new();
        for app in &apps {
            let mut stack = vec![(app.clone(), Some(String::new()), 0u32)];
            while let Some((object, prefix, depth)) = stack.pop() {
                if depth > MAX_HOPS {
                    routes.uncertain = true;
                    continue;
                }
                reached.insert(object.clone());
                let Some(prefix) = prefix else {
                    routes.uncertain = true;
                    continue;
                };
                let full = match finder.router_prefix(&object) {
                    Some(Prefix::Known(own_prefix)) => join_path(&prefix, own_prefix),
                    Some(Prefix::Unknown) => {
                        routes.uncertain = true;
                        continue;
                    }
                    None => prefix,
                };
                for (file, route) in own.get(&object).into_iter().flatten() {
                    let Some(path) = &route.path else {
                        routes.uncertain = true;
                        continue;
                    };
                    routes.served.push(Served {
                        method: route.method,
                        path: join_path(&full, path),
                        file: file.to_string(),
                        line: route.line,
                        object: object.1.clone(),
                        prefix: full.clone(),
                        handler: &route.handler,
                    });
                }
                for (child, include_prefix) in includes.get(&object).into_iter().flatten() {
                    let next = match include_prefix {
                        Prefix::Known(p) => Some(join_path(&full, p)),
                        Prefix::Unknown => None,
                    };
                    stack.push((child.clone(), next, depth + 1));
                }
            }
        }
        for (object, declared) in &own {
            if reached.contains(object) {
                continue;
            }
            let prefix = match finder.router_prefix(object) {
                Some(Prefix::Known(p)) => p.clone(),
                _ => continue,
            };
            for (file, route) in declared {
                if let Some(path) = &route.path {
                    routes.stranded.push(Served {
                        method: route.method,
                        path: join_path(&prefix, path),
                        file: file.to_string(),
                        line: route.line,
                        object: object.1.clone(),
                        prefix: prefix.clone(),
                        handler: &route.handler,
                    });
                }
            }
        }
        routes
    }
}

/// Follows names across the backend's modules to the app or router they mean.
struct Finder<'p, 'a> {
    project: &'p Project<'a>,
    modules: &'p Modules<'a>,
}

impl Finder<'_, '_> {
    fn module(&self, file: &str) -> Option<&Module> {
        self.modules.get(file)
    }

    /// The app or router a reference in `file` means.
    fn object(&self, file: &str, reference: &ObjRef, hops: u32) -> Option<Object> {
        if hops > MAX_HOPS {
            return None;
        }
        let module = self.module(file)?;
        match reference {
            ObjRef::Name(name) => {
                if module.apps.contains(name) || module.routers.contains_key(name) {
                    return Some((file.to_string(), name.clone()));
                }
                match self.imported(module, name)? {
                    Imported::Member(target, original) => {
                        self.object(&target, &ObjRef::Name(original), hops + 1)
                    }
                    Imported::Module(_) => None,
                }
            }
            ObjRef::Attr(alias, name) => match self.imported(module, alias)? {
                Imported::Module(target) => {
                    self.object(&target, &ObjRef::Name(name.clone()), hops + 1)
                }
                Imported::Member(..) => None,
            },
            ObjRef::Other => None,
        }
    }

    /// What a local name imported into `file` is: a module, or a name inside one.
    fn imported(&self, module: &Module, local: &str) -> Option<Imported> {
        for import in &module.imports {
            let Origin::Local(target) = &import.origin else {
                continue;
            };
            for (name, bound) in &import.bound {
                if bound != local {
                    continue;
                }
                if !import.from {
                    // `import routers.todos as todos`
                    return match target {
                        Target::File(path) => Some(Imported::Module(path.clone())),
                        Target::Folder(_) => None,
                    };
                }
                if let Some(Target::File(path)) = submodule(self.project, target, name) {
                    return Some(Imported::Module(path));
                }
                return match target {
                    Target::File(path) => Some(Imported::Member(path.clone(), name.clone())),
                    Target::Folder(_) => None,
                };
            }
        }
        None
    }

    /// A router's own prefix; `None` for an app.
    fn router_prefix(&self, object: &Object) -> Option<&Prefix> {
        self.module(&object.0)?.routers.get(&object.1)
    }
}

enum Imported {
    /// A module file.
    Module(String),
    /// A name defined in a module file: (file, name there).
    Member(String, String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_prefixes_like_fastapi() {
        assert_eq!(join_path("", "/api/todos"), "/api/todos");
        assert_eq!(join_path("/api", "/todos"), "/api/todos");
        assert_eq!(join_path("/api/", "todos"), "/api/todos");
        assert_eq!(join_path("/api/todos", ""), "/api/todos");
    }
}
