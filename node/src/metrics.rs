//! Own the node's Prometheus metrics. They are registered in Malachite's shared registry,
//! so one `/metrics` page carries both the engine's (`malachitebft_*`) and ours (`vouch_*`).

use malachitebft_app_channel::app::metrics::SharedRegistry;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

/// The node's own metrics.
#[derive(Clone)]
pub struct Metrics {
    /// Height of the last committed block.
    pub height: Gauge,
    /// Current consensus round.
    pub round: Gauge,
    /// Documents in the mempool.
    pub mempool: Gauge,
    /// Connected peers.
    pub peers: Gauge,
    /// Log size.
    pub tree_size: Gauge,
    /// Documents committed since start.
    pub committed: Counter,
    /// Misbehavior evidence records seen since start.
    pub evidence: Counter,
    /// Seconds from a document's arrival at this node to its commit.
    pub commit_latency: Histogram,
    /// Seconds from the start of a height to its commit.
    pub block_time: Histogram,
}

impl Metrics {
    /// Register in the shared registry under `vouch_`.
    pub fn register(moniker: &str) -> Metrics {
        let m = Metrics {
            height: Gauge::default(),
            round: Gauge::default(),
            mempool: Gauge::default(),
            peers: Gauge::default(),
            tree_size: Gauge::default(),
            committed: Counter::default(),
            evidence: Counter::default(),
            commit_latency: Histogram::new(exponential_buckets(0.005, 2.0, 14)),
            block_time: Histogram::new(exponential_buckets(0.005, 2.0, 14)),
        };
        SharedRegistry::global().with_moniker(moniker).with_prefix("vouch", |reg| {
            reg.register("height", "Height of the last committed block", m.height.clone());
            reg.register("round", "Current consensus round", m.round.clone());
            reg.register("mempool_documents", "Documents waiting in the mempool", m.mempool.clone());
            reg.register("peers", "Connected peers", m.peers.clone());
            reg.register("tree_size", "Number of leaves in the log", m.tree_size.clone());
            reg.register("documents_committed", "Documents committed since start", m.committed.clone());
            reg.register("evidence", "Misbehavior evidence records seen since start", m.evidence.clone());
            reg.register(
                "commit_latency_seconds",
                "Seconds from a document's arrival at this node to its commit",
                m.commit_latency.clone(),
            );
            reg.register(
                "block_seconds",
                "Seconds from the start of a height to its commit",
                m.block_time.clone(),
            );
        });
        m
    }

    /// The whole registry in the Prometheus text format.
    pub fn export() -> String {
        let mut out = String::new();
        malachitebft_app_channel::app::metrics::export(&mut out);
        out
    }
}
