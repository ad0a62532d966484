//! Derive a node's libp2p peer id from its Ed25519 key, as `vouchd` does.
//!
//! The peer id is the identity multihash of the protobuf-encoded public key, printed in
//! base58 (`12D3KooW...`). A node's key is its validator consensus key or, for an
//! observer, the org's `node_key` in genesis.

use vouch_core::keys::PublicKey;

/// Why a key has no peer id.
#[derive(Debug, thiserror::Error)]
pub enum PeerIdError {
    /// libp2p refused the key bytes.
    #[error("cannot derive a libp2p peer id from key {key}: {reason}; next: check the key in key.pem")]
    Key {
        /// The key (base64).
        key: String,
        /// What libp2p said.
        reason: String,
    },
}

/// The libp2p peer id of `key`.
pub fn peer_id(key: &PublicKey) -> Result<libp2p_identity::PeerId, PeerIdError> {
    let ed = libp2p_identity::ed25519::PublicKey::try_from_bytes(&key.to_bytes())
        .map_err(|e| PeerIdError::Key { key: key.to_b64(), reason: e.to_string() })?;
    Ok(libp2p_identity::PeerId::from_public_key(&libp2p_identity::PublicKey::from(ed)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_core::keys::SigningKey;

    #[test]
    fn peer_id_is_stable_and_ed25519_shaped() {
        let key = SigningKey::from_seed(&[7; 32]).public();
        let a = peer_id(&key).expect("peer id");
        let b = peer_id(&key).expect("peer id");
        assert_eq!(a, b);
        // Ed25519 keys are inlined with the identity hash: base58 starts with 12D3KooW.
        assert!(a.to_string().starts_with("12D3KooW"), "got {a}");
        let other = peer_id(&SigningKey::from_seed(&[8; 32]).public()).expect("peer id");
        assert_ne!(a, other);
    }

    #[test]
    fn peer_id_round_trips_to_the_key() {
        let key = SigningKey::from_seed(&[9; 32]).public();
        let id = peer_id(&key).expect("peer id");
        let parsed: libp2p_identity::PeerId = id.to_string().parse().expect("parses");
        assert_eq!(parsed, id);
        let ed = libp2p_identity::ed25519::PublicKey::try_from_bytes(&key.to_bytes()).expect("key");
        assert!(libp2p_identity::PublicKey::from(ed).to_peer_id() == id);
    }
}
