//! Keep the ledger's RFC 9162 §2.1 Merkle log: append leaves, compute roots, and make and
//! check inclusion and consistency proofs.
//!
//! # Terminology
//!
//! - *Leaf*: the canonical bytes of one committed envelope. Its *leaf index* is its position
//!   in the ledger, counting from 0 across all blocks.
//! - *Leaf hash*: `SHA-256(0x00 || leaf)`; *interior hash*: `SHA-256(0x01 || left || right)`
//!   (R-MRK-1, R-MRK-2). The root of the empty tree is `SHA-256("")`.
//! - *Node* `(level, index)`: the hash of the complete subtree over leaves
//!   `[index·2^level, (index+1)·2^level)`. Level 0 holds the leaf hashes. A node, once it
//!   exists, never changes, so storage only ever appends.
//! - *Right edge*: in a tree whose size is not a power of two, the subtrees along the right
//!   border are incomplete. They are never stored; their hashes are folded from the complete
//!   nodes that tile them (at most one node per level), so every root and proof reads
//!   O(log n) nodes.
//! - *Inclusion proof*: RFC 9162 §2.1.3 `PATH(m, D[n])`; *consistency proof*: §2.1.4
//!   `PROOF(m, D[n])`. Both list the hashes nearest the leaves first.
//!
//! The verifiers ([`verify_inclusion`], [`verify_consistency`]) follow RFC 9162 §2.1.3.2 and
//! §2.1.4.2 step by step. They first check the proof's exact length (a function of the
//! sizes alone) so that a refusal says what was wrong; this refuses exactly the proofs
//! the RFC loops would refuse for length, only earlier.

use crate::encoding::Hash;
use crate::limits::PROOF_HASHES_MAX;

/// Why a Merkle operation or proof was refused. Messages name the rule of
/// `docs/PROTOCOL.md` §11 that was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// The proof is longer than any valid proof can be; refused before any hashing.
    #[error("R-MRK-5: proof has {got} hashes, at most {max} are allowed")]
    ProofTooLong {
        /// Hashes in the proof.
        got: usize,
        /// The limit, `PROOF_HASHES_MAX`.
        max: usize,
    },
    /// The leaf index is not inside the tree.
    #[error("R-MRK-6: leaf index {leaf_index} is out of range for tree of size {tree_size}")]
    IndexOutOfRange {
        /// The leaf index given.
        leaf_index: u64,
        /// The tree size given.
        tree_size: u64,
    },
    /// The inclusion proof does not have the one length its leaf index and tree size allow.
    #[error(
        "R-MRK-3: proof has {got} hashes, expected {expected} for leaf {leaf_index} in tree of size {tree_size}"
    )]
    InclusionProofLength {
        /// Hashes in the proof.
        got: usize,
        /// Hashes required.
        expected: usize,
        /// The leaf index.
        leaf_index: u64,
        /// The tree size.
        tree_size: u64,
    },
    /// The consistency proof does not have the one length its two sizes allow.
    #[error(
        "R-MRK-4: proof has {got} hashes, expected {expected} for consistency from size {size1} to size {size2}"
    )]
    ConsistencyProofLength {
        /// Hashes in the proof.
        got: usize,
        /// Hashes required.
        expected: usize,
        /// The older tree size.
        size1: u64,
        /// The newer tree size.
        size2: u64,
    },
    /// The two sizes of a consistency proof are not `0 < size1 <= size2`.
    #[error("R-MRK-7: consistency from size {size1} to size {size2} refused, expected 0 < size1 <= size2")]
    SizesInvalid {
        /// The older tree size.
        size1: u64,
        /// The newer tree size.
        size2: u64,
    },
    /// The root recomputed from the proof is not the root claimed.
    #[error("R-MRK-8: computed {which} {computed}, expected {expected}")]
    RootMismatch {
        /// Which root: `root`, `first root` or `second root`.
        which: &'static str,
        /// The root recomputed from the proof, hex.
        computed: Hash,
        /// The root claimed by the caller, hex.
        expected: Hash,
    },
    /// A byte string offered as a hash is not 32 bytes long.
    #[error("R-MRK-9: hash is {got} bytes, expected 32")]
    HashLength {
        /// Its length.
        got: usize,
    },
    /// Storage does not hold a node that a tree of the requested size must have.
    #[error("node at level {level}, index {index} is missing from storage")]
    MissingNode {
        /// The node's level.
        level: u8,
        /// The node's index within its level.
        index: u64,
    },
    /// The tree already has 2^64 - 1 leaves; leaf indexes are 64-bit.
    #[error("tree of size {tree_size} is full: leaf indexes are 64-bit")]
    TreeFull {
        /// The current size.
        tree_size: u64,
    },
}

