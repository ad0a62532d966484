//! The worked example of `docs/PROTOCOL.md` §13, from fixed test seeds. Run with
//! `cargo test -p vouch-core --test checkpoint_example -- --nocapture` to print it; the
//! test fails when a byte drifts from the copy below (and in the doc).

use vouch_core::checkpoint::{
    Checkpoint, CosignedCheckpoint, cosign_checkpoint, cosigner_name, verify_quorum,
};
use vouch_core::encoding::Hash;
use vouch_core::keys::SigningKey;
use vouch_core::note::{SIG_TYPE_COSIGNATURE_V1, VerifierKey, key_id};

const EXPECTED_NOTE: &str = concat!(
    "vouch.example/net-1\n",
    "1\n",
    "iipcm3aIJ95alVLDigRMZpWcaPbS8htSYK9U0vh9uCc=\n",
    "\n",
    "— vouch.example/net-1/val-a BSEwQQAAAABpVbkAseVuFr1Bzn/2emZ2f3NpdCBAQcrGPze9DjTGZc+Di6EFIrIohHoyNcNdYi/wijXm4ZufQLM3Pkc/JWOmLqPEBQ==\n",
    "— vouch.example/net-1/val-b eWpkQAAAAABpVbkA/7/An63XPTw1Bec8IpAlvQV1EGMfrIyMWpZ+PNdwhAnXOzmeUPCjop1qOlC1bOhU/sChIOd/LMDVj6hvlohACQ==\n",
    "— vouch.example/net-1/val-c fR3J9wAAAABpVbkAEZ9UvZz+0jgaEoyEVk/JabGAiXdIp5syY+i6ceaJqOafN0o52M9KaD9p0YW5rkGj2iFad70uwBxkXgijD5PTBw==\n",
);

#[test]
fn worked_example() {
    let origin = "vouch.example/net-1";
    // The root of a tree of one leaf "hello" under RFC 9162: SHA-256(0x00 || "hello").
    let root = Hash::sha256_parts(&[&[0x00], b"hello"]);
    let cp = Checkpoint::new(origin, 1, root).unwrap();
    let validators = [("val-a", 0xa1u8, 1u64), ("val-b", 0xb2, 1), ("val-c", 0xc3, 1), ("val-d", 0xd4, 1)];
    let timestamp = 1_767_225_600; // 2026-01-01T00:00:00Z

    println!("== checkpoint body ==\n{}", cp.to_body());
    println!(
        "== cosigned message (timestamp {timestamp}) ==\n{}",
        String::from_utf8(cp.cosigned_message(timestamp)).unwrap()
    );
    let mut set = Vec::new();
    let mut cosignatures = Vec::new();
    for (validator, seed, power) in validators {
        let key = SigningKey::from_seed(&[seed; 32]);
        let name = cosigner_name(origin, validator).unwrap();
        let vkey = VerifierKey::new(&name, SIG_TYPE_COSIGNATURE_V1, key.public()).unwrap();
        assert_eq!(vkey.key_id, key_id(&name, 0x04, &key.public()));
        println!("validator {validator}: seed [0x{seed:02x}; 32], power {power}");
        println!("  public key   {}", key.public().to_b64());
        println!("  cosigner     {name}");
        println!("  key id       {:08x}", vkey.key_id);
        println!("  verifier key {vkey}");
        set.push((name.clone(), key.public(), power));
        // val-d does not cosign: 3 of 4 is more than two thirds.
        if validator != "val-d" {
            cosignatures.push(cosign_checkpoint(&cp, &name, &key, timestamp).unwrap());
        }
    }
    let note =
        CosignedCheckpoint { checkpoint: cp, cosignatures, other_signatures: vec![] }.to_note().unwrap();
    println!("== note ==\n{note}== end ==");
    let report = verify_quorum(&CosignedCheckpoint::parse_note(note.as_bytes()).unwrap(), &set).unwrap();
    assert_eq!((report.signed_power, report.total_power), (3, 4));
    assert_eq!(note, EXPECTED_NOTE, "the worked example drifted; update docs/PROTOCOL.md §13 too");
}
