//! Name the store's redb tables and decode what they hold.
//!
//! Every value that is not a fixed-width integer or hash is stored as raw bytes and decoded
//! here, never through redb's `&str` or tuple types: those panic on malformed bytes, and
//! the file is untrusted input. A record that does not decode is [`StoreError::Corrupt`]
//! naming the record.
//!
//! | table | key | value |
//! |---|---|---|
//! | `meta` | `"format"`, `"genesis"`, `"tip"` | u64 BE / 32-byte hash / u64 BE |
//! | `blocks` | height | block JSON (serde_json of `Block`) |
//! | `headers` | height | header JSON |
//! | `leaves` | leaf index | canonical envelope bytes |
//! | `leaf_by_hash` | leaf hash | (leaf index, height) |
//! | `documents` | document id, `SHA-256(leaf)` | (leaf index, height) |
//! | `merkle_nodes` | (level, index) | node hash (see `vouch_core::merkle`) |
//! | `index_by_request` | request id | leaf indexes (multimap) |
//! | `index_by_party` | org id bytes | leaf indexes (multimap) |
//! | `request_status` | request id | status name bytes |
//! | `checkpoints` | tree size | signed note bytes |
//! | `consensus_values` | (height, round) | value bytes |
//! | `consensus_value_ids` | (height, value id) | round |
//! | `evidence` | sequence number | evidence JSON |
//! | `resume_point` | height | the chain verifier after that height (`crate::resume`) |

use super::error::{StoreError, corrupt};
use redb::{MultimapTableDefinition, TableDefinition};
use vouch_core::block::Header;
use vouch_core::encoding::Hash;

/// The layout written by this build. Bump it, with a migration or a refusal, whenever a
/// table's key or value encoding changes.
pub(super) const FORMAT: u64 = 1;

pub(super) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub(super) const META_FORMAT: &str = "format";
pub(super) const META_GENESIS: &str = "genesis";
pub(super) const META_TIP: &str = "tip";

pub(super) const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
pub(super) const HEADERS: TableDefinition<u64, &[u8]> = TableDefinition::new("headers");
pub(super) const LEAVES: TableDefinition<u64, &[u8]> = TableDefinition::new("leaves");
pub(super) const LEAF_BY_HASH: TableDefinition<&[u8; 32], (u64, u64)> = TableDefinition::new("leaf_by_hash");
pub(super) const DOCUMENTS: TableDefinition<&[u8; 32], (u64, u64)> = TableDefinition::new("documents");
pub(super) const NODES: TableDefinition<(u8, u64), &[u8; 32]> = TableDefinition::new("merkle_nodes");
pub(super) const BY_REQUEST: MultimapTableDefinition<&[u8; 32], u64> =
    MultimapTableDefinition::new("index_by_request");
pub(super) const BY_PARTY: MultimapTableDefinition<&[u8], u64> =
    MultimapTableDefinition::new("index_by_party");
pub(super) const STATUS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("request_status");
pub(super) const CHECKPOINTS: TableDefinition<u64, &[u8]> = TableDefinition::new("checkpoints");
pub(super) const VALUES: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("consensus_values");
pub(super) const VALUE_IDS: TableDefinition<(u64, &[u8; 32]), u32> =
    TableDefinition::new("consensus_value_ids");
/// A second, different value for a (height, round) that already holds one (an equivocating
/// proposer, or twins), keyed by its id as well: kept so that it can still be decided and
/// committed after a restart, but never proposed by this node.
pub(super) const OTHER_VALUES: TableDefinition<(u64, u32, &[u8; 32]), &[u8]> =
    TableDefinition::new("consensus_values_other");
pub(super) const EVIDENCE: TableDefinition<u64, &[u8]> = TableDefinition::new("evidence");
/// Where the chain verifier stood after a height (see `crate::resume`): at most one entry.
/// A cache of the node's own verification, so it is not covered by [`FORMAT`]: a store
/// without the table, or with a point this build cannot read, replays from genesis.
pub(super) const RESUME: TableDefinition<u64, &[u8]> = TableDefinition::new("resume_point");

/// A big-endian u64 meta record.
pub(super) fn decode_u64(bytes: &[u8], what: &str) -> Result<u64, StoreError> {
    <[u8; 8]>::try_from(bytes)
        .map(u64::from_be_bytes)
        .map_err(|_| corrupt(format!("{what} record is {} bytes, expected 8", bytes.len())))
}

/// A 32-byte hash record.
pub(super) fn decode_hash(bytes: &[u8], what: &str) -> Result<Hash, StoreError> {
    <[u8; 32]>::try_from(bytes)
        .map(Hash)
        .map_err(|_| corrupt(format!("{what} record is {} bytes, expected 32", bytes.len())))
}

/// A stored header, checked to carry the height it is stored under.
pub(super) fn decode_header(bytes: &[u8], height: u64) -> Result<Header, StoreError> {
    let header: Header = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(format!("header at height {height} does not decode: {e}")))?;
    if header.height != height {
        return Err(corrupt(format!("header stored at height {height} says height {}", header.height)));
    }
    Ok(header)
}

/// Only the tree size of a stored header, checked to carry the height it is stored under.
///
/// Proof and range checks need the tip's tree size on every request; decoding the whole
/// header also decompresses the proposer's Ed25519 key, which costs more than the proof.
/// The header was decoded whole when the store was opened or the block committed.
pub(super) fn decode_header_tree_size(bytes: &[u8], height: u64) -> Result<u64, StoreError> {
    #[derive(serde::Deserialize)]
    struct Sizes {
        height: u64,
        tree_size: u64,
    }
    let sizes: Sizes = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(format!("header at height {height} does not decode: {e}")))?;
    if sizes.height != height {
        return Err(corrupt(format!("header stored at height {height} says height {}", sizes.height)));
    }
    Ok(sizes.tree_size)
}

/// A UTF-8 text record.
pub(super) fn decode_text(bytes: &[u8], what: impl FnOnce() -> String) -> Result<String, StoreError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|e| corrupt(format!("{} is not UTF-8 (byte {})", what(), e.utf8_error().valid_up_to())))
}

/// JSON of a record, for writing.
pub(super) fn encode_json<T: serde::Serialize>(value: &T, what: &'static str) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|error| StoreError::Encode { what, error })
}
