//! `verify_chain`, evidence bundles and checkpoint consistency, on a demo ledger, with
//! every tampering we can think of reported at the right place and under the right rule.

use serde_json::json;
use vouch_core::block::{Block, CommitSignature, sign_precommit};
use vouch_core::bundle::{Bundle, verify_bundle, verify_consistency};
use vouch_core::date::Date;
use vouch_core::documents::{Conclusion, Form, Scope};
use vouch_core::encoding::Hash;
use vouch_core::keys::SigningKey;
use vouch_core::testkit::{DemoNetwork, Ledger};
use vouch_core::verify::{ChainError, verify_chain, verify_chain_with_threads};

/// A ledger with one full confirmation (request, authorization, response, correction,
/// acceptance) and a second, unrelated request. Returns the ledger and the first request id.
fn ledger() -> (Ledger, Hash) {
    let mut l = Ledger::new(DemoNetwork::new(11).unwrap());
    let auditor = l.enroll("audit-x", "li-si", "李四", "Audit Manager").unwrap();
    let maker = l.enroll("bank-a", "zhang-san", "张三", "经办").unwrap();
    let checker = l.enroll("bank-a", "zhao-liu", "赵六", "复核").unwrap();
    l.commit().unwrap();
    let identity = |name: &str| vouch_core::items::ClientIdentity {
        name: name.into(),
        credit_code: "9144030071526726XG".into(),
    };
    let client = l.enroll_client(&maker, "c-001", &identity("Client Ltd")).unwrap();
    let client2 = l.enroll_client(&maker, "c-002", &identity("Other Ltd")).unwrap();
    let letter = vouch_core::testkit::demo_request_contents().unwrap();
    let answer = vouch_core::testkit::demo_response_contents().unwrap();
    l.commit().unwrap();
    let as_of = Date::parse("2026-10-31").unwrap();
    let req = l.request(&auditor, &client, "AX-1", Form::Form1, Scope::WholeBank, as_of, &letter).unwrap();
    l.request(&auditor, &client2, "AX-2", Form::Form2, Scope::WholeBank, as_of, &letter).unwrap();
    l.commit().unwrap();
    l.authorize(&client, &req, Date::parse("2027-03-31").unwrap()).unwrap();
    l.commit().unwrap();
    let resp = l.respond(&maker, &checker, &req, Conclusion::Differences, &answer, None).unwrap();
    l.commit().unwrap();
    let corr =
        l.respond(&maker, &checker, &req, Conclusion::Differences, &answer, Some((resp.id, "typo"))).unwrap();
    l.commit().unwrap();
    l.submit(
        (&auditor.signer(), &auditor.key),
        None,
        vouch_core::documents::Document::Accept(vouch_core::documents::Accept {
            request: req.id,
            response: corr.id,
            note: None,
        }),
    )
    .unwrap();
    l.commit().unwrap();
    l.commit().unwrap(); // an empty block
    (l, req.id)
}

fn chain_error(l: &Ledger, blocks: &[Block]) -> ChainError {
    verify_chain(&l.net.genesis, blocks).expect_err("tampered chain must fail")
}

/// Re-sign a block's certificate after its header was changed, so that the rule under
/// test (not the certificate) is what fails.
fn recertify(l: &Ledger, block: &mut Block) {
    let hash = block.header.hash();
    block.certificate.signatures = l
        .net
        .orgs
        .values()
        .filter_map(|o| o.validator.as_ref())
        .map(|k| CommitSignature {
            validator: k.public(),
            sig: sign_precommit(
                k,
                &block.header.network,
                block.header.height,
                block.certificate.round,
                &hash,
            ),
        })
        .collect();
}

#[test]
fn an_honest_chain_verifies_with_one_or_many_threads() {
    let (l, _) = ledger();
    let one = verify_chain_with_threads(&l.net.genesis, &l.blocks, 1).unwrap();
    let many = verify_chain_with_threads(&l.net.genesis, &l.blocks, 4).unwrap();
    assert_eq!(one, many);
    assert_eq!(one.height, 8);
    assert_eq!(one.tree_size, l.committed.len() as u64);
}

