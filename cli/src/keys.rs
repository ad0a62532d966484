//! Generate, show and export keys: Ed25519 signing keys and X25519 encryption keys in the
//! PEM forms OpenSSL reads (PKCS#8 v1 private keys, SubjectPublicKeyInfo public keys).
//!
//! # Terminology
//!
//! - *Signing key*: Ed25519 (admin keys, people's keys, validator consensus keys, node
//!   keys). *Encryption key*: X25519, the key a member's sealed contents are wrapped to.
//! - *Private key file*: `-----BEGIN PRIVATE KEY-----`, written with mode 0600.
//! - *Public key file*: `-----BEGIN PUBLIC KEY-----`, as `openssl pkey -pubout` writes it.
//! - *Public key* in JSON (genesis, envelopes): base64 of the 32 raw bytes, which
//!   `vouch keys show` prints.
//!
//! See `core/src/keys.rs` and `docs/PROTOCOL.md` §Keys.

use crate::files::{self, FileError};
use crate::outcome::{Classify, Exit, Report};
use rand_core::OsRng;
use serde::Serialize;
use std::path::{Path, PathBuf};
use vouch_core::encoding::b64_decode;
use vouch_core::keys::{DecryptionKey, EncryptionKey, KeyError, PublicKey, SigningKey};
use zeroize::Zeroizing;

/// A PEM key file is a few hundred bytes; anything larger is not one.
const KEY_FILE_BYTES_MAX: usize = 16 * 1024;

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): OID 1.3.101.112.
const ED25519_SPKI_PREFIX: [u8; 12] =
    [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
/// DER prefix of an X25519 SubjectPublicKeyInfo (RFC 8410): OID 1.3.101.110.
const X25519_SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00];

/// Why a key command failed.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// Reading or writing a file failed.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file is not a key this tool reads.
    #[error("{path} is not an Ed25519 or X25519 key in PEM: {detail}")]
    NotAKey {
        /// The path.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// The file holds a valid-looking key the protocol refuses (weak or non-canonical).
    #[error("{path} holds a key the protocol refuses")]
    Refused {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: KeyError,
    },
    /// A private key was needed and the file holds a public one.
    #[error("{path} holds a public key; this command needs a private key file")]
    NotPrivate {
        /// The path.
        path: PathBuf,
    },
}

impl Classify for KeysError {
    fn exit(&self) -> Exit {
        match self {
            KeysError::File(e) => e.exit(),
            KeysError::NotAKey { .. } | KeysError::NotPrivate { .. } => Exit::Usage,
            KeysError::Refused { .. } => Exit::Refused,
        }
    }

    fn hint(&self) -> String {
        match self {
            KeysError::File(e) => e.hint(),
            KeysError::NotAKey { .. } => {
                "pass a PEM file written by `vouch keys generate` or `openssl genpkey -algorithm ed25519`".into()
            }
            KeysError::Refused { .. } => "generate a new key with `vouch keys generate`".into(),
            KeysError::NotPrivate { .. } => {
                "pass the private key file (-----BEGIN PRIVATE KEY-----); `vouch keys show` reads public ones too"
                    .into()
            }
        }
    }

    fn details(&self) -> serde_json::Value {
        match self {
            KeysError::File(e) => e.details(),
            KeysError::NotAKey { path, .. }
            | KeysError::Refused { path, .. }
            | KeysError::NotPrivate { path } => {
                serde_json::json!({ "path": path.display().to_string() })
            }
        }
    }
}

/// The two algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// Ed25519 signing key.
    Ed25519,
    /// X25519 encryption key.
    X25519,
}

/// A key read from a PEM file.
enum LoadedKey {
    Signing(SigningKey),
    Decryption(DecryptionKey),
    Public(PublicKey),
    Encryption(EncryptionKey),
}

impl LoadedKey {
    fn algorithm(&self) -> Algorithm {
        match self {
            LoadedKey::Signing(_) | LoadedKey::Public(_) => Algorithm::Ed25519,
            LoadedKey::Decryption(_) | LoadedKey::Encryption(_) => Algorithm::X25519,
        }
    }

    fn is_private(&self) -> bool {
        matches!(self, LoadedKey::Signing(_) | LoadedKey::Decryption(_))
    }

    fn public_bytes(&self) -> [u8; 32] {
        match self {
            LoadedKey::Signing(k) => k.public().to_bytes(),
            LoadedKey::Public(k) => k.to_bytes(),
            LoadedKey::Decryption(k) => k.public().to_bytes(),
            LoadedKey::Encryption(k) => k.to_bytes(),
        }
    }

