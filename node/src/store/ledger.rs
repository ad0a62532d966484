//! Commit decided blocks, once each and in order, and serve what they hold: blocks,
//! headers, leaves, Merkle roots and proofs, and the request and party indexes.
//!
//! A block is committed in one write transaction that writes its JSON, its header, each
//! leaf, the leaf and document lookups, the Merkle nodes it completes, the index entries
//! and the new tip. Before the commit, the tree size and root after its leaves are checked
//! against its header; on any error the transaction is dropped, which aborts it.

use super::Store;
use super::error::{StoreError, corrupt};
use super::nodes::StoredNodes;
use super::schema::{
    self, BLOCKS, BY_PARTY, BY_REQUEST, DOCUMENTS, HEADERS, LEAF_BY_HASH, LEAVES, META, META_TIP, NODES,
    STATUS,
};
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use vouch_core::block::{Block, Certificate, Header};
use vouch_core::encoding::Hash;
use vouch_core::merkle;

/// What a committed document adds to the indexes. Built by the caller from the state
/// machine's `Applied` and the envelope's signers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// The document's leaf index; must be one of the block's.
    pub leaf_index: u64,
    /// The document id, `SHA-256(leaf)`; checked against the leaf.
    pub document: Hash,
    /// The request the document concerns (its own id for a request).
    pub request: Option<Hash>,
    /// Org ids of the parties that may look the document up.
    pub parties: Vec<String>,
    /// The request's status after this document; requires `request`.
    pub status: Option<String>,
}

/// What [`Store::commit_block`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    /// The block is the new tip.
    Committed,
    /// This very block was already committed at its height; nothing was written.
    AlreadyCommitted,
}

impl Store {
    /// The height of the last committed block, 0 when there is none.
    pub fn tip(&self) -> Result<u64, StoreError> {
        let txn = self.begin_read()?;
        let meta = txn.open_table(META).map_err(self.storage("open table meta"))?;
        self.tip_in(&meta)
    }

    /// The header of the last committed block.
    pub fn tip_header(&self) -> Result<Option<Header>, StoreError> {
        let txn = self.begin_read()?;
        self.tip_header_in(&txn)
    }

    /// Commit `block` with its `leaves` (the canonical bytes of its documents, in order)
    /// and its `index` entries, durably and all at once.
    ///
    /// - height `tip + 1`: checked and written, [`CommitOutcome::Committed`];
    /// - height `<= tip`, same header hash: [`CommitOutcome::AlreadyCommitted`], so that a
    ///   height decided by consensus and fetched by sync is applied once;
    /// - height `<= tip`, other hash: [`StoreError::Conflict`];
    /// - height `> tip + 1`: [`StoreError::Gap`].
    ///
    /// Checked before committing: the counts of leaves, documents and the header's
    /// `documents`; each leaf is its document; `prev` is the stored header below (for
    /// heights above 1; height 1's `prev` is the genesis hash, which the caller checks);
    /// the tree size and root after the leaves are the header's; each index entry names a
    /// leaf of this block and the document id of that leaf. The certificate is not checked
    /// here: the caller verified the block.
    pub fn commit_block(
        &self,
        block: &Block,
        leaves: &[Vec<u8>],
        index: &[IndexEntry],
    ) -> Result<CommitOutcome, StoreError> {
        self.commit_checked(&block.header, &block.certificate, leaves, index, || {
            check_documents(block, leaves)
        })
    }

    /// [`Store::commit_block`] for a node that holds the block as its header, certificate
    /// and leaves (each leaf is a document's canonical bytes). The block is stored as the
    /// JSON object `{"header", "certificate", "documents"}` with the leaves as its documents,
    /// byte for byte, so nothing is parsed or re-encoded; the header's tree size and root
    /// pin the leaves.
    pub fn commit_parts(
        &self,
        header: &Header,
        certificate: &Certificate,
        leaves: &[Vec<u8>],
        index: &[IndexEntry],
    ) -> Result<CommitOutcome, StoreError> {
        let count = || {
            if u64::try_from(leaves.len()).ok() == Some(header.documents) {
                Ok(())
            } else {
                Err(StoreError::DocumentCount {
                    height: header.height,
                    leaves: leaves.len(),
                    documents: leaves.len(),
                    header: header.documents,
                })
            }
        };
        self.commit_checked(header, certificate, leaves, index, count)
    }

