//! Generate load on a running testnet and measure it; also measure the signature
//! verification bound on the same machine.
//!
//! 1. Setup wave: auditors and bank people enrolled, a few clients (committed).
//! 2. Pre-signing, before the clock starts: many confirmation requests, each with its own
//!    letter number (R-REQ-4 makes letter numbers unique per firm; nothing else ties two
//!    requests together, so they commit in any order).
//! 3. Timed phase: `concurrency` workers submit round-robin over the validators; each
//!    document's latency runs from POST to the 200 that says it is committed.
//! 4. Bound: single-thread `Envelope::decode` (which verifies every signature with
//!    `verify_strict`) of the pre-signed documents gives documents/s per core; times the
//!    cores, divided by the validators that all verify every document on this machine.

use crate::client::{Client, Submitted};
use crate::demo::{DemoError, commit_pending, run_tag, sync_clock};
use crate::net::Testnet;
use crate::wave::percentile;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vouch_core::date::Date;
use vouch_core::documents::{Form, Scope};
use vouch_core::envelope::Envelope;
use vouch_core::items::ClientIdentity;
use vouch_core::testkit::{Ledger, Person, demo_request_contents};

/// How many refusal reasons a report keeps.
pub const REASONS_KEPT: usize = 5;

/// Most documents timed for the verification bound.
pub const BOUND_SAMPLE_MAX: usize = 2_000;

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Length of the timed phase.
    pub seconds: u64,
    /// Worker threads.
    pub concurrency: usize,
    /// Documents pre-signed (the phase ends early if they run out).
    pub documents: usize,
    /// Instead of the timed phase: this many documents one at a time on an idle network.
    pub single: Option<usize>,
}

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Documents submitted.
    pub submitted: usize,
    /// Committed (200).
    pub committed: usize,
    /// Accepted but not committed within the node's wait (202).
    pub pending: usize,
    /// Refused (4xx).
    pub refused: usize,
    /// Mempool full (503) or no answer.
    pub failed: usize,
    /// First refusal and failure reasons.
    pub reasons: Vec<String>,
    /// Length of the phase.
    pub elapsed: Duration,
    /// Median submit-to-commit latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Documents verified per second on one core.
    pub verify_per_core: f64,
    /// Cores available.
    pub cores: usize,
    /// Validators.
    pub validators: usize,
}

