//! Modules form layers: no source file of the engine or of the app's shell imports one that
//! imports it back, directly or around a longer loop.
//!
//! The check reads the sources with `syn`, follows every `mod` from the crate roots (so it
//! covers whatever files exist), and resolves each path that names something of the crate
//! (`use crate::…`, `super::…`, `crate::a::b` written inline, paths inside macros and
//! attributes) to the file that defines it, looking through `pub use` re-exports. A `pub use`
//! is a re-export, not a dependency of the file that writes it, and test code
//! (`#[cfg(test)]`) is left out: layers are about the code that ships.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

type ModId = usize;

/// File → the files its code depends on, each with one path that shows why.
type Edges = BTreeMap<String, BTreeMap<String, String>>;

/// One module: a file, or an inline `mod x { … }` inside one.
struct Module {
    /// The file, relative to the crate's source folder.
    file: String,
    parent: Option<ModId>,
    children: BTreeMap<String, ModId>,
    /// Names of the items defined here (types, functions, constants, traits, macros).
    items: BTreeSet<String>,
    /// Names brought into scope by `use`, and the path each stands for (relative to this module).
    aliases: BTreeMap<String, Vec<String>>,
    /// Paths this module's own code uses: from non-`pub` `use`s and from code.
    references: Vec<Vec<String>>,
}

struct Crate {
    modules: Vec<Module>,
}

impl Crate {
    /// Reads the crate whose root file is `root` (lib.rs or main.rs).
    fn load(src: &Path, root: &str) -> Crate {
        let mut krate = Crate {
            modules: Vec::new(),
        };
        let file = read(&src.join(root));
        krate.add_file(src, root, None, None, &file.items, src.to_path_buf());
        krate
    }

    fn add_file(
        &mut self,
        src: &Path,
        file: &str,
        parent: Option<ModId>,
        name: Option<&str>,
        items: &[syn::Item],
        dir: PathBuf,
    ) -> ModId {
        let id = self.modules.len();
        self.modules.push(Module {
            file: file.to_string(),
            parent,
            children: BTreeMap::new(),
            items: BTreeSet::new(),
            aliases: BTreeMap::new(),
            references: Vec::new(),
        });
        if let (Some(parent), Some(name)) = (parent, name) {
            self.modules[parent].children.insert(name.to_string(), id);
        }
        for item in items {
            if is_test_only(item_attrs(item)) {
                continue;
            }
            match item {
                syn::Item::Mod(m) => {
                    let child = m.ident.to_string();
                    match &m.content {
                        Some((_, inner)) => {
                            self.add_file(
                                src,
                                file,
                                Some(id),
                                Some(&child),
                                inner,
                                dir.join(&child),
                            );
                        }
                        None => {
                            let path = match path_attr(&m.attrs) {
                                Some(explicit) => dir.join(explicit),
                                None if dir.join(format!("{child}.rs")).exists() => {
                                    dir.join(format!("{child}.rs"))
                                }
                                None => dir.join(&child).join("mod.rs"),
                            };
                            let parsed = read(&path);
                            let rel = path
                                .strip_prefix(src)
                                .unwrap_or(&path)
                                .to_string_lossy()
                                .replace('\\', "/");
                            let child_dir = if path.ends_with("mod.rs") {
                                path.parent().unwrap().to_path_buf()
                            } else {
                                path.with_extension("")
                            };
                            self.add_file(
                                src,
                                &rel,
                                Some(id),
                                Some(&child),
                                &parsed.items,
                                child_dir,
                            );
                        }
                    }
                }
                syn::Item::Use(u) => {
                    let mut uses = Vec::new();
                    flatten_use(&u.tree, &mut Vec::new(), &mut uses);
                    let reexport = !matches!(u.vis, syn::Visibility::Inherited);
                    for (alias, path) in uses {
                        if !reexport {
                            self.modules[id].references.push(path.clone());
                        }
                        if let Some(alias) = alias {
                            self.modules[id].aliases.insert(alias, path);
                        }
                    }
                }
                other => {
                    if let Some(name) = item_name(other) {
                        self.modules[id].items.insert(name);
                    }
                    let mut paths = PathCollector::default();
                    paths.visit_item(other);
                    self.modules[id].references.extend(paths.paths);
                }
            }
        }
        id
    }

