//! Re-verify a chain of blocks from genesis, reporting the first fault exactly.
//!
//! [`ChainVerifier`] takes blocks one at a time (a node catching up, a regulator streaming
//! an export); [`verify_chain`] checks a whole slice and decodes envelopes on several
//! threads first, since signature checks dominate. Both apply the same rules in the same
//! order, R-BLK-1 to R-BLK-10 of `docs/PROTOCOL.md` §Blocks, and a failure names the
//! height, the document (index in the block and leaf index) and what failed.

use crate::block::{
    Block, Certificate, CertificateError, Header, Validator, validator_set_hash, verify_certificate,
};
use crate::encoding::Hash;
use crate::envelope::{Envelope, EnvelopeError};
use crate::genesis::Genesis;
use crate::ids::NetworkId;
use crate::limits::{BLOCK_BYTES_MAX, BLOCK_DOCUMENTS_MAX};
use crate::merkle::{MemoryTree, MerkleError};
use crate::state::{Applied, Rejection, State};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What failed in a block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockFault {
    /// Heights must follow one another from 1.
    #[error("R-BLK-1: height is {got}, expected {expected}")]
    Height {
        /// Height found.
        got: u64,
        /// Height expected.
        expected: u64,
    },
    /// The previous-header link is broken.
    #[error(
        "R-BLK-2: prev is {got}, expected {expected} (the previous header's hash, or the genesis hash at height 1)"
    )]
    Prev {
        /// Link found.
        got: Hash,
        /// Link expected.
        expected: Hash,
    },
    /// The header names another network.
    #[error("R-BLK-3: network is {got}, expected {expected}")]
    Network {
        /// Network found.
        got: NetworkId,
        /// Network expected.
        expected: NetworkId,
    },
    /// Block time must increase strictly (and not precede genesis), and fit in 2^53.
    #[error(
        "R-BLK-4: time_ms {got} is before {earliest} (the previous block's time + 1, or genesis_ms at height 1), or exceeds 2^53"
    )]
    Time {
        /// Time found.
        got: u64,
        /// Earliest allowed.
        earliest: u64,
    },
    /// The proposer is not a validator.
    #[error("R-BLK-5: proposer {0} is not a validator")]
    Proposer(String),
    /// The validator set hash does not match genesis.
    #[error("R-BLK-6: validators hash is {got}, expected {expected}")]
    Validators {
        /// Hash found.
        got: Hash,
        /// Hash of the genesis validator set.
        expected: Hash,
    },
    /// Too many documents, too many bytes, or a count that disagrees with the header.
    #[error("R-BLK-7: {0}")]
    Size(String),
    /// The commit certificate is invalid.
    #[error("R-BLK-8: certificate: {0}")]
    Certificate(#[from] CertificateError),
    /// A document's envelope does not decode or its signatures do not verify.
    #[error("R-BLK-9: {0}")]
    Envelope(#[from] EnvelopeError),
    /// A document breaks a state-machine rule.
    #[error("R-BLK-9: {0}")]
    Rejected(#[from] Rejection),
    /// The tree size after the block is wrong.
    #[error("R-BLK-10: tree_size is {got}, expected {expected}")]
    TreeSize {
        /// Size found.
        got: u64,
        /// Size computed.
        expected: u64,
    },
    /// The root after the block is wrong.
    #[error("R-BLK-10: root is {got}, computed {expected}")]
    Root {
        /// Root in the header.
        got: Hash,
        /// Root computed from the documents.
        expected: Hash,
    },
    /// The Merkle log could not be extended (a bug or exhausted tree).
    #[error("R-BLK-10: {0}")]
    Merkle(#[from] MerkleError),
}

/// The first fault found in a chain, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ChainError {
    /// Height of the faulty block.
    pub height: u64,
    /// Index of the faulty document within the block, if the fault is in one.
    pub document: Option<usize>,
    /// Its leaf index in the ledger, if the fault is in a document.
    pub leaf_index: Option<u64>,
    /// What failed (boxed: faults carry hashes and messages, and errors travel far).
    pub fault: Box<BlockFault>,
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "block {}", self.height)?;
        if let (Some(d), Some(l)) = (self.document, self.leaf_index) {
            write!(f, ", document {d} (leaf {l})")?;
        }
        write!(f, ": {}", self.fault)
    }
}