impl LoadReport {
    /// Committed documents per second over the phase.
    pub fn throughput(&self) -> f64 {
        self.committed as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The verification bound: documents/s the validators on this machine could verify.
    pub fn bound(&self) -> f64 {
        self.verify_per_core * self.cores as f64 / self.validators.max(1) as f64
    }
}

/// Signed inputs: the setup is committed, the requests are pre-signed.
pub(crate) struct Prepared {
    pub(crate) documents: Vec<Vec<u8>>,
    pub(crate) network: vouch_core::ids::NetworkId,
}

pub(crate) fn prepare(
    net: &Testnet,
    count: usize,
    out: &mut dyn std::io::Write,
) -> Result<Prepared, DemoError> {
    let tag = run_tag();
    let mut l = Ledger::new(net.demo_network().clone());
    sync_clock(&mut l);
    let clients = net.clients();
    let targets = net.validators();
    let mut auditors: Vec<Person> = Vec::new();
    let mut what = Vec::new();
    for (org, n) in [("audit-x", 2), ("audit-y", 2)] {
        for k in 0..n {
            let id = format!("load-{tag}-{k}");
            auditors.push(l.enroll(org, &id, "压测审计", "Load auditor")?);
            what.push(format!("{org} enrolls {id}"));
        }
    }
    let mut officers = Vec::new();
    for org in ["bank-a", "bank-b"] {
        let id = format!("load-{tag}-officer");
        officers.push(l.enroll(org, &id, "压测经办", "Load officer")?);
        what.push(format!("{org} enrolls {id}"));
    }
    writeln!(out, "setup: enrolling {} people", what.len())?;
    commit_pending(&mut l, &clients, &targets, &what)?;
    sync_clock(&mut l);
    let identity =
        ClientIdentity { name: "压测示例有限公司".into(), credit_code: "9144030071526726XG".into() };
    let mut enrolled = Vec::new();
    what.clear();
    for (b, officer) in officers.iter().enumerate() {
        for k in 0..2 {
            let id = format!("c-{tag}-{b}-{k}");
            enrolled.push(l.enroll_client(officer, &id, &identity)?);
            what.push(format!("{} enrolls client {id}", officer.org));
        }
    }
    writeln!(out, "setup: enrolling {} clients", what.len())?;
    commit_pending(&mut l, &clients, &targets, &what)?;
    sync_clock(&mut l);
    let contents = demo_request_contents()?;
    let as_of = Date::parse("2025-12-31")
        .map_err(|e| DemoError::Testkit(vouch_core::testkit::TestkitError::Scenario(e.to_string())))?;
    let started = Instant::now();
    let mut documents = Vec::with_capacity(count);
    for i in 0..count {
        let auditor = auditors.get(i % auditors.len().max(1));
        let client = enrolled.get(i % enrolled.len().max(1));
        let (Some(auditor), Some(client)) = (auditor, client) else { break };
        let letter = format!("L-{tag}-{i}");
        let e = l.request(auditor, client, &letter, Form::Form1, Scope::WholeBank, as_of, &contents)?;
        documents.push(e.bytes);
        l.pending.clear();
        if (i + 1) % 2_000 == 0 {
            writeln!(out, "  signed {}/{count}", i + 1)?;
        }
    }
    writeln!(out, "pre-signed {} requests in {:.1} s", documents.len(), started.elapsed().as_secs_f64())?;
    Ok(Prepared { documents, network: l.net.genesis.network.clone() })
}

fn note(reasons: &Mutex<Vec<String>>, reason: String) {
    let mut r = reasons.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if r.len() < REASONS_KEPT && !r.contains(&reason) {
        r.push(reason);
    }
}

/// Submit `documents` with `concurrency` workers round-robin over `targets` for at most
/// `duration` (one worker and one document at a time for a single-document measurement).
fn drive(
    clients: &[Client],
    targets: &[usize],
    documents: &[Vec<u8>],
    concurrency: usize,
    duration: Duration,
) -> LoadReport {
    let next = AtomicUsize::new(0);
    let latencies = Mutex::new(Vec::with_capacity(documents.len()));
    let reasons = Mutex::new(Vec::new());
    let counts: [AtomicUsize; 5] = Default::default();
    let start = Instant::now();
    let stop = start + duration;
    std::thread::scope(|s| {
        for _ in 0..concurrency.max(1) {
            s.spawn(|| {
                while Instant::now() < stop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(bytes) = documents.get(i) else { break };
                    let node = targets.get(i % targets.len().max(1)).copied().unwrap_or(0);
                    let Some(client) = clients.get(node) else { break };
                    let t = Instant::now();
                    let answer = client.submit(bytes);
                    let latency = t.elapsed();
                    let (slot, reason) = match answer {
                        Ok(Submitted::Committed(_)) => {
                            latencies.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(latency);
                            (1, None)
                        }
                        Ok(Submitted::Pending { .. }) => (2, None),
                        Ok(Submitted::Refused(p)) => (3, Some(p.to_string())),
                        Ok(Submitted::Busy(b)) => (4, Some(format!("503 {b}"))),
                        Err(e) => (4, Some(e.to_string())),
                    };
                    counts[0].fetch_add(1, Ordering::Relaxed);
                    counts[slot].fetch_add(1, Ordering::Relaxed);
                    if let Some(r) = reason {
                        note(&reasons, r);
                    }
                }
            });
        }
    });
    let elapsed = start.elapsed();
    let mut latencies = latencies.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    latencies.sort();
    let [submitted, committed, pending, refused, failed] = counts.map(|c| c.into_inner());
    LoadReport {
        submitted,
        committed,
        pending,
        refused,
        failed,
        reasons: reasons.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner),
        elapsed,
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
        ..LoadReport::default()
    }
}

/// Documents per second one core verifies (`Envelope::decode`, signatures included).
pub fn verify_rate(documents: &[Vec<u8>], network: &vouch_core::ids::NetworkId) -> f64 {
    let sample = &documents[..documents.len().min(BOUND_SAMPLE_MAX)];
    let start = Instant::now();
    let ok = sample.iter().filter(|d| Envelope::decode(d, network).is_ok()).count();
    ok as f64 / start.elapsed().as_secs_f64().max(1e-9)
}

