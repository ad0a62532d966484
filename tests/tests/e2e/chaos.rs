//! The CI fault campaign (`vouch-testnet chaos`, issue 7) against real nodes: 6 minutes of
//! random faults from a fixed seed that draws at least 40, ending with all five nodes
//! killed at once; then 45 s from a random seed (printed, to replay with
//! `vouch-testnet chaos --seed <seed> --minutes 0.75`). Every checker must pass: nothing
//! acknowledged lost, one block per height, no evidence, every restart caught up and none
//! back lower than it was, the validators' cosignatures consistent and recorded before
//! release, no process dead on its own, memory and files within their ceilings, and
//! liveness after healing.
//!
//! The campaign's nodes are tied to this test's thread and killed when the campaign's
//! testnet is dropped, also on a panic; a failed run keeps its directory and prints it.

use crate::common;

use common::{serial, vouchd_faults};
use std::time::Duration;
use vouch_testnet::chaos::{self, ChaosOptions};

/// The fixed seed of the main campaign: 49 faults in 6 minutes.
const SEED: u64 = 424_242;

/// Issue 7: the CI campaign holds at least this many fault events.
const CI_FAULTS_MIN: usize = 40;

fn campaign(seed: u64, seconds: u64, faults_min: usize) {
    let tmp =
        tempfile::Builder::new().prefix("vouch-chaos-").tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let options = ChaosOptions {
        seed,
        length: Duration::from_secs(seconds),
        rate: 4.0,
        run_dir: tmp.path().join("run"),
        vouchd: Some(vouchd_faults()),
        gap_ms: chaos::schedule::GAP_MS,
        packet_loss: false,
    };
    let mut out = Vec::new();
    let result = chaos::run(&options, &mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    println!("{text}");
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let kept = tmp.keep();
            panic!("campaign of seed {seed} could not run: {e}; run directory kept: {}", kept.display())
        }
    };
    if !report.passed() {
        let kept = tmp.keep();
        panic!("campaign of seed {seed} FAILED; run directory kept: {}\n{text}", kept.display());
    }
    assert!(
        report.fault_count() >= faults_min,
        "seed {seed}: {} faults drawn, fewer than {faults_min}",
        report.fault_count()
    );
    assert!(report.tally.ok > 0, "seed {seed}: nothing was acknowledged, so the checks saw nothing");
}

#[test]
fn chaos_six_minutes_fixed_seed() {
    let _serial = serial();
    campaign(SEED, 360, CI_FAULTS_MIN);
}

#[test]
fn chaos_random_seed() {
    let _serial = serial();
    let seed: u64 = rand::random();
    println!("chaos_random_seed: seed {seed} (replay: vouch-testnet chaos --seed {seed} --minutes 0.75)");
    campaign(seed, 45, 1);
}
