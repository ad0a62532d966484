//! Cross-check our HPKE key wrapping against a second, independent implementation
//! (`hpke-rs` with its RustCrypto provider), in both directions.

use hpke_rs::hpke_types::{AeadAlgorithm, KdfAlgorithm, KemAlgorithm};
use hpke_rs::{Hpke, HpkePrivateKey, HpkePublicKey, Mode};
use hpke_rs_rust_crypto::HpkeRustCrypto;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use vouch_core::domain::CONTENT_KEY_WRAP;
use vouch_core::encoding::Fixed;
use vouch_core::keys::DecryptionKey;
use vouch_core::seal::{WrappedKey, open, seal, unwrap_key};

fn other_hpke() -> Hpke<HpkeRustCrypto> {
    Hpke::try_new(
        Mode::Base,
        KemAlgorithm::DhKem25519,
        KdfAlgorithm::HkdfSha256,
        AeadAlgorithm::ChaCha20Poly1305,
    )
    .unwrap()
}

#[test]
fn our_wrapped_keys_open_with_hpke_rs() {
    let parties: Vec<_> = (1..=4u8)
        .map(|n| (format!("org/bank-{n}"), DecryptionKey::from_bytes([n.wrapping_mul(37); 32])))
        .collect();
    let to: Vec<_> = parties.iter().map(|(l, k)| (l.clone(), k.public())).collect();
    let contents = serde_json::json!({"account": "40702810000000001234", "amount": "1250000.00"});
    let (sealed, key) = seal(&contents, &to, &mut ChaCha20Rng::seed_from_u64(42)).unwrap();
    for ((_, dk), recipient) in parties.iter().zip(&sealed.recipients) {
        let sk = HpkePrivateKey::new(dk.to_bytes().to_vec());
        let k = other_hpke()
            .open(
                &recipient.key.enc.0,
                &sk,
                CONTENT_KEY_WRAP.bytes(),
                sealed.commitment.as_bytes(),
                &recipient.key.ct.0,
                None,
                None,
                None,
            )
            .unwrap();
        assert_eq!(k.as_slice(), &key.to_bytes()[..], "recipient {}", recipient.to);
    }
}

#[test]
fn hpke_rs_wrapped_keys_open_with_ours() {
    let dk = DecryptionKey::from_bytes([0x5a; 32]);
    let to = vec![("org/bank-a".to_string(), dk.public())];
    let (sealed, key) = seal(&"contents", &to, &mut ChaCha20Rng::seed_from_u64(1)).unwrap();
    let pk = HpkePublicKey::new(dk.public().to_bytes().to_vec());
    let (enc, ct) = other_hpke()
        .seal(
            &pk,
            CONTENT_KEY_WRAP.bytes(),
            sealed.commitment.as_bytes(),
            &key.to_bytes()[..],
            None,
            None,
            None,
        )
        .unwrap();
    let wrapped = WrappedKey {
        enc: Fixed(enc.as_slice().try_into().unwrap()),
        ct: Fixed(ct.as_slice().try_into().unwrap()),
    };
    let k = unwrap_key(&wrapped, &sealed.commitment, &dk).unwrap();
    assert_eq!(*k.to_bytes(), *key.to_bytes());
    let opening = open::<String>(&sealed, &k).unwrap();
    assert_eq!(opening.contents, "contents");
}
