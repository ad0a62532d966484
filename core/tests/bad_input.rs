//! Bad input never panics, never hangs and is never accepted.
//!
//! Starting from real envelopes, blocks, checkpoints and bundles of a small demo ledger,
//! every decoder a regulator's verifier runs is fed truncations, non-canonical spellings,
//! wrong types, bad encodings, forged signatures and random byte mutations. Each refusal
//! must name its rule; each input that is still accepted must carry exactly the signed
//! content of an original (canonical form leaves no second spelling).
//!
//! Run with `--nocapture` to see a one-line summary per test.

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config as ProptestConfig, RngSeed, TestRunner};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use vouch_core::block::{Block, Certificate, Header};
use vouch_core::bundle::{BundleError, BundleReport, verify_bundle, verify_checkpoint_note};
use vouch_core::canonical::to_canonical;
use vouch_core::checkpoint::CosignedCheckpoint;
use vouch_core::date::Date;
use vouch_core::documents::{
    Accept, ClientRevoke, Conclusion, Decline, Document, Form, Return, ReturnReason, Revoke, Scope, Withdraw,
};
use vouch_core::encoding::{Hash, b64_encode};
use vouch_core::envelope::{Draft, Envelope, Signer};
use vouch_core::genesis::{Genesis, GenesisError};
use vouch_core::ids::NetworkId;
use vouch_core::keys::SigningKey;
use vouch_core::limits::{ENVELOPE_BYTES_MAX, RESPONSE_DAYS_MAX};
use vouch_core::note;
use vouch_core::testkit::mutate::{INTERESTING, Mutation, Mutator};
use vouch_core::testkit::{DemoNetwork, Ledger};
use vouch_core::verify::verify_chain;

// ---------------------------------------------------------------------------------------
// The fixture: one small ledger with a document of every type the testkit produces.
// ---------------------------------------------------------------------------------------

struct Fixture {
    ledger: Ledger,
    /// One committed envelope per type (and a few variants), labelled.
    envelopes: Vec<(&'static str, Envelope)>,
    /// The confirmation the bundle is about.
    request: Hash,
    /// The evidence bundle of `request`, with openings, as compact JSON.
    bundle: Vec<u8>,
    /// Its verified report.
    report: BundleReport,
    /// A fresh cosigned checkpoint.
    checkpoint: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build_fixture)
}

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn build_fixture() -> Fixture {
    let mut l = Ledger::new(DemoNetwork::new(23).unwrap());
    let auditor = l.enroll("audit-x", "li-si", "李四", "Audit Manager").unwrap();
    let maker = l.enroll("bank-a", "zhang-san", "张三", "经办").unwrap();
    let checker = l.enroll("bank-a", "zhao-liu", "赵六", "复核").unwrap();
    let leaver = l.enroll("bank-b", "qian-qi", "钱七", "经办").unwrap();
    l.commit().unwrap();
    let identity = |name: &str| vouch_core::items::ClientIdentity {
        name: name.into(),
        credit_code: "9144030071526726XG".into(),
    };
    let client = l.enroll_client(&maker, "c-001", &identity("Client Ltd")).unwrap();
    let client2 = l.enroll_client(&maker, "c-002", &identity("Other Ltd")).unwrap();
    let letter = vouch_core::testkit::demo_request_contents().unwrap();
    let answer = vouch_core::testkit::demo_response_contents().unwrap();
    l.commit().unwrap();
    let as_of = d("2026-10-31");
    let req = l.request(&auditor, &client, "AX-1", Form::Form1, Scope::WholeBank, as_of, &letter).unwrap();
    let req2 = l.request(&auditor, &client, "AX-2", Form::Form2, Scope::WholeBank, as_of, &letter).unwrap();
    let branch = Scope::Branch { branch: "Pudong".into() };
    let req3 = l.request(&auditor, &client2, "AX-3", Form::Form1, branch, as_of, &letter).unwrap();
    let req4 = l.request(&auditor, &client, "AX-4", Form::Form1, Scope::WholeBank, as_of, &letter).unwrap();
    l.commit().unwrap();
    l.authorize(&client, &req, d("2027-03-31")).unwrap();
    l.authorize(&client2, &req3, d("2027-03-31")).unwrap();
    l.authorize(&client, &req4, d("2027-03-31")).unwrap();
    l.commit().unwrap();
    let resp = l.respond(&maker, &checker, &req, Conclusion::Matches, &answer, None).unwrap();
    let as_auditor = (&auditor.signer(), &auditor.key);
    let as_maker = (&maker.signer(), &maker.key);
    l.submit(
        as_auditor,
        None,
        Document::Withdraw(Withdraw { request: req2.id, reason: "client sold".into() }),
    )
    .unwrap();
    l.submit(
        as_maker,
        None,
        Document::Return(Return {
            request: req3.id,
            reason: ReturnReason::MissingInformation,
            note: Some("branch code missing".into()),
        }),
    )
    .unwrap();
    l.submit(as_maker, None, Document::Decline(Decline { request: req4.id, reason: "under dispute".into() }))
        .unwrap();
    l.commit().unwrap();
    let corr =
        l.respond(&maker, &checker, &req, Conclusion::Differences, &answer, Some((resp.id, "typo"))).unwrap();
    let bank_b = l.org("bank-b").unwrap().admin.clone();
    let bank_b_admin = Signer { org: leaver.org.clone(), key: bank_b.public() };
    l.submit(
        (&bank_b_admin, &bank_b),
        None,
        Document::Revoke(Revoke { key: leaver.key.public(), reason: "left the bank".into() }),
    )
    .unwrap();
    l.submit(
        as_maker,
        None,
        Document::ClientRevoke(ClientRevoke {
            client: client2.client.clone(),
            reason: "account closed".into(),
        }),
    )
    .unwrap();
    l.commit().unwrap();
    l.submit(
        as_auditor,
        None,
        Document::Accept(Accept {
            request: req.id,
            response: corr.id,
            note: Some("agreed to ledger".into()),
        }),
    )
    .unwrap();
    l.commit().unwrap();
    l.commit().unwrap(); // an empty block

    let mut envelopes = Vec::new();
    let mut seen = BTreeSet::new();
    for e in &l.committed {
        let name = e.doc_type().as_str();
        if seen.insert(name) {
            envelopes.push((name, e.clone()));
        }
    }
    // A variant: a branch-scoped request.
    envelopes.push(("request(branch)", req3.clone()));
    let bundle = serde_json::to_vec(&l.bundle(req.id, true).unwrap()).unwrap();
    let report = verify_bundle(&bundle, &l.net.genesis.hash()).unwrap();
    let checkpoint = l.checkpoint().unwrap();
    Fixture { ledger: l, envelopes, request: req.id, bundle, report, checkpoint }
}

