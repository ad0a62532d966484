//! Define the command line: every command, flag and help text (`docs/CLI.md` is written
//! from this help).

use crate::keys::Algorithm;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use vouch_core::encoding::Hash;

/// The `vouch` command.
#[derive(Debug, Parser)]
#[command(
    name = "vouch",
    version,
    about = "Keys, genesis documents, ledger documents, and offline verification of a Vouch ledger.",
    long_about = "Keys, genesis documents, ledger documents, and offline verification of a Vouch ledger.\n\n\
        Everything is checked against a genesis you pin (its hash is published out of band): \
        blocks, evidence bundles and cosigned checkpoints are verified from their bytes, \
        whether they come from a file or from a node. Nothing a node says is trusted.",
    propagate_version = true
)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Print results as JSON on stdout (failures too, with "ok": false).
#[derive(Debug, Clone, Copy, Args)]
pub struct Output {
    /// Print the result as one JSON object on stdout, for scripts; a failure prints
    /// {"ok": false, "exit_code", "error", "rule", "hint", "details"} instead.
    #[arg(long)]
    pub json: bool,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate and read Ed25519 signing keys and X25519 encryption keys (PEM).
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Inspect, check and create genesis documents.
    #[command(subcommand)]
    Genesis(GenesisCommand),
    /// Verify a chain, an evidence bundle, or checkpoint consistency, offline.
    #[command(subcommand)]
    Verify(VerifyCommand),
    /// Watch a node's checkpoints and prove each extends the last (detects split views).
    Monitor(MonitorArgs),
    /// Enroll a person's signing key at your org (signed by the org's admin key).
    Enroll {
        /// The person's id within the org (e.g. li-jingban).
        #[arg(long, value_name = "ID")]
        person: String,
        /// Full name, as printed on confirmations.
        #[arg(long)]
        name: String,
        /// Position (e.g. 函证中心经办).
        #[arg(long)]
        title: String,
        /// The person's Ed25519 key file (public or private PEM).
        #[arg(long, value_name = "FILE")]
        person_key: PathBuf,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        target: Target,
    },
    /// Revoke a person's signing key at your org (signed by the org's admin key).
    Revoke {
        /// The person's Ed25519 key file (public or private PEM).
        #[arg(long, value_name = "FILE")]
        person_key: PathBuf,
        /// Why (left the bank, key compromised, ...).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        target: Target,
    },
    /// Enroll a client at your bank after KYC (signed by a bank person and by the client).
    EnrollClient {
        /// The bank's reference for the client (e.g. c-000123).
        #[arg(long, value_name = "REF")]
        client: String,
        /// The client's Ed25519 private key (the client co-signs its enrollment).
        #[arg(long, value_name = "FILE")]
        client_key: PathBuf,
        /// The client's X25519 key (public or private PEM): requests are sealed to it.
        #[arg(long, value_name = "FILE")]
        client_encryption_key: PathBuf,
        /// The client's legal name (sealed for the bank and regulators).
        #[arg(long)]
        name: String,
        /// The client's unified social credit code (18 characters).
        #[arg(long)]
        credit_code: String,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        target: Target,
    },
    /// Create confirmation requests (auditor).
    #[command(subcommand)]
    Request(RequestCommand),
    /// Authorize (or --refuse) a request as the client.
    Authorize {
        /// The request's document id (64 hex digits).
        #[arg(value_name = "REQUEST_ID")]
        request_id: String,
        /// The request envelope file (as `--out` wrote it): its content key is passed on
        /// to the bank. Without it, the request is read from --node with --token and
        /// verified (signature, signer's enrollment, inclusion under a cosigned checkpoint).
        #[arg(long, value_name = "FILE")]
        request: Option<PathBuf>,
        /// Your API token at --node (or set VOUCH_TOKEN), to read the request when no
        /// --request file is given.
        #[arg(long, env = "VOUCH_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// The client's X25519 private key (opens the request's content key).
        #[arg(long, value_name = "FILE", required_unless_present = "refuse")]
        decryption_key: Option<PathBuf>,
        /// Last day the bank may answer under this authorization (YYYY-MM-DD).
        #[arg(long, value_name = "DATE", required_unless_present = "refuse")]
        valid_until: Option<String>,
        /// Refuse instead (needs --reason).
        #[arg(long, requires = "reason", conflicts_with_all = ["request", "decryption_key", "valid_until"])]
        refuse: bool,
        /// Why the client refuses.
        #[arg(long, requires = "refuse")]
        reason: Option<String>,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        target: Target,
    },
    /// Return a request that fails the bank's pre-checks (bank).
    Return {
        /// The request's document id.
        #[arg(value_name = "REQUEST_ID")]
        request_id: String,
        /// format_noncompliant, scope_or_date_mismatch, not_a_customer, authorizer_mismatch,
        /// fee_not_paid, cannot_open, missing_information or other.
        #[arg(long, value_parser = crate::confirm::parse_return_reason)]
        reason: vouch_core::documents::ReturnReason,
        /// Free-text detail.
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        target: Target,
    },
    /// Answer a request item by item (bank maker, with the checker's key).
    Respond {
        /// The request's document id.
        #[arg(value_name = "REQUEST_ID")]
        request_id: String,
        #[command(flatten)]
        answer: AnswerArgs,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        target: Target,
    },
    /// Supersede the latest answer with a corrected one (bank maker and checker).
    Correct {
        /// The request's document id.
        #[arg(value_name = "REQUEST_ID")]
        request_id: String,
        /// The answer superseded (the latest response or correction's id).
        #[arg(long, value_name = "ID")]
        supersedes: String,
        /// Why the answer changed.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        answer: AnswerArgs,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        target: Target,
    },
    /// Decline to answer a request, with a reason (bank).
    Decline {
        /// The request's document id.
        #[arg(value_name = "REQUEST_ID")]
        request_id: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        target: Target,
    },
    /// Withdraw a request before it is answered (auditor).
    Withdraw {
        /// The request's document id.
        #[arg(value_name = "REQUEST_ID")]
        request_id: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        target: Target,
    },
    /// Accept (验收) the latest answer to a request (auditor).
    Accept {
        /// The request's document id.
        #[arg(value_name = "REQUEST_ID")]
        request_id: String,
        /// The answer accepted (the latest response or correction's id).
        #[arg(long, value_name = "ID")]
        response: String,
        /// A note for the working papers.
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        target: Target,
    },
    /// Submit an envelope signed offline (written with --out).
    Submit {
        /// The envelope file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        target: Target,
    },
    /// Publish your bank's rules: forms answered, scopes, working days, fee, contact (bank).
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Show every bank's published rules, or one bank's: read them before sending (needs a token).
    Banks {
        /// Only this bank's org id.
        #[arg(value_name = "ORG")]
        org: Option<String>,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Show one confirmation: its status, deadlines and every document (needs a token).
    Show {
        /// The request's document id.
        #[arg(value_name = "ID")]
        id: String,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// List confirmations you may see (needs a token).
    List {
        /// Only confirmations where this org is auditor or bank.
        #[arg(long, value_name = "ORG")]
        party: Option<String>,
        /// Only this status (awaiting_authorization, authorized, answered, accepted, ...).
        #[arg(long)]
        status: Option<String>,
        /// At most this many (1 to 200).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=200))]
        limit: u32,
        /// The previous page's next_cursor.
        #[arg(long)]
        cursor: Option<String>,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Export a confirmation's evidence: its bundle, verified, and a report for the working papers.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Who signs a document.
#[derive(Debug, Clone, Args)]
pub struct SignerArgs {
    /// The signer's org id (a client signs under its bank's id).
    #[arg(long, value_name = "ORG")]
    pub org: String,
    /// The signer's Ed25519 private key (PKCS#8 PEM).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
}

/// Where a signed document goes.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// Submit to this node (http://host:port); its /v1/genesis is used unless --genesis is given.
    #[arg(long, value_name = "URL", required_unless_present = "out")]
    pub node: Option<String>,
    /// The network's genesis file (needed with --out and no --node).
    #[arg(long, value_name = "FILE")]
    pub genesis: Option<PathBuf>,
    /// Write the signed envelope to FILE (offline signing; `vouch submit FILE` posts it).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace the --out file if it exists.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Return once the node has pooled the document, without waiting for its commit.
    #[arg(long)]
    pub no_wait: bool,
    #[command(flatten)]
    pub output: Output,
}

/// What `respond` and `correct` read.
#[derive(Debug, Clone, Args)]
pub struct AnswerArgs {
    /// The answer: TOML, or JSON if FILE ends in .json (see docs/examples/response.toml).
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,
    /// The requesting audit firm's org id (the answer is sealed for it).
    #[arg(long, value_name = "ORG")]
    pub auditor: String,
    /// The checker's (复核人) Ed25519 private key; the checker is of the same org.
    #[arg(long, value_name = "FILE")]
    pub checker_key: PathBuf,
    /// Check the answer against the letter before signing (every requested row answered,
    /// no unknown row), opened with the bank's X25519 private key. The request and the
    /// client's authorization are read from --node with --token and verified, unless
    /// --request and --authorization give them as files.
    #[arg(long, value_name = "FILE")]
    pub decryption_key: Option<PathBuf>,
    /// The request envelope file, for checking offline...
    #[arg(long, value_name = "FILE", requires_all = ["authorization", "decryption_key"])]
    pub request: Option<PathBuf>,
    /// ...and the client's authorization envelope file (it carries the letter's key for the bank).
    #[arg(long, value_name = "FILE", requires = "request")]
    pub authorization: Option<PathBuf>,
    /// Your API token at --node (or set VOUCH_TOKEN), to read the request and authorization.
    #[arg(long, env = "VOUCH_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// How to read confirmations from a node.
#[derive(Debug, Clone, Args)]
pub struct ReadArgs {
    /// The node (http://host:port).
    #[arg(long, value_name = "URL")]
    pub node: String,
    /// The API token (or set VOUCH_TOKEN).
    #[arg(long, env = "VOUCH_TOKEN", hide_env_values = true)]
    pub token: String,
    #[command(flatten)]
    pub output: Output,
}

/// `vouch request …`.
#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Create, seal, sign and submit a confirmation request from a letter file.
    Create {
        /// The letter: TOML, or JSON if FILE ends in .json (see docs/examples/request.toml).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// The client's X25519 public key, as its bank enrolled it (the contents are sealed
        /// to it). Without it, the key is read from the client's enrollment on the ledger,
        /// after verifying the --node's whole chain from genesis.
        #[arg(long, value_name = "FILE")]
        client_encryption_key: Option<PathBuf>,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        target: Target,
    },
}

/// `vouch rules …`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Sign and submit your bank's rules from a file; the latest published are in force.
    Publish {
        /// The rules: TOML, or JSON if FILE ends in .json (see docs/examples/bank-rules.toml).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        signer: SignerArgs,
        #[command(flatten)]
        target: Target,
    },
}

/// `vouch keys …`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate a key and write it as PKCS#8 PEM, readable by the owner only (0600).
    Generate {
        /// Where to write the private key.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// ed25519: signing key (admin, person, validator, node). x25519: encryption key.
        #[arg(long = "type", value_enum, default_value = "ed25519")]
        algorithm: Algorithm,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        output: Output,
    },
    /// Show a key file's public key (base64, as genesis uses, and hex).
    Show {
        /// A private (PKCS#8) or public (SPKI) PEM key file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        output: Output,
    },
    /// Write a private key's public key as SPKI PEM (as `openssl pkey -pubout` does).
    ExportPublic {
        /// The private key file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Write the PEM here instead of printing it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Replace the --out file if it exists.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        output: Output,
    },
}

/// `vouch genesis …`.
#[derive(Debug, Subcommand)]
pub enum GenesisCommand {
    /// Show a genesis: network, hash, members and roles, validators and power, policy.
    Inspect {
        /// The genesis JSON file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        output: Output,
    },
    /// Validate a genesis and print its hash; exit 1 naming the rule it breaks.
    Check {
        /// The genesis JSON file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Also require this genesis hash (64 hex digits), as published out of band.
        #[arg(long, value_name = "HEX", value_parser = crate::genesis::parse_hash)]
        hash: Option<Hash>,
        #[command(flatten)]
        output: Output,
    },
    /// Create a genesis from a TOML spec, validated before it is written (canonical JSON).
    Create {
        /// The TOML spec (see docs/CLI.md for a complete example).
        #[arg(long, value_name = "FILE.toml")]
        spec: PathBuf,
        /// Where to write the genesis.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace the --out file if it exists.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        output: Output,
    },
}

/// `vouch verify …`.
#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// Re-verify every block from genesis: links, certificates, signatures, state, roots.
    Chain {
        /// An NDJSON export (one block JSON per line, from height 1), or a node's base
        /// URL (http://host:port): its /v1/export, else /v1/blocks/{h} up to /v1/status.
        #[arg(long, value_name = "URL|FILE")]
        from: String,
        /// The pinned genesis file.
        #[arg(long, value_name = "FILE")]
        genesis: PathBuf,
        /// For a URL: a regulator's or an operator API token of that node (whole blocks
        /// carry every party's metadata, so the export needs one); or set VOUCH_TOKEN.
        #[arg(long, env = "VOUCH_TOKEN", hide_env_values = true)]
        token: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// Verify an evidence bundle against a pinned genesis hash.
    #[command(group = clap::ArgGroup::new("pin").required(true).args(["genesis_hash", "genesis"]))]
    Bundle {
        /// The bundle JSON file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The pinned genesis hash (64 hex digits).
        #[arg(long, value_name = "HEX", value_parser = crate::genesis::parse_hash)]
        genesis_hash: Option<Hash>,
        /// Or the pinned genesis file, whose hash is used.
        #[arg(long, value_name = "FILE")]
        genesis: Option<PathBuf>,
        #[command(flatten)]
        output: Output,
    },
    /// Check that checkpoint NEW extends checkpoint OLD (both cosigned by a quorum).
    Consistency {
        /// The older cosigned checkpoint note (file).
        #[arg(value_name = "OLD")]
        old: PathBuf,
        /// The newer cosigned checkpoint note (file).
        #[arg(value_name = "NEW")]
        new: PathBuf,
        /// A proof file {"from": M, "to": N, "proof": [hex...]}.
        #[arg(long, value_name = "FILE", conflicts_with = "from")]
        proof: Option<PathBuf>,
        /// Or fetch the proof from this node (http://host:port).
        #[arg(long, value_name = "URL")]
        from: Option<String>,
        /// The pinned genesis file.
        #[arg(long, value_name = "FILE")]
        genesis: PathBuf,
        #[command(flatten)]
        output: Output,
    },
}

/// `vouch monitor`.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// The node to watch (http://host:port).
    #[arg(long, value_name = "URL")]
    pub from: String,
    /// The pinned genesis file.
    #[arg(long, value_name = "FILE")]
    pub genesis: PathBuf,
    /// Where the largest verified checkpoint is kept between rounds and runs.
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,
    /// Seconds between rounds.
    #[arg(long, value_name = "S", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub interval: u64,
    /// Run one round and exit (0 ok, 1 split view or refused checkpoint, 3 node unreachable).
    #[arg(long)]
    pub once: bool,
    #[command(flatten)]
    pub output: Output,
}

