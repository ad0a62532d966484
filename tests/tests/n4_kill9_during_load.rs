//! Scenario 5: `kill -9` of a validator in the middle of a load, three times (a different
//! validator each time); after restart no acknowledged (200) document is missing on any
//! node and every root agrees.

mod common;

use common::*;
use std::time::Duration;
use vouch_testnet::wave::{Fate, submit_wave};

#[test]
fn n4_kill9_during_load_loses_nothing_acknowledged() {
    let _serial = serial();
    let (_tmp, net) = start(106);
    let mut cast = Cast::enroll(&net);
    let documents = cast.requests(600);
    let clients = net.clients();
    let validators = net.validators();
    let outcomes = std::thread::scope(|s| {
        let load = s.spawn(|| submit_wave(&clients, &validators, &documents, Duration::from_secs(240)));
        for victim in [1usize, 2, 3] {
            std::thread::sleep(Duration::from_secs(3));
            net.kill(victim).unwrap_or_else(|e| panic!("{e}"));
            std::thread::sleep(Duration::from_secs(2));
            net.start(victim).unwrap_or_else(|e| panic!("{e}"));
        }
        load.join().unwrap_or_else(|_| panic!("load thread panicked"))
    });
    let mut acks = Vec::new();
    let mut lost = Vec::new();
    for o in outcomes {
        match o.fate {
            Fate::Committed(c) => acks.push(c),
            Fate::Refused(p) => panic!("document {} refused: {p}\n{}", o.index, net.logs(15)),
            Fate::Lost(r) => lost.push(r),
        }
    }
    assert!(
        lost.is_empty(),
        "{} documents never committed; first: {:?}\n{}",
        lost.len(),
        lost.first(),
        net.logs(15)
    );
    let members = net.members();
    let size = cast.ledger.verifier.tree().size() + 600;
    roots_agree(&net, &members, size);
    acknowledged_present(&net, &members, &acks);
    one_block_per_height(&net, &members);
}
