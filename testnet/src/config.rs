//! Write a node's `node.toml` in the schema of `vouch-node`'s `config` module.
//!
//! The schema is mirrored here rather than imported so that this crate builds without the
//! node; the end-to-end tests check the generated files with `Config::load` itself. Paths
//! are relative to the file's directory (as `vouchd` resolves them), so a testnet
//! directory can be moved. Sections left out (`[consensus]`, `[mempool]`, `[log]`) take
//! the node's defaults.

use serde::Serialize;

/// How long `POST /v1/entries` waits for the commit before answering 202, in the
/// generated configs (the node's default).
pub const COMMIT_WAIT_MS: u64 = 10_000;

/// One node's configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeToml {
    /// Readable name (the org id).
    pub moniker: String,
    /// Data directory.
    pub data_dir: String,
    /// Genesis file.
    pub genesis: String,
    /// Expected genesis hash (hex); left out when the node should not check it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genesis_hash: Option<String>,
    /// Key file (PKCS#8 PEM).
    pub key: String,
    /// File whose first line is the keystore passphrase (custodial signing on); left out
    /// to keep it off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keystore_passphrase_file: Option<String>,
    /// Peer-to-peer settings.
    pub p2p: P2p,
    /// HTTP settings.
    pub http: Http,
}

/// `[p2p]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct P2p {
    /// `/ip4/127.0.0.1/tcp/<port>`.
    pub listen: String,
    /// `/ip4/127.0.0.1/tcp/<port>/p2p/<peer id>` of every other node.
    pub peers: Vec<String>,
}

/// `[http]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Http {
    /// `127.0.0.1:<port>`.
    pub listen: String,
    /// `http://127.0.0.1:<port>` of every other node.
    pub peers: Vec<String>,
    /// Commit wait of `POST /v1/entries`.
    pub commit_wait_ms: u64,
}

/// Why a config could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigWriteError {
    /// Serialization failed (a bug).
    #[error("cannot encode node.toml: {0}")]
    Encode(#[from] toml::ser::Error),
}

impl NodeToml {
    /// The TOML text.
    pub fn to_toml(&self) -> Result<String, ConfigWriteError> {
        let body = toml::to_string(self)?;
        Ok(format!(
            "# Written by vouch-testnet. Paths are relative to this file's directory.\n\
             # Settings not listed take vouchd's defaults.\n{body}"
        ))
    }
}

/// The p2p multiaddr of a local node.
pub fn p2p_addr(port: u16) -> String {
    format!("/ip4/127.0.0.1/tcp/{port}")
}

/// The p2p multiaddr of a local peer, with its peer id.
pub fn p2p_peer(port: u16, peer_id: &str) -> String {
    format!("/ip4/127.0.0.1/tcp/{port}/p2p/{peer_id}")
}

/// The HTTP base URL of a local node.
pub fn http_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> NodeToml {
        NodeToml {
            moniker: "bank-a".into(),
            data_dir: "data".into(),
            genesis: "../../genesis.json".into(),
            genesis_hash: Some("ab".repeat(32)),
            key: "key.pem".into(),
            keystore_passphrase_file: Some("keystore.pass".into()),
            p2p: P2p { listen: p2p_addr(27000), peers: vec![p2p_peer(27001, "12D3KooWabc")] },
            http: Http {
                listen: "127.0.0.1:8080".into(),
                peers: vec![http_url(8081)],
                commit_wait_ms: 10_000,
            },
        }
    }

    #[test]
    fn toml_parses_back_with_the_expected_keys() {
        let text = sample().to_toml().expect("toml");
        let table: toml::Table = text.parse().expect("parses");
        let keys: Vec<&str> = table.keys().map(String::as_str).collect();
        for k in [
            "moniker",
            "data_dir",
            "genesis",
            "genesis_hash",
            "key",
            "keystore_passphrase_file",
            "p2p",
            "http",
        ] {
            assert!(keys.contains(&k), "missing {k} in {text}");
        }
        assert_eq!(table.len(), 8, "no other keys: {text}");
        let p2p = table.get("p2p").and_then(|v| v.as_table()).expect("p2p table");
        assert_eq!(p2p.get("listen").and_then(|v| v.as_str()), Some("/ip4/127.0.0.1/tcp/27000"));
        let peers = p2p.get("peers").and_then(|v| v.as_array()).expect("peers");
        assert_eq!(peers.first().and_then(|v| v.as_str()), Some("/ip4/127.0.0.1/tcp/27001/p2p/12D3KooWabc"));
        let http = table.get("http").and_then(|v| v.as_table()).expect("http table");
        assert_eq!(http.get("listen").and_then(|v| v.as_str()), Some("127.0.0.1:8080"));
        assert_eq!(http.get("commit_wait_ms").and_then(|v| v.as_integer()), Some(10_000));
    }

    #[test]
    fn genesis_hash_can_be_left_out() {
        let mut c = sample();
        c.genesis_hash = None;
        let table: toml::Table = c.to_toml().expect("toml").parse().expect("parses");
        assert!(!table.contains_key("genesis_hash"));
    }
}
