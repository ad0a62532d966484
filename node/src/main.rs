//! `vouchd`: run a Vouch ledger node, and manage its API tokens.

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use vouch_core::genesis::Genesis;
use vouch_node::config::Config;
use vouch_node::tokens::TokenFile;

#[derive(Parser)]
#[command(name = "vouchd", version, about = "A Vouch ledger node: BFT consensus, durable storage, HTTP")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the node.
    Run {
        /// The node's TOML config; every setting may also come from VOUCH_* variables.
        #[arg(long, env = "VOUCH_CONFIG")]
        config: PathBuf,
    },
    /// Manage the API tokens of this node (kept hashed in <data_dir>/tokens.json). Works
    /// while the node runs: changes hold from the node's next request.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage the keys this node signs with for people and clients (custodial signing),
    /// encrypted in <data_dir>/keystore.json under the passphrase in
    /// VOUCH_KEYSTORE_PASSPHRASE or the config's keystore_passphrase_file.
    Keystore {
        #[command(subcommand)]
        command: KeystoreCommand,
    },
}

#[derive(Subcommand)]
enum KeystoreCommand {
    /// Add a person's (or a client's) keys, from the PEM files `vouch keys generate` writes.
    Add {
        /// The node's TOML config.
        #[arg(long, env = "VOUCH_CONFIG")]
        config: PathBuf,
        /// The org (for a client: its bank).
        #[arg(long)]
        org: String,
        /// The person's id at the org.
        #[arg(long, conflicts_with = "client", required_unless_present = "client")]
        person: Option<String>,
        /// The client's reference at the bank --org.
        #[arg(long)]
        client: Option<String>,
        /// The Ed25519 signing key (PKCS#8 PEM), enrolled on the ledger for this holder.
        #[arg(long)]
        key: PathBuf,
        /// The X25519 key (PKCS#8 PEM) the holder reads with: a client's own; for a bank's
        /// person, the bank's (to open letters and check answers).
        #[arg(long)]
        decryption_key: Option<PathBuf>,
    },
    /// List what the keystore holds (public keys only).
    List {
        /// The node's TOML config.
        #[arg(long, env = "VOUCH_CONFIG")]
        config: PathBuf,
    },
    /// Remove a holder's keys.
    Remove {
        /// The node's TOML config.
        #[arg(long, env = "VOUCH_CONFIG")]
        config: PathBuf,
        /// The org.
        #[arg(long)]
        org: String,
        /// The person's id.
        #[arg(long, conflicts_with = "client", required_unless_present = "client")]
        person: Option<String>,
        /// The client's reference.
        #[arg(long)]
        client: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issue a token and print it once on stdout; only its hash is kept.
    Issue {
        /// The node's TOML config (for data_dir and genesis).
        #[arg(long, env = "VOUCH_CONFIG")]
        config: PathBuf,
        /// The org the token belongs to, a member in genesis; its role there is the token's.
        #[arg(long)]
        org: String,
        /// The person or system it is issued to, for the record (1 to 128 characters).
        #[arg(long)]
        name: String,
        /// Issue it for one client of the bank --org: it sees only confirmations about it.
        #[arg(long, value_name = "CLIENT_REF")]
        client: Option<String>,
        /// An operator token: may also run GET /v1/self-audit.
        #[arg(long)]
        operator: bool,
        /// Bind the token to a signer: the node signs drafts for it as this person of --org
        /// (for a client token: the client itself), with keys from `vouchd keystore add`.
        #[arg(long, value_name = "PERSON")]
        signer: Option<String>,
    },
    /// List the tokens issued, revoked ones included (never the tokens themselves).
    List {
        /// The node's TOML config.
        #[arg(long, env = "VOUCH_CONFIG")]
        config: PathBuf,
        /// Print JSON records instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by id (`tok_…`, from `list`).
    Revoke {
        /// The node's TOML config.
        #[arg(long, env = "VOUCH_CONFIG")]
        config: PathBuf,
        /// The token's id.
        id: String,
    },
}

/// The command line (also `vouchd-faults`'s).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run { config } => run(&config),
        Command::Token { command } => token(command),
        Command::Keystore { command } => keystore(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vouchd: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(config: &Path) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(vouch_node::node::run(config));
    // Dropping the runtime would wait for every blocking task, and a stop right after a
    // start would then wait for the API's index of a long ledger or the store's
    // re-verification. Both only read, and every write is committed before `run`
    // returns, so give them a moment and no more.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}

fn token(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Issue { config, org, name, client, operator, signer } => {
            let (cfg, genesis) = load(&config)?;
            std::fs::create_dir_all(&cfg.data_dir)
                .with_context(|| format!("cannot create data directory {}", cfg.data_dir.display()))?;
            let file = TokenFile::in_data_dir(&cfg.data_dir);
            let (record, secret) = file.issue_bound(
                &genesis,
                &org,
                &name,
                client.as_deref(),
                signer.as_deref(),
                operator,
                vouch_node::shared::now_ms(),
                &mut rand::rngs::OsRng,
            )?;
            eprintln!(
                "vouchd: issued {} for {} of {}{}{}; it is shown once, below; only its hash is kept in {}",
                record.id,
                record.name,
                record.org,
                record.client.as_ref().map(|c| format!(" (client {c})")).unwrap_or_default(),
                match (&record.signer, record.operator) {
                    (Some(s), true) => format!(" (operator; signs as {s})"),
                    (Some(s), false) => format!(" (signs as {s})"),
                    (None, true) => " (operator)".to_string(),
                    (None, false) => String::new(),
                },
                file.path().display()
            );
            println!("{}", secret.token());
        }
        TokenCommand::List { config, json } => {
            let (cfg, genesis) = load(&config)?;
            let tokens = TokenFile::in_data_dir(&cfg.data_dir).list()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&tokens)?);
                return Ok(());
            }
            println!(
                "{:<20} {:<16} {:<11} {:<9} {:<8} {:<13} {:<13} name",
                "id", "org", "role", "client", "operator", "issued_ms", "revoked_ms"
            );
            for t in tokens {
                let role =
                    genesis.org(&t.org).map_or("(unknown)".to_string(), |o| match (&t.client, o.role) {
                        (Some(_), _) => "client".to_string(),
                        (None, r) => format!("{r:?}").to_lowercase(),
                    });
                println!(
                    "{:<20} {:<16} {:<11} {:<9} {:<8} {:<13} {:<13} {}",
                    t.id,
                    t.org.as_str(),
                    role,
                    t.client.as_ref().map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                    if t.operator { "yes" } else { "no" },
                    t.issued_ms,
                    t.revoked_ms.map(|m| m.to_string()).unwrap_or_else(|| "-".into()),
                    t.name
                );
            }
        }
        TokenCommand::Revoke { config, id } => {
            let (cfg, _) = load(&config)?;
            let record = TokenFile::in_data_dir(&cfg.data_dir).revoke(&id, vouch_node::shared::now_ms())?;
            eprintln!(
                "vouchd: {} ({} of {}) is revoked as of {} ms; the node refuses it from its next request",
                record.id,
                record.name,
                record.org,
                record.revoked_ms.unwrap_or_default()
            );
        }
    }
    Ok(())
}