/// What a verified block did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockSummary {
    /// Height.
    pub height: u64,
    /// Header hash.
    pub hash: Hash,
    /// Voting power that signed its certificate.
    pub signed_power: u64,
    /// Each document's outcome.
    pub applied: Vec<Applied>,
}

/// What a verified chain contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSummary {
    /// Height of the last block (0 if none).
    pub height: u64,
    /// Hash of the last header (the genesis hash if none).
    pub head: Hash,
    /// Documents committed.
    pub tree_size: u64,
    /// Merkle root after the last block.
    pub root: Hash,
}

/// Verifies blocks in order from genesis, keeping the state and the Merkle log.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    network: NetworkId,
    validators: Vec<Validator>,
    validators_hash: Hash,
    state: State,
    tree: MemoryTree,
    height: u64,
    prev: Hash,
    /// Earliest time the next block may have: the last block's time + 1, or genesis time.
    min_time_ms: u64,
}

impl ChainVerifier {
    /// Start at genesis (height 0).
    pub fn new(genesis: &Genesis) -> ChainVerifier {
        let validators = genesis.validators();
        ChainVerifier {
            network: genesis.network.clone(),
            validators_hash: validator_set_hash(&validators),
            validators,
            state: State::new(genesis),
            tree: MemoryTree::new(),
            height: 0,
            prev: genesis.hash(),
            min_time_ms: genesis.genesis_ms,
        }
    }

    /// The state after the last verified block.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The Merkle log after the last verified block.
    pub fn tree(&self) -> &MemoryTree {
        &self.tree
    }

    /// Height of the last verified block.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// The validator set.
    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// Summary of what has been verified.
    pub fn summary(&self) -> ChainSummary {
        ChainSummary {
            height: self.height,
            head: self.prev,
            tree_size: self.tree.size(),
            root: self.tree.root().unwrap_or_else(|_| crate::merkle::empty_root()),
        }
    }

    /// Build the header of the next block carrying `documents` at `time_ms`, as a proposer
    /// does: apply each to a copy of the state (cheap: the state is persistent) and extend
    /// the log's right edge (without copying the log). Refuses the
    /// first document the state machine rejects, with its index. Nothing is changed.
    pub fn propose(
        &self,
        documents: &[Envelope],
        time_ms: u64,
        proposer: crate::keys::PublicKey,
    ) -> Result<crate::block::Header, (usize, Rejection)> {
        // The state is persistent (a copy shares its maps); the log is not copied at all:
        // only its right edge is extended to get the new root.
        let mut state = self.state.clone();
        let mut leaves = Vec::with_capacity(documents.len());
        let mut bytes_total = 0usize;
        for (index, envelope) in documents.iter().enumerate() {
            // A proposer never builds a block that R-BLK-7 would refuse.
            bytes_total = bytes_total.saturating_add(envelope.bytes.len());
            if index >= BLOCK_DOCUMENTS_MAX || bytes_total > BLOCK_BYTES_MAX {
                return Err((
                    index,
                    Rejection::Invalid {
                        rule: "R-BLK-7",
                        detail: format!(
                            "the block would exceed {BLOCK_DOCUMENTS_MAX} documents or {BLOCK_BYTES_MAX} bytes"
                        ),
                    },
                ));
            }
            state.apply(envelope, time_ms).map_err(|e| (index, e))?;
            leaves.push(crate::merkle::leaf_hash(&envelope.bytes));
        }
        // The log holds at most 2^64 - 1 leaves; a full log is unreachable in practice and
        // reported as a rejection of the last document.
        let root = self.tree.root_after(&leaves).map_err(|e| {
            (
                documents.len().saturating_sub(1),
                Rejection::Invalid { rule: "R-BLK-10", detail: e.to_string() },
            )
        })?;
        let tree_size = self.tree.size() + leaves.len() as u64;
        Ok(crate::block::Header {
            network: self.network.clone(),
            height: self.height.saturating_add(1),
            prev: self.prev,
            time_ms,
            proposer,
            documents: u64::try_from(documents.len()).unwrap_or(u64::MAX),
            tree_size,
            root,
            validators: self.validators_hash,
        })
    }

