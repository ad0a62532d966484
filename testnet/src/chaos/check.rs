//! Check, after healing, the promises a campaign must not break, each as a named
//! [`Verdict`].
//!
//! - `acknowledged`: every ok operation of the history is in every node's block at its
//!   height, at its leaf index.
//! - `one_block_per_height`: no two nodes hold different headers at a height they both
//!   have.
//! - `no_evidence`: no node recorded equivocation evidence (`GET /v1/evidence`; the
//!   network has no Byzantine node, so any evidence is false or a real equivocation).
//! - `catch_up`: every restarted or continued node reached the tip it was behind within
//!   [`CATCH_UP_MS_MAX`], having first reopened and verified its store.
//! - `graceful_stop`: every SIGTERM of a graceful restart made the process exit within
//!   10 s.
//! - `no_unexpected_exit`: no process died without being killed (a store that fails its
//!   start-up check exits with a named error, and lands here).
//! - `refused_not_committed`: every operation refused with an answer is absent from the
//!   final ledger; every `unknown` one is looked for there and counted as committed or not.
//! - `no_rollback`, `cosigning` (in `cosigned.rs`), `resources` (in `resources.rs`): see
//!   `docs/RELIABILITY.md`.
//! - `checker_self_test`: a forged acknowledgement is reported missing (the lookup is not
//!   vacuous).
//! - `liveness` is judged by the campaign itself while the load still runs.
//!
//! The ledger checkers read each node's ledger once, in order, through `GET /v1/export`
//! ([`scan`]), and judge the [`Scan`]s: they are pure, and tested below on made-up ones.

use super::history::{Op, Outcome};
use super::monitor::CatchUp;
use crate::net::Testnet;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Longest a restarted node may take to get back to the tip, ms.
pub const CATCH_UP_MS_MAX: u64 = 20_000;

/// Most problems a verdict lists.
pub const PROBLEMS_SHOWN: usize = 8;

/// One checker's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Checker name.
    pub name: &'static str,
    /// Whether the promise held.
    pub passed: bool,
    /// What was checked, or what broke.
    pub detail: String,
}

impl Verdict {
    pub(crate) fn from_problems(name: &'static str, checked: String, problems: &[String]) -> Verdict {
        if problems.is_empty() {
            return Verdict { name, passed: true, detail: checked };
        }
        let shown: Vec<&str> = problems.iter().take(PROBLEMS_SHOWN).map(String::as_str).collect();
        Verdict {
            name,
            passed: false,
            detail: format!("{} problems ({checked}); first: {}", problems.len(), shown.join("; ")),
        }
    }
}

fn name(net: &Testnet, i: usize) -> String {
    net.info(i).map(|n| n.name.clone()).unwrap_or_else(|_| format!("node-{i}"))
}

/// Blocks read per export request while scanning a ledger, at most. A read that fails is
/// tried again with half as many blocks, down to one: 256 large blocks can exceed what the
/// client reads in one answer (64 MiB), one block cannot (its JSON is at most 32 MiB).
const SCAN_BLOCKS_PER_READ: u64 = 256;

/// What the checkers need of one node's ledger, read once, in order, through
/// `/v1/export`: each height's header hash and where each document sits. Reading every
/// block height by height took the checks of a 2-hour soak over 20 minutes.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// Node name.
    pub name: String,
    /// Header hash (hex) at heights 1, 2, ...
    pub headers: Vec<String>,
    /// Leaf hash (hex) to its (height, leaf index).
    pub leaves: HashMap<String, (u64, u64)>,
    /// Why the scan stopped before the height the node reported, if it did.
    pub error: Option<String>,
}

/// Scan node `i`'s ledger up to the height it reports now.
pub fn scan(net: &Testnet, i: usize) -> Scan {
    let name = name(net, i);
    match net.status(i) {
        Ok(s) => scan_blocks(name, s.height, |from, to| net.blocks(i, from, to)),
        Err(e) => Scan { name, error: Some(format!("no status: {e}")), ..Scan::default() },
    }
}

