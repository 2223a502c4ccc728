//! The REST calls mlops-ci makes, over octocrab's transport, with bounded retries.
//!
//! Requests go through octocrab's raw `_get`/`_post`/`_patch`/`_delete`: its typed helpers send
//! POST for comment updates (GitHub's OpenAPI description documents PATCH) and parse into
//! strict models, while this code needs the status and headers of every response to decide on
//! retries. Bodies are read as `serde_json::Value`, taking only the fields used.
//!
//! Retried: transport errors and timeouts, 5xx, 429, and 403s that are rate limits (primary:
//! `x-ratelimit-remaining: 0`, wait until `x-ratelimit-reset`; secondary: `retry-after`, else
//! a minute, as GitHub's documentation asks). Not retried: other 4xx. Waits are capped by the
//! [`RetryPolicy`]: a rate limit that asks for a longer wait fails at once rather than
//! stalling the job.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use octocrab::Octocrab;
use octocrab::service::middleware::retry::RetryConfig;
use serde_json::Value;

use super::error::PublishError;
use super::token::{GithubToken, redact};

/// How many times and how long to retry a request.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Backoff after the first failure; doubles each retry.
    pub initial_backoff: Duration,
    /// Upper bound of one backoff step (5xx, transport errors).
    pub max_backoff: Duration,
    /// The longest wait a rate limit may ask for; a longer one fails the request.
    pub max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            max_rate_limit_wait: Duration::from_secs(90),
        }
    }
}

/// Pages followed at most when listing (100 items each).
const MAX_PAGES: usize = 50;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

pub(crate) struct ApiResponse {
    pub status: u16,
    pub body: Value,
    next_page: Option<String>,
}

/// What to do after one attempt.
enum Next {
    Done(ApiResponse),
    Fail(PublishError),
    /// `wait: None`: no hint from the server, back off exponentially.
    Retry {
        wait: Option<Duration>,
        why: String,
    },
}

/// A client for one repository.
pub(crate) struct GithubApi {
    crab: Octocrab,
    token: GithubToken,
    retry: RetryPolicy,
    /// `/repos/{owner}/{repo}`
    repo_path: String,
}

impl GithubApi {
    pub fn new(
        api_url: &str,
        repository: &str,
        token: &GithubToken,
        retry: &RetryPolicy,
        timeout: Duration,
    ) -> Result<GithubApi, PublishError> {
        let client_error = |e: octocrab::Error| PublishError::Client {
            api_url: api_url.to_owned(),
            message: token.redact(&e.to_string()),
        };
        let crab = Octocrab::builder()
            .base_uri(api_url)
            .map_err(client_error)?
            .personal_token(token.expose().to_owned())
            // Retries are done here, where headers and the policy are known.
            .add_retry_config(RetryConfig::None)
            .set_connect_timeout(Some(timeout))
            .set_read_timeout(Some(timeout))
            .set_write_timeout(Some(timeout))
            // GitHub serves JSON for `application/json` as for its vendor type, and the OpenAPI
            // description lists only `application/json` (a validating mock refuses the vendor
            // type). octocrab already sends `X-GitHub-Api-Version: 2022-11-28`.
            .add_header(http::header::ACCEPT, "application/json".to_owned())
            .build()
            .map_err(client_error)?;
        Ok(GithubApi {
            crab,
            token: token.clone(),
            retry: retry.clone(),
            repo_path: format!("/repos/{repository}"),
        })
    }