#[test]
fn r_blk_1_heights_follow_each_other() {
    let (l, _) = ledger();
    let mut blocks = l.blocks.clone();
    blocks.swap(2, 3);
    let e = chain_error(&l, &blocks);
    assert_eq!(e.height, 4);
    assert!(e.to_string().contains("R-BLK-1"), "{e}");
}

#[test]
fn r_blk_2_a_broken_link_is_found() {
    let (l, _) = ledger();
    let mut blocks = l.blocks.clone();
    blocks[3].header.prev = Hash::ZERO;
    let e = chain_error(&l, &blocks);
    assert_eq!((e.height, e.document), (4, None));
    assert!(e.to_string().contains("R-BLK-2"), "{e}");
}

#[test]
fn r_blk_4_time_only_moves_forward() {
    let (l, _) = ledger();
    let mut blocks = l.blocks.clone();
    blocks[4].header.time_ms = blocks[3].header.time_ms;
    assert!(chain_error(&l, &blocks).to_string().contains("R-BLK-4"));
}

#[test]
fn r_blk_5_and_6_proposer_and_validator_set() {
    let (l, _) = ledger();
    let mut blocks = l.blocks.clone();
    blocks[1].header.proposer = SigningKey::from_seed(&[5; 32]).public();
    assert!(chain_error(&l, &blocks).to_string().contains("R-BLK-5"));
    let mut blocks = l.blocks.clone();
    blocks[1].header.validators = Hash::ZERO;
    assert!(chain_error(&l, &blocks).to_string().contains("R-BLK-6"));
}

#[test]
fn r_blk_7_document_count_matches_the_header() {
    let (l, _) = ledger();
    let mut blocks = l.blocks.clone();
    blocks[2].header.documents += 1;
    assert!(chain_error(&l, &blocks).to_string().contains("R-BLK-7"));
}

#[test]
fn r_blk_8_certificates_need_a_quorum_of_valid_signatures() {
    let (l, _) = ledger();
    let mut blocks = l.blocks.clone();
    blocks[5].certificate.signatures.truncate(2);
    let e = chain_error(&l, &blocks);
    assert_eq!(e.height, 6);
    assert!(e.to_string().contains("R-BLK-8") && e.to_string().contains("R-CERT-5"), "{e}");
    // A header changed after certification no longer matches its certificate.
    let mut blocks = l.blocks.clone();
    blocks[5].header.root = Hash::ZERO;
    assert!(chain_error(&l, &blocks).to_string().contains("R-CERT-4"));
}

#[test]
fn r_blk_9_a_tampered_document_is_reported_with_its_leaf_index() {
    let (l, _) = ledger();
    let mut blocks = l.blocks.clone();
    // Block 3 holds the two requests; change the second one's letter number.
    blocks[2].documents[1]["body"]["letter_no"] = json!("AX-2-forged");
    let e = chain_error(&l, &blocks);
    assert_eq!((e.height, e.document, e.leaf_index), (3, Some(1), Some(6)));
    assert!(e.to_string().contains("R-ENV-7"), "{e}");
}

#[test]
fn r_blk_10_a_dropped_document_changes_the_root() {
    let (l, _) = ledger();
    let mut blocks = l.blocks.clone();
    // Drop the checker's enrollment from block 1 and recertify: the log no longer has the
    // leaves the header's root commits to.
    blocks[0].documents.remove(2);
    blocks[0].header.documents -= 1;
    recertify(&l, &mut blocks[0]);
    let e = chain_error(&l, &blocks);
    assert_eq!(e.height, 1);
    assert!(e.to_string().contains("R-BLK-10"), "{e}");
}

