//! Check our PKCS#8 and public-key PEM against OpenSSL 3.0, in both directions, and that
//! OpenSSL's Ed25519 signatures pass our `verify_strict`.
//!
//! OpenSSL is required: CI installs it, and a missing binary fails these tests with a hint
//! rather than skipping them, so interop can never silently go unchecked.
#![allow(clippy::disallowed_methods)]

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use vouch_core::keys::{DecryptionKey, Signature, SigningKey};

/// A scratch directory removed on drop, unique per test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("vouch-openssl-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run `openssl args…` and return its stdout; fail loudly if OpenSSL is absent or errs.
fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl").args(args).output().unwrap_or_else(|e| {
        panic!(
            "could not run `openssl` ({e}). These interop tests need OpenSSL 3.x on PATH: \
             install it (`apt-get install openssl`, `brew install openssl@3`) and rerun."
        )
    });
    assert!(
        out.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn public_pem_of(private_pem: &Path) -> String {
    String::from_utf8(openssl(&["pkey", "-in", path_str(private_pem), "-pubout"])).unwrap()
}

#[test]
fn openssl_is_version_3() {
    let version = String::from_utf8(openssl(&["version"])).unwrap();
    assert!(version.starts_with("OpenSSL 3."), "need OpenSSL 3.x, found {version}");
}

#[test]
fn openssl_reads_our_ed25519_pem() {
    let dir = Scratch::new("ed25519-ours");
    let key = SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(1));
    let pem = dir.path("k.pem");
    std::fs::write(&pem, key.to_pkcs8_pem().as_bytes()).unwrap();
    assert_eq!(public_pem_of(&pem), key.public().to_public_pem());
}

#[test]
fn openssl_reads_our_x25519_pem() {
    let dir = Scratch::new("x25519-ours");
    let key = DecryptionKey::generate(&mut ChaCha20Rng::seed_from_u64(2));
    let pem = dir.path("k.pem");
    std::fs::write(&pem, key.to_pkcs8_pem().as_bytes()).unwrap();
    assert_eq!(public_pem_of(&pem), key.public().to_public_pem());
}

#[test]
fn we_read_openssl_ed25519_keys_and_verify_its_signatures() {
    let dir = Scratch::new("ed25519-theirs");
    let pem = dir.path("k.pem");
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", path_str(&pem)]);
    let key = SigningKey::from_pkcs8_pem(&std::fs::read_to_string(&pem).unwrap()).unwrap();
    assert_eq!(public_pem_of(&pem), key.public().to_public_pem());

    let message = b"vouch: balance confirmation 0001\n";
    let msg = dir.path("msg.bin");
    let sig = dir.path("sig.bin");
    std::fs::write(&msg, message).unwrap();
    openssl(&[
        "pkeyutl",
        "-sign",
        "-inkey",
        path_str(&pem),
        "-rawin",
        "-in",
        path_str(&msg),
        "-out",
        path_str(&sig),
    ]);
    let sig: [u8; 64] = std::fs::read(&sig).unwrap().try_into().unwrap();
    assert_eq!(key.public().verify_raw(message, &Signature(sig)), Ok(()));
    assert!(key.public().verify_raw(b"another message", &Signature(sig)).is_err());
}

#[test]
fn openssl_signs_with_our_ed25519_key() {
    let dir = Scratch::new("ed25519-sign-ours");
    let key = SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(3));
    let pem = dir.path("k.pem");
    std::fs::write(&pem, key.to_pkcs8_pem().as_bytes()).unwrap();
    let message = b"signed by openssl with a key vouch wrote";
    let msg = dir.path("msg.bin");
    let sig = dir.path("sig.bin");
    std::fs::write(&msg, message).unwrap();
    openssl(&[
        "pkeyutl",
        "-sign",
        "-inkey",
        path_str(&pem),
        "-rawin",
        "-in",
        path_str(&msg),
        "-out",
        path_str(&sig),
    ]);
    let sig: [u8; 64] = std::fs::read(&sig).unwrap().try_into().unwrap();
    assert_eq!(key.public().verify_raw(message, &Signature(sig)), Ok(()));
}

#[test]
fn we_read_openssl_x25519_keys() {
    let dir = Scratch::new("x25519-theirs");
    let pem = dir.path("k.pem");
    openssl(&["genpkey", "-algorithm", "x25519", "-out", path_str(&pem)]);
    let key = DecryptionKey::from_pkcs8_pem(&std::fs::read_to_string(&pem).unwrap()).unwrap();
    assert_eq!(public_pem_of(&pem), key.public().to_public_pem());
}
