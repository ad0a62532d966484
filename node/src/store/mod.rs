//! Keep the node's ledger durably on disk: blocks, Merkle leaves and nodes, the request and
//! party indexes, checkpoints, consensus values and misbehavior evidence, in one redb file.
//!
//! A ledger's first promise is to lose nothing, so:
//!
//! - every write is one redb transaction committed with two-phase commit and
//!   `Durability::Immediate` (see `/work/shared/design/RELIABILITY.md` §5): when a method
//!   returns `Ok`, its write is on disk; when it returns `Err`, nothing of it was written;
//! - the file is untrusted input: nothing read from it is unwrapped, and a record that does
//!   not decode or breaks an invariant is [`StoreError::Corrupt`] naming what is wrong;
//! - [`Store::open`] verifies the file (redb's page checksums) and the ledger invariants
//!   before the node trusts anything in it.
//!
//! # Terminology
//!
//! - *Tip*: the height of the last committed block, 0 when there is none.
//! - *Leaf*, *leaf index*, *tree size*, *node*: as in `vouch_core::merkle`. Leaves are the
//!   canonical envelope bytes of the committed documents, numbered from 0 across blocks.
//! - *Value*: the bytes a consensus round decides on, kept by (height, round) so that a
//!   node re-proposes the same value for the same round after a crash.
//!
//! # Concurrency
//!
//! [`Store`] is `Send + Sync`; share it in an `Arc`. redb serializes write transactions and
//! gives each read a consistent snapshot, so HTTP reads run beside consensus writes. A
//! single read method sees one snapshot; two calls may see two. Every method blocks on
//! disk I/O: call it from `spawn_blocking` in async code.
//!
//! # Parts
//!
//! - `schema`: the tables and the decoding of their records;
//! - `nodes`: `vouch_core::merkle::NodeReader` over the node table;
//! - `check`: the invariants verified at open;
//! - `ledger`: committing blocks, and reading blocks, leaves, proofs and indexes;
//! - `checkpoints`, `consensus`: signed checkpoints; consensus values and evidence;
//! - `resume`: the one resume point a restart starts from.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

mod check;
mod checkpoints;
mod consensus;
mod error;
#[cfg(test)]
mod fault_disk;
mod ledger;
mod nodes;
mod resume;
mod schema;
#[cfg(test)]
mod tests;

pub use consensus::{EvidenceRecord, ValueStored};
pub use error::StoreError;
pub use ledger::{CommitOutcome, IndexEntry};

use redb::{
    Builder, Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    WriteTransaction,
};
use schema::{META, META_FORMAT, META_GENESIS, META_TIP};
use std::path::{Path, PathBuf};
use vouch_core::encoding::Hash;

/// The node's ledger store: one redb file.
pub struct Store {
    db: Database,
    path: PathBuf,
}

// The consensus task and the HTTP handlers share one store.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Store>();
};

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

/// redb's page cache. redb's default is 1 GiB, which a node reaches once its ledger file
/// is that large (start-up reads the whole file), on top of its in-memory state; 128 MiB
/// keeps a node's memory bounded as the ledger grows (a soak showed resident memory
/// tracking the file's size) while holding the recent blocks that reads and proofs touch.
pub const CACHE_BYTES: usize = 128 * 1024 * 1024;

impl Store {
    /// Open the store at `path`, creating the file and its tables if missing, and check it.
    ///
    /// The first open records `genesis_hash`; a later open with another hash is refused
    /// with [`StoreError::GenesisMismatch`] and writes nothing. Then every invariant the
    /// store keeps is verified (see `check`), and the first violation is reported as
    /// [`StoreError::Corrupt`].
    ///
    /// Cost: redb verifies the checksum of every page in the file on every open
    /// (`Builder::set_check_integrity_on_open`), so opening reads the whole file once; the
    /// ledger check then decodes and hashes every stored header. Both are linear in the
    /// ledger's size and are paid once per start: a file altered outside redb is then
    /// refused with an error instead of being trusted, where a plain open may panic.
    pub fn open(path: &Path, genesis_hash: &Hash) -> Result<Store, StoreError> {
        let db = Self::builder().create(path).map_err(|e| storage_error(path, "open", e.into()))?;
        Self::opened(db, path, genesis_hash)
    }

    /// [`Store::open`] over any redb storage backend (the storage fault tests run the store
    /// on a disk that fails on purpose); `label` names it in errors.
    pub fn open_with_backend(
        backend: impl redb::StorageBackend,
        label: &Path,
        genesis_hash: &Hash,
    ) -> Result<Store, StoreError> {
        let db = Self::builder()
            .create_with_backend(backend)
            .map_err(|e| storage_error(label, "open", e.into()))?;
        Self::opened(db, label, genesis_hash)
    }

    fn builder() -> Builder {
        let mut builder = Builder::new();
        builder.set_check_integrity_on_open(true);
        builder.set_cache_size(CACHE_BYTES);
        builder
    }