fn network() -> &'static NetworkId {
    &fixture().ledger.net.genesis.network
}

fn envelope(name: &str) -> &'static Envelope {
    &fixture().envelopes.iter().find(|(n, _)| *n == name).unwrap_or_else(|| panic!("no {name}")).1
}

fn text(e: &Envelope) -> String {
    String::from_utf8(e.bytes.clone()).unwrap()
}

fn value(e: &Envelope) -> Value {
    serde_json::from_slice(&e.bytes).unwrap()
}

/// Decode `bytes` and require a refusal whose message starts with `rule`.
#[track_caller]
fn refused(bytes: &[u8], rule: &str) -> String {
    refused_on(bytes, network(), rule)
}

#[track_caller]
fn refused_on(bytes: &[u8], network: &NetworkId, rule: &str) -> String {
    match Envelope::decode(bytes, network) {
        Ok(e) => panic!(
            "accepted (id {}) but expected {rule}: {}",
            e.id,
            String::from_utf8_lossy(&bytes[..bytes.len().min(400)])
        ),
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with(rule),
                "expected {rule}, got {msg:?} for {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(400)])
            );
            msg
        }
    }
}

/// Replace the first occurrence of `from` (which must be present) in `s`.
#[track_caller]
fn replace_once(s: &str, from: &str, to: &str) -> String {
    assert!(s.contains(from), "{from:?} not in {s}");
    s.replacen(from, to, 1)
}

// ---------------------------------------------------------------------------------------
// 1. Envelope decoding, rule by rule.
// ---------------------------------------------------------------------------------------

#[test]
fn the_fixture_has_every_type_and_each_decodes() {
    let f = fixture();
    let names: BTreeSet<&str> = f.envelopes.iter().map(|(n, _)| *n).collect();
    for expected in [
        "enroll",
        "client_enroll",
        "request",
        "authorization",
        "response",
        "correction",
        "accept",
        "withdraw",
        "decline",
        "return",
        "revoke",
        "client_revoke",
    ] {
        assert!(names.contains(expected), "fixture lacks {expected}: {names:?}");
    }
    for (_, e) in &f.envelopes {
        assert_eq!(Envelope::decode(&e.bytes, network()).as_ref(), Ok(e));
    }
    eprintln!(
        "fixture: {} envelope types, {} documents on the ledger",
        f.envelopes.len(),
        f.ledger.committed.len()
    );
}

#[test]
fn r_env_1_2_truncated_empty_and_oversized_input() {
    let mut cases = 0usize;
    for (name, e) in &fixture().envelopes {
        let b = &e.bytes;
        let offsets: BTreeSet<usize> =
            (0..16).chain(b.len().saturating_sub(16)..b.len()).chain((0..b.len()).step_by(7)).collect();
        for at in offsets {
            let msg = refused(&b[..at], "R-ENV-1/2");
            assert!(msg.contains("not valid"), "{name} cut at {at}: {msg}");
            cases += 1;
        }
        // Valid JSON padding: the envelope followed by spaces, and an unknown field
        // holding a long string, each one byte over the limit.
        let mut spaced = b.clone();
        spaced.resize(ENVELOPE_BYTES_MAX + 1, b' ');
        assert!(refused(&spaced, "R-ENV-1/2").contains("over the limit"));
        let pad = ENVELOPE_BYTES_MAX + 1 - b.len() - r#","pad":"""#.len();
        let padded = format!("{},\"pad\":\"{}\"}}", &text(e)[..b.len() - 1], "A".repeat(pad));
        assert_eq!(padded.len(), ENVELOPE_BYTES_MAX + 1);
        assert!(refused(padded.as_bytes(), "R-ENV-1/2").contains("over the limit"));
        cases += 2;
    }
    for empty in [&b""[..], b" ", b"{}", b"[]", b"null", b"0", b"\"\"", &[0xff, 0xfe, 0x00]] {
        refused(empty, "R-ENV-1/2");
        cases += 1;
    }
    eprintln!("truncated/empty/oversized envelopes: {cases} inputs, all refused under R-ENV-1/2");
}

#[test]
fn r_env_1_2_non_canonical_spellings_are_refused() {
    let mut cases = 0usize;
    let mut check = |bytes: &[u8], rule: &str| {
        refused(bytes, rule);
        cases += 1;
    };
    for (_, e) in &fixture().envelopes {
        let t = text(e);
        // White space: leading, trailing, after a colon or comma, pretty-printed.
        check(format!(" {t}").as_bytes(), "R-ENV-1/2");
        check(format!("{t}\n").as_bytes(), "R-ENV-1/2");
        check(replace_once(&t, "\"v\":1", "\"v\": 1").as_bytes(), "R-ENV-1/2");
        check(replace_once(&t, ",\"v\"", ", \"v\"").as_bytes(), "R-ENV-1/2");
        check(&serde_json::to_vec_pretty(&value(e)).unwrap(), "R-ENV-1/2");
        // Reordered keys: `v` first, and `type` after `v`.
        let without_v = replace_once(&t, ",\"v\":1}", "}");
        check(format!("{{\"v\":1,{}", &without_v[1..]).as_bytes(), "R-ENV-1/2");
        let ty = format!("\"type\":\"{}\",", e.doc_type().as_str());
        check(
            replace_once(
                &replace_once(&t, &ty, ""),
                "\"v\":1}",
                &format!("\"v\":1,{}}}", &ty[..ty.len() - 1]),
            )
            .as_bytes(),
            "R-ENV-1/2",
        );
        // \u escapes and an escaped solidus.
        let name = e.doc_type().as_str();
        let escaped = format!("\"type\":\"\\u{:04x}{}\"", name.as_bytes()[0], &name[1..]);
        check(replace_once(&t, &format!("\"type\":\"{name}\""), &escaped).as_bytes(), "R-ENV-1/2");
        check(replace_once(&t, "vouch.example/demo", "vouch.example\\/demo").as_bytes(), "R-ENV-1/2");
        check(replace_once(&t, "\"network\"", "\"netw\\u006frk\"").as_bytes(), "R-ENV-1/2");
        // Number spellings of integers.
        check(replace_once(&t, "\"v\":1", "\"v\":1.0").as_bytes(), "R-ENV-1/2");
        check(replace_once(&t, "\"v\":1", "\"v\":1e0").as_bytes(), "R-ENV-1/2");
        check(replace_once(&t, "\"v\":1", "\"v\":01").as_bytes(), "R-ENV-1/2");
        let ms = format!("\"created_ms\":{}", e.created_ms);
        check(replace_once(&t, &ms, &format!("{ms}.0")).as_bytes(), "R-ENV-1/2");
        check(
            replace_once(&t, &ms, &format!("\"created_ms\":{}e3", e.created_ms / 1000)).as_bytes(),
            "R-ENV-1/2",
        );
        // An explicit null for an absent optional field.
        if e.checker.is_none() {
            check(
                replace_once(&t, "\"created_ms\"", "\"checker\":null,\"created_ms\"").as_bytes(),
                "R-ENV-1/2",
            );
            check(
                replace_once(&t, "\"created_ms\"", "\"checker_sig\":null,\"created_ms\"").as_bytes(),
                "R-ENV-1/2",
            );
        }
    }
    // A body's absent optional field as null is canonical JSON but not the body's one shape.
    let accept = envelope("accept");
    let mut v = value(accept);
    v["body"].as_object_mut().unwrap().remove("note");
    v["body"]["note"] = Value::Null;
    let msg = refused(&to_canonical(&v), "R-ENV-5");
    assert!(msg.contains("explicit null"), "{msg}");
    cases += 1;
    let authorization = envelope("authorization");
    let mut v = value(authorization);
    v["body"]["reason"] = Value::Null;
    assert!(refused(&to_canonical(&v), "R-ENV-5").contains("explicit null"));
    cases += 1;
    eprintln!("non-canonical envelope spellings: {cases} inputs, all refused with their rule");
}

