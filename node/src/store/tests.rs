//! Tests of the store over a real chain: the demo ledger of `vouch_core::testkit`, its
//! blocks committed with their leaves and index entries as the node will build them.

use super::schema::{BLOCKS, HEADERS, LEAVES, META, META_TIP, NODES};
use super::*;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};
use vouch_core::block::Block;
use vouch_core::checkpoint::Checkpoint;
use vouch_core::keys::SigningKey;
use vouch_core::merkle::{self, MemoryTree, MerkleError};
use vouch_core::note::{self, ParsedNote};
use vouch_core::testkit;
use vouch_core::verify::ChainVerifier;

/// The demo ledger, cut into what `commit_block` takes.
pub(super) struct Chain {
    pub(super) genesis: Hash,
    pub(super) blocks: Vec<Block>,
    pub(super) leaves: Vec<Vec<Vec<u8>>>,
    pub(super) index: Vec<Vec<IndexEntry>>,
    /// A checkpoint of the whole chain cosigned by every validator.
    pub(super) checkpoint: String,
}

impl Chain {
    fn all_leaves(&self) -> Vec<&Vec<u8>> {
        self.leaves.iter().flatten().collect()
    }

    fn all_entries(&self) -> Vec<&IndexEntry> {
        self.index.iter().flatten().collect()
    }

    fn tree_size(&self) -> u64 {
        self.all_leaves().len() as u64
    }
}

pub(super) fn chain() -> &'static Chain {
    static CHAIN: OnceLock<Chain> = OnceLock::new();
    CHAIN.get_or_init(|| {
        let (ledger, _) = testkit::demo_ledger(11).unwrap();
        let mut verifier = ChainVerifier::new(&ledger.net.genesis);
        let mut envelopes = ledger.committed.iter();
        let (mut leaves, mut index) = (Vec::new(), Vec::new());
        let mut leaf_index = 0u64;
        for block in &ledger.blocks {
            let summary = verifier.push(block).unwrap();
            let (mut block_leaves, mut entries) = (Vec::new(), Vec::new());
            for applied in &summary.applied {
                let envelope = envelopes.next().unwrap();
                assert_eq!(envelope.id, applied.id);
                block_leaves.push(envelope.bytes.clone());
                entries.push(IndexEntry {
                    leaf_index,
                    document: envelope.id,
                    request: applied.request,
                    parties: vec![envelope.author.org.as_str().to_string()],
                    status: applied.status.map(|s| s.to_string()),
                });
                leaf_index += 1;
            }
            leaves.push(block_leaves);
            index.push(entries);
        }
        assert!(envelopes.next().is_none());
        assert!(ledger.blocks.len() >= 4, "the tests need a few blocks");
        Chain {
            genesis: ledger.net.genesis.hash(),
            blocks: ledger.blocks.clone(),
            leaves,
            index,
            checkpoint: ledger.checkpoint().unwrap(),
        }
    })
}

fn temp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.redb");
    (dir, path)
}

fn open(path: &Path) -> Store {
    Store::open(path, &chain().genesis).unwrap()
}

/// Commit blocks at heights `1..=upto`.
fn commit_upto(store: &Store, upto: usize) {
    let c = chain();
    for i in 0..upto {
        let outcome = store.commit_block(&c.blocks[i], &c.leaves[i], &c.index[i]).unwrap();
        assert_eq!(outcome, CommitOutcome::Committed, "height {}", i + 1);
    }
}

fn commit_again(store: &Store, height: usize) -> Result<CommitOutcome, StoreError> {
    let c = chain();
    store.commit_block(&c.blocks[height - 1], &c.leaves[height - 1], &c.index[height - 1])
}

