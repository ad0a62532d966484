//! Own the node's configuration: the TOML file, `VOUCH_*` environment overrides, and the
//! checks that turn a bad setting into a message saying which one and what to do.
//!
//! Every setting can come from the environment: `VOUCH_<SECTION>__<KEY>`, for example
//! `VOUCH_HTTP__LISTEN=127.0.0.1:8080` or `VOUCH_MONIKER=bank-a`. The environment wins.

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file does not exist or cannot be read.
    #[error("cannot read config file {path}: {reason}; next: check the path given to --config")]
    Unreadable {
        /// The path.
        path: PathBuf,
        /// The OS error.
        reason: String,
    },
    /// A setting is missing, unknown or of the wrong type.
    #[error("config {path}: {reason}")]
    Invalid {
        /// The path.
        path: PathBuf,
        /// What figment/serde said, naming the key.
        reason: String,
    },
    /// A value is out of range.
    #[error("config setting {key} = {value}: {reason}")]
    Range {
        /// The key, dotted.
        key: &'static str,
        /// The value given.
        value: String,
        /// The allowed range.
        reason: String,
    },
}

/// The whole node configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// A readable name for logs and peers (usually the org id).
    pub moniker: String,
    /// Data directory: the ledger store and the consensus write-ahead log. Relative paths
    /// are resolved from the config file's directory.
    pub data_dir: PathBuf,
    /// The genesis document (JSON).
    pub genesis: PathBuf,
    /// Expected genesis hash (hex), checked out of band; the node refuses a different one.
    #[serde(default)]
    pub genesis_hash: Option<String>,
    /// The node's Ed25519 key (PKCS#8 PEM): a validator's consensus key or an observer's
    /// node key, as listed in genesis.
    pub key: PathBuf,
    /// The signing guard: the last height, round and step this key signed. Kept beside the
    /// key, outside the data directory, so wiping data never lets the node sign twice.
    /// Default: the key path with `.guard` appended.
    #[serde(default)]
    pub guard: Option<PathBuf>,
    /// A file whose first line is the keystore passphrase (custodial signing, decision
    /// 0013); `VOUCH_KEYSTORE_PASSPHRASE` wins over it. Neither: the keystore is off.
    #[serde(default)]
    pub keystore_passphrase_file: Option<PathBuf>,
    /// Peer-to-peer settings.
    #[serde(default)]
    pub p2p: P2p,
    /// HTTP settings.
    #[serde(default)]
    pub http: Http,
    /// Consensus pacing and block limits.
    #[serde(default)]
    pub consensus: Consensus,
    /// Mempool bounds.
    #[serde(default)]
    pub mempool: Mempool,
    /// Logging.
    #[serde(default)]
    pub log: Log,
    /// The web console served at `/`.
    #[serde(default)]
    pub console: Console,
}

/// Peer-to-peer settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct P2p {
    /// Listen address, a multiaddr such as `/ip4/127.0.0.1/tcp/27000`.
    pub listen: String,
    /// Peers to dial: `/ip4/<addr>/tcp/<port>/p2p/<peer id>`. Every peer id must belong to
    /// a key in genesis.
    pub peers: Vec<String>,
}

impl Default for P2p {
    fn default() -> Self {
        P2p { listen: "/ip4/127.0.0.1/tcp/27000".into(), peers: Vec::new() }
    }
}

/// HTTP settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Http {
    /// Listen address, `host:port`.
    pub listen: String,
    /// Other nodes' HTTP base URLs, to which documents submitted here are forwarded so that
    /// they reach every proposer's mempool.
    pub peers: Vec<String>,
    /// How long `POST /v1/entries` waits for the commit before answering 202 Accepted.
    pub commit_wait_ms: u64,
}

impl Default for Http {
    fn default() -> Self {
        Http { listen: "127.0.0.1:8080".into(), peers: Vec::new(), commit_wait_ms: 10_000 }
    }
}

