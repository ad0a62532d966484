//! Submit a wave of documents round-robin to several nodes, concurrently, and wait until
//! each is committed or refused.
//!
//! A 200 answer is a commit. A 202 (not committed within the node's wait) is followed by
//! scanning the node's blocks for the leaf hash until the deadline. A 503 (mempool full)
//! or no answer is retried on the next node until the deadline; a retry refused as a
//! duplicate (R-ST-1) means an earlier attempt went through, so the blocks are scanned.

use crate::client::{Client, Committed, Problem, Submitted};
use crate::net::leaf_in_block;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Most threads a wave uses.
pub const WAVE_THREADS_MAX: usize = 32;

/// What became of one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Committed.
    Committed(Committed),
    /// Refused, with the node's problem.
    Refused(Problem),
    /// Neither committed nor refused by the deadline (last thing seen).
    Lost(String),
}

/// One document's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Position in the wave.
    pub index: usize,
    /// Node index (into the `clients` given) that took the last submission.
    pub node: usize,
    /// What became of it.
    pub fate: Fate,
    /// From first submission to the answer that settled it.
    pub latency: Duration,
}

/// Submit `documents` (canonical envelope bytes) round-robin over `targets` (indices into
/// `clients`), and wait for each until `timeout` has passed since the wave began.
pub fn submit_wave(
    clients: &[Client],
    targets: &[usize],
    documents: &[Vec<u8>],
    timeout: Duration,
) -> Vec<Outcome> {
    let deadline = Instant::now() + timeout;
    // None of the documents can be in a block at or below the lowest height now.
    let from =
        targets.iter().filter_map(|i| clients.get(*i)?.status().ok().map(|s| s.height)).min().unwrap_or(0);
    let next = AtomicUsize::new(0);
    let out = Mutex::new(Vec::with_capacity(documents.len()));
    let threads = documents.len().clamp(1, WAVE_THREADS_MAX);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(bytes) = documents.get(index) else { break };
                    let outcome = submit_one(clients, targets, index, bytes, from, deadline);
                    out.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(outcome);
                }
            });
        }
    });
    let mut out = out.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    out.sort_by_key(|o| o.index);
    out
}

/// Submit one document starting at target `index % targets.len()`; see the module doc.
/// `from`: a height the document is known not to be committed at or below.
pub fn submit_one(
    clients: &[Client],
    targets: &[usize],
    index: usize,
    bytes: &[u8],
    from: u64,
    deadline: Instant,
) -> Outcome {
    let start = Instant::now();
    let leaf_hash = crate::client::leaf_hash(bytes);
    let mut attempt = 0usize;
    let mut last = String::from("not submitted");
    let mut retried = false;
    let mut node = 0;
    let done = |node, fate| Outcome { index, node, fate, latency: start.elapsed() };
    while Instant::now() < deadline {
        let slot = index.wrapping_add(attempt) % targets.len().max(1);
        node = targets.get(slot).copied().unwrap_or(0);
        attempt += 1;
        let Some(client) = clients.get(node) else {
            return done(node, Fate::Lost(format!("no node {node}")));
        };
        match client.submit(bytes) {
            Ok(Submitted::Committed(c)) => return done(node, Fate::Committed(c)),
            Ok(Submitted::Pending { .. }) => {
                if let Some(c) = await_leaf(client, &leaf_hash, from, deadline) {
                    return done(node, Fate::Committed(c));
                }
                last =
                    format!("{} answered 202 and the document never appeared in its blocks", client.base());
            }
            Ok(Submitted::Refused(p)) => {
                if retried
                    && p.rule.as_deref() == Some("R-ST-1")
                    && let Some(c) = await_leaf(client, &leaf_hash, from, deadline)
                {
                    return done(node, Fate::Committed(c));
                }
                return done(node, Fate::Refused(p));
            }
            Ok(Submitted::Busy(b)) => {
                last = format!("{} answered 503: {b}", client.base());
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => {
                last = e.to_string();
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        retried = true;
    }
    done(node, Fate::Lost(last))
}

/// Scan `client`'s blocks above height `from` for `leaf_hash` until `deadline`.
pub fn await_leaf(client: &Client, leaf_hash: &str, from: u64, deadline: Instant) -> Option<Committed> {
    let mut scanned = from;
    while Instant::now() < deadline {
        if let Ok(status) = client.status() {
            while scanned < status.height {
                let h = scanned + 1;
                match client.block(h) {
                    Ok(Some(block)) => {
                        if let Some(c) = leaf_in_block(&block, leaf_hash) {
                            return Some(c);
                        }
                        scanned = h;
                    }
                    _ => break,
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

/// Percentile `p` (0 to 100) of `sorted`, by nearest rank.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1).min(sorted.len() - 1)).copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_by_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&v, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&v, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
        assert_eq!(percentile(&[Duration::from_millis(3)], 99.0), Duration::from_millis(3));
    }

    #[test]
    fn unreachable_nodes_lose_the_document_by_the_deadline() {
        let port = crate::ports::free_ports(1).expect("port").first().copied().unwrap_or(1);
        let clients = vec![Client::new(&format!("http://127.0.0.1:{port}"), None)];
        let out = submit_wave(&clients, &[0], &[b"{}".to_vec()], Duration::from_millis(300));
        assert_eq!(out.len(), 1);
        assert!(matches!(out.first().map(|o| &o.fate), Some(Fate::Lost(_))), "{out:?}");
    }
}
