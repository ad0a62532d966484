//! Named faulty actors that join a running testnet as extra processes.
//!
//! - [`add_twin`]: a second process with a validator's key (a copy of it, with its own
//!   signing guard), its own ports and data: the same validator votes twice.
//! - [`split_with_twins`]: twins of several validators on the far side of a partition
//!   that no message crosses: the Twins method's fork when twins hold more than a third
//!   of the power (a canary: the checkers must see the fork).
//! - [`add_outsider`]: a node whose key is not in the network's genesis. It runs with a
//!   copy of genesis that adds it as an observer, so its genesis hash differs and its
//!   config does not pin one.

use crate::config::NodeToml;
use crate::layout::{self, LayoutError, NodeInfo, node_key, node_toml};
use crate::net::{Testnet, TestnetError};
use crate::peer;
use crate::ports;
use vouch_core::genesis::{Org, Role};
use vouch_core::ids::OrgId;
use vouch_core::keys::{DecryptionKey, SigningKey};
use vouch_core::testkit::derive;

fn scenario(reason: String) -> TestnetError {
    TestnetError::Layout(LayoutError::Parse { path: "testnet".into(), reason })
}

/// Add (not start) a twin of node `of`: a second process with the same validator key,
/// its own ports, data and signing guard. Returns its index.
///
/// The twin and the original share a key and so a libp2p peer id; an honest node keeps
/// one gossip state per peer id, so both cannot reach the same node. The network is
/// therefore split the way the Twins method does it: the nodes in `side` peer with the
/// twin instead of the original, every other node keeps the original. Each side hears one
/// twin directly and the other through the gossip its neighbours relay, which is where
/// the two conflicting signatures meet. Rewrites the configs of the original and of the
/// nodes in `side`; restart those that are running for it to take effect.
pub fn add_twin(net: &mut Testnet, of: usize, side: &[usize]) -> Result<usize, TestnetError> {
    let original = net.info(of)?.clone();
    let org = original.org.clone().ok_or_else(|| scenario(format!("node {of} has no org")))?;
    let key =
        node_key(net.demo_network(), &org).ok_or_else(|| scenario(format!("no key for {org}")))?.clone();
    if side.contains(&of) {
        return Err(scenario(format!("node {of} cannot be on its own twin's side")));
    }
    let ports = ports::free_ports(2).map_err(LayoutError::from)?;
    let twin = NodeInfo {
        name: format!("{}-twin", original.name),
        dir: format!("nodes/{}-twin", original.name),
        http_port: ports.first().copied().unwrap_or_default(),
        p2p_port: ports.get(1).copied().unwrap_or_default(),
        ..original.clone()
    };
    let members: Vec<(usize, NodeInfo)> =
        net.members().into_iter().filter_map(|i| net.info(i).ok().cloned().map(|n| (i, n))).collect();
    let genesis_hash = net.manifest().genesis_hash.clone();
    let config = |node: &NodeInfo, peers: Vec<&NodeInfo>| {
        node_toml(node, &peers, Some(&genesis_hash), "../../genesis.json")
    };
    // Twin side: the twin and `side`; original side: everyone else.
    let twin_peers: Vec<&NodeInfo> =
        members.iter().filter(|(i, _)| side.contains(i)).map(|(_, n)| n).collect();
    let original_peers: Vec<&NodeInfo> =
        members.iter().filter(|(i, _)| *i != of && !side.contains(i)).map(|(_, n)| n).collect();
    net.write_config(of, &config(&original, original_peers))?;
    for (i, node) in members.iter().filter(|(i, _)| side.contains(i)) {
        let peers: Vec<&NodeInfo> = members
            .iter()
            .filter(|(j, _)| j != i && *j != of)
            .map(|(_, n)| n)
            .chain(std::iter::once(&twin))
            .collect();
        net.write_config(*i, &config(node, peers))?;
    }
    let toml = config(&twin, twin_peers);
    let mut twin = twin;
    twin.token = Some(layout::issue_token(&net.dir().join(&twin.dir), &net.demo_network().genesis, &org)?);
    net.add_node(twin, &key, &toml)
}

