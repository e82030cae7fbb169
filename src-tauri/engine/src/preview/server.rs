//! Answers the preview pane's requests (`/{user}/{slug}/{path}`) from S3 on demand: no local
//! copy, an in-memory LRU of what was fetched and compiled, keyed by each object's ETag.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use lru::LruCache;

use super::backend::{percent_decode, ApiCall, SimulatedBackend};
use super::{
    content_security_policy, error_module, json_module, style_module, url_module, ModuleAs,
    PreviewSite, API_PREFIX, INTERNAL_PREFIX, OVERLAY_PATH, VENDOR_PREFIX,
};
use crate::plan::{Contract, Stack};
use crate::store::{ETag, ObjectStore, ProjectKey, ProjectPath, Slug, UserId};
use crate::sync::lock;
use crate::{Error, Result};

/// Objects (and what was made of them) kept in memory.
const CACHE_ENTRIES: NonZeroUsize = match NonZeroUsize::new(512) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};
/// Projects whose file lists are kept in memory.
const SITE_ENTRIES: NonZeroUsize = match NonZeroUsize::new(32) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

const OVERLAY: &str = include_str!("overlay.js");

/// Reads a vendored file (`react.js`, `tailwind.js`, …) shipped inside the app.
pub type VendorFiles = Arc<dyn Fn(&str) -> Option<Vec<u8>> + Send + Sync>;

/// One answer of the preview protocol.
#[derive(Debug, Clone)]
pub struct PreviewResponse {
    pub status: u16,
    pub content_type: String,
    pub body: Bytes,
    /// The Content-Security-Policy header, on every response.
    pub csp: String,
}

struct CachedObject {
    etag: ETag,
    raw: Bytes,
    content_type: Option<String>,
    /// What was served for the last `?as=` of this object, and for which set of project
    /// files: a compiled module's imports point at the files the project had then.
    made: Option<Made>,
}

#[derive(Clone)]
struct Made {
    module_as: Option<ModuleAs>,
    files: u64,
    body: Bytes,
}

/// A fingerprint of the project's file list: it changes when a resume adds files.
fn files_fingerprint(site: &PreviewSite) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    site.files.hash(&mut hasher);
    site.frontend_dir.hash(&mut hasher);
    hasher.finish()
}

/// What the preview needs from the app: who is signed in, and the bucket their projects are in.
#[async_trait::async_trait]
pub trait PreviewSource: Send + Sync {
    /// The signed-in user; the preview serves only their projects.
    fn user(&self) -> Result<UserId>;

    /// The bucket the projects are read from.
    async fn store(&self) -> Result<ObjectStore>;
}

/// The simulated backends of the previews open now, one per project, shared with the app's
/// commands (the request panel, Reset data).
#[derive(Default)]
pub struct SimulatedBackends {
    /// Each project's backend, and whether its contract was read from the backend's code.
    by_project: Mutex<HashMap<String, (Arc<SimulatedBackend>, bool)>>,
}

/// What the preview's toolbar shows of a project's simulated backend.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PreviewApi {
    /// Endpoints the contract lists, all answered in memory.
    pub endpoints: u32,
    /// The project has no structured contract (it predates them): the endpoints and models
    /// were read from its FastAPI code.
    pub from_code: bool,
    /// The requests the app made, oldest first.
    pub calls: Vec<ApiCall>,
}

impl SimulatedBackends {
    /// The backend of `key`'s open preview, if it has one.
    pub fn get(&self, key: &ProjectKey) -> Option<Arc<SimulatedBackend>> {
        lock(&self.by_project)
            .get(&key.prefix())
            .map(|(backend, _)| Arc::clone(backend))
    }

    /// What the toolbar shows: `None` when the project has no backend to simulate (or its
    /// preview has not opened).
    pub fn api(&self, key: &ProjectKey) -> Option<PreviewApi> {
        let (backend, from_code) = lock(&self.by_project).get(&key.prefix()).cloned()?;
        Some(PreviewApi {
            endpoints: u32::try_from(backend.endpoints()).unwrap_or(u32::MAX),
            from_code,
            calls: backend.calls(),
        })
    }