/// Everything the whole chain should make the store answer.
fn assert_reads_whole_chain(store: &Store) {
    let c = chain();
    let n = c.blocks.len() as u64;
    assert_eq!(store.tip().unwrap(), n);
    assert_eq!(store.tip_header().unwrap().as_ref(), Some(&c.blocks[n as usize - 1].header));
    assert_eq!(store.tree_size().unwrap(), c.tree_size());
    for (i, block) in c.blocks.iter().enumerate() {
        let height = i as u64 + 1;
        assert_eq!(store.header(height).unwrap().as_ref(), Some(&block.header));
        let json = store.block_json(height).unwrap().unwrap();
        assert_eq!(&Block::from_json(&json).unwrap(), block);
    }
    assert_eq!(store.header(n + 1).unwrap(), None);
    assert_eq!(store.block_json(n + 1).unwrap(), None);
    let mut leaf_index = 0u64;
    for (i, leaves) in c.leaves.iter().enumerate() {
        let height = i as u64 + 1;
        for leaf in leaves {
            assert_eq!(store.leaf(leaf_index).unwrap().as_ref(), Some(leaf));
            assert_eq!(store.leaf_by_hash(&merkle::leaf_hash(leaf)).unwrap(), Some((leaf_index, height)));
            assert_eq!(store.leaf_by_document(&Hash::sha256(leaf)).unwrap(), Some((leaf_index, height)));
            leaf_index += 1;
        }
    }
    assert_eq!(store.leaf(leaf_index).unwrap(), None);
    assert_eq!(store.leaf_by_hash(&Hash::ZERO).unwrap(), None);

    // The indexes, recomputed from the entries.
    let (mut requests, mut parties, mut statuses) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for entry in c.all_entries() {
        if let Some(request) = entry.request {
            requests.entry(request).or_insert_with(Vec::new).push(entry.leaf_index);
            if let Some(status) = &entry.status {
                statuses.insert(request, status.clone());
            }
        }
        for party in &entry.parties {
            parties.entry(party.clone()).or_insert_with(Vec::new).push(entry.leaf_index);
        }
    }
    assert!(requests.len() >= 2 && parties.len() >= 2 && !statuses.is_empty());
    for (request, leaves) in &requests {
        assert_eq!(&store.by_request(request).unwrap(), leaves);
        assert_eq!(store.status_of(request).unwrap(), statuses.get(request).cloned());
    }
    for (party, leaves) in &parties {
        assert_eq!(&store.by_party(party).unwrap(), leaves);
    }
    assert_eq!(store.by_request(&Hash::ZERO).unwrap(), Vec::<u64>::new());
    assert_eq!(store.by_party("nobody").unwrap(), Vec::<u64>::new());
    assert_eq!(store.status_of(&Hash::ZERO).unwrap(), None);
}

#[test]
fn an_empty_store_opens_at_tip_zero() {
    let (_dir, path) = temp();
    let store = open(&path);
    assert_eq!(store.tip().unwrap(), 0);
    assert_eq!(store.tip_header().unwrap(), None);
    assert_eq!(store.tree_size().unwrap(), 0);
    assert_eq!(store.root(0).unwrap(), merkle::empty_root());
    assert_eq!(store.block_json(1).unwrap(), None);
    assert_eq!(store.leaf(0).unwrap(), None);
    assert_eq!(store.latest_checkpoint().unwrap(), None);
    assert_eq!(store.evidence().unwrap(), vec![]);
    assert!(matches!(store.inclusion_proof(0, 1), Err(StoreError::BeyondTree { tree_size: 1, stored: 0 })));
    drop(store);
    assert_eq!(open(&path).tip().unwrap(), 0);
}

#[test]
fn committed_blocks_read_back_after_reopen() {
    let (_dir, path) = temp();
    let store = open(&path);
    commit_upto(&store, chain().blocks.len());
    assert_reads_whole_chain(&store);
    drop(store);
    assert_reads_whole_chain(&open(&path));
}

#[test]
fn roots_and_proofs_agree_with_a_memory_tree() {
    let (_dir, path) = temp();
    let store = open(&path);
    let c = chain();
    commit_upto(&store, c.blocks.len());
    let mut tree = MemoryTree::new();
    for leaf in c.all_leaves() {
        tree.push(leaf).unwrap();
    }
    let n = tree.size();
    for block in &c.blocks {
        assert_eq!(store.root(block.header.tree_size).unwrap(), block.header.root);
    }
    for size in 0..=n {
        assert_eq!(store.root(size).unwrap(), merkle::root(&tree, size).unwrap(), "root at size {size}");
    }
    for size in 1..=n {
        for m in 0..size {
            assert_eq!(
                store.inclusion_proof(m, size).unwrap(),
                tree.inclusion_proof(m, size).unwrap(),
                "inclusion of {m} in {size}"
            );
        }
        for size1 in 1..=size {
            assert_eq!(
                store.consistency_proof(size1, size).unwrap(),
                tree.consistency_proof(size1, size).unwrap(),
                "consistency {size1} -> {size}"
            );
        }
    }
    assert!(matches!(
        store.inclusion_proof(n, n),
        Err(StoreError::Proof(MerkleError::IndexOutOfRange { .. }))
    ));
    assert!(matches!(
        store.consistency_proof(0, n),
        Err(StoreError::Proof(MerkleError::SizesInvalid { .. }))
    ));
    assert!(matches!(store.consistency_proof(2, n + 1), Err(StoreError::BeyondTree { .. })));
    assert!(matches!(store.root(n + 1), Err(StoreError::BeyondTree { .. })));
}

