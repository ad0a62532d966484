//! A validator's data directory is wiped (ledger, consensus write-ahead log; the API tokens
//! are put back) while it is down; its key and signing guard, kept outside that directory,
//! survive. The chain is [`REJOIN_HEIGHTS`] long by then (issue 7 asks for 2,000+ heights
//! behind; empty blocks every [`BLOCK_INTERVAL_MS`] make that take minutes, not half an
//! hour). Restarted, it fetches the whole chain from peers and verifies it, follows without
//! signing until it is past the last height its key signed, and then votes again: with
//! another validator stopped, the network can only commit if it does. No node records
//! equivocation evidence, and every node holds the same block at every height.
//!
//! On the long chain, another validator is also stopped while it re-verifies its store at
//! start and right after it starts: both stops must be clean and prompt, and the start
//! must resume from the node's last resume point rather than verify from genesis.
//!
//! Regression: the switch from following to voting restarted the engine in-process, but
//! stopping Malachite's node actor left its network actor running with the old
//! connections; peers then treated the new connections as second ones, never sent their
//! validator proofs again, and the rejoined validator could publish no vote
//! (`NoPeersSubscribedToTopic channel=Consensus`). This test failed that way before the
//! fix in `node::run` (stop the engine's children first).

use crate::common;

use common::*;
use std::time::Duration;
use vouch_node::guard::Guard;

/// Until the wiped node logs that it follows without signing.
const FOLLOW_TIMEOUT: Duration = Duration::from_secs(60);
/// Heights on the chain when the validator is wiped: all of them to fetch again.
const REJOIN_HEIGHTS: u64 = 2_000;
/// Shortest time between empty blocks in this scenario (the default is a second).
const BLOCK_INTERVAL_MS: u64 = 20;
/// Until the chain is [`REJOIN_HEIGHTS`] long.
const HEIGHTS_TIMEOUT: Duration = Duration::from_secs(900);
/// A graceful stop, start-up or not, takes at most this.
const STOP_PROMPTLY: Duration = Duration::from_secs(5);
/// Until the wiped validator has fetched and verified them all.
const REJOIN_TIMEOUT: Duration = Duration::from_secs(300);

