//! Bound everything the API reads or writes per request, each limit with its reason.
//!
//! Names put units and qualifiers last, as `vouch_core::limits` does.

use vouch_core::limits::ENVELOPE_BYTES_MAX;

/// Largest body `POST /v1/entries` reads: one envelope plus slack for a trailing newline
/// or a client's whitespace (the envelope check then refuses anything non-canonical). The
/// same bound the node used before the API crate existed.
pub const ENTRY_BODY_BYTES_MAX: usize = ENVELOPE_BYTES_MAX + 1024;

/// Largest query string read. Every query of this API is a few short parameters; a longer
/// one is a mistake or an attack, refused before parsing.
pub const QUERY_BYTES_MAX: usize = 2048;

/// Most confirmations one page of `GET /v1/confirmations` holds: a page is built in
/// memory, and a few hundred rows is what a screen or a script wants at once.
pub const PAGE_ITEMS_MAX: u32 = 200;

/// Page size when `limit` is not given.
pub const PAGE_ITEMS_DEFAULT: u32 = 50;

/// Blocks read from the store per step of `GET /v1/export`: enough to keep the stream
/// busy, few enough that one step holds at most a few blocks' JSON in memory.
pub const EXPORT_BLOCKS_PER_STEP: u64 = 8;

/// Longest `Authorization` header value read. A token is `vouch_` and 64 hex digits; the
/// bound leaves room for the scheme and spaces.
pub const AUTHORIZATION_BYTES_MAX: usize = 256;

/// Self-audits running at once: each reads and rehashes the whole ledger.
pub const SELF_AUDITS_CONCURRENT_MAX: usize = 1;

const _: () = assert!(PAGE_ITEMS_DEFAULT <= PAGE_ITEMS_MAX);
const _: () = assert!(PAGE_ITEMS_DEFAULT >= 1);
const _: () = assert!(EXPORT_BLOCKS_PER_STEP >= 1);

/// Most items an inbox, a reminder list or a control sheet lists (the counts of a control
/// sheet cover every match): each is built in memory per request, and a thousand rows is
/// more than one screen or working paper holds. A longer list says `truncated`.
pub const WORKLIST_ITEMS_MAX: usize = 1000;

/// Largest `within_days` of `GET /v1/reminders`: three months of working days, well past
/// any deadline the protocol sets (answers are due in at most a few weeks).
pub const REMINDER_DAYS_MAX: u32 = 60;

/// `within_days` when not given: the three working days before a deadline, when a
/// reminder still leaves time to act.
pub const REMINDER_DAYS_DEFAULT: u32 = 3;

/// Most clients one control sheet names: an engagement's client banks with a few
/// dozen banks at most; the query string bounds it anyway.
pub const CONTROL_SHEET_CLIENTS_MAX: usize = 50;

/// Largest body `POST /v1/lookup` reads: one envelope, as for `POST /v1/entries`.
pub const LOOKUP_BODY_BYTES_MAX: usize = ENTRY_BODY_BYTES_MAX;

const _: () = assert!(REMINDER_DAYS_DEFAULT <= REMINDER_DAYS_MAX);

/// Console sessions held at once. Each is a few hundred bytes; ten thousand is far more
/// people than one node's banks, firms and clients sign in at once, and bounds the memory
/// an unending stream of sign-ins (each needing a valid token) can take.
pub const CONSOLE_SESSIONS_MAX: usize = 10_000;

/// Rows on one console list page: what a screen shows; the rest is paged.
pub const CONSOLE_PAGE_ROWS: usize = 50;

/// Largest form body the console reads: its forms are a token, a few fields and a CSRF
/// token; request forms with many rows stay well below this.
pub const CONSOLE_FORM_BYTES_MAX: usize = 64 * 1024;

/// Longest local path the console redirects to after sign-in or a language switch.
pub const CONSOLE_NEXT_BYTES_MAX: usize = 512;

const _: () = assert!(CONSOLE_PAGE_ROWS >= 1);