#[test]
fn r_blk_10_roots_must_match_the_documents() {
    let (l, _) = ledger();
    let mut blocks = l.blocks.clone();
    blocks[3].header.root = Hash::ZERO;
    recertify(&l, &mut blocks[3]);
    let e = chain_error(&l, &blocks);
    assert!(e.to_string().contains("R-BLK-10") && e.to_string().contains("root"), "{e}");
    let mut blocks = l.blocks.clone();
    blocks[3].header.tree_size += 1;
    recertify(&l, &mut blocks[3]);
    assert!(chain_error(&l, &blocks).to_string().contains("tree_size"));
}

#[test]
fn a_block_from_another_network_is_refused() {
    let (l, _) = ledger();
    let mut blocks = l.blocks.clone();
    blocks[0].header.network = vouch_core::ids::NetworkId::new("vouch.example/other").unwrap();
    assert!(chain_error(&l, &blocks).to_string().contains("R-BLK-3"));
}

fn bundle_bytes(b: &Bundle) -> Vec<u8> {
    serde_json::to_vec_pretty(b).unwrap()
}

#[test]
fn a_bundle_verifies_offline_and_tells_the_story() {
    let (l, req) = ledger();
    let bundle = l.bundle(req, true).unwrap();
    let report = verify_bundle(&bundle_bytes(&bundle), &l.net.genesis.hash()).unwrap();
    let kinds: Vec<&str> = report.timeline.iter().map(|t| t.doc_type.as_str()).collect();
    assert_eq!(kinds, ["request", "authorization", "response", "correction", "accept"]);
    assert_eq!(report.letter_no, "AX-1");
    assert_eq!(report.cosigned_power, (4, 4));
    assert_eq!(report.openings_checked, 4, "request, response, correction and client identity");
    assert_eq!(report.timeline[2].signer, "张三, 经办");
    assert_eq!(report.timeline[2].checker.as_deref(), Some("赵六, 复核"));
    assert_eq!(report.timeline[1].signer, "client c-001");
    // The unrelated request is not in the bundle.
    assert!(!bundle.entries.iter().any(|e| e.envelope["body"]["letter_no"] == "AX-2"));
}

fn bundle_error(l: &Ledger, b: &Bundle) -> String {
    verify_bundle(&bundle_bytes(b), &l.net.genesis.hash()).expect_err("tampered bundle must fail").to_string()
}

#[test]
fn r_bun_2_the_genesis_must_be_the_pinned_one() {
    let (l, req) = ledger();
    let bundle = l.bundle(req, false).unwrap();
    let e = verify_bundle(&bundle_bytes(&bundle), &Hash::ZERO).unwrap_err().to_string();
    assert!(e.starts_with("R-BUN-2"), "{e}");
}

#[test]
fn r_bun_3_the_checkpoint_needs_a_quorum() {
    let (l, req) = ledger();
    let mut bundle = l.bundle(req, false).unwrap();
    let mut lines: Vec<&str> = bundle.checkpoint.lines().collect();
    lines.truncate(lines.len() - 2); // keep 2 of 4 cosignatures
    bundle.checkpoint = lines.join("\n") + "\n";
    let e = bundle_error(&l, &bundle);
    assert!(e.starts_with("R-BUN-3"), "{e}");
}

#[test]
fn r_bun_4_and_5_tampered_documents_and_proofs_fail() {
    let (l, req) = ledger();
    let mut bundle = l.bundle(req, false).unwrap();
    let last = bundle.entries.len() - 1;
    bundle.entries[last].envelope["created_ms"] = json!(1);
    assert!(bundle_error(&l, &bundle).starts_with("R-BUN-4"));
    let mut bundle = l.bundle(req, false).unwrap();
    bundle.entries[0].proof[0] = Hash::ZERO;
    assert!(bundle_error(&l, &bundle).starts_with("R-BUN-5"));
    let mut bundle = l.bundle(req, false).unwrap();
    bundle.entries[0].leaf_index += 1;
    assert!(bundle_error(&l, &bundle).starts_with("R-BUN-5"));
}

