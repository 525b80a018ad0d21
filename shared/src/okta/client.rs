//! The Okta HTTP client: one `reqwest::Client` per process, every request through one loop that authenticates,
//! retries within the caller's deadline, maps Okta's errors and records `X-Okta-Request-Id`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::errors::{dpop_proof_refused, error_from_response, insufficient_scope};
use super::memo::Memo;
use super::oauth::{AccessToken, Authorization, Scopes, TokenSource};
use super::pacing::{Bucket, Pacer};
use super::pagination::{next_link, same_origin};
use super::rate_limit_table::RateLimitTable;
use super::retry::{
    Delivery, Failure, RetryPolicy, classify_status, classify_transport, rate_limit_reset,
    renews_credentials, status_may_have_committed, transport_may_have_committed,
};
use super::tls::okta_tls_config;
use crate::config::{AuthKind, Credentials, OktaConfig};
use crate::connection::Connection;
use crate::error::{Error, ErrorKind, Result};

/// Default deadline for callers without one (tests, the CLI): generous, but bounded.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(25);

/// Built once per process and shared by every invocation.
#[derive(Debug)]
pub struct OktaClient {
    http: tokio::sync::OnceCell<reqwest::Client>,
    connection: Connection,
    policy: RetryPolicy,
    /// The service app's access tokens and DPoP key, kept across invocations (unused with an API token).
    tokens: TokenSource,
    pacer: Pacer,
    /// Where the stack's processes share what they heard of Okta's rate limits; none: this process's view alone.
    rate_limit_table: Option<RateLimitTable>,
    rules: super::rule_cache::RuleCache,
}

impl OktaClient {
    pub fn new(connection: Connection) -> Result<Self> {
        OktaClient::with_policy(connection, RetryPolicy::default())
    }

    pub fn with_policy(connection: Connection, policy: RetryPolicy) -> Result<Self> {
        Ok(OktaClient {
            http: tokio::sync::OnceCell::new(),
            connection,
            policy,
            tokens: TokenSource::default(),
            pacer: Pacer::default(),
            rate_limit_table: None,
            rules: super::rule_cache::RuleCache::default(),
        })
    }

    /// The HTTPS client for Okta, built once, on the runtime's thread: with the trust anchors extracted at build time
    /// it is ~0.07 M instructions, less than starting a blocking thread for it (measured: bench/instructions.md).
    async fn http(&self) -> Result<&reqwest::Client> {
        self.http
            .get_or_try_init(|| async { okta_http_client() })
            .await
    }

    /// Paces with what the stack's other processes heard of Okta's rate limits, shared through `table`.
    #[must_use]
    pub fn with_rate_limit_table(mut self, table: RateLimitTable) -> Self {
        self.rate_limit_table = Some(table);
        self
    }

    /// A session for one invocation: every call in it stops retrying before `deadline`; with a service app, its
    /// token carries only `scopes` (the action's, `Action::scopes`).
    pub fn session(&self, deadline: Instant, scopes: Scopes) -> Session<'_> {
        Session {
            client: self,
            deadline,
            scopes,
            request_ids: Mutex::new(Vec::new()),
            waited_for_rate_limits: AtomicBool::new(false),
            memo: Memo::default(),
        }
    }

    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// What the first invocation would otherwise do first: read the connection (the secret) and, for a service app,
    /// get the token for `scopes`. A function calls it while the runtime waits for that invocation, so that these
    /// round trips overlap the runtime's start (and, when Lambda starts a container ahead of its first event, all
    /// of the wait). Both are cached as the invocation's own would be. A failure is only logged: the invocation
    /// tries again and reports it in its own terms.
    pub async fn prepare(&self, scopes: Scopes) {
        // The CPU work of a first call, done while the secret's request and the first event are on their way: the
        // HTTPS client for Okta and, for a connection known to be a service app, the container's DPoP key (on a
        // blocking thread). A secret's form is known only once read, and making the key on the chance cost an API
        // token's cold start ~1 M instructions of contended CPU (README, Performance); for a secret the key is made
        // beside the first assertion's signing instead (`TokenSource::request_token`).
        let warm_up = async {
            let dpop_key = async {
                if self.connection.is_known_service_app() {
                    self.tokens.prepare_dpop_key().await;
                }
            };
            let _ = tokio::join!(self.http(), dpop_key);
        };
        let prepared = async {
            let config = self.connection.get().await?;
            if let Credentials::ServiceApp(app) = &config.credentials {
                let timeout = self.policy.request_timeout;
                self.tokens
                    .token(self.http().await?, &config, app, scopes, timeout)
                    .await?;
            }
            Ok::<(), Error>(())
        };
        let (prepared, ()) = tokio::join!(prepared, warm_up);
        if let Err(error) = prepared {
            tracing::info!(error = %error.kind, "the connection is not ready; the first invocation tries again");
        }
    }
}