    /// Verify and apply the next block. On error, this verifier is unchanged: the block is
    /// applied to a copy first (which costs a copy of the state and log per block; a
    /// whole-chain check uses [`verify_chain`], which does not copy).
    pub fn push(&mut self, block: &Block) -> Result<BlockSummary, ChainError> {
        // Header, links and certificate first: a block that fails them costs no decoding.
        let signed_power = self.check_header(&self.cursor(), block)?;
        let decoded = decode_documents(&block.documents, &self.network);
        let mut next = self.clone();
        let summary = next.apply_in_place(&block.header, decoded, signed_power)?;
        *self = next;
        Ok(summary)
    }

    /// Verify and apply the next block without keeping a copy to fall back on: on error
    /// the verifier is consumed. For a node applying a block it already validated as a
    /// proposal, where a failure means the node must stop.
    pub fn push_consuming(mut self, block: &Block) -> Result<(ChainVerifier, BlockSummary), ChainError> {
        let signed_power = self.check_header(&self.cursor(), block)?;
        let decoded = decode_documents(&block.documents, &self.network);
        let summary = self.apply_in_place(&block.header, decoded, signed_power)?;
        Ok((self, summary))
    }

    /// As [`ChainVerifier::push_consuming`], for a node that already decoded and verified
    /// the block's envelopes (when it checked the proposal): `envelopes[i]` must be the
    /// decoding of `block.documents[i]` — its canonical bytes are compared, so a mismatch
    /// is refused (R-BLK-9) rather than trusted — and signatures are not checked again.
    pub fn push_decoded_consuming(
        mut self,
        block: &Block,
        envelopes: Vec<Envelope>,
    ) -> Result<(ChainVerifier, BlockSummary), ChainError> {
        let signed_power = self.check_header(&self.cursor(), block)?;
        let at = |index: usize| ChainError {
            height: block.header.height,
            document: Some(index),
            leaf_index: None,
            fault: Box::new(BlockFault::Size(format!(
                "decoded envelope {index} does not match the block's document {index}"
            ))),
        };
        if envelopes.len() != block.documents.len() {
            return Err(at(envelopes.len().min(block.documents.len())));
        }
        for (i, (env, doc)) in envelopes.iter().zip(&block.documents).enumerate() {
            if env.network != self.network || env.bytes != crate::canonical::to_canonical(doc) {
                return Err(at(i));
            }
        }
        let decoded = envelopes.into_iter().map(Ok).collect();
        let summary = self.apply_in_place(&block.header, decoded, signed_power)?;
        Ok((self, summary))
    }

    /// As [`ChainVerifier::push_decoded_consuming`], for a node that holds the block as its
    /// header, certificate and decoded envelopes, whose canonical bytes are the block's
    /// documents (the Merkle leaves; R-BLK-10 pins them against the header's root).
    /// Signatures are not checked again; envelopes of another network are refused.
    pub fn push_envelopes_consuming(
        mut self,
        header: &Header,
        certificate: &Certificate,
        envelopes: Vec<Envelope>,
    ) -> Result<(ChainVerifier, BlockSummary), ChainError> {
        let signed_power = self.check_parts(&self.cursor(), header, certificate, envelopes.len())?;
        let network = self.network.clone();
        let decoded = envelopes
            .into_iter()
            .map(|e| {
                if e.network == network {
                    Ok(e)
                } else {
                    Err(EnvelopeError::Network { got: e.network, expected: network.clone() })
                }
            })
            .collect();
        let summary = self.apply_in_place(header, decoded, signed_power)?;
        Ok((self, summary))
    }

    /// Earliest time the next block may carry: the last block's time + 1 ms, or the
    /// genesis time before block 1.
    pub fn next_min_time_ms(&self) -> u64 {
        self.min_time_ms
    }

    /// Hash of the last verified header (the genesis hash at height 0).
    pub fn head(&self) -> Hash {
        self.prev
    }

