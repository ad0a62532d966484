//! Keep the API tokens an operator issued for this node: `<data_dir>/tokens.json`, hashes
//! only, replaced whole and durably on each change, and read by the running node whenever
//! the file changes (decision record 0009).
//!
//! # Terminology
//!
//! Token, token hash, token id, principal: as in `vouch_api::auth`. The file holds
//! [`TokenRecord`]s, never a token.
//!
//! ```text
//! {"version": 1, "tokens": [{"id": "tok_…", "hash": "…", "org": "bank-a", "name": "…",
//!   "operator": false, "issued_ms": …, "revoked_ms": …}, …]}
//! ```
//!
//! Writers (`vouchd token issue` and `revoke`) take an exclusive lock on
//! `tokens.json.lock` for the read-modify-write, so two at once cannot lose an update. The
//! node only reads: it checks the file's identity (size, modification time, inode) before
//! each lookup and rereads it when that changed, so a revocation holds from the next
//! request on.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use vouch_api::auth::{AuthError, Authenticator, Secret, TokenRecord};
use vouch_core::encoding::Hash;
use vouch_core::genesis::{Genesis, Role};
use vouch_core::ids::{ClientRef, OrgId};

/// The file's format version.
const VERSION: u32 = 1;

/// Longest name a token may carry, in characters.
pub const TOKEN_NAME_CHARS_MAX: usize = 128;

/// Most tokens one node keeps (revoked ones included): the file is read whole on change.
pub const TOKENS_MAX: usize = 10_000;

/// Largest token file read, in bytes: [`TOKENS_MAX`] records of about 400 bytes.
const FILE_BYTES_MAX: u64 = 8 * 1024 * 1024;

/// Why a token operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file or its lock could not be read or written.
    #[error("token file {path}: {action} failed: {error}; check the data directory's permissions and disk")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The OS error.
        error: std::io::Error,
    },
    /// The file is not a token file this node can read.
    #[error(
        "token file {path} is damaged: {detail}; restore it from a backup (it holds only hashes), or move it away and issue new tokens"
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The org is not a member of this network.
    #[error("org {org} is not a member in genesis; members are: {members}")]
    UnknownOrg {
        /// The org given.
        org: String,
        /// The members.
        members: String,
    },
    /// `--client` for an org that is not a bank.
    #[error("--client needs a bank's org: {org} has role {role}")]
    ClientOfNonBank {
        /// The org given.
        org: String,
        /// Its role.
        role: String,
    },
    /// An id, name or client reference that is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// No token with this id.
    #[error("no token {id}; `vouchd token list` shows the ids")]
    UnknownToken {
        /// The id given.
        id: String,
    },
    /// The file is full.
    #[error(
        "token file holds {TOKENS_MAX} tokens, the most it may; revoked tokens are kept for the record, so move the file away and reissue"
    )]
    Full,
}

/// The token file of one data directory.
#[derive(Debug)]
pub struct TokenFile {
    path: PathBuf,
    cache: Mutex<Option<(Stamp, Arc<Vec<TokenRecord>>)>>,
}

/// What identifies one version of the file: it is replaced by a rename, so each version
/// is a new inode with its own size and time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    inode: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    version: u32,
    tokens: Vec<TokenRecord>,
}

impl TokenFile {
    /// The token file of `data_dir`.
    pub fn in_data_dir(data_dir: &Path) -> TokenFile {
        TokenFile { path: data_dir.join("tokens.json"), cache: Mutex::new(None) }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every token record, revoked ones included, in issue order. No file: none.
    pub fn list(&self) -> Result<Vec<TokenRecord>, TokenError> {
        Ok(self.read()?.1)
    }

    /// Issue a token for `name` at `org` (a member of `genesis`), optionally for one
    /// `client` of that bank, optionally an operator token. Returns the record and the
    /// secret; the secret is not kept anywhere.
    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        &self,
        genesis: &Genesis,
        org: &str,
        name: &str,
        client: Option<&str>,
        operator: bool,
        now_ms: u64,
        rng: &mut (impl rand::RngCore + rand::CryptoRng),
    ) -> Result<(TokenRecord, Secret), TokenError> {
        self.issue_bound(genesis, org, name, client, None, operator, now_ms, rng)
    }

