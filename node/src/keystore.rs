//! Keep the signing keys (and X25519 keys) of the people and clients this node signs for,
//! encrypted at rest under a key derived from the operator's passphrase:
//! `<data_dir>/keystore.json` (decision record 0013).
//!
//! # Format
//!
//! ```text
//! {"version": 1,
//!  "kdf": {"algorithm": "argon2id", "m_cost_kib": …, "t_cost": …, "p_cost": …, "salt": "<hex>"},
//!  "check": "<hex: nonce ‖ XChaCha20-Poly1305(K, CHECK_TEXT)>",
//!  "entries": [{"org": "bank-a", "person": "li" | "client": "c-1", "public_key": "<base64>",
//!               "decryption_key": true, "sealed": "<hex: nonce ‖ ciphertext>"}]}
//! ```
//!
//! `K = Argon2id(passphrase, salt)`. Each entry's plaintext is the Ed25519 seed (32 bytes)
//! and, if held, the X25519 secret (32 bytes), sealed with a fresh 24-byte nonce and with
//! the entry's org, holder and public key as associated data, so an entry edited, moved to
//! another holder or swapped with another does not open. `check` tells a wrong passphrase
//! (it does not open) from a damaged entry (it opens, the entry does not).
//!
//! Writers (`vouchd keystore add|remove`) lock `keystore.json.lock` and replace the file
//! durably, mode 0600, as `tokens.json` is written. The node reads the file at each
//! lookup (it is small) and derives `K` once per salt.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use vouch_api::custody::{HeldKeys, Holder, KeystoreError as ApiKeystoreError};
use vouch_core::genesis::Genesis;
use vouch_core::ids::{ClientRef, OrgId, PersonId};
use vouch_core::keys::{DecryptionKey, PublicKey, SigningKey};
use zeroize::Zeroizing;

/// The file's format version.
const VERSION: u32 = 1;

/// What `check` encrypts.
const CHECK_TEXT: &[u8] = b"vouch keystore v1: the passphrase opens this file";

/// Domain of every entry's associated data.
const ENTRY_AAD: &str = "vouch-keystore-v1/entry\n";

/// Largest keystore read, in bytes.
const FILE_BYTES_MAX: u64 = 8 * 1024 * 1024;

/// The environment variable holding the passphrase.
pub const PASSPHRASE_ENV: &str = "VOUCH_KEYSTORE_PASSPHRASE";

/// Why a keystore operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// The file or its lock could not be read or written.
    #[error("keystore {path}: {action} failed: {error}; check the data directory's permissions and disk")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The OS error.
        error: std::io::Error,
    },
    /// The file is not a keystore this node can read.
    #[error("keystore {path} is damaged: {detail}; restore it from a backup")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The passphrase does not open the file.
    #[error(
        "the keystore passphrase does not open {path}; check {PASSPHRASE_ENV} or keystore_passphrase_file (the passphrase the keystore was created with)"
    )]
    WrongPassphrase {
        /// The file.
        path: PathBuf,
    },
    /// The passphrase opens the file but not this entry: it was edited or damaged.
    #[error(
        "keystore {path}: the entry of {holder} of {org} does not decrypt although the passphrase is right: it was changed or damaged; remove it and add the key again, or restore the file from a backup"
    )]
    Tampered {
        /// The file.
        path: PathBuf,
        /// The org.
        org: String,
        /// The holder.
        holder: String,
    },
    /// An input is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The holder already has keys here.
    #[error(
        "the keystore already holds keys of {holder} of {org}; remove them first (`vouchd keystore remove`)"
    )]
    Exists {
        /// The org.
        org: String,
        /// The holder.
        holder: String,
    },
    /// No keys of this holder.
    #[error("the keystore holds no keys of {holder} of {org}; `vouchd keystore list` shows what it holds")]
    Unknown {
        /// The org.
        org: String,
        /// The holder.
        holder: String,
    },
}

/// Argon2id parameters, kept in the file so they can be raised for new files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kdf {
    algorithm: String,
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
    #[serde(with = "hex::serde")]
    salt: Vec<u8>,
}

/// The cost of new keystores: memory (KiB), passes, lanes. Argon2id at 64 MiB and three
/// passes takes a fraction of a second once per process, and makes each guess as costly.
pub const KDF_COST: (u32, u32, u32) = (64 * 1024, 3, 1);