/// Add (not start) a twin of each validator in `twinned`, and cut the network in two with
/// no link across: side B is the nodes in `side_b` and the twins, side A everyone else
/// (the twins' originals among them). Each side peers only within itself. With twins
/// holding more than a third of the power, each side can hold a quorum and decide its own
/// blocks: a fork that BFT consensus does not promise to prevent, and that the campaign's
/// `one_block_per_height` checker must report. Rewrites every member's config; returns the
/// twins' indices.
pub fn split_with_twins(
    net: &mut Testnet,
    twinned: &[usize],
    side_b: &[usize],
) -> Result<Vec<usize>, TestnetError> {
    if let Some(both) = twinned.iter().find(|i| side_b.contains(i)) {
        return Err(scenario(format!("node {both} cannot be on its own twin's side")));
    }
    let genesis_hash = net.manifest().genesis_hash.clone();
    let members: Vec<(usize, NodeInfo)> =
        net.members().into_iter().filter_map(|i| net.info(i).ok().cloned().map(|n| (i, n))).collect();
    let mut twins = Vec::new();
    for of in twinned {
        let original = net.info(*of)?.clone();
        let org = original.org.clone().ok_or_else(|| scenario(format!("node {of} has no org")))?;
        let key =
            node_key(net.demo_network(), &org).ok_or_else(|| scenario(format!("no key for {org}")))?.clone();
        let ports = ports::free_ports(2).map_err(LayoutError::from)?;
        let mut twin = NodeInfo {
            name: format!("{}-twin", original.name),
            dir: format!("nodes/{}-twin", original.name),
            http_port: ports.first().copied().unwrap_or_default(),
            p2p_port: ports.get(1).copied().unwrap_or_default(),
            ..original
        };
        twin.token =
            Some(layout::issue_token(&net.dir().join(&twin.dir), &net.demo_network().genesis, &org)?);
        twins.push((twin, key));
    }
    let side_b_nodes: Vec<&NodeInfo> = members
        .iter()
        .filter(|(i, _)| side_b.contains(i))
        .map(|(_, n)| n)
        .chain(twins.iter().map(|(t, _)| t))
        .collect();
    let side_a_nodes: Vec<&NodeInfo> =
        members.iter().filter(|(i, _)| !side_b.contains(i)).map(|(_, n)| n).collect();
    let config = |node: &NodeInfo, side: &[&NodeInfo]| {
        let peers: Vec<&NodeInfo> = side.iter().copied().filter(|p| p.name != node.name).collect();
        node_toml(node, &peers, Some(&genesis_hash), "../../genesis.json")
    };
    for (i, node) in &members {
        let side = if side_b.contains(i) { &side_b_nodes } else { &side_a_nodes };
        net.write_config(*i, &config(node, side))?;
    }
    let mut added = Vec::new();
    for (twin, key) in &twins {
        let toml = config(twin, &side_b_nodes);
        added.push(net.add_node(twin.clone(), key, &toml)?);
    }
    Ok(added)
}

/// Add (not start) an outsider: a fresh key from `seed`, a genesis copy naming it as an
/// observer of org `outsider`, peers = every member node. Returns its index.
pub fn add_outsider(net: &mut Testnet, seed: u64) -> Result<usize, TestnetError> {
    let key = SigningKey::from_seed(&derive(seed, "outsider/node"));
    let admin = SigningKey::from_seed(&derive(seed, "outsider/admin"));
    let mut genesis = net.demo_network().genesis.clone();
    genesis.orgs.push(Org {
        id: OrgId::new("outsider").map_err(|e| scenario(e.to_string()))?,
        name: "Not a member (非成员)".into(),
        role: Role::Bank,
        admin_key: admin.public(),
        encryption_key: DecryptionKey::from_bytes(derive(seed, "outsider/encryption")).public(),
        validator: None,
        node_key: Some(key.public()),
    });
    genesis.validate().map_err(|e| scenario(format!("outsider genesis: {e}")))?;
    let ports = ports::free_ports(2).map_err(LayoutError::from)?;
    let info = NodeInfo {
        name: "outsider".into(),
        org: None,
        role: None,
        validator: false,
        dir: "nodes/outsider".into(),
        http_port: ports.first().copied().unwrap_or_default(),
        p2p_port: ports.get(1).copied().unwrap_or_default(),
        peer_id: peer::peer_id(&key.public()).map_err(LayoutError::from)?.to_string(),
        token: None,
    };
    let members: Vec<NodeInfo> = net.members().iter().filter_map(|i| net.info(*i).ok().cloned()).collect();
    let others: Vec<&NodeInfo> = members.iter().collect();
    let toml: NodeToml = node_toml(&info, &others, None, "genesis.json");
    let dir = net.dir().join(&info.dir);
    std::fs::create_dir_all(&dir).map_err(|source| {
        TestnetError::Layout(LayoutError::Io { action: "cannot create", path: dir.clone(), source })
    })?;
    let path = dir.join("genesis.json");
    std::fs::write(&path, genesis.to_canonical())
        .map_err(|source| TestnetError::Layout(LayoutError::Io { action: "cannot write", path, source }))?;
    net.add_node(info, &key, &toml)
}