/// Scan heights `1..=top` read with `read(from, to)` (`None`: the node has no such block).
fn scan_blocks<E: std::fmt::Display>(
    name: String,
    top: u64,
    mut read: impl FnMut(u64, u64) -> Result<Option<Vec<vouch_core::block::Block>>, E>,
) -> Scan {
    let mut scan = Scan { name, ..Scan::default() };
    let mut from = 1;
    let mut per_read = SCAN_BLOCKS_PER_READ;
    while from <= top {
        let to = from.saturating_add(per_read - 1).min(top);
        let blocks = match read(from, to) {
            Ok(Some(blocks)) => blocks,
            Ok(None) => {
                scan.error = Some(format!("reports height {top} but has no block {to}"));
                return scan;
            }
            Err(_) if to > from => {
                per_read = (to - from).div_ceil(2).max(1);
                continue;
            }
            Err(e) => {
                scan.error = Some(format!("cannot read blocks {from} to {to}: {e}"));
                return scan;
            }
        };
        for (h, block) in (from..=to).zip(&blocks) {
            if block.header.height != h {
                scan.error = Some(format!("export gave height {} where {h} was due", block.header.height));
                return scan;
            }
            scan.headers.push(block.header.hash().to_hex());
            let first = block.header.tree_size.saturating_sub(block.header.documents);
            for (k, doc) in (first..).zip(&block.documents) {
                let leaf = crate::client::leaf_hash(&vouch_core::canonical::to_canonical(doc));
                scan.leaves.insert(leaf, (h, k));
            }
        }
        from = to + 1;
    }
    scan
}

/// Scan the ledgers of `nodes`, all at once.
pub fn scan_all(net: &Testnet, nodes: &[usize]) -> Vec<Scan> {
    std::thread::scope(|s| {
        let handles: Vec<_> = nodes.iter().map(|i| s.spawn(move || scan(net, *i))).collect();
        handles
            .into_iter()
            .zip(nodes)
            .map(|(h, i)| {
                h.join().unwrap_or_else(|_| Scan {
                    name: name(net, *i),
                    error: Some("the scan thread panicked".into()),
                    ..Scan::default()
                })
            })
            .collect()
    })
}

/// Every acknowledged document is where its acknowledgement said, on every node.
pub fn acknowledged(scans: &[Scan], ops: &[Op]) -> Verdict {
    let mut problems = Vec::new();
    let mut acks = 0;
    for scan in scans {
        if let Some(e) = &scan.error {
            problems.push(format!("{}: {e}", scan.name));
        }
    }
    for op in ops {
        let Outcome::Ok { leaf_index, height } = op.outcome else { continue };
        acks += 1;
        for scan in scans {
            let found = scan.leaves.get(&op.leaf_hash);
            if found != Some(&(height, leaf_index)) {
                problems.push(format!(
                    "{}: operation {} ({}) acknowledged by {} at height {height}, leaf {leaf_index}, is {}",
                    scan.name,
                    op.op,
                    op.leaf_hash,
                    op.node,
                    match found {
                        Some((h, k)) => format!("at height {h}, leaf {k}"),
                        None => "missing".into(),
                    }
                ));
            }
        }
    }
    Verdict::from_problems(
        "acknowledged",
        format!("{acks} acknowledged documents on {} nodes", scans.len()),
        &problems,
    )
}

/// The crash points fired: of `armed` restarts armed to abort after proposing or
/// precommitting, `fired` had exited by the time the controller came to kill them. One
/// that never fires in 20 s is possible (a stalled network); none firing at all means the
/// hook is broken or `vouchd` was built without `fault-injection`, and the scenario tested
/// nothing.
pub fn crash_points(armed: usize, fired: usize) -> Verdict {
    let problems = if armed > 0 && fired == 0 {
        vec![format!(
            "none of {armed} armed crash points fired: is vouchd built with --features fault-injection?"
        )]
    } else {
        Vec::new()
    };
    Verdict::from_problems("crash_points", format!("{fired} of {armed} armed crash points fired"), &problems)
}

