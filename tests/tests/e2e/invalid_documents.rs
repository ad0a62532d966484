//! Scenario 6: invalid documents are refused with the rule named and enter no block:
//! a flipped signature byte, an answer by a bank the request was not addressed to, a
//! replay of a committed envelope (no second leaf), an answer to a withdrawn request.

use crate::common;

use common::*;
use std::time::Duration;
use vouch_core::documents::{Conclusion, Document, Withdraw};
use vouch_core::testkit::demo_response_contents;
use vouch_testnet::client::{Problem, Submitted, leaf_hash};
use vouch_testnet::demo::{commit_pending, sync_clock};

fn refused(net: &vouch_testnet::Testnet, node: usize, bytes: &[u8], what: &str) -> Problem {
    match net.submit(node, bytes).unwrap_or_else(|e| panic!("{e}")) {
        Submitted::Refused(p) => {
            let rule = p.rule.clone().unwrap_or_default();
            assert!(rule.starts_with("R-"), "{what}: refusal names no rule: {p}");
            p
        }
        other => panic!("{what} was not refused: {other:?}\n{}", net.logs(15)),
    }
}

/// The envelope with one byte of its author signature flipped, still canonical JSON.
fn flip_signature(bytes: &[u8]) -> Vec<u8> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{e}"));
    let sig = value.get("sig").and_then(|s| s.as_str()).unwrap_or_else(|| panic!("no sig")).to_string();
    let mut raw = vouch_core::encoding::b64_decode(&sig, 64).unwrap_or_else(|e| panic!("{e}"));
    if let Some(b) = raw.get_mut(10) {
        *b ^= 0x01;
    }
    if let Some(o) = value.as_object_mut() {
        o.insert("sig".into(), serde_json::Value::String(vouch_core::encoding::b64_encode(&raw)));
    }
    vouch_core::canonical::to_canonical(&value)
}

#[test]
fn invalid_documents_are_refused_and_enter_no_block() {
    let _serial = serial();
    let (_tmp, net) = start(107);
    let mut cast = Cast::enroll(&net);
    let clients = net.clients();
    let validators = net.validators();
    let fail = |e: &dyn std::fmt::Display| -> ! { panic!("{e}\n{}", net.logs(15)) };
    let as_of = vouch_core::date::Date::parse("2025-12-31").unwrap_or_else(|e| panic!("{e}"));
    let contents = vouch_core::testkit::demo_request_contents().unwrap_or_else(|e| panic!("{e}"));
    let tag = cast.tag.clone();

    // Two requests to bank-a: one authorized, one withdrawn.
    let l = &mut cast.ledger;
    sync_clock(l);
    let form = vouch_core::documents::Form::Form1;
    let scope = vouch_core::documents::Scope::WholeBank;
    let r1 = l
        .request(
            &cast.auditor_x,
            &cast.client_a,
            &format!("BAD-{tag}-1"),
            form,
            scope.clone(),
            as_of,
            &contents,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let r2 = l
        .request(
            &cast.auditor_x,
            &cast.client_a,
            &format!("BAD-{tag}-2"),
            form,
            scope.clone(),
            as_of,
            &contents,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let first = commit_pending(l, &clients, &validators, &["request 1".into(), "request 2".into()])
        .unwrap_or_else(|e| fail(&e));
    sync_clock(l);
    let until = vouch_core::date::Date::from_unix_ms(l.now_ms + 365 * 86_400_000, 480);
    l.authorize(&cast.client_a, &r1, until).unwrap_or_else(|e| panic!("{e}"));
    l.submit(
        (&cast.auditor_x.signer(), &cast.auditor_x.key),
        None,
        Document::Withdraw(Withdraw { request: r2.id, reason: "sent in error / 误发".into() }),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    commit_pending(l, &clients, &validators, &["authorization".into(), "withdrawal".into()])
        .unwrap_or_else(|e| fail(&e));
    let size = net
        .wait_for_agreement(&net.members(), l.verifier.tree().size(), AGREE_TIMEOUT)
        .unwrap_or_else(|e| fail(&e))
        .0;

    // Bad signature.
    sync_clock(l);
    let r3 = l
        .request(&cast.auditor_x, &cast.client_a, &format!("BAD-{tag}-3"), form, scope, as_of, &contents)
        .unwrap_or_else(|e| panic!("{e}"));
    l.pending.clear();
    let bad_sig = flip_signature(&r3.bytes);
    let p = refused(&net, 0, &bad_sig, "a flipped signature");
    println!("bad signature: {p}");

    // Wrong bank: bank-b answers a request addressed to bank-a.
    let answer = demo_response_contents().unwrap_or_else(|e| panic!("{e}"));
    let wrong_bank = l
        .respond(&cast.maker_b, &cast.checker_b, &r1, Conclusion::Differences, &answer, None)
        .unwrap_or_else(|e| panic!("{e}"));
    l.pending.clear();
    let p = refused(&net, 1, &wrong_bank.bytes, "an answer by the wrong bank");
    println!("wrong bank: {p}");

    // Answer to a withdrawn request.
    let to_withdrawn = l
        .respond(&cast.maker_a, &cast.checker_a, &r2, Conclusion::Differences, &answer, None)
        .unwrap_or_else(|e| panic!("{e}"));
    l.pending.clear();
    let p = refused(&net, 2, &to_withdrawn.bytes, "an answer to a withdrawn request");
    println!("withdrawn: {p}");

    // Replay of a committed envelope: the same leaf, or a refusal naming R-ST-1.
    let (r1_ack, _) = first.first().cloned().unwrap_or_else(|| panic!("no ack"));
    match net.submit(3, &r1.bytes).unwrap_or_else(|e| panic!("{e}")) {
        Submitted::Committed(c) => assert_eq!(c.leaf_index, r1_ack.leaf_index, "a replay made a second leaf"),
        Submitted::Refused(p) => assert_eq!(p.rule.as_deref(), Some("R-ST-1"), "replay refusal: {p}"),
        other => panic!("replay answered {other:?}"),
    }

    // None of it entered a block, on any node.
    std::thread::sleep(Duration::from_secs(3));
    let members = net.members();
    let (after, _) = roots_agree(&net, &members, size);
    assert_eq!(after, size, "the tree grew: something refused was committed\n{}", net.logs(15));
    for bytes in [&bad_sig, &wrong_bank.bytes, &to_withdrawn.bytes] {
        let leaf = leaf_hash(bytes);
        for i in &members {
            let found = net.find_leaf(*i, &leaf, 1).unwrap_or_else(|e| panic!("{e}"));
            assert!(found.is_none(), "node {i} committed a refused document at {found:?}");
        }
    }
    one_block_per_height(&net, &members);
}