    /// The file that defines what `path`, written in module `from`, names; `None` for names
    /// from other crates, the standard library or local variables.
    fn resolve(&self, from: ModId, path: &[String], depth: usize) -> Option<ModId> {
        if depth > 32 || path.is_empty() {
            return None;
        }
        let (mut module, mut rest) = match path[0].as_str() {
            "crate" => (0, &path[1..]),
            "self" => (from, &path[1..]),
            "super" => {
                let mut module = from;
                let mut rest = path;
                while rest.first().map(String::as_str) == Some("super") {
                    module = self.modules[module].parent?;
                    rest = &rest[1..];
                }
                (module, rest)
            }
            first => {
                if let Some(&child) = self.modules[from].children.get(first) {
                    (child, &path[1..])
                } else if let Some(target) = self.modules[from].aliases.get(first) {
                    if target.len() == 1 && target[0] == first {
                        return None;
                    }
                    let mut full = target.clone();
                    full.extend_from_slice(&path[1..]);
                    return self.resolve(from, &full, depth + 1);
                } else {
                    return None;
                }
            }
        };
        while let Some(segment) = rest.first() {
            let here = &self.modules[module];
            if let Some(&child) = here.children.get(segment.as_str()) {
                module = child;
                rest = &rest[1..];
            } else if here.items.contains(segment.as_str()) {
                return Some(module);
            } else if let Some(target) = here.aliases.get(segment.as_str()) {
                let mut full = target.clone();
                full.extend_from_slice(&rest[1..]);
                return self.resolve(module, &full, depth + 1).or(Some(module));
            } else {
                return Some(module);
            }
        }
        Some(module)
    }

    /// File → the files its code depends on, each with one path that shows why.
    fn file_edges(&self) -> Edges {
        let mut edges: Edges = BTreeMap::new();
        for (id, module) in self.modules.iter().enumerate() {
            edges.entry(module.file.clone()).or_default();
            for path in &module.references {
                let Some(target) = self.resolve(id, path, 0) else {
                    continue;
                };
                let target = &self.modules[target].file;
                if *target != module.file {
                    edges
                        .entry(module.file.clone())
                        .or_default()
                        .entry(target.clone())
                        .or_insert_with(|| path.join("::"));
                }
            }
        }
        edges
    }
}

/// The loops in a dependency graph: every strongly connected set of more than one file.
fn loops(edges: &Edges) -> Vec<Vec<String>> {
    let reaches = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(file) = stack.pop() {
            for next in edges.get(&file).into_iter().flat_map(|e| e.keys()) {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&String, BTreeSet<String>> =
        edges.keys().map(|f| (f, reaches(f))).collect();
    let mut found: Vec<Vec<String>> = Vec::new();
    let mut placed = BTreeSet::new();
    for file in edges.keys() {
        if placed.contains(file) || !reach[file].contains(file) {
            continue;
        }
        let group: Vec<String> = reach[file]
            .iter()
            .filter(|other| reach.get(other).is_some_and(|r| r.contains(file)))
            .cloned()
            .collect();
        placed.extend(group.iter().cloned());
        found.push(group);
    }
    found
}

/// Every loop, with the imports that close it, for the failure message.
fn describe(edges: &Edges, found: &[Vec<String>]) -> String {
    let mut text = String::new();
    for group in found {
        writeln!(text, "These files import each other in a loop:").unwrap();
        for file in group {
            for (target, why) in &edges[file] {
                if group.contains(target) {
                    writeln!(text, "  {file} -> {target}   ({why})").unwrap();
                }
            }
        }
    }
    text
}

fn check_crate(src: &Path) -> (Edges, Vec<Vec<String>>) {
    let mut edges = BTreeMap::new();
    for root in ["lib.rs", "main.rs"] {
        if src.join(root).exists() {
            edges.extend(Crate::load(src, root).file_edges());
        }
    }
    let found = loops(&edges);
    (edges, found)
}

fn read(path: &Path) -> syn::File {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} could not be read: {e}", path.display()));
    syn::parse_file(&text).unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
}

/// `use a::{b, c as d, e::*}` → `[(Some("b"), a::b), (Some("d"), a::c), (None, a::e)]`.
fn flatten_use(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Option<String>, Vec<String>)>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) if n.ident == "self" => {
            out.push((prefix.last().cloned(), prefix.clone()));
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            path.push(n.ident.to_string());
            out.push((Some(n.ident.to_string()), path));
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            if r.ident != "self" {
                path.push(r.ident.to_string());
            }
            out.push((Some(r.rename.to_string()), path));
        }
        syn::UseTree::Glob(_) => out.push((None, prefix.clone())),
        syn::UseTree::Group(g) => {
            for tree in &g.items {
                flatten_use(tree, prefix, out);
            }
        }
    }
}

