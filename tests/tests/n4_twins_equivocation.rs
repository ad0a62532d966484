//! Scenario 8: twins: two processes share one validator key (1/4 of the power). No fork
//! (every node has one block per height, the same everywhere, and every acknowledged
//! document is in place), and the equivocation is detected and reported (`evidence` > 0
//! on at least one honest node in bounded time).

mod common;

use common::*;
use std::time::Duration;
use vouch_testnet::Testnet;
use vouch_testnet::actors::add_twin;
use vouch_testnet::client::Committed;

/// The validator that gets a twin.
const TWINNED: usize = 3;

/// Longest detection may take once the load is done.
const DETECT_TIMEOUT: Duration = Duration::from_secs(90);

/// A network where validator `TWINNED` runs twice, after 100 documents committed while
/// both twins ran (so both proposed and voted).
fn twins_under_load(seed: u64) -> (tempfile::TempDir, Testnet, Vec<Committed>, u64) {
    let (tmp, mut net) = start(seed);
    let mut cast = Cast::enroll(&net);
    let twin = add_twin(&mut net, TWINNED).unwrap_or_else(|e| panic!("{e}"));
    net.start(twin).unwrap_or_else(|e| panic!("{e}"));
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
#[ignore = "vouchd reports no equivocation evidence from a twinned validator yet: evidence stays 0 on every honest node for 90 s, since a twin re-proposes its twin's value (docs/NODE.md, known limits); safety holds, see n4_twins_no_fork"]
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
}
