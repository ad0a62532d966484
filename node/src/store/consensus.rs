//! Keep what consensus needs across a crash: the values proposed or received per height
//! and round, and the misbehavior evidence it observed.
//!
//! A node that crashes after proposing must propose the same value again for the same
//! height and round, or it equivocates; so a stored value is never replaced by another.
//! A second value received for a round (from an equivocating proposer) is kept beside the
//! first, since consensus may decide it.
//! Evidence is append-only: it is what the network will act on.

use super::Store;
use super::error::{StoreError, corrupt};
use super::schema::{self, EVIDENCE, OTHER_VALUES, VALUE_IDS, VALUES};
use redb::{ReadableTable, WriteTransaction};
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

/// The lowest and highest value ids, for ranges over tables keyed by id.
const ID_MIN: [u8; 32] = [0; 32];
const ID_MAX: [u8; 32] = [0xff; 32];

/// What [`Store::put_value`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueStored {
    /// The first value for its height and round.
    First,
    /// These bytes were already stored.
    Again,
    /// A second, different value for a height and round that already held one.
    Second,
}

impl Store {
    /// Store the value with id `id` for `height` and `round`. Storing the same bytes again
    /// is a no-op. Other bytes for a round that already holds a value (an equivocating
    /// proposer, or twins) are kept beside it, by id, and reported as
    /// [`ValueStored::Second`]: the engine may still decide that value, and after a restart
    /// it must be found; but [`Store::value`] keeps answering the first, which is the only
    /// one this node may propose. The id lookup keeps the first round a value was stored
    /// for (a value re-proposed in a later round has the same bytes).
    pub fn put_value(
        &self,
        height: u64,
        round: u32,
        id: &Hash,
        bytes: &[u8],
    ) -> Result<ValueStored, StoreError> {
        let txn = self.begin_write()?;
        let outcome = {
            let mut values = txn.open_table(VALUES).map_err(self.storage("open table consensus_values"))?;
            let outcome = match values.get((height, round)).map_err(self.storage("read consensus value"))? {
                Some(stored) if stored.value() == bytes => return Ok(ValueStored::Again),
                Some(_) => ValueStored::Second,
                None => ValueStored::First,
            };
            match outcome {
                ValueStored::First => {
                    values.insert((height, round), bytes).map_err(self.storage("write consensus value"))?;
                }
                _ => {
                    let mut others = txn
                        .open_table(OTHER_VALUES)
                        .map_err(self.storage("open table consensus_values_other"))?;
                    if others
                        .get((height, round, &id.0))
                        .map_err(self.storage("read consensus value"))?
                        .is_some()
                    {
                        return Ok(ValueStored::Again);
                    }
                    others
                        .insert((height, round, &id.0), bytes)
                        .map_err(self.storage("write consensus value"))?;
                }
            }
            let mut ids =
                txn.open_table(VALUE_IDS).map_err(self.storage("open table consensus_value_ids"))?;
            if ids.get((height, &id.0)).map_err(self.storage("read consensus value id"))?.is_none() {
                ids.insert((height, &id.0), round).map_err(self.storage("write consensus value id"))?;
            }
            outcome
        };
        self.commit(txn)?;
        Ok(outcome)
    }

    /// The value stored for `height` and `round`.
    pub fn value(&self, height: u64, round: u32) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.begin_read()?;
        let values = txn.open_table(VALUES).map_err(self.storage("open table consensus_values"))?;
        let value = values.get((height, round)).map_err(self.storage("read consensus value"))?;
        Ok(value.map(|g| g.value().to_vec()))
    }

    /// Every value stored for `height`, by ascending round (for a round with a second
    /// value, the first one first).
    pub fn values_at(&self, height: u64) -> Result<Vec<(u32, Vec<u8>)>, StoreError> {
        let txn = self.begin_read()?;
        let values = txn.open_table(VALUES).map_err(self.storage("open table consensus_values"))?;
        let mut out = values
            .range((height, 0u32)..=(height, u32::MAX))
            .map_err(self.storage("read consensus values"))?
            .map(|entry| {
                let (key, value) = entry.map_err(self.storage("read consensus values"))?;
                Ok((key.value().1, value.value().to_vec()))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let others =
            txn.open_table(OTHER_VALUES).map_err(self.storage("open table consensus_values_other"))?;
        for entry in others
            .range((height, 0u32, &ID_MIN)..=(height, u32::MAX, &ID_MAX))
            .map_err(self.storage("read consensus values"))?
        {
            let (key, value) = entry.map_err(self.storage("read consensus values"))?;
            out.push((key.value().1, value.value().to_vec()));
        }
        // Stable: the first value of a round stays ahead of its second.
        out.sort_by_key(|(round, _)| *round);
        Ok(out)
    }

    /// The value with id `id` stored for `height`.
    pub fn value_by_id(&self, height: u64, id: &Hash) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.begin_read()?;
        let ids = txn.open_table(VALUE_IDS).map_err(self.storage("open table consensus_value_ids"))?;
        let Some(round) = ids.get((height, &id.0)).map_err(self.storage("read consensus value id"))? else {
            return Ok(None);
        };
        let round = round.value();
        let others =
            txn.open_table(OTHER_VALUES).map_err(self.storage("open table consensus_values_other"))?;
        if let Some(value) =
            others.get((height, round, &id.0)).map_err(self.storage("read consensus value"))?
        {
            return Ok(Some(value.value().to_vec()));
        }
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
        self.prune_values_in(&txn, height)?;
        self.commit(txn)
    }

    /// [`Store::prune_values_below`] inside `txn` (a block's commit does it, saving a
    /// durable commit per height).
    pub(super) fn prune_values_in(&self, txn: &WriteTransaction, height: u64) -> Result<(), StoreError> {
        {
            let mut values = txn.open_table(VALUES).map_err(self.storage("open table consensus_values"))?;
            values
                .retain_in((0u64, 0u32)..(height, 0u32), |_, _| false)
                .map_err(self.storage("prune values"))?;
            let mut ids =
                txn.open_table(VALUE_IDS).map_err(self.storage("open table consensus_value_ids"))?;
            ids.retain_in((0u64, &ID_MIN)..(height, &ID_MIN), |_, _| false)
                .map_err(self.storage("prune value ids"))?;
            let mut others =
                txn.open_table(OTHER_VALUES).map_err(self.storage("open table consensus_values_other"))?;
            others
                .retain_in((0u64, 0u32, &ID_MIN)..(height, 0u32, &ID_MIN), |_, _| false)
                .map_err(self.storage("prune values"))?;
        }
        Ok(())
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