/// Every multi-segment path in an item, including those inside macros and attributes.
#[derive(Default)]
struct PathCollector {
    paths: Vec<Vec<String>>,
}

impl<'ast> Visit<'ast> for PathCollector {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() && path.segments.len() > 1 {
            self.paths
                .push(path.segments.iter().map(|s| s.ident.to_string()).collect());
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }

    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        if let syn::Meta::List(list) = &attr.meta {
            self.tokens(list.tokens.clone());
        }
    }

    fn visit_item_mod(&mut self, _: &'ast syn::ItemMod) {}

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        if !is_test_only(&item.attrs) {
            syn::visit::visit_item_fn(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if !is_test_only(&item.attrs) {
            syn::visit::visit_impl_item_fn(self, item);
        }
    }
}

impl PathCollector {
    /// `a::b::c` sequences in unparsed tokens (macro bodies, attribute arguments).
    fn tokens(&mut self, tokens: TokenStream) {
        let flat: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < flat.len() {
            match &flat[i] {
                TokenTree::Group(group) => {
                    self.tokens(group.stream());
                    i += 1;
                }
                TokenTree::Ident(first) => {
                    let preceded_by_colons = i >= 2
                        && matches!((&flat[i - 2], &flat[i - 1]),
                            (TokenTree::Punct(a), TokenTree::Punct(b)) if a.as_char() == ':' && b.as_char() == ':');
                    let mut path = vec![first.to_string()];
                    let mut j = i + 1;
                    loop {
                        match (flat.get(j), flat.get(j + 1), flat.get(j + 2)) {
                            (
                                Some(TokenTree::Punct(a)),
                                Some(TokenTree::Punct(b)),
                                Some(TokenTree::Ident(next)),
                            ) if a.as_char() == ':' && b.as_char() == ':' => {
                                path.push(next.to_string());
                                j += 3;
                            }
                            _ => break,
                        }
                    }
                    if path.len() > 1 && !preceded_by_colons {
                        self.paths.push(path);
                    }
                    i = j;
                }
                TokenTree::Punct(_) | TokenTree::Literal(_) => i += 1,
            }
        }
    }
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Union(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

fn item_name(item: &syn::Item) -> Option<String> {
    let ident = match item {
        syn::Item::Const(i) => &i.ident,
        syn::Item::Enum(i) => &i.ident,
        syn::Item::Fn(i) => &i.sig.ident,
        syn::Item::Static(i) => &i.ident,
        syn::Item::Struct(i) => &i.ident,
        syn::Item::Trait(i) => &i.ident,
        syn::Item::Type(i) => &i.ident,
        syn::Item::Union(i) => &i.ident,
        syn::Item::Macro(i) => i.ident.as_ref()?,
        _ => return None,
    };
    Some(ident.to_string())
}

/// `#[cfg(test)]`, or a `cfg` that needs `test` (e.g. `any(test, feature = "test-support")`).
fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && matches!(&attr.meta, syn::Meta::List(list)
                if list.tokens.clone().into_iter().any(|t| mentions_test(&t)))
    })
}

