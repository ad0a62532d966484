//! `vouch verify bundle`: a demo confirmation's evidence bundle verifies against the
//! pinned genesis; tampered copies fail naming the place.

use crate::support::{Dir, demo, flip, vouch};
use serde_json::Value;

fn bundle_value() -> Value {
    let (l, c) = demo();
    serde_json::to_value(l.bundle(c.request.id, true).expect("bundle")).unwrap()
}

/// Flip the character at `at` of the string at `pointer`.
fn flip_at(bundle: &mut Value, pointer: &str, at: usize) {
    let field = bundle.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer} not in the bundle"));
    *field = Value::String(flip(field.as_str().unwrap(), at));
}

#[test]
fn a_bundle_verifies_and_says_what_it_proves() {
    let dir = Dir::new();
    let (l, c) = demo();
    let hash = l.net.genesis.hash().to_hex();
    let bundle = dir.write("bundle.json", serde_json::to_vec_pretty(&bundle_value()).unwrap());
    let json = vouch(&["verify", "bundle", &bundle, "--genesis-hash", &hash, "--json"]).expect(0).json();
    assert_eq!(json["request"], c.request.id.to_hex());
    assert_eq!(json["letter_no"], "AX-2026-0001");
    assert_eq!(json["auditor"], "audit-x");
    assert_eq!(json["bank"], "bank-a");
    assert_eq!(json["cosigners"].as_array().unwrap().len(), 4);
    assert_eq!(json["checkpoint_size"], l.committed.len() as u64);
    let types: Vec<&str> =
        json["documents"].as_array().unwrap().iter().map(|d| d["doc_type"].as_str().unwrap()).collect();
    assert_eq!(types, ["request", "authorization", "response", "correction", "accept"], "{json}");
    assert!(json["openings_checked"].as_u64().unwrap() > 0);

    let text = vouch(&["verify", "bundle", &bundle, "--genesis", &dir.genesis()]).expect(0).stdout;
    for needle in ["ok: bundle verified", "AX-2026-0001", "王审计", "checked by 张复核", "cosigned by:"]
    {
        assert!(text.contains(needle), "missing {needle:?}:\n{text}");
    }
}

/// Tamper with the bundle, verify: exit 1, `rule` and `place` in the message.
fn tampered(edit: impl FnOnce(&mut Value), rule: &str, place: &str) {
    let dir = Dir::new();
    let hash = demo().0.net.genesis.hash().to_hex();
    let mut bundle = bundle_value();
    edit(&mut bundle);
    let path = dir.write("bundle.json", serde_json::to_vec(&bundle).unwrap());
    let run = vouch(&["verify", "bundle", &path, "--genesis-hash", &hash]).expect(1);
    assert!(run.stderr.contains(rule), "{rule} named:\n{}", run.stderr);
    assert!(run.stderr.contains(place), "{place:?} named:\n{}", run.stderr);
    let json = vouch(&["verify", "bundle", &path, "--genesis-hash", &hash, "--json"]).expect(1).json();
    assert_eq!(json["rule"], rule);
}

#[test]
fn a_tampered_bundle_fails_naming_the_place() {
    // A document's signature.
    tampered(|b| flip_at(b, "/entries/4/envelope/sig", 10), "R-BUN-4", "entry 4");
    // A document's content.
    tampered(
        |b| {
            let created = &mut b["entries"][5]["envelope"]["created_ms"];
            *created = (created.as_u64().unwrap() + 1).into();
        },
        "R-BUN-4",
        "entry 5",
    );
    // An inclusion proof hash.
    tampered(|b| flip_at(b, "/entries/2/proof/0", 3), "R-BUN-5", "entry 2 (leaf 2)");
    // The checkpoint's root: its cosignatures no longer verify.
    tampered(
        |b| {
            let note = b["checkpoint"].as_str().unwrap();
            let at = note.find('\n').unwrap() + 1;
            let at = at + note[at..].find('\n').unwrap() + 5;
            b["checkpoint"] = Value::String(flip(note, at));
        },
        "R-BUN-3",
        "checkpoint",
    );
    // Another confirmation named.
    tampered(|b| flip_at(b, "/request", 0), "R-BUN-8", "the bundle names");
}

#[test]
fn a_bundle_of_another_network_is_refused() {
    let dir = Dir::new();
    let bundle = dir.write("bundle.json", serde_json::to_vec(&bundle_value()).unwrap());
    let other = "12".repeat(32);
    let run = vouch(&["verify", "bundle", &bundle, "--genesis-hash", &other]).expect(1);
    assert!(run.stderr.contains("R-BUN-2"), "{}", run.stderr);
    assert!(run.stderr.contains("another network"), "the hint explains: {}", run.stderr);
}
