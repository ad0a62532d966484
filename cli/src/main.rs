//! `vouch`: the command line for keys, genesis documents, ledger documents (built, sealed,
//! signed and submitted), offline verification and a checkpoint monitor. This file is the edge: it parses arguments, runs one command,
//! prints its report or its failure (with the cause chain and a next step), and exits with
//! a documented code (see [`outcome`] and `docs/CLI.md`).
//!
//! # Design
//!
//! - [`args`]: the command line (clap); help text lives beside each flag.
//! - [`submit`] signs, seals and posts ledger documents; [`confirm`] builds each one
//!   (enrollments, the request from its letter file, the answers); [`confirmations`]
//!   reads them back (`show`, `list`).
//! - One module per command family, each with its own `thiserror` error enum classified by
//!   [`outcome::Classify`] (exit code, hint, details): [`keys`], [`genesis`] (+ [`spec`]
//!   for the TOML spec), [`chain`], [`bundle`], [`consistency`], [`monitor`], [`evidence`]
//!   (+ [`report`], the HTML confirmation report, and [`html`], its escaping).
//! - [`fetch`] reads a confirmation's documents from a node's bundle, verified, for the
//!   party signing its next step.
//! - Shared parts: [`files`] (bounded reads, 0600 and atomic writes), [`client`] (plain
//!   HTTP to a node's public endpoints, every answer bounded), [`civil`] (times for people).
//!
//! All verification is `vouch-core`'s; this crate reads inputs, bounds them, and reports.
//! Nothing here decides whether a signature or a proof is valid.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

mod args;
mod bundle;
mod chain;
mod civil;
mod client;
mod confirm;
mod confirmations;
mod consistency;
mod evidence;
mod fetch;
mod files;
mod genesis;
mod keys;
mod monitor;
mod outcome;
mod rules;
mod spec;
mod submit;

use args::{
    Cli, Command, EvidenceCommand, GenesisCommand, KeysCommand, MonitorArgs, RequestCommand, RulesCommand,
    SignerArgs, Target, VerifyCommand,
};
use clap::{CommandFactory as _, FromArgMatches as _};
use outcome::{EXIT_CODES_HELP, Exit, Failure, Report};
use std::io::Write as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let command = with_exit_codes(Cli::command());
    let cli = match command.try_get_matches().and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { Exit::Usage.code() } else { Exit::Ok.code() });
        }
    };
    let code = match cli.command {
        Command::Monitor(args) => run_monitor(&args),
        Command::Completions { shell } => {
            let mut command = with_exit_codes(Cli::command());
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "vouch", &mut script);
            print_stdout(&String::from_utf8_lossy(&script))
        }
        Command::Keys(command) => {
            let (json, result) = run_keys(command);
            finish(json, result)
        }
        Command::Genesis(command) => {
            let (json, result) = run_genesis(command);
            finish(json, result)
        }
        Command::Verify(command) => {
            let (json, result) = run_verify(command);
            finish(json, result)
        }
        Command::Banks { org, read } => finish(
            read.output.json,
            rules::banks(&read.node, &read.token, org.as_deref()).map_err(Failure::from),
        ),
        Command::Evidence(command) => {
            let (json, result) = run_evidence(command);
            finish(json, result)
        }
        Command::Show { id, read } => {
            finish(read.output.json, confirmations::show(&read.node, &read.token, &id).map_err(Failure::from))
        }
        Command::List { party, status, limit, cursor, read } => finish(
            read.output.json,
            confirmations::list(
                &read.node,
                &read.token,
                party.as_deref(),
                status.as_deref(),
                limit,
                cursor.as_deref(),
            )
            .map_err(Failure::from),
        ),
        other => {
            let (json, result) = run_document(other);
            finish(json, result)
        }
    };
    ExitCode::from(code.code())
}

/// Add the exit codes to the help of every command.
fn with_exit_codes(command: clap::Command) -> clap::Command {
    command.after_help(EXIT_CODES_HELP).mut_subcommands(with_exit_codes)
}