#[test]
fn committing_a_block_twice_applies_it_once() {
    let (_dir, path) = temp();
    let store = open(&path);
    commit_upto(&store, 3);
    let size = store.tree_size().unwrap();
    for height in [1, 2, 3] {
        assert_eq!(commit_again(&store, height).unwrap(), CommitOutcome::AlreadyCommitted);
    }
    assert_eq!(store.tip().unwrap(), 3);
    assert_eq!(store.tree_size().unwrap(), size);
    drop(store);
    let store = open(&path);
    assert_eq!(commit_again(&store, 2).unwrap(), CommitOutcome::AlreadyCommitted);
    assert_eq!(commit_again(&store, 4).unwrap(), CommitOutcome::Committed);
    assert_eq!(commit_again(&store, 4).unwrap(), CommitOutcome::AlreadyCommitted);
}

#[test]
fn another_block_at_a_committed_height_is_a_conflict() {
    let (_dir, path) = temp();
    let store = open(&path);
    commit_upto(&store, 3);
    let c = chain();
    let mut other = c.blocks[1].clone();
    other.header.time_ms += 1;
    let err = store.commit_block(&other, &c.leaves[1], &c.index[1]).unwrap_err();
    let StoreError::Conflict { height, stored, given } = &err else { panic!("{err:?}") };
    assert_eq!((*height, *stored, *given), (2, c.blocks[1].header.hash(), other.header.hash()));
    assert!(err.to_string().contains("two blocks were decided for one height"), "{err}");
    // A conflict is reported even when the leaves are wrong too.
    assert!(matches!(store.commit_block(&other, &[], &[]), Err(StoreError::Conflict { .. })));
}

#[test]
fn blocks_out_of_order_are_refused() {
    let (_dir, path) = temp();
    let store = open(&path);
    assert!(matches!(commit_again(&store, 2), Err(StoreError::Gap { height: 2, tip: 0 })));
    commit_upto(&store, 1);
    let err = commit_again(&store, 3).unwrap_err();
    assert!(matches!(err, StoreError::Gap { height: 3, tip: 1 }));
    assert!(err.to_string().contains("commit height 2 first"), "{err}");
    let mut zero = chain().blocks[0].clone();
    zero.header.height = 0;
    assert!(matches!(store.commit_block(&zero, &[], &[]), Err(StoreError::HeightZero)));
    assert_eq!(store.tip().unwrap(), 1);
}

