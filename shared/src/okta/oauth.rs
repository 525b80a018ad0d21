//! The OAuth 2.0 service-app connection: access tokens from Okta's org authorization server through the client
//! credentials grant with `private_key_jwt`, bound to a per-container key with DPoP (RFC 9449) when the app asks.
//!
//! Sources: okta-api-notes.md sections 7.2 and 7.3 (Okta's service-app and DPoP guides, the Go and Python SDKs).
//! Signing and key generation are aws-lc-rs's (already linked by rustls); only the JWTs are assembled here.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use url::Url;

pub use crate::config::ClientKey;
use crate::config::{OktaConfig, ServiceApp};
use crate::error::{Error, ErrorKind, Result};

/// The scopes one function asks for (Okta's `okta.<resource>.<read|manage>`).
pub type Scopes = &'static [&'static str];

/// How long a client assertion is valid: Okta accepts up to an hour; a few minutes is plenty for one request.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(300);
/// A cached token is dropped this long before Okta's expiry, so that a request never leaves with a token that
/// expires on the way.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// Okta's `use_dpop_nonce` challenge is answered this many times at most (the Python SDK's limit).
const MAX_NONCE_CHALLENGES: u32 = 2;
const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The container's DPoP key: P-256, made on first use, never leaves memory.
#[derive(Debug)]
struct DpopKey {
    key: EcdsaKeyPair,
    jwk: Value,
}

impl DpopKey {
    fn generate() -> Result<DpopKey> {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| Error::new(ErrorKind::ConfigInvalid, "cannot generate the DPoP key"))?;
        // An uncompressed SEC1 point: 0x04, then x and y, 32 bytes each.
        let point = key.public_key().as_ref();
        let jwk = json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        });
        Ok(DpopKey { key, jwk })
    }

    fn proof(
        &self,
        method: &str,
        url: &Url,
        nonce: Option<&str>,
        access_token: Option<&SecretString>,
    ) -> Result<String> {
        let mut claims = json!({
            "htm": method,
            "htu": htu(url),
            "iat": unix_now(),
            "jti": unique_id(),
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        if let Some(token) = access_token {
            claims["ath"] = json!(access_token_hash(token.expose_secret()));
        }
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk});
        signed_jwt(&header, &claims, |message| {
            self.key
                .sign(&SystemRandom::new(), message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| Error::new(ErrorKind::ConfigInvalid, "DPoP proof signing failed"))
        })
    }
}

/// `htu`: the request URL without query and fragment (RFC 9449 section 4.2), its path **decoded** as Okta compares
/// it. Okta decodes the request path before comparing it with `htu`, so a proof for `/api/v1/users/jane%40acme.com`
/// whose `htu` keeps `%40` is refused with `400 invalid_dpop_proof` ("'htu' claim in the DPoP proof JWT is invalid")
/// (okta-sdk-python issue #541, okta-sdk-nodejs issue #521). Okta's own Java SDK writes it this way
/// (okta/okta-sdk-java `DPoPInterceptor.getUriWithoutQueryString`, PR #1526): decode the URL without its query, then
/// encode again only `%` (first), space, `"` and `#`, the characters that would otherwise change what the
/// claim means.
pub fn htu(url: &Url) -> String {
    let decoded = percent_encoding::percent_decode_str(url.path()).decode_utf8_lossy();
    let mut path = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        match c {
            '%' => path.push_str("%25"),
            ' ' => path.push_str("%20"),
            '"' => path.push_str("%22"),
            '#' => path.push_str("%23"),
            c => path.push(c),
        }
    }
    format!("{}{path}", url.origin().ascii_serialization())
}

/// `ath`: base64url of the SHA-256 of the access token (RFC 9449 section 4.2).
pub fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        token.as_bytes(),
    ))
}

/// An access token as Okta issued it.
pub struct AccessToken {
    value: SecretString,
    /// `token_type: DPoP`: every call needs a proof made with the container's DPoP key.
    dpop_bound: bool,
    expires_at: Instant,
}

