//! Generate a testnet directory from a seed, and read it back.
//!
//! ```text
//! <dir>/
//!   testnet.json          the manifest: seed, network, genesis time and hash, nodes and ports
//!   genesis.json          canonical genesis bytes
//!   pids.json             pids of running nodes (written by `process`)
//!   nodes/<org>/key.pem   the node's Ed25519 key (validator key, or the observer's node key)
//!   nodes/<org>/node.toml its config (paths relative to this directory)
//!   nodes/<org>/data/     its store
//!   nodes/<org>/node.log  its stdout and stderr, appended
//! ```
//!
//! # Terminology
//!
//! - *Node index*: the position of a node in [`Manifest::nodes`]; validators come first
//!   (`bank-a`, `bank-b`, `audit-x`, `audit-y`), then the observer (`regulator`).

use crate::config::{self, NodeToml};
use crate::peer;
use crate::ports;
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use vouch_core::genesis::{Genesis, Role};
use vouch_core::keys::SigningKey;
use vouch_core::testkit::{DemoNetwork, MemberSpec};

/// The default seed of `up`.
pub const DEFAULT_SEED: u64 = 20_261_123;

/// The default network id.
pub const DEFAULT_NETWORK: &str = "vouch.example/testnet";

/// The members of a testnet: four validators, then an observer.
pub const MEMBERS: [MemberSpec<'static>; 5] = [
    MemberSpec { id: "bank-a", name: "Testnet Bank A (测试银行甲)", role: Role::Bank, validator: true },
    MemberSpec { id: "bank-b", name: "Testnet Bank B (测试银行乙)", role: Role::Bank, validator: true },
    MemberSpec {
        id: "audit-x",
        name: "Testnet CPA Firm X (测试会计师事务所X)",
        role: Role::AuditFirm,
        validator: true,
    },
    MemberSpec {
        id: "audit-y",
        name: "Testnet CPA Firm Y (测试会计师事务所Y)",
        role: Role::AuditFirm,
        validator: true,
    },
    MemberSpec {
        id: "regulator",
        name: "Testnet Regulator (测试监管机构)",
        role: Role::Regulator,
        validator: false,
    },
];

/// Number of validators in [`MEMBERS`].
pub const VALIDATORS: usize = 4;

/// The manifest file name.
pub const MANIFEST: &str = "testnet.json";

