//! Keep the one resume point a restart starts from: the bytes `crate::resume` encodes for
//! the chain verifier after a committed height. Written after that height's block, in its
//! own transaction; a crash between the two leaves the previous point, which still fits.

use super::Store;
use super::error::StoreError;
use super::schema::{META, RESUME};
use redb::ReadableTable;

impl Store {
    /// Replace the resume point with `bytes`, for committed `height`. Refused
    /// ([`StoreError::ResumeAhead`]) for a height above the tip: a point must never run ahead of
    /// the blocks it stands for.
    pub fn put_resume_point(&self, height: u64, bytes: &[u8]) -> Result<(), StoreError> {
        let txn = self.begin_write()?;
        {
            let meta = txn.open_table(META).map_err(self.storage("open table meta"))?;
            let tip = self.tip_in(&meta)?;
            if height > tip {
                return Err(StoreError::ResumeAhead { height, tip });
            }
            let mut table = txn.open_table(RESUME).map_err(self.storage("open table resume_point"))?;
            table.retain(|_, _| false).map_err(self.storage("clear resume point"))?;
            table.insert(height, bytes).map_err(self.storage("write resume point"))?;
        }
        self.commit(txn)
    }

    /// The resume point: its height and bytes, if there is one.
    pub fn resume_point(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let txn = self.begin_read()?;
        let table = txn.open_table(RESUME).map_err(self.storage("open table resume_point"))?;
        let last = table.last().map_err(self.storage("read resume point"))?;
        Ok(last.map(|(height, bytes)| (height.value(), bytes.value().to_vec())))
    }
}
