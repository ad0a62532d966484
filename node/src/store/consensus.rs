//! Keep what consensus needs across a crash: the values proposed or received per height
//! and round, and the misbehavior evidence it observed.
//!
//! A node that crashes after proposing must propose the same value again for the same
//! height and round, or it equivocates; so a stored value is never replaced by another.
//! Evidence is append-only: it is what the network will act on.

use super::Store;
use super::error::{StoreError, corrupt};
use super::schema::{self, EVIDENCE, VALUE_IDS, VALUES};
use redb::ReadableTable;
use serde::{Deserialize, Serialize};
use vouch_core::encoding::Hash;

/// One piece of misbehavior evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRecord {
    /// Position in the evidence log, from 0.
    pub seq: u64,
    /// The height it concerns.
    pub height: u64,
    /// Its kind (for example `equivocation`).
    pub kind: String,
    /// The evidence itself, JSON.
    pub json: String,
}

/// An evidence record as stored (the sequence number is the key).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredEvidence {
    height: u64,
    kind: String,
    json: String,
}

/// The lowest value id, for ranges over `consensus_value_ids`.
const ID_MIN: [u8; 32] = [0; 32];

impl Store {
    /// Store the value with id `id` for `height` and `round`. Storing the same bytes again
    /// is a no-op; other bytes for a stored round are refused with
    /// [`StoreError::ValueConflict`]. The id lookup keeps the first round a value was
    /// stored for (a value re-proposed in a later round has the same bytes).
    pub fn put_value(&self, height: u64, round: u32, id: &Hash, bytes: &[u8]) -> Result<(), StoreError> {
        let txn = self.begin_write()?;
        {
            let mut values = txn.open_table(VALUES).map_err(self.storage("open table consensus_values"))?;
            if let Some(stored) = values.get((height, round)).map_err(self.storage("read consensus value"))? {
                if stored.value() == bytes {
                    return Ok(());
                }
                return Err(StoreError::ValueConflict { height, round });
            }
            values.insert((height, round), bytes).map_err(self.storage("write consensus value"))?;
            let mut ids =
                txn.open_table(VALUE_IDS).map_err(self.storage("open table consensus_value_ids"))?;
            if ids.get((height, &id.0)).map_err(self.storage("read consensus value id"))?.is_none() {
                ids.insert((height, &id.0), round).map_err(self.storage("write consensus value id"))?;
            }
        }
        self.commit(txn)
    }

    /// The value stored for `height` and `round`.
    pub fn value(&self, height: u64, round: u32) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.begin_read()?;
        let values = txn.open_table(VALUES).map_err(self.storage("open table consensus_values"))?;
        let value = values.get((height, round)).map_err(self.storage("read consensus value"))?;
        Ok(value.map(|g| g.value().to_vec()))
    }

    /// Every value stored for `height`, by ascending round.
    pub fn values_at(&self, height: u64) -> Result<Vec<(u32, Vec<u8>)>, StoreError> {
        let txn = self.begin_read()?;
        let values = txn.open_table(VALUES).map_err(self.storage("open table consensus_values"))?;
        let range = values
            .range((height, 0u32)..=(height, u32::MAX))
            .map_err(self.storage("read consensus values"))?;
        range
            .map(|entry| {
                let (key, value) = entry.map_err(self.storage("read consensus values"))?;
                Ok((key.value().1, value.value().to_vec()))
            })
            .collect()
    }

    /// The value with id `id` stored for `height`.
    pub fn value_by_id(&self, height: u64, id: &Hash) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.begin_read()?;
        let ids = txn.open_table(VALUE_IDS).map_err(self.storage("open table consensus_value_ids"))?;
        let Some(round) = ids.get((height, &id.0)).map_err(self.storage("read consensus value id"))? else {
            return Ok(None);
        };
        let round = round.value();
        let values = txn.open_table(VALUES).map_err(self.storage("open table consensus_values"))?;
        match values.get((height, round)).map_err(self.storage("read consensus value"))? {
            Some(value) => Ok(Some(value.value().to_vec())),
            None => Err(corrupt(format!(
                "value id {id} at height {height} points to round {round}, which holds no value"
            ))),
        }
    }

    /// Forget the values of every height below `height` (decided heights no longer need
    /// them: the block is stored).
    pub fn prune_values_below(&self, height: u64) -> Result<(), StoreError> {
        let txn = self.begin_write()?;
        {
            let mut values = txn.open_table(VALUES).map_err(self.storage("open table consensus_values"))?;
            values
                .retain_in((0u64, 0u32)..(height, 0u32), |_, _| false)
                .map_err(self.storage("prune values"))?;
            let mut ids =
                txn.open_table(VALUE_IDS).map_err(self.storage("open table consensus_value_ids"))?;
            ids.retain_in((0u64, &ID_MIN)..(height, &ID_MIN), |_, _| false)
                .map_err(self.storage("prune value ids"))?;
        }
        self.commit(txn)
    }

    /// Append misbehavior evidence observed at `height`; returns its sequence number.
    pub fn put_evidence(&self, height: u64, kind: &str, json: &str) -> Result<u64, StoreError> {
        let record = StoredEvidence { height, kind: kind.to_string(), json: json.to_string() };
        let bytes = schema::encode_json(&record, "evidence")?;
        let txn = self.begin_write()?;
        let seq = {
            let mut evidence = txn.open_table(EVIDENCE).map_err(self.storage("open table evidence"))?;
            let last = evidence.last().map_err(self.storage("read evidence"))?.map(|(key, _)| key.value());
            let seq = match last {
                Some(last) => last
                    .checked_add(1)
                    .ok_or_else(|| corrupt("evidence sequence number is at its maximum"))?,
                None => 0,
            };
            evidence.insert(seq, bytes.as_slice()).map_err(self.storage("write evidence"))?;
            seq
        };
        self.commit(txn)?;
        Ok(seq)
    }

    /// Every evidence record, in the order stored.
    pub fn evidence(&self) -> Result<Vec<EvidenceRecord>, StoreError> {
        let txn = self.begin_read()?;
        let evidence = txn.open_table(EVIDENCE).map_err(self.storage("open table evidence"))?;
        let range = evidence.range::<u64>(..).map_err(self.storage("read evidence"))?;
        range
            .map(|entry| {
                let (key, value) = entry.map_err(self.storage("read evidence"))?;
                let seq = key.value();
                let stored: StoredEvidence = serde_json::from_slice(value.value())
                    .map_err(|e| corrupt(format!("evidence record {seq} does not decode: {e}")))?;
                Ok(EvidenceRecord { seq, height: stored.height, kind: stored.kind, json: stored.json })
            })
            .collect()
    }
}
