//! Name every size bound in the protocol, with its reason.
//!
//! Input over a limit is refused before it is parsed further. Units and qualifiers come
//! last in each name (`envelope_bytes_max`, spelled `ENVELOPE_BYTES_MAX`). `docs/PROTOCOL.md`
//! §Limits states each of these; changing one is a protocol change.

/// Largest canonical envelope, in bytes. A 14-item request with 200 rows per item
/// sealed for four recipients stays well under this; anything bigger is abuse.
pub const ENVELOPE_BYTES_MAX: usize = 256 * 1024;

/// Largest genesis document, in bytes. Room for `ORGS_MAX` organizations with long names.
pub const GENESIS_BYTES_MAX: usize = 1024 * 1024;

/// Largest evidence bundle, in bytes: a confirmation's documents, their proofs and the
/// enrollments of their signers.
pub const BUNDLE_BYTES_MAX: usize = 8 * 1024 * 1024;

/// Most member organizations in one network.
pub const ORGS_MAX: usize = 1024;

/// Most validators in one network. Commit certificates carry one signature per validator.
pub const VALIDATORS_MAX: usize = 256;

/// Most rows in one item of a request or response.
pub const ITEM_ROWS_MAX: usize = 500;

/// Most rows over all items of one request or response.
pub const DOCUMENT_ROWS_MAX: usize = 2_000;

/// Most recipients a sealed payload may name (auditor, client, bank, regulators).
pub const RECIPIENTS_MAX: usize = 8;

/// Longest recipient label in a sealed payload, in bytes: `client/<org id>/<client ref>`
/// is two identifiers plus a short kind prefix and separators.
pub const RECIPIENT_LABEL_BYTES_MAX: usize = ID_BYTES_MAX * 2 + 16;

/// Longest short text field (names, titles, codes, letter numbers), in bytes of UTF-8.
pub const TEXT_SHORT_BYTES_MAX: usize = 256;

/// Longest long text field (explanations, reasons, item 14 free text), in bytes of UTF-8.
pub const TEXT_LONG_BYTES_MAX: usize = 4_096;

/// Longest identifier (org id, client reference, person id), in bytes.
pub const ID_BYTES_MAX: usize = 64;

/// Longest network id (the checkpoint origin line), in bytes.
pub const NETWORK_ID_BYTES_MAX: usize = 128;

/// Largest sealed ciphertext, in bytes (before base64). Bounded by the envelope size.
pub const CIPHERTEXT_BYTES_MAX: usize = 192 * 1024;

/// Longest Merkle proof accepted. Every inclusion and consistency proof in a tree of at most
/// 2^62 leaves fits (`docs/PROTOCOL.md` R-MRK-5); no ledger will reach that size.
pub const PROOF_HASHES_MAX: usize = 63;

/// Most documents in one block.
pub const BLOCK_DOCUMENTS_MAX: usize = 4_096;

/// Largest block (sum of its canonical envelopes), in bytes.
pub const BLOCK_BYTES_MAX: usize = 16 * 1024 * 1024;

/// Largest block file (one block as JSON), in bytes: its documents (at most
/// `BLOCK_BYTES_MAX` in canonical form) plus header, certificate and any indentation, which
/// never doubles the size of canonical JSON of our shapes.
pub const BLOCK_JSON_BYTES_MAX: usize = 2 * BLOCK_BYTES_MAX;

/// Most holidays or adjusted working days one calendar document may list.
pub const CALENDAR_DATES_MAX: usize = 400;

/// Most working days a response deadline may be set to.
pub const RESPONSE_DAYS_MAX: u32 = 120;

/// Largest JSON integer we accept anywhere: 2^53, the largest an IEEE double holds
/// exactly (RFC 8785 §3.2.2.3). Larger quantities travel as decimal strings.
pub const JSON_INTEGER_MAX: u64 = 1 << 53;

/// Most lines (signatures) a signed note may carry.
pub const NOTE_SIGNATURES_MAX: usize = VALIDATORS_MAX + 16;

/// Largest signed note, in bytes: the checkpoint body plus `NOTE_SIGNATURES_MAX` cosignature
/// lines of up to ~300 bytes each (a 128-byte origin, a 64-byte validator name, base64).
pub const NOTE_BYTES_MAX: usize = 128 * 1024;

/// Most branches one `bank_rules` document lists.
pub const RULES_BRANCHES_MAX: usize = 500;

/// Most entries in one evidence bundle.
pub const BUNDLE_ENTRIES_MAX: usize = 256;

const _: () = assert!(CIPHERTEXT_BYTES_MAX < ENVELOPE_BYTES_MAX);
const _: () = assert!(ITEM_ROWS_MAX <= DOCUMENT_ROWS_MAX);
const _: () = assert!(ENVELOPE_BYTES_MAX <= BLOCK_BYTES_MAX);
const _: () = assert!(ID_BYTES_MAX <= TEXT_SHORT_BYTES_MAX);

/// How long before its block an envelope may have been created: 24 hours, so a person can
/// sign in the evening and a node commit in the morning, while old signed documents
/// cannot be held back and slipped in much later.
pub const ENVELOPE_AGE_MS_MAX: u64 = 24 * 60 * 60 * 1000;

/// How far after its block's time an envelope's creation time may be: 5 minutes of clock skew.
pub const ENVELOPE_FUTURE_MS_MAX: u64 = 5 * 60 * 1000;
/// Most calendar days a working-day computation scans before giving up: three years,
/// enough for `RESPONSE_DAYS_MAX` working days even if two whole years were holidays.
pub const CALENDAR_SCAN_DAYS_MAX: u32 = 3 * 366;

const _: () = assert!(CALENDAR_SCAN_DAYS_MAX > 2 * 366 + 2 * RESPONSE_DAYS_MAX);