    /// Commit after placing the header (a conflict or a gap is reported first) and then
    /// running `check` on the documents.
    fn commit_checked(
        &self,
        header: &Header,
        certificate: &Certificate,
        leaves: &[Vec<u8>],
        index: &[IndexEntry],
        check: impl FnOnce() -> Result<(), StoreError>,
    ) -> Result<CommitOutcome, StoreError> {
        let height = header.height;
        if height == 0 {
            return Err(StoreError::HeightZero);
        }
        // Dropping `txn` on any early return aborts it: nothing is written.
        let txn = self.begin_write()?;
        let base_size = match self.place(&txn, header)? {
            Placement::Next { base_size } => base_size,
            Placement::Done(outcome) => return Ok(outcome),
        };
        check()?;
        let end = self.append_leaves(&txn, header, base_size, leaves)?;
        self.write_index(&txn, height, base_size, end, leaves, index)?;
        {
            let header_json = schema::encode_json(header, "header")?;
            let certificate_json = schema::encode_json(certificate, "certificate")?;
            let mut json = Vec::with_capacity(
                header_json.len()
                    + certificate_json.len()
                    + leaves.iter().map(|l| l.len() + 1).sum::<usize>()
                    + 48,
            );
            json.extend_from_slice(b"{\"header\":");
            json.extend_from_slice(&header_json);
            json.extend_from_slice(b",\"certificate\":");
            json.extend_from_slice(&certificate_json);
            json.extend_from_slice(b",\"documents\":[");
            for (i, leaf) in leaves.iter().enumerate() {
                if i > 0 {
                    json.push(b',');
                }
                json.extend_from_slice(leaf);
            }
            json.extend_from_slice(b"]}");
            let mut blocks = txn.open_table(BLOCKS).map_err(self.storage("open table blocks"))?;
            blocks.insert(height, json.as_slice()).map_err(self.storage("write block"))?;
            let mut headers = txn.open_table(HEADERS).map_err(self.storage("open table headers"))?;
            headers.insert(height, header_json.as_slice()).map_err(self.storage("write header"))?;
            let mut meta = txn.open_table(META).map_err(self.storage("open table meta"))?;
            meta.insert(META_TIP, height.to_be_bytes().as_slice()).map_err(self.storage("write tip"))?;
        }
        // The values proposed below the previous height are no longer needed: the blocks
        // are stored (the previous height's are kept for a peer still deciding it).
        self.prune_values_in(&txn, height.saturating_sub(1))?;
        self.commit(txn)?;
        Ok(CommitOutcome::Committed)
    }

    /// The block at `height` as stored: serde_json of `vouch_core::block::Block`.
    pub fn block_json(&self, height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.begin_read()?;
        let blocks = txn.open_table(BLOCKS).map_err(self.storage("open table blocks"))?;
        let json = blocks.get(height).map_err(self.storage("read block"))?;
        Ok(json.map(|g| g.value().to_vec()))
    }

    /// The header at `height`.
    pub fn header(&self, height: u64) -> Result<Option<Header>, StoreError> {
        let txn = self.begin_read()?;
        let headers = txn.open_table(HEADERS).map_err(self.storage("open table headers"))?;
        self.header_in(&headers, height)
    }

    /// The leaf (canonical envelope bytes) at `leaf_index`.
    pub fn leaf(&self, leaf_index: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.begin_read()?;
        let leaves = txn.open_table(LEAVES).map_err(self.storage("open table leaves"))?;
        let leaf = leaves.get(leaf_index).map_err(self.storage("read leaf"))?;
        Ok(leaf.map(|g| g.value().to_vec()))
    }

    /// The leaf index and block height of the leaf whose leaf hash is `leaf_hash`. Were a
    /// leaf committed twice (the state machine refuses duplicates), the first is kept.
    pub fn leaf_by_hash(&self, leaf_hash: &Hash) -> Result<Option<(u64, u64)>, StoreError> {
        let txn = self.begin_read()?;
        let table = txn.open_table(LEAF_BY_HASH).map_err(self.storage("open table leaf_by_hash"))?;
        let found = table.get(&leaf_hash.0).map_err(self.storage("read leaf_by_hash"))?;
        Ok(found.map(|g| g.value()))
    }

    /// The leaf index and block height of the document whose id is `document`
    /// (`SHA-256(leaf)`, the envelope id). The first is kept, as for [`Store::leaf_by_hash`].
    pub fn leaf_by_document(&self, document: &Hash) -> Result<Option<(u64, u64)>, StoreError> {
        let txn = self.begin_read()?;
        let table = txn.open_table(DOCUMENTS).map_err(self.storage("open table documents"))?;
        let found = table.get(&document.0).map_err(self.storage("read documents"))?;
        Ok(found.map(|g| g.value()))
    }

