//! A stateful in-process fake of the GitHub REST endpoints mlops-ci uses: issue comments (list
//! with `Link` pagination, create, update, delete), check runs, commit statuses and pull
//! requests. Faults (a 502, a 429 with `retry-after`, a 403) are scripted per endpoint, and
//! with a validator every request is also sent to prism, which checks it against GitHub's
//! OpenAPI description; a rejected request fails as it would on GitHub.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Barrier;

pub const OWNER: &str = "octo-org";
pub const REPO: &str = "octo-repo";

/// A response the fake gives instead of the real one, `times` times, to requests whose method
/// matches and whose path contains `path_contains`.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: &'static str,
    pub path_contains: String,
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Value,
    pub times: usize,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub body: String,
    pub authorization: Option<String>,
    pub at: std::time::Instant,
}

#[derive(Debug, Default)]
pub struct State {
    /// Comments of every PR, by PR number.
    pub comments: HashMap<u64, Vec<Comment>>,
    pub check_runs: Vec<Value>,
    /// `(check run id, PATCH body)`.
    pub check_run_updates: Vec<(u64, Value)>,
    /// `(sha, body)`.
    pub statuses: Vec<(String, Value)>,
    /// PR objects served by `GET /pulls/{n}`.
    pub pulls: HashMap<u64, Value>,
    pub requests: Vec<RecordedRequest>,
    pub faults: Vec<Fault>,
    /// Comments per page; GitHub's `per_page` is capped at this.
    pub page_size: usize,
    /// Requests the validator (prism) rejected: `METHOD path -> status body`.
    pub violations: Vec<String>,
    next_id: u64,
    list_gate: Option<(usize, Arc<Barrier>)>,
    validator: Option<SocketAddr>,
}

