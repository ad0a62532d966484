//! Keep the signed checkpoints of this ledger, one note per tree size, cosignatures
//! included, so that the node can serve them and witnesses' work is not lost.
//!
//! A note is stored only if it is a checkpoint of this ledger: it parses as a signed note,
//! its body is a checkpoint for the size it is stored under, and its root is the stored
//! tree's root at that size. A note at a stored size replaces the stored one only if its
//! text is the same and it carries at least as many signature lines: collecting
//! cosignatures only ever adds.

use super::Store;
use super::error::{StoreError, corrupt};
use super::nodes::StoredNodes;
use super::schema::{self, CHECKPOINTS, NODES};
use redb::ReadableTable;
use vouch_core::checkpoint::Checkpoint;
use vouch_core::merkle;
use vouch_core::note::{self, ParsedNote};

impl Store {
    /// Store the signed checkpoint `note` for tree `size`. Returns `true` if the store now
    /// holds this note, `false` if it kept a stored note of the same text with more
    /// signature lines.
    pub fn put_checkpoint(&self, size: u64, note: &str) -> Result<bool, StoreError> {
        let parsed = note::open_note(note.as_bytes()).map_err(StoreError::Note)?;
        let body = Checkpoint::parse_body(&parsed.text).map_err(StoreError::Checkpoint)?;
        if body.size != size {
            return Err(StoreError::CheckpointSize { given: size, body: body.size });
        }
        let txn = self.begin_write()?;
        {
            // The root check reads the tree in the same transaction the note is written in.
            let stored_size = self.tree_size_in_write(&txn)?;
            if size > stored_size {
                return Err(StoreError::BeyondTree { tree_size: size, stored: stored_size });
            }
            let nodes = txn.open_table(NODES).map_err(self.storage("open table merkle_nodes"))?;
            let reader = StoredNodes::new(&nodes);
            let root = reader.finish(merkle::root(&reader, size), self.storage("read Merkle nodes"))?;
            if root != body.root {
                return Err(StoreError::CheckpointRoot { size, body: body.root, stored: root });
            }
            let mut checkpoints =
                txn.open_table(CHECKPOINTS).map_err(self.storage("open table checkpoints"))?;
            if let Some(stored) = checkpoints.get(size).map_err(self.storage("read checkpoint"))? {
                let stored = parse_stored(stored.value(), size)?;
                if stored.text != parsed.text {
                    return Err(StoreError::CheckpointConflict { size });
                }
                if stored.signatures.len() > parsed.signatures.len() {
                    return Ok(false);
                }
            }
            checkpoints.insert(size, note.as_bytes()).map_err(self.storage("write checkpoint"))?;
        }
        self.commit(txn)?;
        Ok(true)
    }

    /// The checkpoint of the largest tree size stored, with that size.
    pub fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, StoreError> {
        let txn = self.begin_read()?;
        let checkpoints = txn.open_table(CHECKPOINTS).map_err(self.storage("open table checkpoints"))?;
        let Some((size, note)) = checkpoints.last().map_err(self.storage("read checkpoint"))? else {
            return Ok(None);
        };
        let size = size.value();
        let note = schema::decode_text(note.value(), || format!("checkpoint for size {size}"))?;
        Ok(Some((size, note)))
    }

    /// The checkpoint stored for tree `size`.
    pub fn checkpoint(&self, size: u64) -> Result<Option<String>, StoreError> {
        let txn = self.begin_read()?;
        let checkpoints = txn.open_table(CHECKPOINTS).map_err(self.storage("open table checkpoints"))?;
        match checkpoints.get(size).map_err(self.storage("read checkpoint"))? {
            Some(note) => {
                schema::decode_text(note.value(), || format!("checkpoint for size {size}")).map(Some)
            }
            None => Ok(None),
        }
    }

    /// The tree size as the write transaction `txn` sees it.
    fn tree_size_in_write(&self, txn: &redb::WriteTransaction) -> Result<u64, StoreError> {
        let meta = txn.open_table(schema::META).map_err(self.storage("open table meta"))?;
        let headers = txn.open_table(schema::HEADERS).map_err(self.storage("open table headers"))?;
        Ok(self.tip_header_from(&meta, &headers)?.map_or(0, |h| h.tree_size))
    }
}

/// A stored note, which was checked when written; failing now means the file changed.
fn parse_stored(bytes: &[u8], size: u64) -> Result<ParsedNote, StoreError> {
    note::open_note(bytes).map_err(|e| corrupt(format!("checkpoint for size {size} does not parse: {e}")))
}
