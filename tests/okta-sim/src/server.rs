//! The HTTP front: a hand-written accept loop (so a fault can drop a connection without answering)
//! and the middleware that does what Okta's edge does for every request — 411 for body-less
//! POST/PUT without Content-Length, SSWS auth, rate limiting, common headers — plus fault injection,
//! counters and the request log.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::errors::OktaError;
use crate::faults::{Controls, FaultKind, RateDecision, RecordedRequest};
use crate::model::Org;
use crate::oauth::{AuthServer, TOKEN_PATH};
use crate::util::{epoch_secs, random_alnum};

/// State shared by the handlers and the [`crate::Simulator`] handle.
#[derive(Debug)]
pub struct Shared {
    pub org: Mutex<Org>,
    pub ctl: Mutex<Controls>,
    /// The org authorization server: service apps, issued access tokens, DPoP state.
    pub auth: Mutex<AuthServer>,
    pub token: String,
    /// `http://127.0.0.1:PORT`, used in `_links`, `Link` headers and activation/reset URLs.
    pub base: String,
}

impl Shared {
    /// Locks the org. A poisoned lock (a panicking handler) still holds consistent data for a
    /// simulator, so it is recovered rather than propagated.
    pub fn org(&self) -> MutexGuard<'_, Org> {
        self.org.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn ctl(&self) -> MutexGuard<'_, Controls> {
        self.ctl.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn auth(&self) -> MutexGuard<'_, AuthServer> {
        self.auth.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Request-log capacity (see `pipeline`).
pub const MAX_LOGGED_REQUESTS: usize = 100_000;

/// Marker a response carries when the connection must be closed without sending it.
#[derive(Debug, Clone, Copy)]
struct DropConnection;

#[derive(Debug)]
struct DroppedByFault;

impl std::fmt::Display for DroppedByFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by injected fault")
    }
}

impl std::error::Error for DroppedByFault {}

/// Serves connections until the task is aborted; aborting drops the `JoinSet`, which aborts every
/// open connection too.
pub async fn serve(listener: TcpListener, app: Router) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Accept errors (e.g. too many open files) are transient; don't spin.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                conns.spawn(async move {
                    let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                        let app = app.clone();
                        async move {
                            let resp = match app.oneshot(req.map(Body::new)).await {
                                Ok(r) => r,
                                Err(never) => match never {},
                            };
                            // hyper closes the connection without writing anything when the service
                            // fails: exactly a dropped connection as a client sees it.
                            if resp.extensions().get::<DropConnection>().is_some() {
                                return Err(DroppedByFault);
                            }
                            Ok(resp)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

/// Route template (with the spec's parameter names) for a matched axum pattern. axum needs one
/// parameter name per position (`/users/{id}/groups` and `/users/{userId}/sessions` can't coexist),
/// so patterns are registered with uniform names and mapped back to the spec's here.
pub fn spec_route(method: &str, pattern: &str) -> Option<&'static str> {
    let norm = |p: &str| -> String {
        let mut out = String::new();
        let mut depth = 0;
        for c in p.chars() {
            match c {
                '{' => {
                    depth += 1;
                    out.push('{');
                }
                '}' => {
                    depth -= 1;
                    out.push('}');
                }
                _ if depth > 0 => {}
                c => out.push(c),
            }
        }
        out
    };
    let n = norm(pattern);
    let same: Vec<_> = crate::ROUTES.iter().filter(|r| norm(r.path) == n).collect();
    same.iter()
        .find(|r| r.method.eq_ignore_ascii_case(method))
        .or_else(|| same.first())
        .map(|r| r.path)
}

fn header_pairs(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Okta's three ways in: `SSWS <API token>`, and the org authorization server's access tokens as `Bearer <token>` or
/// `DPoP <token>` with a proof, which must also carry the route's scope.
fn authenticate(
    sh: &Shared,
    h: &HeaderMap,
    method: &Method,
    raw_path: &str,
    route: Option<&str>,
) -> Result<(), Box<Response>> {
    let refused = || Box::new(OktaError::invalid_token().into_response());
    let Some(v) = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err(refused());
    };
    let Some((scheme, token)) = v.split_once(' ') else {
        return Err(refused());
    };
    let token = token.trim();
    if scheme.eq_ignore_ascii_case("SSWS") {
        return if token == sh.token {
            Ok(())
        } else {
            Err(refused())
        };
    }
    let scheme = if scheme.eq_ignore_ascii_case("DPoP") {
        "DPoP"
    } else if scheme.eq_ignore_ascii_case("Bearer") {
        "Bearer"
    } else {
        return Err(refused());
    };
    let scope = route.and_then(|path| {
        crate::ROUTES
            .iter()
            .find(|r| r.path == path && r.method.eq_ignore_ascii_case(method.as_str()))
            .map(|r| r.scope())
    });
    let url = format!("{}{raw_path}", sh.base);
    sh.auth()
        .authorize(scheme, token, h, method.as_str(), &url, scope.as_deref())
}