/// Run the load generator on `net`, writing progress and the report to `out`.
pub fn run(
    net: &Testnet,
    options: &LoadOptions,
    out: &mut dyn std::io::Write,
) -> Result<LoadReport, DemoError> {
    if cfg!(debug_assertions) {
        writeln!(
            out,
            "warning: this vouch-testnet is a debug build: signing and the verification bound are several times slower than in release; measure with `cargo run --release -p vouch-testnet -- load` (and a release vouchd)"
        )?;
    }
    // The bound wants a sample of a few hundred even when few are submitted one by one.
    let count = options.single.map_or(options.documents, |n| n.max(500));
    let prepared = prepare(net, count, out)?;
    let clients = net.clients();
    let targets = net.validators();
    let mut report = match options.single {
        Some(n) => {
            writeln!(out, "single-document latency: {n} documents, one at a time")?;
            let documents = prepared.documents.get(..n).unwrap_or(&prepared.documents);
            drive(&clients, &targets, documents, 1, Duration::from_secs(3_600))
        }
        None => {
            writeln!(
                out,
                "load: {} s, {} workers over {} validators",
                options.seconds,
                options.concurrency,
                targets.len()
            )?;
            drive(
                &clients,
                &targets,
                &prepared.documents,
                options.concurrency,
                Duration::from_secs(options.seconds),
            )
        }
    };
    if report.submitted == prepared.documents.len() && options.single.is_none() {
        writeln!(
            out,
            "note: all {} pre-signed documents were used before the time ran out; use --documents to sign more",
            report.submitted
        )?;
    }
    writeln!(
        out,
        "measuring the verification bound on {} documents…",
        prepared.documents.len().min(BOUND_SAMPLE_MAX)
    )?;
    report.verify_per_core = verify_rate(&prepared.documents, &prepared.network);
    report.cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    report.validators = targets.len();
    print_report(&report, options, out)?;
    Ok(report)
}

/// Print the report and a Markdown table row for `docs/BENCHMARKS.md`.
pub fn print_report(
    r: &LoadReport,
    options: &LoadOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "\nsubmitted {} in {:.1} s: {} committed, {} pending (202), {} refused, {} failed",
        r.submitted,
        r.elapsed.as_secs_f64(),
        r.committed,
        r.pending,
        r.refused,
        r.failed
    )?;
    writeln!(
        out,
        "committed: {:.1} documents/s; latency p50 {:.0} ms, p99 {:.0} ms",
        r.throughput(),
        r.p50.as_secs_f64() * 1e3,
        r.p99.as_secs_f64() * 1e3
    )?;
    for reason in &r.reasons {
        writeln!(out, "  refused or failed: {reason}")?;
    }
    writeln!(
        out,
        "verification bound: {:.0} documents/s per core × {} cores / {} validators = {:.0} documents/s",
        r.verify_per_core,
        r.cores,
        r.validators,
        r.bound()
    )?;
    let mode = match options.single {
        Some(n) => format!("single, {n} docs"),
        None => format!("{} s, {} workers", options.seconds, options.concurrency),
    };
    writeln!(out, "\n| mode | cores | committed docs/s | p50 ms | p99 ms | refused | verify bound docs/s |")?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    writeln!(
        out,
        "| {mode} | {} | {:.1} | {:.0} | {:.0} | {} | {:.0} |",
        r.cores,
        r.throughput(),
        r.p50.as_secs_f64() * 1e3,
        r.p99.as_secs_f64() * 1e3,
        r.refused,
        r.bound()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_rate_counts_only_valid_documents() {
        let (ledger, _) = vouch_core::testkit::demo_ledger(1).expect("ledger");
        let docs: Vec<Vec<u8>> = ledger.committed.iter().map(|e| e.bytes.clone()).collect();
        let network = ledger.net.genesis.network.clone();
        assert!(verify_rate(&docs, &network) > 0.0);
        let mut bad = docs.clone();
        for d in &mut bad {
            d.push(b' ');
        }
        assert_eq!(verify_rate(&bad, &network), 0.0);
    }

    #[test]
    fn bound_divides_by_validators() {
        let r = LoadReport { verify_per_core: 1000.0, cores: 2, validators: 4, ..LoadReport::default() };
        assert!((r.bound() - 500.0).abs() < 1e-9);
    }
}