/// Look every refused (`failed`) and `unknown` operation up in one node's final ledger. A
/// refusal is a promise that the document was not taken: finding it committed breaks it.
/// An unknown outcome may go either way; the verdict counts how each resolved.
pub fn refused_not_committed(scan: &Scan, ops: &[Op]) -> Verdict {
    let mut problems = Vec::new();
    if let Some(e) = &scan.error {
        problems.push(format!("{}: {e}", scan.name));
    }
    let (mut refused, mut unknown_in, mut unknown_out) = (0, 0, 0);
    for op in ops {
        let on_ledger = scan.leaves.contains_key(&op.leaf_hash);
        match (&op.outcome, on_ledger) {
            (Outcome::Ok { .. }, _) => {}
            (Outcome::Failed { problem, .. }, true) => problems.push(format!(
                "operation {} ({}) was refused by {} ({problem}) but is on {}'s ledger",
                op.op, op.leaf_hash, op.node, scan.name
            )),
            (Outcome::Failed { .. }, false) => refused += 1,
            (Outcome::Unknown { .. }, true) => unknown_in += 1,
            (Outcome::Unknown { .. }, false) => unknown_out += 1,
        }
    }
    Verdict::from_problems(
        "refused_not_committed",
        format!(
            "{refused} refused operations none on {}'s ledger; {} unknown: {unknown_in} committed, {unknown_out} not",
            scan.name,
            unknown_in + unknown_out
        ),
        &problems,
    )
}

/// No two nodes differ in the header at any height both have.
pub fn one_block_per_height(scans: &[Scan]) -> Verdict {
    let mut problems = Vec::new();
    for scan in scans {
        if let Some(e) = &scan.error {
            problems.push(format!("{}: {e}", scan.name));
        }
    }
    let top = scans.iter().map(|s| s.headers.len()).max().unwrap_or(0);
    for h in 0..top {
        let mut seen: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for scan in scans {
            if let Some(header) = scan.headers.get(h) {
                seen.entry(header).or_default().push(&scan.name);
            }
        }
        if seen.len() > 1 {
            let sides: Vec<String> = seen.values().map(|names| names.join("+")).collect();
            problems.push(format!("FORK at height {}: different headers on {}", h + 1, sides.join(" vs ")));
        }
    }
    Verdict::from_problems(
        "one_block_per_height",
        format!("heights 1 to {top} on {} nodes", scans.len()),
        &problems,
    )
}

/// No node recorded misbehavior evidence.
pub fn no_evidence(net: &Testnet, nodes: &[usize]) -> Verdict {
    let mut problems = Vec::new();
    for i in nodes {
        let who = name(net, *i);
        match net.client(*i).map(|c| c.evidence()) {
            Ok(Ok(serde_json::Value::Array(list))) if list.is_empty() => {}
            Ok(Ok(other)) => {
                let text = other.to_string();
                problems.push(format!("{who} holds evidence: {}", text.chars().take(400).collect::<String>()))
            }
            Ok(Err(e)) => problems.push(format!("{who}: {e}")),
            Err(e) => problems.push(e.to_string()),
        }
    }
    Verdict::from_problems("no_evidence", format!("evidence lists of {} nodes", nodes.len()), &problems)
}

/// Every judged restart reopened its store and caught up within [`CATCH_UP_MS_MAX`].
pub fn catch_up(records: &[CatchUp]) -> Verdict {
    let judged: Vec<&CatchUp> = records.iter().filter(|c| !c.superseded).collect();
    let mut problems = Vec::new();
    let mut slowest = 0;
    for c in &judged {
        match c.caught_up_ms {
            Some(ms) if ms <= CATCH_UP_MS_MAX => slowest = slowest.max(ms),
            Some(ms) => problems.push(format!(
                "{} ({} at {} ms) took {ms} ms to reach height {}",
                c.name, c.after, c.started_ms, c.target
            )),
            None => problems.push(format!(
                "{} ({} at {} ms) never reached height {}{}",
                c.name,
                c.after,
                c.started_ms,
                c.target,
                if c.answered_ms.is_none() {
                    " and never answered /v1/status (store not reopened?)"
                } else {
                    ""
                }
            )),
        }
    }
    Verdict::from_problems(
        "catch_up",
        format!(
            "{} restarts and resumes judged ({} superseded by another stop), slowest {slowest} ms, bound {CATCH_UP_MS_MAX} ms",
            judged.len(),
            records.len() - judged.len()
        ),
        &problems,
    )
}