    /// The number of leaves committed: the tip header's tree size, 0 when empty.
    pub fn tree_size(&self) -> Result<u64, StoreError> {
        let txn = self.begin_read()?;
        self.tip_tree_size_in(&txn)
    }

    /// The Merkle root of the first `tree_size` leaves.
    pub fn root(&self, tree_size: u64) -> Result<Hash, StoreError> {
        self.with_nodes(tree_size, |nodes| merkle::root(nodes, tree_size))
    }

    /// RFC 9162 inclusion proof of leaf `leaf_index` in the tree of the first `tree_size`
    /// leaves, nearest the leaf first.
    pub fn inclusion_proof(&self, leaf_index: u64, tree_size: u64) -> Result<Vec<Hash>, StoreError> {
        self.with_nodes(tree_size, |nodes| merkle::inclusion_proof(nodes, leaf_index, tree_size))
    }

    /// RFC 9162 consistency proof from the first `size1` leaves to the first `size2`.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, StoreError> {
        self.with_nodes(size2, |nodes| merkle::consistency_proof(nodes, size1, size2))
    }

    /// The stored Merkle node `(level, index)` (see `vouch_core::merkle`), if stored. Nodes
    /// are written once and never change, so reads across snapshots agree.
    pub fn merkle_node(&self, level: u8, index: u64) -> Result<Option<Hash>, StoreError> {
        let txn = self.begin_read()?;
        let nodes = txn.open_table(NODES).map_err(self.storage("open table merkle_nodes"))?;
        let node = nodes.get((level, index)).map_err(self.storage("read Merkle node"))?;
        Ok(node.map(|g| Hash(*g.value())))
    }

    /// Leaf indexes of the documents concerning `request`, ascending.
    pub fn by_request(&self, request: &Hash) -> Result<Vec<u64>, StoreError> {
        let txn = self.begin_read()?;
        let table =
            txn.open_multimap_table(BY_REQUEST).map_err(self.storage("open table index_by_request"))?;
        let values = table.get(&request.0).map_err(self.storage("read index_by_request"))?;
        values.map(|v| v.map(|g| g.value()).map_err(self.storage("read index_by_request"))).collect()
    }

    /// Leaf indexes of the documents org `party` is a party to, ascending.
    pub fn by_party(&self, party: &str) -> Result<Vec<u64>, StoreError> {
        let txn = self.begin_read()?;
        let table = txn.open_multimap_table(BY_PARTY).map_err(self.storage("open table index_by_party"))?;
        let values = table.get(party.as_bytes()).map_err(self.storage("read index_by_party"))?;
        values.map(|v| v.map(|g| g.value()).map_err(self.storage("read index_by_party"))).collect()
    }

    /// The latest status of `request`, as the last document concerning it left it.
    pub fn status_of(&self, request: &Hash) -> Result<Option<String>, StoreError> {
        let txn = self.begin_read()?;
        let table = txn.open_table(STATUS).map_err(self.storage("open table request_status"))?;
        let Some(status) = table.get(&request.0).map_err(self.storage("read request_status"))? else {
            return Ok(None);
        };
        schema::decode_text(status.value(), || format!("status of request {request}")).map(Some)
    }

    /// Run a `merkle` function over the stored nodes, refusing sizes beyond the tree.
    fn with_nodes<R>(
        &self,
        tree_size: u64,
        f: impl FnOnce(
            &StoredNodes<'_, redb::ReadOnlyTable<(u8, u64), &'static [u8; 32]>>,
        ) -> Result<R, merkle::MerkleError>,
    ) -> Result<R, StoreError> {
        let txn = self.begin_read()?;
        let stored = self.tip_tree_size_in(&txn)?;
        if tree_size > stored {
            return Err(StoreError::BeyondTree { tree_size, stored });
        }
        let nodes = txn.open_table(NODES).map_err(self.storage("open table merkle_nodes"))?;
        let reader = StoredNodes::new(&nodes);
        reader.finish(f(&reader), self.storage("read Merkle nodes"))
    }

    /// The tip's tree size (0 for an empty store), decoding only that from its header.
    fn tip_tree_size_in(&self, txn: &ReadTransaction) -> Result<u64, StoreError> {
        let meta = txn.open_table(META).map_err(self.storage("open table meta"))?;
        let tip = self.tip_in(&meta)?;
        if tip == 0 {
            return Ok(0);
        }
        let headers = txn.open_table(HEADERS).map_err(self.storage("open table headers"))?;
        match headers.get(tip).map_err(self.storage("read header"))? {
            Some(json) => schema::decode_header_tree_size(json.value(), tip),
            None => Err(corrupt(format!("header of the tip, height {tip}, is missing"))),
        }
    }

    pub(super) fn tip_header_in(&self, txn: &ReadTransaction) -> Result<Option<Header>, StoreError> {
        let meta = txn.open_table(META).map_err(self.storage("open table meta"))?;
        let headers = txn.open_table(HEADERS).map_err(self.storage("open table headers"))?;
        self.tip_header_from(&meta, &headers)
    }

    /// The tip header from the `meta` and `headers` tables of one transaction.
    pub(super) fn tip_header_from(
        &self,
        meta: &impl ReadableTable<&'static str, &'static [u8]>,
        headers: &impl ReadableTable<u64, &'static [u8]>,
    ) -> Result<Option<Header>, StoreError> {
        let tip = self.tip_in(meta)?;
        if tip == 0 {
            return Ok(None);
        }
        match self.header_in(headers, tip)? {
            Some(header) => Ok(Some(header)),
            None => Err(corrupt(format!("header at tip height {tip} is missing"))),
        }
    }

    pub(super) fn header_in(
        &self,
        headers: &impl ReadableTable<u64, &'static [u8]>,
        height: u64,
    ) -> Result<Option<Header>, StoreError> {
        match headers.get(height).map_err(self.storage("read header"))? {
            Some(json) => schema::decode_header(json.value(), height).map(Some),
            None => Ok(None),
        }
    }

    /// Where `header` goes: on top of the tip (with the tree size below it), or nowhere
    /// because it is already there. Refuses conflicts, gaps and broken links.
    fn place(&self, txn: &WriteTransaction, header: &Header) -> Result<Placement, StoreError> {
        let height = header.height;
        let tip = {
            let meta = txn.open_table(META).map_err(self.storage("open table meta"))?;
            self.tip_in(&meta)?
        };
        let headers = txn.open_table(HEADERS).map_err(self.storage("open table headers"))?;
        let stored_at = |h: u64| -> Result<Header, StoreError> {
            self.header_in(&headers, h)?
                .ok_or_else(|| corrupt(format!("header at height {h} is missing below tip {tip}")))
        };
        if height <= tip {
            let (stored, given) = (stored_at(height)?.hash(), header.hash());
            if stored == given {
                return Ok(Placement::Done(CommitOutcome::AlreadyCommitted));
            }
            return Err(StoreError::Conflict { height, stored, given });
        }
        if height - tip > 1 {
            return Err(StoreError::Gap { height, tip });
        }
        if tip == 0 {
            return Ok(Placement::Next { base_size: 0 });
        }
        let below = stored_at(tip)?;
        let expected = below.hash();
        if header.prev != expected {
            return Err(StoreError::PrevMismatch { height, prev: header.prev, expected });
        }
        Ok(Placement::Next { base_size: below.tree_size })
    }

    /// Write the leaves, their lookups and the Merkle nodes they complete; check the tree
    /// size and root against `header`. Returns the tree size after.
    fn append_leaves(
        &self,
        txn: &WriteTransaction,
        header: &Header,
        base_size: u64,
        leaves: &[Vec<u8>],
    ) -> Result<u64, StoreError> {
        let height = header.height;
        let mut leaf_table = txn.open_table(LEAVES).map_err(self.storage("open table leaves"))?;
        let mut by_hash = txn.open_table(LEAF_BY_HASH).map_err(self.storage("open table leaf_by_hash"))?;
        let mut documents = txn.open_table(DOCUMENTS).map_err(self.storage("open table documents"))?;
        let mut nodes = txn.open_table(NODES).map_err(self.storage("open table merkle_nodes"))?;
        let mut size = base_size;
        for leaf in leaves {
            let hash = merkle::leaf_hash(leaf);
            let new = {
                let reader = StoredNodes::new(&nodes);
                reader.finish(merkle::append(&reader, size, hash), self.storage("read Merkle nodes"))?
            };
            for (level, index, node) in new {
                nodes.insert((level, index), &node.0).map_err(self.storage("write Merkle node"))?;
            }
            leaf_table.insert(size, leaf.as_slice()).map_err(self.storage("write leaf"))?;
            if by_hash.get(&hash.0).map_err(self.storage("read leaf_by_hash"))?.is_none() {
                by_hash.insert(&hash.0, (size, height)).map_err(self.storage("write leaf_by_hash"))?;
            }
            let id = Hash::sha256(leaf);
            if documents.get(&id.0).map_err(self.storage("read documents"))?.is_none() {
                documents.insert(&id.0, (size, height)).map_err(self.storage("write documents"))?;
            }
            // `append` refused a full tree above, so this cannot overflow.
            size = size.saturating_add(1);
        }
        if size != header.tree_size {
            return Err(StoreError::TreeSize { height, computed: size, header: header.tree_size });
        }
        let reader = StoredNodes::new(&nodes);
        let root = reader.finish(merkle::root(&reader, size), self.storage("read Merkle nodes"))?;
        if root != header.root {
            return Err(StoreError::RootMismatch { height, computed: root, header: header.root });
        }
        Ok(size)
    }

    /// Write the index entries of the block whose leaves are `first..end`, in leaf order so
    /// that a request's status is the one its last document left.
    fn write_index(
        &self,
        txn: &WriteTransaction,
        height: u64,
        first: u64,
        end: u64,
        leaves: &[Vec<u8>],
        index: &[IndexEntry],
    ) -> Result<(), StoreError> {
        let mut by_request =
            txn.open_multimap_table(BY_REQUEST).map_err(self.storage("open table index_by_request"))?;
        let mut by_party =
            txn.open_multimap_table(BY_PARTY).map_err(self.storage("open table index_by_party"))?;
        let mut status = txn.open_table(STATUS).map_err(self.storage("open table request_status"))?;
        let mut entries: Vec<&IndexEntry> = index.iter().collect();
        entries.sort_by_key(|e| e.leaf_index);
        for entry in entries {
            let leaf_index = entry.leaf_index;
            let leaf = leaf_index
                .checked_sub(first)
                .filter(|_| leaf_index < end)
                .and_then(|p| usize::try_from(p).ok())
                .and_then(|p| leaves.get(p))
                .ok_or(StoreError::IndexOutsideBlock { height, leaf_index, first, end })?;
            let computed = Hash::sha256(leaf);
            if entry.document != computed {
                return Err(StoreError::IndexDocument {
                    height,
                    leaf_index,
                    given: entry.document,
                    computed,
                });
            }
            match (&entry.request, &entry.status) {
                (Some(request), state) => {
                    by_request
                        .insert(&request.0, leaf_index)
                        .map_err(self.storage("write index_by_request"))?;
                    if let Some(state) = state {
                        status
                            .insert(&request.0, state.as_bytes())
                            .map_err(self.storage("write request_status"))?;
                    }
                }
                (None, Some(_)) => return Err(StoreError::StatusWithoutRequest { height, leaf_index }),
                (None, None) => {}
            }
            for party in &entry.parties {
                by_party
                    .insert(party.as_bytes(), leaf_index)
                    .map_err(self.storage("write index_by_party"))?;
            }
        }
        Ok(())
    }
}

/// Where a block goes relative to the tip.
enum Placement {
    /// On top of the tip, whose tree has `base_size` leaves.
    Next { base_size: u64 },
    /// Nowhere: it is already committed.
    Done(CommitOutcome),
}

/// The leaves are the block's documents: same count as the documents and the header's
/// `documents`, and each leaf parses to its document.
fn check_documents(block: &Block, leaves: &[Vec<u8>]) -> Result<(), StoreError> {
    let header = &block.header;
    let count_error = || StoreError::DocumentCount {
        height: header.height,
        leaves: leaves.len(),
        documents: block.documents.len(),
        header: header.documents,
    };
    if leaves.len() != block.documents.len() || u64::try_from(leaves.len()).ok() != Some(header.documents) {
        return Err(count_error());
    }
    // Parsing compares meaning, not bytes; the root check against the header then pins
    // the exact bytes.
    for (position, (leaf, document)) in leaves.iter().zip(&block.documents).enumerate() {
        let parsed: Option<serde_json::Value> = serde_json::from_slice(leaf).ok();
        if parsed.as_ref() != Some(document) {
            return Err(StoreError::LeafNotDocument { height: header.height, position });
        }
    }
    Ok(())
}