#[test]
fn refused_blocks_write_nothing() {
    let (_dir, path) = temp();
    let store = open(&path);
    commit_upto(&store, 1);
    let c = chain();
    // The first block with at least two documents after height 1.
    let i = (1..c.blocks.len()).find(|&i| c.leaves[i].len() >= 2).unwrap();
    commit_upto_from(&store, 1, i);
    let (block, leaves, index) = (&c.blocks[i], &c.leaves[i], &c.index[i]);
    let height = block.header.height;
    let first = index[0].leaf_index;
    let before = (store.tip().unwrap(), store.tree_size().unwrap());

    // Each case spoils one thing in a copy of the block and names the refusal it expects.
    type Spoil = fn(&mut Block, &mut Vec<Vec<u8>>, &mut Vec<IndexEntry>);
    type Expect = fn(&StoreError) -> bool;
    let cases: [(&str, Spoil, Expect); 9] = [
        ("one leaf missing", |_, l, _| drop(l.pop()), |e| matches!(e, StoreError::DocumentCount { .. })),
        (
            "leaves swapped",
            |_, l, _| l.swap(0, 1),
            |e| matches!(e, StoreError::LeafNotDocument { position: 0, .. }),
        ),
        // The same JSON spelled differently parses to the same document, but is not the
        // leaf the header's root commits to.
        ("leaf not canonical", |_, l, _| l[0].push(b' '), |e| matches!(e, StoreError::RootMismatch { .. })),
        ("header tree size", |b, _, _| b.header.tree_size += 1, |e| matches!(e, StoreError::TreeSize { .. })),
        (
            "header root",
            |b, _, _| b.header.root = Hash::ZERO,
            |e| matches!(e, StoreError::RootMismatch { .. }),
        ),
        (
            "header prev",
            |b, _, _| b.header.prev = Hash::ZERO,
            |e| matches!(e, StoreError::PrevMismatch { .. }),
        ),
        (
            "index outside block",
            |_, l, x| x[0].leaf_index += l.len() as u64,
            |e| matches!(e, StoreError::IndexOutsideBlock { .. }),
        ),
        (
            "index document",
            |_, _, x| x[0].document = Hash::ZERO,
            |e| matches!(e, StoreError::IndexDocument { .. }),
        ),
        (
            "status without request",
            |_, _, x| {
                x[0].request = None;
                x[0].status = Some("answered".into());
            },
            |e| matches!(e, StoreError::StatusWithoutRequest { .. }),
        ),
    ];
    for (name, spoil, expect) in cases {
        let (mut b, mut l, mut x) = (block.clone(), leaves.clone(), index.clone());
        spoil(&mut b, &mut l, &mut x);
        let err = store.commit_block(&b, &l, &x).unwrap_err();
        assert!(expect(&err), "{name}: {err:?}");
        assert_eq!((store.tip().unwrap(), store.tree_size().unwrap()), before, "{name}");
        assert_eq!(store.leaf(first).unwrap(), None, "{name}");
        assert_eq!(store.leaf_by_document(&Hash::sha256(&leaves[0])).unwrap(), None, "{name}");
        assert!(store.by_party(&index[0].parties[0]).unwrap().iter().all(|&l| l < first), "{name}");
    }
    // Nothing half-written: the reopened store passes every check, and the right block
    // still commits.
    drop(store);
    let store = open(&path);
    assert_eq!(
        store.commit_block(block, leaves, index).unwrap(),
        CommitOutcome::Committed,
        "height {height} after refusals"
    );
}

/// Commit heights `from + 1..=upto`.
fn commit_upto_from(store: &Store, from: usize, upto: usize) {
    let c = chain();
    for i in from..upto {
        assert_eq!(
            store.commit_block(&c.blocks[i], &c.leaves[i], &c.index[i]).unwrap(),
            CommitOutcome::Committed
        );
    }
}

#[test]
fn a_store_of_another_network_is_refused() {
    let (_dir, path) = temp();
    let store = open(&path);
    commit_upto(&store, 1);
    drop(store);
    let other = Hash::sha256(b"another genesis");
    let err = Store::open(&path, &other).unwrap_err();
    let StoreError::GenesisMismatch { stored, given } = &err else { panic!("{err:?}") };
    assert_eq!((*stored, *given), (chain().genesis, other));
    assert!(err.to_string().starts_with("the data directory belongs to another network"), "{err}");
    assert!(err.to_string().contains("use a fresh data_dir or the right genesis"), "{err}");
    // The refusal wrote nothing.
    assert_eq!(open(&path).tip().unwrap(), 1);
}

#[test]
fn storage_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-directory").join("ledger.redb");
    let err = Store::open(&path, &chain().genesis).unwrap_err();
    assert!(matches!(err, StoreError::Storage { during: "open", .. }), "{err:?}");
    assert!(err.to_string().contains(&path.display().to_string()), "{err}");
}

/// Mutate the raw tables of a store holding heights 1..=3, then reopen it.
fn reopen_after(mutate: impl FnOnce(&redb::WriteTransaction)) -> Result<Store, StoreError> {
    let (_dir, path) = temp();
    let store = open(&path);
    commit_upto(&store, 3);
    let txn = store.db.begin_write().unwrap();
    mutate(&txn);
    txn.commit().unwrap();
    drop(store);
    Store::open(&path, &chain().genesis)
}

