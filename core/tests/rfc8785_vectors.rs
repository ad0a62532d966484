//! RFC 8785 (JCS) vectors: every `input/X.json` canonicalizes to exactly `output/X.json`
//! (cyberphone/json-canonicalization test data, copied in `tests/vectors/public/rfc8785`).
#![allow(clippy::disallowed_methods)]

use std::path::Path;

#[test]
fn every_rfc8785_vector_canonicalizes_exactly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/public/rfc8785");
    let inputs = std::fs::read_dir(dir.join("input"))
        .unwrap_or_else(|e| panic!("RFC 8785 vectors missing at {}: {e}", dir.display()));
    let mut count = 0;
    for entry in inputs {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_owned();
        let input: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let expected = std::fs::read(dir.join("output").join(&name)).unwrap();
        let got = vouch_core::canonical::to_canonical(&input);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&expected),
            "{} does not canonicalize to its expected output",
            path.display()
        );
        // And our strict decoder accepts the canonical form as such.
        let back: serde_json::Value =
            vouch_core::canonical::from_canonical("vector", &expected, usize::MAX).unwrap();
        assert_eq!(vouch_core::canonical::to_canonical(&back), expected);
        count += 1;
    }
    assert_eq!(count, 6, "expected the six RFC 8785 vector files");
}
