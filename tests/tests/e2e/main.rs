//! End-to-end scenarios against real `vouchd` processes on 127.0.0.1, in one test binary.
//!
//! One binary, not one per scenario file: each would link the whole node (libp2p,
//! Malachite, redb, axum), and fifteen such links cost CI minutes and gigabytes of disk
//! (a CI run once failed with "No space left on device"). The scenarios run one at a time
//! all the same ([`common::serial`]), since five nodes already load a two-core machine.
//! Run one with `cargo test -p vouch-e2e --test e2e <name>`.

mod common;

mod bad_input_burst;
mod chaos;
mod cli_confirmation;
mod crash_during_recovery;
mod custody;
mod disk_full;
mod invalid_documents;
mod n4_f1_crash_restart;
mod n4_f2_halt_no_fork;
mod n4_kill9_during_load;
mod n4_observer_commits_500;
mod n4_twins_equivocation;
mod n4_wal_behind_guard;
mod n4_wipe_rejoin;
mod outsider;
mod readme_walkthrough;
mod vouchd_bad_config;
