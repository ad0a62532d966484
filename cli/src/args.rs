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
    about = "Keys, genesis documents, and offline verification of a Vouch ledger.",
    long_about = "Keys, genesis documents, and offline verification of a Vouch ledger.\n\n\
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
    /// Print a shell completion script.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
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