    /// As [`TokenFile::issue`], bound to `signer`: the person of `org` (or, for a client
    /// token, the client itself) the node signs as for this token (decision record 0013).
    #[allow(clippy::too_many_arguments)]
    pub fn issue_bound(
        &self,
        genesis: &Genesis,
        org: &str,
        name: &str,
        client: Option<&str>,
        signer: Option<&str>,
        operator: bool,
        now_ms: u64,
        rng: &mut (impl rand::RngCore + rand::CryptoRng),
    ) -> Result<(TokenRecord, Secret), TokenError> {
        let org_id = OrgId::new(org).map_err(|e| TokenError::Invalid(format!("--org {org:?}: {e}")))?;
        let Some(member) = genesis.org(&org_id) else {
            let members = genesis.orgs.iter().map(|o| o.id.to_string()).collect::<Vec<_>>().join(", ");
            return Err(TokenError::UnknownOrg { org: org.to_string(), members });
        };
        let client = match client {
            None => None,
            Some(c) if member.role == Role::Bank => {
                Some(ClientRef::new(c).map_err(|e| TokenError::Invalid(format!("--client {c:?}: {e}")))?)
            }
            Some(_) => {
                return Err(TokenError::ClientOfNonBank {
                    org: org.to_string(),
                    role: role_name(member.role),
                });
            }
        };
        check_name(name)?;
        if let Some(signer) = signer {
            match &client {
                Some(c) if c.as_str() != signer => {
                    return Err(TokenError::Invalid(format!(
                        "--signer {signer:?}: a client token signs only as its own client; pass --signer {c}"
                    )));
                }
                Some(_) => {}
                None => {
                    vouch_core::ids::PersonId::new(signer)
                        .map_err(|e| TokenError::Invalid(format!("--signer {signer:?}: {e}")))?;
                }
            }
        }
        let _lock = self.lock()?;
        let (_, mut tokens) = self.read()?;
        if tokens.len() >= TOKENS_MAX {
            return Err(TokenError::Full);
        }
        let secret = Secret::generate(rng);
        let mut record = TokenRecord::new(&secret, org_id, name.to_string(), client, operator, now_ms);
        record.signer = signer.map(str::to_string);
        // 256 random bits: a collision means a broken generator, not bad luck.
        assert!(tokens.iter().all(|t| t.hash != record.hash), "token generator repeated a token");
        tokens.push(record.clone());
        self.write(&tokens)?;
        Ok((record, secret))
    }

    /// Revoke the token `id` at `now_ms`. Revoking a revoked token changes nothing.
    pub fn revoke(&self, id: &str, now_ms: u64) -> Result<TokenRecord, TokenError> {
        let _lock = self.lock()?;
        let (_, mut tokens) = self.read()?;
        let Some(record) = tokens.iter_mut().find(|t| t.id == id) else {
            return Err(TokenError::UnknownToken { id: id.to_string() });
        };
        if record.revoked_ms.is_none() {
            record.revoked_ms = Some(now_ms);
        }
        let record = record.clone();
        self.write(&tokens)?;
        Ok(record)
    }

