//! Check, after healing, the promises a campaign must not break, each as a named
//! [`Verdict`].
//!
//! - `acknowledged`: every ok operation of the history is in every node's block at its
//!   height, at its leaf index.
//! - `one_block_per_height`: no two nodes hold different headers at a height they both
//!   have (`GET /v1/headers/{h}`).
//! - `no_evidence`: no node recorded equivocation evidence (`GET /v1/evidence`; the
//!   network has no Byzantine node, so any evidence is false or a real equivocation).
//! - `catch_up`: every restarted or continued node reached the tip it was behind within
//!   [`CATCH_UP_MS_MAX`], having first reopened and verified its store.
//! - `graceful_stop`: every SIGTERM of a graceful restart made the process exit within
//!   10 s.
//! - `no_unexpected_exit`: no process died without being killed (a store that fails its
//!   start-up check exits with a named error, and lands here).
//! - `refused_not_committed`: every operation refused with an answer is absent from the
//!   final ledger; every `unknown` one is looked up there and counted as committed or not.
//! - `no_rollback`, `cosigning` (in `cosigned.rs`), `resources` (in `resources.rs`): see
//!   `docs/RELIABILITY.md`.
//! - `checker_self_test`: a forged acknowledgement is reported missing (the lookup is not
//!   vacuous).
//! - `liveness` is judged by the campaign itself while the load still runs.

use super::history::{Op, Outcome};
use super::monitor::CatchUp;
use crate::net::{Testnet, leaf_in_block};
use serde::Serialize;
use std::collections::BTreeMap;

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

/// Every acknowledged document is where its acknowledgement said, on every node.
pub fn acknowledged(net: &Testnet, nodes: &[usize], ops: &[Op]) -> Verdict {
    let mut by_height: BTreeMap<u64, Vec<(&Op, u64)>> = BTreeMap::new();
    for op in ops {
        if let Outcome::Ok { leaf_index, height } = op.outcome {
            by_height.entry(height).or_default().push((op, leaf_index));
        }
    }
    let acks: usize = by_height.values().map(Vec::len).sum();
    let mut problems = Vec::new();
    for i in nodes {
        let who = name(net, *i);
        for (h, wanted) in &by_height {
            let block = match net.block(*i, *h) {
                Ok(Some(b)) => b,
                Ok(None) => {
                    problems.push(format!(
                        "{who} has no block {h}, which acknowledged {} documents",
                        wanted.len()
                    ));
                    continue;
                }
                Err(e) => {
                    problems.push(format!("{who}: cannot read block {h}: {e}"));
                    continue;
                }
            };
            for (op, leaf_index) in wanted {
                let found = leaf_in_block(&block, &op.leaf_hash).map(|c| c.leaf_index);
                if found != Some(*leaf_index) {
                    problems.push(format!(
                        "{who}: operation {} (leaf {leaf_index}, {}) acknowledged by {} is {} in block {h}",
                        op.op,
                        op.leaf_hash,
                        op.node,
                        match found {
                            Some(other) => format!("at leaf {other}"),
                            None => "missing".into(),
                        }
                    ));
                }
            }
        }
    }
    Verdict::from_problems(
        "acknowledged",
        format!("{acks} acknowledged documents in {} blocks on {} nodes", by_height.len(), nodes.len()),
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

/// Look every refused (`failed`) and `unknown` operation up in the final ledger of node
/// `node` (`POST /v1/lookup` by leaf hash). A refusal is a promise that the document was
/// not taken: finding it committed breaks it. An unknown outcome may go either way; the
/// verdict counts how each resolved.
pub fn refused_not_committed(net: &Testnet, node: usize, ops: &[Op]) -> Verdict {
    let mut problems = Vec::new();
    let (mut refused, mut unknown_in, mut unknown_out) = (0, 0, 0);
    let client = match net.client(node) {
        Ok(c) => c,
        Err(e) => return Verdict::from_problems("refused_not_committed", String::new(), &[e.to_string()]),
    };
    for op in ops {
        let refusal = match &op.outcome {
            Outcome::Ok { .. } => continue,
            Outcome::Failed { problem, .. } => Some(problem),
            Outcome::Unknown { .. } => None,
        };
        let found = match client.post_json("/v1/lookup", &serde_json::json!({"leaf_hash": op.leaf_hash})) {
            Ok((200, body)) => body.get("on_ledger").and_then(serde_json::Value::as_bool),
            Ok((status, body)) => {
                problems.push(format!("lookup of operation {} answered {status}: {body}", op.op));
                continue;
            }
            Err(e) => {
                problems.push(format!("lookup of operation {}: {e}", op.op));
                continue;
            }
        };
        match (refusal, found) {
            (_, None) => problems.push(format!("lookup of operation {} has no on_ledger", op.op)),
            (Some(problem), Some(true)) => problems.push(format!(
                "operation {} ({}) was refused by {} ({problem}) but is on the ledger",
                op.op, op.leaf_hash, op.node
            )),
            (Some(_), Some(false)) => refused += 1,
            (None, Some(true)) => unknown_in += 1,
            (None, Some(false)) => unknown_out += 1,
        }
    }
    Verdict::from_problems(
        "refused_not_committed",
        format!(
            "{refused} refused operations none on the ledger; {} unknown: {unknown_in} committed, {unknown_out} not",
            unknown_in + unknown_out
        ),
        &problems,
    )
}

/// No two nodes differ in the header at any height both have.
pub fn one_block_per_height(net: &Testnet, nodes: &[usize]) -> Verdict {
    let mut problems = Vec::new();
    let heights: Vec<(usize, u64)> = nodes
        .iter()
        .filter_map(|i| match net.status(*i) {
            Ok(s) => Some((*i, s.height)),
            Err(e) => {
                problems.push(format!("{}: no status: {e}", name(net, *i)));
                None
            }
        })
        .collect();
    let top = heights.iter().map(|(_, h)| *h).max().unwrap_or(0);
    for h in 1..=top {
        let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (i, height) in &heights {
            if *height < h {
                continue;
            }
            match net.client(*i).map(|c| c.header(h)) {
                Ok(Ok(Some(header))) => {
                    let key = header.get("header").map(|v| v.to_string()).unwrap_or_default();
                    seen.entry(key).or_default().push(name(net, *i));
                }
                Ok(Ok(None)) => {
                    problems.push(format!("{} reports height {height} but has no block {h}", name(net, *i)))
                }
                Ok(Err(e)) => problems.push(format!("{}: header {h}: {e}", name(net, *i))),
                Err(e) => problems.push(e.to_string()),
            }
        }
        if seen.len() > 1 {
            let sides: Vec<String> = seen.values().map(|names| names.join("+")).collect();
            problems.push(format!("FORK at height {h}: different headers on {}", sides.join(" vs ")));
        }
    }
    Verdict::from_problems(
        "one_block_per_height",
        format!("heights 1 to {top} on {} nodes", heights.len()),
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
/// [`acknowledged`] on this run's nodes. It shows the lookup is not vacuous; it is not a
/// canary bug in the node (not built yet).
pub fn self_test(net: &Testnet, nodes: &[usize]) -> Verdict {
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
    let v = acknowledged(net, nodes, &[forged]);
    if v.passed {
        problems.push(format!("a forged acknowledgement passed the acknowledged checker: {}", v.detail));
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
