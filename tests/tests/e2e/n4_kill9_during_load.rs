//! Scenario 5: `kill -9` of a validator in the middle of a load, three times (a different
//! validator each time); after restart no acknowledged (200) document is missing on any
//! node and every root agrees.

use crate::common;

use common::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use vouch_testnet::wave::{Fate, Outcome, submit_wave};

/// Documents per wave of the background load.
const WAVE: usize = 100;

#[test]
fn n4_kill9_during_load_loses_nothing_acknowledged() {
    let _serial = serial();
    let (_tmp, net) = start(106);
    let mut cast = Cast::enroll(&net);
    let clients = net.clients();
    let validators = net.validators();
    let stop = AtomicBool::new(false);
    // The load runs until every kill and restart is done, in waves of fresh documents.
    let (outcomes, submitted) = std::thread::scope(|s| {
        let load = s.spawn(|| {
            let mut outcomes: Vec<Outcome> = Vec::new();
            let mut submitted = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let documents = cast.requests(WAVE);
                submitted += documents.len();
                let t = Instant::now();
                outcomes.extend(submit_wave(&clients, &validators, &documents, COMMIT_TIMEOUT));
                println!("wave of {WAVE} settled in {:.1} s", t.elapsed().as_secs_f64());
            }
            (outcomes, submitted)
        });
        for victim in [1usize, 2, 3] {
            std::thread::sleep(Duration::from_secs(2));
            net.kill(victim).unwrap_or_else(|e| panic!("{e}"));
            std::thread::sleep(Duration::from_secs(2));
            net.start(victim).unwrap_or_else(|e| panic!("{e}"));
        }
        std::thread::sleep(Duration::from_secs(2));
        stop.store(true, Ordering::Relaxed);
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
    assert_eq!(acks.len(), submitted);
    println!("{submitted} documents committed across three kill -9 and restarts");
    let members = net.members();
    let size = cast.ledger.verifier.tree().size() + u64::try_from(submitted).unwrap_or(u64::MAX);
    let t = Instant::now();
    roots_agree(&net, &members, size);
    acknowledged_present(&net, &members, &acks);
    one_block_per_height(&net, &members);
    println!("checked in {:.1} s", t.elapsed().as_secs_f64());
}