    fn cursor(&self) -> Cursor {
        Cursor { height: self.height, prev: self.prev, min_time_ms: self.min_time_ms }
    }

    /// Rules R-BLK-1 to R-BLK-8 of `block` as the successor of `after`: everything that
    /// needs the headers only. Returns the power that signed the certificate.
    fn check_header(&self, after: &Cursor, block: &Block) -> Result<u64, ChainError> {
        self.check_parts(after, &block.header, &block.certificate, block.documents.len())
    }

    /// [`ChainVerifier::check_header`] for a header, its certificate and the number of
    /// documents the block carries.
    fn check_parts(
        &self,
        after: &Cursor,
        h: &Header,
        certificate: &Certificate,
        count: usize,
    ) -> Result<u64, ChainError> {
        let at = |fault: BlockFault| ChainError {
            height: h.height,
            document: None,
            leaf_index: None,
            fault: Box::new(fault),
        };
        let expected_height = after.height.saturating_add(1);
        if h.height != expected_height {
            return Err(at(BlockFault::Height { got: h.height, expected: expected_height }));
        }
        if h.prev != after.prev {
            return Err(at(BlockFault::Prev { got: h.prev, expected: after.prev }));
        }
        if h.network != self.network {
            return Err(at(BlockFault::Network { got: h.network.clone(), expected: self.network.clone() }));
        }
        if h.time_ms < after.min_time_ms || h.time_ms > crate::limits::JSON_INTEGER_MAX {
            return Err(at(BlockFault::Time { got: h.time_ms, earliest: after.min_time_ms }));
        }
        if !self.validators.iter().any(|v| v.key == h.proposer) {
            return Err(at(BlockFault::Proposer(h.proposer.to_b64())));
        }
        if h.validators != self.validators_hash {
            return Err(at(BlockFault::Validators { got: h.validators, expected: self.validators_hash }));
        }
        if count > BLOCK_DOCUMENTS_MAX {
            return Err(at(BlockFault::Size(format!("{count} documents, at most {BLOCK_DOCUMENTS_MAX}"))));
        }
        if u64::try_from(count).ok() != Some(h.documents) {
            return Err(at(BlockFault::Size(format!(
                "header says {} documents, block carries {count}",
                h.documents
            ))));
        }
        verify_certificate(h, certificate, &self.validators).map_err(|e| at(e.into()))
    }

    /// Apply a block whose header passed [`ChainVerifier::check_header`] directly to this
    /// verifier's state and log (R-BLK-7 bytes, R-BLK-9, R-BLK-10). On error the verifier is
    /// left part-way through the block and must be discarded.
    fn apply_in_place(
        &mut self,
        h: &Header,
        decoded: Vec<Result<Envelope, EnvelopeError>>,
        signed_power: u64,
    ) -> Result<BlockSummary, ChainError> {
        let at = |fault: BlockFault| ChainError {
            height: h.height,
            document: None,
            leaf_index: None,
            fault: Box::new(fault),
        };
        let count = decoded.len();
        let state = &mut self.state;
        let tree = &mut self.tree;
        let mut bytes_total = 0usize;
        let mut applied = Vec::with_capacity(count);
        for (index, result) in decoded.into_iter().enumerate() {
            let leaf_index = tree.size();
            let in_doc = |fault: BlockFault| ChainError {
                height: h.height,
                document: Some(index),
                leaf_index: Some(leaf_index),
                fault: Box::new(fault),
            };
            let envelope = result.map_err(|e| in_doc(e.into()))?;
            bytes_total = bytes_total.saturating_add(envelope.bytes.len());
            if bytes_total > BLOCK_BYTES_MAX {
                return Err(in_doc(BlockFault::Size(format!("block exceeds {BLOCK_BYTES_MAX} bytes"))));
            }
            applied.push(state.apply(&envelope, h.time_ms).map_err(|e| in_doc(e.into()))?);
            tree.push(&envelope.bytes).map_err(|e| in_doc(e.into()))?;
        }
        if tree.size() != h.tree_size {
            return Err(at(BlockFault::TreeSize { got: h.tree_size, expected: tree.size() }));
        }
        let root = tree.root().map_err(|e| at(e.into()))?;
        if root != h.root {
            return Err(at(BlockFault::Root { got: h.root, expected: root }));
        }
        let hash = h.hash();
        self.height = h.height;
        self.prev = hash;
        self.min_time_ms = h.time_ms.saturating_add(1);
        Ok(BlockSummary { height: h.height, hash, signed_power, applied })
    }
}

