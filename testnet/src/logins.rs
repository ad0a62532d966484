//! Give the demo's people sign-in tokens for the web console.
//!
//! Each person's (or client's) keys go into the keystore of their org's node, and each gets
//! an API token bound to them (custodial signing, decision record 0013), so that someone
//! trying the local network can do the whole workflow in a browser without a key file.
//! This is a local demo's convenience: a real operator runs `vouchd keystore add` and
//! `vouchd token issue --signer` for each person, with a passphrase of their own.
//! The tokens are written to `console.json` in the testnet directory (mode 0600).

use crate::Testnet;
use crate::layout::{KEYSTORE_PASSPHRASE_FILE, now_ms, write_private};
use serde::{Deserialize, Serialize};
use std::path::Path;
use vouch_api::Holder;
use vouch_core::ids::OrgId;
use vouch_core::keys::DecryptionKey;
use vouch_core::keys::SigningKey;
use vouch_node::keystore::Keystore;
use vouch_node::tokens::TokenFile;

/// The file the logins are written to, in the testnet directory.
pub const CONSOLE_FILE: &str = "console.json";

/// Someone the node will sign for.
pub struct Seat<'a> {
    /// What they do, for the printed table (`auditor`, `bank maker`, …).
    pub role: &'static str,
    /// Their org (a client's: its bank).
    pub org: &'a OrgId,
    /// The person, or the client.
    pub holder: Holder,
    /// Their name, for the token record and the table.
    pub name: &'a str,
    /// Their signing key.
    pub signing: &'a SigningKey,
    /// The X25519 key they read sealed contents with.
    pub decryption: Option<&'a DecryptionKey>,
    /// An operator token (may run the self-audit).
    pub operator: bool,
}

/// One sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    /// What they do.
    pub role: String,
    /// Their org.
    pub org: String,
    /// `person <id>` or `client <ref>`.
    pub holder: String,
    /// Their name.
    pub name: String,
    /// The console's address: their org's node.
    pub console: String,
    /// The API token to sign in with.
    pub token: String,
}

/// Why the logins could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// No node runs for the org.
    #[error("no node of {0} in this testnet")]
    NoNode(String),
    /// The node was created without a keystore passphrase (an older testnet directory).
    #[error(
        "{0} has no {KEYSTORE_PASSPHRASE_FILE}: this testnet was created before console logins existed; next: `vouch-testnet up --fresh`"
    )]
    NoPassphrase(String),
    /// The keystore or the token file refused.
    #[error("{0}")]
    Node(String),
}

/// Put every seat's keys in its org's node keystore and issue it a token bound to it;
/// write and return the logins.
pub fn set_up(net: &Testnet, seats: &[Seat<'_>]) -> Result<Vec<Login>, LoginError> {
    let genesis = &net.demo_network().genesis;
    let mut logins = Vec::with_capacity(seats.len());
    for seat in seats {
        let i = (0..net.len())
            .find(|i| net.info(*i).is_ok_and(|n| n.org.as_deref() == Some(seat.org.as_str())))
            .ok_or_else(|| LoginError::NoNode(seat.org.to_string()))?;
        let node_dir = net.node_dir(i).map_err(|e| LoginError::Node(e.to_string()))?;
        let url = net.info(i).map_err(|e| LoginError::Node(e.to_string()))?.http_url();
        let data = node_dir.join("data");
        let passphrase_file = node_dir.join(KEYSTORE_PASSPHRASE_FILE);
        if !passphrase_file.exists() {
            return Err(LoginError::NoPassphrase(node_dir.display().to_string()));
        }
        // The node's own rule: VOUCH_KEYSTORE_PASSPHRASE, else the file.
        let passphrase = vouch_node::keystore::passphrase(Some(&passphrase_file))
            .map_err(|e| LoginError::Node(e.to_string()))?
            .ok_or_else(|| LoginError::NoPassphrase(node_dir.display().to_string()))?;
        let keystore =
            Keystore::in_data_dir(&data, passphrase).map_err(|e| LoginError::Node(e.to_string()))?;
        keystore
            .add(genesis, seat.org, &seat.holder, seat.signing, seat.decryption)
            .map_err(|e| LoginError::Node(e.to_string()))?;
        let (signer, client) = match &seat.holder {
            Holder::Person(p) => (p.to_string(), None),
            Holder::Client(c) => (c.to_string(), Some(c.to_string())),
        };
        let (_, secret) = TokenFile::in_data_dir(&data)
            .issue_bound(
                genesis,
                seat.org.as_str(),
                seat.name,
                client.as_deref(),
                Some(&signer),
                seat.operator,
                now_ms(),
                &mut rand::rngs::OsRng,
            )
            .map_err(|e| LoginError::Node(e.to_string()))?;
        logins.push(Login {
            role: seat.role.to_string(),
            org: seat.org.to_string(),
            holder: seat.holder.to_string(),
            name: seat.name.to_string(),
            console: format!("{url}/"),
            token: secret.token().to_string(),
        });
    }
    let path = net.dir().join(CONSOLE_FILE);
    let mut bytes = serde_json::to_vec_pretty(&logins).map_err(|e| LoginError::Node(e.to_string()))?;
    bytes.push(b'\n');
    write_private(&path, &bytes).map_err(|e| LoginError::Node(e.to_string()))?;
    Ok(logins)
}

/// The logins written by the last demo, if any.
pub fn load(dir: &Path) -> Option<Vec<Login>> {
    let bytes = std::fs::read(dir.join(CONSOLE_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}
