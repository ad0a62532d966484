//! A validator restarts with a consensus write-ahead log that is behind its signing guard:
//! the log was cut by a crash in the middle of an append (or lost, or restored), while the
//! guard beside the key says the key already signed a later step at the height it is on.
//! The engine, replaying the short log, asks it to sign an earlier step; the guard must
//! refuse (signing would equivocate), and the node must then sit that height out instead
//! of dying, and vote again from the next height.
//!
//! Regressions, both found by the fault campaign's `wal_cut` fault (seed 424242,
//! 2026-11-24), both leaving the validator dead at every restart:
//! - the refused signature stopped the engine and `vouchd` exited; every restart replayed
//!   the same log and failed the same way;
//! - a log whose 12-byte header was torn (here cut to 4 bytes, as a crash between
//!   Malachite's two header writes leaves it) made Malachite's open fail ("Failed to read
//!   sequence number"); the node now sets such a log aside and starts a fresh one.
//!
//! The halt makes the refusal certain: with two validators down the other two cannot
//! commit, so the victim's height is the network's and the engine must ask it to vote at
//! the very height its guard is ahead at.

use crate::common;

use common::*;
use std::time::Duration;
use vouch_core::encoding::Hash;
use vouch_node::guard::Guard;
use vouch_node::store::Store;

/// Until the victim logs that it sits the height out.
const FOLLOW_TIMEOUT: Duration = Duration::from_secs(60);

/// The round the forged guard record claims: far past any round the halted network reaches.
const GUARD_ROUND: u64 = 1_000;

#[test]
fn n4_validator_whose_wal_is_behind_its_guard_sits_out_the_height_and_votes_again() {
    // An empty log (a cut to nothing, but the file is there): Malachite opens it as new,
    // replays nothing, and asks for a signature the guard refuses.
    scenario(117, 0, "write-ahead log is behind");
}

#[test]
fn n4_validator_whose_wal_header_is_torn_sets_it_aside_and_votes_again() {
    // 4 of its 12 header bytes left, as a crash between Malachite's two header writes
    // leaves it: set aside, and the node starts without a log, following until past its
    // guard's height.
    scenario(119, 4, "could not be opened; set aside");
}

/// Halt the network, leave the victim's guard one height ahead with its log cut to
/// `wal_bytes`, and check it says `expected` in its log, stays up, sits the height out
/// and votes again.
fn scenario(seed: u64, wal_bytes: u64, expected: &str) {
    let _serial = serial();
    let (_tmp, net) = start(seed);
    let mut cast = Cast::enroll(&net);
    let (victim, other) = (1, 0);
    let validators = net.validators();
    let members = net.members();
    let acks = commit_all(&net, &validators, &cast.requests(10));
    let size = cast.ledger.verifier.tree().size() + 10;
    roots_agree(&net, &members, size);

    // Two validators down: the network halts.
    net.kill(other).unwrap_or_else(|e| panic!("{e}"));
    net.kill(victim).unwrap_or_else(|e| panic!("{e}"));
    // Let a block the two left may still finish land before their height is read.
    std::thread::sleep(Duration::from_secs(2));
    let node_dir = net.node_dir(victim).unwrap_or_else(|e| panic!("{e}"));
    let genesis = Hash::from_hex(&net.manifest().genesis_hash).unwrap_or_else(|e| panic!("{e}"));
    let tip = Store::open(&node_dir.join("data").join("ledger.redb"), &genesis)
        .and_then(|s| s.tip())
        .unwrap_or_else(|e| panic!("victim's store: {e}"));
    let network = net.height(2).unwrap_or(0);

    // The guard says the key precommitted at round 1000 of the next height; the log is cut
    // to `wal_bytes` (it still exists: a cut, not a wipe).
    let guard_path = node_dir.join("key.pem.guard");
    let record = serde_json::json!({
        "height": tip + 1,
        "round": GUARD_ROUND,
        "step": "precommit",
        "digest": Hash::sha256(b"a block of a later round").to_hex(),
        "sig": "11".repeat(64),
    });
    std::fs::write(&guard_path, record.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let wal = node_dir.join("data").join("wal").join("consensus.wal");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&wal)
        .and_then(|f| f.set_len(wal_bytes))
        .unwrap_or_else(|e| panic!("{}: {e}", wal.display()));

    net.start(victim).unwrap_or_else(|e| panic!("{e}"));
    let log = net.log_path(victim).unwrap_or_else(|e| panic!("{e}"));
    let said = vouch_testnet::wait_until(FOLLOW_TIMEOUT, Duration::from_millis(200), || {
        std::fs::read_to_string(&log).is_ok_and(|l| l.contains(expected))
    });
    assert!(said, "the victim did not log \"{expected}\"\n{}", net.log_tail(victim, 40));
    if network == tip {
        let sat_out = vouch_testnet::wait_until(FOLLOW_TIMEOUT, Duration::from_millis(200), || {
            std::fs::read_to_string(&log).is_ok_and(|l| l.contains("following the chain without signing"))
        });
        assert!(
            sat_out,
            "the victim did not sit the height out (network and victim at {tip})\n{}",
            net.log_tail(victim, 40)
        );
    } else {
        println!("the victim was at {tip} and the network at {network}: it may sync past the guard first");
    }
    std::thread::sleep(Duration::from_secs(2));
    assert!(net.is_running(victim), "the victim exited\n{}", net.log_tail(victim, 40));

    // The other validator back: the height the victim sits out commits without it.
    net.start(other).unwrap_or_else(|e| panic!("{e}"));
    let acks2 = commit_all(&net, &validators, &cast.requests(6));
    let size = cast.ledger.verifier.tree().size() + 6;
    roots_agree(&net, &members, size);

    // Now a block commits only if the victim votes again.
    net.kill(other).unwrap_or_else(|e| panic!("{e}"));
    let voters: Vec<usize> = validators.iter().copied().filter(|i| *i != other).collect();
    let acks3 = commit_all(&net, &voters, &cast.requests(6));
    let size = cast.ledger.verifier.tree().size() + 6;
    let remaining: Vec<usize> = members.iter().copied().filter(|i| *i != other).collect();
    roots_agree(&net, &remaining, size);
    let signed = Guard::open(&guard_path).unwrap_or_else(|e| panic!("{e}")).last_height();
    assert!(signed > tip + 1, "the victim signed nothing past the height it sat out (guard at {signed})");
    assert!(net.is_running(victim), "the victim exited\n{}", net.log_tail(victim, 40));

    net.start(other).unwrap_or_else(|e| panic!("{e}"));
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
