//! Own what the consensus task and the HTTP handlers share: the node's identity, its
//! status snapshot, the mempool, the store, the commit waiters and the metrics.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::oneshot;
use vouch_core::encoding::Hash;
use vouch_core::genesis::Genesis;

use crate::mempool::Mempool;
use crate::metrics::Metrics;
use crate::store::Store;

/// What became of a submitted document.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Committed at `leaf_index` in block `height`.
    Committed {
        /// Leaf index in the log.
        leaf_index: u64,
        /// Block height.
        height: u64,
    },
    /// Dropped from this node's mempool because it no longer applies here (other nodes,
    /// which it was passed to, may still commit it).
    Dropped {
        /// The refusal, rule first.
        reason: String,
    },
}

/// The node's status, refreshed by the consensus task.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Snapshot {
    /// Height of the last committed block.
    pub height: u64,
    /// Current consensus round (of height + 1).
    pub round: i64,
    /// Log size.
    pub tree_size: u64,
    /// Log root (hex).
    pub root: String,
    /// Connected peers (libp2p peer ids).
    pub peers: Vec<String>,
    /// `synced` or `catching_up`.
    pub sync: &'static str,
    /// Highest height a peer reported, if any.
    pub network_height: u64,
    /// Misbehavior evidence records kept.
    pub evidence: u64,
}

/// Shared by the consensus task and HTTP handlers.
pub struct Shared {
    /// The genesis document.
    pub genesis: Genesis,
    /// Its hash.
    pub genesis_hash: Hash,
    /// The node's moniker.
    pub moniker: String,
    /// The node's public key (base64).
    pub node_key: String,
    /// Whether it votes.
    pub validator: bool,
    /// The store.
    pub store: Arc<Store>,
    /// The mempool.
    pub mempool: Arc<Mempool>,
    /// Status.
    pub status: RwLock<Snapshot>,
    /// When each pooled document first reached this node (for the commit-latency metric).
    pub arrivals: Mutex<BTreeMap<Hash, std::time::Instant>>,
    /// Waiters by document id.
    pub waiters: Mutex<BTreeMap<Hash, Vec<oneshot::Sender<Outcome>>>>,
    /// Metrics.
    pub metrics: Metrics,
    /// Gathers checkpoint cosignatures.
    pub collector: crate::cosign::Collector,
    /// This validator's cosigner (none on an observer).
    pub cosigner: Option<crate::cosign::Cosigner>,
    /// Other nodes' HTTP base URLs.
    pub http_peers: Vec<String>,
    /// Client for talking to them.
    pub client: crate::http::PeerClient,
    /// Passes admitted documents to them.
    pub forwarder: crate::forward::Forwarder,
}

impl Shared {
    /// A snapshot of the status.
    pub fn snapshot(&self) -> Snapshot {
        self.status.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Update the status.
    pub fn update(&self, f: impl FnOnce(&mut Snapshot)) {
        if let Ok(mut s) = self.status.write() {
            f(&mut s);
        }
    }

    /// Wait for `id`'s outcome.
    pub fn wait_for(&self, id: Hash) -> oneshot::Receiver<Outcome> {
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.waiters.lock() {
            w.entry(id).or_default().push(tx);
        }
        rx
    }

    /// Tell everyone waiting for `id`.
    pub fn resolve(&self, id: &Hash, outcome: Outcome) {
        let senders = self.waiters.lock().ok().and_then(|mut w| w.remove(id)).unwrap_or_default();
        for s in senders {
            let _ = s.send(outcome.clone());
        }
    }

    /// Note that `id` reached this node now (kept once; bounded by the mempool's size).
    pub fn arrived(&self, id: Hash) {
        if let Ok(mut a) = self.arrivals.lock() {
            a.entry(id).or_insert_with(std::time::Instant::now);
        }
    }

    /// When `id` reached this node, forgetting it.
    pub fn take_arrival(&self, id: &Hash) -> Option<std::time::Instant> {
        self.arrivals.lock().ok().and_then(|mut a| a.remove(id))
    }

    /// Forget waiters whose receivers are gone (timed-out HTTP requests).
    pub fn prune_waiters(&self) {
        if let Ok(mut w) = self.waiters.lock() {
            w.retain(|_, v| {
                v.retain(|s| !s.is_closed());
                !v.is_empty()
            });
        }
    }
}

/// The wall clock, Unix milliseconds (0 before 1970, saturating far in the future).
pub fn now_ms() -> u64 {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    ms.saturating_add_signed(crate::faults::clock_offset_ms())
}

/// The rule id a refusal's text starts with (`R-RESP-4: ...` gives `R-RESP-4`), if any.
pub fn rule_of(text: &str) -> Option<String> {
    let head = text.split(':').next()?;
    head.starts_with("R-").then(|| head.to_string())
}
