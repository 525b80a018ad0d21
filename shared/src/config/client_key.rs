//! The service app's private key (`OKTA_PRIVATE_KEY`, or `privateKey` in the secret): checked and parsed once, when
//! the connection is read, so that a bad key is a `Config.Invalid` naming the field; `okta/oauth.rs` signs with it.

use std::fmt;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use rustls_pki_types::PrivatePkcs8KeyDer;
use rustls_pki_types::pem::PemObject;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, ErrorKind, Result};

/// The service app's private key, parsed once. Its `Debug` never shows key material.
pub enum ClientKey {
    Rsa(RsaKeyPair),
    EcP256(EcdsaKeyPair),
}

/// The contents of the algorithm OIDs a PKCS#8 key declares: rsaEncryption (1.2.840.113549.1.1.1) and
/// id-ecPublicKey (1.2.840.10045.2.1, the curve is the parser's to check).
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// The algorithm OID of a PKCS#8 `PrivateKeyInfo` (RFC 5208: SEQUENCE { version INTEGER, privateKeyAlgorithm
/// SEQUENCE { algorithm OID, parameters }, privateKey OCTET STRING, .. }). Only routes the key to its parser,
/// which reads and checks all of it.
fn pkcs8_algorithm(der: &[u8]) -> Option<&[u8]> {
    let (info, _) = der_element(der, 0x30)?;
    let (_version, rest) = der_element(info, 0x02)?;
    let (algorithm, _) = der_element(rest, 0x30)?;
    let (oid, _) = der_element(algorithm, 0x06)?;
    Some(oid)
}

/// A DER element with tag `tag` at the start of `input`: its contents and what follows it.
fn der_element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    if found != tag {
        return None;
    }
    // Short form below 0x80; long form with one or two length bytes (a key's DER is under 64 KiB); DER has no other.
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if !(1..=2).contains(&count) {
            return None;
        }
        let (bytes, rest) = rest.split_at_checked(count)?;
        let length = bytes
            .iter()
            .fold(0, |length, &byte| (length << 8) | usize::from(byte));
        (length, rest)
    };
    rest.split_at_checked(length)
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientKey({}, redacted)", self.alg())
    }
}

impl ClientKey {
    /// A PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), RSA (2048 bits or more) or EC P-256. The reason for a refusal
    /// never quotes the key.
    pub fn from_pem(pem: &SecretString) -> std::result::Result<ClientKey, String> {
        let pem = pem.expose_secret().trim();
        if pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY") {
            return Err(
                "is a PKCS#1/SEC1 key; convert it to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt`"
                    .to_owned(),
            );
        }
        let der = PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes()).map_err(|_| {
            "is not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)".to_owned()
        })?;
        let der = der.secret_pkcs8_der();
        let neither = || "is neither an RSA nor an EC P-256 private key".to_owned();
        // One parse, by the key's declared algorithm: a parse of the wrong type decodes (and checks) the whole key
        // before refusing it, ~0.8 M instructions of an EC key's cold start on the runtime's thread.
        match pkcs8_algorithm(der).ok_or_else(neither)? {
            RSA_ENCRYPTION => {
                let key = RsaKeyPair::from_pkcs8(der).map_err(|_| neither())?;
                if key.public_modulus_len() < 256 {
                    return Err("is an RSA key shorter than 2048 bits".to_owned());
                }
                Ok(ClientKey::Rsa(key))
            }
            EC_PUBLIC_KEY => EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                .map(ClientKey::EcP256)
                .map_err(|_| neither()),
            _ => Err(neither()),
        }
    }

    pub fn alg(&self) -> &'static str {
        match self {
            ClientKey::Rsa(_) => "RS256",
            ClientKey::EcP256(_) => "ES256",
        }
    }

    pub(crate) fn public_bytes(&self) -> &[u8] {
        match self {
            ClientKey::Rsa(key) => key.public_key().as_ref(),
            ClientKey::EcP256(key) => key.public_key().as_ref(),
        }
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let failed = || Error::new(ErrorKind::ConfigInvalid, "privateKey: signing failed");
        match self {
            ClientKey::Rsa(key) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    message,
                    &mut signature,
                )
                .map_err(|_| failed())?;
                Ok(signature)
            }
            ClientKey::EcP256(key) => key
                .sign(&SystemRandom::new(), message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| failed()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use base64::Engine;

    use super::*;

    #[test]
    fn key_errors_never_quote_the_key() {
        let pem = SecretString::from(
            "-----BEGIN PRIVATE KEY-----\nSUPERSECRET\n-----END PRIVATE KEY-----",
        );
        let reason = ClientKey::from_pem(&pem).unwrap_err();
        assert!(!reason.contains("SUPERSECRET"), "{reason}");
        let pkcs1 = SecretString::from(
            "-----BEGIN RSA PRIVATE KEY-----\nSUPERSECRET\n-----END RSA PRIVATE KEY-----",
        );
        assert!(ClientKey::from_pem(&pkcs1).unwrap_err().contains("PKCS#8"));
    }

    #[test]
    fn keys_are_read_by_their_declared_algorithm() {
        let pem = |kind: &str| {
            let path = format!(
                "{}/../tests/okta-sim/keys/service-app-{kind}.pem",
                env!("CARGO_MANIFEST_DIR")
            );
            SecretString::from(std::fs::read_to_string(path).unwrap())
        };
        let der = |pem: &SecretString| {
            PrivatePkcs8KeyDer::from_pem_slice(pem.expose_secret().as_bytes())
                .unwrap()
                .secret_pkcs8_der()
                .to_vec()
        };
        for (kind, oid, alg) in [
            ("rsa", RSA_ENCRYPTION, "RS256"),
            ("ec", EC_PUBLIC_KEY, "ES256"),
        ] {
            let key = pem(kind);
            assert_eq!(ClientKey::from_pem(&key).unwrap().alg(), alg);
            let mut der = der(&key);
            assert_eq!(pkcs8_algorithm(&der), Some(oid));
            assert_eq!(pkcs8_algorithm(&der[..12]), None, "truncated");
            // Another algorithm declared (the OID's last arc changed): refused, whatever the body.
            let at = der
                .windows(oid.len())
                .position(|window| window == oid)
                .unwrap();
            der[at + oid.len() - 1] ^= 0x7f;
            let relabelled = format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                base64::engine::general_purpose::STANDARD.encode(&der)
            );
            assert_eq!(
                ClientKey::from_pem(&SecretString::from(relabelled)).unwrap_err(),
                "is neither an RSA nor an EC P-256 private key"
            );
        }
    }
}
