//! Index the committed ledger the way the API reads it: the confirmation state machine's
//! state, the confirmations in ledger order, and where each document sits in the log.
//!
//! A [`View`] is built by applying committed blocks in order, as a validator does, with
//! `vouch_core::state::State::apply` at each block's time: the same function, so the same
//! statuses and deadlines. A node keeps one and applies each new block before answering
//! (see `vouch-node`'s `api` module); tests build one from `vouch_core::testkit`.
//!
//! # Terminology
//!
//! - *Confirmation*: one request and every document that concerns it (authorization,
//!   answers, return, decline, withdrawal, acceptance). Its id is the request's document id.
//! - *Document reference*: where a committed document is (leaf index, block height, block
//!   time) and who signed it; not the document itself, which stays in the store.
//!
//! Cost: the state plus one small record per document, in memory. Applying a block costs
//! what a validator pays for it, minus signature checks (the caller decodes envelopes).

use std::collections::BTreeMap;
use vouch_core::block::Header;
use vouch_core::documents::{DocType, Document, ReturnReason};
use vouch_core::encoding::Hash;
use vouch_core::envelope::{Envelope, Signer};
use vouch_core::genesis::Genesis;
use vouch_core::keys::PublicKey;
use vouch_core::state::{KeyRecord, RequestRecord, State};

/// Why a block could not be applied to the view: the caller's blocks are not the
/// committed chain in order. The store is then not what it claims to be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    /// The block is not the next height.
    #[error("view: block at height {got} does not follow height {expected_after}")]
    Height {
        /// The block's height.
        got: u64,
        /// The view's height.
        expected_after: u64,
    },
    /// The block's document count does not match its header.
    #[error("view: block {height} has {got} documents, its header says {expected}")]
    Documents {
        /// The block's height.
        height: u64,
        /// Envelopes given.
        got: u64,
        /// The header's `documents`.
        expected: u64,
    },
    /// The state machine refused a committed document.
    #[error("view: document {leaf_index} of block {height} is refused by the state machine: {rejection}")]
    Refused {
        /// The block's height.
        height: u64,
        /// The document's leaf index.
        leaf_index: u64,
        /// Why.
        rejection: String,
    },
}

/// Where a committed document is, and who signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRef {
    /// The document id, `SHA-256(leaf)`.
    pub id: Hash,
    /// Its leaf index in the log.
    pub leaf_index: u64,
    /// The height of the block that committed it.
    pub height: u64,
    /// That block's time, Unix milliseconds.
    pub block_ms: u64,
    /// The creation time its author claims, Unix milliseconds.
    pub created_ms: u64,
    /// The document type.
    pub doc_type: DocType,
    /// The author.
    pub author: Signer,
    /// The checker, for documents signed by two people.
    pub checker: Option<Signer>,
    /// The leaf hash (RFC 9162), for inclusion proofs.
    pub leaf_hash: Hash,
}

/// The committed ledger, indexed for the API.
#[derive(Debug, Clone)]
pub struct View {
    state: State,
    height: u64,
    tree_size: u64,
    /// Requests in ledger order, with their leaf index.
    requests: Vec<(u64, Hash)>,
    /// Every document, by leaf index.
    documents: BTreeMap<u64, DocumentRef>,
    /// The leaf indexes of each confirmation's documents, request first, ascending.
    by_request: BTreeMap<Hash, Vec<u64>>,
    /// The enrollment (`enroll` or `client_enroll`) that registered each key.
    enrolled: BTreeMap<PublicKey, u64>,
    /// The leaf index of each document, by document id.
    by_id: BTreeMap<Hash, u64>,
    /// The coded reason of each returned request, by request id.
    returns: BTreeMap<Hash, ReturnReason>,
    /// The last applied block's time, Unix milliseconds (0 at genesis).
    time_ms: u64,
}

impl View {
    /// The view at genesis: no blocks.
    pub fn new(genesis: &Genesis) -> View {
        View {
            state: State::new(genesis),
            height: 0,
            tree_size: 0,
            requests: Vec::new(),
            documents: BTreeMap::new(),
            by_request: BTreeMap::new(),
            enrolled: BTreeMap::new(),
            by_id: BTreeMap::new(),
            returns: BTreeMap::new(),
            time_ms: 0,
        }
    }