#[test]
fn r_bun_7_signers_must_be_proven() {
    let (l, req) = ledger();
    let mut bundle = l.bundle(req, false).unwrap();
    // Remove the maker's enrollment.
    bundle.entries.retain(|e| e.envelope["body"]["person"] != "zhang-san");
    let e = bundle_error(&l, &bundle);
    assert!(e.starts_with("R-BUN-7"), "{e}");
}

#[test]
fn r_bun_8_all_documents_belong_to_the_confirmation() {
    let (l, req) = ledger();
    let mut bundle = l.bundle(req, false).unwrap();
    bundle.request = Hash::ZERO;
    assert!(bundle_error(&l, &bundle).starts_with("R-BUN-8"));
    let mut bundle = l.bundle(req, false).unwrap();
    bundle.entries.retain(|e| e.envelope["type"] != "request");
    assert!(bundle_error(&l, &bundle).starts_with("R-BUN-8"));
}

#[test]
fn r_bun_9_openings_must_match_commitments() {
    let (l, req) = ledger();
    let mut bundle = l.bundle(req, true).unwrap();
    bundle.openings[0].opening.contents = json!({"deposits": [{"balance": "999999999"}]});
    let e = bundle_error(&l, &bundle);
    assert!(e.starts_with("R-BUN-9"), "{e}");
}

#[test]
fn bad_bundle_input_is_an_error_not_a_panic() {
    let (l, _) = ledger();
    let pinned = l.net.genesis.hash();
    for bytes in [&b""[..], b"{", b"[]", b"{\"bundle\":2}", b"null", &[0xff, 0xfe][..]] {
        let e = verify_bundle(bytes, &pinned).unwrap_err();
        assert!(e.to_string().starts_with("R-BUN-1"), "{e}");
    }
    let big = vec![b' '; vouch_core::limits::BUNDLE_BYTES_MAX + 1];
    assert!(verify_bundle(&big, &pinned).unwrap_err().to_string().contains("limit"));
}

#[test]
fn consistency_between_checkpoints() {
    let (mut l, _) = ledger();
    let older = l.checkpoint().unwrap();
    let size1 = l.verifier.tree().size();
    let m = l.enroll("bank-b", "qian-qi", "钱七", "经办").unwrap();
    let _ = m;
    l.commit().unwrap();
    l.advance_ms(5_000);
    let newer = l.checkpoint().unwrap();
    let size2 = l.verifier.tree().size();
    let proof = l.verifier.tree().consistency_proof(size1, size2).unwrap();
    assert_eq!(
        verify_consistency(older.as_bytes(), newer.as_bytes(), &proof, &l.net.genesis),
        Ok((size1, size2))
    );
    // Backwards, or with a wrong proof, fails.
    assert!(verify_consistency(newer.as_bytes(), older.as_bytes(), &proof, &l.net.genesis).is_err());
    let mut bad = proof.clone();
    bad[0] = Hash::ZERO;
    assert!(verify_consistency(older.as_bytes(), newer.as_bytes(), &bad, &l.net.genesis).is_err());
    // A fork: same genesis, a different history of the same size, is caught.
    let (mut fork, _) = ledger();
    fork.enroll("bank-b", "sun-ba", "孙八", "经办").unwrap();
    fork.commit().unwrap();
    let forked = fork.checkpoint().unwrap();
    let e = verify_consistency(older.as_bytes(), forked.as_bytes(), &proof, &l.net.genesis).unwrap_err();
    assert!(e.to_string().starts_with("R-CONS-1"), "{e}");
}