/// One entry as kept at rest.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    org: OrgId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    person: Option<PersonId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client: Option<ClientRef>,
    public_key: PublicKey,
    decryption_key: bool,
    #[serde(with = "hex::serde")]
    sealed: Vec<u8>,
}

impl Entry {
    fn holder(&self) -> Result<Holder, String> {
        match (&self.person, &self.client) {
            (Some(p), None) => Ok(Holder::Person(p.clone())),
            (None, Some(c)) => Ok(Holder::Client(c.clone())),
            _ => Err(format!("an entry of {} names both or neither of person and client", self.org)),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    version: u32,
    kdf: Kdf,
    #[serde(with = "hex::serde")]
    check: Vec<u8>,
    entries: Vec<Entry>,
}

/// What `list` shows of an entry: never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryInfo {
    /// The org.
    pub org: String,
    /// `person <id>` or `client <ref>`.
    pub holder: String,
    /// The Ed25519 public key (base64).
    pub public_key: String,
    /// Whether an X25519 key is held too.
    pub decryption_key: bool,
}

/// The key derived from the passphrase for one file.
type FileKey = Zeroizing<[u8; 32]>;

/// The keystore of one data directory, opened with one passphrase.
pub struct Keystore {
    path: PathBuf,
    passphrase: Zeroizing<String>,
    cost: (u32, u32, u32),
    derived: Mutex<Option<(Kdf, Zeroizing<[u8; 32]>)>>,
}

impl std::fmt::Debug for Keystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keystore").field("path", &self.path).finish_non_exhaustive()
    }
}

fn aad(org: &OrgId, holder: &Holder, key: &PublicKey) -> Vec<u8> {
    let who = match holder {
        Holder::Person(p) => format!("person/{p}"),
        Holder::Client(c) => format!("client/{c}"),
    };
    format!("{ENTRY_AAD}{org}\n{who}\n{}", key.to_b64()).into_bytes()
}

fn seal(key: &[u8; 32], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeystoreError> {
    let mut nonce = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let cipher = XChaCha20Poly1305::new(key.into());
    let ct = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad })
        .map_err(|_| KeystoreError::Invalid("encryption failed".into()))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    Ok(out)
}

fn open(key: &[u8; 32], sealed: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let (nonce, ct) = (sealed.get(..24)?, sealed.get(24..)?);
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad }).ok().map(Zeroizing::new)
}

impl Keystore {
    /// The keystore of `data_dir`, opened with `passphrase`.
    pub fn in_data_dir(data_dir: &Path, passphrase: Zeroizing<String>) -> Result<Keystore, KeystoreError> {
        Keystore::with_cost(data_dir, passphrase, KDF_COST)
    }

