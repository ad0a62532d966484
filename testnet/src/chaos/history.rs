//! Drive a steady client load of pre-signed documents round-robin over the nodes, and
//! record every operation with its outcome in `history.jsonl`.
//!
//! # Terminology
//!
//! - *ok*: the node answered 200: the document is committed at a leaf index. This is an
//!   acknowledgement; the checkers hold the network to it.
//! - *failed*: the node refused it (4xx, with the problem type) or was busy (503). Nothing
//!   was promised.
//! - *unknown*: no answer in time, a connection error, or 202 (accepted, commit not yet
//!   seen). The document may or may not be committed; nothing was promised either.
//!
//! Operation `k` is due at `k / rate` seconds after the start, whatever happened to the
//! ones before, so a slow node does not slow the load down; enough workers wait in
//! parallel that a paused node's hanging requests do not starve the others.

use crate::client::{Client, Submitted};
use serde::Serialize;
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Longest one submission waits: the node's commit wait (10 s) plus slack.
pub const SUBMIT_TIMEOUT: Duration = Duration::from_secs(15);

/// Workers submitting in parallel.
pub const WORKERS: usize = 24;

/// What happened to one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// 200: committed.
    Ok {
        /// Leaf index.
        leaf_index: u64,
        /// Height of the block.
        height: u64,
    },
    /// Refused or busy.
    Failed {
        /// The problem type (or `busy` for a 503).
        problem: String,
        /// Its detail.
        detail: String,
    },
    /// No answer, or 202.
    Unknown {
        /// Why.
        reason: String,
    },
}

/// One line of `history.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Op {
    /// Operation number (the document's index).
    pub op: usize,
    /// Node name it was submitted to.
    pub node: String,
    /// Node index.
    pub node_index: usize,
    /// Sent, ms from the start of the load.
    pub start_ms: u64,
    /// Answered (or given up), ms from the start of the load.
    pub end_ms: u64,
    /// The document's leaf hash (hex).
    pub leaf_hash: String,
    /// What happened.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Counts of outcomes so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Committed.
    pub ok: usize,
    /// Refused or busy.
    pub failed: usize,
    /// Unknown.
    pub unknown: usize,
}

/// A running load; [`Load::run`] returns when told to stop or out of documents.
pub struct Load {
    clients: Vec<Client>,
    names: Vec<String>,
    documents: Vec<Vec<u8>>,
    rate: f64,
    stop: AtomicBool,
    next: AtomicUsize,
    ops: Mutex<Vec<Op>>,
    file: Mutex<std::io::BufWriter<std::fs::File>>,
}

impl std::fmt::Debug for Load {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Load").field("documents", &self.documents.len()).field("rate", &self.rate).finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Load {
    /// A load of `documents` at `rate` per second over `clients` (named `names`), writing
    /// `history` (created).
    pub fn new(
        clients: Vec<Client>,
        names: Vec<String>,
        documents: Vec<Vec<u8>>,
        rate: f64,
        history: &Path,
    ) -> std::io::Result<Load> {
        let file = std::fs::File::create(history)?;
        Ok(Load {
            clients,
            names,
            documents,
            rate: rate.max(0.01),
            stop: AtomicBool::new(false),
            next: AtomicUsize::new(0),
            ops: Mutex::new(Vec::new()),
            file: Mutex::new(std::io::BufWriter::new(file)),
        })
    }

    /// Ask the workers to stop (they finish the operation in hand).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Operations recorded so far.
    pub fn ops(&self) -> Vec<Op> {
        lock(&self.ops).clone()
    }

    /// Outcome counts so far.
    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        for op in lock(&self.ops).iter() {
            match op.outcome {
                Outcome::Ok { .. } => t.ok += 1,
                Outcome::Failed { .. } => t.failed += 1,
                Outcome::Unknown { .. } => t.unknown += 1,
            }
        }
        t
    }

    /// Whether every pre-signed document has been handed out.
    pub fn exhausted(&self) -> bool {
        self.next.load(Ordering::Relaxed) >= self.documents.len()
    }

    /// Submit until stopped or out of documents, from [`WORKERS`] threads.
    pub fn run(&self) {
        let start = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..WORKERS {
                s.spawn(|| self.worker(start));
            }
        });
        let _ = lock(&self.file).flush();
    }

    fn worker(&self, start: Instant) {
        while !self.stop.load(Ordering::Relaxed) {
            let k = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(bytes) = self.documents.get(k) else { return };
            let due = start + Duration::from_secs_f64(k as f64 / self.rate);
            while Instant::now() < due {
                if self.stop.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep((due - Instant::now()).min(Duration::from_millis(100)));
            }
            let n = self.clients.len().max(1);
            let node_index = k % n;
            let Some(client) = self.clients.get(node_index) else { return };
            let start_ms = ms(start.elapsed());
            let outcome = match client.submit(bytes) {
                Ok(Submitted::Committed(c)) => Outcome::Ok { leaf_index: c.leaf_index, height: c.height },
                Ok(Submitted::Refused(p)) => Outcome::Failed {
                    problem: p.rule.clone().unwrap_or_else(|| p.type_.clone()),
                    detail: p.detail.clone(),
                },
                Ok(Submitted::Busy(body)) => Outcome::Failed { problem: "busy".into(), detail: body },
                Ok(Submitted::Pending { dropped: None, .. }) => {
                    Outcome::Unknown { reason: "202 pending".into() }
                }
                Ok(Submitted::Pending { dropped: Some(why), .. }) => {
                    Outcome::Unknown { reason: format!("202 pending, dropped by the node: {why}") }
                }
                Err(e) => Outcome::Unknown { reason: e.to_string() },
            };
            let op = Op {
                op: k,
                node: self.names.get(node_index).cloned().unwrap_or_default(),
                node_index,
                start_ms,
                end_ms: ms(start.elapsed()),
                leaf_hash: crate::client::leaf_hash(bytes),
                outcome,
            };
            if let Ok(line) = serde_json::to_string(&op) {
                let _ = writeln!(lock(&self.file), "{line}");
            }
            lock(&self.ops).push(op);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_lines_carry_the_outcome_flat() {
        let op = Op {
            op: 3,
            node: "bank-a".into(),
            node_index: 0,
            start_ms: 10,
            end_ms: 20,
            leaf_hash: "ab".into(),
            outcome: Outcome::Ok { leaf_index: 7, height: 2 },
        };
        let v: serde_json::Value = serde_json::to_value(&op).expect("json");
        assert_eq!(v.get("outcome").and_then(|o| o.as_str()), Some("ok"));
        assert_eq!(v.get("leaf_index").and_then(|o| o.as_u64()), Some(7));
        let op = Op { outcome: Outcome::Unknown { reason: "timeout".into() }, ..op };
        let v: serde_json::Value = serde_json::to_value(&op).expect("json");
        assert_eq!(v.get("outcome").and_then(|o| o.as_str()), Some("unknown"));
    }

    #[test]
    fn an_unreachable_node_gives_unknown_outcomes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = crate::ports::free_ports(1).expect("port").first().copied().unwrap_or(1);
        let client = Client::new(&format!("http://127.0.0.1:{port}"), None);
        let load = Load::new(
            vec![client],
            vec!["gone".into()],
            vec![b"{}".to_vec(), b"{}".to_vec()],
            100.0,
            &dir.path().join("history.jsonl"),
        )
        .expect("load");
        load.run();
        let t = load.tally();
        assert_eq!((t.ok, t.failed, t.unknown), (0, 0, 2));
        let text = std::fs::read_to_string(dir.path().join("history.jsonl")).expect("history");
        assert_eq!(text.lines().count(), 2);
    }
}
