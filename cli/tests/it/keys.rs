//! `vouch keys`: generate, show, export-public, and OpenSSL reading what we write.

use crate::support::{Dir, arg, vouch};
use std::process::Command;

/// `openssl args…` stdout, or `None` (with a notice) when OpenSSL is not on PATH.
fn openssl(args: &[&str]) -> Option<String> {
    match Command::new("openssl").args(args).output() {
        Ok(out) => {
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            Some(String::from_utf8(out.stdout).expect("utf-8"))
        }
        Err(e) => {
            eprintln!("NOTICE: skipping the OpenSSL comparison: cannot run `openssl` ({e})");
            None
        }
    }
}

#[test]
fn generate_show_export_round_trip() {
    let dir = Dir::new();
    let key = dir.path("admin.pem");
    let generated = vouch(&["keys", "generate", "--out", &arg(&key), "--json"]).expect(0).json();
    assert_eq!(generated["algorithm"], "ed25519");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "private keys are readable by the owner only");
    }
    let pem = std::fs::read_to_string(&key).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let signing = vouch_core::keys::SigningKey::from_pkcs8_pem(&pem).expect("core reads it");
    assert_eq!(generated["public_key_base64"], signing.public().to_b64());

    let shown = vouch(&["keys", "show", &arg(&key), "--json"]).expect(0).json();
    assert_eq!(shown["public_key_base64"], generated["public_key_base64"]);
    assert_eq!(shown["public_key_hex"].as_str().unwrap().len(), 64);
    assert_eq!(shown["private"], true);
    let text = vouch(&["keys", "show", &arg(&key)]).expect(0).stdout;
    assert!(text.contains(&signing.public().to_b64()), "{text}");

    // Printed, then written; the public file reads back as the same public key.
    let printed = vouch(&["keys", "export-public", &arg(&key)]).expect(0).stdout;
    assert_eq!(printed, signing.public().to_public_pem());
    let public = dir.path("admin.pub.pem");
    vouch(&["keys", "export-public", &arg(&key), "--out", &arg(&public)]).expect(0);
    assert_eq!(std::fs::read_to_string(&public).unwrap(), printed);
    let shown_public = vouch(&["keys", "show", &arg(&public), "--json"]).expect(0).json();
    assert_eq!(shown_public["public_key_base64"], generated["public_key_base64"]);
    assert_eq!(shown_public["private"], false);
    // export-public wants a private key.
    let run = vouch(&["keys", "export-public", &arg(&public)]).expect(2);
    assert!(run.stderr.contains("holds a public key"), "{}", run.stderr);
    // And refuses to overwrite without --force.
    vouch(&["keys", "export-public", &arg(&key), "--out", &arg(&public)]).expect(2);
    vouch(&["keys", "export-public", &arg(&key), "--out", &arg(&public), "--force"]).expect(0);
}

#[test]
fn generate_refuses_to_overwrite_without_force() {
    let dir = Dir::new();
    let key = dir.path("k.pem");
    vouch(&["keys", "generate", "--out", &arg(&key)]).expect(0);
    let before = std::fs::read(&key).unwrap();
    let run = vouch(&["keys", "generate", "--out", &arg(&key)]).expect(2);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert!(run.stderr.contains("--force"), "the hint names the way out: {}", run.stderr);
    assert_eq!(std::fs::read(&key).unwrap(), before, "the key is untouched");
    vouch(&["keys", "generate", "--out", &arg(&key), "--force"]).expect(0);
    assert_ne!(std::fs::read(&key).unwrap(), before, "--force replaces it");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn openssl_reads_what_we_write_and_we_read_what_it_writes() {
    let dir = Dir::new();
    for algorithm in ["ed25519", "x25519"] {
        let key = dir.path(&format!("{algorithm}.pem"));
        vouch(&["keys", "generate", "--type", algorithm, "--out", &arg(&key)]).expect(0);
        let ours = vouch(&["keys", "export-public", &arg(&key)]).expect(0).stdout;
        let Some(theirs) = openssl(&["pkey", "-in", &arg(&key), "-pubout"]) else { return };
        assert_eq!(ours, theirs, "{algorithm}: openssl pkey -pubout equals our export-public");

        // A key OpenSSL generated: we read it and derive the same public key.
        let generated = dir.path(&format!("openssl-{algorithm}.pem"));
        openssl(&["genpkey", "-algorithm", algorithm, "-out", &arg(&generated)]);
        let ours = vouch(&["keys", "export-public", &arg(&generated)]).expect(0).stdout;
        let theirs = openssl(&["pkey", "-in", &arg(&generated), "-pubout"]).unwrap();
        assert_eq!(ours, theirs, "{algorithm}: we read OpenSSL's key");
        let public = dir.write(&format!("openssl-{algorithm}.pub"), theirs);
        let shown = vouch(&["keys", "show", &public, "--json"]).expect(0).json();
        assert_eq!(shown["algorithm"], algorithm);
    }
}

#[test]
fn non_keys_are_input_errors() {
    let dir = Dir::new();
    let garbage = dir.write("garbage.pem", "hello\n");
    let run = vouch(&["keys", "show", &garbage]).expect(2);
    assert!(run.stderr.contains("not an Ed25519 or X25519 key"), "{}", run.stderr);
    let empty = dir.write("empty.pem", "");
    vouch(&["keys", "show", &empty]).expect(2);
    let truncated =
        dir.write("trunc.pem", "-----BEGIN PRIVATE KEY-----\nMC4CAQAw\n-----END PRIVATE KEY-----\n");
    vouch(&["keys", "show", &truncated]).expect(2);
    let encrypted = dir.write(
        "enc.pem",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIGb\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    let run = vouch(&["keys", "show", &encrypted]).expect(2);
    assert!(run.stderr.contains("an encrypted private key"), "{}", run.stderr);
    let json = vouch(&["keys", "show", &arg(&dir.path("missing.pem")), "--json"]).expect(2).json();
    assert_eq!(json["ok"], false);
    assert_eq!(json["exit_code"], 2);
    assert!(json["hint"].as_str().unwrap().contains("check the path"));
    // A directory is not a key file.
    vouch(&["keys", "show", &arg(dir.0.path())]).expect(2);
    // Output to a directory that does not exist: the write fails (I/O).
    vouch(&["keys", "generate", "--out", &arg(&dir.path("no/such/dir/k.pem"))]).expect(3);
}
