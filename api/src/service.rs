//! Define what the API needs from a ledger node: the [`Ledger`] trait, which `vouchd`
//! implements over its store and mempool, and tests implement in memory.
//!
//! Reads are synchronous (a node's store blocks on disk I/O); the router calls them from
//! `tokio::task::spawn_blocking`. Submitting is asynchronous: it may wait for a commit.
//!
//! The trait is the ledger's raw facts (blocks, leaves, Merkle nodes, checkpoints, the
//! committed [`View`]); every policy — who may see what, limits, pagination, proof
//! parameters, problem types — is the API's, so that every implementation answers alike.

use crate::view::View;
use axum::body::Bytes;
use std::sync::Arc;
use vouch_core::block::Header;
use vouch_core::encoding::Hash;
use vouch_core::genesis::Genesis;
use vouch_core::merkle::{self, MerkleError, NodeReader};

/// Why the ledger could not answer a read. The API answers 503 `store`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The store failed or holds something it should not; the text says what and what the
    /// operator should do.
    #[error("{0}")]
    Store(String),
}

/// What a self-audit found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// Height checked up to.
    pub height: u64,
    /// Tree size checked.
    pub tree_size: u64,
    /// Root of that tree, as recomputed.
    pub root: Option<Hash>,
    /// The checks that ran, in order, in words.
    pub checks: Vec<String>,
    /// The first fault found, if any.
    pub fault: Option<String>,
}

/// How a node sees the network: its peers, whether it is catching up, and each
/// validator's progress as the cosignatures it received show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// Connected peers.
    pub peers: u64,
    /// `synced` or `catching_up`.
    pub sync: String,
    /// The highest height a peer reported.
    pub network_height: u64,
    /// Per validator (cosigner name): the largest tree size this node saw it cosign, and
    /// when it signed (POSIX seconds).
    pub cosigned: Vec<(String, u64, u64)>,
}

/// One piece of misbehavior evidence a node recorded: two conflicting signed consensus
/// messages from one validator (`double-vote`, `double-proposal`), or a cosigned
/// checkpoint that conflicts with the node's log (`conflicting-checkpoint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Position in the node's evidence log, from 0.
    pub seq: u64,
    /// The height it concerns.
    pub height: u64,
    /// Its kind.
    pub kind: String,
    /// Who misbehaved: the validator's key (base64) or the cosigner's name, if the record
    /// names one.
    pub culprit: Option<String>,
    /// The record itself, JSON, as stored: the signed messages a third party can check.
    pub json: String,
}

/// How to submit a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubmitOptions {
    /// Wait (up to the node's commit wait) for the commit; otherwise answer once pooled.
    pub wait: bool,
    /// The document was forwarded by another node: do not forward it again.
    pub forwarded: bool,
}

/// A submitted document's fate so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// Committed (now or before: a replay adds nothing).
    Committed {
        /// Its leaf index.
        leaf_index: u64,
        /// The height of the block that committed it.
        height: u64,
        /// Its leaf hash.
        leaf_hash: Hash,
    },
    /// Pooled, not committed yet.
    Pending {
        /// Its leaf hash.
        leaf_hash: Hash,
        /// Why this node dropped it from its pool, if it did after passing it to the other
        /// nodes: they may still commit it (a rule that depends on the block time can pass
        /// in a block another validator proposes), so this is no refusal.
        dropped: Option<String>,
    },
}

/// Why a submitted document was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// Not a valid envelope of this network (400 `invalid-envelope`).
    #[error("{detail}")]
    Invalid {
        /// What is wrong, rule first when a rule says so.
        detail: String,
        /// The rule, if any.
        rule: Option<String>,
    },
    /// The state machine refuses it (422 `refused`).
    #[error("{detail}")]
    Refused {
        /// Why, rule first.
        detail: String,
        /// The rule, if any.
        rule: Option<String>,
    },
    /// The mempool is full (503 `mempool-full`).
    #[error("{0}")]
    MempoolFull(String),
    /// The store cannot be read (503 `store`).
    #[error("{0}")]
    Store(String),
}

