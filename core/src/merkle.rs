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
/// `docs/protocol/merkle.md` that was broken.
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

    /// Number of nodes stored, over all levels.
    pub fn stored_nodes(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// The current root.
    pub fn root(&self) -> Result<Hash, MerkleError> {
        root(self, self.size)
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