    fn opened(db: Database, path: &Path, genesis_hash: &Hash) -> Result<Store, StoreError> {
        let store = Store { db, path: path.to_path_buf() };
        store.initialize(genesis_hash)?;
        store.check_invariants()?;
        Ok(store)
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Create the tables, record format and genesis on first open, refuse another genesis
    /// or format later. One transaction: a refusal writes nothing.
    fn initialize(&self, genesis_hash: &Hash) -> Result<(), StoreError> {
        let txn = self.begin_write()?;
        {
            let mut meta = txn.open_table(META).map_err(self.storage("open table meta"))?;
            let format = meta.get(META_FORMAT).map_err(self.storage("read format"))?;
            let format = format.map(|g| schema::decode_u64(g.value(), "format")).transpose()?;
            match format {
                None => {
                    if !meta.is_empty().map_err(self.storage("read meta"))? {
                        return Err(error::corrupt("format record missing from a store that holds records"));
                    }
                    meta.insert(META_FORMAT, schema::FORMAT.to_be_bytes().as_slice())
                        .map_err(self.storage("write format"))?;
                    meta.insert(META_GENESIS, genesis_hash.0.as_slice())
                        .map_err(self.storage("write genesis"))?;
                    meta.insert(META_TIP, 0u64.to_be_bytes().as_slice())
                        .map_err(self.storage("write tip"))?;
                }
                Some(found) if found != schema::FORMAT => {
                    return Err(StoreError::Format {
                        path: self.path.clone(),
                        found,
                        supported: schema::FORMAT,
                    });
                }
                Some(_) => {
                    let stored = meta.get(META_GENESIS).map_err(self.storage("read genesis"))?;
                    let stored = match stored {
                        Some(g) => schema::decode_hash(g.value(), "genesis")?,
                        None => return Err(error::corrupt("genesis record missing")),
                    };
                    if stored != *genesis_hash {
                        return Err(StoreError::GenesisMismatch { stored, given: *genesis_hash });
                    }
                }
            }
            // Every other table is created here, so that reads never meet a missing table.
            txn.open_table(schema::BLOCKS).map_err(self.storage("create tables"))?;
            txn.open_table(schema::HEADERS).map_err(self.storage("create tables"))?;
            txn.open_table(schema::LEAVES).map_err(self.storage("create tables"))?;
            txn.open_table(schema::LEAF_BY_HASH).map_err(self.storage("create tables"))?;
            txn.open_table(schema::DOCUMENTS).map_err(self.storage("create tables"))?;
            txn.open_table(schema::NODES).map_err(self.storage("create tables"))?;
            txn.open_multimap_table(schema::BY_REQUEST).map_err(self.storage("create tables"))?;
            txn.open_multimap_table(schema::BY_PARTY).map_err(self.storage("create tables"))?;
            txn.open_table(schema::STATUS).map_err(self.storage("create tables"))?;
            txn.open_table(schema::CHECKPOINTS).map_err(self.storage("create tables"))?;
            txn.open_table(schema::VALUES).map_err(self.storage("create tables"))?;
            txn.open_table(schema::VALUE_IDS).map_err(self.storage("create tables"))?;
            txn.open_table(schema::OTHER_VALUES).map_err(self.storage("create tables"))?;
            txn.open_table(schema::EVIDENCE).map_err(self.storage("create tables"))?;
            txn.open_table(schema::RESUME).map_err(self.storage("create tables"))?;
        }
        self.commit(txn)
    }

    /// A write transaction that commits in two phases and is durable when `commit` returns.
    ///
    /// Two-phase commit is a per-transaction setting in redb 4.6
    /// (`WriteTransaction::set_two_phase_commit`), so every write goes through here. It
    /// costs a second fsync per commit; in exchange a crash can never leave the primary
    /// commit slot pointing at a partly written transaction, even one crafted through the
    /// documents we store (redb's 1PC+C checksums are not cryptographic).
    fn begin_write(&self) -> Result<WriteTransaction, StoreError> {
        let mut txn = self.db.begin_write().map_err(self.storage("begin write"))?;
        txn.set_two_phase_commit(true);
        let durability = if crate::canary::active(crate::canary::Canary::EarlyAck) {
            Durability::None
        } else {
            Durability::Immediate
        };
        txn.set_durability(durability).map_err(self.storage("set durability"))?;
        Ok(txn)
    }

    fn commit(&self, txn: WriteTransaction) -> Result<(), StoreError> {
        crate::faults::before_commit();
        txn.commit().map_err(self.storage("commit"))
    }

    fn begin_read(&self) -> Result<ReadTransaction, StoreError> {
        self.db.begin_read().map_err(self.storage("begin read"))
    }

    /// The tip recorded in `meta` (0 for an empty store), from any transaction.
    fn tip_in(&self, meta: &impl ReadableTable<&'static str, &'static [u8]>) -> Result<u64, StoreError> {
        match meta.get(META_TIP).map_err(self.storage("read tip"))? {
            Some(g) => schema::decode_u64(g.value(), "tip"),
            None => Err(error::corrupt("tip record missing")),
        }
    }

    /// Map a redb error met while doing `during` to a `StoreError` naming the file.
    fn storage<E: Into<redb::Error>>(&self, during: &'static str) -> impl FnOnce(E) -> StoreError + '_ {
        move |e| storage_error(&self.path, during, e.into())
    }
}

fn storage_error(path: &Path, during: &'static str, error: redb::Error) -> StoreError {
    match error {
        redb::Error::Corrupted(detail) => StoreError::FileDamaged { path: path.to_path_buf(), detail },
        error => StoreError::Storage { path: path.to_path_buf(), during, error: Box::new(error) },
    }
}