fn header_json(height: usize, edit: impl FnOnce(&mut vouch_core::block::Header)) -> Vec<u8> {
    let mut header = chain().blocks[height - 1].header.clone();
    edit(&mut header);
    serde_json::to_vec(&header).unwrap()
}

#[test]
fn broken_invariants_are_reported_at_open() {
    type Mutation = Box<dyn FnOnce(&redb::WriteTransaction)>;
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "header 2 links to",
            Box::new(|txn| {
                let json = header_json(2, |h| h.prev = Hash::ZERO);
                txn.open_table(HEADERS).unwrap().insert(2, json.as_slice()).unwrap();
            }),
        ),
        (
            "header at height 2 is missing (next stored is 3)",
            Box::new(|txn| {
                txn.open_table(HEADERS).unwrap().remove(2).unwrap();
            }),
        ),
        (
            "header at height 3 does not decode",
            Box::new(|txn| {
                txn.open_table(HEADERS).unwrap().insert(3, b"{not json".as_slice()).unwrap();
            }),
        ),
        (
            "header stored at height 3 says height 4",
            Box::new(|txn| {
                let json = header_json(3, |h| h.height = 4);
                txn.open_table(HEADERS).unwrap().insert(3, json.as_slice()).unwrap();
            }),
        ),
        (
            "header 3 has tree size",
            Box::new(|txn| {
                let json = header_json(3, |h| h.tree_size += 1);
                txn.open_table(HEADERS).unwrap().insert(3, json.as_slice()).unwrap();
            }),
        ),
        (
            "tip record says height 2, headers end at height 3",
            Box::new(|txn| {
                txn.open_table(META).unwrap().insert(META_TIP, 2u64.to_be_bytes().as_slice()).unwrap();
            }),
        ),
        (
            "tip record is 3 bytes, expected 8",
            Box::new(|txn| {
                txn.open_table(META).unwrap().insert(META_TIP, [0u8; 3].as_slice()).unwrap();
            }),
        ),
        (
            "blocks table holds 2 blocks for tip 3, first missing key is 2",
            Box::new(|txn| {
                txn.open_table(BLOCKS).unwrap().remove(2).unwrap();
            }),
        ),
        (
            "block at height 3 does not decode",
            Box::new(|txn| {
                txn.open_table(BLOCKS).unwrap().insert(3, b"[]".as_slice()).unwrap();
            }),
        ),
        (
            "leaves table holds",
            Box::new(|txn| {
                txn.open_table(LEAVES).unwrap().remove(0).unwrap();
            }),
        ),
        (
            "Merkle root of the",
            Box::new(|txn| {
                // The first node the root folds: the largest complete subtree from leaf 0.
                let size = chain().index[..3].iter().map(Vec::len).sum::<usize>() as u64;
                let level = 63 - size.leading_zeros() as u8;
                txn.open_table(NODES).unwrap().insert((level, 0), &[7u8; 32]).unwrap();
            }),
        ),
        (
            "Merkle node table holds",
            Box::new(|txn| {
                txn.open_table(NODES).unwrap().remove((0, 0)).unwrap();
            }),
        ),
    ];
    for (expected, mutate) in cases {
        match reopen_after(mutate) {
            Err(StoreError::Corrupt { what }) => assert!(what.contains(expected), "{expected}: got {what}"),
            other => panic!("{expected}: got {other:?}"),
        }
    }
}

#[test]
fn verify_tree_finds_a_damaged_node_the_root_does_not_read() {
    let (_dir, path) = temp();
    let mut store = open(&path);
    commit_upto(&store, chain().blocks.len());
    store.verify_tree().unwrap();
    for (level, index) in [(0u8, 0u64), (1, 1)] {
        let txn = store.db.begin_write().unwrap();
        let original = *txn.open_table(NODES).unwrap().get((level, index)).unwrap().unwrap().value();
        txn.open_table(NODES).unwrap().insert((level, index), &[7u8; 32]).unwrap();
        txn.commit().unwrap();
        // The open-time root check reads the right edge only, and passes.
        drop(store);
        let reopened = open(&path);
        match reopened.verify_tree() {
            Err(StoreError::Corrupt { what }) => assert!(what.contains("Merkle node at level"), "{what}"),
            other => panic!("node ({level}, {index}): {other:?}"),
        }
        let txn = reopened.db.begin_write().unwrap();
        txn.open_table(NODES).unwrap().insert((level, index), &original).unwrap();
        txn.commit().unwrap();
        reopened.verify_tree().unwrap();
        store = reopened;
    }
}