/// No node came back lower than it had been: the first height a node reports after a
/// restart (or a pause, or its isolation) is at least the last height it reported before.
/// A node reports a height only once that block is durable, so a lower one means
/// committed blocks were lost in the crash — even when peers hold them and it catches up.
pub fn no_rollback(records: &[CatchUp]) -> Verdict {
    let mut problems = Vec::new();
    let mut judged = 0;
    for c in records {
        let Some(first) = c.first_height else { continue };
        judged += 1;
        if first < c.height_before {
            problems.push(format!(
                "{} ({} at {} ms) came back at height {first} after reporting {}: {} committed blocks lost",
                c.name,
                c.after,
                c.started_ms,
                c.height_before,
                c.height_before - first
            ));
        }
    }
    Verdict::from_problems(
        "no_rollback",
        format!("{judged} restarts, resumes and reconnections judged"),
        &problems,
    )
}

/// The acknowledgement checker can see a lie: an acknowledgement that was never given (a
/// leaf hash no one submitted, claimed at height 1) must be reported missing by
/// [`acknowledged`] on this run's ledgers. It shows the lookup is not vacuous.
pub fn self_test(scans: &[Scan]) -> Verdict {
    let forged = Op {
        op: usize::MAX,
        node: "self-test".into(),
        node_index: 0,
        start_ms: 0,
        end_ms: 0,
        leaf_hash: "00".repeat(32),
        outcome: Outcome::Ok { leaf_index: 0, height: 1 },
    };
    let mut problems = Vec::new();
    let v = acknowledged(scans, &[forged]);
    if v.passed {
        problems.push(format!("a forged acknowledgement passed the acknowledged checker: {}", v.detail));
    }
    if scans.is_empty() {
        problems.push("no ledger was scanned".into());
    }
    Verdict::from_problems(
        "checker_self_test",
        "a forged acknowledgement is reported missing on every node".into(),
        &problems,
    )
}

/// Every graceful stop ended with the process exiting on SIGTERM, not killed.
pub fn graceful(stops: usize, problems: &[String]) -> Verdict {
    Verdict::from_problems(
        "graceful_stop",
        format!("{stops} SIGTERM stops, each exited on its own within 10 s"),
        problems,
    )
}