    /// Forgets the project's data (Reset data, or the preview closed): the next call starts
    /// from empty collections.
    pub fn reset(&self, key: &ProjectKey) {
        if let Some(backend) = self.get(key) {
            backend.reset();
        }
    }

    /// The project's backend for `contract`: the running one while the contract is the same,
    /// so reloading the page keeps the app's data.
    fn for_contract(&self, key: &ProjectKey, api: &ApiSource) -> Arc<SimulatedBackend> {
        let mut map = lock(&self.by_project);
        match map.get(&key.prefix()) {
            Some((backend, _)) if backend.contract() == &api.contract => Arc::clone(backend),
            _ => {
                let backend = Arc::new(SimulatedBackend::new(api.contract.clone()));
                map.insert(key.prefix(), (Arc::clone(&backend), api.from_code));
                backend
            }
        }
    }
}

pub struct PreviewServer {
    source: Arc<dyn PreviewSource>,
    backends: Arc<SimulatedBackends>,
    vendor: VendorFiles,
    /// `preview://localhost`, or `http://preview.localhost` where custom schemes are served
    /// over http (Windows).
    origin: String,
    objects: Mutex<LruCache<String, CachedObject>>,
    sites: Mutex<LruCache<String, PreviewSite>>,
}

impl PreviewServer {
    pub fn new<S: PreviewSource + 'static>(
        source: Arc<S>,
        vendor: VendorFiles,
        origin: impl Into<String>,
    ) -> Self {
        Self {
            source,
            backends: Arc::default(),
            vendor,
            origin: origin.into(),
            objects: Mutex::new(LruCache::new(CACHE_ENTRIES)),
            sites: Mutex::new(LruCache::new(SITE_ENTRIES)),
        }
    }

    /// Shares `backends` with whoever else shows or resets them (the app's commands).
    pub fn with_backends(mut self, backends: Arc<SimulatedBackends>) -> Self {
        self.backends = backends;
        self
    }

    /// The simulated backends of the previews open now.
    pub fn backends(&self) -> &Arc<SimulatedBackends> {
        &self.backends
    }

    /// Answers one GET request. `path` is the URL path as sent (percent-encoded).
    pub async fn serve(&self, path: &str, query: Option<&str>) -> PreviewResponse {
        self.serve_request("GET", path, query, &[]).await
    }

    /// Answers one request of any method: calls to the simulated backend take any, files
    /// only GET (and HEAD).
    pub async fn serve_request(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: &[u8],
    ) -> PreviewResponse {
        let answer = match path.strip_prefix(API_PREFIX) {
            Some(api_path) => self.api(method, api_path, body).await,
            None if method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD") => {
                self.route(path, query).await
            }
            None => Err(Refusal::BadPath(format!(
                "a {method} request can only go to the app's simulated backend"
            ))),
        };
        match answer {
            Ok(response) => response,
            Err(refusal) => self.refusal(refusal),
        }
    }

    /// A call to a project's simulated backend: `/{user}/{slug}/{api path}`.
    async fn api(
        &self,
        method: &str,
        raw_path: &str,
        body: &[u8],
    ) -> Result<PreviewResponse, Refusal> {
        let path = decode_path(&format!("/{raw_path}"))?;
        let mut parts = path.trim_start_matches('/').splitn(3, '/');
        let user = UserId::new(parts.next().unwrap_or_default())
            .map_err(|_| Refusal::BadPath("it does not start with a user ID".into()))?;
        let slug = Slug::new(parts.next().unwrap_or_default())
            .map_err(|_| Refusal::BadPath("it names no project".into()))?;
        let api_path = format!("/{}", parts.next().unwrap_or_default());
        if self.source.user().map_err(Refusal::Failed)? != user {
            return Err(Refusal::OtherUser);
        }
        let key = ProjectKey::new(user, slug);
        let backend = match self.backends.get(&key) {
            Some(backend) => backend,
            None => {
                let store = self.source.store().await.map_err(Refusal::Failed)?;
                let api = self.api_source(&store, &key).await?;
                self.backends.for_contract(&key, &api)
            }
        };
        let answer = backend.answer(method, &api_path, body);
        Ok(PreviewResponse {
            status: answer.status,
            content_type: "application/json".into(),
            body: Bytes::from(answer.body.to_string()),
            csp: content_security_policy(&self.origin, None, None),
        })
    }

    fn response(
        &self,
        content_type: &str,
        body: impl Into<Bytes>,
        import_map: Option<&str>,
    ) -> PreviewResponse {
        PreviewResponse {
            status: 200,
            content_type: content_type.to_string(),
            body: body.into(),
            csp: content_security_policy(&self.origin, import_map, None),
        }
    }

    fn refusal(&self, refusal: Refusal) -> PreviewResponse {
        let (status, message) = match refusal {
            Refusal::BadPath(why) => (400, format!("This preview address is not valid: {why}.")),
            Refusal::OtherUser => (403, "The preview only shows your own projects.".to_string()),
            Refusal::NotFound(what) => (404, format!("{what} is not in the project.")),
            Refusal::Failed(e) => (502, e.to_string()),
        };
        PreviewResponse {
            status,
            content_type: "text/plain; charset=utf-8".into(),
            body: Bytes::from(message),
            csp: content_security_policy(&self.origin, None, None),
        }
    }

    async fn route(&self, raw_path: &str, query: Option<&str>) -> Result<PreviewResponse, Refusal> {
        if let Some(internal) = raw_path.strip_prefix(INTERNAL_PREFIX) {
            return self.internal(internal, query);
        }
        let path = decode_path(raw_path)?;
        let mut parts = path.trim_start_matches('/').splitn(3, '/');
        let user = UserId::new(parts.next().unwrap_or_default())
            .map_err(|_| Refusal::BadPath("it does not start with a user ID".into()))?;
        let slug = Slug::new(parts.next().unwrap_or_default())
            .map_err(|_| Refusal::BadPath("it names no project".into()))?;
        let rest = parts.next().unwrap_or_default();
        // Only the signed-in user's own projects, whatever the URL asks for.
        if self.source.user().map_err(Refusal::Failed)? != user {
            return Err(Refusal::OtherUser);
        }
        let key = ProjectKey::new(user, slug);
        let store = self.source.store().await.map_err(Refusal::Failed)?;
        let site_key = key.prefix();
        let is_page = rest.is_empty();
        // The page re-reads the file list; so does a request for a file the list doesn't
        // have yet, so an open preview follows a project that a resume is still adding to.
        let site = match (is_page, self.cached_site(&site_key)) {
            (false, Some(site)) if site.files.contains(rest) => site,
            _ => {
                let site = site_of(&store, &key, &self.origin).await?;
                lock(&self.sites).put(site_key, site.clone());
                site
            }
        };
        if is_page || rest == format!("{}index.html", site.frontend_dir) {
            return self.page(&store, &key, &site).await;
        }
        let file = ProjectPath::new(rest).map_err(|e| Refusal::BadPath(e.to_string()))?;
        let module_as = ModuleAs::from_query(query);
        self.file(&store, &key, &site, &file, module_as).await
    }

    fn cached_site(&self, key: &str) -> Option<PreviewSite> {
        lock(&self.sites).get(key).cloned()
    }

    fn internal(&self, what: &str, query: Option<&str>) -> Result<PreviewResponse, Refusal> {
        if let Some(file) = what.strip_prefix(VENDOR_PREFIX.trim_start_matches(INTERNAL_PREFIX)) {
            if file.contains('/') || file.contains("..") {
                return Err(Refusal::BadPath("vendor files have plain names".into()));
            }
            let body = (self.vendor)(file)
                .ok_or_else(|| Refusal::NotFound(format!("The vendored file “{file}”")))?;
            return Ok(self.response("text/javascript; charset=utf-8", body, None));
        }
        if format!("{INTERNAL_PREFIX}{what}") == OVERLAY_PATH {
            return Ok(self.response("text/javascript; charset=utf-8", OVERLAY, None));
        }
        if what == "error.js" {
            let param = |name: &str| {
                query?
                    .split('&')
                    .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
                    .map(percent_decode)
            };
            let message = param("message")
                .unwrap_or_else(|| "The preview could not load a part of the app.".into());
            let names = param("names").unwrap_or_default();
            let names: Vec<&str> = names.split(',').filter(|n| !n.is_empty()).collect();
            return Ok(self.response(
                "text/javascript; charset=utf-8",
                error_module(&message, &names),
                None,
            ));
        }
        Err(Refusal::NotFound(format!("“{what}”")))
    }

    async fn page(
        &self,
        store: &ObjectStore,
        key: &ProjectKey,
        site: &PreviewSite,
    ) -> Result<PreviewResponse, Refusal> {
        let index = format!("{}index.html", site.frontend_dir);
        let html = if site.files.contains(&index) {
            let path = ProjectPath::new(&index).map_err(|e| Refusal::BadPath(e.to_string()))?;
            let (raw, _) = self.object(store, key, &path).await?;
            Some(String::from_utf8_lossy(&raw).into_owned())
        } else {
            None
        };
        let vendor_url = format!("{}{VENDOR_PREFIX}", self.origin);
        let (page, import_map) = site.index_html(html.as_deref(), &vendor_url);
        // The page opens (or reloads) the app's backend: its data lives while the preview does.
        let api = self.api_source(store, key).await?;
        if !api.contract.endpoints.is_empty() {
            self.backends.for_contract(key, &api);
        }
        let mut response = self.response("text/html; charset=utf-8", page, Some(&import_map));
        // The only place the app may connect to: its own simulated backend.
        response.csp =
            content_security_policy(&self.origin, Some(&import_map), site.api_base.as_deref());
        Ok(response)
    }

    async fn file(
        &self,
        store: &ObjectStore,
        key: &ProjectKey,
        site: &PreviewSite,
        path: &ProjectPath,
        module_as: Option<ModuleAs>,
    ) -> Result<PreviewResponse, Refusal> {
        let (raw, content_type) = self.object(store, key, path).await?;
        let cache_key = key.file(path);
        let files = files_fingerprint(site);
        if let Some(made) = self.made(&cache_key, module_as, files) {
            return Ok(self.response(
                &served_type(module_as, path, content_type.as_deref()),
                made,
                None,
            ));
        }
        let source = String::from_utf8_lossy(&raw);
        let is_script = ModuleAs::for_path(path.as_str()) == ModuleAs::Script;
        let made: Bytes = match module_as {
            Some(ModuleAs::Style) => style_module(
                path.as_str(),
                &source,
                &format!("{}{VENDOR_PREFIX}", self.origin),
            )
            .into(),
            Some(ModuleAs::Json) => match json_module(&source) {
                Ok(module) => module.into(),
                // Whatever it was to export can't be known; a default export (a component, most
                // often) lets the modules importing it link, so the page shows this message.
                Err(problem) => error_module(&format!("{path}: {problem}"), &["default"]).into(),
            },
            Some(ModuleAs::Url) => url_module(&site.url_of(path.as_str())).into(),
            Some(ModuleAs::Script) | None if is_script => {
                match site.compile_script(path.as_str(), &source) {
                    Ok(module) => module.into(),
                    // The overlay shows the compile error where the module would have run.
                    Err(problem) => error_module(
                        &format!("{path} could not be compiled: {problem}"),
                        &["default"],
                    )
                    .into(),
                }
            }
            Some(ModuleAs::Script) | None => raw.clone(),
        };
        if let Some(entry) = lock(&self.objects).get_mut(&cache_key) {
            entry.made = Some(Made {
                module_as,
                files,
                body: made.clone(),
            });
        }
        Ok(self.response(
            &served_type(module_as, path, content_type.as_deref()),
            made,
            None,
        ))
    }

    fn made(&self, cache_key: &str, module_as: Option<ModuleAs>, files: u64) -> Option<Bytes> {
        let mut objects = lock(&self.objects);
        match &objects.get(cache_key)?.made {
            Some(made) if made.module_as == module_as && made.files == files => {
                Some(made.body.clone())
            }
            _ => None,
        }
    }

    /// The object's bytes: from the cache when S3 says it is unchanged (HTTP 304).
    async fn object(
        &self,
        store: &ObjectStore,
        key: &ProjectKey,
        path: &ProjectPath,
    ) -> Result<(Bytes, Option<String>), Refusal> {
        let cache_key = key.file(path);
        let known = lock(&self.objects).get(&cache_key).map(|c| c.etag.clone());
        let fetched = match &known {
            Some(etag) => store.get_file_if_changed(key, path, etag).await,
            None => store.get_file(key, path).await.map(Some),
        };
        let fetched = match fetched {
            Ok(None) => {
                let cached = lock(&self.objects)
                    .get(&cache_key)
                    .map(|cached| (cached.raw.clone(), cached.content_type.clone()));
                match cached {
                    Some(cached) => return Ok(cached),
                    // Another request pushed the entry out of the cache meanwhile.
                    None => store.get_file(key, path).await.map(Some),
                }
            }
            other => other,
        };
        match fetched {
            Ok(None) => Err(Refusal::NotFound(format!("“{path}”"))),
            Ok(Some(file)) => {
                let mut objects = lock(&self.objects);
                // Servers that ignore If-None-Match resend the body; the same tag still means
                // the compiled module can be reused.
                let made = objects
                    .get(&cache_key)
                    .filter(|cached| cached.etag == file.etag)
                    .and_then(|cached| cached.made.clone());
                objects.put(
                    cache_key,
                    CachedObject {
                        etag: file.etag,
                        raw: file.bytes.clone(),
                        content_type: file.content_type.clone(),
                        made,
                    },
                );
                Ok((file.bytes, file.content_type))
            }
            Err(Error::FileNotFound { path, .. }) => Err(Refusal::NotFound(format!("“{path}”"))),
            Err(e) => Err(Refusal::Failed(e)),
        }
    }
}