/// What a [`ChainVerifier`] holds after a height beyond the header at that height: the
/// state and the Merkle log's leaf hashes. A node keeps one so that a restart resumes
/// there instead of re-verifying every block from genesis. It is a cache of the node's
/// own verification: never exchanged, never hashed or signed, and checked against the
/// header at its height when resumed ([`ChainVerifier::resume`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resumable {
    /// Height of the last block applied.
    pub height: u64,
    /// The state after it.
    pub state: State,
    /// The leaf hashes of the log after it, in order.
    pub leaves: Vec<Hash>,
}

/// Why a [`Resumable`] does not fit the header it was to resume at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    /// Another height.
    #[error("the resume point is at height {got}, the header at height {expected}")]
    Height {
        /// The resume point's.
        got: u64,
        /// The header's.
        expected: u64,
    },
    /// Another network.
    #[error("the resume point's state is of network {got}, the genesis of {expected}")]
    Network {
        /// The state's.
        got: NetworkId,
        /// The genesis'.
        expected: NetworkId,
    },
    /// The header names another validator set or network than the genesis.
    #[error("header {height} is not of this genesis (network or validator set differs)")]
    Header {
        /// The header's height.
        height: u64,
    },
    /// The leaves are not the log the header commits to.
    #[error(
        "the resume point's {leaves} leaves have root {root}; header {height} says tree size {tree_size}, root {expected}"
    )]
    Log {
        /// The header's height.
        height: u64,
        /// Leaves held.
        leaves: u64,
        /// Their root.
        root: Hash,
        /// The header's tree size.
        tree_size: u64,
        /// The header's root.
        expected: Hash,
    },
    /// The leaves do not fit in a log.
    #[error("the resume point's leaves do not form a log: {0}")]
    Tree(#[from] MerkleError),
}

impl ChainVerifier {
    /// What to keep to [`ChainVerifier::resume`] at this height later.
    pub fn resumable(&self) -> Resumable {
        Resumable { height: self.height, state: self.state.clone(), leaves: self.tree.leaf_hashes().to_vec() }
    }

    /// A verifier after `header`, from what [`ChainVerifier::resumable`] kept at its height.
    /// The caller vouches that every block up to `header` was verified (by this node,
    /// which then kept `point`) and that `header` is the stored header at that height;
    /// this checks that `point` fits it: height, network, validator set, and the tree
    /// size and root of the rebuilt log. The next block must link to `header`.
    pub fn resume(
        genesis: &Genesis,
        point: Resumable,
        header: &Header,
    ) -> Result<ChainVerifier, ResumeError> {
        if point.height != header.height {
            return Err(ResumeError::Height { got: point.height, expected: header.height });
        }
        if *point.state.network() != genesis.network {
            return Err(ResumeError::Network {
                got: point.state.network().clone(),
                expected: genesis.network.clone(),
            });
        }
        let mut verifier = ChainVerifier::new(genesis);
        if header.network != verifier.network || header.validators != verifier.validators_hash {
            return Err(ResumeError::Header { height: header.height });
        }
        let mut tree = MemoryTree::new();
        for leaf in point.leaves {
            tree.push_hash(leaf)?;
        }
        let root = tree.root()?;
        if tree.size() != header.tree_size || root != header.root {
            return Err(ResumeError::Log {
                height: header.height,
                leaves: tree.size(),
                root,
                tree_size: header.tree_size,
                expected: header.root,
            });
        }
        verifier.state = point.state;
        verifier.tree = tree;
        verifier.height = header.height;
        verifier.prev = header.hash();
        verifier.min_time_ms = header.time_ms.saturating_add(1);
        Ok(verifier)
    }
}