#[test]
fn a_damaged_file_is_refused_without_panicking() {
    let (dir, path) = temp();
    let store = open(&path);
    commit_upto(&store, chain().blocks.len());
    drop(store);
    let good = std::fs::read(&path).unwrap();
    let damaged = dir.path().join("damaged.redb");
    let (mut refused, mut opened) = (0, 0);
    // Flip 16 bytes at offsets spread over the whole file, headers and free pages included.
    let step = (good.len() / 150).max(1);
    for offset in (0..good.len()).step_by(step) {
        let mut bytes = good.clone();
        for b in bytes.iter_mut().skip(offset).take(16) {
            *b ^= 0xA5;
        }
        std::fs::write(&damaged, &bytes).unwrap();
        let result = catch_unwind(AssertUnwindSafe(|| {
            // Whatever opens must still read back the whole chain intact.
            let store = Store::open(&damaged, &chain().genesis)?;
            assert_reads_whole_chain(&store);
            Ok::<(), StoreError>(())
        }));
        match result {
            Ok(Ok(())) => opened += 1,
            Ok(Err(_)) => refused += 1,
            Err(_) => panic!("opening a file damaged at offset {offset} panicked"),
        }
    }
    eprintln!("damaged copies: {refused} refused, {opened} opened intact");
    assert!(refused > 0, "no damage was detected ({opened} opened)");
    // Not a redb file at all.
    std::fs::write(&damaged, b"this is not a ledger store\n".repeat(200)).unwrap();
    assert!(Store::open(&damaged, &chain().genesis).is_err());
}

#[test]
fn consensus_values_round_trip_and_prune() {
    let (_dir, path) = temp();
    let store = open(&path);
    let (a, b, c) = (b"value a".to_vec(), b"value b".to_vec(), b"value c".to_vec());
    let (id_a, id_b, id_c) = (Hash::sha256(&a), Hash::sha256(&b), Hash::sha256(&c));
    assert_eq!(store.put_value(5, 0, &id_a, &a).unwrap(), ValueStored::First);
    assert_eq!(store.put_value(5, 3, &id_b, &b).unwrap(), ValueStored::First);
    assert_eq!(store.put_value(6, 0, &id_c, &c).unwrap(), ValueStored::First);
    assert_eq!(store.put_value(5, 0, &id_a, &a).unwrap(), ValueStored::Again);
    // Re-proposing a value in a later round keeps the id pointing at the first.
    assert_eq!(store.put_value(5, 4, &id_a, &a).unwrap(), ValueStored::First);
    drop(store);

    let store = open(&path);
    assert_eq!(store.value(5, 0).unwrap(), Some(a.clone()));
    assert_eq!(store.value(5, 1).unwrap(), None);
    assert_eq!(store.values_at(5).unwrap(), vec![(0, a.clone()), (3, b.clone()), (4, a.clone())]);
    assert_eq!(store.values_at(7).unwrap(), vec![]);
    assert_eq!(store.value_by_id(5, &id_b).unwrap(), Some(b.clone()));
    assert_eq!(store.value_by_id(5, &id_a).unwrap(), Some(a.clone()));
    assert_eq!(store.value_by_id(6, &id_a).unwrap(), None);

    store.prune_values_below(6).unwrap();
    assert_eq!(store.values_at(5).unwrap(), vec![]);
    assert_eq!(store.value_by_id(5, &id_a).unwrap(), None);
    assert_eq!(store.value(6, 0).unwrap(), Some(c.clone()));
    assert_eq!(store.value_by_id(6, &id_c).unwrap(), Some(c));
}

#[test]
fn committing_a_block_prunes_the_values_below_the_height_before_it() {
    let (_dir, path) = temp();
    let store = open(&path);
    let (a, b, c) = (b"value a".to_vec(), b"value b".to_vec(), b"value c".to_vec());
    store.put_value(1, 0, &Hash::sha256(&a), &a).unwrap();
    store.put_value(2, 1, &Hash::sha256(&b), &b).unwrap();
    store.put_value(3, 0, &Hash::sha256(&c), &c).unwrap();
    commit_upto(&store, 2);
    assert_eq!(store.values_at(1).unwrap(), vec![(0, a)], "the height before block 2: kept");
    commit_upto_from(&store, 2, 3);
    assert_eq!(store.values_at(1).unwrap(), vec![], "below height 3 - 1: pruned with block 3");
    assert_eq!(store.values_at(2).unwrap(), vec![(1, b)], "the height before: kept");
    assert_eq!(store.values_at(3).unwrap(), vec![(0, c)], "the committed height's own: kept");
    drop(store);
    assert_eq!(open(&path).values_at(1).unwrap(), vec![], "pruned durably, with the block");
}