/// Why a request gets no file.
enum Refusal {
    BadPath(String),
    OtherUser,
    NotFound(String),
    Failed(Error),
}

/// What the simulated backend answers: the plan's contract, or for a project without a
/// structured one, the contract read from its FastAPI code.
struct ApiSource {
    contract: Contract,
    from_code: bool,
}

impl PreviewServer {
    /// The project's API: its manifest's contract when that lists endpoints, else the routes
    /// and models of its backend's Python files (an older project); empty without either.
    async fn api_source(
        &self,
        store: &ObjectStore,
        key: &ProjectKey,
    ) -> Result<ApiSource, Refusal> {
        let manifest = store
            .read_manifest(key)
            .await
            .map_err(Refusal::Failed)?
            .map(|(m, _)| m);
        let contract = manifest
            .as_ref()
            .map(|m| m.plan.contract.clone())
            .unwrap_or_default();
        let stack = manifest.as_ref().map(|m| m.plan.stack);
        if !contract.endpoints.is_empty() || stack == Some(Stack::React) {
            return Ok(ApiSource {
                contract,
                from_code: false,
            });
        }
        let layout = Stack::FastapiReact.layout();
        let backend = layout.backend_root.clone().unwrap_or_default();
        let site_key = key.prefix();
        let site = match self.cached_site(&site_key) {
            Some(site) => site,
            None => site_of(store, key, &self.origin).await?,
        };
        let mut texts = Vec::new();
        for path in site
            .files
            .iter()
            .filter(|p| p.starts_with(&backend) && p.ends_with(".py"))
        {
            let path = ProjectPath::new(path).map_err(|e| Refusal::BadPath(e.to_string()))?;
            let (raw, _) = self.object(store, key, &path).await?;
            texts.push((path.to_string(), String::from_utf8_lossy(&raw).into_owned()));
        }
        let files: Vec<bucketforge_check::SourceFile<'_>> = texts
            .iter()
            .map(|(path, text)| bucketforge_check::SourceFile { path, text })
            .collect();
        Ok(ApiSource {
            contract: bucketforge_check::contract_from_backend(&layout, &files),
            from_code: true,
        })
    }
}