    /// The file's stamp and records, or none when there is no file.
    fn read(&self) -> Result<(Option<Stamp>, Vec<TokenRecord>), TokenError> {
        let io = |action, error| TokenError::Io { path: self.path.clone(), action, error };
        let file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((None, Vec::new())),
            Err(e) => return Err(io("open", e)),
        };
        let meta = file.metadata().map_err(|e| io("stat", e))?;
        if meta.len() > FILE_BYTES_MAX {
            return Err(self.damaged(format!("{} bytes, at most {FILE_BYTES_MAX}", meta.len())));
        }
        let stamp = stamp_of(&meta);
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(file, FILE_BYTES_MAX + 1), &mut bytes)
            .map_err(|e| io("read", e))?;
        let parsed: FileFormat = serde_json::from_slice(&bytes).map_err(|e| self.damaged(e.to_string()))?;
        if parsed.version != VERSION {
            return Err(
                self.damaged(format!("format version {}, this vouchd reads {VERSION}", parsed.version))
            );
        }
        for t in &parsed.tokens {
            if t.id != vouch_api::auth::token_id(&t.hash) {
                return Err(self.damaged(format!("token {} does not carry the id of its hash", t.id)));
            }
        }
        Ok((Some(stamp), parsed.tokens))
    }

    fn write(&self, tokens: &[TokenRecord]) -> Result<(), TokenError> {
        let file = FileFormat { version: VERSION, tokens: tokens.to_vec() };
        let mut bytes = serde_json::to_vec_pretty(&file).map_err(|e| self.damaged(e.to_string()))?;
        bytes.push(b'\n');
        crate::durable::replace_private_file(&self.path, &bytes).map_err(|error| TokenError::Io {
            path: self.path.clone(),
            action: "replace",
            error,
        })
    }

    /// An exclusive lock on `tokens.json.lock`, held until the returned file is dropped.
    fn lock(&self) -> Result<std::fs::File, TokenError> {
        crate::durable::lock_beside(&self.path).map_err(|(path, action, error)| TokenError::Io {
            path,
            action,
            error,
        })
    }

    fn damaged(&self, detail: String) -> TokenError {
        TokenError::Damaged { path: self.path.clone(), detail }
    }

    /// The records as of now: reread only when the file changed.
    fn current(&self) -> Result<Arc<Vec<TokenRecord>>, TokenError> {
        let stamp = match std::fs::metadata(&self.path) {
            Ok(meta) => Some(stamp_of(&meta)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(TokenError::Io { path: self.path.clone(), action: "stat", error }),
        };
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cached, tokens)) = cache.as_ref()
            && Some(cached) == stamp.as_ref()
        {
            return Ok(tokens.clone());
        }
        let (stamp, tokens) = self.read()?;
        let tokens = Arc::new(tokens);
        *cache = stamp.map(|s| (s, tokens.clone()));
        Ok(tokens)
    }
}

impl Authenticator for TokenFile {
    fn find(&self, hash: &Hash) -> Result<Option<TokenRecord>, AuthError> {
        let tokens = self.current().map_err(|e| AuthError::Store(e.to_string()))?;
        Ok(tokens.iter().find(|t| t.hash == *hash).cloned())
    }
}

/// A genesis role as genesis spells it (`bank`, `audit_firm`, `regulator`).
pub fn role_name(role: Role) -> String {
    match serde_json::to_value(role) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{role:?}"),
    }
}

fn stamp_of(meta: &std::fs::Metadata) -> Stamp {
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(meta);
    #[cfg(not(unix))]
    let inode = 0;
    Stamp { len: meta.len(), modified: meta.modified().ok(), inode }
}