/// Consensus pacing and block limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Consensus {
    /// Longest a proposer waits for documents before proposing an empty block; also the
    /// shortest time between empty blocks on an idle network.
    pub block_interval_ms: u64,
    /// After the first document arrives, how long a proposer waits for more to batch.
    pub batch_wait_ms: u64,
    /// Most documents in one block (at most the protocol's limit).
    pub max_block_documents: usize,
    /// Most envelope bytes in one block (at most the protocol's limit).
    pub max_block_bytes: usize,
    /// Tendermint propose timeout of round 0; later rounds add `timeout_delta_ms` each.
    pub timeout_propose_ms: u64,
    /// Prevote timeout of round 0.
    pub timeout_prevote_ms: u64,
    /// Precommit timeout of round 0.
    pub timeout_precommit_ms: u64,
    /// Added per round to each timeout.
    pub timeout_delta_ms: u64,
}

impl Default for Consensus {
    fn default() -> Self {
        Consensus {
            block_interval_ms: 1_000,
            batch_wait_ms: 5,
            max_block_documents: 4_000,
            max_block_bytes: 16 * 1024 * 1024,
            timeout_propose_ms: 3_000,
            timeout_prevote_ms: 1_000,
            timeout_precommit_ms: 1_000,
            timeout_delta_ms: 500,
        }
    }
}

/// Mempool bounds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Mempool {
    /// Most documents waiting.
    pub max_documents: usize,
    /// Most envelope bytes waiting.
    pub max_bytes: usize,
}

impl Default for Mempool {
    fn default() -> Self {
        Mempool { max_documents: 20_000, max_bytes: 64 * 1024 * 1024 }
    }
}

/// Logging.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Log {
    /// `text` (readable, the default) or `json`.
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `vouch_node=debug,info`.
    pub filter: String,
}

impl Default for Log {
    fn default() -> Self {
        Log { format: LogFormat::Text, filter: "info".into() }
    }
}

/// The web console's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Console {
    /// Mark the console's cookies `Secure`: set it when browsers reach the node over TLS
    /// (directly or through a terminating proxy); a browser then never sends the session
    /// cookie in clear.
    pub secure_cookies: bool,
    /// Seconds a console session may stay unused before it is signed out.
    pub idle_timeout_s: u64,
}

impl Default for Console {
    fn default() -> Self {
        Console { secure_cookies: false, idle_timeout_s: 30 * 60 }
    }
}