/// The project's files and where its frontend is, from the manifest (or a bare listing).
async fn site_of(
    store: &ObjectStore,
    key: &ProjectKey,
    origin: &str,
) -> Result<PreviewSite, Refusal> {
    let listing = store.project_files(key).await.map_err(|e| match e {
        Error::ProjectNotFound { .. } => Refusal::NotFound("The project".into()),
        e => Refusal::Failed(e),
    })?;
    let files: std::collections::BTreeSet<String> =
        listing.files.iter().map(|f| f.path.to_string()).collect();
    if files.is_empty() {
        return Err(Refusal::NotFound("Any file".into()));
    }
    let frontend_dir = match listing.manifest.as_ref().map(|(m, _)| m.plan.stack) {
        Some(stack) => stack.frontend_root().to_string(),
        None if files.iter().any(|f| f.starts_with("frontend/")) => {
            Stack::FastapiReact.frontend_root().to_string()
        }
        None => Stack::React.frontend_root().to_string(),
    };
    // A project with a backend gets the address of its simulated one, whatever answers there.
    let has_api = frontend_dir == Stack::FastapiReact.frontend_root();
    Ok(PreviewSite {
        url_root: format!("/{}/{}/", key.user(), key.slug()),
        frontend_dir,
        files,
        api_base: has_api.then(|| format!("{origin}{API_PREFIX}{}/{}", key.user(), key.slug())),
    })
}