fn keystore(command: KeystoreCommand) -> anyhow::Result<()> {
    use vouch_api::custody::Holder;
    use vouch_core::ids::{ClientRef, OrgId, PersonId};
    use vouch_node::keystore::{Keystore, PASSPHRASE_ENV, passphrase};
    let open = |config: &Path| -> anyhow::Result<(Keystore, Genesis)> {
        let (cfg, genesis) = load(config)?;
        let Some(pass) = passphrase(cfg.keystore_passphrase_file.as_deref())? else {
            bail!("no keystore passphrase: set {PASSPHRASE_ENV} or keystore_passphrase_file in the config");
        };
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("cannot create data directory {}", cfg.data_dir.display()))?;
        Ok((Keystore::in_data_dir(&cfg.data_dir, pass)?, genesis))
    };
    let holder = |person: Option<String>, client: Option<String>| -> anyhow::Result<Holder> {
        match (person, client) {
            (Some(p), None) => {
                Ok(Holder::Person(PersonId::new(&p).with_context(|| format!("--person {p:?}"))?))
            }
            (None, Some(c)) => {
                Ok(Holder::Client(ClientRef::new(&c).with_context(|| format!("--client {c:?}"))?))
            }
            _ => bail!("pass exactly one of --person and --client"),
        }
    };
    match command {
        KeystoreCommand::Add { config, org, person, client, key, decryption_key } => {
            let (ks, genesis) = open(&config)?;
            let org = OrgId::new(&org).with_context(|| format!("--org {org:?}"))?;
            let holder = holder(person, client)?;
            let read = |path: &Path| -> anyhow::Result<zeroize::Zeroizing<String>> {
                Ok(zeroize::Zeroizing::new(
                    std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
                ))
            };
            let signing = vouch_core::keys::SigningKey::from_pkcs8_pem(&read(&key)?).with_context(|| {
                format!("--key {} is not an Ed25519 private key (PKCS#8 PEM)", key.display())
            })?;
            let decryption = match &decryption_key {
                Some(path) => Some(
                    vouch_core::keys::DecryptionKey::from_pkcs8_pem(&read(path)?).with_context(|| {
                        format!(
                            "--decryption-key {} is not an X25519 private key (PKCS#8 PEM)",
                            path.display()
                        )
                    })?,
                ),
                None => None,
            };
            let info = ks.add(&genesis, &org, &holder, &signing, decryption.as_ref())?;
            eprintln!(
                "vouchd: the keystore {} now holds the keys of {} of {} (public key {}{}); bind a token with `vouchd token issue --signer`",
                ks.path().display(),
                info.holder,
                info.org,
                info.public_key,
                if info.decryption_key { ", with an X25519 key" } else { "" }
            );
        }
        KeystoreCommand::List { config } => {
            let (ks, _) = open(&config)?;
            println!("{}", serde_json::to_string_pretty(&ks.list()?)?);
        }
        KeystoreCommand::Remove { config, org, person, client } => {
            let (ks, _) = open(&config)?;
            let org = OrgId::new(&org).with_context(|| format!("--org {org:?}"))?;
            let info = ks.remove(&org, &holder(person, client)?)?;
            eprintln!(
                "vouchd: removed the keys of {} of {} from {}",
                info.holder,
                info.org,
                ks.path().display()
            );
        }
    }
    Ok(())
}

/// The config and the genesis it names, checked against `genesis_hash` when set.
fn load(path: &Path) -> anyhow::Result<(Config, Genesis)> {
    let cfg = Config::load(path)?;
    let bytes = std::fs::read(&cfg.genesis).with_context(|| {
        format!("cannot read genesis {}; next: check `genesis` in the config", cfg.genesis.display())
    })?;
    let genesis = Genesis::from_json(&bytes)
        .with_context(|| format!("genesis {} is not a valid genesis document", cfg.genesis.display()))?;
    if let Some(expected) = &cfg.genesis_hash
        && !expected.eq_ignore_ascii_case(&genesis.hash().to_hex())
    {
        bail!(
            "genesis {} has hash {}, but the config expects {expected}; next: use the network's genesis",
            cfg.genesis.display(),
            genesis.hash().to_hex()
        );
    }
    Ok((cfg, genesis))
}