#[test]
fn the_demo_ledger_tells_a_whole_confirmation_and_verifies() {
    let (l, demo) = vouch_core::testkit::demo_ledger(1).unwrap();
    let summary = verify_chain(&l.net.genesis, &l.blocks).unwrap();
    assert_eq!(summary.tree_size, l.committed.len() as u64);
    let state = l.verifier.state();
    let record = state.request(&demo.request.id).unwrap();
    assert_eq!(record.status, vouch_core::state::Status::Accepted);
    assert_eq!(record.answers.len(), 2);
    let bundle = l.bundle(demo.request.id, true).unwrap();
    let report = verify_bundle(&bundle_bytes(&bundle), &l.net.genesis.hash()).unwrap();
    assert_eq!(report.timeline.len(), 5);
    // The bank's opened answer lists exactly the differences the example describes.
    let request: vouch_core::items::RequestContents = vouch_core::testkit::demo_request_contents().unwrap();
    let answer = vouch_core::testkit::demo_response_contents().unwrap();
    let diffs = vouch_core::items::differences(&request, &answer);
    assert!(!diffs.is_empty());
}

#[test]
fn r_cert_1_more_signatures_than_validators_is_refused() {
    let (l, _) = ledger();
    let mut blocks = l.blocks.clone();
    let extra = blocks[0].certificate.signatures[0].clone();
    blocks[0].certificate.signatures.push(extra);
    let e = chain_error(&l, &blocks);
    assert!(e.to_string().contains("R-CERT-1"), "{e}");
}

#[test]
fn r_bun_6_entries_are_in_ledger_order_without_repeats() {
    let (l, req) = ledger();
    let mut bundle = l.bundle(req, false).unwrap();
    bundle.entries.swap(0, 1);
    assert!(bundle_error(&l, &bundle).starts_with("R-BUN-6"));
    let mut bundle = l.bundle(req, false).unwrap();
    let first = bundle.entries[0].clone();
    bundle.entries.insert(1, first);
    assert!(bundle_error(&l, &bundle).starts_with("R-BUN-6"));
}

#[test]
fn r_cons_1_an_empty_older_checkpoint_proves_nothing() {
    let (l, _) = ledger();
    let empty = vouch_core::testkit::golden::checkpoint_at(&l, 0, 1).unwrap();
    let newer = l.checkpoint().unwrap();
    let e = verify_consistency(empty.as_bytes(), newer.as_bytes(), &[], &l.net.genesis).unwrap_err();
    assert!(e.to_string().starts_with("R-CONS-1"), "{e}");
}

#[test]
fn r_blk_7_a_block_over_the_document_limit_is_refused_before_decoding() {
    let (l, _) = ledger();
    let mut blocks = l.blocks.clone();
    let one = blocks[0].documents[0].clone();
    blocks[1].documents = vec![one; vouch_core::limits::BLOCK_DOCUMENTS_MAX + 1];
    blocks[1].header.documents = blocks[1].documents.len() as u64;
    recertify(&l, &mut blocks[1]);
    let e = chain_error(&l, &blocks);
    assert_eq!((e.height, e.document), (2, None));
    assert!(e.to_string().contains("R-BLK-7") && e.to_string().contains("at most"), "{e}");
    let mut verifier = vouch_core::verify::ChainVerifier::new(&l.net.genesis);
    verifier.push(&l.blocks[0]).unwrap();
    assert!(verifier.push(&blocks[1]).unwrap_err().to_string().contains("R-BLK-7"));
    assert_eq!(verifier.height(), 1, "a refused block leaves the verifier where it was");
}

#[test]
fn r_blk_9_a_certified_block_breaking_a_state_rule_is_refused() {
    // A block whose header, root and certificate are all right, but which replays a
    // document already on the ledger: only the state machine can catch it (R-ST-1).
    let (l, _) = ledger();
    let mut blocks = l.blocks.clone();
    let replay = blocks[0].documents[0].clone();
    let last = blocks.len() - 1; // the empty block
    blocks[last].documents.push(replay.clone());
    blocks[last].header.documents = 1;
    let mut tree = vouch_core::merkle::MemoryTree::new();
    for env in &l.committed {
        tree.push(&env.bytes).unwrap();
    }
    tree.push(&vouch_core::canonical::to_canonical(&replay)).unwrap();
    blocks[last].header.tree_size = tree.size();
    blocks[last].header.root = tree.root().unwrap();
    recertify(&l, &mut blocks[last]);
    let e = chain_error(&l, &blocks);
    assert_eq!(
        (e.height, e.document, e.leaf_index),
        (last as u64 + 1, Some(0), Some(l.committed.len() as u64))
    );
    assert!(e.to_string().contains("R-BLK-9") && e.to_string().contains("R-ST-1"), "{e}");
}