/// Run a `keys` command: whether `--json` was asked, and the result.
fn run_keys(command: KeysCommand) -> (bool, Result<Report, Failure>) {
    match command {
        KeysCommand::Generate { out, algorithm, force, output } => {
            (output.json, keys::generate(&out, algorithm, force).map_err(Failure::from))
        }
        KeysCommand::Show { file, output } => (output.json, keys::show(&file).map_err(Failure::from)),
        KeysCommand::ExportPublic { file, out, force, output } => {
            (output.json, keys::export_public(&file, out.as_deref(), force).map_err(Failure::from))
        }
    }
}

/// Run a `genesis` command.
fn run_genesis(command: GenesisCommand) -> (bool, Result<Report, Failure>) {
    match command {
        GenesisCommand::Inspect { file, output } => {
            (output.json, genesis::inspect(&file).map_err(Failure::from))
        }
        GenesisCommand::Check { file, hash, output } => {
            (output.json, genesis::check(&file, hash).map_err(Failure::from))
        }
        GenesisCommand::Create { spec, out, force, output } => {
            (output.json, genesis::create(&spec, &out, force).map_err(Failure::from))
        }
    }
}

/// Run a `verify` command.
fn run_verify(command: VerifyCommand) -> (bool, Result<Report, Failure>) {
    match command {
        VerifyCommand::Chain { from, genesis, token, output } => {
            (output.json, chain::verify(&from, &genesis, token).map_err(Failure::from))
        }
        VerifyCommand::Bundle { file, genesis_hash, genesis, output } => {
            let pinned = match pinned(genesis_hash, genesis) {
                Ok(p) => p,
                Err(f) => return (output.json, Err(f)),
            };
            (output.json, bundle::verify(&file, &pinned).map_err(Failure::from))
        }
        VerifyCommand::Consistency { old, new, proof, from, genesis, output } => {
            let source = match (proof, from) {
                (Some(path), _) => consistency::ProofSource::File(path),
                (None, Some(url)) => consistency::ProofSource::Url(url),
                (None, None) => consistency::ProofSource::None,
            };
            (output.json, consistency::verify(&old, &new, &source, &genesis).map_err(Failure::from))
        }
    }
}

/// Run an `evidence` command.
fn run_evidence(command: EvidenceCommand) -> (bool, Result<Report, Failure>) {
    let (json, pin) = match &command {
        EvidenceCommand::Export { report, .. } | EvidenceCommand::Report { report, .. } => {
            (report.output.json, pinned(report.genesis_hash, report.genesis.clone()))
        }
    };
    let pin = match pin {
        Ok(p) => p,
        Err(f) => return (json, Err(f)),
    };
    let result = match &command {
        EvidenceCommand::Export { id, node, token, out, wait, report } => {
            let common = evidence::Common {
                pinned: &pin,
                decryption_key: report.decryption_key.as_deref(),
                force: report.force,
            };
            evidence::export(id, node, token, out, std::time::Duration::from_secs(*wait), &common)
        }
        EvidenceCommand::Report { file, out, report } => {
            let common = evidence::Common {
                pinned: &pin,
                decryption_key: report.decryption_key.as_deref(),
                force: report.force,
            };
            evidence::report(file, out.as_deref(), &common)
        }
    };
    (json, result.map_err(Failure::from))
}

/// The pinned genesis from `--genesis-hash` or `--genesis`.
fn pinned(
    hash: Option<vouch_core::encoding::Hash>,
    file: Option<std::path::PathBuf>,
) -> Result<bundle::Pinned, Failure> {
    match (hash, file) {
        (Some(hash), _) => Ok(bundle::Pinned::Hash(hash)),
        (None, Some(path)) => Ok(bundle::Pinned::File(path)),
        // clap's argument group requires one of the two; say so if it ever does not.
        (None, None) => Err(usage("pass --genesis-hash HEX or --genesis FILE")),
    }
}

