//! Verify at open the invariants every commit keeps, and report the first one broken.
//!
//! 1. Heights are contiguous, `1..=tip`, in `headers` and `blocks`, and `meta.tip` is the
//!    last of them.
//! 2. Each header decodes, carries the height it is stored under, and for heights above 1
//!    its `prev` is the hash of the header below. Height 1's `prev` is the caller's to
//!    check against the genesis.
//! 3. Each header's `tree_size` is the previous one's plus its `documents`.
//! 4. The tip block's JSON decodes and carries the tip header.
//! 5. `leaves` holds exactly leaf indexes `0..tree_size` of the tip header, and
//!    `merkle_nodes` exactly the nodes a tree of that size stores.
//! 6. The root recomputed from the stored nodes is the tip header's root.
//!
//! Cost: one decode and one hash per header, one block decode, O(log n) node reads. Blocks
//! and leaves are only counted (redb already verified every page's checksum), and scanned
//! for the missing key only when a count is wrong.
//!
//! The root check reads only the nodes on the tree's right edge, so a damaged node below
//! them would pass it and surface later as a proof that fails to verify.
//! [`Store::verify_tree`] closes that gap by rehashing every leaf and node; it is linear in
//! the ledger's bytes, so it is not run at open but offered to an operator's check.

use super::Store;
use super::error::{StoreError, corrupt};
use super::nodes::{StoredNodes, stored_node_count};
use super::schema::{self, BLOCKS, HEADERS, LEAVES, META, NODES};
use redb::{ReadableTable, ReadableTableMetadata};
use vouch_core::block::{Block, Header};
use vouch_core::encoding::Hash;
use vouch_core::merkle;

impl Store {
    /// Check every invariant above again, on the file as it is now (what [`Store::open`]
    /// checked at start). For an operator's or a regulator's audit of a running node.
    pub fn check(&self) -> Result<(), StoreError> {
        self.check_invariants()
    }

    /// Check every invariant above in one read snapshot.
    pub(super) fn check_invariants(&self) -> Result<(), StoreError> {
        let txn = self.begin_read()?;
        let meta = txn.open_table(META).map_err(self.storage("open table meta"))?;
        let tip = self.tip_in(&meta)?;
        let headers = txn.open_table(HEADERS).map_err(self.storage("open table headers"))?;
        let last = self.check_headers(&headers, tip)?;

        let blocks = txn.open_table(BLOCKS).map_err(self.storage("open table blocks"))?;
        let count = blocks.len().map_err(self.storage("count blocks"))?;
        if count != tip {
            let missing = self.first_missing(&blocks, 1, tip)?;
            return Err(corrupt(format!("blocks table holds {count} blocks for tip {tip}{missing}")));
        }
        let tree_size = match &last {
            Some(header) => {
                self.check_tip_block(&blocks, header)?;
                header.tree_size
            }
            None => 0,
        };

        let leaves = txn.open_table(LEAVES).map_err(self.storage("open table leaves"))?;
        let count = leaves.len().map_err(self.storage("count leaves"))?;
        if count != tree_size {
            let missing = match tree_size.checked_sub(1) {
                Some(last) => self.first_missing(&leaves, 0, last)?,
                None => String::new(),
            };
            return Err(corrupt(format!(
                "leaves table holds {count} leaves, the tip header's tree size is {tree_size}{missing}"
            )));
        }
        let nodes = txn.open_table(NODES).map_err(self.storage("open table merkle_nodes"))?;
        let count = nodes.len().map_err(self.storage("count Merkle nodes"))?;
        if u128::from(count) != stored_node_count(tree_size) {
            return Err(corrupt(format!(
                "Merkle node table holds {count} nodes, a tree of {tree_size} leaves has {}",
                stored_node_count(tree_size)
            )));
        }
        let reader = StoredNodes::new(&nodes);
        let root = reader.finish(merkle::root(&reader, tree_size), self.storage("read Merkle nodes"))?;
        if let Some(header) = last
            && root != header.root
        {
            return Err(corrupt(format!(
                "Merkle root of the {tree_size} stored leaves is {root}, the tip header (height {}) says {}",
                header.height, header.root
            )));
        }
        Ok(())
    }