#[test]
fn r_env_1_2_wrong_types_unknown_and_duplicate_fields() {
    let mut cases = 0usize;
    for (name, e) in &fixture().envelopes {
        let t = text(e);
        let v = value(e);
        let edit = |f: &dyn Fn(&mut Value)| {
            let mut w = v.clone();
            f(&mut w);
            to_canonical(&w)
        };
        let shape = [
            edit(&|w| w["created_ms"] = json!(e.created_ms.to_string())),
            edit(&|w| w["sig"] = json!(12345)),
            edit(&|w| w["sig"] = json!([])),
            edit(&|w| w["v"] = json!("1")),
            edit(&|w| w["v"] = json!(true)),
            edit(&|w| w["author"] = json!("li-si")),
            edit(&|w| w["author"]["key"] = json!(null)),
            edit(&|w| w["network"] = json!(["vouch.example/demo"])),
            edit(&|w| w["type"] = json!(1)),
            edit(&|w| w["zzz"] = json!(1)),
            edit(&|w| w["a"] = json!({})),
            edit(&|w| w["author"]["zzz"] = json!(1)),
            edit(&|w| w["author"]["name"] = json!("x")),
            edit(&|w| {
                w.as_object_mut().unwrap().remove("sig");
            }),
            edit(&|w| {
                w.as_object_mut().unwrap().remove("body");
            }),
            edit(&|w| {
                w.as_object_mut().unwrap().remove("created_ms");
            }),
        ];
        for bytes in &shape {
            refused(bytes, "R-ENV-1/2");
        }
        cases += shape.len();
        // The body is held as JSON until its type is known: a body of the wrong shape is
        // refused under R-ENV-5, whatever its JSON type.
        let fields: Vec<Value> = v["body"].as_object().unwrap().values().cloned().collect();
        for body in [json!([]), json!(fields), json!("x"), json!(1), json!(null), json!({})] {
            let mut w = v.clone();
            w["body"] = body;
            let msg = refused(&to_canonical(&w), "R-ENV-5");
            assert!(msg.contains(e.doc_type().as_str()), "{name}: {msg}");
            cases += 1;
        }
        let mut w = v.clone();
        w["body"]["zzz"] = json!(1);
        assert!(refused(&to_canonical(&w), "R-ENV-5").contains("zzz"));
        let mut w = v.clone();
        w["body"]["~"] = json!("");
        refused(&to_canonical(&w), "R-ENV-5");
        cases += 2;
        // Duplicate keys: at top level (a struct field), and inside the body and author.
        check_dup(&replace_once(&t, "\"v\":1}", "\"v\":1,\"v\":1}"));
        check_dup(&replace_once(&t, "\"v\":1}", "\"v\":1,\"v\":2}"));
        check_dup(&replace_once(&t, "\"sig\":", &format!("\"sig\":\"{}\",\"sig\":", b64_encode(&[0; 64]))));
        check_dup(&replace_once(&t, "\"author\":{", "\"author\":{\"org\":\"bank-b\","));
        check_dup(&replace_once(&t, "\"body\":{", "\"body\":{\"request\":\"x\","));
        let first_body_key = v["body"].as_object().unwrap().keys().next().unwrap().clone();
        let first = format!("\"body\":{{\"{first_body_key}\":");
        check_dup(&replace_once(&t, &first, &format!("{first}0,\"{first_body_key}\":")));
        cases += 6;
    }
    eprintln!("wrong types, unknown and duplicate fields: {cases} inputs, all refused with their rule");
}

#[track_caller]
fn check_dup(t: &str) {
    let msg = refused(t.as_bytes(), "R-ENV-");
    assert!(msg.starts_with("R-ENV-1/2") || msg.starts_with("R-ENV-5"), "{msg}");
}

/// The base64 text of 32 or 64 bytes with non-zero bits after the last full byte.
fn trailing_bits(b64: &str) -> String {
    let data = b64.trim_end_matches('=');
    let pad = b64.len() - data.len();
    let last = data.chars().last().unwrap();
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let idx = ALPHABET.find(last).unwrap();
    let idx = idx | 1; // 1 or 2 padding chars: the low 2 or 4 bits are unused.
    assert!(pad > 0);
    format!("{}{}{}", &data[..data.len() - 1], &ALPHABET[idx..=idx], "=".repeat(pad))
}

