#![allow(clippy::disallowed_methods)]
//! Reproduce the C2SP signed-note reference vector in `core/tests/vectors/public/c2sp/` (a copy of the shared vectors).

use std::path::{Path, PathBuf};
use vouch_core::note::{SignerKey, VerifierKey, open_note, open_verified, trust, verify_note};

fn vectors_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/public");
    assert!(
        dir.is_dir(),
        "test vectors missing: expected {} (core/tests/vectors/public, a copy of the shared vectors)",
        dir.display()
    );
    dir
}

fn field<'a>(json: &'a serde_json::Value, name: &str) -> &'a str {
    json.get(name).and_then(|v| v.as_str()).unwrap_or_else(|| panic!("vector has no string field {name:?}"))
}

#[test]
fn signed_note_vector() {
    let path = vectors_dir().join("c2sp/signed-note.json");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_slice(&bytes).expect("vector is JSON");
    let (skey, vkey, text, want) = (
        field(&json, "signer_key"),
        field(&json, "verifier_key"),
        field(&json, "text"),
        field(&json, "signed_note"),
    );

    let signer = SignerKey::parse(skey).expect("signer key parses");
    let verifier = VerifierKey::parse(vkey).expect("verifier key parses");
    assert_eq!(signer.verifier(), verifier, "signer and verifier keys match");
    assert_eq!(signer.to_encoded().as_str(), skey, "signer key re-encodes byte for byte");
    assert_eq!(verifier.to_string(), vkey, "verifier key re-encodes byte for byte");

    let got = signer.sign(text).expect("signs");
    assert_eq!(got, want, "signed note differs from the vector");

    let trusted = trust([&verifier]).unwrap();
    let (opened, signers) = open_verified(want.as_bytes(), &trusted).expect("vector verifies");
    assert_eq!(opened, text);
    assert_eq!(signers, vec![(verifier.name.clone(), verifier.key_id)]);

    // One flipped bit in the text fails verification.
    let tampered = want.replacen("answer", "anSwer", 1);
    let parsed = open_note(tampered.as_bytes()).unwrap();
    assert!(verify_note(&parsed, &trusted).is_err());
}