    fn public_pem(&self) -> String {
        match self {
            LoadedKey::Signing(k) => k.public().to_public_pem(),
            LoadedKey::Public(k) => k.to_public_pem(),
            LoadedKey::Decryption(k) => k.public().to_public_pem(),
            LoadedKey::Encryption(k) => k.to_public_pem(),
        }
    }
}

/// Read a private Ed25519 signing key (PKCS#8 PEM).
pub fn load_signing(path: &Path) -> Result<SigningKey, KeysError> {
    match load(path)? {
        LoadedKey::Signing(k) => Ok(k),
        LoadedKey::Public(_) | LoadedKey::Encryption(_) => {
            Err(KeysError::NotPrivate { path: path.to_path_buf() })
        }
        LoadedKey::Decryption(_) => Err(KeysError::NotAKey {
            path: path.to_path_buf(),
            detail: "an X25519 encryption key; a signing key (Ed25519) is needed here".into(),
        }),
    }
}

/// Read a private X25519 decryption key (PKCS#8 PEM).
pub fn load_decryption(path: &Path) -> Result<DecryptionKey, KeysError> {
    match load(path)? {
        LoadedKey::Decryption(k) => Ok(k),
        LoadedKey::Public(_) | LoadedKey::Encryption(_) => {
            Err(KeysError::NotPrivate { path: path.to_path_buf() })
        }
        LoadedKey::Signing(_) => Err(KeysError::NotAKey {
            path: path.to_path_buf(),
            detail: "an Ed25519 signing key; an X25519 encryption key is needed here".into(),
        }),
    }
}

/// Read an Ed25519 public key from a public or private PEM file.
pub fn load_public(path: &Path) -> Result<PublicKey, KeysError> {
    match load(path)? {
        LoadedKey::Signing(k) => Ok(k.public()),
        LoadedKey::Public(k) => Ok(k),
        LoadedKey::Decryption(_) | LoadedKey::Encryption(_) => Err(KeysError::NotAKey {
            path: path.to_path_buf(),
            detail: "an X25519 key; an Ed25519 signing key is needed here".into(),
        }),
    }
}

/// Read an X25519 public key from a public or private PEM file.
pub fn load_encryption(path: &Path) -> Result<EncryptionKey, KeysError> {
    match load(path)? {
        LoadedKey::Decryption(k) => Ok(k.public()),
        LoadedKey::Encryption(k) => Ok(k),
        LoadedKey::Signing(_) | LoadedKey::Public(_) => Err(KeysError::NotAKey {
            path: path.to_path_buf(),
            detail: "an Ed25519 key; an X25519 encryption key is needed here".into(),
        }),
    }
}

/// Read a private (PKCS#8) or public (SPKI) PEM key of either algorithm.
fn load(path: &Path) -> Result<LoadedKey, KeysError> {
    let bytes = Zeroizing::new(files::read_bounded(path, "key file", KEY_FILE_BYTES_MAX)?);
    let not_a_key =
        |detail: &str| KeysError::NotAKey { path: path.to_path_buf(), detail: detail.to_string() };
    let text = std::str::from_utf8(&bytes).map_err(|_| not_a_key("not text"))?;
    let trimmed = text.trim();
    if trimmed.starts_with("-----BEGIN PRIVATE KEY-----") {
        let ed_error = match SigningKey::from_pkcs8_pem(trimmed) {
            Ok(key) => return Ok(LoadedKey::Signing(key)),
            Err(e) => e,
        };
        return match DecryptionKey::from_pkcs8_pem(trimmed) {
            Ok(key) => Ok(LoadedKey::Decryption(key)),
            Err(KeyError::Pem { .. }) => match ed_error {
                KeyError::Pem { detail, .. } => Err(not_a_key(&format!(
                    "a PKCS#8 private key, but neither Ed25519 ({detail}) nor X25519"
                ))),
                source => Err(KeysError::Refused { path: path.to_path_buf(), source }),
            },
            Err(source) => Err(KeysError::Refused { path: path.to_path_buf(), source }),
        };
    }
    if trimmed.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return Err(not_a_key(
            "an encrypted private key; this tool reads unencrypted PKCS#8 (decrypt it with \
             `openssl pkey -in FILE -out PLAIN.pem` and keep PLAIN.pem at mode 0600)",
        ));
    }
    if trimmed.starts_with("-----BEGIN PUBLIC KEY-----") {
        let der = pem_body(trimmed, "PUBLIC KEY").ok_or_else(|| not_a_key("malformed PUBLIC KEY block"))?;
        let refused = |source| KeysError::Refused { path: path.to_path_buf(), source };
        if let Some(raw) = der.strip_prefix(&ED25519_SPKI_PREFIX[..]) {
            let raw: [u8; 32] = raw.try_into().map_err(|_| not_a_key("Ed25519 key is not 32 bytes"))?;
            return PublicKey::from_bytes(&raw).map(LoadedKey::Public).map_err(refused);
        }
        if let Some(raw) = der.strip_prefix(&X25519_SPKI_PREFIX[..]) {
            let raw: [u8; 32] = raw.try_into().map_err(|_| not_a_key("X25519 key is not 32 bytes"))?;
            return EncryptionKey::from_bytes(raw).map(LoadedKey::Encryption).map_err(refused);
        }
        return Err(not_a_key("a public key, but neither Ed25519 nor X25519"));
    }
    Err(not_a_key("expected -----BEGIN PRIVATE KEY----- or -----BEGIN PUBLIC KEY-----"))
}