#[test]
fn r_env_1_2_and_7_bad_base64_weak_keys_and_forged_signatures() {
    let mut cases = 0usize;
    let f = fixture();
    let other_sig = b64_encode(&envelope("enroll").sig.0);
    let stranger = SigningKey::from_seed(&[42; 32]);
    for (name, e) in &f.envelopes {
        let t = text(e);
        let sig = b64_encode(&e.sig.0);
        let key = e.author.key.to_b64();
        let sig_field = format!("\"sig\":\"{sig}\"");
        let key_field = format!("\"key\":\"{key}\",\"org\"");
        let url = |s: &str| s.replace('+', "-").replace('/', "_");
        let bad = [
            // sig: missing padding, URL alphabet, 63 and 65 bytes, non-zero trailing bits, space.
            replace_once(&t, &sig_field, &format!("\"sig\":\"{}\"", sig.trim_end_matches('='))),
            replace_once(&t, &sig_field, &format!("\"sig\":\"{}\"", url(&b64_encode(&[0xfb; 64])))),
            replace_once(&t, &sig_field, &format!("\"sig\":\"{}\"", b64_encode(&[0xab; 63]))),
            replace_once(&t, &sig_field, &format!("\"sig\":\"{}\"", b64_encode(&[0xab; 65]))),
            replace_once(&t, &sig_field, &format!("\"sig\":\"{}\"", trailing_bits(&sig))),
            replace_once(&t, &sig_field, &format!("\"sig\":\" {}\"", &sig[1..])),
            replace_once(&t, &sig_field, "\"sig\":\"\""),
            // author.key: the same faults, and the small-order identity point.
            replace_once(&t, &key_field, &format!("\"key\":\"{}\",\"org\"", key.trim_end_matches('='))),
            replace_once(&t, &key_field, &format!("\"key\":\"{}\",\"org\"", url(&b64_encode(&[0xfb; 32])))),
            replace_once(&t, &key_field, &format!("\"key\":\"{}\",\"org\"", b64_encode(&[9; 31]))),
            replace_once(&t, &key_field, &format!("\"key\":\"{}\",\"org\"", b64_encode(&[9; 33]))),
            replace_once(&t, &key_field, &format!("\"key\":\"{}\",\"org\"", trailing_bits(&key))),
        ];
        for (i, bytes) in bad.iter().enumerate() {
            let msg = refused(bytes.as_bytes(), "R-ENV-1/2");
            assert!(
                msg.contains("base64") || msg.contains("length") || msg.contains("too long"),
                "{name} #{i}: {msg}"
            );
        }
        cases += bad.len();
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = replace_once(&t, &key_field, &format!("\"key\":\"{}\",\"org\"", b64_encode(&identity)));
        assert!(refused(weak.as_bytes(), "R-ENV-1/2").contains("weak"), "{name}");
        // A point not on the curve (y = 2).
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        let off = replace_once(&t, &key_field, &format!("\"key\":\"{}\",\"org\"", b64_encode(&off_curve)));
        assert!(refused(off.as_bytes(), "R-ENV-1/2").contains("not a valid Ed25519 public key"), "{name}");
        cases += 2;

        // Forgeries: another envelope's signature, another key, a changed body or time.
        if sig != other_sig {
            let msg = refused(replace_once(&t, &sig, &other_sig).as_bytes(), "R-ENV-7");
            assert!(msg.contains("author"), "{msg}");
            cases += 1;
        }
        let swapped =
            replace_once(&t, &key_field, &format!("\"key\":\"{}\",\"org\"", stranger.public().to_b64()));
        refused(swapped.as_bytes(), "R-ENV-7");
        let mut v = value(e);
        v["created_ms"] = json!(e.created_ms + 1);
        refused(&to_canonical(&v), "R-ENV-7");
        let mut v = value(e);
        v["author"]["org"] = json!(if e.author.org.as_str() == "bank-b" { "bank-a" } else { "bank-b" });
        refused(&to_canonical(&v), "R-ENV-7");
        // The body changed after signing, staying a valid body of its type.
        let mut v = value(e);
        let body = v["body"].as_object_mut().unwrap();
        let text_field =
            ["note", "reason", "name", "letter_no", "client"].into_iter().find(|k| body.contains_key(*k));
        let k = match text_field {
            Some(k) => {
                body[k] = json!(format!("{}x", body[k].as_str().unwrap()));
                k
            }
            None if body.contains_key("conclusion") => {
                let other = if body["conclusion"] == "matches" { "differences" } else { "matches" };
                body["conclusion"] = json!(other);
                "conclusion"
            }
            None => {
                body["valid_until"] = json!("2027-03-30");
                "valid_until"
            }
        };
        let msg = refused(&to_canonical(&v), "R-ENV-7");
        assert!(msg.contains("author"), "{name} body.{k}: {msg}");
        cases += 4;
        if let (Some(checker), Some(csig)) = (&e.checker, &e.checker_sig) {
            // The author's signature in the checker's place, and a stranger as checker.
            let c = replace_once(&t, &b64_encode(&csig.0), &sig);
            assert!(refused(c.as_bytes(), "R-ENV-7").contains("checker"));
            let c = replace_once(&t, &checker.key.to_b64(), &stranger.public().to_b64());
            refused(c.as_bytes(), "R-ENV-7");
            cases += 2;
        }
    }
    // Signed by a key other than the one named as author: `Draft::sign` refuses it too.
    let withdraw = envelope("withdraw");
    let draft = Draft {
        network: network().clone(),
        created_ms: withdraw.created_ms,
        author: withdraw.author.clone(),
        checker: None,
        document: withdraw.document.clone(),
    };
    let e = draft.sign(&stranger, None).unwrap_err();
    assert!(e.to_string().starts_with("R-ENV-7"), "{e}");
    cases += 1;
    eprintln!("bad base64, weak keys, forged signatures: {cases} inputs, all refused with their rule");
}

#[test]
fn r_env_3_to_6_version_network_checker_and_integers() {
    let mut cases = 0usize;
    let other = NetworkId::new("vouch.example/other").unwrap();
    for (name, e) in &fixture().envelopes {
        let v = value(e);
        let with = |f: &dyn Fn(&mut Value)| {
            let mut w = v.clone();
            f(&mut w);
            to_canonical(&w)
        };
        for version in [2u64, 3, 255, u32::MAX as u64] {
            let msg = refused(&with(&|w| w["v"] = json!(version)), "R-ENV-3");
            assert!(msg.contains("upgrade") && msg.contains(&version.to_string()), "{msg}");
            cases += 1;
        }
        for version in [0i64, -1, 1 << 32] {
            let expected = if version == 0 { "R-ENV-3" } else { "R-ENV-1/2" };
            refused(&with(&|w| w["v"] = json!(version)), expected);
            cases += 1;
        }
        // Another network: as claimed by the envelope, and as decoded by another node.
        let msg = refused(&with(&|w| w["network"] = json!("vouch.example/other")), "R-ENV-4");
        assert!(msg.contains("vouch.example/other"), "{msg}");
        refused_on(&e.bytes, &other, "R-ENV-4");
        refused(&with(&|w| w["network"] = json!("Vouch.example/demo")), "R-ENV-1/2");
        cases += 3;
        // Integers: above 2^53 (exactly representable, and not), over u64, negative.
        let msg = refused(&with(&|w| w["created_ms"] = json!((1u64 << 53) + 2)), "R-ENV-5");
        assert!(msg.contains("2^53"), "{msg}");
        refused(&with(&|w| w["created_ms"] = json!(1u64 << 60)), "R-ENV-5");
        refused(&with(&|w| w["created_ms"] = json!(-1)), "R-ENV-1/2");
        refused(&with(&|w| w["created_ms"] = json!(-(e.created_ms as i64))), "R-ENV-1/2");
        let t = text(e);
        let ms = format!("\"created_ms\":{}", e.created_ms);
        for big in ["9007199254740993", "18446744073709551615", "18446744073709551616", "1e400", "-0"] {
            refused(replace_once(&t, &ms, &format!("\"created_ms\":{big}")).as_bytes(), "R-ENV-");
        }
        cases += 9;
        // A document type that does not exist, and one of another type's name.
        refused(&with(&|w| w["type"] = json!("confirmation")), "R-ENV-1/2");
        refused(&with(&|w| w["type"] = json!("Request")), "R-ENV-1/2");
        refused(&with(&|w| w["type"] = json!("")), "R-ENV-1/2");
        let other_type = if e.doc_type().as_str() == "withdraw" { "decline" } else { "withdraw" };
        refused(&with(&|w| w["type"] = json!(other_type)), "R-ENV-");
        cases += 4;
        // Checker presence (R-ENV-6).
        if e.doc_type().needs_checker() {
            let msg = refused(
                &with(&|w| {
                    let o = w.as_object_mut().unwrap();
                    o.remove("checker");
                    o.remove("checker_sig");
                }),
                "R-ENV-6",
            );
            assert!(msg.contains("needs a second signer"), "{name}: {msg}");
            refused(&with(&|w| drop(w.as_object_mut().unwrap().remove("checker_sig"))), "R-ENV-6");
            refused(&with(&|w| drop(w.as_object_mut().unwrap().remove("checker"))), "R-ENV-6");
            cases += 3;
        } else {
            let checker = json!({"key": SigningKey::from_seed(&[3; 32]).public().to_b64(), "org": "bank-a"});
            let msg = refused(
                &with(&|w| {
                    w["checker"] = checker.clone();
                    w["checker_sig"] = w["sig"].clone();
                }),
                "R-ENV-6",
            );
            assert!(msg.contains("must not carry a checker"), "{name}: {msg}");
            refused(&with(&|w| w["checker"] = checker.clone()), "R-ENV-6");
            refused(&with(&|w| w["checker_sig"] = w["sig"].clone()), "R-ENV-6");
            cases += 3;
        }
    }
    eprintln!("version, network, checker, integers, types: {cases} inputs, all refused with their rule");
}