#[test]
fn r_bun_7_a_key_of_the_wrong_kind_is_refused() {
    // The client's key is proven, but only as a client's: it cannot stand as the bank's
    // maker. Build such an entry by swapping the response's author for the client's key
    // (the signature then fails too, but R-BUN-7 speaks first for the identity).
    let (l, req) = ledger();
    let mut bundle = l.bundle(req, false).unwrap();
    let client_key = bundle
        .entries
        .iter()
        .find(|e| e.envelope["type"] == "client_enroll")
        .map(|e| e.envelope["body"]["key"].clone())
        .unwrap();
    for e in bundle.entries.iter_mut() {
        if e.envelope["type"] == "accept" {
            e.envelope["author"]["key"] = client_key.clone();
            e.envelope["author"]["org"] = json!("bank-a");
        }
    }
    let e = bundle_error(&l, &bundle);
    assert!(e.starts_with("R-BUN-4") || e.starts_with("R-BUN-7"), "{e}");
}

#[test]
fn r_bun_9_an_opening_must_be_its_typed_encoding() {
    let (l, req) = ledger();
    let mut bundle = l.bundle(req, true).unwrap();
    // A float where the typed contents have an integer (a row index) is refused, even
    // though JCS would print it as the same number.
    let answer = bundle.openings.iter_mut().find(|o| o.opening.contents.get("maker").is_some()).unwrap();
    answer.opening.contents["items"]["loans"]["rows"][0]["row"] = json!(0.0);
    let e = bundle_error(&l, &bundle);
    assert!(e.starts_with("R-BUN-9") && e.contains("not valid"), "{e}");
    // Contents that parse but are not the typed value's own encoding (an explicit null for
    // an absent optional column) are refused too.
    let mut bundle = l.bundle(req, true).unwrap();
    let answer = bundle.openings.iter_mut().find(|o| o.opening.contents.get("maker").is_some()).unwrap();
    answer.opening.contents["items"]["deposits"]["unlisted"][0]["remarks"] = json!(null);
    let e = bundle_error(&l, &bundle);
    assert!(e.starts_with("R-BUN-9") && e.contains("one typed encoding"), "{e}");
}

#[test]
fn a_block_file_over_its_limit_is_refused_before_parsing() {
    let big = vec![b' '; vouch_core::limits::BLOCK_JSON_BYTES_MAX + 1];
    let e = Block::from_json(&big).unwrap_err().to_string();
    assert!(e.contains("over the limit"), "{e}");
    let (l, _) = ledger();
    let one = serde_json::to_vec(&l.blocks[0]).unwrap();
    assert_eq!(Block::from_json(&one).unwrap(), l.blocks[0]);
}