/// The Okta calls of one invocation.
#[derive(Debug)]
pub struct Session<'a> {
    client: &'a OktaClient,
    deadline: Instant,
    scopes: Scopes,
    request_ids: Mutex<Vec<String>>,
    /// Whether this invocation has waited for Okta's rate limits (pacing or a 429): when its time then runs out,
    /// the rate limits took it, and the caller is told so (`Okta.RateLimited`), not that Okta failed.
    waited_for_rate_limits: AtomicBool,
    /// What the guardrails resolved, for the action to reuse.
    pub(crate) memo: Memo,
}

/// A successful response.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Response {
    pub fn json<T: DeserializeOwned>(self) -> Result<T> {
        serde_json::from_value(self.body).map_err(|error| {
            Error::new(
                ErrorKind::OktaUnexpectedResponse,
                format!("Okta's response has an unexpected shape: {error}"),
            )
        })
    }
}

/// Where a request goes: a path under the org (already percent-encoded) or a pagination link Okta gave us.
#[derive(Debug, Clone, Copy)]
enum Target<'t> {
    Path(&'t str, &'t [(&'t str, &'t str)]),
    Link(&'t str),
}

impl Session<'_> {
    /// The `X-Okta-Request-Id` of every response so far, in order.
    /// Whether this invocation waited for Okta's rate limit (the audit record's `paced`, a dashboard metric).
    pub fn waited_for_rate_limits(&self) -> bool {
        self.waited_for_rate_limits.load(Ordering::Relaxed)
    }

    pub fn request_ids(&self) -> Vec<String> {
        self.request_ids
            .lock()
            .map(|ids| ids.clone())
            .unwrap_or_default()
    }

    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    pub fn client(&self) -> &OktaClient {
        self.client
    }

    /// The id of the user the guardrails resolved in this session, if they got that far.
    pub fn resolved_user_id(&self) -> Option<String> {
        self.memo.user.value().map(|user| user.id)
    }

    /// Which form the connection has. A service app's token has no user behind it, so there is no "token's own
    /// user" (`/api/v1/users/me`) to protect.
    pub async fn auth_kind(&self) -> Result<AuthKind> {
        Ok(self.client.connection.get().await?.auth_kind())
    }

    /// Which org this session talks to, for caches that must not outlive a change of org.
    pub(crate) async fn org_key(&self) -> Result<String> {
        Ok(self.client.connection.get().await?.org_url.to_string())
    }

    /// The container's cache of group rules, shared by every invocation.
    pub(crate) fn rule_cache(&self) -> &super::rule_cache::RuleCache {
        &self.client.rules
    }

    /// Sleeps for `wait` when that still ends before the deadline less the margin; false, at once, otherwise.
    pub async fn pause(&self, wait: Duration) -> bool {
        if !self.client.policy.fits(Instant::now(), wait, self.deadline) {
            return false;
        }
        tokio::time::sleep(wait).await;
        true
    }

    /// `pause`, but only when the request that follows the pause still has its time (`fits_before_request`): for
    /// waits whose point is the read after them.
    pub async fn pause_before_request(&self, wait: Duration) -> bool {
        if !self
            .client
            .policy
            .fits_before_request(Instant::now(), wait, self.deadline)
        {
            return false;
        }
        tokio::time::sleep(wait).await;
        true
    }

    /// GET a resource; `None` when Okta says 404.
    pub async fn get_optional<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Option<T>> {
        match self
            .send(
                Method::GET,
                Target::Path(path, query),
                None,
                Delivery::Repeatable,
            )
            .await
        {
            Ok(response) => response.json().map(Some),
            Err(error) if error.kind == ErrorKind::OktaNotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T> {
        self.send(
            Method::GET,
            Target::Path(path, query),
            None,
            Delivery::Repeatable,
        )
        .await?
        .json()
    }

    /// GET a resource with its status and headers (the doctor reads the rate-limit headers of its answers).
    pub async fn get_response(&self, path: &str, query: &[(&str, &str)]) -> Result<Response> {
        self.send(
            Method::GET,
            Target::Path(path, query),
            None,
            Delivery::Repeatable,
        )
        .await
    }

    /// GET every page of a list, following `rel="next"` links.
    pub async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<T>> {
        let mut items = Vec::new();
        let mut response = self
            .send(
                Method::GET,
                Target::Path(path, query),
                None,
                Delivery::Repeatable,
            )
            .await?;
        loop {
            let next = next_link(&response.headers);
            let page: Vec<T> = response.json()?;
            items.extend(page);
            let Some(next) = next else { return Ok(items) };
            response = self
                .send(Method::GET, Target::Link(&next), None, Delivery::Repeatable)
                .await?;
        }
    }

    /// A mutating call. `body` `None` sends an empty body with `Content-Length: 0` (Okta answers 411 without it).
    pub async fn send_mutation(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Response> {
        self.send(
            method,
            Target::Path(path, query),
            body,
            Delivery::Repeatable,
        )
        .await
    }

    /// A mutating call whose answer carries a one-time secret: sent again only when Okta certainly did not
    /// process it; when it may have, `Okta.OutcomeUnknown`.
    pub async fn send_at_most_once(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Response> {
        self.send(
            method,
            Target::Path(path, query),
            None,
            Delivery::AtMostOnce,
        )
        .await
    }

    /// Before a request to `bucket` of `org`: when this process's view of it is old, what the stack's other
    /// processes last heard (one read of the rate-limit table brings every bucket).
    async fn hear_from_the_stack(&self, org: &str, bucket: Bucket) {
        let (pacer, policy) = (&self.client.pacer, &self.client.policy.pacing);
        let Some(table) = &self.client.rate_limit_table else {
            return;
        };
        if !pacer.needs_news(bucket, policy, Instant::now()) {
            return;
        }
        let heard = table.read(org, policy).await;
        let now = Instant::now();
        for (other, news) in heard.iter().flatten() {
            pacer.hear(*other, Some(*news), policy, now);
        }
        if heard.is_none_or(|heard| heard.iter().all(|(other, _)| *other != bucket)) {
            pacer.hear(bucket, None, policy, now);
        }
    }

    async fn send(
        &self,
        method: Method,
        target: Target<'_>,
        body: Option<&Value>,
        delivery: Delivery,
    ) -> Result<Response> {
        let policy = &self.client.policy;
        let mut attempt = 0;
        let mut retried_auth = false;
        let mut retry_for: Option<String> = None;
        loop {
            attempt += 1;
            let config = self.client.connection.get().await?;
            let url = build_url(&config, target)?;
            let bucket = Bucket::of(&method, url.path());
            self.hear_from_the_stack(url.authority(), bucket).await;
            let now = Instant::now();
            let Some(remaining) = self
                .deadline
                .checked_duration_since(now + policy.deadline_margin)
            else {
                if self.waited_for_rate_limits.load(Ordering::Relaxed) {
                    let mut error = Error::new(
                        ErrorKind::OktaRateLimited,
                        "this invocation's time went to waiting for Okta's rate limits; none is left to call Okta",
                    );
                    error.retry_at = Some(SystemTime::now());
                    return Err(error);
                }
                return Err(Error::new(
                    ErrorKind::OktaTransient,
                    "no time left before the deadline to call Okta",
                ));
            };
            let pause = self.client.pacer.wait_before(bucket, &policy.pacing, now);
            if !pause.is_zero() {
                if !policy.fits_before_request(now, pause, self.deadline) {
                    // Not sent: the bucket is spent down to what this stack must leave; the caller waits instead.
                    let mut error = Error::new(
                        ErrorKind::OktaRateLimited,
                        "this stack's share of Okta's rate limit for the endpoint is used up until the reset",
                    );
                    error.retry_at = Some(SystemTime::now() + pause);
                    return Err(error);
                }
                tracing::debug!(
                    ?bucket,
                    wait_ms = pause.as_millis() as u64,
                    "pacing Okta calls"
                );
                self.waited_for_rate_limits.store(true, Ordering::Relaxed);
                tokio::time::sleep(pause).await;
                attempt -= 1;
                continue;
            }
            let timeout = policy.request_timeout.min(remaining);
            let (authorization, token) = match self.authorize(&config, &method, &url, timeout).await
            {
                Ok(authorized) => authorized,
                Err(error) if error.kind == ErrorKind::OktaTransient => {
                    if self.wait_to_retry(Failure::Transient, attempt, None).await {
                        continue;
                    }
                    return Err(error);
                }
                // The key was rotated: the token endpoint refuses the old one until the secret is read again.
                Err(error)
                    if error.kind == ErrorKind::OktaUnauthorized
                        && !retried_auth
                        && self.client.connection.invalidate(&config).await =>
                {
                    retried_auth = true;
                    attempt -= 1;
                    continue;
                }
                Err(error) => return Err(error),
            };
            // The token request may have used part of the time.
            let timeout = timeout.min(self.deadline.saturating_duration_since(Instant::now()));
            let org = url.authority().to_owned();
            let http = self.client.http().await?;
            let request = self.request(
                http,
                authorization,
                method.clone(),
                url,
                body,
                timeout,
                attempt,
                retry_for.as_deref(),
            )?;
            let failure = match http.execute(request).await {
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let heard = self.client.pacer.observe(bucket, &headers, &policy.pacing);
                    let request_id = header_str(&headers, "x-okta-request-id");
                    if let Some(id) = &request_id
                        && let Ok(mut ids) = self.request_ids.lock()
                    {
                        ids.push(id.clone());
                    }
                    // Told to the stack's other processes while the body arrives.
                    let tell = async {
                        if let (Some(table), Some(heard)) = (&self.client.rate_limit_table, heard) {
                            table.publish(&org, bucket, heard, &policy.pacing).await;
                        }
                    };
                    let (bytes, ()) = tokio::join!(response.bytes(), tell);
                    let bytes = match bytes {
                        Ok(bytes) => bytes,
                        Err(error) => {
                            if delivery == Delivery::AtMostOnce {
                                return Err(outcome_unknown("Okta's response was cut off"));
                            }
                            let failure = classify_transport(&error);
                            let error =
                                Error::new(ErrorKind::OktaTransient, "Okta's response was cut off");
                            if self.wait_to_retry(failure, attempt, None).await {
                                continue;
                            }
                            return Err(error);
                        }
                    };
                    if status.is_success() {
                        let body = if bytes.iter().all(u8::is_ascii_whitespace) {
                            Value::Null
                        } else {
                            serde_json::from_slice(&bytes).map_err(|_| {
                                Error::new(
                                    ErrorKind::OktaUnexpectedResponse,
                                    format!("Okta answered {status} with a body that is not JSON"),
                                )
                            })?
                        };
                        return Ok(Response {
                            status,
                            headers,
                            body,
                        });
                    }
                    let mut error =
                        error_from_response(status, &headers, &bytes, request_id.clone());
                    if renews_credentials(status, &error) && !retried_auth {
                        // An access token revoked or expired early: get a new one. A rotated API token or key:
                        // read the secret again. Once, before failing.
                        let new_token = match &token {
                            Some(token) => {
                                self.client.tokens.forget(token).await;
                                true
                            }
                            None => false,
                        };
                        if self.client.connection.invalidate(&config).await || new_token {
                            retried_auth = true;
                            attempt -= 1;
                            continue;
                        }
                    }
                    if delivery == Delivery::AtMostOnce && status_may_have_committed(status) {
                        return Err(outcome_unknown(&format!(
                            "Okta answered {}",
                            status.as_u16()
                        )));
                    }
                    if status == StatusCode::FORBIDDEN
                        && let Some(scope) = insufficient_scope(&headers)
                    {
                        error.kind = ErrorKind::OktaForbidden;
                        error.message = format!(
                            "Okta answered 403: the access token lacks the scope {scope}; grant it to the service app and add it to the function's scopes"
                        );
                    }
                    if status == StatusCode::BAD_REQUEST
                        && let Some(description) = dpop_proof_refused(&headers)
                    {
                        error.kind = ErrorKind::OktaUnauthorized;
                        error.message = format!(
                            "Okta refused the request's DPoP proof (400 invalid_dpop_proof: {description})"
                        );
                    }
                    let failure = classify_status(status);
                    if failure == Failure::RateLimited {
                        let reset =
                            rate_limit_reset(&headers, SystemTime::now(), policy.pacing.time_scale);
                        error.retry_at = reset;
                        if self.wait_to_retry(failure, attempt, reset).await {
                            retry_for = request_id;
                            continue;
                        }
                        return Err(error);
                    }
                    if self.wait_to_retry(failure, attempt, None).await {
                        retry_for = request_id;
                        continue;
                    }
                    return Err(error);
                }
                Err(error) => {
                    if delivery == Delivery::AtMostOnce && transport_may_have_committed(&error) {
                        return Err(outcome_unknown(&transport_error(&error).message));
                    }
                    (classify_transport(&error), transport_error(&error))
                }
            };
            let (failure, error) = failure;
            if self.wait_to_retry(failure, attempt, None).await {
                continue;
            }
            return Err(error);
        }
    }

    /// Sleeps before another attempt when the failure allows one and the wait fits the deadline.
    async fn wait_to_retry(
        &self,
        failure: Failure,
        attempt: u32,
        reset: Option<SystemTime>,
    ) -> bool {
        let policy = &self.client.policy;
        if failure == Failure::Fatal || attempt >= policy.max_attempts {
            return false;
        }
        let wait = match (failure, reset) {
            (Failure::RateLimited, Some(at)) => {
                at.duration_since(SystemTime::now()).unwrap_or_default()
            }
            // A 429 without a reset header: no way to know when it ends, so leave it to the caller.
            (Failure::RateLimited, None) => return false,
            _ => policy.backoff(attempt),
        };
        let fits = if failure == Failure::RateLimited {
            policy.fits_before_request(Instant::now(), wait, self.deadline)
        } else {
            policy.fits(Instant::now(), wait, self.deadline)
        };
        if !fits {
            return false;
        }
        if failure == Failure::RateLimited {
            self.waited_for_rate_limits.store(true, Ordering::Relaxed);
        }
        tracing::debug!(
            attempt,
            wait_ms = wait.as_millis() as u64,
            ?failure,
            "retrying Okta call"
        );
        tokio::time::sleep(wait).await;
        true
    }

    /// The request's `Authorization` (and DPoP proof): the API token as it is, or the service app's access token,
    /// obtained first when there is none fresh. The token is returned so that a 401 can forget it.
    async fn authorize(
        &self,
        config: &OktaConfig,
        method: &Method,
        url: &Url,
        timeout: Duration,
    ) -> Result<(Authorization, Option<std::sync::Arc<AccessToken>>)> {
        match &config.credentials {
            Credentials::ApiToken(token) => {
                let mut authorization =
                    HeaderValue::try_from(format!("SSWS {}", token.expose_secret())).map_err(
                        |_| {
                            Error::config(
                                "apiToken",
                                "contains characters not allowed in an HTTP header",
                            )
                        },
                    )?;
                authorization.set_sensitive(true);
                Ok((
                    Authorization {
                        authorization,
                        dpop: None,
                    },
                    None,
                ))
            }
            Credentials::ServiceApp(app) => {
                let token = self
                    .client
                    .tokens
                    .token(self.client.http().await?, config, app, self.scopes, timeout)
                    .await?;
                let authorization = self
                    .client
                    .tokens
                    .authorize(&token, method.as_str(), url)
                    .await?;
                Ok((authorization, Some(token)))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn request(
        &self,
        http: &reqwest::Client,
        authorization: Authorization,
        method: Method,
        url: Url,
        body: Option<&Value>,
        timeout: Duration,
        attempt: u32,
        retry_for: Option<&str>,
    ) -> Result<reqwest::Request> {
        let mut builder = http
            .request(method.clone(), url)
            .header(header::AUTHORIZATION, authorization.authorization)
            .timeout(timeout);
        if let Some(proof) = authorization.dpop {
            builder = builder.header("DPoP", proof);
        }
        builder = match body {
            Some(body) => builder.json(body),
            None if method == Method::POST || method == Method::PUT => {
                builder.header(header::CONTENT_LENGTH, "0").body(Vec::new())
            }
            None => builder,
        };
        if attempt > 1 {
            if let Some(id) = retry_for {
                builder = builder.header("X-Okta-Retry-For", id);
            }
            builder = builder.header("X-Okta-Retry-Count", (attempt - 1).to_string());
        }
        builder.build().map_err(|error| {
            Error::new(
                ErrorKind::InputInvalid,
                format!("cannot build the Okta request: {}", error.without_url()),
            )
        })
    }
}

/// Okta's HTTPS client: JSON both ways, no redirects, Mozilla's roots.
fn okta_http_client() -> Result<reqwest::Client> {
    let mut headers = HeaderMap::new();
    headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    // Okta's core API guide asks for both headers on every request, body or not (E0000018 otherwise).
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    reqwest::Client::builder()
        .user_agent(concat!("okta-lifecycle/", env!("CARGO_PKG_VERSION")))
        .default_headers(headers)
        .connect_timeout(Duration::from_secs(3))
        .pool_idle_timeout(Duration::from_secs(50))
        .tcp_keepalive(Duration::from_secs(30))
        // Okta's pagination links are followed by hand (same origin only); never follow redirects with the token.
        .redirect(reqwest::redirect::Policy::none())
        // Mozilla's roots compiled in: no scan of the system's certificate folder at every cold start (it was
        // most of the init time), and the same trust on every host. Okta's certificates chain to these roots.
        .tls_backend_preconfigured(okta_tls_config().map_err(|error| {
            Error::new(
                ErrorKind::ConfigInvalid,
                format!("cannot set up TLS for Okta: {error}"),
            )
        })?)
        .build()
        .map_err(|error| {
            Error::new(
                ErrorKind::ConfigInvalid,
                format!("cannot build the HTTP client: {error}"),
            )
        })
}

fn build_url(config: &OktaConfig, target: Target<'_>) -> Result<Url> {
    match target {
        Target::Path(path, query) => {
            let mut url = config.org_url.clone();
            url.set_path(path);
            if !query.is_empty() {
                url.query_pairs_mut().extend_pairs(query.iter().copied());
            }
            Ok(url)
        }
        Target::Link(link) => {
            let url = Url::parse(link).map_err(|_| {
                Error::new(
                    ErrorKind::OktaUnexpectedResponse,
                    "Okta sent a pagination link that is not a URL",
                )
            })?;
            if !same_origin(&url, &config.org_url) {
                return Err(Error::new(
                    ErrorKind::OktaUnexpectedResponse,
                    "Okta sent a pagination link to another host; it was not followed",
                ));
            }
            Ok(url)
        }
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// The action turns this into advice for its own operation (what to run again).
fn outcome_unknown(what: &str) -> Error {
    Error::new(
        ErrorKind::OktaOutcomeUnknown,
        format!(
            "{what}: the request may have taken effect in Okta, but its answer (with the secret it carries) was lost; it was not retried"
        ),
    )
}

fn transport_error(error: &reqwest::Error) -> Error {
    let what = if error.is_timeout() {
        "timed out"
    } else if let Some(why) = crate::connection::untrusted_certificate(error) {
        // Said, since retrying cannot tell it from a network failure: a TLS-inspecting proxy on the way, or an
        // allowed custom domain whose certificate a private CA issued.
        &format!(
            "could not connect: the server's TLS certificate is not trusted ({why}); the Okta client trusts \
             Mozilla's roots, to which Okta's certificates chain"
        )
    } else if error.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    Error::new(
        ErrorKind::OktaTransient,
        format!("the request to Okta {what}"),
    )
}