// ---------------------------------------------------------------------------------------
// 2. Genesis.
// ---------------------------------------------------------------------------------------

#[track_caller]
fn genesis_refused(g: &Value, rule: &str) -> GenesisError {
    let bytes = to_canonical(g);
    let e = Genesis::decode(&bytes).expect_err("bad genesis accepted");
    assert!(e.to_string().starts_with(rule), "expected {rule}, got {e}");
    let again = Genesis::from_json(&serde_json::to_vec_pretty(g).unwrap()).expect_err("bad genesis accepted");
    assert_eq!(again, e);
    e
}

#[test]
fn r_gen_bad_genesis_documents_are_refused() {
    let genesis = &fixture().ledger.net.genesis;
    let bytes = genesis.to_canonical();
    assert_eq!(Genesis::decode(&bytes).as_ref(), Ok(genesis));
    let g: Value = serde_json::from_slice(&bytes).unwrap();
    let mut cases = 1usize;
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut w = g.clone();
        f(&mut w);
        w
    };

    // Shape faults carry no R-GEN rule: they are the canonical decoder's (R-ENV-1/2-like).
    for at in (0..bytes.len()).step_by(97).chain(bytes.len() - 8..bytes.len()) {
        let e = Genesis::decode(&bytes[..at]).unwrap_err();
        assert!(matches!(e, GenesisError::Decode(_)), "{e}");
        assert!(Genesis::from_json(&bytes[..at]).is_err());
        cases += 2;
    }
    let pretty = serde_json::to_vec_pretty(&g).unwrap();
    assert!(matches!(Genesis::decode(&pretty), Err(GenesisError::Decode(_))), "pretty is not canonical");
    assert_eq!(Genesis::from_json(&pretty).as_ref(), Ok(genesis), "from_json takes any spelling");
    for unknown in [
        edit(&|w| w["zzz"] = json!(1)),
        edit(&|w| w["orgs"][0]["zzz"] = json!(1)),
        edit(&|w| w["orgs"][0]["validator"]["zzz"] = json!(1)),
        edit(&|w| w["policy"]["zzz"] = json!(1)),
        edit(&|w| w["utc_offset_minutes"] = json!(32768)),
        edit(&|w| w["utc_offset_minutes"] = json!(480.5)),
        edit(&|w| w["protocol"] = json!("1")),
        edit(&|w| w["orgs"][0]["role"] = json!("auditor")),
    ] {
        let e = Genesis::decode(&to_canonical(&unknown)).unwrap_err();
        assert!(matches!(e, GenesisError::Decode(_)), "{e}");
        let e = Genesis::from_json(&serde_json::to_vec(&unknown).unwrap()).unwrap_err();
        assert!(matches!(e, GenesisError::Decode(_)), "{e}");
        cases += 2;
    }
    let dup =
        replace_once(std::str::from_utf8(&bytes).unwrap(), "\"protocol\":1", "\"protocol\":1,\"protocol\":1");
    assert!(matches!(Genesis::from_json(dup.as_bytes()), Err(GenesisError::Decode(_))));
    cases += 3;

    let admin0 = g["orgs"][0]["admin_key"].clone();
    let validator1 = g["orgs"][1]["validator"]["key"].clone();
    let rules: Vec<(Value, &str)> = vec![
        (edit(&|w| w["protocol"] = json!(2)), "R-GEN-1"),
        (edit(&|w| w["protocol"] = json!(0)), "R-GEN-1"),
        (edit(&|w| w["orgs"][1]["id"] = w["orgs"][0]["id"].clone()), "R-GEN-2"),
        (edit(&|w| w["orgs"][1]["admin_key"] = admin0.clone()), "R-GEN-3"),
        (edit(&|w| w["orgs"][0]["validator"]["key"] = admin0.clone()), "R-GEN-3"),
        (edit(&|w| w["orgs"][0]["validator"]["key"] = validator1.clone()), "R-GEN-3"),
        (
            edit(&|w| {
                for o in w["orgs"].as_array_mut().unwrap() {
                    o.as_object_mut().unwrap().remove("validator");
                }
            }),
            "R-GEN-4",
        ),
        (edit(&|w| w["orgs"][2]["validator"]["power"] = json!(0)), "R-GEN-4"),
        (edit(&|w| w["orgs"][2]["validator"]["power"] = json!(1u64 << 53)), "R-GEN-4"),
        (edit(&|w| w["orgs"] = json!([])), "R-GEN-5"),
        (edit(&|w| w["orgs"][0]["name"] = json!("")), "R-GEN-6"),
        (edit(&|w| w["orgs"][0]["name"] = json!("x".repeat(257))), "R-GEN-6"),
        (edit(&|w| w["genesis_ms"] = json!((1u64 << 53) + 2)), "R-GEN-12"),
        (edit(&|w| w["policy"]["authorization_window_days"] = json!(0)), "R-GEN-7"),
        (edit(&|w| w["policy"]["response_days_default"] = json!(0)), "R-GEN-7"),
        (edit(&|w| w["policy"]["response_days_default"] = json!(RESPONSE_DAYS_MAX + 1)), "R-GEN-7"),
        (edit(&|w| w["policy"]["authorization_window_days"] = json!(u32::MAX)), "R-GEN-7"),
        (edit(&|w| w["utc_offset_minutes"] = json!(841)), "R-GEN-8"),
        (edit(&|w| w["utc_offset_minutes"] = json!(-721)), "R-GEN-8"),
        (edit(&|w| w["utc_offset_minutes"] = json!(-32768)), "R-GEN-8"),
        (edit(&|w| w["calendar"] = json!([w["calendar"][0], w["calendar"][0]])), "R-GEN-9"),
        (edit(&|w| w["calendar"][0]["year"] = json!(2025)), "R-GEN-9"),
        (edit(&|w| w["orgs"].as_array_mut().unwrap().retain(|o| o["role"] != "regulator")), "R-GEN-10"),
    ];
    for (g, rule) in &rules {
        genesis_refused(g, rule);
        cases += 2;
    }
    // Boundaries that are valid.
    for ok in [
        edit(&|w| w["policy"]["response_days_default"] = json!(RESPONSE_DAYS_MAX)),
        edit(&|w| w["utc_offset_minutes"] = json!(840)),
        edit(&|w| w["utc_offset_minutes"] = json!(-720)),
    ] {
        Genesis::decode(&to_canonical(&ok)).unwrap();
        cases += 1;
    }
    eprintln!("genesis: {cases} inputs, each refused with its rule (or accepted at a valid boundary)");
}

