//! Own the bridge between Vouch and Malachite: the consensus types, their signing bytes
//! and their encoding.

pub mod codec;
pub mod signing;
pub mod types;