/// No process died that was not killed.
pub fn no_unexpected_exit(exits: &[String]) -> Verdict {
    Verdict::from_problems("no_unexpected_exit", "every process alive while expected".into(), exits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(caught_up_ms: Option<u64>, superseded: bool) -> CatchUp {
        CatchUp {
            node: 1,
            name: "bank-b".into(),
            after: "start",
            started_ms: 1_000,
            target: 10,
            height_before: 8,
            first_height: Some(8),
            answered_ms: Some(500),
            caught_up_ms,
            superseded,
        }
    }

    #[test]
    fn a_scan_reads_fewer_blocks_at_a_time_when_a_read_fails_and_names_a_block_that_never_reads() {
        let (demo, _) = vouch_core::testkit::demo_ledger(2).expect("demo");
        let top = demo.blocks.len() as u64;
        assert!(top >= 4);
        let mut reads = Vec::new();
        // Any read of more than two blocks fails, as one over the client's answer limit does.
        let scan = scan_blocks("bank-a".into(), top, |from, to| {
            reads.push((from, to));
            if to - from + 1 > 2 {
                return Err("answer too large");
            }
            Ok(Some(demo.blocks[(from - 1) as usize..to as usize].to_vec()))
        });
        assert_eq!(scan.error, None);
        let expected: Vec<String> = demo.blocks.iter().map(|b| b.header.hash().to_hex()).collect();
        assert_eq!(scan.headers, expected);
        assert_eq!(scan.leaves.len(), demo.committed.len());
        assert!(reads.iter().any(|(f, t)| t - f + 1 > 2), "the first read asks for more");

        let scan = scan_blocks("bank-a".into(), top, |from, to| {
            if (from..=to).contains(&3) {
                Err("block 3 is unreadable")
            } else {
                Ok(Some(demo.blocks[(from - 1) as usize..to as usize].to_vec()))
            }
        });
        assert_eq!(scan.headers.len(), 2);
        assert_eq!(scan.error.as_deref(), Some("cannot read blocks 3 to 3: block 3 is unreadable"));
    }

    fn ledger(name: &str, headers: &[&str], leaves: &[(&str, u64, u64)]) -> Scan {
        Scan {
            name: name.into(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            leaves: leaves.iter().map(|(l, h, k)| (l.to_string(), (*h, *k))).collect(),
            error: None,
        }
    }

    fn op(n: usize, leaf: &str, outcome: Outcome) -> Op {
        Op {
            op: n,
            node: "bank-a".into(),
            node_index: 0,
            start_ms: 0,
            end_ms: 1,
            leaf_hash: leaf.into(),
            outcome,
        }
    }

    #[test]
    fn acknowledged_fails_a_missing_or_moved_document() {
        let ok = op(1, "aa", Outcome::Ok { leaf_index: 0, height: 1 });
        let a = ledger("bank-a", &["h1"], &[("aa", 1, 0)]);
        assert!(acknowledged(&[a.clone(), a.clone()], std::slice::from_ref(&ok)).passed);
        let moved = ledger("bank-b", &["h1", "h2"], &[("aa", 2, 1)]);
        let v = acknowledged(&[a.clone(), moved], std::slice::from_ref(&ok));
        assert!(
            !v.passed && v.detail.contains("bank-b") && v.detail.contains("at height 2, leaf 1"),
            "{}",
            v.detail
        );
        let v = acknowledged(&[a.clone(), ledger("bank-c", &["h1"], &[])], std::slice::from_ref(&ok));
        assert!(!v.passed && v.detail.contains("missing"), "{}", v.detail);
        let short = Scan { error: Some("cannot read blocks 1 to 1".into()), ..a };
        assert!(!acknowledged(&[short], &[]).passed);
    }

    #[test]
    fn one_block_per_height_finds_a_fork_and_allows_a_laggard() {
        let a = ledger("bank-a", &["h1", "h2", "h3"], &[]);
        let behind = ledger("bank-b", &["h1", "h2"], &[]);
        assert!(one_block_per_height(&[a.clone(), behind]).passed);
        let forked = ledger("bank-c", &["h1", "x2", "h3"], &[]);
        let v = one_block_per_height(&[a, forked]);
        assert!(!v.passed && v.detail.contains("FORK at height 2"), "{}", v.detail);
    }

    #[test]
    fn a_refused_document_on_the_ledger_fails() {
        let refused = op(2, "bb", Outcome::Failed { problem: "replay".into(), detail: String::new() });
        let unknown = op(3, "cc", Outcome::Unknown { reason: "timeout".into() });
        let clean = ledger("bank-a", &["h1"], &[("cc", 1, 0)]);
        let v = refused_not_committed(&clean, &[refused.clone(), unknown]);
        assert!(v.passed && v.detail.contains("1 unknown: 1 committed, 0 not"), "{}", v.detail);
        let taken = ledger("bank-a", &["h1"], &[("bb", 1, 0)]);
        assert!(!refused_not_committed(&taken, &[refused]).passed);
    }

    #[test]
    fn the_self_test_needs_a_ledger() {
        assert!(self_test(&[ledger("bank-a", &["h1"], &[])]).passed);
        assert!(!self_test(&[]).passed);
    }

    #[test]
    fn catch_up_fails_slow_and_missing_but_not_superseded() {
        assert!(catch_up(&[record(Some(3_000), false), record(None, true)]).passed);
        let slow = catch_up(&[record(Some(CATCH_UP_MS_MAX + 1), false)]);
        assert!(!slow.passed);
        assert!(slow.detail.contains("took"), "{}", slow.detail);
        assert!(!catch_up(&[record(None, false)]).passed);
    }

    #[test]
    fn a_node_back_below_its_last_height_fails_no_rollback() {
        let kept = record(Some(100), false);
        assert!(no_rollback(std::slice::from_ref(&kept)).passed);
        let lost = CatchUp { first_height: Some(7), ..kept.clone() };
        let v = no_rollback(&[kept.clone(), lost]);
        assert!(!v.passed);
        assert!(v.detail.contains("1 committed blocks lost"), "{}", v.detail);
        // Never answered: judged by catch_up, not here.
        assert!(no_rollback(&[CatchUp { first_height: None, ..kept }]).passed);
    }

    #[test]
    fn crash_points_fail_only_when_none_fired() {
        assert!(crash_points(0, 0).passed);
        assert!(crash_points(3, 1).passed);
        assert!(!crash_points(2, 0).passed);
    }

    #[test]
    fn exits_fail_the_verdict() {
        assert!(no_unexpected_exit(&[]).passed);
        assert!(!no_unexpected_exit(&["bank-a exited".into()]).passed);
    }
}
