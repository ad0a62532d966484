//! Own the mempool: documents accepted by this node and not yet committed, in arrival
//! order, bounded in count and bytes, each checked against the state machine on arrival.
//!
//! The pool keeps a *pending state*: the committed state with every pooled document
//! applied in order. A new document is checked against it, so a document that depends on
//! one still in the pool (an authorization after its request) is accepted, and one that
//! conflicts with the pool (a second answer to one request) is refused at once with the
//! rule it breaks. After each commit the pending state is rebuilt from the new committed
//! state; pooled documents that no longer apply are dropped and reported.

use std::collections::BTreeMap;
use std::sync::Mutex;
use vouch_core::encoding::Hash;
use vouch_core::envelope::Envelope;
use vouch_core::state::{Rejection, State};

/// Why a document was not pooled.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MempoolError {
    /// The pool is at its bound.
    #[error("mempool full ({count} documents, {bytes} bytes); retry later")]
    Full {
        /// Documents pooled.
        count: usize,
        /// Bytes pooled.
        bytes: usize,
    },
    /// The state machine refuses it.
    #[error("{0}")]
    Refused(Box<Rejection>),
}

/// What happened to an offered document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Newly pooled.
    Added,
    /// Already pooled; nothing changed.
    Duplicate,
}

#[derive(Debug)]
struct Inner {
    order: BTreeMap<u64, Hash>,
    docs: BTreeMap<Hash, (u64, Envelope)>,
    bytes: usize,
    next_seq: u64,
    pending: State,
}

/// The pool.
#[derive(Debug)]
pub struct Mempool {
    inner: Mutex<Inner>,
    max_documents: usize,
    max_bytes: usize,
    /// Signalled whenever a document is added.
    pub added: tokio::sync::Notify,
}

fn lock(m: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    // A panic while holding the lock leaves a consistent pool (every mutation completes
    // before it can fail), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Mempool {
    /// An empty pool over `state`.
    pub fn new(state: State, max_documents: usize, max_bytes: usize) -> Mempool {
        Mempool {
            inner: Mutex::new(Inner {
                order: BTreeMap::new(),
                docs: BTreeMap::new(),
                bytes: 0,
                next_seq: 0,
                pending: state,
            }),
            max_documents,
            max_bytes,
            added: tokio::sync::Notify::new(),
        }
    }

    /// Offer `env`, checked against the pending state at `now_ms`.
    pub fn offer(&self, env: Envelope, now_ms: u64) -> Result<Offer, MempoolError> {
        let mut g = lock(&self.inner);
        if g.docs.contains_key(&env.id) {
            return Ok(Offer::Duplicate);
        }
        if g.docs.len() >= self.max_documents || g.bytes.saturating_add(env.bytes.len()) > self.max_bytes {
            return Err(MempoolError::Full { count: g.docs.len(), bytes: g.bytes });
        }
        g.pending.apply(&env, now_ms).map_err(|e| MempoolError::Refused(Box::new(e)))?;
        let seq = g.next_seq;
        g.next_seq += 1;
        g.bytes += env.bytes.len();
        g.order.insert(seq, env.id);
        g.docs.insert(env.id, (seq, env));
        drop(g);
        self.added.notify_waiters();
        Ok(Offer::Added)
    }

    /// A pooled document (already decoded and its signatures verified).
    pub fn get(&self, id: &Hash) -> Option<Envelope> {
        lock(&self.inner).docs.get(id).map(|(_, e)| e.clone())
    }

    /// Number of pooled documents.
    pub fn len(&self) -> usize {
        lock(&self.inner).docs.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The oldest documents, up to `max_documents` and `max_bytes`, in arrival order.
    pub fn batch(&self, max_documents: usize, max_bytes: usize) -> Vec<Envelope> {
        let g = lock(&self.inner);
        let mut out = Vec::new();
        let mut bytes = 0usize;
        for id in g.order.values() {
            let Some((_, env)) = g.docs.get(id) else { continue };
            if out.len() >= max_documents || bytes.saturating_add(env.bytes.len()) > max_bytes {
                break;
            }
            bytes += env.bytes.len();
            out.push(env.clone());
        }
        out
    }

    /// Remove one document (a proposer found it no longer applies).
    pub fn remove(&self, id: &Hash) {
        let mut g = lock(&self.inner);
        if let Some((seq, env)) = g.docs.remove(id) {
            g.order.remove(&seq);
            g.bytes -= env.bytes.len();
        }
    }

    /// After a commit: drop the committed documents, rebuild the pending state from
    /// `state` at `now_ms`, and drop (returning them with the reason) pooled documents
    /// that no longer apply.
    pub fn recheck(&self, committed: &[Hash], state: &State, now_ms: u64) -> Vec<(Hash, Rejection)> {
        let mut g = lock(&self.inner);
        for id in committed {
            if let Some((seq, env)) = g.docs.remove(id) {
                g.order.remove(&seq);
                g.bytes -= env.bytes.len();
            }
        }
        let mut pending = state.clone();
        let mut dropped = Vec::new();
        let ids: Vec<(u64, Hash)> = g.order.iter().map(|(s, h)| (*s, *h)).collect();
        for (seq, id) in ids {
            let Some((_, env)) = g.docs.get(&id) else { continue };
            if let Err(e) = pending.apply(env, now_ms) {
                let len = env.bytes.len();
                g.docs.remove(&id);
                g.order.remove(&seq);
                g.bytes -= len;
                dropped.push((id, e));
            }
        }
        g.pending = pending;
        dropped
    }
}
