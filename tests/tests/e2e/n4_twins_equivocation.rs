//! Scenario 8: twins: two processes share one validator key (1/4 of the power). No fork
//! (every node has one block per height, the same everywhere, and every acknowledged
//! document is in place), and the equivocation is detected and reported (`evidence` > 0
//! on at least one honest node in bounded time).
//!
//! And issue 7's canary: twins holding more than a third of the power do fork the
//! network, and the campaign's checker reports it.

use crate::common;

use common::*;
use std::time::Duration;
use vouch_testnet::Testnet;
use vouch_testnet::actors::{add_twin, split_with_twins};
use vouch_testnet::chaos::check;
use vouch_testnet::client::Committed;

/// The validator that gets a twin.
const TWINNED: usize = 3;
/// The honest validator that peers with the twin instead of the original.
const TWIN_SIDE: usize = 2;

/// Longest detection may take once the load is done.
const DETECT_TIMEOUT: Duration = Duration::from_secs(90);

/// A network where validator `TWINNED` runs twice, after 100 documents committed while
/// both twins ran (so both proposed and voted).
fn twins_under_load(seed: u64) -> (ScenarioDir, Testnet, Vec<Committed>, u64) {
    let (tmp, mut net) = create(seed);
    let twin = add_twin(&mut net, TWINNED, &[TWIN_SIDE]).unwrap_or_else(|e| panic!("{e}"));
    net.start_all().unwrap_or_else(|e| panic!("{e}"));
    net.start(twin).unwrap_or_else(|e| panic!("{e}"));
    net.wait_for_height(&net.members(), 1, START_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    let mut cast = Cast::enroll(&net);
    let validators = net.validators();
    let mut acks = Vec::new();
    for _ in 0..4 {
        acks.extend(commit_all(&net, &validators, &cast.requests(25)));
    }
    let size = cast.ledger.verifier.tree().size() + 100;
    (tmp, net, acks, size)
}

fn honest(net: &Testnet) -> Vec<usize> {
    net.members().into_iter().filter(|i| *i != TWINNED).collect()
}

#[test]
fn n4_twins_no_fork() {
    let _serial = serial();
    let (_tmp, net, acks, size) = twins_under_load(109);
    let everyone: Vec<usize> = (0..net.len()).collect();
    let honest = honest(&net);
    roots_agree(&net, &honest, size);
    one_block_per_height(&net, &everyone);
    acknowledged_present(&net, &honest, &acks);
}

#[test]
fn n4_twins_equivocation_reported() {
    let _serial = serial();
    let (_tmp, net, _acks, _size) = twins_under_load(111);
    let honest = honest(&net);
    let detected = vouch_testnet::wait_until(DETECT_TIMEOUT, Duration::from_millis(500), || {
        honest.iter().any(|i| net.status(*i).ok().and_then(|s| s.evidence).unwrap_or(0) > 0)
    });
    let everyone: Vec<usize> = (0..net.len()).collect();
    one_block_per_height(&net, &everyone);
    assert!(
        detected,
        "no honest node reported the twins' equivocation within {} s\n{}",
        DETECT_TIMEOUT.as_secs(),
        net.logs(20)
    );
    // Check every record as an examiner would, from the JSON and the public key alone.
    let twinned = net.demo_network().genesis.validators()[TWINNED].key.to_b64();
    let mut proven = 0;
    for i in &honest {
        let list = net.client(*i).and_then(|c| Ok(c.evidence()?)).unwrap_or_else(|e| panic!("{e}"));
        for record in list.as_array().unwrap_or_else(|| panic!("evidence is not a list: {list}")) {
            if record["kind"] == "conflicting-checkpoint" {
                panic!("an honest node saw a conflicting checkpoint: {record}");
            }
            let e = &record["evidence"];
            assert_eq!(
                e["validator"].as_str(),
                Some(twinned.as_str()),
                "evidence names an honest validator: {record}"
            );
            check_equivocation(e);
            proven += 1;
        }
    }
    assert!(proven > 0, "evidence was counted but none could be read");
}

/// Both messages are signed by the named key over `domain || message`, are for the same
/// height and round, and differ.
fn check_equivocation(e: &serde_json::Value) {
    use vouch_core::domain::{CONSENSUS_MESSAGE, PRECOMMIT_VOTE};
    use vouch_core::encoding::{b64_decode, b64_decode_array};
    use vouch_core::keys::{PublicKey, Signature};
    let key = PublicKey::from_b64(e["validator"].as_str().unwrap_or_default())
        .unwrap_or_else(|err| panic!("{err}: {e}"));
    let mut messages = Vec::new();
    for side in ["first", "second"] {
        let part = &e[side];
        let domain = match part["domain"].as_str() {
            Some(d) if d == PRECOMMIT_VOTE.0 => PRECOMMIT_VOTE,
            Some(d) if d == CONSENSUS_MESSAGE.0 => CONSENSUS_MESSAGE,
            other => panic!("unknown domain {other:?}: {e}"),
        };
        let message = b64_decode(part["message"].as_str().unwrap_or_default(), 4096)
            .unwrap_or_else(|err| panic!("{err}: {e}"));
        let sig = Signature(
            b64_decode_array(part["signature"].as_str().unwrap_or_default())
                .unwrap_or_else(|err| panic!("{err}: {e}")),
        );
        key.verify(domain, &message, &sig).unwrap_or_else(|err| panic!("{side} signature: {err}: {e}"));
        let json: serde_json::Value =
            serde_json::from_slice(&message).unwrap_or_else(|err| panic!("{err}: {e}"));
        assert_eq!(json["height"], e["height"], "{e}");
        assert_eq!(json["round"], e["round"], "{e}");
        messages.push((domain, message));
    }
    assert_ne!(messages[0], messages[1], "the two messages are the same: {e}");
}

/// Canary (issue 7): twins holding more than a third of the power. Validators 2 and 3 run
/// twice, half the power between them; a partition no message crosses puts their twins
/// with validator 1 on one side, their originals with validator 0 and the observer on the
/// other. Each side holds three of four votes and decides its own blocks: the fork that
/// BFT consensus does not promise to prevent beyond a third. The campaign's
/// `one_block_per_height` checker must report it.
#[test]
fn canary_twins_over_a_third_fork_and_the_checker_reports_it() {
    let _serial = serial();
    let (_tmp, mut net) = create(127);
    let twins = split_with_twins(&mut net, &[2, 3], &[1]).unwrap_or_else(|e| panic!("{e}"));
    net.start_all().unwrap_or_else(|e| panic!("{e}"));
    for t in &twins {
        net.start(*t).unwrap_or_else(|e| panic!("{e}"));
    }
    let side_b: Vec<usize> = std::iter::once(1).chain(twins.iter().copied()).collect();
    let side_a: Vec<usize> = net.members().into_iter().filter(|i| *i != 1).collect();
    for side in [&side_a, &side_b] {
        net.wait_for_height(side, 3, START_TIMEOUT).unwrap_or_else(|e| panic!("{e}\n{}", net.logs(15)));
    }
    let everyone: Vec<usize> = (0..net.len()).collect();
    let verdict = check::one_block_per_height(&check::scan_all(&net, &everyone));
    assert!(
        !verdict.passed && verdict.detail.contains("FORK at height"),
        "twins with half the power did not fork, or the checker missed it: {}\n{}",
        verdict.detail,
        net.logs(15)
    );
    eprintln!("canary twins-over-a-third: {}", verdict.detail);
}
