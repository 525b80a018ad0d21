//! The org authorization server: `POST /oauth2/v1/token` for registered service apps (client credentials with
//! `private_key_jwt`, DPoP-bound or Bearer tokens), and the check of those tokens on every API request (DPoP proof,
//! expiry, scope). Sources and the choices made where Okta does not document: README.md "OAuth service apps".

use std::collections::{HashMap, HashSet};

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents, UnparsedPublicKey,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::seed::SeedServiceApp;
use crate::util::{b64url_decode, b64url_encode, epoch_secs, random_alnum};

pub const TOKEN_PATH: &str = "/oauth2/v1/token";
const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// How far a DPoP proof's `iat` may be from the server's clock (Okta does not publish its window).
const IAT_WINDOW_SECS: u64 = 60;
/// Okta: "The lifetime for this token is fixed at one hour" (GUIDE-SVC).
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 3600;

#[derive(Debug)]
struct Client {
    client_id: String,
    keys: Vec<Value>,
    scopes: Vec<String>,
    dpop: bool,
}

#[derive(Debug, Clone)]
struct Issued {
    /// The service app the token was issued to: whose admin role bounds what the token may do, and the client Okta
    /// counts its requests against (its share of each rate-limit bucket, `okta_limits.rs`).
    client_id: String,
    scopes: Vec<String>,
    expires: u64,
    /// The JWK thumbprint (RFC 7638) of the DPoP key the token is bound to; `None` for a Bearer token.
    jkt: Option<String>,
}

/// Registered apps, issued tokens, seen `jti`s and the current DPoP nonce.
#[derive(Debug)]
pub struct AuthServer {
    clients: Vec<Client>,
    tokens: HashMap<String, Issued>,
    seen_jti: HashSet<String>,
    nonce: String,
    pub token_lifetime_secs: u64,
    pub issued: usize,
}

/// An OAuth refusal: status, `error`, `error_description`, and the nonce to send when it is a challenge.
#[derive(Debug)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    nonce: Option<String>,
}

impl OAuthError {
    fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            error,
            description: description.into(),
            nonce: None,
        }
    }

    fn client(description: impl Into<String>) -> Self {
        OAuthError::new(401, "invalid_client", description)
    }

    fn dpop(description: impl Into<String>) -> Self {
        OAuthError::new(400, "invalid_dpop_proof", description)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            axum::Json(json!({"error": self.error, "error_description": self.description})),
        )
            .into_response();
        if let Some(nonce) = self.nonce
            && let Ok(value) = HeaderValue::from_str(&nonce)
        {
            response.headers_mut().insert("dpop-nonce", value);
        }
        response
    }
}

impl AuthServer {
    pub fn new(apps: &[SeedServiceApp]) -> AuthServer {
        AuthServer {
            clients: apps
                .iter()
                .map(|app| Client {
                    client_id: app.client_id.clone(),
                    keys: app
                        .jwks
                        .get("keys")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                    scopes: app.scopes.clone(),
                    dpop: app.dpop,
                })
                .collect(),
            tokens: HashMap::new(),
            seen_jti: HashSet::new(),
            nonce: random_alnum(32),
            token_lifetime_secs: DEFAULT_TOKEN_LIFETIME_SECS,
            issued: 0,
        }
    }

    /// The service app an access token was issued to, if it was issued here.
    pub fn client_of(&self, token: &str) -> Option<&str> {
        self.tokens
            .get(token)
            .map(|issued| issued.client_id.as_str())
    }

    /// Ends every issued token now, as a revocation or the hour running out would.
    pub fn expire_tokens(&mut self) {
        for issued in self.tokens.values_mut() {
            issued.expires = 0;
        }
    }

    /// A new nonce: proofs with the old one get the `use_dpop_nonce` challenge again.
    pub fn rotate_nonce(&mut self) {
        self.nonce = random_alnum(32);
    }