/// `vouch evidence …`.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Fetch a confirmation's bundle from a node, verify it offline against the pinned
    /// genesis, and write DIR/<ID>.bundle.json (the exact bytes received) and
    /// DIR/<ID>.report.html (what was verified, for the audit working papers). A bundle
    /// that fails verification gets no report and nothing is written.
    #[command(group = clap::ArgGroup::new("pin").required(true).args(["genesis_hash", "genesis"]))]
    Export {
        /// The request's document id (64 hex digits).
        #[arg(value_name = "ID")]
        id: String,
        /// The node (http://host:port).
        #[arg(long, value_name = "URL")]
        node: String,
        /// The API token of a party to the confirmation, or a regulator's (or set VOUCH_TOKEN).
        #[arg(long, env = "VOUCH_TOKEN", hide_env_values = true)]
        token: String,
        /// Where to write the two files (created if missing).
        #[arg(long, value_name = "DIR", default_value = ".")]
        out: PathBuf,
        /// Seconds to wait for a checkpoint that covers a document just committed (0: do not wait).
        #[arg(long, value_name = "S", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=3600))]
        wait: u64,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Write the report of a saved bundle, offline (default: <REQUEST_ID>.report.html beside it).
    #[command(group = clap::ArgGroup::new("pin").required(true).args(["genesis_hash", "genesis"]))]
    Report {
        /// The bundle JSON file.
        #[arg(value_name = "BUNDLE_FILE")]
        file: PathBuf,
        /// Write the report to FILE.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        report: ReportArgs,
    },
}

/// How an evidence report is checked and what it may open.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// The pinned genesis hash (64 hex digits), as published out of band.
    #[arg(long, value_name = "HEX", value_parser = crate::genesis::parse_hash)]
    pub genesis_hash: Option<Hash>,
    /// Or the pinned genesis file, whose hash is used.
    #[arg(long, value_name = "FILE")]
    pub genesis: Option<PathBuf>,
    /// A party's X25519 private key (the audit firm's or the bank's org key, the client's,
    /// a regulator's): the report then shows the letter and the bank's answers item by item.
    #[arg(long, value_name = "FILE")]
    pub decryption_key: Option<PathBuf>,
    /// Replace files that exist.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub output: Output,
}