/// A ledger node, as the API sees it.
#[async_trait::async_trait]
pub trait Ledger: Send + Sync + 'static {
    /// The network's genesis.
    fn genesis(&self) -> &Genesis;

    /// The node's clock, Unix milliseconds: what "today" is for `overdue`.
    fn now_ms(&self) -> u64;

    /// Height of the last committed block, 0 before the first.
    fn tip(&self) -> Result<u64, LedgerError>;

    /// Leaves committed: the tip header's tree size, 0 before the first block.
    fn tree_size(&self) -> Result<u64, LedgerError>;

    /// The header at `height`.
    fn header(&self, height: u64) -> Result<Option<Header>, LedgerError>;

    /// The block at `height`, JSON as stored (`vouch_core::block::Block`).
    fn block_json(&self, height: u64) -> Result<Option<Vec<u8>>, LedgerError>;

    /// The leaf (canonical envelope bytes) at `leaf_index`.
    fn leaf(&self, leaf_index: u64) -> Result<Option<Vec<u8>>, LedgerError>;

    /// The leaf index and block height of the leaf whose RFC 9162 leaf hash is `leaf_hash`.
    fn leaf_by_hash(&self, leaf_hash: &Hash) -> Result<Option<(u64, u64)>, LedgerError>;

    /// The stored Merkle node `(level, index)` (see `vouch_core::merkle`), if stored.
    fn merkle_node(&self, level: u8, index: u64) -> Result<Option<Hash>, LedgerError>;

    /// The cosigned checkpoint note stored for `tree_size`.
    fn checkpoint(&self, tree_size: u64) -> Result<Option<String>, LedgerError>;

    /// The stored cosigned checkpoint with the largest size, with that size.
    fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, LedgerError>;

    /// The committed ledger indexed for the API, at the current tip.
    fn view(&self) -> Result<Arc<View>, LedgerError>;

    /// Re-verify the store and report the first fault. May take long: it reads everything.
    fn self_audit(&self) -> Result<AuditReport, LedgerError>;

    /// How this node sees the network now, if it knows (a node does; a store alone does not).
    fn health(&self) -> Result<Option<Health>, LedgerError> {
        Ok(None)
    }

    /// The misbehavior evidence this node recorded, oldest first: what a regulator's
    /// monitor alerts on. A ledger that records none answers none.
    fn evidence(&self) -> Result<Vec<Alert>, LedgerError> {
        Ok(Vec::new())
    }

    /// Submit one envelope (its canonical bytes).
    async fn submit(&self, envelope: Bytes, options: SubmitOptions) -> Result<Submitted, SubmitError>;

    /// RFC 9162 inclusion proof of `leaf_index` in the tree of `tree_size` leaves. The
    /// caller checked `leaf_index < tree_size <= self.tree_size()`. The default reads
    /// [`Ledger::merkle_node`]; a store may answer from one snapshot instead.
    fn inclusion_proof(&self, leaf_index: u64, tree_size: u64) -> Result<Vec<Hash>, LedgerError> {
        let nodes = Nodes::new(self);
        nodes.finish(merkle::inclusion_proof(&nodes, leaf_index, tree_size))
    }

    /// RFC 9162 consistency proof from `from` leaves to `to`. The caller checked
    /// `0 < from <= to <= self.tree_size()`.
    fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>, LedgerError> {
        let nodes = Nodes::new(self);
        nodes.finish(merkle::consistency_proof(&nodes, from, to))
    }
}

/// A `vouch_core::merkle::NodeReader` over [`Ledger::merkle_node`].
///
/// `NodeReader::node` can only fail with a `MerkleError`; a store error met on the way is
/// kept and reported by [`Nodes::finish`] instead of the missing node it caused.
pub struct Nodes<'a, L: ?Sized> {
    ledger: &'a L,
    failure: std::sync::Mutex<Option<LedgerError>>,
}

impl<'a, L: Ledger + ?Sized> Nodes<'a, L> {
    /// A reader over `ledger`.
    pub fn new(ledger: &'a L) -> Self {
        Nodes { ledger, failure: std::sync::Mutex::new(None) }
    }

    /// A `merkle` result in the ledger's terms: a store error first; a node missing from a
    /// tree the ledger says it holds, or any other Merkle error, is the store's fault too,
    /// because the caller checked the parameters.
    pub fn finish<R>(&self, result: Result<R, MerkleError>) -> Result<R, LedgerError> {
        let failure = self.failure.lock().map(|mut f| f.take()).unwrap_or(None);
        if let Some(error) = failure {
            return Err(error);
        }
        result.map_err(|e| LedgerError::Store(format!("Merkle tree: {e}")))
    }
}

impl<L: Ledger + ?Sized> NodeReader for Nodes<'_, L> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, MerkleError> {
        match self.ledger.merkle_node(level, index) {
            Ok(Some(hash)) => Ok(hash),
            Ok(None) => Err(MerkleError::MissingNode { level, index }),
            Err(error) => {
                if let Ok(mut failure) = self.failure.lock()
                    && failure.is_none()
                {
                    *failure = Some(error);
                }
                Err(MerkleError::MissingNode { level, index })
            }
        }
    }
}