    /// Rehash every leaf and every stored Merkle node: each level-0 node is the hash of its
    /// leaf, each higher node the interior hash of its two children. With the checks made
    /// at open (node count, root), this proves every proof the store serves is right.
    /// Reads the whole ledger: O(n) hashes, O(n log n) node lookups.
    pub fn verify_tree(&self) -> Result<(), StoreError> {
        let txn = self.begin_read()?;
        let leaves = txn.open_table(LEAVES).map_err(self.storage("open table leaves"))?;
        let nodes = txn.open_table(NODES).map_err(self.storage("open table merkle_nodes"))?;
        let node = |level: u8, index: u64| -> Result<Hash, StoreError> {
            match nodes.get((level, index)).map_err(self.storage("read Merkle node"))? {
                Some(hash) => Ok(Hash(*hash.value())),
                None => Err(corrupt(format!("Merkle node at level {level}, index {index} is missing"))),
            }
        };
        for entry in leaves.range::<u64>(..).map_err(self.storage("read leaves"))? {
            let (index, leaf) = entry.map_err(self.storage("read leaves"))?;
            let index = index.value();
            if node(0, index)? != merkle::leaf_hash(leaf.value()) {
                return Err(corrupt(format!(
                    "Merkle node at level 0, index {index} is not the hash of leaf {index}"
                )));
            }
        }
        for entry in nodes.range::<(u8, u64)>((1u8, 0u64)..).map_err(self.storage("read Merkle nodes"))? {
            let (key, hash) = entry.map_err(self.storage("read Merkle nodes"))?;
            let (level, index) = key.value();
            let left = index.checked_mul(2);
            let (Some(left), Some(right)) = (left, left.and_then(|l| l.checked_add(1))) else {
                return Err(corrupt(format!("Merkle node at level {level}, index {index} cannot exist")));
            };
            let below = level.saturating_sub(1);
            if merkle::interior_hash(&node(below, left)?, &node(below, right)?) != Hash(*hash.value()) {
                return Err(corrupt(format!(
                    "Merkle node at level {level}, index {index} is not the hash of its children"
                )));
            }
        }
        Ok(())
    }

    /// Invariants 1 to 3 over `headers`; returns the tip header.
    fn check_headers(
        &self,
        headers: &impl ReadableTable<u64, &'static [u8]>,
        tip: u64,
    ) -> Result<Option<Header>, StoreError> {
        let mut previous: Option<Header> = None;
        let mut expected = 1u64;
        for entry in headers.range::<u64>(..).map_err(self.storage("read headers"))? {
            let (key, value) = entry.map_err(self.storage("read headers"))?;
            let height = key.value();
            if height != expected {
                return Err(corrupt(format!(
                    "header at height {expected} is missing (next stored is {height})"
                )));
            }
            let header = schema::decode_header(value.value(), height)?;
            if let Some(prev) = &previous {
                let prev_hash = prev.hash();
                if header.prev != prev_hash {
                    return Err(corrupt(format!(
                        "header {height} links to {}, but header {} hashes to {prev_hash}",
                        header.prev, prev.height
                    )));
                }
            }
            let base = previous.as_ref().map_or(0, |p| p.tree_size);
            if base.checked_add(header.documents) != Some(header.tree_size) {
                return Err(corrupt(format!(
                    "header {height} has tree size {} after {} documents on a tree of {base}",
                    header.tree_size, header.documents
                )));
            }
            previous = Some(header);
            expected = expected.saturating_add(1);
        }
        let last = expected.saturating_sub(1);
        if last != tip {
            return Err(corrupt(format!("tip record says height {tip}, headers end at height {last}")));
        }
        Ok(previous)
    }

    /// Invariant 4.
    fn check_tip_block(
        &self,
        blocks: &impl ReadableTable<u64, &'static [u8]>,
        header: &Header,
    ) -> Result<(), StoreError> {
        let height = header.height;
        let Some(json) = blocks.get(height).map_err(self.storage("read block"))? else {
            return Err(corrupt(format!("block at height {height} is missing")));
        };
        let block: Block = serde_json::from_slice(json.value())
            .map_err(|e| corrupt(format!("block at height {height} does not decode: {e}")))?;
        if block.header != *header {
            return Err(corrupt(format!(
                "block at height {height} carries another header than the one stored"
            )));
        }
        Ok(())
    }

    /// For a table whose count is wrong: `", first missing key is K"` for the first key of
    /// `first..=last` that is absent, or `""` if none is (the table holds extra keys).
    fn first_missing(
        &self,
        table: &impl ReadableTable<u64, &'static [u8]>,
        first: u64,
        last: u64,
    ) -> Result<String, StoreError> {
        let mut expected = first;
        for entry in table.range::<u64>(first..=last).map_err(self.storage("scan keys"))? {
            let (key, _) = entry.map_err(self.storage("scan keys"))?;
            if key.value() != expected {
                return Ok(format!(", first missing key is {expected}"));
            }
            expected = expected.saturating_add(1);
        }
        Ok(if expected <= last { format!(", first missing key is {expected}") } else { String::new() })
    }
}