/// Why a testnet directory could not be created or read.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// A file operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The manifest or genesis does not parse.
    #[error(
        "{path} is not a testnet file this version understands: {reason}; next: recreate it with `vouch-testnet up --fresh`"
    )]
    Parse {
        /// The path.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The genesis on disk is not the one the manifest's seed produces.
    #[error(
        "{path}: genesis hash {got} differs from {expected} derived from the manifest's seed; next: recreate the testnet with `up --fresh`"
    )]
    GenesisMismatch {
        /// The genesis path.
        path: PathBuf,
        /// Hash on disk.
        got: String,
        /// Hash derived.
        expected: String,
    },
    /// The demo network could not be built (a bug in the member list).
    #[error("cannot build the demo network: {0}")]
    Testkit(#[from] vouch_core::testkit::TestkitError),
    /// Ports.
    #[error(transparent)]
    Ports(#[from] ports::PortError),
    /// Peer ids.
    #[error(transparent)]
    Peer(#[from] peer::PeerIdError),
    /// Config encoding.
    #[error(transparent)]
    Config(#[from] config::ConfigWriteError),
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> LayoutError + 'a {
    move |source| LayoutError::Io { action, path: path.to_path_buf(), source }
}

/// How to generate a testnet.
#[derive(Debug, Clone)]
pub struct Options {
    /// Seed of every key.
    pub seed: u64,
    /// Network id.
    pub network: String,
    /// Genesis time, Unix milliseconds (usually now).
    pub genesis_ms: u64,
    /// First port of a consecutive range (HTTP ports, then p2p ports); free ports otherwise.
    pub base_port: Option<u16>,
}

impl Options {
    /// Default seed and network, genesis now, free ports.
    pub fn now() -> Options {
        Options { seed: DEFAULT_SEED, network: DEFAULT_NETWORK.into(), genesis_ms: now_ms(), base_port: None }
    }
}

/// Wall-clock time, Unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// One node of a testnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    /// Moniker (the org id, or a name for extra nodes such as a twin).
    pub name: String,
    /// The org the node belongs to, if any.
    pub org: Option<String>,
    /// The org's role.
    pub role: Option<Role>,
    /// Whether it votes.
    pub validator: bool,
    /// Its directory, relative to the testnet directory.
    pub dir: String,
    /// HTTP port on 127.0.0.1.
    pub http_port: u16,
    /// p2p port on 127.0.0.1.
    pub p2p_port: u16,
    /// libp2p peer id (base58).
    pub peer_id: String,
    /// An operator token of this node's API, issued at creation (a local demo's secret,
    /// kept here so that the tools and tests can read whole blocks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl NodeInfo {
    /// `http://127.0.0.1:<port>`.
    pub fn http_url(&self) -> String {
        config::http_url(self.http_port)
    }

    /// The p2p multiaddr with peer id.
    pub fn p2p_peer(&self) -> String {
        config::p2p_peer(self.p2p_port, &self.peer_id)
    }

    /// A readable role: `bank validator`, `regulator observer`.
    pub fn describe(&self) -> String {
        let role = match self.role {
            Some(Role::Bank) => "bank",
            Some(Role::AuditFirm) => "audit firm",
            Some(Role::Regulator) => "regulator",
            None => "outsider",
        };
        format!("{role} {}", if self.validator { "validator" } else { "observer" })
    }
}

/// What a testnet directory holds, in `testnet.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Seed of every key.
    pub seed: u64,
    /// Network id.
    pub network: String,
    /// Genesis time.
    pub genesis_ms: u64,
    /// Genesis hash (hex).
    pub genesis_hash: String,
    /// The nodes, validators first.
    pub nodes: Vec<NodeInfo>,
}

impl Manifest {
    /// The demo network this manifest was generated from (keys included).
    pub fn demo_network(&self) -> Result<DemoNetwork, LayoutError> {
        Ok(DemoNetwork::with_members(self.seed, &self.network, self.genesis_ms, &MEMBERS)?)
    }

    /// Read `<dir>/testnet.json` and check `genesis.json` is what its seed produces.
    pub fn load(dir: &Path) -> Result<(Manifest, DemoNetwork), LayoutError> {
        let path = dir.join(MANIFEST);
        let bytes = std::fs::read(&path).map_err(io("cannot read", &path))?;
        let manifest: Manifest = serde_json::from_slice(&bytes)
            .map_err(|e| LayoutError::Parse { path: path.clone(), reason: e.to_string() })?;
        let net = manifest.demo_network()?;
        let genesis_path = dir.join("genesis.json");
        let genesis_bytes = std::fs::read(&genesis_path).map_err(io("cannot read", &genesis_path))?;
        let genesis = Genesis::decode(&genesis_bytes)
            .map_err(|e| LayoutError::Parse { path: genesis_path.clone(), reason: e.to_string() })?;
        let expected = net.genesis.hash().to_hex();
        if genesis.hash().to_hex() != expected || manifest.genesis_hash != expected {
            return Err(LayoutError::GenesisMismatch {
                path: genesis_path,
                got: genesis.hash().to_hex(),
                expected,
            });
        }
        Ok((manifest, net))
    }

    /// Write `<dir>/testnet.json`.
    pub fn save(&self, dir: &Path) -> Result<(), LayoutError> {
        let path = dir.join(MANIFEST);
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| LayoutError::Parse { path: path.clone(), reason: e.to_string() })?;
        std::fs::write(&path, text).map_err(io("cannot write", &path))
    }
}

/// Write `bytes` to `path`, readable by the owner only (keys).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), LayoutError> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io("cannot create", path))?;
    f.write_all(bytes).map_err(io("cannot write", path))
}

/// The node key of `org` in `net`: its validator key, or its observer node key.
pub fn node_key<'a>(net: &'a DemoNetwork, org: &str) -> Option<&'a SigningKey> {
    net.orgs
        .iter()
        .find(|(id, _)| id.as_str() == org)
        .and_then(|(_, s)| s.validator.as_ref().or(s.node.as_ref()))
}