    /// `POST /oauth2/v1/token` with the form `body`; `base` is the org URL.
    pub fn token(&mut self, base: &str, headers: &HeaderMap, body: &[u8]) -> Response {
        match self.issue(base, headers, body) {
            Ok(answer) => {
                let mut response = axum::Json(answer).into_response();
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
            Err(error) => error.into_response(),
        }
    }

    fn issue(&mut self, base: &str, headers: &HeaderMap, body: &[u8]) -> Result<Value, OAuthError> {
        let form: HashMap<String, String> =
            url::form_urlencoded::parse(body).into_owned().collect();
        let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
        if field("grant_type") != "client_credentials" {
            return Err(OAuthError::new(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            ));
        }
        if field("client_assertion_type") != CLIENT_ASSERTION_TYPE
            || field("client_assertion").is_empty()
        {
            return Err(OAuthError::client(
                "client_assertion_type and client_assertion are required (private_key_jwt).",
            ));
        }
        let token_url = format!("{base}{TOKEN_PATH}");
        let now = epoch_secs();
        let assertion = Jwt::decode(field("client_assertion"))
            .ok_or_else(|| OAuthError::client("The client_assertion is not a JWT."))?;
        let issuer = assertion.claim_str("iss").unwrap_or_default();
        if assertion.claim_str("sub") != Some(issuer) {
            return Err(OAuthError::client(
                "The client_assertion iss and sub must both be the client_id.",
            ));
        }
        let client_index = self
            .clients
            .iter()
            .position(|client| client.client_id == issuer)
            .ok_or_else(|| {
                OAuthError::client(
                    "The client_id in the client_assertion is not a registered service app.",
                )
            })?;
        let client = &self.clients[client_index];
        let kid = assertion.header.get("kid").and_then(Value::as_str);
        let verified = client
            .keys
            .iter()
            .filter(|key| kid.is_none() || key.get("kid").and_then(Value::as_str) == kid)
            .any(|key| assertion.verify(key));
        if !verified {
            return Err(OAuthError::client(
                "The client_assertion signature is invalid.",
            ));
        }
        if assertion.claim_str("aud") != Some(token_url.as_str()) {
            return Err(OAuthError::client(
                "The audience of the client_assertion is not the token endpoint.",
            ));
        }
        let exp = assertion
            .claims
            .get("exp")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if exp <= now {
            return Err(OAuthError::client("The client_assertion token is expired."));
        }
        if exp > now + 3600 + IAT_WINDOW_SECS {
            return Err(OAuthError::client(
                "The client_assertion token has an expiration too far in the future.",
            ));
        }
        if let Some(jti) = assertion.claim_str("jti")
            && self.seen_jti.contains(&format!("assertion {jti}"))
        {
            return Err(OAuthError::client(
                "The client_assertion token has already been used.",
            ));
        }
        let requested: Vec<String> = field("scope")
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if requested.is_empty() {
            return Err(OAuthError::new(
                400,
                "invalid_scope",
                "The authorization server requires a scope.",
            ));
        }
        if let Some(missing) = requested
            .iter()
            .find(|scope| !client.scopes.contains(scope))
        {
            return Err(OAuthError::new(
                400,
                "invalid_scope",
                format!("The following scopes are not granted to the client: {missing}"),
            ));
        }
        let dpop_required = client.dpop;
        let jkt = if dpop_required {
            let proof = headers
                .get("dpop")
                .and_then(|value| value.to_str().ok())
                .ok_or_else(|| OAuthError::dpop("The DPoP proof JWT header is missing."))?;
            let checked = self.check_proof(proof, "POST", &token_url, None)?;
            if checked.nonce.as_deref() != Some(self.nonce.as_str()) {
                let mut challenge = OAuthError::new(
                    400,
                    "use_dpop_nonce",
                    "Authorization server requires nonce in DPoP proof.",
                );
                challenge.nonce = Some(self.nonce.clone());
                return Err(challenge);
            }
            self.seen_jti.insert(format!("proof {}", checked.jti));
            Some(checked.jkt)
        } else {
            None
        };
        if let Some(jti) = assertion.claim_str("jti") {
            self.seen_jti.insert(format!("assertion {jti}"));
        }
        let access_token = random_alnum(48);
        let expires = now + self.token_lifetime_secs;
        self.tokens.insert(
            access_token.clone(),
            Issued {
                client_id: self.clients[client_index].client_id.clone(),
                scopes: requested.clone(),
                expires,
                jkt: jkt.clone(),
            },
        );
        self.issued += 1;
        Ok(json!({
            "token_type": if jkt.is_some() { "DPoP" } else { "Bearer" },
            "expires_in": self.token_lifetime_secs,
            "access_token": access_token,
            "scope": requested.join(" "),
        }))
    }

    /// Checks a DPoP proof: shape, signature against its own key, `htm`, `htu`, `iat`, `jti` replay and, for a
    /// resource request, `ath`. Records nothing: the caller records the `jti` once the request is accepted.
    fn check_proof(
        &self,
        proof: &str,
        method: &str,
        url: &str,
        access_token: Option<&str>,
    ) -> Result<CheckedProof, OAuthError> {
        let jwt =
            Jwt::decode(proof).ok_or_else(|| OAuthError::dpop("The DPoP proof is not a JWT."))?;
        if jwt.header.get("typ").and_then(Value::as_str) != Some("dpop+jwt") {
            return Err(OAuthError::dpop("The DPoP proof typ must be dpop+jwt."));
        }
        let jwk = jwt
            .header
            .get("jwk")
            .filter(|jwk| jwk.get("d").is_none())
            .ok_or_else(|| {
                OAuthError::dpop("The DPoP proof must carry the public jwk in its header.")
            })?;
        if !jwt.verify(jwk) {
            return Err(OAuthError::dpop("The DPoP proof signature is invalid."));
        }
        if jwt.claim_str("htm") != Some(method) {
            return Err(OAuthError::dpop(
                "The DPoP proof htm does not match the request method.",
            ));
        }
        if jwt.claim_str("htu") != Some(okta_htu(url).as_str()) {
            return Err(OAuthError::dpop(
                "'htu' claim in the DPoP proof JWT is invalid.",
            ));
        }
        let iat = jwt.claims.get("iat").and_then(Value::as_u64).unwrap_or(0);
        if epoch_secs().abs_diff(iat) > IAT_WINDOW_SECS {
            return Err(OAuthError::dpop(
                "The DPoP proof iat is outside the allowed window.",
            ));
        }
        let jti = jwt
            .claim_str("jti")
            .filter(|jti| !jti.is_empty())
            .ok_or_else(|| OAuthError::dpop("The DPoP proof has no jti."))?;
        if self.seen_jti.contains(&format!("proof {jti}")) {
            return Err(OAuthError::dpop(
                "The DPoP proof jti has already been used.",
            ));
        }
        if let Some(token) = access_token
            && jwt.claim_str("ath")
                != Some(b64url_encode(&Sha256::digest(token.as_bytes())).as_str())
        {
            return Err(OAuthError::dpop(
                "The DPoP proof ath does not match the access token.",
            ));
        }
        Ok(CheckedProof {
            jti: jti.to_owned(),
            nonce: jwt.claim_str("nonce").map(str::to_owned),
            jkt: thumbprint(jwk)
                .ok_or_else(|| OAuthError::dpop("The DPoP proof jwk is not an EC or RSA key."))?,
        })
    }

    /// Checks a `Bearer` or `DPoP` access token on an API request for `url` (no query) needing `scope`.
    pub fn authorize(
        &mut self,
        scheme: &str,
        token: &str,
        headers: &HeaderMap,
        method: &str,
        url: &str,
        scope: Option<&str>,
    ) -> Result<(), Box<Response>> {
        let (base, path) = split_origin(url);
        let resource_scope = scope.unwrap_or_default();
        // A bad DPoP proof on an API request is `400` with the challenge alone, as recorded from real orgs
        // (okta-sdk-nodejs issue #453, terraform-provider-okta issue #2392: `Www-Authenticate: DPoP algs="RS256 RS384
        // RS512 ES256 ES384 ES512", authorization_uri=…, realm=…, scope=…, error="invalid_dpop_proof",
        // error_description=…, resource="/api/v1/…"`); the recordings show no body (choice: an empty one). Every
        // other token failure is `401 E0000011`.
        let invalid = |scheme: &str, error: &str, description: &str| {
            let mut response = if error == "invalid_dpop_proof" {
                StatusCode::BAD_REQUEST.into_response()
            } else {
                crate::errors::OktaError::invalid_token().into_response()
            };
            let challenge = if scheme == "DPoP" {
                format!(
                    r#"DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512", authorization_uri="{base}/oauth2/v1/authorize", realm="{base}", scope="{resource_scope}", error="{error}", error_description="{description}", resource="{path}""#
                )
            } else {
                format!(r#"{scheme} error="{error}", error_description="{description}""#)
            };
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
            Box::new(response)
        };
        let Some(issued) = self.tokens.get(token).cloned() else {
            return Err(invalid(
                "Bearer",
                "invalid_token",
                "The access token is invalid.",
            ));
        };
        if issued.expires <= epoch_secs() {
            return Err(invalid(
                "Bearer",
                "invalid_token",
                "The access token is expired.",
            ));
        }
        match (scheme, &issued.jkt) {
            ("Bearer", None) => {}
            ("DPoP", Some(jkt)) => {
                let proof = headers
                    .get("dpop")
                    .and_then(|value| value.to_str().ok())
                    .ok_or_else(|| {
                        invalid("DPoP", "invalid_dpop_proof", "The DPoP proof is missing.")
                    })?;
                let checked = self
                    .check_proof(proof, method, url, Some(token))
                    .map_err(|error| invalid("DPoP", "invalid_dpop_proof", &error.description))?;
                if &checked.jkt != jkt {
                    return Err(invalid(
                        "DPoP",
                        "invalid_dpop_proof",
                        "The DPoP proof key is not the one the token is bound to.",
                    ));
                }
                self.seen_jti.insert(format!("proof {}", checked.jti));
            }
            ("Bearer", Some(_)) => {
                return Err(invalid(
                    "DPoP",
                    "invalid_token",
                    "The access token is DPoP-bound; send it with a DPoP proof.",
                ));
            }
            _ => {
                return Err(invalid(
                    "Bearer",
                    "invalid_token",
                    "The access token is not a DPoP token.",
                ));
            }
        }
        if let Some(scope) = scope
            && !grants(&issued.scopes, scope)
        {
            let mut response = StatusCode::FORBIDDEN.into_response();
            let challenge = format!(
                r#"Bearer authorization_uri="{TOKEN_PATH}", realm="okta-sim", scope="{scope}", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="{path}""#
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
            return Err(Box::new(response));
        }
        Ok(())
    }
}

/// `htu` as Okta compares it: the request's scheme and host, and its path **decoded**, with only `%`, space, `"`
/// and `#` encoded again. Okta decodes the request path before the comparison, so a proof whose `htu` keeps `%40`
/// for `/api/v1/users/jane%40acme.com` is refused (okta-sdk-python issue #541, okta-sdk-nodejs issue #521, and the
/// form Okta's own Java SDK sends: okta/okta-sdk-java `DPoPInterceptor.getUriWithoutQueryString`, PR #1526).
fn okta_htu(url: &str) -> String {
    let (base, path) = split_origin(url);
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let mut htu = String::from(base);
    for c in decoded.chars() {
        match c {
            '%' => htu.push_str("%25"),
            ' ' => htu.push_str("%20"),
            '"' => htu.push_str("%22"),
            '#' => htu.push_str("%23"),
            c => htu.push(c),
        }
    }
    htu
}

/// `http://host:port` and `/path` of an absolute URL without query.
fn split_origin(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    match url[after_scheme..].find('/') {
        Some(at) => url.split_at(after_scheme + at),
        None => (url, "/"),
    }
}

/// A `manage` scope includes everything the matching `read` scope allows (GUIDE-SCOPES "Scope naming").
fn grants(granted: &[String], needed: &str) -> bool {
    granted.iter().any(|scope| scope == needed)
        || needed.strip_suffix(".read").is_some_and(|resource| {
            granted
                .iter()
                .any(|scope| *scope == format!("{resource}.manage"))
        })
}

#[derive(Debug)]
struct CheckedProof {
    jti: String,
    nonce: Option<String>,
    jkt: String,
}

#[derive(Debug)]
struct Jwt<'a> {
    header: Value,
    claims: Value,
    signing_input: &'a str,
    signature: Vec<u8>,
}

impl<'a> Jwt<'a> {
    fn decode(compact: &'a str) -> Option<Jwt<'a>> {
        let (signing_input, signature) = compact.rsplit_once('.')?;
        let (header, claims) = signing_input.split_once('.')?;
        Some(Jwt {
            header: serde_json::from_slice(&b64url_decode(header)?).ok()?,
            claims: serde_json::from_slice(&b64url_decode(claims)?).ok()?,
            signing_input,
            signature: b64url_decode(signature)?,
        })
    }

    fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// The signature against a public JWK, for the two algorithms the project uses (RS256, ES256); `none` and
    /// symmetric algorithms are refused as Okta refuses them.
    fn verify(&self, jwk: &Value) -> bool {
        let text = |name: &str| {
            jwk.get(name)
                .and_then(Value::as_str)
                .and_then(b64url_decode)
        };
        let message = self.signing_input.as_bytes();
        match (
            self.header.get("alg").and_then(Value::as_str),
            jwk.get("kty").and_then(Value::as_str),
        ) {
            (Some("ES256"), Some("EC")) => {
                let (Some(x), Some(y)) = (text("x"), text("y")) else {
                    return false;
                };
                if jwk.get("crv").and_then(Value::as_str) != Some("P-256")
                    || x.len() != 32
                    || y.len() != 32
                {
                    return false;
                }
                let point = [&[4u8][..], &x, &y].concat();
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, &self.signature)
                    .is_ok()
            }
            (Some("RS256"), Some("RSA")) => {
                let (Some(n), Some(e)) = (text("n"), text("e")) else {
                    return false;
                };
                RsaPublicKeyComponents { n, e }
                    .verify(&RSA_PKCS1_2048_8192_SHA256, message, &self.signature)
                    .is_ok()
            }
            _ => false,
        }
    }
}

/// RFC 7638 JWK thumbprint: SHA-256 of the required members in lexicographic order, base64url.
fn thumbprint(jwk: &Value) -> Option<String> {
    let member = |name: &str| jwk.get(name).and_then(Value::as_str);
    let canonical = match member("kty")? {
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            member("crv")?,
            member("x")?,
            member("y")?
        ),
        "RSA" => format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            member("e")?,
            member("n")?
        ),
        _ => return None,
    };
    Some(b64url_encode(&Sha256::digest(canonical.as_bytes())))
}
