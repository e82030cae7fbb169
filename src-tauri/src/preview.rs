//! The `preview://` protocol: the preview pane's requests, answered by the engine from S3.
//! Only the main window's webview is served.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use bucketforge_engine::preview::{PreviewResponse, PreviewServer, VendorFiles};
use bucketforge_engine::session::Session;
use bucketforge_engine::store::{Slug, UserId};
use tauri::http::{header, Request, Response};
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
            Arc::new(PreviewServer::new(
                Arc::clone(&session),
                vendor_files(app),
                ORIGIN,
            ))
        }));
        let path = request.uri().path().to_string();
        let query = request.uri().query().map(str::to_string);
        tauri::async_runtime::spawn(async move {
            let answer = server.serve(&path, query.as_deref()).await;
            responder.respond(to_http(answer));
        });
    }
}

fn to_http(answer: PreviewResponse) -> Response<Cow<'static, [u8]>> {
    Response::builder()
        .status(answer.status)
        .header(header::CONTENT_TYPE, answer.content_type)
        .header("Content-Security-Policy", answer.csp)
        // The pane is sandboxed, so its origin is opaque and every module load is cross-origin.
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Cow::Owned(answer.body.to_vec()))
        .expect("the preview response is well-formed")
}

fn plain(status: u16, message: &'static str) -> Response<Cow<'static, [u8]>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header("Content-Security-Policy", "default-src 'none'")
        .body(Cow::Borrowed(message.as_bytes()))
        .expect("the refusal is well-formed")
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
