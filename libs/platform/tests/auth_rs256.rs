//! RS256 tokens from an identity provider, verified by a PEM key or a JWKS
//! document chosen by `kid`. The key pair is made fresh by `openssl` for each run,
//! so no private key lives in the repository.

use std::process::Command;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use platform::auth::{Authenticator, Claims, Role};
use platform::config::AuthSettings;
use platform::error::ApiError;

struct KeyPair {
    private_pem: Vec<u8>,
    public_pem: String,
    modulus: Vec<u8>,
}

fn generate() -> KeyPair {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl is installed");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let key_path = key.to_str().unwrap();
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        key_path,
    ]);
    let public_pem = String::from_utf8(openssl(&["rsa", "-in", key_path, "-pubout"])).unwrap();
    let modulus_line =
        String::from_utf8(openssl(&["rsa", "-in", key_path, "-noout", "-modulus"])).unwrap();
    let hex = modulus_line.trim().trim_start_matches("Modulus=");
    let modulus = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    KeyPair {
        private_pem: std::fs::read(&key).unwrap(),
        public_pem,
        modulus,
    }
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn settings(pem: Option<String>, jwks: Option<String>) -> AuthSettings {
    AuthSettings {
        hs256_secret: None,
        rs256_public_key_pem: pem,
        jwks_json: jwks,
        issuer: "https://id.example.test".into(),
        audience: "crossdock".into(),
    }
}

fn sign(keys: &KeyPair, kid: Option<&str>, roles: &[Role]) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = Claims {
        sub: "buyer-7".into(),
        roles: roles.to_vec(),
        channel: None,
        iss: "https://id.example.test".into(),
        aud: "crossdock".into(),
        iat: now,
        exp: now + 600,
    };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(&keys.private_pem).unwrap(),
    )
    .unwrap()
}

#[test]
fn rs256_tokens_verify_by_pem_and_by_jwks_kid() {
    let keys = generate();
    let other = generate();

    let by_pem =
        Authenticator::from_settings(&settings(Some(keys.public_pem.clone()), None)).unwrap();
    let caller = by_pem.verify(&sign(&keys, None, &[Role::Buyer])).unwrap();
    assert_eq!(caller.subject(), "buyer-7");
    assert_eq!(caller.roles(), [Role::Buyer]);
    assert!(matches!(
        by_pem.verify(&sign(&other, None, &[Role::Admin])),
        Err(ApiError::Unauthorized(_))
    ));

    let jwks = serde_json::json!({"keys": [{
        "kty": "RSA", "kid": "key-2026", "alg": "RS256", "use": "sig",
        "n": base64url(&keys.modulus), "e": "AQAB"
    }]});
    let by_jwks = Authenticator::from_settings(&settings(None, Some(jwks.to_string()))).unwrap();
    assert!(
        by_jwks
            .verify(&sign(&keys, Some("key-2026"), &[Role::Ops]))
            .is_ok()
    );
    // A kid the document doesn't hold, or the right kid on another key's signature.
    assert!(matches!(
        by_jwks.verify(&sign(&keys, Some("retired"), &[Role::Ops])),
        Err(ApiError::Unauthorized(_))
    ));
    assert!(matches!(
        by_jwks.verify(&sign(&other, Some("key-2026"), &[Role::Ops])),
        Err(ApiError::Unauthorized(_))
    ));

    // Algorithm confusion: an HS256 token "signed" with the public key is refused.
    let forged = platform::auth::mint_hs256(
        &keys.public_pem,
        "https://id.example.test",
        "crossdock",
        platform::auth::TokenRequest {
            subject: "attacker",
            roles: &[Role::Admin],
            channel: None,
            ttl: std::time::Duration::from_secs(60),
        },
    )
    .unwrap();
    assert!(matches!(
        by_pem.verify(&forged),
        Err(ApiError::Unauthorized(_))
    ));
}