pub struct FakeGithub {
    pub url: String,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeGithub {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeGithub {
    /// Starts the fake on a free loopback port, on the current tokio runtime.
    pub async fn start() -> FakeGithub {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State {
            page_size: 100,
            next_id: 1000,
            ..State::default()
        }));
        let shared = state.clone();
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(state.clone(), addr, req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FakeGithub {
            url: format!("http://{addr}"),
            state,
            server,
        }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("fake state lock")
    }

    /// Sends every request to prism at `addr` as well, and fails those it rejects.
    pub fn validate_with(&self, addr: SocketAddr) {
        self.state().validator = Some(addr);
    }

    pub fn fault(&self, fault: Fault) {
        self.state().faults.push(fault);
    }

    /// The next `count` comment list requests wait for each other: concurrent runs all see
    /// the comments as they were before any of them posted.
    pub fn gate_first_lists(&self, count: usize) {
        self.state().list_gate = Some((count, Arc::new(Barrier::new(count))));
    }

    pub fn add_comment(&self, pr: u64, body: &str) -> u64 {
        let mut state = self.state();
        state.next_id += 1;
        let id = state.next_id;
        state.comments.entry(pr).or_default().push(Comment {
            id,
            body: body.to_owned(),
        });
        id
    }

    pub fn comments(&self, pr: u64) -> Vec<Comment> {
        self.state().comments.get(&pr).cloned().unwrap_or_default()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }
}

type Reply = Response<Full<Bytes>>;

fn reply(status: u16, headers: &[(&str, String)], body: &Value) -> Reply {
    let mut response = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json");
    for (name, value) in headers {
        response = response.header(*name, value);
    }
    let text = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    response
        .body(Full::new(Bytes::from(text)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

async fn handle(
    state: Arc<Mutex<State>>,
    addr: SocketAddr,
    req: Request<Incoming>,
) -> Result<Reply, Infallible> {
    let method = req.method().as_str().to_owned();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = header("authorization");
    let forwarded_headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "host" | "content-length" | "connection"))
        .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let body_bytes = match req.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let body_text = String::from_utf8_lossy(&body_bytes).into_owned();

    let (validator, fault, gate) = {
        let mut s = state.lock().expect("lock");
        s.requests.push(RecordedRequest {
            method: method.clone(),
            path: path.clone(),
            body: body_text.clone(),
            authorization,
            at: std::time::Instant::now(),
        });
        let fault = s
            .faults
            .iter_mut()
            .find(|f| f.times > 0 && f.method == method && path.contains(&f.path_contains))
            .map(|f| {
                f.times -= 1;
                f.clone()
            });
        let is_list = method == "GET" && path.contains("/comments");
        let gate = match &mut s.list_gate {
            Some((remaining, barrier)) if is_list && *remaining > 0 => {
                *remaining -= 1;
                Some(barrier.clone())
            }
            _ => None,
        };
        (s.validator, fault, gate)
    };

    if let Some(validator) = validator {
        match validate(validator, &method, &path, &forwarded_headers, &body_text).await {
            Ok(()) => {}
            Err((status, text)) => {
                state
                    .lock()
                    .expect("lock")
                    .violations
                    .push(format!("{method} {path} -> {status} {text}"));
                let body = serde_json::from_str(&text).unwrap_or(json!({ "message": text }));
                return Ok(reply(status, &[], &body));
            }
        }
    }
    if let Some(fault) = fault {
        return Ok(reply(fault.status, &fault.headers, &fault.body));
    }
    if let Some(barrier) = gate {
        // Bounded: a run that never lists again must not hang the test.
        let _ = tokio::time::timeout(Duration::from_secs(5), barrier.wait()).await;
    }
    let body: Value = serde_json::from_str(&body_text).unwrap_or(Value::Null);
    let mut s = state.lock().expect("lock");
    Ok(route(&mut s, addr, &method, &path, &body))
}

fn route(
    s: &mut State,
    addr: SocketAddr,
    method: &str,
    path_and_query: &str,
    body: &Value,
) -> Reply {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let prefix = format!("/repos/{OWNER}/{REPO}/");
    let Some(rest) = path.strip_prefix(&prefix) else {
        return not_found();
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match (method, parts.as_slice()) {
        ("GET", ["issues", number, "comments"]) => {
            let Ok(number) = number.parse::<u64>() else {
                return not_found();
            };
            list_comments(s, addr, number, query)
        }
        ("POST", ["issues", number, "comments"]) => {
            let Ok(number) = number.parse::<u64>() else {
                return not_found();
            };
            let Some(text) = body.get("body").and_then(Value::as_str) else {
                return invalid("body is required");
            };
            if text.chars().count() > 65_536 {
                return invalid("Body is too long (maximum is 65536 characters)");
            }
            s.next_id += 1;
            let comment = Comment {
                id: s.next_id,
                body: text.to_owned(),
            };
            s.comments.entry(number).or_default().push(comment.clone());
            reply(201, &[], &comment_json(number, &comment))
        }
        ("PATCH", ["issues", "comments", id]) => {
            let Some(text) = body.get("body").and_then(Value::as_str) else {
                return invalid("body is required");
            };
            if text.chars().count() > 65_536 {
                return invalid("Body is too long (maximum is 65536 characters)");
            }
            for (number, comments) in s.comments.iter_mut() {
                if let Some(c) = comments.iter_mut().find(|c| id.parse() == Ok(c.id)) {
                    c.body = text.to_owned();
                    return reply(200, &[], &comment_json(*number, c));
                }
            }
            not_found()
        }
        ("DELETE", ["issues", "comments", id]) => {
            for comments in s.comments.values_mut() {
                if let Some(i) = comments.iter().position(|c| id.parse() == Ok(c.id)) {
                    comments.remove(i);
                    return reply(204, &[], &Value::Null);
                }
            }
            not_found()
        }
        ("POST", ["check-runs"]) => {
            let annotations = body["output"]["annotations"].as_array().map_or(0, Vec::len);
            if annotations > 50 {
                return invalid("Only 50 annotations are allowed per request");
            }
            s.next_id += 1;
            let mut run = body.clone();
            run["id"] = json!(s.next_id);
            s.check_runs.push(run.clone());
            reply(201, &[], &run)
        }
        ("PATCH", ["check-runs", id]) => {
            let Ok(id) = id.parse::<u64>() else {
                return not_found();
            };
            if !s.check_runs.iter().any(|r| r["id"] == json!(id)) {
                return not_found();
            }
            s.check_run_updates.push((id, body.clone()));
            reply(200, &[], &json!({ "id": id }))
        }
        ("POST", ["statuses", sha]) => {
            s.statuses.push(((*sha).to_owned(), body.clone()));
            reply(201, &[], &json!({ "id": 1, "state": body["state"] }))
        }
        ("GET", ["pulls", number]) => {
            match number.parse().ok().and_then(|n: u64| s.pulls.get(&n)) {
                Some(pr) => reply(200, &[], pr),
                None => not_found(),
            }
        }
        _ => not_found(),
    }
}

fn list_comments(s: &State, addr: SocketAddr, number: u64, query: &str) -> Reply {
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let per_page = param("per_page").unwrap_or(30).clamp(1, s.page_size);
    let page = param("page").unwrap_or(1).max(1);
    let all = s.comments.get(&number).cloned().unwrap_or_default();
    let pages = all.len().div_ceil(per_page).max(1);
    let items: Vec<Value> = all
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|c| comment_json(number, c))
        .collect();
    let mut headers = Vec::new();
    if page < pages {
        let link = |p: usize| {
            format!(
                "<http://{addr}/repos/{OWNER}/{REPO}/issues/{number}/comments?per_page={per_page}&page={p}>"
            )
        };
        headers.push((
            "link",
            format!(
                "{}; rel=\"next\", {}; rel=\"last\"",
                link(page + 1),
                link(pages)
            ),
        ));
    }
    reply(200, &headers, &Value::Array(items))
}

fn comment_json(number: u64, c: &Comment) -> Value {
    json!({
        "id": c.id,
        "body": c.body,
        "html_url": format!("https://github.com/{OWNER}/{REPO}/pull/{number}#issuecomment-{}", c.id),
        "user": { "login": "github-actions[bot]", "type": "Bot" },
    })
}

fn not_found() -> Reply {
    reply(404, &[], &json!({ "message": "Not Found" }))
}

fn invalid(message: &str) -> Reply {
    reply(
        422,
        &[],
        &json!({ "message": "Validation Failed", "errors": [message] }),
    )
}

/// Sends the request to prism and returns its refusal, if any. A minimal HTTP/1.1 exchange
/// over one connection (`Connection: close`) keeps the test free of another HTTP client.
pub async fn validate(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &str,
) -> Result<(), (u16, String)> {
    let mut request = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&response).into_owned())
    };
    let response = match tokio::time::timeout(Duration::from_secs(20), exchange).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => return Err((599, format!("prism unreachable: {e}"))),
        Err(_) => return Err((599, "prism did not answer within 20s".to_owned())),
    };
    let status: u16 = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(599);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    if (200..300).contains(&status) || only_response_violations(status, body) {
        Ok(())
    } else {
        Err((status, body.to_owned()))
    }
}

/// prism also checks its own example responses and answers 500 when one breaks the schema
/// (e.g. the pull request example's `requested_teams`). That says nothing about the request.
fn only_response_violations(status: u16, body: &str) -> bool {
    let start = body.find('{').unwrap_or(0);
    let end = body.rfind('}').map_or(body.len(), |i| i + 1);
    let Ok(error) = serde_json::from_str::<Value>(&body[start..end.max(start)]) else {
        return false;
    };
    let violations = error["validation"].as_array().cloned().unwrap_or_default();
    status == 500
        && error["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("#VIOLATIONS"))
        && !violations.is_empty()
        && violations.iter().all(|v| v["location"][0] == "response")
}