#[test]
fn r_blk_7_a_block_over_the_byte_limit_is_refused() {
    // 70 requests of ~250 KiB each (large sealed contents) exceed BLOCK_BYTES_MAX (16 MiB):
    // the proposer refuses to build such a block, and a certified one is refused by
    // verify_chain at the document that crosses the limit.
    let mut l = Ledger::new(DemoNetwork::new(12).unwrap());
    let auditor = l.enroll("audit-x", "li-si", "李四", "Manager").unwrap();
    let maker = l.enroll("bank-a", "zhang-san", "张三", "经办").unwrap();
    l.commit().unwrap();
    let identity =
        vouch_core::items::ClientIdentity { name: "C".into(), credit_code: "9144030071526726XG".into() };
    let client = l.enroll_client(&maker, "c-001", &identity).unwrap();
    l.commit().unwrap();
    let filler = "x".repeat(180 * 1024);
    let as_of = Date::parse("2026-10-31").unwrap();
    for i in 0..70 {
        l.request(
            &auditor,
            &client,
            &format!("AX-{i}"),
            Form::Form1,
            Scope::WholeBank,
            as_of,
            &json!({ "f": filler }),
        )
        .unwrap();
    }
    let big: Vec<_> = l.pending.clone();
    let total: usize = big.iter().map(|e| e.bytes.len()).sum();
    assert!(total > vouch_core::limits::BLOCK_BYTES_MAX, "{total}");
    let e = l.commit().unwrap_err().to_string();
    assert!(e.contains("R-BLK-7"), "{e}");
    // Build and certify the oversized block by hand.
    let mut tree = vouch_core::merkle::MemoryTree::new();
    for env in l.committed.iter().chain(big.iter()) {
        tree.push(&env.bytes).unwrap();
    }
    let prev = l.blocks.last().unwrap().header.clone();
    let mut block = Block {
        header: vouch_core::block::Header {
            height: prev.height + 1,
            prev: prev.hash(),
            time_ms: l.now_ms,
            documents: big.len() as u64,
            tree_size: tree.size(),
            root: tree.root().unwrap(),
            ..prev
        },
        certificate: l.blocks[0].certificate.clone(),
        documents: big.iter().map(|e| serde_json::from_slice(&e.bytes).unwrap()).collect(),
    };
    recertify(&l, &mut block);
    let mut blocks = l.blocks.clone();
    blocks.push(block);
    let e = chain_error(&l, &blocks);
    assert!(e.to_string().contains("R-BLK-7") && e.to_string().contains("bytes"), "{e}");
    assert!(e.document.unwrap() < big.len());
}

/// A node applying a block with envelopes it decoded earlier gets the same result as a
/// full check, and a decoding that does not match the block's documents is refused.
#[test]
fn push_decoded_matches_push_and_refuses_mismatched_envelopes() {
    use vouch_core::envelope::Envelope;
    use vouch_core::verify::ChainVerifier;
    let (l, _) = ledger();
    let network = l.net.genesis.network.clone();
    let decode = |b: &Block| -> Vec<Envelope> {
        b.documents
            .iter()
            .map(|d| Envelope::decode(&vouch_core::canonical::to_canonical(d), &network).unwrap())
            .collect()
    };
    let mut full = ChainVerifier::new(&l.net.genesis);
    let mut fast = ChainVerifier::new(&l.net.genesis);
    let mut parts = ChainVerifier::new(&l.net.genesis);
    for b in &l.blocks {
        full.push(b).unwrap();
        fast = fast.push_decoded_consuming(b, decode(b)).unwrap().0;
        parts = parts.push_envelopes_consuming(&b.header, &b.certificate, decode(b)).unwrap().0;
        assert_eq!(full.summary(), fast.summary());
        assert_eq!(full.summary(), parts.summary());
    }
    let block = l.blocks.iter().find(|b| b.documents.len() >= 2).expect("a block with two documents");
    let mut before = ChainVerifier::new(&l.net.genesis);
    for b in l.blocks.iter().take_while(|b| b.header.height < block.header.height) {
        before.push(b).unwrap();
    }
    let mut swapped = decode(block);
    swapped.swap(0, 1);
    let err = before.clone().push_decoded_consuming(block, swapped).unwrap_err();
    assert_eq!(err.document, Some(0), "{err}");
    let mut short = decode(block);
    short.pop();
    assert!(before.clone().push_decoded_consuming(block, short.clone()).is_err());
    // From parts: reordered envelopes change the root (R-BLK-10); a missing one the
    // count (R-BLK-7).
    let mut swapped = decode(block);
    swapped.swap(0, 1);
    let err =
        before.clone().push_envelopes_consuming(&block.header, &block.certificate, swapped).unwrap_err();
    assert!(err.to_string().contains("R-BLK-10"), "{err}");
    let err = before.push_envelopes_consuming(&block.header, &block.certificate, short).unwrap_err();
    assert!(err.to_string().contains("R-BLK-7"), "{err}");
}