fn check_name(name: &str) -> Result<(), TokenError> {
    let chars = name.chars().count();
    if name.trim().is_empty() || chars > TOKEN_NAME_CHARS_MAX || name.chars().any(char::is_control) {
        return Err(TokenError::Invalid(format!(
            "--name must be 1 to {TOKEN_NAME_CHARS_MAX} characters without control characters (got {chars})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vouch_api::auth::Secret;

    fn genesis() -> Genesis {
        vouch_core::testkit::DemoNetwork::new(1).expect("demo").genesis
    }

    #[test]
    fn issue_list_revoke_and_the_node_sees_each_change() {
        let dir = tempfile::tempdir().expect("dir");
        let file = TokenFile::in_data_dir(dir.path());
        let node = TokenFile::in_data_dir(dir.path());
        let g = genesis();
        let mut rng = rand::rngs::OsRng;
        assert!(file.list().expect("no file yet").is_empty());
        let (rec, secret) = file.issue(&g, "bank-a", "Li", None, false, 10, &mut rng).expect("issue");
        let hash = Secret::parse(&secret.token()).expect("token").hash();
        assert_eq!(node.find(&hash).expect("find").map(|r| r.id), Some(rec.id.clone()));
        let text = std::fs::read_to_string(file.path()).expect("file");
        assert!(!text.contains(&secret.token()[6..]), "the token itself is never stored");
        assert!(text.contains(&hash.to_hex()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(file.path()).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the owner reads the token file");
        }
        let revoked = file.revoke(&rec.id, 20).expect("revoke");
        assert_eq!(revoked.revoked_ms, Some(20));
        assert_eq!(node.find(&hash).expect("find").and_then(|r| r.revoked_ms), Some(20));
        assert_eq!(file.revoke(&rec.id, 30).expect("again").revoked_ms, Some(20), "first revocation stands");
        assert!(matches!(file.revoke("tok_0000000000000000", 1), Err(TokenError::UnknownToken { .. })));
        assert_eq!(file.list().expect("list").len(), 1);
    }

    #[test]
    fn issuing_checks_org_client_and_name() {
        let dir = tempfile::tempdir().expect("dir");
        let file = TokenFile::in_data_dir(dir.path());
        let g = genesis();
        let mut rng = rand::rngs::OsRng;
        assert!(matches!(
            file.issue(&g, "bank-z", "x", None, false, 1, &mut rng),
            Err(TokenError::UnknownOrg { .. })
        ));
        assert!(matches!(
            file.issue(&g, "audit-x", "x", Some("c-1"), false, 1, &mut rng),
            Err(TokenError::ClientOfNonBank { .. })
        ));
        assert!(matches!(
            file.issue(&g, "bank-a", " ", None, false, 1, &mut rng),
            Err(TokenError::Invalid(_))
        ));
        assert!(matches!(
            file.issue(&g, "bank-a", "a\nb", None, false, 1, &mut rng),
            Err(TokenError::Invalid(_))
        ));
        let (rec, _) =
            file.issue(&g, "bank-a", "portal", Some("c-000123"), false, 1, &mut rng).expect("client token");
        assert_eq!(rec.client.map(|c| c.to_string()).as_deref(), Some("c-000123"));
        assert!(file.list().expect("list").len() == 1, "refusals wrote nothing");
    }

    #[test]
    fn tokens_bind_to_a_signer_and_old_files_still_load() {
        let dir = tempfile::tempdir().expect("dir");
        let file = TokenFile::in_data_dir(dir.path());
        let g = genesis();
        let mut rng = rand::rngs::OsRng;
        let (rec, _) =
            file.issue_bound(&g, "bank-a", "Li", None, Some("li"), false, 1, &mut rng).expect("bound");
        assert_eq!(rec.signer.as_deref(), Some("li"));
        assert!(matches!(
            file.issue_bound(&g, "bank-a", "portal", Some("c-1"), Some("c-2"), false, 1, &mut rng),
            Err(TokenError::Invalid(_))
        ));
        assert!(matches!(
            file.issue_bound(&g, "bank-a", "Li", None, Some("Not A Person!"), false, 1, &mut rng),
            Err(TokenError::Invalid(_))
        ));
        assert_eq!(file.list().expect("list"), vec![rec]);
        // A file written before signers existed has no `signer` member.
        std::fs::write(
            file.path(),
            format!(
                "{{\"version\": 1, \"tokens\": [{{\"id\": \"{}\", \"hash\": \"{}\", \"org\": \"bank-a\", \"name\": \"old\", \"operator\": false, \"issued_ms\": 1}}]}}",
                vouch_api::auth::token_id(&Hash::ZERO),
                Hash::ZERO.to_hex()
            ),
        )
        .expect("write");
        assert_eq!(file.list().expect("old file").first().map(|t| t.signer.clone()), Some(None));
    }

    #[test]
    fn a_damaged_file_is_an_error_not_an_empty_list() {
        let dir = tempfile::tempdir().expect("dir");
        let file = TokenFile::in_data_dir(dir.path());
        std::fs::write(file.path(), b"{\"version\": 1, \"tokens\": [").expect("write");
        assert!(matches!(file.list(), Err(TokenError::Damaged { .. })));
        assert!(file.find(&Hash::ZERO).is_err(), "the node refuses to guess");
        std::fs::write(file.path(), b"{\"version\": 2, \"tokens\": []}").expect("write");
        assert!(matches!(file.list(), Err(TokenError::Damaged { .. })));
    }
}