/// The Content-Type of what is served: modules are JavaScript whatever the file was.
fn served_type(module_as: Option<ModuleAs>, path: &ProjectPath, stored: Option<&str>) -> String {
    let is_script = ModuleAs::for_path(path.as_str()) == ModuleAs::Script;
    match module_as {
        Some(_) => "text/javascript; charset=utf-8".into(),
        None if is_script => "text/javascript; charset=utf-8".into(),
        None => stored.unwrap_or("application/octet-stream").to_string(),
    }
}

/// Decodes `%XX` escapes, refusing anything that decodes to a traversal or a control
/// character; every segment is checked again as a project path afterwards.
fn decode_path(raw: &str) -> Result<String, Refusal> {
    let decoded = percent_decode(raw);
    if decoded.split('/').any(|s| s == ".." || s == ".") {
        return Err(Refusal::BadPath("it climbs out of the project".into()));
    }
    if decoded.contains('\\') || decoded.chars().any(char::is_control) {
        return Err(Refusal::BadPath(
            "it contains characters a file name can't have".into(),
        ));
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoded_traversal_is_refused() {
        for raw in [
            "/alice/todo/%2e%2e/x.js",
            "/alice/todo/..%2Fbob/x.js",
            "/alice/%2E%2E/bob/todo/x.js",
            "/alice/todo/a%5Cb.js",
            "/alice/todo/a%00.js",
        ] {
            assert!(decode_path(raw).is_err(), "{raw}");
        }
        assert_eq!(
            decode_path("/alice/todo/src/My%20App.jsx").ok().as_deref(),
            Some("/alice/todo/src/My App.jsx")
        );
    }

    #[test]
    fn percent_decoding_leaves_broken_escapes_alone() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("a%zzb"), "a%zzb");
        assert_eq!(percent_decode("%E2%80%9Cx%E2%80%9D"), "“x”");
    }
}