    /// As [`Keystore::in_data_dir`], creating new files with Argon2id cost `cost`
    /// (memory KiB, passes, lanes): tests use a small one.
    pub fn with_cost(
        data_dir: &Path,
        passphrase: Zeroizing<String>,
        cost: (u32, u32, u32),
    ) -> Result<Keystore, KeystoreError> {
        if passphrase.trim().is_empty() {
            return Err(KeystoreError::Invalid(format!(
                "the keystore passphrase is empty; set {PASSPHRASE_ENV} or keystore_passphrase_file"
            )));
        }
        Ok(Keystore { path: data_dir.join("keystore.json"), passphrase, cost, derived: Mutex::new(None) })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key for `kdf`, derived once per salt and cost.
    fn key(&self, kdf: &Kdf) -> Result<Zeroizing<[u8; 32]>, KeystoreError> {
        let mut derived = self.derived.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((k, key)) = derived.as_ref()
            && k == kdf
        {
            return Ok(key.clone());
        }
        if kdf.algorithm != "argon2id" {
            return Err(
                self.damaged(format!("key derivation {:?}, this vouchd knows argon2id", kdf.algorithm))
            );
        }
        let params = Params::new(kdf.m_cost_kib, kdf.t_cost, kdf.p_cost, Some(32))
            .map_err(|e| self.damaged(format!("Argon2id parameters: {e}")))?;
        let mut key = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(self.passphrase.as_bytes(), &kdf.salt, key.as_mut())
            .map_err(|e| self.damaged(format!("Argon2id: {e}")))?;
        *derived = Some((kdf.clone(), key.clone()));
        Ok(key)
    }

    /// The file, its passphrase checked; none when there is no file yet.
    fn read(&self) -> Result<Option<(FileFormat, FileKey)>, KeystoreError> {
        let io = |action, error| KeystoreError::Io { path: self.path.clone(), action, error };
        let file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("open", e)),
        };
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(file, FILE_BYTES_MAX + 1), &mut bytes)
            .map_err(|e| io("read", e))?;
        if bytes.len() as u64 > FILE_BYTES_MAX {
            return Err(self.damaged(format!("larger than {FILE_BYTES_MAX} bytes")));
        }
        let parsed: FileFormat = serde_json::from_slice(&bytes).map_err(|e| self.damaged(e.to_string()))?;
        if parsed.version != VERSION {
            return Err(
                self.damaged(format!("format version {}, this vouchd reads {VERSION}", parsed.version))
            );
        }
        let key = self.key(&parsed.kdf)?;
        match open(&key, &parsed.check, ENTRY_AAD.as_bytes()) {
            Some(text) if text.as_slice() == CHECK_TEXT => Ok(Some((parsed, key))),
            _ => Err(KeystoreError::WrongPassphrase { path: self.path.clone() }),
        }
    }

    /// A new, empty file's header with a fresh salt.
    fn fresh(&self) -> Result<(FileFormat, FileKey), KeystoreError> {
        let mut salt = vec![0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let (m, t, p) = self.cost;
        let kdf = Kdf { algorithm: "argon2id".into(), m_cost_kib: m, t_cost: t, p_cost: p, salt };
        let key = self.key(&kdf)?;
        let check = seal(&key, CHECK_TEXT, ENTRY_AAD.as_bytes())?;
        Ok((FileFormat { version: VERSION, kdf, check, entries: Vec::new() }, key))
    }

    fn write(&self, file: &FileFormat) -> Result<(), KeystoreError> {
        let mut bytes = serde_json::to_vec_pretty(file).map_err(|e| self.damaged(e.to_string()))?;
        bytes.push(b'\n');
        crate::durable::replace_private_file(&self.path, &bytes).map_err(|error| KeystoreError::Io {
            path: self.path.clone(),
            action: "replace",
            error,
        })
    }

    fn lock(&self) -> Result<std::fs::File, KeystoreError> {
        crate::durable::lock_beside(&self.path).map_err(|(path, action, error)| KeystoreError::Io {
            path,
            action,
            error,
        })
    }

    fn damaged(&self, detail: String) -> KeystoreError {
        KeystoreError::Damaged { path: self.path.clone(), detail }
    }

    /// Add `holder`'s keys at `org` (a member of `genesis`; a client only at a bank).
    pub fn add(
        &self,
        genesis: &Genesis,
        org: &OrgId,
        holder: &Holder,
        signing: &SigningKey,
        decryption: Option<&DecryptionKey>,
    ) -> Result<EntryInfo, KeystoreError> {
        let Some(member) = genesis.org(org) else {
            return Err(KeystoreError::Invalid(format!("--org {org} is not a member in genesis")));
        };
        if matches!(holder, Holder::Client(_)) && member.role != vouch_core::genesis::Role::Bank {
            return Err(KeystoreError::Invalid(format!("--client needs a bank's org; {org} is not a bank")));
        }
        let _lock = self.lock()?;
        let (mut file, key) = match self.read()? {
            Some(found) => found,
            None => self.fresh()?,
        };
        for e in &file.entries {
            if &e.org == org && e.holder().as_ref() == Ok(holder) {
                return Err(KeystoreError::Exists { org: org.to_string(), holder: holder.to_string() });
            }
        }
        let public = signing.public();
        let mut plaintext = Zeroizing::new(signing.seed().to_vec());
        if let Some(d) = decryption {
            plaintext.extend_from_slice(d.to_bytes().as_slice());
        }
        let sealed = seal(&key, &plaintext, &aad(org, holder, &public))?;
        let (person, client) = match holder {
            Holder::Person(p) => (Some(p.clone()), None),
            Holder::Client(c) => (None, Some(c.clone())),
        };
        let entry = Entry {
            org: org.clone(),
            person,
            client,
            public_key: public,
            decryption_key: decryption.is_some(),
            sealed,
        };
        let info = info_of(&entry);
        file.entries.push(entry);
        self.write(&file)?;
        Ok(info)
    }

    /// Remove `holder`'s keys at `org`.
    pub fn remove(&self, org: &OrgId, holder: &Holder) -> Result<EntryInfo, KeystoreError> {
        let _lock = self.lock()?;
        let unknown = || KeystoreError::Unknown { org: org.to_string(), holder: holder.to_string() };
        let (mut file, _) = self.read()?.ok_or_else(unknown)?;
        let at = file
            .entries
            .iter()
            .position(|e| &e.org == org && e.holder().as_ref() == Ok(holder))
            .ok_or_else(unknown)?;
        let entry = file.entries.remove(at);
        self.write(&file)?;
        Ok(info_of(&entry))
    }

    /// What the keystore holds (the passphrase is checked too).
    pub fn list(&self) -> Result<Vec<EntryInfo>, KeystoreError> {
        Ok(self.read()?.map(|(f, _)| f.entries.iter().map(info_of).collect()).unwrap_or_default())
    }

    /// The keys of `holder` at `org`, decrypted.
    pub fn get(&self, org: &OrgId, holder: &Holder) -> Result<Option<HeldKeys>, KeystoreError> {
        let Some((file, key)) = self.read()? else { return Ok(None) };
        let Some(entry) = file.entries.iter().find(|e| &e.org == org && e.holder().as_ref() == Ok(holder))
        else {
            return Ok(None);
        };
        let tampered = || KeystoreError::Tampered {
            path: self.path.clone(),
            org: org.to_string(),
            holder: holder.to_string(),
        };
        let plaintext =
            open(&key, &entry.sealed, &aad(org, holder, &entry.public_key)).ok_or_else(tampered)?;
        let seed: [u8; 32] = plaintext.get(..32).and_then(|s| s.try_into().ok()).ok_or_else(tampered)?;
        let signing = SigningKey::from_seed(&seed);
        if signing.public() != entry.public_key {
            return Err(tampered());
        }
        let decryption = match (entry.decryption_key, plaintext.get(32..)) {
            (false, Some([])) => None,
            (true, Some(rest)) => {
                let bytes: [u8; 32] = rest.try_into().map_err(|_| tampered())?;
                Some(DecryptionKey::from_bytes(bytes))
            }
            _ => return Err(tampered()),
        };
        Ok(Some(HeldKeys { signing, decryption }))
    }
}

