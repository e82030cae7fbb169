//! A loopback HTTP proxy that forwards to a real S3 server or injects a fault instead.
//!
//! One request per connection (it answers `Connection: close`), which is all the SDK needs
//! and keeps the proxy simple enough to trust.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the proxy does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward it untouched.
    Pass,
    /// `503 SlowDown`, as S3 sends when throttling.
    SlowDown,
    /// `500 InternalError`.
    InternalError,
    /// Close the connection with a TCP reset before answering.
    Reset,
    /// Wait this long, then forward.
    Delay(Duration),
    /// `403 AccessDenied`, as for a key without the permission.
    AccessDenied,
    /// `403 SignatureDoesNotMatch`, as AWS answers a wrong secret.
    SignatureDoesNotMatch,
    /// `301 PermanentRedirect` with `x-amz-bucket-region`, as AWS answers a wrong region.
    WrongRegion(String),
    /// `501 NotImplemented` for writes carrying If-None-Match or If-Match; others pass.
    NoConditionalWrites,
    /// Forward it, let the server act on it, then reset the connection instead of passing
    /// the answer on: the client can't know its request landed.
    ForwardThenReset,
}

/// Which requests a fault applies to; the default matches all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Only {
    /// This HTTP method (e.g. "PUT").
    pub method: Option<String>,
    /// Request targets containing this (e.g. "manifest.json").
    pub path_contains: Option<String>,
    /// Only writes carrying If-Match or If-None-Match.
    pub conditional: bool,
}

#[derive(Debug)]
struct Plan {
    fault: Fault,
    /// Requests the fault still applies to; `None` for all of them.
    remaining: Option<usize>,
    only: Only,
}

/// One request the proxy passed on or faulted: its method, body size and whether it was a
/// server-side copy (PUT with `x-amz-copy-source`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    pub method: String,
    pub body_bytes: usize,
    pub copy: bool,
}

