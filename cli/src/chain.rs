//! Re-verify a whole chain from genesis (`vouch verify chain`): every block's link,
//! certificate, signatures, state transitions and Merkle root, with `ChainVerifier`
//! (`docs/PROTOCOL.md` §Blocks, R-BLK-1 to R-BLK-10).
//!
//! # Terminology
//!
//! - *Source*: where blocks come from, in height order from 1: an NDJSON export file (one
//!   canonical block JSON per line), a node's `/v1/export`, or, when a node does not serve
//!   exports, its `/v1/blocks/{h}` one by one up to the height `/v1/status` reports.
//! - *Where*: a line of the file or a URL, named with the height in every failure.
//!
//! The verifier is consumed block by block (`push_consuming`): a chain is checked in one
//! pass, memory bounded by the state and one block, and the first fault ends the run.

use crate::client::{Client, ClientError, ExportStream};
use crate::files::{self, FileError, Line};
use crate::genesis::{self, GenesisFileError};
use crate::outcome::{Classify, Exit, Report};
use serde::Serialize;
use std::fmt;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use vouch_core::block::Block;
use vouch_core::encoding::Hash;
use vouch_core::limits::BLOCK_JSON_BYTES_MAX;
use vouch_core::verify::{ChainError, ChainVerifier};

/// Where a block came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Where {
    /// Line of an export file.
    Line(u64),
    /// A URL (the export, or one block's).
    Url(String),
}

impl fmt::Display for Where {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Where::Line(n) => write!(f, "line {n}"),
            Where::Url(u) => f.write_str(u),
        }
    }
}

/// Why `verify chain` failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainCmdError {
    /// The pinned genesis could not be used.
    #[error(transparent)]
    Genesis(#[from] GenesisFileError),
    /// The export file could not be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file is not an NDJSON block export at all.
    #[error("{path} is not an NDJSON block export: line {line} {detail}")]
    NotExport {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// What was wrong.
        detail: String,
    },
    /// A node could not be asked.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The node runs another network.
    #[error("the node's genesis hash is {served}, the pinned genesis file's is {pinned}")]
    GenesisMismatch {
        /// Hash in `/v1/status`.
        served: String,
        /// Hash of the file given.
        pinned: Hash,
    },
    /// A block does not parse.
    #[error("block {height} ({at}) does not parse: {detail}")]
    Unparsable {
        /// The height it should have.
        height: u64,
        /// Where it came from.
        at: Where,
        /// What the parser said.
        detail: String,
    },
    /// A block fails verification.
    #[error("block {} ({at}) fails verification", fault.height)]
    Fault {
        /// Where it came from.
        at: Where,
        /// The fault, with height, document and leaf index.
        #[source]
        fault: ChainError,
    },
    /// The node stopped short of the height it reported.
    #[error("the node reported height {reported} but served blocks only up to {served} ({at})")]
    Short {
        /// Height in `/v1/status`.
        reported: u64,
        /// Last height served.
        served: u64,
        /// What was asked.
        at: Where,
    },
    /// The node's status disagrees with the chain it served.
    #[error("the node's status says {field} {served} at height {height}, its blocks give {computed}")]
    StatusMismatch {
        /// Height.
        height: u64,
        /// `tree_size` or `root`.
        field: &'static str,
        /// In `/v1/status`.
        served: String,
        /// From the verified blocks.
        computed: String,
    },
}

impl Classify for ChainCmdError {
    fn exit(&self) -> Exit {
        match self {
            ChainCmdError::Genesis(e) => e.exit(),
            ChainCmdError::File(e) => e.exit(),
            ChainCmdError::Client(e) => e.exit(),
            ChainCmdError::NotExport { .. } => Exit::Usage,
            ChainCmdError::Short { .. } => Exit::Io,
            ChainCmdError::GenesisMismatch { .. }
            | ChainCmdError::Unparsable { .. }
            | ChainCmdError::Fault { .. }
            | ChainCmdError::StatusMismatch { .. } => Exit::Refused,
        }
    }

    fn hint(&self) -> String {
        match self {
            ChainCmdError::Genesis(e) => e.hint(),
            ChainCmdError::File(e) => e.hint(),
            ChainCmdError::Client(e) => e.hint(),
            ChainCmdError::NotExport { .. } => {
                "pass a file with one block JSON per line (a node's /v1/export), or the node's URL".into()
            }
            ChainCmdError::GenesisMismatch { .. } => {
                "the node runs another network, or you pinned the wrong genesis; check the hash published out of band"
                    .into()
            }
            ChainCmdError::Unparsable { .. } | ChainCmdError::Fault { .. } => {
                "do not trust this chain past the block named; keep the file as evidence and compare with another node's export"
                    .into()
            }
            ChainCmdError::Short { .. } => "the node may be restarting or pruned; try again or ask another node".into(),
            ChainCmdError::StatusMismatch { .. } => {
                "the node reports a state its own blocks do not produce; compare with another node".into()
            }
        }
    }

