//! Scenario 4: a node whose key is not in genesis cannot connect (its peer count and
//! height stay 0 while the network keeps committing), and a document signed by a
//! non-member is refused with a named rule.

use crate::common;

use common::*;
use std::time::{Duration, Instant};
use vouch_core::documents::{Document, Enroll};
use vouch_core::envelope::{Draft, Signer};
use vouch_core::ids::{OrgId, PersonId};
use vouch_core::keys::SigningKey;
use vouch_testnet::actors::add_outsider;
use vouch_testnet::client::Submitted;

#[test]
fn outsider_node_cannot_connect() {
    let _serial = serial();
    let (_tmp, mut net) = start(104);
    let outsider = add_outsider(&mut net, 9_999).unwrap_or_else(|e| panic!("{e}"));
    net.start(outsider).unwrap_or_else(|e| panic!("{e}"));
    let members = net.members();
    // The outsider must come up (answer HTTP) for the check to mean anything.
    let up = vouch_testnet::wait_until(Duration::from_secs(60), Duration::from_millis(200), || {
        net.status(outsider).is_ok()
    });
    assert!(up, "the outsider never answered HTTP\n{}", net.logs(15));
    let start_height = net.height(0).unwrap_or(0);
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        let s = net.status(outsider).unwrap_or_else(|e| panic!("{e}\n{}", net.logs(15)));
        assert_eq!(s.peers, 0, "the outsider got a peer: {s:?}\n{}", net.logs(15));
        assert_eq!(s.height, 0, "the outsider got a block: {s:?}\n{}", net.logs(15));
        for i in &members {
            let m = net.status(*i).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                m.peers <= 4,
                "{} counts {} peers, more than the 4 members\n{}",
                m.moniker,
                m.peers,
                net.logs(15)
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let end_height = net.height(0).unwrap_or(0);
    assert!(end_height > start_height, "the real network stopped committing ({start_height} → {end_height})");
}

#[test]
fn document_by_non_member_is_refused() {
    let _serial = serial();
    let (_tmp, net) = start(105);
    let stranger = SigningKey::from_seed(&[0x5a; 32]);
    let org = OrgId::new("stranger-bank").unwrap_or_else(|e| panic!("{e}"));
    let signer = Signer { org, key: stranger.public() };
    let draft = Draft {
        network: net.demo_network().genesis.network.clone(),
        created_ms: vouch_testnet::layout::now_ms(),
        author: signer,
        checker: None,
        document: Document::Enroll(Enroll {
            person: PersonId::new("mallory").unwrap_or_else(|e| panic!("{e}")),
            name: "Mallory".into(),
            title: "impostor".into(),
            key: SigningKey::from_seed(&[0x5b; 32]).public(),
        }),
    };
    let envelope = draft.sign(&stranger, None).unwrap_or_else(|e| panic!("{e}"));
    let before = net.status(0).unwrap_or_else(|e| panic!("{e}")).tree_size;
    match net.submit(0, &envelope.bytes).unwrap_or_else(|e| panic!("{e}")) {
        Submitted::Refused(p) => {
            let rule = p.rule.clone().unwrap_or_default();
            assert!(rule.starts_with("R-"), "refusal names no rule: {p}");
            assert!((400..500).contains(&p.status), "{p}");
        }
        other => panic!("a non-member's document was not refused: {other:?}\n{}", net.logs(15)),
    }
    std::thread::sleep(Duration::from_secs(2));
    let leaf = vouch_testnet::client::leaf_hash(&envelope.bytes);
    for i in net.members() {
        assert!(net.find_leaf(i, &leaf, 1).unwrap_or_else(|e| panic!("{e}")).is_none(), "node {i} holds it");
    }
    assert_eq!(net.status(0).unwrap_or_else(|e| panic!("{e}")).tree_size, before);
}