/// Run a command that builds, signs and submits a document.
fn run_document(command: Command) -> (bool, Result<Report, Failure>) {
    let (target, result) = match command {
        Command::Submit { file, target } => {
            let r = with_destination(&target, |d| submit::submit_file(&file, d));
            (target, r)
        }
        Command::Enroll { person, name, title, person_key, signer, target } => {
            let r = signed(&target, &signer, |org, key, d| {
                confirm::enroll(&person, &name, &title, &person_key, org, key, d)
            });
            (target, r)
        }
        Command::Revoke { person_key, reason, signer, target } => {
            let r =
                signed(&target, &signer, |org, key, d| confirm::revoke(&person_key, &reason, org, key, d));
            (target, r)
        }
        Command::EnrollClient {
            client,
            client_key,
            client_encryption_key,
            name,
            credit_code,
            signer,
            target,
        } => {
            let c = confirm::ClientEnrollment {
                client: &client,
                client_key: &client_key,
                encryption_key: &client_encryption_key,
                name: &name,
                credit_code: &credit_code,
            };
            let r = signed(&target, &signer, |org, key, d| confirm::enroll_client(&c, org, key, d));
            (target, r)
        }
        Command::Rules(RulesCommand::Publish { file, signer, target }) => {
            let r = signed(&target, &signer, |org, key, d| rules::publish(&file, org, key, d));
            (target, r)
        }
        Command::Request(RequestCommand::Create { file, client_encryption_key, signer, target }) => {
            let r = signed(&target, &signer, |org, key, d| {
                confirm::request_create(&file, client_encryption_key.as_deref(), org, key, d)
            });
            (target, r)
        }
        Command::Authorize {
            request_id,
            request,
            token,
            decryption_key,
            valid_until,
            refuse,
            reason,
            signer,
            target,
        } => {
            let r = signed(&target, &signer, |org, key, d| {
                confirm::authorize(
                    &request_id,
                    request.as_deref(),
                    token.as_deref(),
                    decryption_key.as_deref(),
                    valid_until.as_deref(),
                    refuse,
                    reason.as_deref(),
                    org,
                    key,
                    d,
                )
            });
            (target, r)
        }
        Command::Return { request_id, reason, note, signer, target } => {
            let what = confirm::Simple::Return { reason, note: note.as_deref() };
            let r = signed(&target, &signer, |org, key, d| confirm::simple(&request_id, what, org, key, d));
            (target, r)
        }
        Command::Decline { request_id, reason, signer, target } => {
            let what = confirm::Simple::Decline { reason: &reason };
            let r = signed(&target, &signer, |org, key, d| confirm::simple(&request_id, what, org, key, d));
            (target, r)
        }
        Command::Withdraw { request_id, reason, signer, target } => {
            let what = confirm::Simple::Withdraw { reason: &reason };
            let r = signed(&target, &signer, |org, key, d| confirm::simple(&request_id, what, org, key, d));
            (target, r)
        }
        Command::Accept { request_id, response, note, signer, target } => {
            let what = confirm::Simple::Accept { response: &response, note: note.as_deref() };
            let r = signed(&target, &signer, |org, key, d| confirm::simple(&request_id, what, org, key, d));
            (target, r)
        }
        Command::Respond { request_id, answer, signer, target } => {
            let a = confirm::Answer {
                request_id: &request_id,
                file: &answer.file,
                auditor: &answer.auditor,
                checker: (&signer.org, &answer.checker_key),
                supersedes: None,
                check_against: check_against(&answer),
            };
            let r = signed(&target, &signer, |org, key, d| confirm::answer(&a, org, key, d));
            (target, r)
        }
        Command::Correct { request_id, supersedes, reason, answer, signer, target } => {
            let a = confirm::Answer {
                request_id: &request_id,
                file: &answer.file,
                auditor: &answer.auditor,
                checker: (&signer.org, &answer.checker_key),
                supersedes: Some((&supersedes, &reason)),
                check_against: check_against(&answer),
            };
            let r = signed(&target, &signer, |org, key, d| confirm::answer(&a, org, key, d));
            (target, r)
        }
        _ => return (false, Err(usage("not a document command"))),
    };
    (target.output.json, result)
}

