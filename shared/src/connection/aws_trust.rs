//! Which roots the AWS SDK's HTTPS client trusts. The Secrets Manager answer carries the Okta admin credential, so
//! the connection that fetches it trusts no more certificate authorities than the endpoint needs:
//!
//! - AWS's own endpoints (no endpoint override): Amazon Trust Services' five roots, the roots AWS service endpoints
//!   chain to and the set AWS recommends to relying parties with a custom trust store
//!   (<https://www.amazontrust.com/repository/>). Any other of Mozilla's ~150 roots could otherwise vouch for
//!   `secretsmanager.<region>.amazonaws.com`. Parsing 5 roots instead of ~150 also takes ~1.5 ms off a cold start.
//! - An endpoint override over HTTPS (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_SECRETS_MANAGER`,
//!   `AWS_ENDPOINT_URL_DYNAMODB`; a VPC endpoint's own DNS name, a proxy, an emulator with a public certificate),
//!   a shared config file (which may name endpoints), or a partition whose endpoints are not known to use Amazon
//!   Trust Services (China, the isolated regions) or an unknown region: Mozilla's roots, as before.
//! - Every endpoint overridden with plain HTTP (a local emulator): TLS is never used, so no roots are parsed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The region the environment names (`AWS_REGION`, else `AWS_DEFAULT_REGION`; blank is none), as the SDK's
/// environment provider reads it (`aws_sdk.rs`).
pub fn environment_region(lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|name| lookup(name).filter(|value| !value.trim().is_empty()))
}

/// The roots the SDK's HTTPS client trusts; see the module's documentation for when each applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsTrust {
    AmazonTrustServices,
    Mozilla,
    /// Plain HTTP only: an empty trust store, no certificate can be accepted.
    NoTls,
}

/// The SDK services this crate calls, by the suffix of their endpoint override variable.
const SERVICES: [&str; 2] = ["SECRETS_MANAGER", "DYNAMODB"];

impl AwsTrust {
    /// The trust for this process's environment; `lookup` reads a variable, `file_exists` a path.
    pub fn from_environment(
        lookup: impl Fn(&str) -> Option<String>,
        file_exists: impl Fn(&str) -> bool,
    ) -> AwsTrust {
        let set = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        if shared_config_may_name_endpoints(set, file_exists) {
            return AwsTrust::Mozilla;
        }
        let ignore_overrides = set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"));
        let aws_own = if region_uses_amazon_trust_services(environment_region(set)) {
            AwsTrust::AmazonTrustServices
        } else {
            AwsTrust::Mozilla
        };
        let mut trust = AwsTrust::NoTls;
        for service in SERVICES {
            let endpoint = if ignore_overrides {
                None
            } else {
                set(&format!("AWS_ENDPOINT_URL_{service}")).or_else(|| set("AWS_ENDPOINT_URL"))
            };
            let needed = match endpoint {
                Some(url) if is_plain_http(&url) => AwsTrust::NoTls,
                Some(_) => AwsTrust::Mozilla,
                None => aws_own,
            };
            trust = trust.and(needed);
        }
        trust
    }

    /// The trust that serves both: Mozilla's roots include Amazon Trust Services'.
    fn and(self, other: AwsTrust) -> AwsTrust {
        match (self, other) {
            (AwsTrust::Mozilla, _) | (_, AwsTrust::Mozilla) => AwsTrust::Mozilla,
            (AwsTrust::AmazonTrustServices, _) | (_, AwsTrust::AmazonTrustServices) => {
                AwsTrust::AmazonTrustServices
            }
            (AwsTrust::NoTls, AwsTrust::NoTls) => AwsTrust::NoTls,
        }
    }

    /// The roots as one PEM bundle, the form the SDK's trust store takes (empty for `NoTls`).
    pub fn roots_pem(self) -> Vec<u8> {
        match self {
            AwsTrust::AmazonTrustServices => AMAZON_TRUST_SERVICES_PEM.to_vec(),
            AwsTrust::Mozilla => mozilla_roots_pem(),
            AwsTrust::NoTls => Vec::new(),
        }
    }
}

/// Amazon Trust Services' five roots (Amazon Root CA 1–4, Starfield Services Root Certificate Authority – G2).
const AMAZON_TRUST_SERVICES_PEM: &[u8] = include_bytes!("amazon-trust-services.pem");

/// webpki-root-certs' DER certificates (Mozilla's roots) as one PEM bundle.
fn mozilla_roots_pem() -> Vec<u8> {
    let mut pem = String::with_capacity(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() * 2200);
    for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        pem.push_str(&STANDARD.encode(der.as_ref()));
        pem.push_str("\n-----END CERTIFICATE-----\n");
    }
    pem.into_bytes()
}

/// A shared config or credentials file can name endpoints (`endpoint_url`, `services` sections) that the
/// variables do not show: with one, the SDK may go anywhere.
fn shared_config_may_name_endpoints(
    set: impl Fn(&str) -> Option<String>,
    file_exists: impl Fn(&str) -> bool,
) -> bool {
    let home = set("HOME");
    let config =
        set("AWS_CONFIG_FILE").or_else(|| home.as_ref().map(|home| format!("{home}/.aws/config")));
    let credentials = set("AWS_SHARED_CREDENTIALS_FILE")
        .or_else(|| home.as_ref().map(|home| format!("{home}/.aws/credentials")));
    [config, credentials]
        .iter()
        .flatten()
        .any(|path| file_exists(path))
}