fn mentions_test(token: &TokenTree) -> bool {
    match token {
        TokenTree::Ident(ident) => ident == "test",
        TokenTree::Group(group) => group.stream().into_iter().any(|t| mentions_test(&t)),
        _ => false,
    }
}

fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|attr| match &attr.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

fn engine_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The app's shell crate (src-tauri/src), beside the engine.
fn shell_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../src")
}

fn listing(edges: &Edges) -> String {
    let mut text = String::new();
    for (file, targets) in edges {
        let targets: Vec<&str> = targets.keys().map(String::as_str).collect();
        writeln!(text, "{file} -> {}", targets.join(", ")).unwrap();
    }
    text
}

#[test]
fn no_engine_module_imports_one_that_imports_it_back() {
    let (edges, found) = check_crate(&engine_src());
    // Prints with `--nocapture`: the whole graph, to see the layers.
    println!("{}", listing(&edges));
    assert!(
        edges.len() > 30,
        "the engine's module tree was not read: {edges:?}"
    );
    assert!(found.is_empty(), "{}", describe(&edges, &found));
}

#[test]
fn no_shell_module_imports_one_that_imports_it_back() {
    let (edges, found) = check_crate(&shell_src());
    println!("{}", listing(&edges));
    assert!(
        edges.keys().any(|f| f == "lib.rs") && edges.len() > 3,
        "the shell's module tree was not read: {edges:?}"
    );
    assert!(found.is_empty(), "{}", describe(&edges, &found));
}

/// Writes a small crate into a temporary folder and returns its loops.
fn loops_in(files: &[(&str, &str)]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    check_crate(dir.path()).1
}

#[test]
fn a_loop_through_a_reexport_or_an_inline_path_is_found() {
    let found = loops_in(&[
        ("lib.rs", "mod store;\nmod plan;\n"),
        (
            "store/mod.rs",
            "mod keys;\nmod manifest;\npub use keys::Path;\npub use manifest::Manifest;\n",
        ),
        ("store/keys.rs", "pub struct Path;\n"),
        (
            "store/manifest.rs",
            "use crate::plan::Plan;\npub struct Manifest { plan: Plan }\n",
        ),
        (
            "plan.rs",
            "pub struct Plan;\nfn check() -> bool { format!(\"{}\", crate::store::Manifest::X).is_empty() }\n",
        ),
    ]);
    assert_eq!(
        found,
        vec![vec!["plan.rs".to_string(), "store/manifest.rs".to_string()]]
    );
}

#[test]
fn a_parent_that_reexports_its_children_and_test_code_make_no_loop() {
    let found = loops_in(&[
        ("lib.rs", "mod llm;\npub use llm::Provider;\n"),
        (
            "llm/mod.rs",
            "mod client;\npub use client::Provider;\npub struct Request;\n",
        ),
        (
            "llm/client.rs",
            "use super::Request;\npub struct Provider(Request);\n#[cfg(test)]\nmod tests { use crate::Provider; }\n",
        ),
    ]);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_longer_loop_is_found_too() {
    let found = loops_in(&[
        ("lib.rs", "mod a;\nmod b;\nmod c;\n"),
        ("a.rs", "use crate::b::B;\npub struct A(B);\n"),
        ("b.rs", "pub struct B(super::c::C);\n"),
        ("c.rs", "pub struct C(Box<crate::a::A>);\n"),
    ]);
    assert_eq!(
        found,
        vec![vec![
            "a.rs".to_string(),
            "b.rs".to_string(),
            "c.rs".to_string()
        ]]
    );
}