/// `y + p` for `y = 3`: a point on the curve, of large order, in a non-canonical encoding
/// (the canonical one is `AwAA…AAA=`).
const NON_CANONICAL_KEY: &str = "8P///////////////////////////////////////38=";

#[test]
fn r_env_1_2_a_non_canonical_key_encoding_is_refused() {
    let mut faults = Vec::new();
    if let Ok(k) = vouch_core::keys::PublicKey::from_b64(NON_CANONICAL_KEY) {
        faults
            .push(format!("PublicKey::from_b64({NON_CANONICAL_KEY:?}) = Ok({k:?}): one key, two spellings"));
    }
    // As an envelope's author key: should be a shape fault (R-ENV-1/2), not only a bad signature.
    let e = envelope("withdraw");
    let key_field = format!("\"key\":\"{}\",\"org\"", e.author.key.to_b64());
    let bad = replace_once(&text(e), &key_field, &format!("\"key\":\"{NON_CANONICAL_KEY}\",\"org\""));
    match Envelope::decode(bad.as_bytes(), network()) {
        Err(err) if err.to_string().starts_with("R-ENV-1/2") => {}
        other => faults.push(format!("author key {NON_CANONICAL_KEY}: {other:?}, expected R-ENV-1/2")),
    }
    // As the key an admin enrolls: the envelope must not sign and decode.
    if let Ok(key) = vouch_core::keys::PublicKey::from_b64(NON_CANONICAL_KEY) {
        let admin = fixture().ledger.org("bank-b").unwrap().admin.clone();
        let draft = Draft {
            network: network().clone(),
            created_ms: e.created_ms,
            author: Signer { org: vouch_core::ids::OrgId::new("bank-b").unwrap(), key: admin.public() },
            checker: None,
            document: Document::Enroll(vouch_core::documents::Enroll {
                person: vouch_core::ids::PersonId::new("ghost").unwrap(),
                name: "Ghost".into(),
                title: "Nobody".into(),
                key,
            }),
        };
        if let Ok(env) = draft.sign(&admin, None) {
            faults.push(format!(
                "an enroll of the non-canonical key decoded: {}",
                String::from_utf8_lossy(&env.bytes)
            ));
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

#[test]
fn r_env_3_a_future_envelope_with_new_fields_asks_to_upgrade() {
    let mut v = value(envelope("withdraw"));
    v["v"] = json!(2);
    v["expires_ms"] = json!(1);
    assert!(refused(&to_canonical(&v), "R-ENV-3").contains("upgrade"));
    let mut v = value(envelope("withdraw"));
    v["v"] = json!(2);
    v["type"] = json!("reminder");
    assert!(refused(&to_canonical(&v), "R-ENV-3").contains("upgrade"));
}

// ---------------------------------------------------------------------------------------
// Byte mutations (`vouch_core::testkit::mutate`) as proptest strategies, for the bundle,
// envelope and chain tests; the checkpoint and note loops draw from a seeded `Mutator`.
// ---------------------------------------------------------------------------------------

fn byte_strategy() -> impl Strategy<Value = u8> {
    prop_oneof![any::<u8>(), proptest::sample::select(INTERESTING.to_vec())]
}

fn mutation_strategy() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), prop_oneof![(0u8..8).prop_map(|b| 1u8 << b), 1u8..])
            .prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        3 => (any::<usize>(), byte_strategy()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        2 => (any::<usize>(), byte_strategy()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        2 => any::<usize>().prop_map(|at| Mutation::Delete { at }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        2 => (any::<usize>(), any::<usize>(), 1usize..96, any::<usize>(), any::<bool>())
            .prop_map(|(from, src, len, dst, overwrite)| Mutation::Splice { from, src, len, dst, overwrite }),
    ]
}

fn mutations_strategy() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation_strategy(), 1..4)
}

fn config(cases: u32, seed: u64) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    }
}

/// The rule ids an error message cites, outermost first (`R-BUN-4>R-ENV-7`); `?` if none.
fn rule_of(msg: &str) -> String {
    let rules: Vec<&str> = msg.split(": ").filter(|s| s.starts_with("R-") && s.len() <= 10).take(2).collect();
    if rules.is_empty() { "?".into() } else { rules.join(">") }
}

