//! Say why the store refused a request or could not serve it, and what to do next.
//!
//! Three families: the file itself is unusable (`Storage`, `FileDamaged`, `Format`,
//! `GenesisMismatch`, `Corrupt`: stop the node), the caller offered something that would
//! break a ledger invariant (`Conflict`, `Gap`, the block checks, the
//! checkpoint checks: nothing was written), and a read asked for something the log does not
//! hold (`BeyondTree`, `Proof`).

use std::path::PathBuf;
use vouch_core::checkpoint::CheckpointError;
use vouch_core::encoding::Hash;
use vouch_core::merkle::MerkleError;
use vouch_core::note::NoteError;

/// Why a store operation failed. Every write that fails wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb failed (I/O, a full disk, a lock held by another process). After a failed
    /// commit redb refuses further writes until the file is reopened.
    #[error(
        "ledger store {path}: {during} failed: {error}; check the disk (space, permissions, I/O errors) and that no other vouchd uses this data_dir, then restart the node"
    )]
    Storage {
        /// The store file.
        path: PathBuf,
        /// What the store was doing.
        during: &'static str,
        /// redb's error (boxed: it is large, and errors travel in every `Result`).
        error: Box<redb::Error>,
    },
    /// redb found the file damaged (a page checksum or a tree that does not parse).
    #[error(
        "ledger store {path} is damaged: {detail}; stop the node, keep the file for inspection, and restore it from a backup or resync into a fresh data_dir"
    )]
    FileDamaged {
        /// The store file.
        path: PathBuf,
        /// redb's description of the damage.
        detail: String,
    },
    /// The file was written by a store format this build does not know.
    #[error(
        "ledger store {path} has format {found}, this vouchd reads format {supported}; run a matching vouchd or resync into a fresh data_dir"
    )]
    Format {
        /// The store file.
        path: PathBuf,
        /// The format recorded in the file.
        found: u64,
        /// The format this build reads and writes.
        supported: u64,
    },
    /// The store was created for another genesis.
    #[error(
        "the data directory belongs to another network: its store was created for genesis {stored}, this node runs genesis {given}; use a fresh data_dir or the right genesis"
    )]
    GenesisMismatch {
        /// The genesis hash recorded at first open.
        stored: Hash,
        /// The genesis hash given now.
        given: Hash,
    },
    /// The store's contents break a ledger invariant (a missing height, a broken hash
    /// link, a leaf count or root that does not match its header, a record that does not
    /// decode). redb's own checks passed, so the damage is in what was written.
    #[error(
        "ledger store is inconsistent: {what}; stop the node, keep the file for inspection, and resync into a fresh data_dir"
    )]
    Corrupt {
        /// What is wrong, naming the height, leaf index or record.
        what: String,
    },
    /// A different block is already committed at this height.
    #[error(
        "height {height} is already committed with header {stored}, refusing block with header {given}: two blocks were decided for one height; stop the node and keep both blocks as evidence"
    )]
    Conflict {
        /// The height.
        height: u64,
        /// Hash of the stored header.
        stored: Hash,
        /// Hash of the header offered.
        given: Hash,
    },
    /// The block does not follow the tip.
    #[error(
        "block at height {height} does not follow the tip {tip}: blocks are committed in order; fetch and commit height {} first",
        .tip.saturating_add(1)
    )]
    Gap {
        /// The block's height.
        height: u64,
        /// The stored tip.
        tip: u64,
    },
    /// A resume point for a height the store has not committed.
    #[error(
        "a resume point for height {height} is ahead of the tip {tip}; keep points only for committed heights"
    )]
    ResumeAhead {
        /// The point's height.
        height: u64,
        /// The stored tip.
        tip: u64,
    },
    /// Heights start at 1.
    #[error("block height 0 refused: heights start at 1")]
    HeightZero,
    /// The block's `prev` is not the hash of the stored header below it.
    #[error(
        "block {height} links to previous header {prev}, but the stored header {} hashes to {expected}; this block is not on the stored chain",
        .height.saturating_sub(1)
    )]
    PrevMismatch {
        /// The block's height.
        height: u64,
        /// The block's `prev`.
        prev: Hash,
        /// The hash of the stored header at `height - 1`.
        expected: Hash,
    },
    /// The leaves, the documents and the header's document count disagree.
    #[error(
        "block {height}: {leaves} leaves given for {documents} documents, header counts {header}; pass the canonical bytes of each document, in order"
    )]
    DocumentCount {
        /// The block's height.
        height: u64,
        /// Leaves given.
        leaves: usize,
        /// Documents in the block.
        documents: usize,
        /// The header's `documents`.
        header: u64,
    },
    /// A leaf is not the bytes of the document at its position.
    #[error(
        "block {height}: leaf {position} is not document {position} of the block; pass the canonical bytes of each document, in order"
    )]
    LeafNotDocument {
        /// The block's height.
        height: u64,
        /// Position within the block.
        position: usize,
    },
    /// The tree size after appending the block's leaves is not the header's.
    #[error("block {height}: tree size after its leaves is {computed}, header says {header}")]
    TreeSize {
        /// The block's height.
        height: u64,
        /// The size after appending.
        computed: u64,
        /// The header's `tree_size`.
        header: u64,
    },
    /// The root after appending the block's leaves is not the header's.
    #[error("block {height}: Merkle root after its leaves is {computed}, header says {header}")]
    RootMismatch {
        /// The block's height.
        height: u64,
        /// The root recomputed from the stored nodes.
        computed: Hash,
        /// The header's `root`.
        header: Hash,
    },
    /// An index entry names a leaf outside the block.
    #[error("block {height}: index entry for leaf {leaf_index} is outside the block's leaves {first}..{end}")]
    IndexOutsideBlock {
        /// The block's height.
        height: u64,
        /// The entry's leaf index.
        leaf_index: u64,
        /// The block's first leaf index.
        first: u64,
        /// One past the block's last leaf index.
        end: u64,
    },
    /// An index entry's document id is not the id of the leaf it names.
    #[error(
        "block {height}: index entry for leaf {leaf_index} names document {given}, the leaf's id is {computed}"
    )]
    IndexDocument {
        /// The block's height.
        height: u64,
        /// The entry's leaf index.
        leaf_index: u64,
        /// The document id in the entry.
        given: Hash,
        /// `SHA-256` of the leaf.
        computed: Hash,
    },
    /// An index entry carries a status but no request to attach it to.
    #[error("block {height}: index entry for leaf {leaf_index} has a status but no request")]
    StatusWithoutRequest {
        /// The block's height.
        height: u64,
        /// The entry's leaf index.
        leaf_index: u64,
    },
    /// A proof or root was asked for a size the store does not hold yet.
    #[error("tree size {tree_size} asked, the store holds {stored} leaves")]
    BeyondTree {
        /// The size asked for.
        tree_size: u64,
        /// Leaves stored.
        stored: u64,
    },
    /// The proof parameters are invalid (an index outside the tree, sizes out of order).
    #[error(transparent)]
    Proof(MerkleError),
    /// The checkpoint note does not parse as a signed note.
    #[error("checkpoint note refused: {0}")]
    Note(NoteError),
    /// The note's text is not a checkpoint body.
    #[error("checkpoint note refused: {0}")]
    Checkpoint(CheckpointError),
    /// The note's body is for another size than the one it is stored under.
    #[error("checkpoint note is for tree size {body}, but was offered for size {given}")]
    CheckpointSize {
        /// The size it was offered under.
        given: u64,
        /// The size in its body.
        body: u64,
    },
    /// The note's root is not the stored tree's root at its size.
    #[error(
        "checkpoint for tree size {size} has root {body}, the stored tree's root at that size is {stored}; this checkpoint is not of this ledger"
    )]
    CheckpointRoot {
        /// The size.
        size: u64,
        /// The root in the note.
        body: Hash,
        /// The stored tree's root.
        stored: Hash,
    },
    /// A checkpoint with other text is already stored for this size.
    #[error(
        "a checkpoint with different text is already stored for tree size {size}; refusing to replace it: keep both notes as evidence"
    )]
    CheckpointConflict {
        /// The size.
        size: u64,
    },
    /// A record could not be encoded (a bug: our types always serialize).
    #[error("cannot encode {what}: {error}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// serde_json's error.
        error: serde_json::Error,
    },
}

/// `Corrupt` with a message.
pub(super) fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt { what: what.into() }
}