/// Who Okta counts a request against for its share of a bucket (`okta_limits.rs`): the API token, or the service
/// app its access token was issued to. Token requests carry the app in their body, which this layer does not read:
/// they are counted as one client.
fn rate_limit_client(sh: &Shared, h: &HeaderMap, raw_path: &str) -> String {
    if raw_path == TOKEN_PATH {
        return "token endpoint".to_owned();
    }
    let credential = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(scheme, token)| (scheme.to_ascii_uppercase(), token.trim().to_owned()));
    match credential {
        // Authenticated by now: the org's one API token.
        Some((scheme, _)) if scheme == "SSWS" => "api token".to_owned(),
        Some((_, token)) => sh
            .auth()
            .client_of(&token)
            .map_or_else(|| "unknown".to_owned(), |app| format!("app {app}")),
        None => "unknown".to_owned(),
    }
}

/// Okta's edge answers a POST/PUT that has neither `Content-Length` nor a body with 411 (CORE
/// "HTTP verbs"). This comes from the front end, not the API application, so the body is the
/// front end's HTML page rather than an Okta error object (choice: unverified, see README).
fn length_required() -> Response {
    let body = "<html>\r\n<head><title>411 Length Required</title></head>\r\n<body>\r\n<center><h1>411 Length Required</h1></center>\r\n</body>\r\n</html>\r\n";
    let mut r = (StatusCode::LENGTH_REQUIRED, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    r
}

fn rate_limited(d: RateDecision) -> (Response, RateDecision) {
    (
        OktaError::rate_limited().into_response(),
        RateDecision {
            remaining: 0,
            limited: true,
            ..d
        },
    )
}

/// axum's own rejections (405 from a method router, a path that doesn't decode, ...) come without
/// an Okta error body; give them one.
fn okta_shaped(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !status.is_client_error() || is_json {
        return resp;
    }
    let err = match status.as_u16() {
        405 => OktaError::method_not_allowed(),
        404 => OktaError::new(404, "E0000007", "Not found: Resource not found"),
        411 => return resp,
        _ => OktaError::validation("request"),
    };
    let allow = resp.headers().get(header::ALLOW).cloned();
    let mut out = err.into_response();
    if let Some(a) = allow {
        out.headers_mut().insert(header::ALLOW, a);
    }
    out
}

pub async fn pipeline(State(sh): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let raw_path = req.uri().path().to_string();
    if raw_path == "/__sim" || raw_path.starts_with("/__sim/") {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let query = req.uri().query().map(str::to_string);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|m| spec_route(method.as_str(), m.as_str()));
    let headers = header_pairs(req.headers());
    let decoded_path = percent_encoding::percent_decode_str(&raw_path)
        .decode_utf8_lossy()
        .into_owned();

    let fault = {
        let mut ctl = sh.ctl();
        *ctl.calls
            .entry((
                method.as_str().to_string(),
                route.map_or_else(|| raw_path.clone(), str::to_string),
            ))
            .or_insert(0) += 1;
        ctl.total += 1;
        ctl.take_fault(method.as_str(), route)
    };

    let mut rate: Option<RateDecision> = None;
    let mut in_okta_limits = false;
    let mut dropped = false;
    let resp: Response = 'handled: {
        match fault {
            Some(FaultKind::Latency(d)) => tokio::time::sleep(d).await,
            Some(FaultKind::Drop) => {
                dropped = true;
                let mut r = Response::new(Body::empty());
                r.extensions_mut().insert(DropConnection);
                break 'handled r;
            }
            Some(FaultKind::Status(s)) => break 'handled OktaError::for_status(s).into_response(),
            Some(FaultKind::DropAfterCommit | FaultKind::StatusAfterCommit(_)) => {}
            Some(FaultKind::RateLimited { reset_in_secs }) => {
                let limit = sh
                    .ctl()
                    .global_limit
                    .unwrap_or(crate::faults::DEFAULT_REPORTED_LIMIT);
                let (r, d) = rate_limited(RateDecision {
                    limit,
                    remaining: 0,
                    reset: epoch_secs() + reset_in_secs,
                    limited: true,
                });
                rate = Some(d);
                break 'handled r;
            }
            None => {}
        }
        let has_body_framing = req.headers().contains_key(header::CONTENT_LENGTH)
            || req.headers().contains_key(header::TRANSFER_ENCODING);
        if (method == Method::POST || method == Method::PUT) && !has_body_framing {
            break 'handled length_required();
        }
        // The token endpoint authenticates the client by its assertion, not by a header.
        if raw_path != TOKEN_PATH
            && let Err(refusal) = authenticate(&sh, req.headers(), &method, &raw_path, route)
        {
            break 'handled *refusal;
        }
        let d = {
            let mut ctl = sh.ctl();
            match ctl.okta_limits.as_mut() {
                Some(limits) => {
                    in_okta_limits = true;
                    let client = rate_limit_client(&sh, req.headers(), &raw_path);
                    let a = limits.admit(method.as_str(), &raw_path, &client);
                    RateDecision {
                        limit: a.limit,
                        remaining: a.remaining,
                        reset: a.reset,
                        limited: a.limited,
                    }
                }
                None => ctl.rate_check(route),
            }
        };
        rate = Some(d);
        if d.limited {
            break 'handled rate_limited(d).0;
        }
        if in_okta_limits {
            let latency = sh
                .ctl()
                .okta_limits
                .as_ref()
                .map_or(0, |l| l.config.latency_ms);
            if latency > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
            }
        }
        if route.is_some()
            && matches!(
                method,
                Method::POST | Method::PUT | Method::DELETE | Method::PATCH
            )
        {
            sh.ctl().mutating += 1;
        }
        let handled = okta_shaped(next.run(req).await);
        // The change is made; only the answer is lost or replaced (see FaultKind::DropAfterCommit).
        match fault {
            Some(FaultKind::DropAfterCommit) => {
                dropped = true;
                let mut r = Response::new(Body::empty());
                r.extensions_mut().insert(DropConnection);
                r
            }
            Some(FaultKind::StatusAfterCommit(s)) => OktaError::for_status(s).into_response(),
            _ => handled,
        }
    };

    let mut resp = resp;
    let status = if dropped { 0 } else { resp.status().as_u16() };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&random_alnum(20)) {
        h.insert("x-okta-request-id", v);
    }
    let d = rate.unwrap_or_else(|| {
        // Requests refused before the bucket check still carry the headers (Okta sends them on
        // every response); report the bucket without counting the request.
        let ctl = sh.ctl();
        let limit = ctl
            .global_limit
            .unwrap_or(crate::faults::DEFAULT_REPORTED_LIMIT);
        RateDecision {
            limit,
            remaining: limit,
            reset: epoch_secs() + 60,
            limited: false,
        }
    });
    h.insert("x-rate-limit-limit", HeaderValue::from(d.limit));
    h.insert("x-rate-limit-remaining", HeaderValue::from(d.remaining));
    h.insert("x-rate-limit-reset", HeaderValue::from(d.reset));
    let now = {
        let mut ctl = sh.ctl();
        match ctl.okta_limits.as_mut() {
            Some(limits) => {
                if in_okta_limits {
                    limits.finish();
                }
                limits.system_now()
            }
            None => SystemTime::now(),
        }
    };
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(now)) {
        h.insert(header::DATE, v);
    }
    tracing::debug!(method = %method, path = %raw_path, status, route = ?route, "request");
    let mut ctl = sh.ctl();
    // Bounded so that long benchmarks don't grow memory without end: the oldest half goes.
    if ctl.requests.len() >= MAX_LOGGED_REQUESTS {
        ctl.requests.drain(..MAX_LOGGED_REQUESTS / 2);
    }
    ctl.requests.push(RecordedRequest {
        method: method.as_str().to_string(),
        path: raw_path,
        decoded_path,
        query,
        headers,
        status,
        route: route.map(str::to_string),
    });
    drop(ctl);
    resp
}