/// Generate a testnet in `dir` (which must not hold one): genesis, keys, configs.
pub fn create(dir: &Path, options: &Options) -> Result<(Manifest, DemoNetwork), LayoutError> {
    let net = DemoNetwork::with_members(options.seed, &options.network, options.genesis_ms, &MEMBERS)?;
    let n = MEMBERS.len();
    let ports = match options.base_port {
        Some(base) => ports::consecutive_ports(base, 2 * n)?,
        None => ports::free_ports(2 * n)?,
    };
    let (http_ports, p2p_ports) = ports.split_at(n);
    let mut nodes = Vec::with_capacity(n);
    for (i, m) in MEMBERS.iter().enumerate() {
        let key = node_key(&net, m.id).ok_or_else(|| LayoutError::Parse {
            path: dir.into(),
            reason: format!("no node key for {}", m.id),
        })?;
        nodes.push(NodeInfo {
            name: m.id.to_string(),
            org: Some(m.id.to_string()),
            role: Some(m.role),
            validator: m.validator,
            dir: format!("nodes/{}", m.id),
            http_port: http_ports.get(i).copied().unwrap_or_default(),
            p2p_port: p2p_ports.get(i).copied().unwrap_or_default(),
            peer_id: peer::peer_id(&key.public())?.to_string(),
            token: None,
        });
    }
    let mut manifest = Manifest {
        seed: options.seed,
        network: options.network.clone(),
        genesis_ms: options.genesis_ms,
        genesis_hash: net.genesis.hash().to_hex(),
        nodes,
    };
    std::fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
    let genesis_path = dir.join("genesis.json");
    std::fs::write(&genesis_path, net.genesis.to_canonical()).map_err(io("cannot write", &genesis_path))?;
    let infos = manifest.nodes.clone();
    for node in &mut manifest.nodes {
        let Some(org) = node.org.clone() else { continue };
        let Some(key) = node_key(&net, &org) else { continue };
        let others: Vec<&NodeInfo> = infos.iter().filter(|o| o.name != node.name).collect();
        let toml = node_toml(node, &others, Some(&manifest.genesis_hash), "../../genesis.json");
        let node_dir = dir.join(&node.dir);
        write_node_dir(&node_dir, key, &toml)?;
        node.token = Some(issue_token(&node_dir, &net.genesis, &org)?);
    }
    manifest.save(dir)?;
    Ok((manifest, net))
}

/// The config of `node`, peering with `others`.
pub fn node_toml(
    node: &NodeInfo,
    others: &[&NodeInfo],
    genesis_hash: Option<&str>,
    genesis: &str,
) -> NodeToml {
    NodeToml {
        moniker: node.name.clone(),
        data_dir: "data".into(),
        genesis: genesis.into(),
        genesis_hash: genesis_hash.map(str::to_string),
        key: "key.pem".into(),
        keystore_passphrase_file: Some(KEYSTORE_PASSPHRASE_FILE.into()),
        p2p: config::P2p {
            listen: config::p2p_addr(node.p2p_port),
            peers: others.iter().map(|o| o.p2p_peer()).collect(),
        },
        http: config::Http {
            listen: format!("127.0.0.1:{}", node.http_port),
            peers: others.iter().map(|o| o.http_url()).collect(),
            commit_wait_ms: config::COMMIT_WAIT_MS,
        },
    }
}

/// Issue an operator token for `org` in the node directory `node_dir` (its `data/`
/// `tokens.json`, as `vouchd token issue --operator` does) and return it.
pub fn issue_token(node_dir: &Path, genesis: &Genesis, org: &str) -> Result<String, LayoutError> {
    let data = node_dir.join("data");
    std::fs::create_dir_all(&data).map_err(io("cannot create", &data))?;
    let file = vouch_node::tokens::TokenFile::in_data_dir(&data);
    let (_, secret) = file
        .issue(genesis, org, "vouch-testnet", None, true, now_ms(), &mut rand::rngs::OsRng)
        .map_err(|e| LayoutError::Parse { path: file.path().to_path_buf(), reason: e.to_string() })?;
    Ok(secret.token().to_string())
}

/// The keystore passphrase file of a node directory (custodial signing for the web
/// console's demo logins).
pub const KEYSTORE_PASSPHRASE_FILE: &str = "keystore.pass";

