//! The one error type of the project. Its names (`ErrorKind::name`) are a contract: Step Functions matches them in
//! `Retry`/`Catch` (`infra/*.asl.json`), API Gateway callers see them in the `error` field, and the README lists them.
//! Never rename one without changing all three.

use std::fmt;
use std::time::SystemTime;

use serde::Serialize;

/// What went wrong, as callers need to tell it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The caller's input is malformed or incomplete; the message names the field.
    InputInvalid,
    /// The deployment is misconfigured (bad org URL, malformed secret, missing setting).
    ConfigInvalid,
    /// Secrets Manager could not be read just now.
    SecretUnavailable,
    /// Okta refused the API token or the service app's credentials (401), even after one renewal.
    OktaUnauthorized,
    /// The token is valid but its admin role may not do this (403 E0000006), or it lacks an OAuth scope.
    OktaForbidden,
    /// The org (or the token's admin) does not have the feature the call needs: Okta's 401 E0000015, which is not a
    /// credential problem, so no token was renewed.
    OktaFeatureUnavailable,
    /// The user, group or app does not exist.
    OktaNotFound,
    /// The name given matches more than one user, group or app.
    OktaAmbiguous,
    /// The action does not apply to the target as it is now (wrong status, built-in group, group-granted app).
    OktaNotApplicable,
    /// Okta rejected the request's content (400 validation errors such as a bad app profile).
    OktaRejected,
    /// Okta's rate limit was hit and the reset is beyond this invocation's deadline.
    OktaRateLimited,
    /// Okta or the network failed in a way that a later retry may fix (5xx, timeout, dropped connection).
    OktaTransient,
    /// Okta answered something this client does not understand.
    OktaUnexpectedResponse,
    /// A guardrail: the target is the token's own admin, an admin, or in a protected group.
    PolicyProtectedUser,
    /// A guardrail: the group carries admin roles, so adding a member would grant them.
    PolicyPrivilegedGroup,
    /// A guardrail: the deployment's allow-list does not include this group or app.
    PolicyNotGrantable,
    /// A guardrail: the request would return a link, token or password, which this deployment or caller may not get.
    PolicyCredentialReturnDisabled,
    /// A guardrail: the flows' ledger records the user as offboarded; only an explicit rehire brings them back.
    PolicyOffboarded,
    /// A request whose answer carries a one-time secret may have taken effect, but its answer was lost: retrying
    /// would replace the secret again or report success without it, so the caller must decide.
    OktaOutcomeUnknown,
}

impl ErrorKind {
    /// Every kind, for the README table and the contract tests.
    pub const ALL: [ErrorKind; 19] = [
        ErrorKind::InputInvalid,
        ErrorKind::ConfigInvalid,
        ErrorKind::SecretUnavailable,
        ErrorKind::OktaUnauthorized,
        ErrorKind::OktaForbidden,
        ErrorKind::OktaFeatureUnavailable,
        ErrorKind::OktaNotFound,
        ErrorKind::OktaAmbiguous,
        ErrorKind::OktaNotApplicable,
        ErrorKind::OktaRejected,
        ErrorKind::OktaRateLimited,
        ErrorKind::OktaTransient,
        ErrorKind::OktaUnexpectedResponse,
        ErrorKind::PolicyProtectedUser,
        ErrorKind::PolicyPrivilegedGroup,
        ErrorKind::PolicyNotGrantable,
        ErrorKind::PolicyCredentialReturnDisabled,
        ErrorKind::PolicyOffboarded,
        ErrorKind::OktaOutcomeUnknown,
    ];