fn info_of(e: &Entry) -> EntryInfo {
    EntryInfo {
        org: e.org.to_string(),
        holder: e.holder().map(|h| h.to_string()).unwrap_or_else(|d| d),
        public_key: e.public_key.to_b64(),
        decryption_key: e.decryption_key,
    }
}

impl vouch_api::Keystore for Keystore {
    fn keys(&self, org: &OrgId, holder: &Holder) -> Result<Option<HeldKeys>, ApiKeystoreError> {
        self.get(org, holder).map_err(|e| ApiKeystoreError::Store(e.to_string()))
    }
}

/// The operator's passphrase: `VOUCH_KEYSTORE_PASSPHRASE`, else the first line of
/// `passphrase_file`; none when neither is set (the keystore is then off).
pub fn passphrase(passphrase_file: Option<&Path>) -> Result<Option<Zeroizing<String>>, KeystoreError> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        return Ok(Some(Zeroizing::new(p)));
    }
    let Some(path) = passphrase_file else { return Ok(None) };
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|error| KeystoreError::Io {
        path: path.to_path_buf(),
        action: "read the passphrase file",
        error,
    })?);
    Ok(Some(Zeroizing::new(text.lines().next().unwrap_or_default().to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHEAP: (u32, u32, u32) = (64, 1, 1);

    fn genesis() -> Genesis {
        vouch_core::testkit::DemoNetwork::new(1).expect("demo").genesis
    }

    fn store(dir: &Path, passphrase: &str) -> Keystore {
        Keystore::with_cost(dir, Zeroizing::new(passphrase.into()), CHEAP).expect("keystore")
    }

    fn li() -> (OrgId, Holder) {
        (OrgId::new("bank-a").expect("org"), Holder::Person(PersonId::new("li").expect("person")))
    }

    #[test]
    fn keys_round_trip_and_are_not_stored_in_clear() {
        let dir = tempfile::tempdir().expect("dir");
        let ks = store(dir.path(), "correct horse");
        let (org, holder) = li();
        let signing = SigningKey::generate(&mut rand::rngs::OsRng);
        let decryption = DecryptionKey::generate(&mut rand::rngs::OsRng);
        assert!(ks.get(&org, &holder).expect("no file yet").is_none());
        ks.add(&genesis(), &org, &holder, &signing, Some(&decryption)).expect("add");
        let client = Holder::Client(ClientRef::new("c-1").expect("client"));
        let client_key = SigningKey::generate(&mut rand::rngs::OsRng);
        ks.add(&genesis(), &org, &client, &client_key, None).expect("add client");
        // Another process, same passphrase: reads them back.
        let other = store(dir.path(), "correct horse");
        let got = other.get(&org, &holder).expect("get").expect("held");
        assert_eq!(got.signing.public(), signing.public());
        assert_eq!(got.decryption.map(|d| d.public()), Some(decryption.public()));
        let got = other.get(&org, &client).expect("get").expect("held");
        assert_eq!(got.signing.public(), client_key.public());
        assert!(got.decryption.is_none());
        let text = std::fs::read_to_string(ks.path()).expect("file");
        assert!(!text.contains(&hex::encode(signing.seed().as_slice())), "no seed in clear");
        assert!(!text.contains(&hex::encode(decryption.to_bytes().as_slice())), "no X25519 secret in clear");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(ks.path()).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the owner reads the keystore");
        }
        assert!(matches!(
            ks.add(&genesis(), &org, &holder, &signing, None),
            Err(KeystoreError::Exists { .. })
        ));
        assert_eq!(ks.list().expect("list").len(), 2);
        ks.remove(&org, &holder).expect("remove");
        assert!(ks.get(&org, &holder).expect("get").is_none());
        assert!(matches!(ks.remove(&org, &holder), Err(KeystoreError::Unknown { .. })));
    }

    #[test]
    fn a_wrong_passphrase_is_named_as_such() {
        let dir = tempfile::tempdir().expect("dir");
        let (org, holder) = li();
        store(dir.path(), "right")
            .add(&genesis(), &org, &holder, &SigningKey::from_seed(&[1; 32]), None)
            .expect("add");
        let e = store(dir.path(), "wrong").get(&org, &holder).expect_err("wrong passphrase");
        assert!(matches!(e, KeystoreError::WrongPassphrase { .. }), "{e}");
        assert!(e.to_string().contains(PASSPHRASE_ENV), "{e}");
        assert!(store(dir.path(), "wrong").list().is_err());
        assert!(
            Keystore::with_cost(dir.path(), Zeroizing::new(" ".into()), CHEAP).is_err(),
            "empty passphrase"
        );
    }

    #[test]
    fn tampering_is_detected() {
        let dir = tempfile::tempdir().expect("dir");
        let ks = store(dir.path(), "pass");
        let (org, holder) = li();
        let g = genesis();
        ks.add(&g, &org, &holder, &SigningKey::from_seed(&[1; 32]), None).expect("add");
        let wang = Holder::Person(PersonId::new("wang").expect("person"));
        ks.add(&g, &org, &wang, &SigningKey::from_seed(&[2; 32]), None).expect("add");
        let original: serde_json::Value =
            serde_json::from_slice(&std::fs::read(ks.path()).expect("read")).expect("json");
        let write = |v: &serde_json::Value| std::fs::write(ks.path(), v.to_string()).expect("write");
        // A flipped ciphertext byte.
        let mut v = original.clone();
        let sealed = v["entries"][0]["sealed"].as_str().expect("sealed").to_string();
        let flipped =
            format!("{}{}", &sealed[..sealed.len() - 1], if sealed.ends_with('0') { '1' } else { '0' });
        v["entries"][0]["sealed"] = flipped.into();
        write(&v);
        assert!(matches!(ks.get(&org, &holder), Err(KeystoreError::Tampered { .. })));
        // Entries swapped between holders: each names the other's person now.
        let mut v = original.clone();
        v["entries"][0]["person"] = "wang".into();
        v["entries"][1]["person"] = "li".into();
        write(&v);
        assert!(matches!(ks.get(&org, &holder), Err(KeystoreError::Tampered { .. })));
        // A public key replaced: the entry no longer opens.
        let mut v = original.clone();
        v["entries"][0]["public_key"] = SigningKey::from_seed(&[3; 32]).public().to_b64().into();
        write(&v);
        assert!(matches!(ks.get(&org, &holder), Err(KeystoreError::Tampered { .. })));
        // Not JSON.
        std::fs::write(ks.path(), b"{").expect("write");
        assert!(matches!(ks.get(&org, &holder), Err(KeystoreError::Damaged { .. })));
        write(&original);
        assert!(ks.get(&org, &holder).expect("restored").is_some());
    }
}