#[test]
fn a_second_value_for_a_round_is_kept_beside_the_first_across_a_restart() {
    let (_dir, path) = temp();
    let store = open(&path);
    let (a, b, c) = (b"value a".to_vec(), b"value b".to_vec(), b"value c".to_vec());
    let (id_a, id_b, id_c) = (Hash::sha256(&a), Hash::sha256(&b), Hash::sha256(&c));
    assert_eq!(store.put_value(5, 0, &id_a, &a).unwrap(), ValueStored::First);
    assert_eq!(store.put_value(5, 0, &id_b, &b).unwrap(), ValueStored::Second);
    assert_eq!(store.put_value(5, 0, &id_b, &b).unwrap(), ValueStored::Again);
    assert_eq!(store.put_value(5, 1, &id_c, &c).unwrap(), ValueStored::First);
    drop(store);

    let store = open(&path);
    // This node proposes only the first; both can be decided.
    assert_eq!(store.value(5, 0).unwrap(), Some(a.clone()));
    assert_eq!(store.value_by_id(5, &id_a).unwrap(), Some(a.clone()));
    assert_eq!(store.value_by_id(5, &id_b).unwrap(), Some(b.clone()));
    assert_eq!(store.values_at(5).unwrap(), vec![(0, a.clone()), (0, b.clone()), (1, c.clone())]);

    store.prune_values_below(6).unwrap();
    assert_eq!(store.values_at(5).unwrap(), vec![]);
    assert_eq!(store.value_by_id(5, &id_b).unwrap(), None);
}