    /// The stable name: Step Functions `ErrorEquals`, the Lambda `errorType`, the HTTP `error` field.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InputInvalid => "Input.Invalid",
            ErrorKind::ConfigInvalid => "Config.Invalid",
            ErrorKind::SecretUnavailable => "Config.SecretUnavailable",
            ErrorKind::OktaUnauthorized => "Okta.Unauthorized",
            ErrorKind::OktaForbidden => "Okta.Forbidden",
            ErrorKind::OktaFeatureUnavailable => "Okta.FeatureUnavailable",
            ErrorKind::OktaNotFound => "Okta.NotFound",
            ErrorKind::OktaAmbiguous => "Okta.Ambiguous",
            ErrorKind::OktaNotApplicable => "Okta.NotApplicable",
            ErrorKind::OktaRejected => "Okta.Rejected",
            ErrorKind::OktaRateLimited => "Okta.RateLimited",
            ErrorKind::OktaTransient => "Okta.Transient",
            ErrorKind::OktaUnexpectedResponse => "Okta.UnexpectedResponse",
            ErrorKind::PolicyProtectedUser => "Policy.ProtectedUser",
            ErrorKind::PolicyPrivilegedGroup => "Policy.PrivilegedGroup",
            ErrorKind::PolicyNotGrantable => "Policy.NotGrantable",
            ErrorKind::PolicyCredentialReturnDisabled => "Policy.CredentialReturnDisabled",
            ErrorKind::PolicyOffboarded => "Policy.Offboarded",
            ErrorKind::OktaOutcomeUnknown => "Okta.OutcomeUnknown",
        }
    }

    /// Whether the same call may succeed later without anyone changing anything.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::SecretUnavailable | ErrorKind::OktaRateLimited | ErrorKind::OktaTransient
        )
    }

    /// The status an API Gateway caller gets. Failures of Okta or of our own configuration are not the
    /// caller's fault, so they are 5xx even when Okta said 401 or 403 to us.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::InputInvalid | ErrorKind::OktaRejected => 400,
            ErrorKind::OktaNotFound => 404,
            ErrorKind::OktaAmbiguous | ErrorKind::OktaNotApplicable => 409,
            ErrorKind::OktaRateLimited => 429,
            ErrorKind::OktaUnauthorized
            | ErrorKind::OktaForbidden
            | ErrorKind::OktaFeatureUnavailable
            | ErrorKind::OktaUnexpectedResponse
            | ErrorKind::OktaOutcomeUnknown => 502,
            ErrorKind::SecretUnavailable | ErrorKind::OktaTransient => 503,
            ErrorKind::ConfigInvalid => 500,
            // The caller is authenticated but the deployment forbids this change: 403, whoever asks.
            ErrorKind::PolicyProtectedUser
            | ErrorKind::PolicyPrivilegedGroup
            | ErrorKind::PolicyNotGrantable
            | ErrorKind::PolicyCredentialReturnDisabled
            | ErrorKind::PolicyOffboarded => 403,
        }
    }

    /// One line for the README: what the error means and what the caller should do.
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorKind::InputInvalid => {
                "The input is malformed, incomplete or has an unknown field; the message names the field."
            }
            ErrorKind::ConfigInvalid => {
                "The deployment is misconfigured: org URL, secret format or a setting."
            }
            ErrorKind::SecretUnavailable => "Secrets Manager could not be read; retry.",
            ErrorKind::OktaUnauthorized => {
                "Okta refused the API token or the service app's credentials, also after one renewal: rotate them."
            }
            ErrorKind::OktaForbidden => {
                "The admin role may not do this (Okta E0000006; a refused role read names `okta.iam.read`), or the service app lacks the scope the message names."
            }
            ErrorKind::OktaFeatureUnavailable => {
                "Okta says the org or the token's admin lacks the feature this call needs (E0000015); the credentials are fine."
            }
            ErrorKind::OktaNotFound => "No user, group or app matches what was given.",
            ErrorKind::OktaAmbiguous => {
                "More than one user, group or app matches; the message lists their ids."
            }
            ErrorKind::OktaNotApplicable => {
                "The action does not apply as things are (user status, built-in or app group, group-granted app)."
            }
            ErrorKind::OktaRejected => {
                "Okta rejected the request's content (for example an app profile attribute)."
            }
            ErrorKind::OktaRateLimited => "Okta's rate limit; retry after the reset time given.",
            ErrorKind::OktaTransient => "Okta or the network failed for now (5xx, timeout); retry.",
            ErrorKind::OktaUnexpectedResponse => {
                "Okta answered something this version does not understand."
            }
            ErrorKind::PolicyProtectedUser => {
                "The user is the token's own admin, holds an admin role or is in a protected group; change them in the Okta admin console."
            }
            ErrorKind::PolicyPrivilegedGroup => {
                "The group carries admin roles: adding members would grant them; do it in the Okta admin console."
            }
            ErrorKind::PolicyNotGrantable => {
                "The group or app (or an app profile key) is not in this deployment's allow-lists (OKTA_GRANTABLE_GROUPS, OKTA_GRANTABLE_APPS) nor in an access profile."
            }
            ErrorKind::PolicyOffboarded => {
                "The flows' ledger records the user as offboarded: activate or unsuspend only as an explicit rehire (rehireReason, the user named by id or full login)."
            }
            ErrorKind::PolicyCredentialReturnDisabled => {
                "The request would return a link, token or password: off unless OKTA_ALLOW_CREDENTIAL_RETURN, never to flows."
            }
            ErrorKind::OktaOutcomeUnknown => {
                "A request whose answer carries a one-time secret (link, temporary password) may have taken effect but its answer was lost; it is not retried: the message says how to recover."
            }
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The part of Okta's error object worth keeping (see the spec's `Error` schema).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OktaErrorBody {
    pub error_code: Option<String>,
    pub error_summary: Option<String>,
    pub error_id: Option<String>,
    pub error_causes: Vec<String>,
}

/// An error with its kind, a message fit for the caller, and what Okta said.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// The input field at fault, for `Input.Invalid`.
    pub field: Option<String>,
    /// Okta's error object, when Okta sent one.
    pub okta: Option<Box<OktaErrorBody>>,
    /// `X-Okta-Request-Id` of the response that failed.
    pub okta_request_id: Option<String>,
    /// When a rate limit resets (`Okta.RateLimited`).
    pub retry_at: Option<SystemTime>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            field: None,
            okta: None,
            okta_request_id: None,
            retry_at: None,
        }
    }

    /// `Input.Invalid` naming the field at fault.
    pub fn input(field: &str, message: impl fmt::Display) -> Self {
        let mut error = Error::new(ErrorKind::InputInvalid, format!("{field}: {message}"));
        error.field = Some(field.to_owned());
        error
    }

    /// `Config.Invalid` naming the setting at fault.
    pub fn config(field: &str, message: impl fmt::Display) -> Self {
        let mut error = Error::new(ErrorKind::ConfigInvalid, format!("{field}: {message}"));
        error.field = Some(field.to_owned());
        error
    }

    /// A guardrail's refusal; `kind` is one of the `Policy.*` kinds.
    pub fn policy(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error::new(kind, message)
    }

    pub fn not_applicable(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::OktaNotApplicable, message)
    }

    /// Okta's error code, when there is one.
    pub fn okta_code(&self) -> Option<&str> {
        self.okta
            .as_ref()
            .and_then(|body| body.error_code.as_deref())
    }

    /// Seconds until a rate limit resets, rounded up, for `Retry-After`.
    pub fn retry_after_secs(&self) -> Option<u64> {
        let at = self.retry_at?;
        let wait = at.duration_since(SystemTime::now()).unwrap_or_default();
        Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(code) = self.okta_code() {
            write!(f, " (Okta {code})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