    fn details(&self) -> serde_json::Value {
        match self {
            ChainCmdError::Genesis(e) => e.details(),
            ChainCmdError::File(e) => e.details(),
            ChainCmdError::Client(e) => e.details(),
            ChainCmdError::NotExport { path, line, .. } => {
                serde_json::json!({ "path": path.display().to_string(), "line": line })
            }
            ChainCmdError::GenesisMismatch { served, pinned } => {
                serde_json::json!({ "served": served, "pinned": pinned })
            }
            ChainCmdError::Unparsable { height, at, .. } => {
                serde_json::json!({ "height": height, "where": at.to_string() })
            }
            ChainCmdError::Fault { at, fault } => serde_json::json!({
                "height": fault.height,
                "document": fault.document,
                "leaf_index": fault.leaf_index,
                "where": at.to_string(),
                "fault": fault.fault.to_string(),
            }),
            ChainCmdError::Short { reported, served, at } => {
                serde_json::json!({ "reported": reported, "served": served, "where": at.to_string() })
            }
            ChainCmdError::StatusMismatch { height, field, served, computed } => serde_json::json!({
                "height": height, "field": field, "served": served, "computed": computed,
            }),
        }
    }
}

/// Blocks in height order from 1.
trait BlockSource {
    /// The next block's bytes and where they came from, or `None` at the end.
    fn next_block(&mut self, height: u64) -> Result<Option<(Where, Vec<u8>)>, ChainCmdError>;
}

/// An NDJSON export file.
struct FileSource {
    path: PathBuf,
    reader: BufReader<std::fs::File>,
    line: u64,
    buf: Vec<u8>,
}

impl BlockSource for FileSource {
    fn next_block(&mut self, height: u64) -> Result<Option<(Where, Vec<u8>)>, ChainCmdError> {
        loop {
            self.line += 1;
            let read = files::read_line_bounded(&mut self.reader, &mut self.buf, BLOCK_JSON_BYTES_MAX)
                .map_err(|source| FileError::Read { what: "export file", path: self.path.clone(), source })?;
            match read {
                Line::End => return Ok(None),
                Line::TooLong => {
                    return Err(ChainCmdError::Unparsable {
                        height,
                        at: Where::Line(self.line),
                        detail: format!("the line is longer than {BLOCK_JSON_BYTES_MAX} bytes"),
                    });
                }
                // A file's last line may lack its newline.
                Line::Read | Line::Unterminated if self.buf.iter().all(u8::is_ascii_whitespace) => continue,
                Line::Read | Line::Unterminated => {
                    return Ok(Some((Where::Line(self.line), std::mem::take(&mut self.buf))));
                }
            }
        }
    }
}

/// Blocks asked of `/v1/export` at once: a node may cap ranges, and a page bounds how much
/// one answer streams before the next request.
const EXPORT_PAGE_BLOCKS: u64 = 1_000;

/// The last height of the export page starting at `from`.
fn page_end(from: u64, tip: u64) -> u64 {
    from.saturating_add(EXPORT_PAGE_BLOCKS - 1).min(tip)
}

/// A node's `/v1/export`, page after page (a node may serve fewer blocks than asked).
struct ExportSource<'a> {
    client: &'a Client,
    tip: u64,
    stream: Option<ExportStream>,
}

impl BlockSource for ExportSource<'_> {
    fn next_block(&mut self, height: u64) -> Result<Option<(Where, Vec<u8>)>, ChainCmdError> {
        if height > self.tip {
            return Ok(None);
        }
        if let Some(stream) = self.stream.as_mut() {
            if let Some(line) = stream.next_line()? {
                return Ok(Some((Where::Url(stream.url().to_string()), line)));
            }
            self.stream = None;
        }
        // The page ended before the tip: ask for the rest. A node that then serves
        // nothing stopped short of the height it reported.
        let short = || ChainCmdError::Short {
            reported: self.tip,
            served: height.saturating_sub(1),
            at: Where::Url(format!(
                "{}/v1/export?from={height}&to={}",
                self.client.base(),
                page_end(height, self.tip)
            )),
        };
        let Some(mut stream) = self.client.export(height, page_end(height, self.tip))? else {
            return Err(short());
        };
        let Some(line) = stream.next_line()? else { return Err(short()) };
        let at = Where::Url(stream.url().to_string());
        self.stream = Some(stream);
        Ok(Some((at, line)))
    }
}

