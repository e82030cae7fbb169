//! The `preview://` protocol: the preview pane's requests, answered by the engine from S3.
//! Only the main window's webview is served.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use bucketforge_engine::preview::{PreviewResponse, PreviewServer, SimulatedBackends, VendorFiles};
use bucketforge_engine::session::Session;
use bucketforge_engine::store::{Slug, UserId};
use tauri::http::{header, HeaderValue, Request, Response, StatusCode};
use tauri::{AppHandle, Runtime, UriSchemeContext, UriSchemeResponder};

/// Where preview pages live. Windows (WebView2) serves custom schemes over http.
#[cfg(windows)]
pub const ORIGIN: &str = "http://preview.localhost";
#[cfg(not(windows))]
pub const ORIGIN: &str = "preview://localhost";

/// The URL of a project's page in the preview pane.
pub fn page_url(user: &UserId, slug: &Slug) -> String {
    format!("{ORIGIN}/{user}/{slug}/")
}

/// The protocol handler for `register_asynchronous_uri_scheme_protocol`.
pub fn protocol<R: Runtime>(
    session: Arc<Session>,
    backends: Arc<SimulatedBackends>,
) -> impl Fn(UriSchemeContext<'_, R>, Request<Vec<u8>>, UriSchemeResponder) + Send + Sync + 'static
{
    let server: Arc<OnceLock<Arc<PreviewServer>>> = Arc::default();
    move |ctx, request, responder| {
        if ctx.webview_label() != "main" {
            responder.respond(plain(
                403,
                "The preview is only served to BucketForge's main window.",
            ));
            return;
        }
        let app = ctx.app_handle().clone();
        let server = Arc::clone(server.get_or_init(|| {
            Arc::new(
                PreviewServer::new(Arc::clone(&session), vendor_files(app), ORIGIN)
                    .with_backends(Arc::clone(&backends)),
            )
        }));
        // A cross-origin call with a JSON body asks first; the answer is the same for all.
        if request.method() == tauri::http::Method::OPTIONS {
            responder.respond(respond(
                204,
                HeaderValue::from_static("text/plain; charset=utf-8"),
                HeaderValue::from_static(REFUSE_ALL),
                Cow::Borrowed(&[]),
            ));
            return;
        }
        let method = request.method().as_str().to_string();
        let path = request.uri().path().to_string();
        let query = request.uri().query().map(str::to_string);
        let body = request.into_body();
        tauri::async_runtime::spawn(async move {
            let answer = server
                .serve_request(&method, &path, query.as_deref(), &body)
                .await;
            responder.respond(to_http(answer));
        });
    }
}

fn to_http(answer: PreviewResponse) -> Response<Cow<'static, [u8]>> {
    // The content type comes from the object's metadata in the bucket: anything a header
    // can't carry is served as plain bytes rather than failing the response.
    let content_type = HeaderValue::from_str(&answer.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let csp = HeaderValue::from_str(&answer.csp).unwrap_or(HeaderValue::from_static(REFUSE_ALL));
    respond(
        answer.status,
        content_type,
        csp,
        Cow::Owned(answer.body.to_vec()),
    )
}

fn plain(status: u16, message: &'static str) -> Response<Cow<'static, [u8]>> {
    respond(
        status,
        HeaderValue::from_static("text/plain; charset=utf-8"),
        HeaderValue::from_static(REFUSE_ALL),
        Cow::Borrowed(message.as_bytes()),
    )
}

/// The policy of an answer that must run nothing.
const REFUSE_ALL: &str = "default-src 'none'";

/// Built field by field, so no value can make the response fail to build.
fn respond(
    status: u16,
    content_type: HeaderValue,
    csp: HeaderValue,
    body: Cow<'static, [u8]>,
) -> Response<Cow<'static, [u8]>> {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert("content-security-policy", csp);
    // The pane is sandboxed, so its origin is opaque and every module load is cross-origin.
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    // The app's calls to its simulated backend use any method and send JSON.
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type, accept, authorization"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// React, ReactDOM and Tailwind, built from npm into the UI's assets at build time.
fn vendor_files<R: Runtime>(app: AppHandle<R>) -> VendorFiles {
    Arc::new(move |name: &str| {
        if let Some(asset) = app.asset_resolver().get(format!("/preview-vendor/{name}")) {
            return Some(asset.bytes().to_vec());
        }
        // A development build serves the UI from Vite and embeds no assets.
        if cfg!(dev) {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/dist/preview-vendor/");
            return std::fs::read(format!("{dir}{name}")).ok();
        }
        None
    })
}
