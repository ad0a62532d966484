#![allow(clippy::disallowed_methods)]
//! Cross-check our signed notes and cosignatures against an independent implementation:
//! Cloudflare's `signed_note` crate, a port of Go's `sumdb/note`.

use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};
use std::path::Path;
use vouch_core::checkpoint::{Checkpoint, CosignedCheckpoint, cosign_checkpoint, cosigner_name};
use vouch_core::encoding::Hash;
use vouch_core::keys::SigningKey;
use vouch_core::note::{SIG_TYPE_COSIGNATURE_V1, SignerKey, VerifierKey, open_verified, trust};

const TEXT: &str = "vouch cross-check\n\nwith a blank line inside\n";

fn theirs_verifies(note: &str, vkey: &str) -> Vec<String> {
    let verifier = StandardVerifier::new(vkey).expect("their verifier parses our key");
    let list = VerifierList::new(vec![Box::new(verifier)]);
    let parsed = Note::from_bytes(note.as_bytes()).expect("they parse our note");
    let (verified, _) = parsed.verify(&list).expect("they verify our note");
    verified.iter().map(|s| s.name().to_string()).collect()
}

#[test]
fn notes_we_sign_verify_with_theirs() {
    let ours = SignerKey::new("vouch.example/ours", SigningKey::from_seed(&[11; 32])).unwrap();
    let note = ours.sign(TEXT).unwrap();
    assert_eq!(theirs_verifies(&note, &ours.verifier().to_string()), vec!["vouch.example/ours"]);
    // Their signer parses our encoded signer key and makes the same (deterministic) note.
    let theirs = StandardSigner::new(&ours.to_encoded()).expect("they parse our signer key");
    let mut n = Note::new(TEXT.as_bytes(), &[]).unwrap();
    n.add_sigs(&[&theirs]).unwrap();
    assert_eq!(String::from_utf8(n.to_bytes()).unwrap(), note);
}

#[test]
fn notes_they_sign_verify_with_ours() {
    let (skey, vkey) = signed_note::generate_key(&mut rand::rngs::OsRng, "example.com/theirs");
    let signer = StandardSigner::new(&skey).unwrap();
    let mut n = Note::new(TEXT.as_bytes(), &[]).unwrap();
    n.add_sigs(&[&signer]).unwrap();
    let note = n.to_bytes();
    let verifier = VerifierKey::parse(&vkey).expect("we parse their verifier key");
    let (text, signers) = open_verified(&note, &trust([&verifier]).unwrap()).expect("we verify their note");
    assert_eq!(text, TEXT);
    assert_eq!(signers, vec![("example.com/theirs".to_string(), verifier.key_id)]);
    assert_eq!(SignerKey::parse(&skey).expect("we parse their signer key").verifier(), verifier);
}

#[test]
fn reference_vector_verifies_with_theirs() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/public/c2sp/signed-note.json");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("vector missing at {}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let get = |k: &str| json[k].as_str().unwrap().to_string();
    let (skey, vkey, text, want) = (get("signer_key"), get("verifier_key"), get("text"), get("signed_note"));
    assert_eq!(theirs_verifies(&want, &vkey), vec!["PeterNeumann"]);
    let ours = SignerKey::parse(&skey).unwrap().sign(&text).unwrap();
    assert_eq!(theirs_verifies(&ours, &vkey), vec!["PeterNeumann"]);
}

/// A cosignature/v1 verifier written against their `Verifier` trait, from the spec alone:
/// it checks our cosignature lines through their note parser.
struct CosignatureV1 {
    name: String,
    id: u32,
    key: ed25519_dalek::VerifyingKey,
}

impl signed_note::Verifier for CosignatureV1 {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Some((ts, sig)) = sig.split_first_chunk::<8>() else { return false };
        let Ok(sig) = <[u8; 64]>::try_from(sig) else { return false };
        let mut signed = format!("cosignature/v1\ntime {}\n", u64::from_be_bytes(*ts)).into_bytes();
        signed.extend_from_slice(msg);
        self.key.verify_strict(&signed, &ed25519_dalek::Signature::from_bytes(&sig)).is_ok()
    }
}

#[test]
fn cosigned_checkpoints_verify_with_theirs() {
    let origin = "vouch.example/net-1";
    let cp = Checkpoint::new(origin, 12, Hash::sha256(b"root")).unwrap();
    let keys: Vec<SigningKey> = (1..=3u8).map(|i| SigningKey::from_seed(&[i; 32])).collect();
    let names: Vec<String> = (1..=3).map(|i| cosigner_name(origin, &format!("val-{i}")).unwrap()).collect();
    let cosignatures =
        keys.iter().zip(&names).map(|(k, n)| cosign_checkpoint(&cp, n, k, 1_700_000_000).unwrap()).collect();
    let note =
        CosignedCheckpoint { checkpoint: cp, cosignatures, other_signatures: vec![] }.to_note().unwrap();

    let verifiers: Vec<Box<dyn signed_note::Verifier>> = keys
        .iter()
        .zip(&names)
        .map(|(k, n)| {
            let v = VerifierKey::new(n, SIG_TYPE_COSIGNATURE_V1, k.public()).unwrap();
            let key = ed25519_dalek::VerifyingKey::from_bytes(&k.public().to_bytes()).unwrap();
            Box::new(CosignatureV1 { name: v.name, id: v.key_id, key }) as Box<dyn signed_note::Verifier>
        })
        .collect();
    let parsed = Note::from_bytes(note.as_bytes()).expect("they parse our checkpoint note");
    let (verified, unverified) = parsed.verify(&VerifierList::new(verifiers)).expect("they verify");
    assert_eq!(verified.len(), 3);
    assert!(unverified.is_empty());

    // And a cosignature of ours fails their check when the body changes.
    let tampered = note.replacen("\n12\n", "\n13\n", 1);
    let key = ed25519_dalek::VerifyingKey::from_bytes(&keys[0].public().to_bytes()).unwrap();
    let v = VerifierKey::new(&names[0], SIG_TYPE_COSIGNATURE_V1, keys[0].public()).unwrap();
    let one: Vec<Box<dyn signed_note::Verifier>> =
        vec![Box::new(CosignatureV1 { name: v.name, id: v.key_id, key })];
    let parsed = Note::from_bytes(tampered.as_bytes()).unwrap();
    assert!(parsed.verify(&VerifierList::new(one)).is_err());
}