pub struct FaultProxy {
    addr: SocketAddr,
    plan: Arc<Mutex<Plan>>,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
    requests: Arc<AtomicUsize>,
    faulted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let plan = Arc::new(Mutex::new(Plan {
            fault: Fault::Pass,
            remaining: None,
            only: Only::default(),
        }));
        let requests = Arc::new(AtomicUsize::new(0));
        let faulted = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn({
            let plan = plan.clone();
            let requests = requests.clone();
            let faulted = faulted.clone();
            let seen = seen.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let plan = plan.clone();
                    let requests = requests.clone();
                    let faulted = faulted.clone();
                    let seen = seen.clone();
                    tokio::spawn(async move {
                        let _ = serve(client, upstream, plan, requests, faulted, seen).await;
                    });
                }
            }
        });
        Self {
            addr,
            plan,
            seen,
            requests,
            faulted,
            task,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Applies `fault` to every request from now on.
    pub fn always(&self, fault: Fault) {
        self.when(Only::default(), fault, None);
    }

    /// Applies `fault` to the next `times` requests, then forwards again.
    pub fn times(&self, fault: Fault, times: usize) {
        self.when(Only::default(), fault, Some(times));
    }

    /// Applies `fault` to every request with this HTTP method.
    pub fn on_method(&self, method: &str, fault: Fault) {
        let only = Only {
            method: Some(method.to_string()),
            ..Only::default()
        };
        self.when(only, fault, None);
    }

    /// Applies `fault` to the requests `only` matches: the next `times` of them, or all.
    pub fn when(&self, only: Only, fault: Fault, times: Option<usize>) {
        *self.plan.lock().unwrap() = Plan {
            fault,
            remaining: times,
            only,
        };
        self.requests.store(0, Ordering::SeqCst);
        self.faulted.store(0, Ordering::SeqCst);
    }

    /// Requests seen since the plan was last set.
    /// Every request so far, in the order they arrived.
    pub fn seen(&self) -> Vec<SeenRequest> {
        self.seen.lock().unwrap().clone()
    }

    /// Forgets the requests seen so far.
    pub fn forget(&self) {
        self.seen.lock().unwrap().clear();
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Requests that got the fault since the plan was last set.
    pub fn faulted(&self) -> usize {
        self.faulted.load(Ordering::SeqCst)
    }
}

fn choose(plan: &Mutex<Plan>, request: &Request) -> Fault {
    let mut plan = plan.lock().unwrap();
    let only = &plan.only;
    let target = String::from_utf8_lossy(&request.head)
        .split(' ')
        .nth(1)
        .unwrap_or_default()
        .to_string();
    if only.method.as_deref().is_some_and(|m| m != request.method)
        || only
            .path_contains
            .as_deref()
            .is_some_and(|p| !target.contains(p))
        || (only.conditional && !request.is_conditional())
    {
        return Fault::Pass;
    }
    match plan.remaining {
        Some(0) => Fault::Pass,
        Some(n) => {
            plan.remaining = Some(n - 1);
            plan.fault.clone()
        }
        None => plan.fault.clone(),
    }
}

async fn serve(
    mut client: TcpStream,
    upstream: SocketAddr,
    plan: Arc<Mutex<Plan>>,
    requests: Arc<AtomicUsize>,
    faulted: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
) -> std::io::Result<()> {
    let Some(request) = read_request(&mut client).await? else {
        return Ok(());
    };
    requests.fetch_add(1, Ordering::SeqCst);
    seen.lock().unwrap().push(SeenRequest {
        method: request.method.clone(),
        body_bytes: request.body.len(),
        copy: String::from_utf8_lossy(&request.head)
            .to_ascii_lowercase()
            .contains("\r\nx-amz-copy-source:"),
    });
    let mut fault = choose(&plan, &request);
    if fault == Fault::NoConditionalWrites && !request.is_conditional() {
        fault = Fault::Pass;
    }
    if fault != Fault::Pass {
        faulted.fetch_add(1, Ordering::SeqCst);
    }
    match fault {
        Fault::Pass => forward(&mut client, upstream, &request).await,
        Fault::Delay(delay) => {
            tokio::time::sleep(delay).await;
            forward(&mut client, upstream, &request).await
        }
        Fault::Reset => {
            client.set_zero_linger()?;
            drop(client);
            Ok(())
        }
        Fault::ForwardThenReset => {
            let mut server = TcpStream::connect(upstream).await?;
            server.write_all(&request.head).await?;
            server.write_all(&request.body).await?;
            let mut answered = Vec::new();
            server.read_to_end(&mut answered).await?;
            client.set_zero_linger()?;
            drop(client);
            Ok(())
        }
        Fault::SlowDown => {
            answer(&mut client, 503, "Slow Down", &[], &error_xml("SlowDown", "Please reduce your request rate.")).await
        }
        Fault::InternalError => {
            answer(&mut client, 500, "Internal Server Error", &[], &error_xml("InternalError", "We encountered an internal error. Please try again.")).await
        }
        Fault::AccessDenied => {
            answer(&mut client, 403, "Forbidden", &[], &error_xml("AccessDenied", "Access Denied")).await
        }
        Fault::SignatureDoesNotMatch => {
            answer(&mut client, 403, "Forbidden", &[], &error_xml("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.")).await
        }
        Fault::NoConditionalWrites => {
            answer(&mut client, 501, "Not Implemented", &[], &error_xml("NotImplemented", "A header you provided implies functionality that is not implemented.")).await
        }
        Fault::WrongRegion(region) => {
            let body = error_xml(
                "PermanentRedirect",
                "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
            );
            answer(
                &mut client,
                301,
                "Moved Permanently",
                &[("x-amz-bucket-region", region.as_str())],
                &body,
            )
            .await
        }
    }
}

struct Request {
    method: String,
    head: Vec<u8>,
    body: Vec<u8>,
}

impl Request {
    fn is_conditional(&self) -> bool {
        let head = String::from_utf8_lossy(&self.head).to_ascii_lowercase();
        self.method == "PUT"
            && (head.contains("\r\nif-none-match:") || head.contains("\r\nif-match:"))
    }
}

async fn read_request(client: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end + 4;
        }
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let method = head.split(' ').next().unwrap_or("").to_string();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    if header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        client.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
    }
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    // Ask the upstream to close after answering, so its answer ends where the stream ends.
    Ok(Some(Request {
        method,
        head: closing(&head).into_bytes(),
        body,
    }))
}

async fn forward(
    client: &mut TcpStream,
    upstream: SocketAddr,
    request: &Request,
) -> std::io::Result<()> {
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(&request.head).await?;
    server.write_all(&request.body).await?;
    let mut response = Vec::new();
    server.read_to_end(&mut response).await?;
    // The client must not reuse this connection: mark the answer as the last one.
    let (head, body) = match find(&response, b"\r\n\r\n") {
        Some(end) => response.split_at(end + 4),
        None => (&response[..], &[][..]),
    };
    client
        .write_all(closing(&String::from_utf8_lossy(head)).as_bytes())
        .await?;
    client.write_all(body).await?;
    client.shutdown().await
}

async fn answer(
    client: &mut TcpStream,
    status: u16,
    reason: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nx-amz-request-id: FAULTPROXY\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    client.write_all(head.as_bytes()).await?;
    client.write_all(body.as_bytes()).await?;
    client.shutdown().await
}

/// An HTTP head with its `Connection` header replaced by `Connection: close`.
fn closing(head: &str) -> String {
    let mut rewritten = String::new();
    for line in head.trim_end_matches("\r\n\r\n").split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            rewritten.push_str(line);
            rewritten.push_str("\r\n");
        }
    }
    rewritten.push_str("Connection: close\r\n\r\n");
    rewritten
}

fn error_xml(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>FAULTPROXY</RequestId></Error>"
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