fn summary(counts: &BTreeMap<String, usize>) -> String {
    counts.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------
// 3. Checkpoints, notes and bundles under random mutation.
// ---------------------------------------------------------------------------------------

#[test]
fn mutated_checkpoints_never_panic_and_never_change_what_is_verified() {
    let f = fixture();
    let genesis = &f.ledger.net.genesis;
    let original = verify_checkpoint_note(f.checkpoint.as_bytes(), genesis).unwrap().0.checkpoint;
    let pool: Vec<&[u8]> = vec![f.checkpoint.as_bytes()];
    let mut mutator = Mutator::new(0x5eed_c4e7);
    let mut counts = BTreeMap::<String, usize>::new();
    const CASES: usize = 20_000;
    for _ in 0..CASES {
        let bytes = mutator.mutate(f.checkpoint.as_bytes(), &pool);
        let parsed = CosignedCheckpoint::parse_note(&bytes);
        let verified = verify_checkpoint_note(&bytes, genesis);
        if let Err(parse_error) = parsed {
            assert_eq!(verified.as_ref().err(), Some(&BundleError::Checkpoint(parse_error)));
        }
        let outcome = match verified {
            Ok((cosigned, quorum)) => {
                assert_eq!(
                    cosigned.checkpoint,
                    original,
                    "a mutated checkpoint verified with other content: {:?}",
                    String::from_utf8_lossy(&bytes)
                );
                assert!(quorum.signed_power * 3 > quorum.total_power * 2);
                "accepted (same checkpoint)".to_string()
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.starts_with("R-"), "{msg}");
                rule_of(&msg)
            }
        };
        *counts.entry(outcome).or_default() += 1;
    }
    eprintln!("mutated checkpoints: {CASES} inputs; {}", summary(&counts));
}

#[test]
fn mutated_signed_notes_never_panic_and_never_change_what_is_verified() {
    let key = SigningKey::from_seed(&[77; 32]);
    let signer = note::SignerKey::new("vouch.example/notary", key).unwrap();
    let other = note::SignerKey::new("vouch.example/other", SigningKey::from_seed(&[78; 32])).unwrap();
    let text = "vouch.example/demo\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nextension: 中文\n";
    let signed = signer.sign(text).unwrap();
    let also = other.sign(text).unwrap();
    let both = format!("{signed}{}", also.rsplit("\n\n").next().unwrap());
    let trusted = note::trust([&signer.verifier()]).unwrap();
    let (t, signers) = note::open_verified(both.as_bytes(), &trusted).unwrap();
    assert_eq!(t, text);
    let pool: Vec<&[u8]> = vec![both.as_bytes(), signed.as_bytes(), also.as_bytes()];
    let mut mutator = Mutator::new(0x5eed_0007);
    let mut counts = BTreeMap::<String, usize>::new();
    const CASES: usize = 20_000;
    for _ in 0..CASES {
        let bytes = mutator.mutate(both.as_bytes(), &pool);
        let opened = note::open_note(&bytes);
        let outcome = match note::open_verified(&bytes, &trusted) {
            Ok((t, s)) => {
                assert_eq!(
                    t,
                    text,
                    "a mutated note verified with other text: {:?}",
                    String::from_utf8_lossy(&bytes)
                );
                assert_eq!(s, signers);
                "accepted (same text)".to_string()
            }
            Err(e) => {
                if let Err(open_error) = &opened {
                    assert_eq!(open_error, &e);
                }
                rule_of(&e.to_string())
            }
        };
        assert!(outcome.starts_with("R-NOTE-") || outcome.starts_with("accepted"), "{outcome}");
        *counts.entry(outcome).or_default() += 1;
    }
    eprintln!("mutated signed notes: {CASES} inputs; {}", summary(&counts));
}

/// What a bundle proves, leaving out which cosigners' lines happened to be readable.
fn proven(r: &BundleReport) -> BundleReport {
    BundleReport { cosigned_power: (0, 0), cosigners: Vec::new(), ..r.clone() }
}

#[test]
fn mutated_bundles_never_panic_and_never_change_the_report() {
    let f = fixture();
    let pinned = f.ledger.net.genesis.hash();
    let pretty = serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&f.bundle).unwrap()).unwrap();
    // Spellings of the JSON container are free; the report is the same.
    assert_eq!(verify_bundle(&pretty, &pinned).as_ref(), Ok(&f.report));
    assert_eq!(f.report.request, f.request);
    let pool: Vec<&[u8]> =
        f.envelopes.iter().map(|(_, e)| e.bytes.as_slice()).chain([f.bundle.as_slice()]).collect();
    let counts = RefCell::new(BTreeMap::<String, usize>::new());
    let mut runner = TestRunner::new(config(300, 0x5eed_b0d1));
    let result = runner.run(&(any::<bool>(), mutations_strategy()), |(use_pretty, mutations)| {
        let mut bytes = if use_pretty { pretty.clone() } else { f.bundle.clone() };
        for m in &mutations {
            m.apply(&mut bytes, &pool);
        }
        let outcome = match verify_bundle(&bytes, &pinned) {
            Ok(report) => {
                prop_assert_eq!(proven(&report), proven(&f.report), "mutations {:?}", mutations);
                prop_assert!(report.cosigners.iter().all(|c| f.report.cosigners.contains(c)));
                prop_assert!(report.cosigned_power.0 * 3 > report.cosigned_power.1 * 2);
                "accepted (same report)".to_string()
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.starts_with("R-BUN-"), "{}", msg);
                rule_of(&msg)
            }
        };
        *counts.borrow_mut().entry(outcome).or_default() += 1;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let counts = counts.into_inner();
    let total: usize = counts.values().sum();
    eprintln!("mutated bundles (proptest): {total} inputs; {}", summary(&counts));
}

// ---------------------------------------------------------------------------------------
// 4. Seeded proptests: envelopes and chains.
// ---------------------------------------------------------------------------------------