fn is_plain_http(url: &str) -> bool {
    url.trim()
        .get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
}

/// The commercial regions, GovCloud and the European Sovereign Cloud (cross-signed by Amazon Root CA 1, 3 and 4):
/// not China (`cn-`), whose endpoints are run apart, nor the isolated regions (`-iso`), nor an unknown region.
fn region_uses_amazon_trust_services(region: Option<String>) -> bool {
    region.is_some_and(|region| {
        let region = region.trim().to_ascii_lowercase();
        !region.starts_with("cn-") && !region.contains("-iso")
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    fn trust(pairs: &[(&str, &str)], files: &[&str]) -> AwsTrust {
        AwsTrust::from_environment(
            |name| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            },
            |path| files.contains(&path),
        )
    }

    const LAMBDA: [(&str, &str); 2] = [("AWS_REGION", "eu-west-3"), ("HOME", "/home/sbx_user1051")];

    #[test]
    fn aws_own_endpoints_are_trusted_through_amazon_trust_services_alone() {
        assert_eq!(trust(&LAMBDA, &[]), AwsTrust::AmazonTrustServices);
        assert_eq!(
            trust(&[("AWS_DEFAULT_REGION", "us-gov-west-1")], &[]),
            AwsTrust::AmazonTrustServices
        );
        // The endpoint overrides are ignored when the SDK is told to ignore them.
        assert_eq!(
            trust(
                &[
                    ("AWS_REGION", "us-east-1"),
                    ("AWS_ENDPOINT_URL", "https://proxy.example.com"),
                    ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
                ],
                &[]
            ),
            AwsTrust::AmazonTrustServices
        );
    }

    #[test]
    fn anything_else_over_tls_is_trusted_through_mozillas_roots() {
        for pairs in [
            // A custom HTTPS endpoint, for all services or for one.
            &[
                ("AWS_REGION", "us-east-1"),
                (
                    "AWS_ENDPOINT_URL",
                    "https://localhost.localstack.cloud:4566",
                ),
            ][..],
            &[
                ("AWS_REGION", "us-east-1"),
                (
                    "AWS_ENDPOINT_URL_DYNAMODB",
                    "https://vpce-0a1b.dynamodb.us-east-1.vpce.amazonaws.com",
                ),
            ],
            // Plain HTTP for one service does not make the other's HTTPS endpoint need less.
            &[
                ("AWS_REGION", "us-east-1"),
                ("AWS_ENDPOINT_URL", "https://proxy.example.com"),
                ("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:5000"),
            ],
            // Partitions whose endpoints are not known to chain to Amazon Trust Services, or no region at all.
            &[("AWS_REGION", "cn-north-1")],
            &[("AWS_REGION", "us-iso-east-1")],
            &[("AWS_REGION", "us-isob-east-1")],
            &[],
        ] {
            assert_eq!(trust(pairs, &[]), AwsTrust::Mozilla, "{pairs:?}");
        }
        // A shared config file may name endpoints.
        assert_eq!(
            trust(&LAMBDA, &["/home/sbx_user1051/.aws/config"]),
            AwsTrust::Mozilla
        );
        assert_eq!(
            trust(
                &[
                    ("AWS_REGION", "eu-west-3"),
                    ("AWS_CONFIG_FILE", "/opt/aws-config")
                ],
                &["/opt/aws-config"]
            ),
            AwsTrust::Mozilla
        );
    }

    #[test]
    fn plain_http_endpoints_need_no_roots_unless_a_service_still_goes_to_aws() {
        assert_eq!(
            trust(
                &[
                    ("AWS_REGION", "us-east-1"),
                    ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
                ],
                &[]
            ),
            AwsTrust::NoTls
        );
        assert_eq!(
            trust(
                &[
                    ("AWS_REGION", "us-east-1"),
                    ("AWS_ENDPOINT_URL_SECRETS_MANAGER", "HTTP://127.0.0.1:5000")
                ],
                &[]
            ),
            AwsTrust::AmazonTrustServices,
            "DynamoDB still goes to AWS"
        );
    }

    #[test]
    fn the_bundled_amazon_roots_are_five_of_mozillas() {
        let parsed: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(AwsTrust::AmazonTrustServices.roots_pem().as_slice())
                .collect::<Result<_, _>>()
                .unwrap();
        assert_eq!(parsed.len(), 5);
        for root in &parsed {
            assert!(
                webpki_root_certs::TLS_SERVER_ROOT_CERTS.contains(root),
                "an Amazon Trust Services root is no longer among Mozilla's"
            );
        }
        assert!(AwsTrust::NoTls.roots_pem().is_empty());
    }

    #[test]
    fn every_mozilla_root_survives_the_pem_bundle() {
        let parsed: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(&mozilla_roots_pem())
                .collect::<Result<_, _>>()
                .unwrap();
        assert!(parsed.len() > 100);
        assert_eq!(
            parsed,
            webpki_root_certs::TLS_SERVER_ROOT_CERTS.to_vec(),
            "the trust store must be exactly Mozilla's roots"
        );
    }
}