/// What to check an answer against: with the bank's key, the letter from the envelope
/// files if given, else read from the node.
fn check_against(a: &args::AnswerArgs) -> Option<confirm::Letter<'_>> {
    let key = a.decryption_key.as_deref()?;
    let envelopes = match (&a.request, &a.authorization) {
        (Some(r), Some(x)) => Some((r.as_path(), x.as_path())),
        _ => None,
    };
    Some(confirm::Letter { envelopes, token: a.token.as_deref(), key })
}

/// Resolve the destination, then run `f`.
fn with_destination(
    target: &Target,
    f: impl FnOnce(&submit::Destination) -> Result<Report, submit::SubmitError>,
) -> Result<Report, Failure> {
    let destination = submit::Destination::new(target)?;
    f(&destination).map_err(Failure::from)
}

/// Resolve the destination and pass the signer's flags to `f`.
fn signed(
    target: &Target,
    signer: &SignerArgs,
    f: impl FnOnce(&str, &std::path::Path, &submit::Destination) -> Result<Report, submit::SubmitError>,
) -> Result<Report, Failure> {
    with_destination(target, |d| f(&signer.org, &signer.key, d))
}

/// A usage failure built at the edge.
fn usage(message: &str) -> Failure {
    Failure {
        exit: Exit::Usage,
        error: anyhow::anyhow!(message.to_string()),
        hint: "run with --help for usage".into(),
        details: serde_json::Value::Null,
    }
}

/// Print a result and return its exit code.
fn finish(json: bool, result: Result<Report, Failure>) -> Exit {
    match result {
        Ok(report) => {
            if json {
                print_json(&report.json_ok())
            } else {
                print_stdout(&report.human)
            }
        }
        Err(failure) => {
            report_failure(json, &failure);
            failure.exit
        }
    }
}

/// Print a failure: JSON on stdout with `--json`, and always the text on stderr.
fn report_failure(json: bool, failure: &Failure) {
    if json {
        let _ = print_json(&failure.json());
    }
    let _ = std::io::stderr().lock().write_all(failure.human().as_bytes());
}

/// `vouch monitor`: rounds until a split view (or one round with `--once`).
fn run_monitor(args: &MonitorArgs) -> Exit {
    let json = args.output.json;
    let monitor = match monitor::Monitor::new(&args.from, &args.genesis, &args.state) {
        Ok(m) => m,
        Err(e) => return finish(json, Err(Failure::from(e))),
    };
    loop {
        match monitor.round() {
            Ok(report) => {
                let printed = finish(json, Ok(report));
                if args.once || printed != Exit::Ok {
                    return printed;
                }
            }
            Err(e) if !args.once && e.is_transient() => {
                report_failure(json, &Failure::from(e));
                let _ = std::io::stderr().lock().write_all(b"monitor: will try again next round\n");
            }
            Err(e) => return finish(json, Err(Failure::from(e))),
        }
        std::thread::sleep(std::time::Duration::from_secs(args.interval));
    }
}

/// Print a JSON value on one line of stdout.
fn print_json(value: &serde_json::Value) -> Exit {
    let text = serde_json::to_string(value).unwrap_or_else(|e| format!("{{\"ok\":false,\"error\":\"{e}\"}}"));
    print_stdout(&format!("{text}\n"))
}

/// Write to stdout; a closed pipe (`| head`) is not an error, any other failure is I/O.
fn print_stdout(text: &str) -> Exit {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Exit::Ok,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Ok,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: cannot write to stdout: {e}");
            Exit::Io
        }
    }
}