/// Create a node directory: `key.pem`, `node.toml`, `data/`, and when the config names
/// one, a keystore passphrase file with a fresh random passphrase.
pub fn write_node_dir(node_dir: &Path, key: &SigningKey, toml: &NodeToml) -> Result<(), LayoutError> {
    let data = node_dir.join("data");
    std::fs::create_dir_all(&data).map_err(io("cannot create", &data))?;
    write_private(&node_dir.join("key.pem"), key.to_pkcs8_pem().as_bytes())?;
    if let Some(file) = &toml.keystore_passphrase_file {
        let mut bytes = [0u8; 24];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        let passphrase: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        write_private(&node_dir.join(file), format!("{passphrase}\n").as_bytes())?;
    }
    let config_path = node_dir.join("node.toml");
    std::fs::write(&config_path, toml.to_toml()?).map_err(io("cannot write", &config_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_writes_every_file_and_load_reads_it_back() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("testnet");
        let options = Options {
            seed: 7,
            network: DEFAULT_NETWORK.into(),
            genesis_ms: 1_795_395_600_000,
            base_port: None,
        };
        let (manifest, net) = create(&dir, &options).expect("create");
        assert_eq!(manifest.nodes.len(), 5);
        assert_eq!(manifest.nodes.iter().filter(|n| n.validator).count(), VALIDATORS);
        let genesis = std::fs::read(dir.join("genesis.json")).expect("genesis");
        assert_eq!(genesis, net.genesis.to_canonical());
        for node in &manifest.nodes {
            let nd = dir.join(&node.dir);
            assert!(nd.join("data").is_dir());
            let pem = std::fs::read_to_string(nd.join("key.pem")).expect("key");
            let key = SigningKey::from_pkcs8_pem(&pem).expect("pem");
            assert_eq!(peer::peer_id(&key.public()).expect("peer").to_string(), node.peer_id);
            let in_genesis =
                net.genesis.node_keys().iter().any(|(org, k, v)| {
                    org.as_str() == node.name && *k == key.public() && *v == node.validator
                });
            assert!(in_genesis, "{} key is its genesis node key", node.name);
            let table: toml::Table =
                std::fs::read_to_string(nd.join("node.toml")).expect("toml").parse().expect("parses");
            assert_eq!(
                table.get("genesis_hash").and_then(|v| v.as_str()),
                Some(manifest.genesis_hash.as_str())
            );
            let peers =
                table.get("p2p").and_then(|p| p.get("peers")).and_then(|p| p.as_array()).map(|a| a.len());
            assert_eq!(peers, Some(4), "{} peers with every other node", node.name);
        }
        let ports: std::collections::BTreeSet<u16> =
            manifest.nodes.iter().flat_map(|n| [n.http_port, n.p2p_port]).collect();
        assert_eq!(ports.len(), 10, "ten distinct ports");
        let (again, _) = Manifest::load(&dir).expect("load");
        assert_eq!(again, manifest);
    }

    #[test]
    fn same_seed_same_network() {
        let a = DemoNetwork::with_members(1, DEFAULT_NETWORK, 5, &MEMBERS).expect("net");
        let b = DemoNetwork::with_members(1, DEFAULT_NETWORK, 5, &MEMBERS).expect("net");
        let c = DemoNetwork::with_members(2, DEFAULT_NETWORK, 5, &MEMBERS).expect("net");
        assert_eq!(a.genesis.hash(), b.genesis.hash());
        assert_ne!(a.genesis.hash(), c.genesis.hash());
        assert!(node_key(&a, "regulator").is_some());
        assert!(a.genesis.validators().len() == VALIDATORS);
    }

    #[test]
    fn base_port_gives_consecutive_ports() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("testnet");
        let options = Options { base_port: Some(40100), ..Options::now() };
        let (manifest, _) = create(&dir, &options).expect("create");
        let http: Vec<u16> = manifest.nodes.iter().map(|n| n.http_port).collect();
        let p2p: Vec<u16> = manifest.nodes.iter().map(|n| n.p2p_port).collect();
        assert_eq!(http, vec![40100, 40101, 40102, 40103, 40104]);
        assert_eq!(p2p, vec![40105, 40106, 40107, 40108, 40109]);
    }
}