impl AccessToken {
    /// A token as if Okta had just issued it (the proof micro-benchmark, bench/tools, makes one).
    pub fn new(value: SecretString, dpop_bound: bool, lifetime: Duration) -> AccessToken {
        AccessToken {
            value,
            dpop_bound,
            expires_at: Instant::now() + lifetime,
        }
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("dpop_bound", &self.dpop_bound)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What one API request carries: its `Authorization` and, for a DPoP-bound token, its `DPoP` proof.
#[derive(Debug)]
pub struct Authorization {
    pub authorization: HeaderValue,
    pub dpop: Option<HeaderValue>,
}

/// The container's tokens (one per scope set and app) and its DPoP state, kept across invocations.
#[derive(Debug, Default)]
pub struct TokenSource {
    tokens: Mutex<HashMap<String, Arc<AccessToken>>>,
    dpop_key: tokio::sync::OnceCell<Arc<DpopKey>>,
    nonce: std::sync::Mutex<Option<String>>,
}

impl TokenSource {
    /// A token for `scopes`: the cached one while it is fresh, else a new one from Okta.
    pub async fn token(
        &self,
        http: &reqwest::Client,
        config: &OktaConfig,
        app: &ServiceApp,
        scopes: Scopes,
        timeout: Duration,
    ) -> Result<Arc<AccessToken>> {
        let key = cache_key(config, app, scopes);
        let mut tokens = self.tokens.lock().await;
        if let Some(token) = tokens.get(&key)
            && Instant::now() < token.expires_at
        {
            return Ok(token.clone());
        }
        let token = Arc::new(
            self.request_token(http, config, app, scopes, timeout)
                .await?,
        );
        tokens.insert(key, token.clone());
        Ok(token)
    }

    /// Forgets `stale` after Okta refused it (401), so that the next call gets a new one.
    pub async fn forget(&self, stale: &Arc<AccessToken>) {
        self.tokens
            .lock()
            .await
            .retain(|_, token| !Arc::ptr_eq(token, stale));
    }

    /// The headers that authorise one API request with `token`.
    pub async fn authorize(
        &self,
        token: &AccessToken,
        method: &str,
        url: &Url,
    ) -> Result<Authorization> {
        let scheme = if token.dpop_bound { "DPoP" } else { "Bearer" };
        let mut authorization = header_value(format!("{scheme} {}", token.value.expose_secret()))?;
        authorization.set_sensitive(true);
        let dpop = if token.dpop_bound {
            let proof = self
                .dpop_key()
                .await?
                .proof(method, url, None, Some(&token.value))?;
            Some(header_value(proof)?)
        } else {
            None
        };
        Ok(Authorization {
            authorization,
            dpop,
        })
    }

    /// Makes the container's DPoP key ahead of the first token request (it is made on first use otherwise).
    pub async fn prepare_dpop_key(&self) {
        let _ = self.dpop_key().await;
    }

    /// The container's DPoP key, generated once, on a blocking thread (~0.5 ms of CPU at a cold start, which would
    /// otherwise hold up the runtime's thread); callers that come meanwhile wait for that one key.
    async fn dpop_key(&self) -> Result<Arc<DpopKey>> {
        self.dpop_key
            .get_or_try_init(|| async {
                super::off_the_runtime_thread(DpopKey::generate)
                    .await
                    .map(Arc::new)
            })
            .await
            .cloned()
    }

    async fn request_token(
        &self,
        http: &reqwest::Client,
        config: &OktaConfig,
        app: &ServiceApp,
        scopes: Scopes,
        timeout: Duration,
    ) -> Result<AccessToken> {
        let token_url = token_url(config)?;
        // A key not made yet (a secret's connection) is made on a blocking thread while this one signs the assertion.
        let (dpop_key, first_assertion) =
            tokio::join!(self.dpop_key(), async { client_assertion(app, &token_url) });
        let (dpop_key, mut first_assertion) = (dpop_key?, Some(first_assertion?));
        let mut challenges = 0;
        loop {
            // Each request signs its own assertion, with a fresh `jti`: none is ever replayed.
            let assertion = match first_assertion.take() {
                Some(assertion) => assertion,
                None => client_assertion(app, &token_url)?,
            };
            let nonce = self.nonce.lock().ok().and_then(|nonce| nonce.clone());
            let proof = dpop_key.proof("POST", &token_url, nonce.as_deref(), None)?;
            let body = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "client_credentials")
                .append_pair("scope", &scopes.join(" "))
                .append_pair("client_assertion_type", CLIENT_ASSERTION_TYPE)
                .append_pair("client_assertion", &assertion)
                .finish();
            let started = Instant::now();
            let response = http
                .post(token_url.clone())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("DPoP", header_value(proof)?)
                .body(body)
                .timeout(timeout)
                .send()
                .await
                .map_err(|error| {
                    let what = if error.is_timeout() {
                        "timed out"
                    } else {
                        "failed"
                    };
                    Error::new(
                        ErrorKind::OktaTransient,
                        format!("the access token request to Okta {what}"),
                    )
                })?;
            let status = response.status();
            let server_nonce = response
                .headers()
                .get("dpop-nonce")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let request_id = response
                .headers()
                .get("x-okta-request-id")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let bytes = response.bytes().await.map_err(|_| {
                Error::new(
                    ErrorKind::OktaTransient,
                    "Okta's token response was cut off",
                )
            })?;
            if status.is_success() {
                let answer: TokenResponse = serde_json::from_slice(&bytes).map_err(|_| {
                    Error::new(
                        ErrorKind::OktaUnexpectedResponse,
                        "Okta's token response is not the expected JSON",
                    )
                })?;
                let dpop_bound = if answer.token_type.eq_ignore_ascii_case("DPoP") {
                    true
                } else if answer.token_type.eq_ignore_ascii_case("Bearer") {
                    false
                } else {
                    return Err(Error::new(
                        ErrorKind::OktaUnexpectedResponse,
                        format!(
                            "Okta issued a token of unknown type {:?}",
                            answer.token_type
                        ),
                    ));
                };
                let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
                return Ok(AccessToken {
                    value: answer.access_token,
                    dpop_bound,
                    expires_at: started + lifetime.saturating_sub(EXPIRY_MARGIN),
                });
            }
            let error: OAuthError = serde_json::from_slice(&bytes).unwrap_or_default();
            if error.error == "use_dpop_nonce"
                && let Some(nonce) = server_nonce
                && challenges < MAX_NONCE_CHALLENGES
            {
                challenges += 1;
                if let Ok(mut slot) = self.nonce.lock() {
                    *slot = Some(nonce);
                }
                continue;
            }
            let mut error = token_error(status, &error, scopes);
            error.okta_request_id = request_id;
            return Err(error);
        }
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    token_type: String,
    access_token: SecretString,
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
struct OAuthError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// The token endpoint's refusals (RFC 6749 section 5.2, RFC 9449 section 7.1) as the project's errors.
fn token_error(status: StatusCode, error: &OAuthError, scopes: Scopes) -> Error {
    let detail = if error.error_description.is_empty() {
        error.error.clone()
    } else {
        format!("{}: {}", error.error, error.error_description)
    };
    let kind = match (status.as_u16(), error.error.as_str()) {
        (_, "invalid_scope") => ErrorKind::OktaForbidden,
        (_, "invalid_client" | "unauthorized_client" | "invalid_dpop_proof" | "use_dpop_nonce") => {
            ErrorKind::OktaUnauthorized
        }
        (429, _) => ErrorKind::OktaRateLimited,
        (500..=599, _) => ErrorKind::OktaTransient,
        (400 | 401, _) => ErrorKind::OktaUnauthorized,
        _ => ErrorKind::OktaUnexpectedResponse,
    };
    let message = if kind == ErrorKind::OktaForbidden {
        format!(
            "Okta did not grant the scopes {} to the service app ({detail}); grant them in the app's Okta API Scopes tab",
            scopes.join(" ")
        )
    } else {
        format!(
            "Okta refused the service app's access token request ({} {detail})",
            status.as_u16()
        )
    };
    Error::new(kind, message)
}

/// The `private_key_jwt` client assertion: signed by the app's key, for the token URL only, valid a few minutes.
fn client_assertion(app: &ServiceApp, token_url: &Url) -> Result<String> {
    let now = unix_now();
    let mut header = json!({"alg": app.key.alg(), "typ": "JWT"});
    if let Some(kid) = &app.key_id {
        header["kid"] = json!(kid);
    }
    let claims = json!({
        "iss": app.client_id,
        "sub": app.client_id,
        "aud": token_url.as_str(),
        "iat": now,
        "exp": now + ASSERTION_LIFETIME.as_secs(),
        "jti": unique_id(),
    });
    signed_jwt(&header, &claims, |message| app.key.sign(message))
}

/// `header.claims.signature`, each part base64url without padding (RFC 7515 compact serialisation).
fn signed_jwt(
    header: &Value,
    claims: &Value,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>>,
) -> Result<String> {
    let mut jwt = URL_SAFE_NO_PAD.encode(header.to_string());
    jwt.push('.');
    jwt.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = sign(jwt.as_bytes())?;
    jwt.push('.');
    jwt.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Ok(jwt)
}

/// The org authorization server's token endpoint, the one that issues Management API scopes.
fn token_url(config: &OktaConfig) -> Result<Url> {
    config
        .org_url
        .join("/oauth2/v1/token")
        .map_err(|_| Error::config("orgUrl", "cannot form the token URL from it"))
}

/// Tokens are per app and per scope set: a secret re-read that names another app or key never reuses a token.
fn cache_key(config: &OktaConfig, app: &ServiceApp, scopes: Scopes) -> String {
    format!(
        "{} {} {} {}",
        config.org_url,
        app.client_id,
        URL_SAFE_NO_PAD.encode(app.key.public_bytes()),
        scopes.join(" ")
    )
}

/// 128 random bits, base64url: a `jti` that never repeats.
fn unique_id() -> String {
    let mut bytes = [0u8; 16];
    // The system RNG failing is not something to recover from; a weaker id still does not repeat in practice.
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        bytes = fastrand::u128(..).to_le_bytes();
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}

fn header_value(value: String) -> Result<HeaderValue> {
    HeaderValue::try_from(value).map_err(|_| {
        Error::new(
            ErrorKind::OktaUnexpectedResponse,
            "an OAuth value contains characters not allowed in an HTTP header",
        )
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn htu_drops_query_and_fragment() {
        let url = Url::parse("https://acme.okta.com/api/v1/users?search=x#y").unwrap();
        assert_eq!(htu(&url), "https://acme.okta.com/api/v1/users");
    }

    /// The path as Okta compares it: decoded, with only `%`, space, `"` and `#` encoded again (okta-sdk-java
    /// `DPoPInterceptor`); the port stays when it is not the scheme's default.
    #[test]
    fn htu_carries_the_decoded_path() {
        let cases = [
            ("jane%40acme.com", "jane@acme.com"),
            ("a%2Bb%40x.com", "a+b@x.com"),
            ("zo%C3%AB%40x.com", "zoë@x.com"),
            ("we%23ird%3F%26%25", "we%23ird?&%25"),
            ("with%20space%22q%22", "with%20space%22q%22"),
            ("00u1abcdEFGH", "00u1abcdEFGH"),
        ];
        for (segment, expected) in cases {
            let url = Url::parse(&format!(
                "https://acme.okta.com/api/v1/users/{segment}?x=%40"
            ))
            .unwrap();
            assert_eq!(
                htu(&url),
                format!("https://acme.okta.com/api/v1/users/{expected}"),
                "{segment}"
            );
        }
        let local = Url::parse("http://127.0.0.1:8055/api/v1/users/a%40b").unwrap();
        assert_eq!(htu(&local), "http://127.0.0.1:8055/api/v1/users/a@b");
    }

    #[test]
    fn dpop_proofs_carry_the_public_key_and_the_token_hash() {
        let key = DpopKey::generate().unwrap();
        let url = Url::parse("https://acme.okta.com/api/v1/users/1?x=1").unwrap();
        let token = SecretString::from("tok");
        let proof = key.proof("GET", &url, None, Some(&token)).unwrap();
        let parts: Vec<&str> = proof.split('.').collect();
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["jwk"]["crv"], "P-256");
        assert!(header["jwk"].get("d").is_none());
        assert_eq!(claims["htu"], "https://acme.okta.com/api/v1/users/1");
        assert_eq!(claims["ath"], access_token_hash("tok"));
        assert!(!proof.contains("tok."));
    }
}