/// Read access to stored nodes. Implemented by [`MemoryTree`] and by the node's database.
pub trait NodeReader {
    /// The node `(level, index)`, or [`MerkleError::MissingNode`] if it is not stored.
    fn node(&self, level: u8, index: u64) -> Result<Hash, MerkleError>;
}

/// The hash of one leaf: `SHA-256(0x00 || bytes)` (R-MRK-1).
pub fn leaf_hash(bytes: &[u8]) -> Hash {
    Hash::sha256_parts(&[&[0x00], bytes])
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)` (R-MRK-2).
pub fn interior_hash(left: &Hash, right: &Hash) -> Hash {
    Hash::sha256_parts(&[&[0x01], left.as_bytes(), right.as_bytes()])
}

/// The root of the empty tree: `SHA-256("")` (R-MRK-2).
pub fn empty_root() -> Hash {
    Hash::sha256(b"")
}

/// A hash from raw bytes, refusing any length but 32 (R-MRK-9): proofs from elsewhere
/// are never truncated or padded into shape.
pub fn hash_from_slice(bytes: &[u8]) -> Result<Hash, MerkleError> {
    <[u8; 32]>::try_from(bytes).map(Hash).map_err(|_| MerkleError::HashLength { got: bytes.len() })
}

/// `MTH(D[n])` straight from RFC 9162 §2.1.1, by recursion over all leaf hashes. O(n);
/// the reference the stored-node functions are tested against.
pub fn root_from_leaves(leaves: &[Hash]) -> Hash {
    match leaves {
        [] => empty_root(),
        [only] => *only,
        _ => {
            let k = split_point(leaves.len() as u64);
            match usize::try_from(k).ok().and_then(|k| leaves.split_at_checked(k)) {
                Some((left, right)) => interior_hash(&root_from_leaves(left), &root_from_leaves(right)),
                // k < len always, and len fits in usize; unreachable.
                None => empty_root(),
            }
        }
    }
}

/// The nodes to store when the leaf `leaf_hash` is appended to a tree of `tree_size`
/// leaves: the leaf itself at `(0, tree_size)` and every node it completes, lowest first.
///
/// Reads one stored node per level completed, so at most 64.
pub fn append(
    reader: &impl NodeReader,
    tree_size: u64,
    leaf_hash: Hash,
) -> Result<Vec<(u8, u64, Hash)>, MerkleError> {
    if tree_size == u64::MAX {
        return Err(MerkleError::TreeFull { tree_size });
    }
    let mut out = vec![(0u8, tree_size, leaf_hash)];
    let (mut level, mut index, mut hash) = (0u8, tree_size, leaf_hash);
    // An odd index is a right child: its left sibling is complete and stored, so the
    // parent is complete now too.
    while index & 1 == 1 {
        let left = reader.node(level, index - 1)?;
        hash = interior_hash(&left, &hash);
        level += 1;
        index >>= 1;
        out.push((level, index, hash));
    }
    Ok(out)
}

/// The root of the tree of the first `tree_size` leaves, from stored nodes.
///
/// Nodes are never rewritten, so this also gives the root of any earlier size.
pub fn root(reader: &impl NodeReader, tree_size: u64) -> Result<Hash, MerkleError> {
    if tree_size == 0 {
        return Ok(empty_root());
    }
    subtree_hash(reader, 0, tree_size)
}

/// RFC 9162 §2.1.3.1 `PATH(leaf_index, D[tree_size])`, nearest the leaf first.
pub fn inclusion_proof(
    reader: &impl NodeReader,
    leaf_index: u64,
    tree_size: u64,
) -> Result<Vec<Hash>, MerkleError> {
    if leaf_index >= tree_size {
        return Err(MerkleError::IndexOutOfRange { leaf_index, tree_size });
    }
    // Walk down from the root: the current subtree is [start, start + size), and the RFC's
    // recursion adds the hash of the half not containing the leaf.
    let (mut start, mut size) = (0u64, tree_size);
    let mut top_down = Vec::new();
    while size > 1 {
        let k = split_point(size);
        if leaf_index - start < k {
            top_down.push(subtree_hash(reader, start + k, size - k)?);
            size = k;
        } else {
            top_down.push(subtree_hash(reader, start, k)?);
            start += k;
            size -= k;
        }
    }
    top_down.reverse();
    Ok(top_down)
}

/// RFC 9162 §2.1.4.1 `PROOF(size1, D[size2])`, nearest the leaves first.
///
/// Refuses `size1 = 0` (R-MRK-7) as the verifier does; `size1 == size2` gives `[]`.
pub fn consistency_proof(reader: &impl NodeReader, size1: u64, size2: u64) -> Result<Vec<Hash>, MerkleError> {
    if size1 == 0 || size1 > size2 {
        return Err(MerkleError::SizesInvalid { size1, size2 });
    }
    // SUBPROOF(m, D[start .. start + size], b) unrolled; `m` is relative to `start`.
    let (mut start, mut size, mut m, mut whole) = (0u64, size2, size1, true);
    let mut top_down = Vec::new();
    while m != size {
        let k = split_point(size);
        if m <= k {
            top_down.push(subtree_hash(reader, start + k, size - k)?);
            size = k;
        } else {
            top_down.push(subtree_hash(reader, start, k)?);
            start += k;
            size -= k;
            m -= k;
            whole = false;
        }
    }
    // The old tree's root is known to the verifier only while it is the whole of the
    // current subtree from the top (`b` = true in the RFC).
    if !whole {
        top_down.push(subtree_hash(reader, start, size)?);
    }
    top_down.reverse();
    Ok(top_down)
}

/// RFC 9162 §2.1.3.2: check that `leaf_hash` is leaf `leaf_index` of the tree of
/// `tree_size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    leaf_index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), MerkleError> {
    check_proof_limit(proof)?;
    // Step 1.
    if leaf_index >= tree_size {
        return Err(MerkleError::IndexOutOfRange { leaf_index, tree_size });
    }
    let expected = inclusion_proof_len(leaf_index, tree_size);
    let length_error =
        || MerkleError::InclusionProofLength { got: proof.len(), expected, leaf_index, tree_size };
    if proof.len() != expected {
        return Err(length_error());
    }
    // Steps 2 and 3.
    let (mut fnode, mut snode) = (leaf_index, tree_size - 1);
    let mut r = *leaf_hash;
    // Step 4.
    for p in proof {
        if snode == 0 {
            return Err(length_error());
        }
        if fnode & 1 == 1 || fnode == snode {
            r = interior_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = interior_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 5.
    if snode != 0 {
        return Err(length_error());
    }
    if r != *root {
        return Err(MerkleError::RootMismatch { which: "root", computed: r, expected: *root });
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2: check that the tree of `size2` leaves with root `root2` extends the
/// tree of `size1` leaves with root `root1`.
///
/// `size1 = 0` is refused (R-MRK-7): every tree extends the empty one, so such a proof
/// says nothing. `size1 == size2` requires an empty proof and equal roots.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<(), MerkleError> {
    check_proof_limit(proof)?;
    if size1 == 0 || size1 > size2 {
        return Err(MerkleError::SizesInvalid { size1, size2 });
    }
    let expected = consistency_proof_len(size1, size2);
    let length_error = || MerkleError::ConsistencyProofLength { got: proof.len(), expected, size1, size2 };
    if proof.len() != expected {
        return Err(length_error());
    }
    if size1 == size2 {
        if root1 != root2 {
            // Equal sizes: the first root must be the second.
            return Err(MerkleError::RootMismatch {
                which: "root for equal sizes",
                computed: *root1,
                expected: *root2,
            });
        }
        return Ok(());
    }
    // Step 1 is the length check above (the expected length is at least 1 here).
    // Step 2: when size1 is a power of two the old root is itself a node of the new tree.
    let mut path = proof.iter();
    let seed = if size1.is_power_of_two() {
        *root1
    } else {
        match path.next() {
            Some(first) => *first,
            None => return Err(length_error()),
        }
    };
    // Steps 3 and 4.
    let (mut fnode, mut snode) = (size1 - 1, size2 - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 5.
    let (mut fr, mut sr) = (seed, seed);
    // Step 6.
    for c in path {
        if snode == 0 {
            return Err(length_error());
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = interior_hash(c, &fr);
            sr = interior_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = interior_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 7.
    if snode != 0 {
        return Err(length_error());
    }
    if fr != *root1 {
        return Err(MerkleError::RootMismatch { which: "first root", computed: fr, expected: *root1 });
    }
    if sr != *root2 {
        return Err(MerkleError::RootMismatch { which: "second root", computed: sr, expected: *root2 });
    }
    Ok(())
}

/// The length of every valid inclusion proof for `leaf_index < tree_size`: one hash per
/// level below the point where the leaf's path leaves the right edge (`inner`), plus one
/// per left sibling met on the right edge above it (`border`).
fn inclusion_proof_len(leaf_index: u64, tree_size: u64) -> usize {
    let last = tree_size - 1;
    let inner = bit_length(leaf_index ^ last);
    let border = leaf_index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// The length of every valid consistency proof for `0 < size1 <= size2`.
fn consistency_proof_len(size1: u64, size2: u64) -> usize {
    if size1 == size2 {
        return 0;
    }
    // The proof is the inclusion proof of the old tree's last leaf, minus the levels
    // inside the old tree's rightmost complete node (its hash replaces them), plus that
    // node's hash unless it is the whole old tree (then the verifier already has it).
    let old_last = size1 - 1;
    let inner = bit_length(old_last ^ (size2 - 1));
    let border = old_last.checked_shr(inner).unwrap_or(0).count_ones();
    let shift = size1.trailing_zeros();
    let seed = u32::from(!size1.is_power_of_two());
    (seed + inner.saturating_sub(shift) + border) as usize
}

fn check_proof_limit(proof: &[Hash]) -> Result<(), MerkleError> {
    if proof.len() > PROOF_HASHES_MAX {
        return Err(MerkleError::ProofTooLong { got: proof.len(), max: PROOF_HASHES_MAX });
    }
    Ok(())
}

/// Bits needed to write `x`: 0 for 0.
fn bit_length(x: u64) -> u32 {
    u64::BITS - x.leading_zeros()
}

/// The RFC's `k`: the largest power of two smaller than `n`, for `n >= 2`.
fn split_point(n: u64) -> u64 {
    1u64 << (bit_length(n.saturating_sub(1)).saturating_sub(1))
}

/// `MTH` of leaves `[start, start + size)` for `size >= 1`, where `start` is a multiple of
/// the smallest power of two `>= size` (every subtree the RFC recursion visits is).
///
/// The range is tiled by the complete nodes of `size`'s binary digits, largest first; RFC
/// 9162 splits at the largest power of two, so the hash is their right fold.
fn subtree_hash(reader: &impl NodeReader, start: u64, size: u64) -> Result<Hash, MerkleError> {
    let mut tiles = Vec::new();
    let mut offset = start;
    for level in (0..u64::BITS as u8).rev() {
        let width = 1u64 << level;
        if size & width != 0 {
            tiles.push(reader.node(level, offset >> level)?);
            offset = offset.wrapping_add(width);
        }
    }
    let mut tiles = tiles.into_iter().rev();
    let mut acc = match tiles.next() {
        Some(h) => h,
        None => return Ok(empty_root()),
    };
    for left in tiles {
        acc = interior_hash(&left, &acc);
    }
    Ok(acc)
}

/// A whole tree in memory, one `Vec` of nodes per level. For tests, tools and small logs.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
    size: u64,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        MemoryTree::default()
    }

    /// Append a leaf by its bytes; returns its leaf index.
    pub fn push(&mut self, leaf_bytes: &[u8]) -> Result<u64, MerkleError> {
        self.push_hash(leaf_hash(leaf_bytes))
    }

    /// Append a leaf by its leaf hash; returns its leaf index.
    pub fn push_hash(&mut self, leaf_hash: Hash) -> Result<u64, MerkleError> {
        let index = self.size;
        for (level, _, hash) in append(self, index, leaf_hash)? {
            let level = usize::from(level);
            while self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            if let Some(row) = self.levels.get_mut(level) {
                row.push(hash);
            }
        }
        self.size = index + 1;
        Ok(index)
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The leaf hashes, in order: everything the tree is built from.
    pub fn leaf_hashes(&self) -> &[Hash] {
        self.levels.first().map_or(&[], Vec::as_slice)
    }

    /// Number of nodes stored, over all levels.
    pub fn stored_nodes(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// The current root.
    pub fn root(&self) -> Result<Hash, MerkleError> {
        root(self, self.size)
    }

    /// The root the tree would have after appending `leaves` (by leaf hash), without
    /// changing or copying it: the right edge (one complete node per binary digit of the
    /// size) is extended as [`MemoryTree::push_hash`] would, and folded as RFC 9162 splits.
    /// Costs O(log n + k) hashes for k leaves, where a copy of the tree costs O(n).
    pub fn root_after(&self, leaves: &[Hash]) -> Result<Hash, MerkleError> {
        let mut edge: Vec<(u8, Hash)> = Vec::new();
        let mut offset = 0u64;
        for level in (0..u64::BITS as u8).rev() {
            let width = 1u64 << level;
            if self.size & width != 0 {
                edge.push((level, self.node(level, offset >> level)?));
                offset += width;
            }
        }
        if self.size.checked_add(leaves.len() as u64).is_none() {
            return Err(MerkleError::TreeFull { tree_size: self.size });
        }
        for leaf in leaves {
            edge.push((0, *leaf));
            while let [.., (l1, left), (l2, right)] = edge.as_slice()
                && l1 == l2
            {
                let merged = (l1 + 1, interior_hash(left, right));
                edge.truncate(edge.len() - 2);
                edge.push(merged);
            }
        }
        let mut nodes = edge.into_iter().rev().map(|(_, h)| h);
        let Some(mut acc) = nodes.next() else { return Ok(empty_root()) };
        for left in nodes {
            acc = interior_hash(&left, &acc);
        }
        Ok(acc)
    }

    /// The inclusion proof of `leaf_index` in the tree of the first `tree_size` leaves.
    pub fn inclusion_proof(&self, leaf_index: u64, tree_size: u64) -> Result<Vec<Hash>, MerkleError> {
        inclusion_proof(self, leaf_index, tree_size)
    }

    /// The consistency proof from the first `size1` leaves to the first `size2`.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, MerkleError> {
        consistency_proof(self, size1, size2)
    }
}

impl NodeReader for MemoryTree {
    fn node(&self, level: u8, index: u64) -> Result<Hash, MerkleError> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.levels.get(usize::from(level))?.get(i))
            .copied()
            .ok_or(MerkleError::MissingNode { level, index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cell::Cell;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn tree_of(leaves: &[Hash]) -> MemoryTree {
        let mut tree = MemoryTree::new();
        for leaf in leaves {
            tree.push_hash(*leaf).unwrap();
        }
        tree
    }

    fn prefix(leaves: &[Hash], size: u64) -> &[Hash] {
        &leaves[..size as usize]
    }

    fn flip(h: &Hash, bit: usize) -> Hash {
        let mut out = *h;
        out.0[bit / 8] ^= 1 << (bit % 8);
        out
    }

    /// Every node hash is made up; counts reads. For sizes no memory could hold.
    struct Synthetic {
        reads: Cell<usize>,
    }

    impl NodeReader for Synthetic {
        fn node(&self, level: u8, index: u64) -> Result<Hash, MerkleError> {
            self.reads.set(self.reads.get() + 1);
            Ok(Hash::sha256_parts(&[&[level], &index.to_be_bytes()]))
        }
    }

    #[test]
    fn hashing_rules() {
        // R-MRK-1, R-MRK-2: the domain-separation bytes of RFC 9162 §2.1.1.
        let a = Hash::sha256(b"a");
        assert_eq!(leaf_hash(b"xy"), Hash::sha256(b"\x00xy"));
        let mut interior = vec![1u8];
        interior.extend_from_slice(&a.0);
        interior.extend_from_slice(&leaf_hash(b"").0);
        assert_eq!(interior_hash(&a, &leaf_hash(b"")), Hash::sha256(&interior));
        assert_eq!(empty_root(), Hash::sha256(b""));
        assert_eq!(root_from_leaves(&[]), empty_root());
        assert_eq!(MemoryTree::new().root().unwrap(), empty_root());
    }

    #[test]
    fn root_after_matches_appending() {
        // Every split of every size up to 70 (all edge shapes up to 2^6 + a few).
        let all = leaves(70);
        for size in 0..=70u64 {
            let base = tree_of(prefix(&all, size));
            for end in size..=70u64 {
                let extra = &all[size as usize..end as usize];
                let want = tree_of(prefix(&all, end)).root().unwrap();
                assert_eq!(base.root_after(extra).unwrap(), want, "size {size} + {}", extra.len());
            }
        }
    }

    #[test]
    fn appending_stores_2n_minus_popcount_nodes() {
        let mut tree = MemoryTree::new();
        for n in 0u64..=1100 {
            assert_eq!(tree.stored_nodes() as u64, 2 * n - u64::from(n.count_ones()), "n = {n}");
            let new = append(&tree, n, leaf_hash(&n.to_be_bytes())).unwrap();
            assert_eq!(new.len() as u32, 1 + n.trailing_ones(), "appending leaf {n}");
            tree.push(&n.to_be_bytes()).unwrap();
        }
    }

    #[test]
    fn incremental_root_is_reference_root_for_every_size() {
        // R-MRK-2.
        let all = leaves(300);
        let mut tree = MemoryTree::new();
        for (n, leaf) in (1u64..).zip(&all) {
            tree.push_hash(*leaf).unwrap();
            assert_eq!(tree.root().unwrap(), root_from_leaves(prefix(&all, n)), "size {n}");
        }
        // Nodes never change, so every earlier root is still there.
        for n in 0..=300 {
            assert_eq!(root(&tree, n).unwrap(), root_from_leaves(prefix(&all, n)), "earlier size {n}");
        }
    }

    #[test]
    fn every_proof_of_small_trees_verifies() {
        // R-MRK-3, R-MRK-4, exhaustively for sizes up to 64.
        let all = leaves(64);
        let tree = tree_of(&all);
        let roots: Vec<Hash> = (0..=64).map(|n| root_from_leaves(prefix(&all, n))).collect();
        for n in 1..=64u64 {
            for m in 0..n {
                let proof = tree.inclusion_proof(m, n).unwrap();
                verify_inclusion(&all[m as usize], m, n, &proof, &roots[n as usize]).unwrap();
            }
            for s1 in 1..=n {
                let proof = tree.consistency_proof(s1, n).unwrap();
                verify_consistency(s1, n, &proof, &roots[s1 as usize], &roots[n as usize])
                    .unwrap_or_else(|e| panic!("{s1} -> {n}: {e}"));
            }
        }
    }

    #[test]
    fn error_messages_name_the_rule() {
        let all = leaves(7);
        let tree = tree_of(&all);
        let root7 = tree.root().unwrap();
        let proof = tree.inclusion_proof(2, 7).unwrap();
        assert_eq!(proof.len(), 3);
        let long = [proof.clone(), vec![Hash::ZERO; 2]].concat();
        assert_eq!(
            verify_inclusion(&all[2], 2, 7, &long, &root7).unwrap_err().to_string(),
            "R-MRK-3: proof has 5 hashes, expected 3 for leaf 2 in tree of size 7"
        );
        assert_eq!(
            verify_inclusion(&all[2], 2, 7, &proof, &Hash::ZERO).unwrap_err().to_string(),
            format!("R-MRK-8: computed root {root7}, expected {}", "0".repeat(64))
        );
        assert_eq!(
            verify_inclusion(&all[2], 7, 7, &proof, &root7).unwrap_err().to_string(),
            "R-MRK-6: leaf index 7 is out of range for tree of size 7"
        );
        assert_eq!(
            verify_consistency(0, 7, &[], &empty_root(), &root7).unwrap_err().to_string(),
            "R-MRK-7: consistency from size 0 to size 7 refused, expected 0 < size1 <= size2"
        );
        assert_eq!(
            verify_consistency(3, 7, &[], &root7, &root7).unwrap_err().to_string(),
            "R-MRK-4: proof has 0 hashes, expected 4 for consistency from size 3 to size 7"
        );
        assert_eq!(
            hash_from_slice(&[0; 33]).unwrap_err().to_string(),
            "R-MRK-9: hash is 33 bytes, expected 32"
        );
    }

    #[test]
    fn oversized_proofs_are_refused_before_anything_else() {
        // R-MRK-5: even with other faults present, the length limit speaks first.
        let proof = vec![Hash::ZERO; PROOF_HASHES_MAX + 1];
        let too_long = MerkleError::ProofTooLong { got: 64, max: 63 };
        assert_eq!(verify_inclusion(&Hash::ZERO, 9, 3, &proof, &Hash::ZERO), Err(too_long.clone()));
        assert_eq!(verify_consistency(0, 0, &proof, &Hash::ZERO, &Hash::ZERO), Err(too_long));
        // The largest trees need 64 hashes for some leaves, so they cannot prove them (R-MRK-5).
        let big = Synthetic { reads: Cell::new(0) };
        let p = inclusion_proof(&big, 0, u64::MAX).unwrap();
        assert_eq!(p.len(), 64);
        assert!(matches!(
            verify_inclusion(&Hash::ZERO, 0, u64::MAX, &p, &Hash::ZERO),
            Err(MerkleError::ProofTooLong { .. })
        ));
        // Consistency proofs can be one hash longer than the tree is deep: 2^62 leaves is
        // the largest size all of whose proofs fit.
        assert_eq!(consistency_proof_len((1 << 62) + 1, 1 << 63), 64);
        assert_eq!(consistency_proof(&big, (1 << 62) + 1, 1 << 63).unwrap().len(), 64);
        assert!((1..=64).all(|m| consistency_proof_len(m, 1 << 62) <= PROOF_HASHES_MAX));
        assert_eq!(consistency_proof_len((1 << 61) + 1, 1 << 62), 63);
    }

    #[test]
    fn sizes_and_indexes_are_checked() {
        let all = leaves(5);
        let tree = tree_of(&all);
        let r = tree.root().unwrap();
        // R-MRK-6.
        assert!(matches!(tree.inclusion_proof(5, 5), Err(MerkleError::IndexOutOfRange { .. })));
        assert!(matches!(verify_inclusion(&all[0], 0, 0, &[], &r), Err(MerkleError::IndexOutOfRange { .. })));
        assert!(matches!(
            verify_inclusion(&all[0], u64::MAX, 5, &[], &r),
            Err(MerkleError::IndexOutOfRange { .. })
        ));
        // R-MRK-7.
        for (s1, s2) in [(0, 0), (0, 5), (3, 2), (6, 5)] {
            assert_eq!(
                tree.consistency_proof(s1, s2),
                Err(MerkleError::SizesInvalid { size1: s1, size2: s2 })
            );
            assert_eq!(
                verify_consistency(s1, s2, &[], &r, &r),
                Err(MerkleError::SizesInvalid { size1: s1, size2: s2 })
            );
        }
        // Equal sizes: empty proof (R-MRK-4) and equal roots (R-MRK-8).
        assert_eq!(tree.consistency_proof(5, 5), Ok(vec![]));
        assert_eq!(verify_consistency(5, 5, &[], &r, &r), Ok(()));
        assert!(matches!(
            verify_consistency(5, 5, &[r], &r, &r),
            Err(MerkleError::ConsistencyProofLength { .. })
        ));
        assert!(matches!(verify_consistency(5, 5, &[], &r, &all[0]), Err(MerkleError::RootMismatch { .. })));
    }

    #[test]
    fn inclusion_proof_does_not_bind_the_tree_size() {
        // Leaf 0 takes the same left/right path in trees of 3 and 4 leaves, so the proof for
        // size 3 also "verifies" at size 4 against the size-3 root. This is RFC 9162
        // behaviour: the size is bound by the signed checkpoint, which signs size and root
        // together (see docs/PROTOCOL.md §11).
        let all = leaves(4);
        let tree = tree_of(&all);
        let proof = tree.inclusion_proof(0, 3).unwrap();
        let root3 = root(&tree, 3).unwrap();
        assert_eq!(verify_inclusion(&all[0], 0, 4, &proof, &root3), Ok(()));
        // Against the real size-4 root it fails.
        assert!(verify_inclusion(&all[0], 0, 4, &proof, &tree.root().unwrap()).is_err());
    }

    #[test]
    fn storage_errors() {
        let tree = tree_of(&leaves(5));
        // Size 6 needs node (1, 2), which a 5-leaf tree has not stored yet.
        assert_eq!(root(&tree, 6), Err(MerkleError::MissingNode { level: 1, index: 2 }));
        assert!(matches!(tree.inclusion_proof(0, 6), Err(MerkleError::MissingNode { .. })));
        let big = Synthetic { reads: Cell::new(0) };
        assert_eq!(append(&big, u64::MAX, Hash::ZERO), Err(MerkleError::TreeFull { tree_size: u64::MAX }));
    }

    #[test]
    fn reads_are_logarithmic() {
        let big = Synthetic { reads: Cell::new(0) };
        let mut worst = 0;
        for size in [u64::MAX, u64::MAX - 1, 1 << 63, (1 << 63) + 1, 0x5555_5555_5555_5555, 1_000_003] {
            for m in [0, 1, size / 2, size / 3, size - 2, size - 1] {
                big.reads.set(0);
                inclusion_proof(&big, m, size).unwrap();
                worst = worst.max(big.reads.get());
                big.reads.set(0);
                consistency_proof(&big, m + 1, size).unwrap();
                worst = worst.max(big.reads.get());
            }
            big.reads.set(0);
            root(&big, size).unwrap();
            assert!(big.reads.get() <= 64);
        }
        // One hash per level, plus at most one right-edge subtree folded from <= 64 nodes.
        assert!(worst <= 2 * 64, "{worst} reads");
    }

    /// Leaves of random content: the tree size and the data both vary.
    fn leaf_data(max: usize) -> impl Strategy<Value = Vec<Hash>> {
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..16), 1..=max)
            .prop_map(|data| data.iter().map(|d| leaf_hash(d)).collect())
    }

    proptest! {
        #[test]
        fn prop_every_inclusion_proof_verifies(all in leaf_data(300), picks in prop::collection::vec((any::<u64>(), any::<u64>()), 16)) {
            let tree = tree_of(&all);
            let n = tree.size();
            let reference = root_from_leaves(&all);
            prop_assert_eq!(tree.root().unwrap(), reference);
            for (m, leaf) in (0u64..).zip(&all) {
                let proof = tree.inclusion_proof(m, n).unwrap();
                prop_assert_eq!(verify_inclusion(leaf, m, n, &proof, &reference), Ok(()));
            }
            // Earlier sizes, against their reference roots.
            for (a, b) in picks {
                let size = 1 + a % n;
                let m = b % size;
                let proof = tree.inclusion_proof(m, size).unwrap();
                let r = root_from_leaves(prefix(&all, size));
                prop_assert_eq!(verify_inclusion(&all[m as usize], m, size, &proof, &r), Ok(()));
            }
        }

        #[test]
        fn prop_consistency_proofs_verify(all in leaf_data(300), picks in prop::collection::vec((any::<u64>(), any::<u64>()), 24)) {
            let tree = tree_of(&all);
            let n = tree.size();
            for (a, b) in picks {
                let s2 = 1 + a % n;
                let s1 = 1 + b % s2;
                let proof = tree.consistency_proof(s1, s2).unwrap();
                let (r1, r2) = (root_from_leaves(prefix(&all, s1)), root_from_leaves(prefix(&all, s2)));
                prop_assert_eq!(verify_consistency(s1, s2, &proof, &r1, &r2), Ok(()), "{} -> {}", s1, s2);
            }
        }

    }

    proptest! {
        // Each case flips every bit of every hash involved (thousands of verifications), so
        // fewer cases cover as much as the default 256 do above.
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn prop_tampered_inclusion_fails(all in leaf_data(300), a in any::<u64>(), b in any::<u64>()) {
            let tree = tree_of(&all);
            let total = tree.size();
            let n = 1 + a % total;
            let m = b % n;
            let leaf = all[m as usize];
            let proof = tree.inclusion_proof(m, n).unwrap();
            let r = root(&tree, n).unwrap();
            prop_assert_eq!(verify_inclusion(&leaf, m, n, &proof, &r), Ok(()));
            for bit in 0..256 {
                prop_assert!(verify_inclusion(&flip(&leaf, bit), m, n, &proof, &r).is_err());
                prop_assert!(verify_inclusion(&leaf, m, n, &proof, &flip(&r, bit)).is_err());
                for i in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[i] = flip(&bad[i], bit);
                    prop_assert!(verify_inclusion(&leaf, m, n, &bad, &r).is_err(), "hash {} bit {}", i, bit);
                }
            }
            prop_assert!(verify_inclusion(&leaf, m, n, &[proof.clone(), vec![r]].concat(), &r).is_err());
            if let Some((_, shorter)) = proof.split_last() {
                prop_assert!(verify_inclusion(&leaf, m, n, shorter, &r).is_err());
            }
            // Another index, or another size with its own root: refused unless the proof is
            // also the honest proof for those parameters.
            for other in (0..n).filter(|&o| o != m) {
                let honest = tree.inclusion_proof(other, n).unwrap();
                prop_assert!(honest == proof || verify_inclusion(&leaf, other, n, &proof, &r).is_err(), "index {}", other);
            }
            for size in (m + 1..=total).filter(|&s| s != n) {
                let honest = tree.inclusion_proof(m, size).unwrap();
                let r_size = root(&tree, size).unwrap();
                prop_assert!(honest == proof || verify_inclusion(&leaf, m, size, &proof, &r_size).is_err(), "size {}", size);
            }
        }

        #[test]
        fn prop_tampered_consistency_fails(all in leaf_data(300), a in any::<u64>(), b in any::<u64>()) {
            let tree = tree_of(&all);
            let total = tree.size();
            let s2 = 1 + a % total;
            let s1 = 1 + b % s2;
            let proof = tree.consistency_proof(s1, s2).unwrap();
            let (r1, r2) = (root(&tree, s1).unwrap(), root(&tree, s2).unwrap());
            prop_assert_eq!(verify_consistency(s1, s2, &proof, &r1, &r2), Ok(()));
            for bit in 0..256 {
                prop_assert!(verify_consistency(s1, s2, &proof, &flip(&r1, bit), &r2).is_err());
                prop_assert!(verify_consistency(s1, s2, &proof, &r1, &flip(&r2, bit)).is_err());
                for i in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[i] = flip(&bad[i], bit);
                    prop_assert!(verify_consistency(s1, s2, &bad, &r1, &r2).is_err(), "hash {} bit {}", i, bit);
                }
            }
            prop_assert!(verify_consistency(s1, s2, &[proof.clone(), vec![r1]].concat(), &r1, &r2).is_err());
            if let Some((_, shorter)) = proof.split_last() {
                prop_assert!(verify_consistency(s1, s2, shorter, &r1, &r2).is_err());
            }
            // Other sizes with their own roots: refused unless the proof is also the honest one.
            for other in (1..=s2).filter(|&o| o != s1) {
                let honest = tree.consistency_proof(other, s2).unwrap();
                let r_other = root(&tree, other).unwrap();
                prop_assert!(honest == proof || verify_consistency(other, s2, &proof, &r_other, &r2).is_err(), "size1 {}", other);
            }
            for other in (s1..=total).filter(|&o| o != s2) {
                let honest = tree.consistency_proof(s1, other).unwrap();
                let r_other = root(&tree, other).unwrap();
                prop_assert!(honest == proof || verify_consistency(s1, other, &proof, &r1, &r_other).is_err(), "size2 {}", other);
            }
        }
    }
}