#[test]
fn evidence_is_append_only_and_durable() {
    let (_dir, path) = temp();
    let store = open(&path);
    assert_eq!(store.put_evidence(3, "equivocation", r#"{"votes":[1,2]}"#).unwrap(), 0);
    assert_eq!(store.put_evidence(4, "bad_proposal", "{}").unwrap(), 1);
    drop(store);
    let store = open(&path);
    assert_eq!(store.put_evidence(4, "equivocation", "{}").unwrap(), 2);
    let records = store.evidence().unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(
        records[0],
        EvidenceRecord { seq: 0, height: 3, kind: "equivocation".into(), json: r#"{"votes":[1,2]}"#.into() }
    );
    assert_eq!((records[2].seq, records[2].height, records[2].kind.as_str()), (2, 4, "equivocation"));
}

#[test]
fn checkpoints_keep_the_most_signatures() {
    let (_dir, path) = temp();
    let store = open(&path);
    let c = chain();
    commit_upto(&store, c.blocks.len());
    let n = c.tree_size();
    let full = c.checkpoint.clone();
    let parsed = note::open_note(full.as_bytes()).unwrap();
    assert!(parsed.signatures.len() >= 2);
    let fewer =
        ParsedNote { text: parsed.text.clone(), signatures: parsed.signatures[..1].to_vec() }.to_note();

    assert!(store.put_checkpoint(n, &fewer).unwrap());
    assert!(store.put_checkpoint(n, &full).unwrap());
    assert!(!store.put_checkpoint(n, &fewer).unwrap(), "fewer signatures must not replace more");
    assert!(store.put_checkpoint(n, &full).unwrap());
    assert_eq!(store.checkpoint(n).unwrap().as_deref(), Some(full.as_str()));

    // A checkpoint at an earlier size, signed by some key.
    let origin = Checkpoint::parse_body(&parsed.text).unwrap().origin;
    let key = SigningKey::from_seed(&[7; 32]);
    let size1 = c.blocks[0].header.tree_size;
    let body = Checkpoint::new(&origin, size1, store.root(size1).unwrap()).unwrap().to_body();
    let early = note::sign_note(&body, "test-signer", &key).unwrap();
    assert!(store.put_checkpoint(size1, &early).unwrap());
    assert_eq!(store.latest_checkpoint().unwrap(), Some((n, full.clone())));

    // Refusals.
    assert!(matches!(store.put_checkpoint(size1, &full), Err(StoreError::CheckpointSize { .. })));
    let wrong_root = Checkpoint::new(&origin, size1, Hash::ZERO).unwrap().to_body();
    let wrong_root = note::sign_note(&wrong_root, "test-signer", &key).unwrap();
    assert!(matches!(store.put_checkpoint(size1, &wrong_root), Err(StoreError::CheckpointRoot { .. })));
    let beyond = Checkpoint::new(&origin, n + 1, Hash::ZERO).unwrap().to_body();
    let beyond = note::sign_note(&beyond, "test-signer", &key).unwrap();
    assert!(matches!(store.put_checkpoint(n + 1, &beyond), Err(StoreError::BeyondTree { .. })));
    let other_origin = Checkpoint::new("other-network", n, store.root(n).unwrap()).unwrap().to_body();
    let other_origin = note::sign_note(&other_origin, "test-signer", &key).unwrap();
    assert!(matches!(store.put_checkpoint(n, &other_origin), Err(StoreError::CheckpointConflict { .. })));
    assert!(matches!(store.put_checkpoint(n, "not a note"), Err(StoreError::Note(_))));

    drop(store);
    let store = open(&path);
    assert_eq!(store.latest_checkpoint().unwrap(), Some((n, full)));
    assert_eq!(store.checkpoint(size1).unwrap(), Some(early));
    assert_eq!(store.checkpoint(size1 + 1).unwrap(), None);
}

#[test]
fn reads_run_beside_writes() {
    let (_dir, path) = temp();
    let store = Arc::new(open(&path));
    let reader = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            let n = chain().blocks.len() as u64;
            let mut last = 0;
            while last < n {
                // One snapshot per call: the tip never goes back, and whatever tree a
                // header names is served in full.
                let tip = store.tip().unwrap();
                assert!(tip >= last);
                last = tip;
                if let Some(header) = store.header(tip).unwrap() {
                    assert_eq!(store.root(header.tree_size).unwrap(), header.root);
                }
            }
        })
    };
    commit_upto(&store, chain().blocks.len());
    reader.join().unwrap();
}

#[test]
fn blocks_committed_from_parts_read_back_whole_and_wrong_leaves_are_refused() {
    let c = chain();
    let (_dir, path) = temp();
    let store = open(&path);
    for (i, block) in c.blocks.iter().enumerate() {
        let leaves = &c.leaves[i];
        if leaves.len() >= 2 {
            // The header's root pins the leaves: reordered, they are refused and nothing
            // is written.
            let mut swapped = leaves.clone();
            swapped.swap(0, 1);
            let err =
                store.commit_parts(&block.header, &block.certificate, &swapped, &c.index[i]).unwrap_err();
            assert!(matches!(err, StoreError::RootMismatch { .. }), "{err}");
            assert_eq!(store.tip().unwrap(), i as u64);
        }
        let mut short = leaves.clone();
        short.push(b"{}".to_vec());
        assert!(matches!(
            store.commit_parts(&block.header, &block.certificate, &short, &c.index[i]),
            Err(StoreError::DocumentCount { .. })
        ));
        let outcome = store.commit_parts(&block.header, &block.certificate, leaves, &c.index[i]).unwrap();
        assert_eq!(outcome, CommitOutcome::Committed);
    }
    assert_reads_whole_chain(&store);
}

#[test]
fn the_tree_size_read_alone_is_the_whole_headers() {
    let (_dir, path) = temp();
    let store = open(&path);
    commit_upto(&store, 3);
    let header = store.tip_header().unwrap().unwrap();
    let json = serde_json::to_vec(&header).unwrap();
    assert_eq!(super::schema::decode_header_tree_size(&json, header.height).unwrap(), header.tree_size);
    assert_eq!(store.tree_size().unwrap(), header.tree_size);
    let err = super::schema::decode_header_tree_size(&json, header.height + 1).unwrap_err();
    assert!(err.to_string().contains("says height"), "{err}");
    assert!(super::schema::decode_header_tree_size(b"{\"height\":1}", 1).is_err(), "no tree size");
}