/// A node's `/v1/blocks/{h}`, one request per block.
struct BlockByBlockSource<'a> {
    client: &'a Client,
    tip: u64,
}

impl BlockSource for BlockByBlockSource<'_> {
    fn next_block(&mut self, height: u64) -> Result<Option<(Where, Vec<u8>)>, ChainCmdError> {
        if height > self.tip {
            return Ok(None);
        }
        let at = Where::Url(self.client.block_url(height));
        match self.client.block(height)? {
            Some(bytes) => Ok(Some((at, bytes))),
            None => Err(ChainCmdError::Short { reported: self.tip, served: height.saturating_sub(1), at }),
        }
    }
}

/// What a verified chain holds.
#[derive(Debug, Serialize)]
struct ChainReport {
    source: String,
    method: &'static str,
    network: String,
    genesis_hash: Hash,
    height: u64,
    tree_size: u64,
    root: Hash,
    head: Hash,
    documents: u64,
    status_checked: bool,
}

/// Verify every block from `source` against the genesis; returns the summary.
fn run(
    genesis: &vouch_core::genesis::Genesis,
    source: &mut dyn BlockSource,
) -> Result<(ChainVerifier, u64), ChainCmdError> {
    let mut verifier = ChainVerifier::new(genesis);
    let mut documents = 0u64;
    loop {
        let height = verifier.height().saturating_add(1);
        let Some((at, bytes)) = source.next_block(height)? else { break };
        let block = Block::from_json(&bytes).map_err(|e| ChainCmdError::Unparsable {
            height,
            at: at.clone(),
            detail: e.to_string(),
        })?;
        let count = u64::try_from(block.documents.len()).unwrap_or(u64::MAX);
        let (next, summary) =
            verifier.push_consuming(&block).map_err(|fault| ChainCmdError::Fault { at, fault })?;
        // Our own invariant: the verifier moved exactly one block forward.
        assert_eq!(summary.height, height, "verifier skipped a height");
        verifier = next;
        documents = documents.saturating_add(count);
    }
    Ok((verifier, documents))
}

/// `vouch verify chain --from FILE`.
fn from_file(
    path: &Path,
    genesis: &vouch_core::genesis::Genesis,
) -> Result<(ChainVerifier, u64), ChainCmdError> {
    let file = files::open(path, "export file")?;
    let mut reader = BufReader::new(file);
    // The first line tells an export from some other file: it must be a block.
    let mut first = Vec::new();
    let mut line = 0u64;
    loop {
        line += 1;
        let read = files::read_line_bounded(&mut reader, &mut first, BLOCK_JSON_BYTES_MAX)
            .map_err(|source| FileError::Read { what: "export file", path: path.to_path_buf(), source })?;
        match read {
            Line::End => {
                return Err(FileError::Empty { what: "export file", path: path.to_path_buf() }.into());
            }
            Line::TooLong => {
                return Err(ChainCmdError::NotExport {
                    path: path.to_path_buf(),
                    line,
                    detail: format!("is longer than {BLOCK_JSON_BYTES_MAX} bytes"),
                });
            }
            Line::Read | Line::Unterminated if first.iter().all(u8::is_ascii_whitespace) => continue,
            Line::Read | Line::Unterminated => break,
        }
    }
    // A first line that is not a block at all means this is some other file; later lines
    // that do not parse are blocks of the export failing, named by height.
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&first) {
        return Err(ChainCmdError::NotExport {
            path: path.to_path_buf(),
            line,
            detail: format!("is not JSON: {e}"),
        });
    }
    if let Err(e) = Block::from_json(&first) {
        return Err(ChainCmdError::NotExport {
            path: path.to_path_buf(),
            line,
            detail: format!("is not a block: {e}"),
        });
    }
    let mut source = PrefixedSource {
        first: Some((Where::Line(line), first)),
        rest: FileSource { path: path.to_path_buf(), reader, line, buf: Vec::new() },
    };
    run(genesis, &mut source)
}

/// A file source whose first block was already read.
struct PrefixedSource {
    first: Option<(Where, Vec<u8>)>,
    rest: FileSource,
}