#[test]
fn proptest_mutated_envelopes_are_refused_or_identical() {
    let f = fixture();
    let originals: BTreeSet<Hash> = f.ledger.committed.iter().map(|e| e.id).collect();
    let pool: Vec<&[u8]> = f.ledger.committed.iter().map(|e| e.bytes.as_slice()).collect();
    let counts = RefCell::new(BTreeMap::<String, usize>::new());
    let mut runner = TestRunner::new(config(10_000, 0x5eed_e1e0));
    let result = runner.run(&(any::<Index>(), mutations_strategy()), |(which, mutations)| {
        let original = pool[which.index(pool.len())];
        let mut bytes = original.to_vec();
        for m in &mutations {
            m.apply(&mut bytes, &pool);
        }
        let outcome = match Envelope::decode(&bytes, network()) {
            Ok(e) => {
                prop_assert!(originals.contains(&e.id), "a mutated envelope was accepted: {:?}", mutations);
                prop_assert_eq!(&e.bytes, &bytes);
                "accepted (an original)".to_string()
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.starts_with("R-ENV-"), "{}", msg);
                rule_of(&msg)
            }
        };
        *counts.borrow_mut().entry(outcome).or_default() += 1;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let counts = counts.into_inner();
    let total: usize = counts.values().sum();
    eprintln!("mutated envelopes (proptest): {total} inputs; {}", summary(&counts));
}

#[derive(Debug, Clone)]
enum ChainTarget {
    Document {
        block: Index,
        doc: Index,
    },
    Header {
        block: Index,
    },
    Certificate {
        block: Index,
    },
    /// One header field set to a nearby or arbitrary value, or one bit of a hash flipped.
    HeaderField {
        block: Index,
        field: u8,
        value: u64,
    },
}

fn chain_target_strategy() -> impl Strategy<Value = ChainTarget> {
    prop_oneof![
        3 => (any::<Index>(), any::<Index>()).prop_map(|(block, doc)| ChainTarget::Document { block, doc }),
        1 => any::<Index>().prop_map(|block| ChainTarget::Header { block }),
        1 => any::<Index>().prop_map(|block| ChainTarget::Certificate { block }),
        2 => (any::<Index>(), any::<u8>(), prop_oneof![0u64..16, any::<u64>()])
            .prop_map(|(block, field, value)| ChainTarget::HeaderField { block, field, value }),
    ]
}

fn mutate_json<T: serde::Serialize + serde::de::DeserializeOwned>(
    value: &T,
    mutations: &[Mutation],
    pool: &[&[u8]],
) -> Option<T> {
    let mut bytes = serde_json::to_vec(value).unwrap();
    for m in mutations {
        m.apply(&mut bytes, pool);
    }
    serde_json::from_slice(&bytes).ok()
}

#[test]
fn proptest_mutated_chains_are_refused_or_unchanged() {
    let f = fixture();
    let genesis = &f.ledger.net.genesis;
    let blocks = &f.ledger.blocks;
    let with_documents: Vec<usize> = (0..blocks.len()).filter(|i| !blocks[*i].documents.is_empty()).collect();
    let pool: Vec<&[u8]> = f.ledger.committed.iter().map(|e| e.bytes.as_slice()).collect();
    let counts = RefCell::new(BTreeMap::<String, usize>::new());
    // Unmutated, each part round-trips through its JSON.
    assert_eq!(mutate_json(&blocks[0].header, &[], &pool).as_ref(), Some(&blocks[0].header));
    assert_eq!(mutate_json(&blocks[0].certificate, &[], &pool).as_ref(), Some(&blocks[0].certificate));
    let mut runner = TestRunner::new(config(100, 0x5eed_c4a1));
    let result = runner.run(&(chain_target_strategy(), mutations_strategy()), |(target, mutations)| {
        let mut chain: Vec<Block> = blocks.clone();
        let k = match &target {
            ChainTarget::Document { block, doc } => {
                let k = with_documents[block.index(with_documents.len())];
                let docs = &mut chain[k].documents;
                let j = doc.index(docs.len());
                let Some(v) = mutate_json::<Value>(&docs[j], &mutations, &pool) else {
                    *counts.borrow_mut().entry("not JSON".into()).or_default() += 1;
                    return Ok(());
                };
                docs[j] = v;
                k
            }
            ChainTarget::Header { block } => {
                let k = block.index(chain.len());
                let Some(h) = mutate_json::<Header>(&chain[k].header, &mutations, &pool) else {
                    *counts.borrow_mut().entry("not a header".into()).or_default() += 1;
                    return Ok(());
                };
                chain[k].header = h;
                k
            }
            ChainTarget::Certificate { block } => {
                let k = block.index(chain.len());
                let Some(c) = mutate_json::<Certificate>(&chain[k].certificate, &mutations, &pool) else {
                    *counts.borrow_mut().entry("not a certificate".into()).or_default() += 1;
                    return Ok(());
                };
                chain[k].certificate = c;
                k
            }
            ChainTarget::HeaderField { block, field, value } => {
                let k = block.index(chain.len());
                let h = &mut chain[k].header;
                let set =
                    |orig: u64| if *value < 16 { orig.wrapping_add(*value).wrapping_sub(8) } else { *value };
                let bit = |hash: &mut Hash| hash.0[(*value % 32) as usize] ^= 1 << (*value % 8);
                match field % 7 {
                    0 => h.height = set(h.height),
                    1 => h.time_ms = set(h.time_ms),
                    2 => h.documents = set(h.documents),
                    3 => h.tree_size = set(h.tree_size),
                    4 => bit(&mut h.prev),
                    5 => bit(&mut h.root),
                    _ => bit(&mut h.validators),
                }
                k
            }
        };
        // Verify the chain up to the mutated block (the rest is unchanged).
        let prefix = &chain[..=k];
        let outcome = match verify_chain(genesis, prefix) {
            Ok(_) => {
                for (mutated, original) in prefix.iter().zip(blocks) {
                    prop_assert_eq!(&mutated.header, &original.header, "{:?} {:?}", target, mutations);
                    let leaves = |b: &Block| b.documents.iter().map(to_canonical).collect::<Vec<_>>();
                    prop_assert_eq!(leaves(mutated), leaves(original), "{:?} {:?}", target, mutations);
                    prop_assert_eq!(mutated.certificate.round, original.certificate.round);
                    for s in &mutated.certificate.signatures {
                        prop_assert!(
                            original.certificate.signatures.contains(s),
                            "{:?} {:?}",
                            target,
                            mutations
                        );
                    }
                }
                "accepted (same chain)".to_string()
            }
            Err(e) => {
                let msg = e.fault.to_string();
                let rule = rule_of(&msg);
                prop_assert!(rule.starts_with("R-BLK-"), "{}", e);
                rule
            }
        };
        *counts.borrow_mut().entry(outcome).or_default() += 1;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let counts = counts.into_inner();
    let total: usize = counts.values().sum();
    eprintln!("mutated chains (proptest): {total} inputs; {}", summary(&counts));
}

/// R-GEN-13: a validator's org may not also list a node key; a node key that repeats
/// another key is refused under R-GEN-3; an observer's node key alone is accepted.
#[test]
fn r_gen_13_node_key_rules() {
    use vouch_core::genesis::GenesisError;
    use vouch_core::keys::SigningKey;
    use vouch_core::testkit::DemoNetwork;
    let net = DemoNetwork::new(13).unwrap();
    let mut g = net.genesis.clone();
    g.orgs[0].node_key = Some(SigningKey::from_seed(&[13; 32]).public());
    assert!(matches!(g.validate(), Err(GenesisError::NodeKey(_))), "{:?}", g.validate());
    assert!(g.validate().unwrap_err().to_string().starts_with("R-GEN-13"));
    let mut g = net.genesis.clone();
    g.orgs[0].validator = None;
    g.orgs[0].node_key = Some(g.orgs[1].admin_key);
    assert!(matches!(g.validate(), Err(GenesisError::DuplicateKey(_))), "{:?}", g.validate());
    let mut g = net.genesis.clone();
    g.orgs[0].validator = None;
    g.orgs[0].node_key = Some(SigningKey::from_seed(&[13; 32]).public());
    g.validate().unwrap();
    assert_eq!(g.node_keys().iter().filter(|(_, _, v)| !v).count(), 1);
}
