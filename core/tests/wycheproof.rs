//! Run Project Wycheproof's vectors for Ed25519, X25519 and ChaCha20-Poly1305 through the
//! primitives `vouch-core` uses, and pin down exactly which inputs we accept.
//!
//! The vectors live in `core/tests/vectors/public/wycheproof/` (Apache-2.0, see the
//! `LICENSE` there). A missing file fails the test: silently passing without vectors would
//! hide exactly the regressions these tests exist for.
#![allow(clippy::disallowed_methods)]

use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde_json::Value;
use std::path::{Path, PathBuf};
use vouch_core::keys::{EncryptionKey, KeyError, PublicKey, Signature};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/public/wycheproof")
}

fn load(name: &str) -> Value {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "Wycheproof vectors missing at {}: {e}. They ship in core/tests/vectors/public/wycheproof.",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("field {key} missing in {v}"))
}

fn hex_field(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(str_field(v, key)).unwrap()
}

/// Every test case with its group, in file order.
fn cases(file: &Value) -> Vec<(&Value, &Value)> {
    let mut out = Vec::new();
    for group in file["testGroups"].as_array().unwrap() {
        for case in group["tests"].as_array().unwrap() {
            out.push((group, case));
        }
    }
    out
}

/// Our verdict on one Ed25519 case: `from_bytes` then `verify_raw` (`verify_strict`). A key
/// we refuse, or a signature that is not 64 bytes, counts as a refusal.
fn ed25519_accepts(pk: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), String> {
    let pk: [u8; 32] = pk.try_into().map_err(|_| format!("public key is {} bytes", pk.len()))?;
    let sig: [u8; 64] = sig.try_into().map_err(|_| format!("signature is {} bytes", sig.len()))?;
    let key = PublicKey::from_bytes(&pk).map_err(|e| format!("key refused: {e}"))?;
    key.verify_raw(msg, &Signature(sig)).map_err(|e| format!("signature refused: {e}"))
}

#[test]
fn ed25519_accepts_exactly_the_valid_cases() {
    let file = load("ed25519_test.json");
    let mut counted = 0;
    let mut disagreements = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for (group, case) in cases(&file) {
        let pk = hex_field(&group["publicKey"], "pk");
        let outcome = ed25519_accepts(&pk, &hex_field(case, "msg"), &hex_field(case, "sig"));
        let expected = str_field(case, "result");
        match expected {
            "valid" => valid += 1,
            "invalid" => invalid += 1,
            other => panic!("unexpected result {other:?}"),
        }
        if outcome.is_ok() != (expected == "valid") {
            disagreements
                .push(format!("tcId {} ({expected}, {}): {outcome:?}", case["tcId"], case["comment"]));
        }
        counted += 1;
    }
    assert!(disagreements.is_empty(), "Wycheproof Ed25519 disagreements:\n{}", disagreements.join("\n"));
    assert_eq!(counted, file["numberOfTests"].as_u64().unwrap() as usize);
    assert!(counted > 100, "only {counted} Ed25519 cases");
    println!("ed25519: {counted} cases ({valid} valid accepted, {invalid} invalid refused)");
}