impl BlockSource for PrefixedSource {
    fn next_block(&mut self, height: u64) -> Result<Option<(Where, Vec<u8>)>, ChainCmdError> {
        match self.first.take() {
            Some(first) => Ok(Some(first)),
            None => self.rest.next_block(height),
        }
    }
}

/// Verify a node's whole chain against `genesis`, for commands that need what the verified
/// ledger holds (a client's enrolled encryption key).
pub fn verified_ledger(
    client: &Client,
    genesis: &vouch_core::genesis::Genesis,
) -> Result<ChainVerifier, ChainCmdError> {
    let genesis_hash = genesis.hash();
    let status = client.status()?;
    if !status.genesis_hash.eq_ignore_ascii_case(&genesis_hash.to_hex()) {
        return Err(ChainCmdError::GenesisMismatch { served: status.genesis_hash, pinned: genesis_hash });
    }
    let tip = status.height;
    let export = if tip == 0 { None } else { client.export(1, page_end(1, tip))? };
    let (verifier, _) = match export {
        Some(stream) => run(genesis, &mut ExportSource { client, tip, stream: Some(stream) })?,
        None => run(genesis, &mut BlockByBlockSource { client, tip })?,
    };
    Ok(verifier)
}

/// `vouch verify chain`.
pub fn verify(from: &str, genesis_path: &Path, token: Option<String>) -> Result<Report, ChainCmdError> {
    let (genesis, _) = genesis::load(genesis_path)?;
    let genesis_hash = genesis.hash();
    let (verifier, documents, method, status_checked) = if crate::client::is_url(from) {
        let client = Client::new(from)?.with_token(token);
        let status = client.status()?;
        if !status.genesis_hash.eq_ignore_ascii_case(&genesis_hash.to_hex()) {
            return Err(ChainCmdError::GenesisMismatch { served: status.genesis_hash, pinned: genesis_hash });
        }
        let tip = status.height;
        let export = if tip == 0 { None } else { client.export(1, page_end(1, tip))? };
        let (verifier, documents, method) = match export {
            Some(stream) => {
                let mut source = ExportSource { client: &client, tip, stream: Some(stream) };
                let (v, d) = run(&genesis, &mut source)?;
                (v, d, "export")
            }
            None => {
                let mut source = BlockByBlockSource { client: &client, tip };
                let (v, d) = run(&genesis, &mut source)?;
                (v, d, "blocks")
            }
        };
        let summary = verifier.summary();
        if let Some(size) = status.tree_size
            && size != summary.tree_size
        {
            return Err(ChainCmdError::StatusMismatch {
                height: tip,
                field: "tree_size",
                served: size.to_string(),
                computed: summary.tree_size.to_string(),
            });
        }
        let mut checked = status.tree_size.is_some();
        if let Some(root) = status.root.as_deref().and_then(|r| Hash::from_hex(r).ok()) {
            if root != summary.root {
                return Err(ChainCmdError::StatusMismatch {
                    height: tip,
                    field: "root",
                    served: root.to_hex(),
                    computed: summary.root.to_hex(),
                });
            }
            checked = true;
        }
        (verifier, documents, method, checked)
    } else {
        let (verifier, documents) = from_file(Path::new(from), &genesis)?;
        (verifier, documents, "file", false)
    };
    let summary = verifier.summary();
    let report = ChainReport {
        source: from.to_string(),
        method,
        network: genesis.network.to_string(),
        genesis_hash,
        height: summary.height,
        tree_size: summary.tree_size,
        root: summary.root,
        head: summary.head,
        documents,
        status_checked,
    };
    let mut human = format!(
        "ok: verified {} blocks from genesis ({})\nnetwork:    {}\ngenesis:    {}\nheight:     {}\ntree size:  {}\nroot:       {}\nhead:       {}\n",
        report.height,
        match method {
            "export" => "node export",
            "blocks" => "node blocks, one by one",
            _ => "export file",
        },
        report.network,
        report.genesis_hash,
        report.height,
        report.tree_size,
        report.root,
        report.head,
    );
    if status_checked {
        human.push_str("the node's /v1/status agrees with the verified tree size and root\n");
    }
    Ok(Report::new(&report, human))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_pages_are_bounded_and_end_at_the_tip() {
        assert_eq!(page_end(1, 11), 11);
        assert_eq!(page_end(1, 5_000), 1_000);
        assert_eq!(page_end(1_001, 5_000), 2_000);
        assert_eq!(page_end(4_999, 5_000), 5_000);
        assert_eq!(page_end(u64::MAX, u64::MAX), u64::MAX);
    }
}
