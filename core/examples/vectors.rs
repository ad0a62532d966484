//! Regenerate the golden vectors: `cargo run -p vouch-core --example vectors -- core/tests/vectors/golden`.
//!
//! Run this only when a change to signed bytes is intended, and log it in
//! `docs/CHANGELOG-PROTOCOL.md`; `core/tests/golden.rs` fails until the files match again.

#![allow(clippy::disallowed_methods)] // an example writes files; the library never does

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "core/tests/vectors/golden".into()));
    let files = vouch_core::testkit::golden::golden_files()?;
    for (name, bytes) in &files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes)?;
    }
    println!("wrote {} files to {}", files.len(), dir.display());
    Ok(())
}
