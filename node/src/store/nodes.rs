//! Serve `vouch_core::merkle` the Merkle nodes stored in the `merkle_nodes` table, so that
//! appends, roots and proofs run over the file rather than over a tree in memory.
//!
//! `NodeReader::node` can only fail with `MerkleError`, which has no room for an I/O error.
//! The reader therefore keeps the first storage error it meets and answers `MissingNode`;
//! [`StoredNodes::finish`] then reports the storage error, not the missing node it caused.

use super::error::{StoreError, corrupt};
use redb::{ReadableTable, StorageError};
use std::cell::RefCell;
use vouch_core::encoding::Hash;
use vouch_core::merkle::{MerkleError, NodeReader};

/// A `NodeReader` over a `merkle_nodes` table of a read or write transaction.
pub(super) struct StoredNodes<'t, T> {
    table: &'t T,
    failure: RefCell<Option<StorageError>>,
}

impl<'t, T: ReadableTable<(u8, u64), &'static [u8; 32]>> StoredNodes<'t, T> {
    pub(super) fn new(table: &'t T) -> Self {
        StoredNodes { table, failure: RefCell::new(None) }
    }

    /// Turn the result of a `merkle` call into the store's terms: a storage error first, a
    /// node missing from a tree the store says it holds is corruption, the rest are the
    /// caller's parameters.
    pub(super) fn finish<R>(
        &self,
        result: Result<R, MerkleError>,
        storage: impl FnOnce(StorageError) -> StoreError,
    ) -> Result<R, StoreError> {
        if let Some(error) = self.failure.borrow_mut().take() {
            return Err(storage(error));
        }
        result.map_err(|e| match e {
            MerkleError::MissingNode { level, index } => {
                corrupt(format!("Merkle node at level {level}, index {index} is missing"))
            }
            other => StoreError::Proof(other),
        })
    }
}

impl<T: ReadableTable<(u8, u64), &'static [u8; 32]>> NodeReader for StoredNodes<'_, T> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, MerkleError> {
        match self.table.get((level, index)) {
            Ok(Some(guard)) => Ok(Hash(*guard.value())),
            Ok(None) => Err(MerkleError::MissingNode { level, index }),
            Err(error) => {
                let mut failure = self.failure.borrow_mut();
                if failure.is_none() {
                    *failure = Some(error);
                }
                Err(MerkleError::MissingNode { level, index })
            }
        }
    }
}

/// Nodes a tree of `size` leaves stores: one per complete subtree, `2n - popcount(n)`.
pub(super) fn stored_node_count(size: u64) -> u128 {
    2 * u128::from(size) - u128::from(size.count_ones())
}
