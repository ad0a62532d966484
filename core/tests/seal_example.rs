//! Produce the worked sealing example in `docs/PROTOCOL.md` §8 and fail when
//! a byte of it drifts. Run with `--nocapture` to print it.

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore as _, SeedableRng as _};
use vouch_core::canonical::to_canonical;
use vouch_core::keys::DecryptionKey;
use vouch_core::seal::{Opening, commitment_of, open, seal};

const SEED: u64 = 2025;

fn contents() -> serde_json::Value {
    serde_json::json!({"account": "40702810000000001234", "amount": "1250000.00", "currency": "RUB"})
}

fn recipients() -> Vec<(String, DecryptionKey)> {
    vec![
        ("org/bank-a".to_string(), DecryptionKey::from_bytes([0x11; 32])),
        ("org/audit-b".to_string(), DecryptionKey::from_bytes([0x22; 32])),
    ]
}

#[test]
fn worked_example() {
    let parties = recipients();
    let to: Vec<_> = parties.iter().map(|(l, k)| (l.clone(), k.public())).collect();

    // The same draws seal() makes, so the example lists every random input explicitly.
    let mut draws = ChaCha20Rng::seed_from_u64(SEED);
    let mut take = || {
        let mut b = [0u8; 32];
        draws.fill_bytes(&mut b);
        b
    };
    let (salt, content_key) = (take(), take());
    let ikm_e: Vec<[u8; 32]> = parties.iter().map(|_| take()).collect();

    let (sealed, key) = seal(&contents(), &to, &mut ChaCha20Rng::seed_from_u64(SEED)).unwrap();
    assert_eq!(*key.to_bytes(), content_key);
    let opening: Opening<serde_json::Value> = open(&sealed, &key).unwrap();
    assert_eq!(opening.salt.0, salt);
    assert_eq!(commitment_of(&opening), sealed.commitment);
    for (label, dk) in &parties {
        assert_eq!(*sealed.open_as(label, dk).unwrap().to_bytes(), content_key);
    }

    println!("contents: {}", String::from_utf8(to_canonical(&contents())).unwrap());
    println!("salt (hex): {}", hex::encode(salt));
    println!("P: {}", String::from_utf8(to_canonical(&opening)).unwrap());
    println!("C (hex): {}", sealed.commitment.to_hex());
    println!("K (hex): {}", hex::encode(content_key));
    for ((label, dk), ikm) in parties.iter().zip(&ikm_e) {
        println!(
            "recipient {label}: skR {} pkR {} ikmE {}",
            hex::encode(*dk.to_bytes()),
            hex::encode(dk.public().to_bytes()),
            hex::encode(ikm)
        );
    }
    println!("sealed: {}", String::from_utf8(to_canonical(&sealed)).unwrap());

    assert_eq!(sealed.commitment.to_hex(), EXPECTED_COMMITMENT, "worked example drifted");
    assert_eq!(String::from_utf8(to_canonical(&sealed)).unwrap(), EXPECTED_SEALED, "worked example drifted");
}

const EXPECTED_COMMITMENT: &str = "8d53f3781a27bbf43199e485f1d1e403cde15e797576612280a9e5a3178073cd";
const EXPECTED_SEALED: &str = r#"{"ciphertext":"AWvR83JHWe3MkZ9a0FvwSujKOZBtyEDZkdZHrIPGwCAmrg3lMw1WTQ+5sLs46cc0+3BK3PWXNUv2K3etvrgADPRkTJreDsmFUh48NtSIevvPD1UsBZrFp0uaktR+3+CQK/z3ZxzhFR9ISC7dpymY5f9kMNnJeO5v/pvBjXS0CBRN8kwAdf1HmCrtplkyfPpII9IODoodWGkrRHvS","commitment":"8d53f3781a27bbf43199e485f1d1e403cde15e797576612280a9e5a3178073cd","recipients":[{"key":{"ct":"qSAsORHS2VfwjjdqPTx7AghhLib7+n+AQ+Iu6JroTygYod3aHIX6Na4jZ7czUgp5","enc":"D4Bbcn7mZ9JejxPsmfN1dnG7B+Y33EwhWUevYMQJ+X4="},"to":"org/bank-a"},{"key":{"ct":"lGk2jjhrnEwaurBeo2gDG0uDzAlpbXVQ4NdKamj7QLFqRWkEaakiR5l+DqwC+aSN","enc":"C0BcsYVNQf/o5fsusFN77bpcXhUDkxM2LUH8c+2yVhs="},"to":"org/audit-b"}]}"#;