/// The DER inside one PEM block with `label`.
fn pem_body(pem: &str, label: &str) -> Option<Vec<u8>> {
    let inner = pem
        .strip_prefix(&format!("-----BEGIN {label}-----"))?
        .strip_suffix(&format!("-----END {label}-----"))?;
    let b64: String = inner.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    b64_decode(&b64, 1024).ok()
}

/// What `keys generate` and `keys show` print.
#[derive(Debug, Serialize)]
struct KeyReport {
    file: String,
    algorithm: Algorithm,
    private: bool,
    public_key_base64: String,
    public_key_hex: String,
}

impl KeyReport {
    fn new(path: &Path, key: &LoadedKey) -> KeyReport {
        let public = key.public_bytes();
        KeyReport {
            file: path.display().to_string(),
            algorithm: key.algorithm(),
            private: key.is_private(),
            public_key_base64: vouch_core::encoding::b64_encode(&public),
            public_key_hex: public.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    fn human(&self) -> String {
        let kind = match (self.algorithm, self.private) {
            (Algorithm::Ed25519, true) => "Ed25519 signing key (private)",
            (Algorithm::Ed25519, false) => "Ed25519 public key",
            (Algorithm::X25519, true) => "X25519 encryption key (private)",
            (Algorithm::X25519, false) => "X25519 public key",
        };
        format!(
            "file:        {}\nkey:         {kind}\npublic key:  {}  (base64, as in genesis and envelopes)\npublic hex:  {}\n",
            self.file, self.public_key_base64, self.public_key_hex
        )
    }
}

/// `vouch keys generate`.
pub fn generate(out: &Path, algorithm: Algorithm, force: bool) -> Result<Report, KeysError> {
    let (pem, key) = match algorithm {
        Algorithm::Ed25519 => {
            let key = SigningKey::generate(&mut OsRng);
            (key.to_pkcs8_pem(), LoadedKey::Signing(key))
        }
        Algorithm::X25519 => {
            let key = DecryptionKey::generate(&mut OsRng);
            (key.to_pkcs8_pem(), LoadedKey::Decryption(key))
        }
    };
    files::write_private(out, pem.as_bytes(), force)?;
    let report = KeyReport::new(out, &key);
    let human = format!("wrote {} (mode 0600)\n{}", out.display(), report.human());
    Ok(Report::new(&report, human))
}

/// `vouch keys show`.
pub fn show(path: &Path) -> Result<Report, KeysError> {
    let key = load(path)?;
    let report = KeyReport::new(path, &key);
    Ok(Report::new(&report, report.human()))
}

/// What `keys export-public` prints.
#[derive(Debug, Serialize)]
struct ExportReport {
    file: String,
    algorithm: Algorithm,
    public_key_base64: String,
    public_pem: String,
    written_to: Option<String>,
}

/// `vouch keys export-public`.
pub fn export_public(path: &Path, out: Option<&Path>, force: bool) -> Result<Report, KeysError> {
    let key = load(path)?;
    if !key.is_private() {
        return Err(KeysError::NotPrivate { path: path.to_path_buf() });
    }
    let pem = key.public_pem();
    if let Some(out) = out {
        files::write_public(out, pem.as_bytes(), force)?;
    }
    let report = ExportReport {
        file: path.display().to_string(),
        algorithm: key.algorithm(),
        public_key_base64: vouch_core::encoding::b64_encode(&key.public_bytes()),
        public_pem: pem.clone(),
        written_to: out.map(|p| p.display().to_string()),
    };
    let human = match out {
        Some(out) => format!("wrote {}\n", out.display()),
        None => pem,
    };
    Ok(Report::new(&report, human))
}