/// `EncryptionKey::from_bytes` refuses a public key exactly when X25519 with it yields the
/// all-zero shared secret (a small-order point), and x25519-dalek computes every expected
/// shared secret, `valid` and `acceptable` alike.
///
/// `acceptable` cases are inputs RFC 7748 defines but some libraries refuse: points on the
/// twist, non-canonical encodings (u >= p, or the top bit set), and small-order points. We
/// check the shared secret of every case against the vector. A key is refused if its
/// encoding is not canonical (R-KEY-6: one spelling per key) or its shared secret is zero;
/// twist points are accepted (a clamped scalar is a multiple of 8, so only small-order
/// inputs give a predictable result).
#[test]
fn x25519_refuses_noncanonical_and_zero_shared_secret_keys() {
    let file = load("x25519_test.json");
    let mut counted = 0;
    let (mut refused, mut acceptable, mut noncanonical_refused) = (0, 0, 0);
    for (_, case) in cases(&file) {
        let public: [u8; 32] = hex_field(case, "public").try_into().unwrap();
        let private: [u8; 32] = hex_field(case, "private").try_into().unwrap();
        let shared: [u8; 32] = hex_field(case, "shared").try_into().unwrap();
        let result = str_field(case, "result");
        let id = &case["tcId"];
        assert!(matches!(result, "valid" | "acceptable"), "tcId {id}: unexpected result {result:?}");
        if result == "acceptable" {
            acceptable += 1;
        }
        assert_eq!(x25519_dalek::x25519(private, public), shared, "tcId {id}: shared secret");
        let zero = shared == [0u8; 32];
        let flags = case["flags"].as_array().unwrap();
        let _ = flags;
        // Independently of keys.rs: big-endian u compared with p = 2^255 - 19, top bit apart.
        let mut be = public;
        be.reverse();
        let mut p_be = [0xffu8; 32];
        p_be[0] = 0x7f;
        p_be[31] = 0xed;
        let noncanonical = be[0] & 0x80 != 0 || be >= p_be;
        match EncryptionKey::from_bytes(public) {
            Err(KeyError::NonCanonicalEncryptionKey) => {
                assert!(noncanonical, "tcId {id}: refused a canonical key");
                noncanonical_refused += 1;
            }
            Err(KeyError::WeakEncryptionKey) => {
                assert!(zero, "tcId {id}: refused a key with a non-zero shared secret");
                refused += 1;
            }
            Err(other) => panic!("tcId {id}: unexpected error {other}"),
            Ok(_) => {
                assert!(!zero, "tcId {id}: accepted a key whose shared secret is zero");
                assert!(!noncanonical, "tcId {id}: accepted a non-canonical encoding");
            }
        }
        counted += 1;
    }
    assert_eq!(counted, file["numberOfTests"].as_u64().unwrap() as usize);
    assert!(counted > 500, "only {counted} X25519 cases");
    assert!(refused > 0, "no small-order key was exercised");
    println!(
        "x25519: {counted} cases ({acceptable} acceptable), {refused} zero-secret keys refused, \
         {noncanonical_refused} non-canonical encodings refused"
    );
}

#[test]
fn chacha20_poly1305_matches_every_case() {
    let file = load("chacha20_poly1305_test.json");
    let (mut counted, mut valid, mut invalid, mut other_nonce) = (0, 0, 0, 0);
    for (group, case) in cases(&file) {
        let id = &case["tcId"];
        let result = str_field(case, "result");
        counted += 1;
        let iv = hex_field(case, "iv");
        if group["ivSize"].as_u64() != Some(96) || iv.len() != 12 {
            // The crate's nonce type is exactly 12 bytes, so no other size can be expressed.
            assert_eq!(result, "invalid", "tcId {id}: a {}-byte nonce case marked {result}", iv.len());
            other_nonce += 1;
            continue;
        }
        let key = hex_field(case, "key");
        let (aad, msg) = (hex_field(case, "aad"), hex_field(case, "msg"));
        let mut sealed = hex_field(case, "ct");
        sealed.extend_from_slice(&hex_field(case, "tag"));
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&key));
        let nonce = Nonce::from_slice(&iv);
        let opened = cipher.decrypt(nonce, Payload { msg: &sealed, aad: &aad });
        match result {
            "valid" => {
                assert_eq!(opened.as_deref(), Ok(&msg[..]), "tcId {id}: decrypt");
                let encrypted = cipher.encrypt(nonce, Payload { msg: &msg, aad: &aad }).unwrap();
                assert_eq!(encrypted, sealed, "tcId {id}: encrypt");
                valid += 1;
            }
            "invalid" => {
                assert!(opened.is_err(), "tcId {id}: invalid ciphertext decrypted");
                invalid += 1;
            }
            other => panic!("tcId {id}: unexpected result {other:?}"),
        }
    }
    assert_eq!(counted, file["numberOfTests"].as_u64().unwrap() as usize);
    assert!(counted > 300, "only {counted} ChaCha20-Poly1305 cases");
    println!(
        "chacha20-poly1305: {counted} cases: {valid} valid, {invalid} invalid refused, \
         {other_nonce} with a nonce size the API cannot express"
    );
}
