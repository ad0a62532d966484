//! Seeded byte mutations for the bad-input tests of every crate: bit flips, overwrites,
//! insertions, deletions, truncations and splices of pieces of other valid inputs.
//!
//! Starting from valid inputs and changing one to three things keeps most mutants close
//! to well-formed, so they reach the deep checks (signatures, state rules, ranges) and
//! not only the first parse. The replacement bytes lean toward the ones that matter to
//! JSON, signed notes, base64 and Borsh length prefixes. A seed replays the same mutants.

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// Bytes that change meaning in JSON, notes, base64 and Borsh, and the first byte of a
/// UTF-8 em dash.
pub const INTERESTING: &[u8] = b"{}[]\":,\\ \n0123456789-+.eE/=AQZaqzntrufl\xe2\x80\x94\x00\x01\x7f\x80\xff";

/// One change to a byte string. Positions are taken modulo the length at the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    /// XOR one byte with a non-zero mask.
    Flip {
        /// Position.
        at: usize,
        /// Mask.
        mask: u8,
    },
    /// Overwrite one byte.
    Set {
        /// Position.
        at: usize,
        /// New byte.
        byte: u8,
    },
    /// Insert one byte.
    Insert {
        /// Position.
        at: usize,
        /// The byte.
        byte: u8,
    },
    /// Delete one byte.
    Delete {
        /// Position.
        at: usize,
    },
    /// Keep only the first `at` bytes.
    Truncate {
        /// New length (modulo the old one).
        at: usize,
    },
    /// Copy up to `len` bytes of another input over, or into, this one.
    Splice {
        /// Which input of the pool.
        from: usize,
        /// Where in it.
        src: usize,
        /// How many bytes.
        len: usize,
        /// Where in this one.
        dst: usize,
        /// Overwrite rather than insert.
        overwrite: bool,
    },
}

impl Mutation {
    /// Apply to `bytes`; a splice takes its piece from `pool` (nothing happens if empty).
    pub fn apply(&self, bytes: &mut Vec<u8>, pool: &[&[u8]]) {
        let pos = |at: usize, len: usize| if len == 0 { 0 } else { at % len };
        match *self {
            Mutation::Flip { at, mask } => {
                let i = pos(at, bytes.len());
                if let Some(b) = bytes.get_mut(i) {
                    *b ^= mask;
                }
            }
            Mutation::Set { at, byte } => {
                let i = pos(at, bytes.len());
                if let Some(b) = bytes.get_mut(i) {
                    *b = byte;
                }
            }
            Mutation::Insert { at, byte } => {
                let i = pos(at, bytes.len() + 1);
                bytes.insert(i, byte);
            }
            Mutation::Delete { at } if !bytes.is_empty() => {
                let i = pos(at, bytes.len());
                bytes.remove(i);
            }
            Mutation::Truncate { at } => {
                let i = pos(at, bytes.len());
                bytes.truncate(i);
            }
            Mutation::Splice { from, src, len, dst, overwrite } if !pool.is_empty() => {
                let Some(source) = pool.get(from % pool.len()).filter(|s| !s.is_empty()) else { return };
                let s = src % source.len();
                let piece = source.get(s..s.saturating_add(len).min(source.len())).unwrap_or_default();
                let d = pos(dst, bytes.len() + 1);
                let end = if overwrite { d.saturating_add(piece.len()).min(bytes.len()) } else { d };
                bytes.splice(d..end, piece.iter().copied());
            }
            _ => {}
        }
    }
}

/// A seeded source of mutants.
#[derive(Debug, Clone)]
pub struct Mutator {
    rng: ChaCha20Rng,
}

impl Mutator {
    /// Mutants from `seed`: the same seed gives the same sequence.
    pub fn new(seed: u64) -> Mutator {
        Mutator { rng: ChaCha20Rng::seed_from_u64(seed) }
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.rng.next_u64() % n as u64) as usize }
    }

    /// A 64-bit number, for values a test draws itself.
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    fn byte(&mut self) -> u8 {
        let [any, ..] = self.rng.next_u32().to_le_bytes();
        if self.below(2) == 0 {
            any
        } else {
            INTERESTING.get(self.below(INTERESTING.len())).copied().unwrap_or(any)
        }
    }

    /// One random mutation.
    pub fn mutation(&mut self) -> Mutation {
        let at = self.rng.next_u64() as usize;
        match self.below(13) {
            0..=2 => Mutation::Flip { at, mask: 1 << self.below(8) },
            3..=5 => Mutation::Set { at, byte: self.byte() },
            6..=7 => Mutation::Insert { at, byte: self.byte() },
            8..=9 => Mutation::Delete { at },
            10 => Mutation::Truncate { at },
            _ => Mutation::Splice {
                from: self.rng.next_u64() as usize,
                src: self.rng.next_u64() as usize,
                len: 1 + self.below(95),
                dst: self.rng.next_u64() as usize,
                overwrite: self.below(2) == 0,
            },
        }
    }

    /// `original` with one to three random mutations (splices take from `pool`).
    pub fn mutate(&mut self, original: &[u8], pool: &[&[u8]]) -> Vec<u8> {
        let mut bytes = original.to_vec();
        for _ in 0..1 + self.below(3) {
            self.mutation().apply(&mut bytes, pool);
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_replays_and_mutants_differ() {
        let original = br#"{"a":[1,2,3],"b":"text"}"#;
        let (mut a, mut b) = (Mutator::new(7), Mutator::new(7));
        let mut changed = 0;
        for _ in 0..1_000 {
            let m = a.mutate(original, &[b"other"]);
            assert_eq!(m, b.mutate(original, &[b"other"]));
            changed += usize::from(m != original);
        }
        // A flip always changes a byte; only rare combinations give the original back.
        assert!(changed > 900, "{changed} of 1000 mutants differ from the original");
    }

    #[test]
    fn every_mutation_handles_empty_input_and_pool() {
        for m in [
            Mutation::Flip { at: 5, mask: 1 },
            Mutation::Set { at: 5, byte: 0 },
            Mutation::Insert { at: 5, byte: b'x' },
            Mutation::Delete { at: 5 },
            Mutation::Truncate { at: 5 },
            Mutation::Splice { from: 1, src: 2, len: 3, dst: 4, overwrite: true },
        ] {
            let mut empty = Vec::new();
            m.apply(&mut empty, &[]);
            m.apply(&mut empty, &[b""]);
            let mut one = vec![b'q'];
            m.apply(&mut one, &[b"abc"]);
        }
        let mut bytes = b"abcdef".to_vec();
        Mutation::Splice { from: 0, src: 1, len: 2, dst: 0, overwrite: true }.apply(&mut bytes, &[b"XYZ"]);
        assert_eq!(bytes, b"YZcdef");
    }
}