    /// `/repos/{owner}/{repo}` + `suffix`.
    pub fn repo_path(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.repo_path)
    }

    /// One request, retried per the policy. `operation` names it in errors and logs.
    pub async fn send(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<ApiResponse, PublishError> {
        let mut attempt: u32 = 0;
        loop {
            let next = self.attempt(operation, method, path, body).await;
            let (wait, why) = match next {
                Next::Done(response) => return Ok(response),
                Next::Fail(error) => return Err(error),
                Next::Retry { wait, why } => (wait, why),
            };
            let wait = wait.unwrap_or_else(|| exponential_backoff(&self.retry, attempt));
            if attempt >= self.retry.max_retries {
                return Err(PublishError::Api {
                    operation,
                    status: None,
                    message: format!("gave up after {} attempts: {why}", attempt + 1),
                });
            }
            attempt += 1;
            tracing::info!("{operation}: {why}; retry {attempt} in {wait:?}");
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Next {
        let sent = match method {
            Method::Get => self.crab._get(path).await,
            Method::Post => self.crab._post(path, body).await,
            Method::Patch => self.crab._patch(path, body).await,
            Method::Delete => self.crab._delete(path, None::<&()>).await,
        };
        let response = match sent {
            Ok(response) => response,
            Err(e) => {
                return Next::Retry {
                    wait: None,
                    why: format!("request failed: {}", self.redact_error(&e)),
                };
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = match self.crab.body_to_string(response).await {
            Ok(text) => text,
            Err(e) => {
                return Next::Retry {
                    wait: None,
                    why: format!("reading the response failed: {}", self.redact_error(&e)),
                };
            }
        };
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Next::Done(ApiResponse {
                status,
                body,
                next_page: next_link(&headers),
            });
        }
        let message = self.token.redact(
            body.get("message")
                .and_then(Value::as_str)
                .unwrap_or(text.trim()),
        );
        match retry_wait(status, &headers, &message, &self.retry, SystemTime::now()) {
            Some(Ok(wait)) => Next::Retry {
                wait,
                why: format!("HTTP {status}: {message}"),
            },
            Some(Err(too_long)) => Next::Fail(PublishError::RateLimited {
                operation,
                wait_secs: too_long.as_secs(),
                max_wait_secs: self.retry.max_rate_limit_wait.as_secs(),
                message,
            }),
            None => Next::Fail(PublishError::Api {
                operation,
                status: Some(status),
                message: format!("{message}{}", hint(status)),
            }),
        }
    }

    fn redact_error(&self, error: &octocrab::Error) -> String {
        // The source chain holds the useful part (connection refused, timed out).
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            text.push_str(": ");
            text.push_str(&inner.to_string());
            source = inner.source();
        }
        redact(Some(&self.token), &text)
    }

    /// Every item of a paginated list, following `Link: rel="next"` only while it points at
    /// the same endpoint (never elsewhere: the token goes with each request).
    pub async fn list_all(
        &self,
        operation: &'static str,
        path: &str,
    ) -> Result<Vec<Value>, PublishError> {
        // GitHub's links name the repository by id (`/repositories/123/issues/...`): compare
        // what follows the repository.
        let endpoint = path.strip_prefix(&self.repo_path).unwrap_or(path);
        let mut items = Vec::new();
        let mut next = Some(format!("{path}?per_page=100"));
        let mut pages = 0;
        while let Some(page_path) = next.take() {
            let response = self.send(operation, Method::Get, &page_path, None).await?;
            match response.body {
                Value::Array(page) => items.extend(page),
                _ => {
                    return Err(PublishError::Api {
                        operation,
                        status: Some(response.status),
                        message: "expected a JSON array".to_owned(),
                    });
                }
            }
            pages += 1;
            next = response
                .next_page
                .and_then(|url| same_endpoint_path(&url, endpoint))
                .filter(|_| pages < MAX_PAGES);
        }
        Ok(items)
    }
}

/// Backoff before retry `retries_done + 1`: initial * 2^retries_done, capped.
fn exponential_backoff(policy: &RetryPolicy, retries_done: u32) -> Duration {
    policy
        .initial_backoff
        .saturating_mul(1u32 << retries_done.min(16))
        .min(policy.max_backoff)
}

/// `None`: not retryable. `Some(Ok(Some(wait)))`: retry after `wait`; `Some(Ok(None))`:
/// retry with the exponential backoff. `Some(Err(wait))`: a rate limit asking for longer than
/// the policy allows.
fn retry_wait(
    status: u16,
    headers: &HeaderMap,
    message: &str,
    policy: &RetryPolicy,
    now: SystemTime,
) -> Option<Result<Option<Duration>, Duration>> {
    let rate_limit_wait = || -> Option<Duration> {
        if let Some(wait) = retry_after(headers) {
            return Some(wait);
        }
        let remaining = header_u64(headers, "x-ratelimit-remaining");
        if remaining == Some(0) {
            let reset = header_u64(headers, "x-ratelimit-reset")?;
            let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
            // One extra second: the reset time is rounded down.
            return Some(Duration::from_secs(reset.saturating_sub(now) + 1));
        }
        None
    };
    let within_policy = |wait: Duration| {
        if wait <= policy.max_rate_limit_wait {
            Ok(Some(wait))
        } else {
            Err(wait)
        }
    };
    match status {
        429 => Some(within_policy(
            rate_limit_wait().unwrap_or(Duration::from_secs(60)),
        )),
        403 => {
            let secondary = message.to_ascii_lowercase().contains("rate limit");
            match rate_limit_wait() {
                Some(wait) => Some(within_policy(wait)),
                None if secondary => Some(within_policy(Duration::from_secs(60))),
                None => None,
            }
        }
        // GitHub sends no hint with a 5xx; a proxy might (503 with retry-after).
        500 | 502 | 503 | 504 => Some(Ok(retry_after(headers).map(|w| w.min(policy.max_backoff)))),
        _ => None,
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    header_u64(headers, "retry-after").map(Duration::from_secs)
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// How to fix a refused request.
fn hint(status: u16) -> &'static str {
    match status {
        401 => {
            ". The token is invalid or expired: pass the job's `github.token` (the action's default `token` input)"
        }
        403 | 404 => {
            ". The token may not do this: give the job `permissions: { pull-requests: write, checks: write, statuses: write, contents: read }`; pull requests from forks get a read-only token, publish them with the two-phase workflow (README section GitHub Actions)"
        }
        422 => ". GitHub rejected the request's content; please report this with the run's log",
        _ => "",
    }
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| matches!(p.trim(), "rel=\"next\"" | "rel=next"));
        is_next.then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

/// The path and query of `url` when its path ends with `endpoint` (GitHub Enterprise prefixes
/// `/api/v3`), else `None`.
fn same_endpoint_path(url: &str, endpoint: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    let path_and_query = uri.path_and_query()?;
    if path_and_query.path().ends_with(endpoint) {
        Some(path_and_query.as_str().to_owned())
    } else {
        tracing::warn!("not following a pagination link to another endpoint: {url}");
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("header value"));
        }
        map
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            max_rate_limit_wait: Duration::from_secs(5),
        }
    }

    #[test]
    fn rate_limits_honour_headers_within_the_cap() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let p = policy();
        let wait = |status, h: &HeaderMap, msg| retry_wait(status, h, msg, &p, now);
        assert_eq!(
            wait(429, &headers(&[("retry-after", "2")]), ""),
            Some(Ok(Some(Duration::from_secs(2))))
        );
        let primary = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1003"),
        ]);
        assert_eq!(
            wait(403, &primary, "API rate limit exceeded"),
            Some(Ok(Some(Duration::from_secs(4))))
        );
        let far = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "5000"),
        ]);
        assert_eq!(wait(403, &far, ""), Some(Err(Duration::from_secs(4001))));
        assert_eq!(
            wait(
                403,
                &HeaderMap::new(),
                "You have exceeded a secondary rate limit"
            ),
            Some(Err(Duration::from_secs(60)))
        );
        assert_eq!(
            wait(
                403,
                &HeaderMap::new(),
                "Resource not accessible by integration"
            ),
            None
        );
        assert_eq!(wait(404, &HeaderMap::new(), "Not Found"), None);
        assert_eq!(wait(502, &HeaderMap::new(), ""), Some(Ok(None)));
        assert_eq!(exponential_backoff(&p, 0), Duration::from_millis(10));
        assert_eq!(exponential_backoff(&p, 2), Duration::from_millis(40));
        assert_eq!(exponential_backoff(&p, 30), Duration::from_millis(50));
    }

    #[test]
    fn pagination_follows_only_the_same_endpoint() {
        let h = headers(&[(
            "link",
            "<https://api.github.com/repositories/1/issues/2/comments?page=3>; rel=\"next\", <https://api.github.com/x?page=9>; rel=\"last\"",
        )]);
        let next = next_link(&h).expect("next");
        assert_eq!(
            next,
            "https://api.github.com/repositories/1/issues/2/comments?page=3"
        );
        assert_eq!(
            same_endpoint_path(&next, "/issues/2/comments"),
            Some("/repositories/1/issues/2/comments?page=3".to_owned())
        );
        assert_eq!(
            same_endpoint_path("https://evil.example/resource?page=2", "/issues/2/comments"),
            None
        );
        assert_eq!(
            same_endpoint_path(
                "https://ghe.example.com/api/v3/repos/o/r/issues/2/comments?page=2",
                "/repos/o/r/issues/2/comments"
            ),
            Some("/api/v3/repos/o/r/issues/2/comments?page=2".to_owned())
        );
    }
}