impl Console {
    /// The options the API crate serves the console with.
    pub fn options(&self) -> vouch_api::console::ConsoleOptions {
        vouch_api::console::ConsoleOptions {
            secure_cookies: self.secure_cookies,
            idle_timeout: std::time::Duration::from_secs(self.idle_timeout_s),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

impl Config {
    /// Read `path`, apply `VOUCH_*` overrides, resolve relative paths from the file's
    /// directory and check ranges.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        if let Err(e) = std::fs::metadata(path) {
            return Err(ConfigError::Unreadable { path: path.to_path_buf(), reason: e.to_string() });
        }
        let mut config: Config = Figment::new()
            .merge(Toml::file_exact(path))
            .merge(
                Env::prefixed("VOUCH_")
                    .split("__")
                    .ignore(&["CONFIG", "KEYSTORE_PASSPHRASE", "CANARY"])
                    // `VOUCH_FAULT_*` arm fault points of `vouchd-faults` (`faults`), not settings.
                    .filter(|key| !key.as_str().to_ascii_lowercase().starts_with("fault_")),
            )
            .extract()
            .map_err(|e| ConfigError::Invalid { path: path.to_path_buf(), reason: e.to_string() })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for p in [&mut config.data_dir, &mut config.genesis, &mut config.key] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        for p in [config.guard.as_mut(), config.keystore_passphrase_file.as_mut()].into_iter().flatten() {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        config.check()?;
        Ok(config)
    }

    /// The signing-guard path.
    pub fn guard_path(&self) -> PathBuf {
        self.guard.clone().unwrap_or_else(|| {
            let mut p = self.key.clone().into_os_string();
            p.push(".guard");
            PathBuf::from(p)
        })
    }

    fn check(&self) -> Result<(), ConfigError> {
        let c = &self.consensus;
        let range = |key: &'static str, value: u64, lo: u64, hi: u64| {
            if value < lo || value > hi {
                Err(ConfigError::Range {
                    key,
                    value: value.to_string(),
                    reason: format!("must be {lo} to {hi}"),
                })
            } else {
                Ok(())
            }
        };
        range("consensus.block_interval_ms", c.block_interval_ms, 10, 60_000)?;
        range("consensus.batch_wait_ms", c.batch_wait_ms, 0, 10_000)?;
        range(
            "consensus.max_block_documents",
            c.max_block_documents as u64,
            1,
            vouch_core::limits::BLOCK_DOCUMENTS_MAX as u64,
        )?;
        range(
            "consensus.max_block_bytes",
            c.max_block_bytes as u64,
            1024,
            vouch_core::limits::BLOCK_BYTES_MAX as u64,
        )?;
        range("consensus.timeout_propose_ms", c.timeout_propose_ms, 100, 600_000)?;
        range("consensus.timeout_prevote_ms", c.timeout_prevote_ms, 50, 600_000)?;
        range("consensus.timeout_precommit_ms", c.timeout_precommit_ms, 50, 600_000)?;
        range("consensus.timeout_delta_ms", c.timeout_delta_ms, 0, 60_000)?;
        if c.timeout_propose_ms <= c.block_interval_ms {
            return Err(ConfigError::Range {
                key: "consensus.timeout_propose_ms",
                value: c.timeout_propose_ms.to_string(),
                reason: format!(
                    "must exceed consensus.block_interval_ms ({}), or an idle proposer's empty block would time out",
                    c.block_interval_ms
                ),
            });
        }
        range("mempool.max_documents", self.mempool.max_documents as u64, 1, 10_000_000)?;
        range("mempool.max_bytes", self.mempool.max_bytes as u64, 1024, 1 << 40)?;
        range("http.commit_wait_ms", self.http.commit_wait_ms, 0, 600_000)?;
        // A minute to a day: shorter signs people out mid-form, longer leaves an
        // unattended browser signed in overnight.
        range("console.idle_timeout_s", self.console.idle_timeout_s, 60, 86_400)?;
        if self.moniker.is_empty() {
            return Err(ConfigError::Range {
                key: "moniker",
                value: String::new(),
                reason: "must not be empty".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("node.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    const BASE: &str = "moniker = \"n\"\ndata_dir = \"data\"\ngenesis = \"g.json\"\nkey = \"k.pem\"\n";

    #[test]
    fn partial_sections_take_defaults_and_paths_resolve_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            &format!("{BASE}[log]\nformat = \"json\"\n[consensus]\nblock_interval_ms = 500\n"),
        );
        let c = Config::load(&p).unwrap();
        assert_eq!(c.log.format, LogFormat::Json);
        assert_eq!(c.log.filter, "info");
        assert_eq!(c.consensus.block_interval_ms, 500);
        assert_eq!(c.consensus.timeout_propose_ms, Consensus::default().timeout_propose_ms);
        assert_eq!(c.data_dir, dir.path().join("data"));
        assert_eq!(c.guard_path(), dir.path().join("k.pem.guard"));
        assert!(!c.console.secure_cookies);
        assert_eq!(c.console.options().idle_timeout, std::time::Duration::from_secs(30 * 60));
        let p = write(dir.path(), &format!("{BASE}[console]\nsecure_cookies = true\nidle_timeout_s = 600\n"));
        let c = Config::load(&p).unwrap();
        assert!(c.console.options().secure_cookies);
        assert_eq!(c.console.options().idle_timeout, std::time::Duration::from_secs(600));
    }

    #[test]
    fn bad_settings_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let unknown = write(dir.path(), &format!("{BASE}colour = 1\n"));
        assert!(Config::load(&unknown).unwrap_err().to_string().contains("colour"));
        let range = write(dir.path(), &format!("{BASE}[consensus]\nblock_interval_ms = 5000\n"));
        let e = Config::load(&range).unwrap_err().to_string();
        assert!(e.contains("consensus.timeout_propose_ms"), "{e}");
        let idle = write(dir.path(), &format!("{BASE}[console]\nidle_timeout_s = 5\n"));
        let e = Config::load(&idle).unwrap_err().to_string();
        assert!(e.contains("console.idle_timeout_s"), "{e}");
        let missing = Config::load(&dir.path().join("absent.toml")).unwrap_err().to_string();
        assert!(missing.contains("cannot read config file"), "{missing}");
    }
}