/// Decode a block's documents (canonical bytes, signatures) on up to `threads` threads.
fn decode_documents(
    documents: &[serde_json::Value],
    network: &NetworkId,
) -> Vec<Result<Envelope, EnvelopeError>> {
    let refs: Vec<&serde_json::Value> = documents.iter().collect();
    decode_parallel(&refs, network, if documents.len() >= 64 { 2 } else { 1 })
}

fn decode_one(value: &serde_json::Value, network: &NetworkId) -> Result<Envelope, EnvelopeError> {
    Envelope::decode_value(value, network)
}

fn decode_parallel(
    documents: &[&serde_json::Value],
    network: &NetworkId,
    threads: usize,
) -> Vec<Result<Envelope, EnvelopeError>> {
    if threads <= 1 || documents.len() < 2 {
        return documents.iter().map(|d| decode_one(d, network)).collect();
    }
    let chunk = documents.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = documents
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|d| decode_one(d, network)).collect::<Vec<_>>()))
            .collect();
        let mut out = Vec::with_capacity(documents.len());
        for (handle, part) in handles.into_iter().zip(documents.chunks(chunk)) {
            match handle.join() {
                Ok(results) => out.extend(results),
                // A panicking decoder is a bug; decode that part again on this thread so the
                // error (or panic) surfaces deterministically here.
                Err(_) => out.extend(part.iter().map(|d| decode_one(d, network))),
            }
        }
        out
    })
}

/// Verify `blocks` as the chain starting at `genesis`: every link, certificate, signature,
/// state transition and root. Returns the first fault.
pub fn verify_chain(genesis: &Genesis, blocks: &[Block]) -> Result<ChainSummary, ChainError> {
    verify_chain_with_threads(genesis, blocks, std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// [`verify_chain`] decoding envelopes on `threads` threads (1 = no extra threads).
pub fn verify_chain_with_threads(
    genesis: &Genesis,
    blocks: &[Block],
    threads: usize,
) -> Result<ChainSummary, ChainError> {
    let mut verifier = ChainVerifier::new(genesis);
    // Work through windows of blocks holding about DECODE_WINDOW_DOCUMENTS documents: check
    // the window's headers, links and certificates first (cheap, and a bad block costs no
    // decoding), then decode the window's envelopes across threads (signature checks
    // dominate), then apply them in order. Memory stays bounded by the window.
    let mut rest = blocks;
    while !rest.is_empty() {
        let mut cursor = verifier.cursor();
        let mut powers = Vec::new();
        let mut documents = 0usize;
        // A header fault in the window is reported only after the blocks before it were
        // fully verified, so that the first fault by height is the one reported.
        let mut pending = None;
        for block in rest {
            if !powers.is_empty() && documents.saturating_add(block.documents.len()) > DECODE_WINDOW_DOCUMENTS
            {
                break;
            }
            match verifier.check_header(&cursor, block) {
                Ok(power) => powers.push(power),
                Err(e) => {
                    pending = Some(e);
                    break;
                }
            }
            documents += block.documents.len();
            cursor = Cursor {
                height: block.header.height,
                prev: block.header.hash(),
                min_time_ms: block.header.time_ms.saturating_add(1),
            };
        }
        let (window, later) = rest.split_at(powers.len());
        let all: Vec<&serde_json::Value> = window.iter().flat_map(|b| b.documents.iter()).collect();
        let mut decoded = decode_parallel(&all, &genesis.network, threads).into_iter();
        for (block, power) in window.iter().zip(powers) {
            let mine: Vec<_> = decoded.by_ref().take(block.documents.len()).collect();
            verifier.apply_in_place(&block.header, mine, power)?;
        }
        if let Some(e) = pending {
            return Err(e);
        }
        rest = later;
    }
    Ok(verifier.summary())
}

/// Documents decoded at once by [`verify_chain`]: enough to keep every core busy, few
/// enough to bound memory (a few blocks' worth).
const DECODE_WINDOW_DOCUMENTS: usize = 4 * BLOCK_DOCUMENTS_MAX;

/// The position after the last verified block: what the next header must link to.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    height: u64,
    prev: Hash,
    /// Earliest time the next block may have.
    min_time_ms: u64,
}