    /// Apply the committed block whose header is `header` and whose documents, decoded, are
    /// `envelopes` (in order). On error the view may hold part of the block: callers drop a
    /// view that failed (the blocks were not the committed chain).
    pub fn apply_block(&mut self, header: &Header, envelopes: &[Envelope]) -> Result<(), ViewError> {
        let expected = self.height.saturating_add(1);
        if header.height != expected {
            return Err(ViewError::Height { got: header.height, expected_after: self.height });
        }
        let count = u64::try_from(envelopes.len()).unwrap_or(u64::MAX);
        if count != header.documents {
            return Err(ViewError::Documents {
                height: header.height,
                got: count,
                expected: header.documents,
            });
        }
        for env in envelopes {
            let leaf_index = self.tree_size;
            let applied = self.state.apply(env, header.time_ms).map_err(|e| ViewError::Refused {
                height: header.height,
                leaf_index,
                rejection: e.to_string(),
            })?;
            let doc_type = env.document.doc_type();
            if doc_type == DocType::Request {
                self.requests.push((leaf_index, applied.id));
            }
            if let Some(request) = applied.request {
                self.by_request.entry(request).or_default().push(leaf_index);
            }
            match &env.document {
                Document::Enroll(b) => {
                    self.enrolled.entry(b.key).or_insert(leaf_index);
                }
                Document::ClientEnroll(b) => {
                    self.enrolled.entry(b.key).or_insert(leaf_index);
                }
                Document::Return(b) => {
                    self.returns.insert(b.request, b.reason);
                }
                _ => {}
            }
            self.documents.insert(
                leaf_index,
                DocumentRef {
                    id: env.id,
                    leaf_index,
                    height: header.height,
                    block_ms: header.time_ms,
                    created_ms: env.created_ms,
                    doc_type,
                    author: env.author.clone(),
                    checker: env.checker.clone(),
                    leaf_hash: vouch_core::merkle::leaf_hash(&env.bytes),
                },
            );
            self.by_id.insert(env.id, leaf_index);
            self.tree_size = self.tree_size.saturating_add(1);
        }
        self.height = header.height;
        self.time_ms = header.time_ms;
        Ok(())
    }

    /// Height of the last block applied (0 at genesis).
    pub fn height(&self) -> u64 {
        self.height
    }

    /// Leaves applied.
    pub fn tree_size(&self) -> u64 {
        self.tree_size
    }

    /// The last applied block's time, Unix milliseconds (0 at genesis): what "today" is
    /// for inboxes, reminders and statistics, so that their answers depend on the ledger
    /// only, never on a clock.
    pub fn time_ms(&self) -> u64 {
        self.time_ms
    }

    /// The leaf index of the committed document whose id is `id`.
    pub fn leaf_of(&self, id: &Hash) -> Option<u64> {
        self.by_id.get(id).copied()
    }

    /// The coded reason a returned request was returned for.
    pub fn return_reason(&self, request: &Hash) -> Option<ReturnReason> {
        self.returns.get(request).copied()
    }

    /// The state machine's state after the last block.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// A confirmation's record.
    pub fn request(&self, id: &Hash) -> Option<&RequestRecord> {
        self.state.request(id)
    }

    /// Confirmations in ledger order: (leaf index of the request, request id).
    pub fn requests(&self) -> &[(u64, Hash)] {
        &self.requests
    }

    /// The documents of confirmation `id`, in ledger order (the request first).
    pub fn documents_of(&self, id: &Hash) -> Vec<&DocumentRef> {
        // `Applied::request` is the request's own id for a request, so the request is the
        // first entry of its own list.
        self.by_request
            .get(id)
            .map(|leaves| leaves.iter().filter_map(|l| self.documents.get(l)).collect())
            .unwrap_or_default()
    }

    /// A document by leaf index.
    pub fn document(&self, leaf_index: u64) -> Option<&DocumentRef> {
        self.documents.get(&leaf_index)
    }

    /// Who a key is: its registration (admin, person or client of an org).
    pub fn signer(&self, key: &PublicKey) -> Option<&KeyRecord> {
        self.state.keys.get(key)
    }

    /// The leaf index of the enrollment that registered `key` (none for genesis admin keys).
    pub fn enrollment_of(&self, key: &PublicKey) -> Option<u64> {
        self.enrolled.get(key).copied()
    }

    /// The leaf indexes an evidence bundle of confirmation `id` needs, ascending: its
    /// documents, and the enrollments that bind each signer's key to its org, closed
    /// over the enrollments' own signers (R-BUN-7).
    pub fn bundle_leaves(&self, id: &Hash) -> Vec<u64> {
        let mut wanted: std::collections::BTreeSet<u64> =
            self.documents_of(id).iter().map(|d| d.leaf_index).collect();
        let mut frontier: Vec<u64> = wanted.iter().copied().collect();
        while let Some(leaf) = frontier.pop() {
            let Some(doc) = self.documents.get(&leaf) else { continue };
            let signers = std::iter::once(&doc.author).chain(doc.checker.as_ref());
            for signer in signers {
                if let Some(enrollment) = self.enrollment_of(&signer.key)
                    && wanted.insert(enrollment)
                {
                    frontier.push(enrollment);
                }
            }
        }
        wanted.into_iter().collect()
    }
}