#[test]
fn n4_wiped_validator_rejoins_from_peers_without_signing_twice() {
    let _serial = serial();
    let env = block_interval(BLOCK_INTERVAL_MS);
    let (_tmp, net) = create(113);
    for i in net.members() {
        net.start_with(i, &env).unwrap_or_else(|e| panic!("{e}"));
    }
    net.wait_for_height(&net.members(), 1, START_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    let mut cast = Cast::enroll(&net);
    let victim = 1;
    let validators = net.validators();
    let acks = commit_all(&net, &validators, &cast.requests(20));
    let size = cast.ledger.verifier.tree().size() + 20;
    roots_agree(&net, &net.members(), size);
    let t = std::time::Instant::now();
    net.wait_for_height(&net.members(), REJOIN_HEIGHTS, HEIGHTS_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("the chain reached height {REJOIN_HEIGHTS} in {:.0} s", t.elapsed().as_secs_f64());
    stops_promptly_on_a_long_chain(&net, 2, &env);

    let node_dir = net.node_dir(victim).unwrap_or_else(|e| panic!("{e}"));
    let guard_path = node_dir.join("key.pem.guard");
    net.kill(victim).unwrap_or_else(|e| panic!("{e}"));
    let signed_before = Guard::open(&guard_path)
        .unwrap_or_else(|e| panic!("{e}: the guard must sit beside the key"))
        .last_height();
    assert!(signed_before >= 1, "the victim never signed before the wipe");
    let data = node_dir.join("data");
    assert!(data.join("ledger.redb").exists(), "no ledger at {}", data.display());
    // Everything goes but the API tokens, which are credentials, not ledger state.
    for entry in std::fs::read_dir(&data).unwrap_or_else(|e| panic!("{}: {e}", data.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.file_name().is_some_and(|n| n == "tokens.json") {
            continue;
        }
        let wiped = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        wiped.unwrap_or_else(|e| panic!("wipe {}: {e}", path.display()));
    }

    // The others go on without it, well past the height it last signed.
    let live: Vec<usize> = net.members().into_iter().filter(|i| *i != victim).collect();
    let live_validators: Vec<usize> = validators.iter().copied().filter(|i| *i != victim).collect();
    let acks2 = commit_all(&net, &live_validators, &cast.requests(40));
    let size = cast.ledger.verifier.tree().size() + 40;
    roots_agree(&net, &live, size);
    let tip = live.iter().filter_map(|i| net.height(*i)).max().unwrap_or(0);
    assert!(tip >= REJOIN_HEIGHTS, "the chain is {tip} long, not {REJOIN_HEIGHTS}");

    net.start_with(victim, &env).unwrap_or_else(|e| panic!("{e}"));
    let members = net.members();
    let t = std::time::Instant::now();
    net.wait_for_height(&[victim], tip, REJOIN_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("the wiped validator fetched and verified {tip} heights in {:.0} s", t.elapsed().as_secs_f64());
    roots_agree(&net, &members, size);
    let log = net.log_path(victim).unwrap_or_else(|e| panic!("{e}"));
    let followed = vouch_testnet::wait_until(FOLLOW_TIMEOUT, Duration::from_millis(200), || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains("following the chain without signing"))
    });
    assert!(
        followed,
        "the wiped validator did not say it follows without signing\n{}",
        net.log_tail(victim, 40)
    );

    // With validator 0 stopped, the three left (the wiped one among them) hold exactly
    // the 3/4 needed: a block commits only if the wiped validator votes.
    let other = 0;
    net.kill(other).unwrap_or_else(|e| panic!("{e}"));
    let voters: Vec<usize> = validators.iter().copied().filter(|i| *i != other).collect();
    let acks3 = commit_all(&net, &voters, &cast.requests(12));
    let size = cast.ledger.verifier.tree().size() + 12;
    let remaining: Vec<usize> = members.iter().copied().filter(|i| *i != other).collect();
    roots_agree(&net, &remaining, size);
    let signed_after = Guard::open(&guard_path).unwrap_or_else(|e| panic!("{e}")).last_height();
    assert!(
        signed_after > signed_before,
        "the wiped validator signed nothing new (guard at {signed_after}, was {signed_before})"
    );

    net.start_with(other, &env).unwrap_or_else(|e| panic!("{e}"));
    roots_agree(&net, &members, size);
    one_block_per_height(&net, &members);
    for acks in [&acks, &acks2, &acks3] {
        acknowledged_present(&net, &members, acks);
    }
    for i in &members {
        let evidence = net.status(*i).unwrap_or_else(|e| panic!("{e}")).evidence.unwrap_or(0);
        assert_eq!(evidence, 0, "node {i} recorded equivocation evidence\n{}", net.logs(20));
    }
}

/// Regression (the 2-hour soak of 2026-12-07, `graceful_stop`): a SIGTERM while the node
/// re-verified its store at start killed it with the default action, and one right after
/// the start waited for the API's blocking index build of the whole ledger. Both stops
/// must now be clean (logged) and prompt, with the chain long enough that re-verifying
/// and indexing it take seconds in a debug build.
fn stops_promptly_on_a_long_chain(net: &vouch_testnet::Testnet, i: usize, env: &[(String, String)]) {
    let log = net.log_path(i).unwrap_or_else(|e| panic!("{e}"));
    let since = |from: usize| {
        let text = std::fs::read(&log).unwrap_or_default();
        String::from_utf8_lossy(text.get(from..).unwrap_or_default()).into_owned()
    };
    let offset = || std::fs::metadata(&log).map(|m| m.len() as usize).unwrap_or(0);
    assert!(net.stop(i, STOP_PROMPTLY).unwrap_or_else(|e| panic!("{e}")), "node {i} did not stop");

    // While it re-verifies the store.
    let from = offset();
    net.start_with(i, env).unwrap_or_else(|e| panic!("{e}"));
    vouch_testnet::wait_until(Duration::from_secs(10), Duration::from_millis(20), || {
        since(from).contains("node identity")
    });
    let exited = net.stop(i, STOP_PROMPTLY).unwrap_or_else(|e| panic!("{e}"));
    let text = since(from);
    assert!(exited, "node {i} did not exit within {STOP_PROMPTLY:?} of a SIGTERM at start\n{text}");
    let during = text.contains("stopped on signal while starting");
    assert!(
        during || text.contains("shutting down on signal"),
        "node {i} exited without a clean stop (killed by the signal?)\n{text}"
    );
    eprintln!("stop at start: {}", if during { "while re-verifying the store" } else { "after it" });

    // Right after it is running, while the API indexes the ledger.
    let from = offset();
    net.start_with(i, env).unwrap_or_else(|e| panic!("{e}"));
    let running = vouch_testnet::wait_until(START_TIMEOUT, Duration::from_millis(20), || {
        since(from).contains("vouchd running")
    });
    assert!(running, "node {i} did not start\n{}", since(from));
    let exited = net.stop(i, STOP_PROMPTLY).unwrap_or_else(|e| panic!("{e}"));
    let text = since(from);
    assert!(exited, "node {i} did not exit within {STOP_PROMPTLY:?} of a SIGTERM after start\n{text}");
    assert!(text.contains("shutting down on signal"), "node {i} did not stop cleanly\n{text}");
    // Past height 500 a node keeps resume points, so a start re-verifies only the blocks
    // above the last one (`vouch_node::resume`).
    assert!(text.contains("store verified from its resume point"), "node {i} verified from genesis\n{text}");

    net.start_with(i, env).unwrap_or_else(|e| panic!("{e}"));
}
