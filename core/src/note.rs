//! Sign, open and verify C2SP signed notes (<https://c2sp.org/signed-note>): a UTF-8 text
//! followed by one or more signature lines, each naming the key that made it.
//!
//! Checkpoints ([`crate::checkpoint`]) are signed notes; this module knows nothing about
//! their body. `docs/PROTOCOL.md` §13 states rules R-NOTE-1 to
//! R-NOTE-11, which the errors below cite.
//!
//! # Terminology
//!
//! - *Note*: the whole message, *text* then a blank line then *signature lines*.
//! - *Text*: the signed part. Non-empty, ends in a newline, MAY contain blank lines; the
//!   note is split at its **last** blank line, which signature lines cannot contain.
//! - *Signature line*: `— <key name> <base64(key id || signature)>\n`, where `—` is the
//!   em dash U+2014.
//! - *Key name*: non-empty, no Unicode white space, no `+`, no control character.
//! - *Key ID*: `SHA-256(key name || 0x0A || signature type || public key)[:4]`, a
//!   big-endian `u32`. The *signature type* byte separates uses of one key: `0x01` for
//!   Ed25519 note signatures, `0x04` for tlog-cosignature/v1 (see [`crate::checkpoint`]).
//! - *Verifier key*: `<name>+<8 lowercase hex key id>+<base64(type || public key)>`.
//! - *Signer key*: `PRIVATE+KEY+<name>+<8 lowercase hex key id>+<base64(0x01 || seed)>`.
//! - *Known key*: a (name, key id) pair in the verifier's [`TrustedKeys`]. Signatures by
//!   other keys are ignored, never counted and never refused.
//!
//! ```text
//! If you think cryptography is the answer to your problem,  ┐ text
//! then you don't know what your problem is.                 ┘ (ends in \n)
//!                                                             blank line
//! — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFu…             signature line(s)
//! ```
//!
//! We are stricter than Go's `sumdb/note` in three places, all to keep one spelling per
//! note: base64 must be canonical (no non-zero trailing bits), verifier and signer key
//! ids must be lowercase hex, and Ed25519 signatures are checked with `verify_strict`.

use crate::encoding::{b64_decode, b64_encode};
use crate::keys::{KeyError, PublicKey, Signature, SigningKey};
use crate::limits::{NOTE_BYTES_MAX, NOTE_SIGNATURES_MAX};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use zeroize::Zeroizing;

/// Signature type byte of an Ed25519 note signature (signed-note §Ed25519 signatures).
pub const SIG_TYPE_ED25519: u8 = 0x01;

/// Signature type byte of a timestamped Ed25519 cosignature (tlog-cosignature, v1).
pub const SIG_TYPE_COSIGNATURE_V1: u8 = 0x04;

/// The em dash and space that open every signature line.
const SIGNATURE_LINE_PREFIX: &str = "\u{2014} ";

/// Prefix of an encoded signer key.
const SIGNER_KEY_PREFIX: &str = "PRIVATE+KEY+";

/// Why a note, a key encoding or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The note (or text to sign) is over the size limit; refused before parsing.
    #[error("R-NOTE-1: note is {got} bytes, over the limit of {max}")]
    TooLarge {
        /// Bytes seen.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// Not valid UTF-8.
    #[error("R-NOTE-2: note is not valid UTF-8 (first bad byte at offset {offset})")]
    NotUtf8 {
        /// Offset of the first byte that is not part of a valid UTF-8 sequence.
        offset: usize,
    },
    /// An ASCII control character other than newline (tab and carriage return included).
    #[error("R-NOTE-2: control character 0x{byte:02x} at offset {offset}; only newline (0x0a) is allowed")]
    ControlCharacter {
        /// Offset in the note (or text).
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// The text to sign is empty or does not end in a newline.
    #[error("R-NOTE-3: note text must be non-empty and end in a newline; got {got} bytes ending in {last:?}")]
    TextNotTerminated {
        /// Length of the text.
        got: usize,
        /// Its last character, if any.
        last: Option<char>,
    },
    /// No blank line separates text from signatures, or no signature line follows it.
    #[error("R-NOTE-3: no signature block: expected text, a blank line, then at least one signature line")]
    NoSignatureBlock,
    /// The signature block does not end in a newline.
    #[error("R-NOTE-3: last signature line does not end in a newline")]
    SignatureBlockNotTerminated,
    /// More signature lines than the limit.
    #[error("R-NOTE-4: note has {got} signature lines, at most {max} allowed")]
    TooManySignatures {
        /// Lines seen.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// A signature line is not `— <name> <base64>`.
    #[error("R-NOTE-5: signature line {line} is malformed: {detail}")]
    MalformedSignatureLine {
        /// 1-based index among signature lines.
        line: usize,
        /// What is wrong.
        detail: &'static str,
    },
    /// A key name breaks the naming rule.
    #[error("R-NOTE-6: key name {name:?} is invalid: {reason}")]
    InvalidKeyName {
        /// The name (clipped to 64 characters).
        name: String,
        /// Which part of the rule it breaks.
        reason: &'static str,
    },
    /// The base64 of a signature line does not decode, or decodes to too few bytes.
    #[error("R-NOTE-7: signature line {line} has invalid base64: {detail}")]
    SignatureEncoding {
        /// 1-based index among signature lines.
        line: usize,
        /// What the decoder said, or the length problem.
        detail: String,
    },
    /// An encoded key's id does not match the id computed from its name and public key.
    #[error("R-NOTE-8: key {name:?} has key id {got:08x}, expected {expected:08x}")]
    KeyIdMismatch {
        /// Key name (clipped).
        name: String,
        /// Id written in the encoding.
        got: u32,
        /// Id computed per R-NOTE-8.
        expected: u32,
    },
    /// A known key's signature does not verify. The whole note is refused.
    #[error("R-NOTE-10: signature line {line} by known key {name}+{key_id:08x} does not verify")]
    BadSignature {
        /// 1-based index among signature lines.
        line: usize,
        /// Key name.
        name: String,
        /// Key id.
        key_id: u32,
    },
    /// No signature is by a known key.
    #[error("R-NOTE-10: none of the note's {signatures} signature lines is by a trusted key")]
    NoTrustedSignature {
        /// Signature lines seen.
        signatures: usize,
    },
    /// Two trusted keys share a name and key id but differ.
    #[error("R-NOTE-10: trusted keys are ambiguous: two different keys are named {name}+{key_id:08x}")]
    AmbiguousKey {
        /// Key name.
        name: String,
        /// Key id.
        key_id: u32,
    },
    /// A verifier or signer key encoding is malformed.
    #[error("R-NOTE-11: malformed {what}: {detail}")]
    MalformedKey {
        /// `verifier key` or `signer key`.
        what: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// A key of a signature type this operation does not handle.
    #[error("R-NOTE-11: signature type 0x{got:02x} not supported here, expected {expected}")]
    UnsupportedKeyType {
        /// Type byte seen.
        got: u8,
        /// What this operation accepts.
        expected: &'static str,
    },
    /// The public key is not a valid, non-weak Ed25519 key.
    #[error("R-NOTE-11: {0}")]
    Key(#[from] KeyError),
}

/// Truncate attacker-sized text before it goes into an error message.
pub(crate) fn clip(text: &str) -> String {
    const CLIP_CHARS: usize = 64;
    let mut out: String = text.chars().take(CLIP_CHARS).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// Key ID of `public` under `name` for signature type `sig_type` (R-NOTE-8).
pub fn key_id(name: &str, sig_type: u8, public: &PublicKey) -> u32 {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([b'\n', sig_type])
        .chain_update(public.to_bytes())
        .finalize();
    let mut id = [0u8; 4];
    id.iter_mut().zip(digest.iter()).for_each(|(d, s)| *d = *s);
    u32::from_be_bytes(id)
}

/// Check a key name (R-NOTE-6): non-empty, no Unicode white space, no `+`, and no control
/// character (which R-NOTE-2 forbids anywhere in a note).
pub fn check_key_name(name: &str) -> Result<(), NoteError> {
    let invalid = |reason| Err(NoteError::InvalidKeyName { name: clip(name), reason });
    if name.is_empty() {
        return invalid("empty");
    }
    if name.chars().any(char::is_whitespace) {
        return invalid("contains white space");
    }
    if name.contains('+') {
        return invalid("contains '+'");
    }
    if name.chars().any(char::is_control) {
        return invalid("contains a control character");
    }
    Ok(())
}

/// Refuse ASCII control characters other than newline (R-NOTE-2).
fn check_control(text: &str) -> Result<(), NoteError> {
    match text.bytes().enumerate().find(|&(_, b)| b < 0x20 && b != b'\n') {
        Some((offset, byte)) => Err(NoteError::ControlCharacter { offset, byte }),
        None => Ok(()),
    }
}

/// Check a note text before signing it (R-NOTE-1 to R-NOTE-3).
pub fn check_text(text: &str) -> Result<(), NoteError> {
    if text.len() > NOTE_BYTES_MAX {
        return Err(NoteError::TooLarge { got: text.len(), max: NOTE_BYTES_MAX });
    }
    if !text.ends_with('\n') {
        return Err(NoteError::TextNotTerminated { got: text.len(), last: text.chars().last() });
    }
    check_control(text)
}

/// One signature line of a note, not yet verified.
#[derive(Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name.
    pub name: String,
    /// Key ID (the first four bytes of the base64 payload, big-endian).
    pub key_id: u32,
    /// The rest of the payload: the signature proper, whose format depends on the key.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for NoteSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteSignature({}+{:08x}, {} bytes)", self.name, self.key_id, self.bytes.len())
    }
}

impl NoteSignature {
    /// The signature line, `— <name> <base64(key id || bytes)>\n`.
    pub fn to_line(&self) -> String {
        let mut payload = Vec::with_capacity(4 + self.bytes.len());
        payload.extend_from_slice(&self.key_id.to_be_bytes());
        payload.extend_from_slice(&self.bytes);
        format!("{SIGNATURE_LINE_PREFIX}{} {}\n", self.name, b64_encode(&payload))
    }

    fn parse(line_no: usize, line: &str) -> Result<NoteSignature, NoteError> {
        let malformed = |detail| NoteError::MalformedSignatureLine { line: line_no, detail };
        let rest = line
            .strip_prefix(SIGNATURE_LINE_PREFIX)
            .ok_or(malformed("does not start with em dash and space"))?;
        let (name, b64) = rest.split_once(' ').ok_or(malformed("no space between key name and signature"))?;
        check_key_name(name)?;
        let encoding = |detail: String| NoteError::SignatureEncoding { line: line_no, detail };
        let payload = b64_decode(b64, NOTE_BYTES_MAX).map_err(|e| encoding(e.to_string()))?;
        match payload.split_first_chunk::<4>() {
            Some((id, bytes)) if !bytes.is_empty() => Ok(NoteSignature {
                name: name.to_string(),
                key_id: u32::from_be_bytes(*id),
                bytes: bytes.to_vec(),
            }),
            _ => Err(encoding(format!("{} bytes, expected a 4-byte key id and a signature", payload.len()))),
        }
    }
}

/// A note split into its text and signature lines, syntax checked, signatures unverified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedNote {
    /// The signed text, ending in a newline.
    pub text: String,
    /// The signature lines, in order, duplicates kept.
    pub signatures: Vec<NoteSignature>,
}

impl ParsedNote {
    /// The note bytes: text, blank line, signature lines. Round-trips [`open_note`].
    pub fn to_note(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for sig in &self.signatures {
            out.push_str(&sig.to_line());
        }
        out
    }
}

/// Parse a note (R-NOTE-1 to R-NOTE-7). Checks the size and the number of signature lines
/// before anything else, then UTF-8, control characters and each line's syntax.
/// Signatures are not verified: use [`verify_note`].
pub fn open_note(bytes: &[u8]) -> Result<ParsedNote, NoteError> {
    if bytes.len() > NOTE_BYTES_MAX {
        return Err(NoteError::TooLarge { got: bytes.len(), max: NOTE_BYTES_MAX });
    }
    // Signature lines are non-empty, so the last blank line is the separator.
    let split = bytes.windows(2).rposition(|w| w == b"\n\n").ok_or(NoteError::NoSignatureBlock)?;
    let (text, block) = bytes.split_at(split.saturating_add(1));
    let block = block.get(1..).unwrap_or_default();
    if block.is_empty() {
        return Err(NoteError::NoSignatureBlock);
    }
    let lines = block.iter().filter(|&&b| b == b'\n').count();
    if lines > NOTE_SIGNATURES_MAX {
        return Err(NoteError::TooManySignatures { got: lines, max: NOTE_SIGNATURES_MAX });
    }
    let note = std::str::from_utf8(bytes).map_err(|e| NoteError::NotUtf8 { offset: e.valid_up_to() })?;
    check_control(note)?;
    // Both halves end at ASCII bytes of a valid string, so they are valid UTF-8 too.
    let text = std::str::from_utf8(text).map_err(|e| NoteError::NotUtf8 { offset: e.valid_up_to() })?;
    let block = std::str::from_utf8(block).map_err(|e| NoteError::NotUtf8 { offset: e.valid_up_to() })?;
    let block = block.strip_suffix('\n').ok_or(NoteError::SignatureBlockNotTerminated)?;
    let signatures = block
        .split('\n')
        .enumerate()
        .map(|(i, line)| NoteSignature::parse(i.saturating_add(1), line))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ParsedNote { text: text.to_string(), signatures })
}

/// The Ed25519 signature line for `text` by `key` under `name` (R-NOTE-9).
pub fn note_signature(text: &str, name: &str, key: &SigningKey) -> Result<NoteSignature, NoteError> {
    check_text(text)?;
    check_key_name(name)?;
    let signature = key.sign_raw(text.as_bytes());
    Ok(NoteSignature {
        name: name.to_string(),
        key_id: key_id(name, SIG_TYPE_ED25519, &key.public()),
        bytes: signature.0.to_vec(),
    })
}

/// Sign `text` with `key` under `name`: the note `text || "\n" || signature line`.
/// To add a signature to an existing note, push a [`note_signature`] onto its
/// [`ParsedNote::signatures`] and call [`ParsedNote::to_note`].
pub fn sign_note(text: &str, name: &str, key: &SigningKey) -> Result<String, NoteError> {
    let signature = note_signature(text, name, key)?;
    let note = ParsedNote { text: text.to_string(), signatures: vec![signature] }.to_note();
    if note.len() > NOTE_BYTES_MAX {
        return Err(NoteError::TooLarge { got: note.len(), max: NOTE_BYTES_MAX });
    }
    Ok(note)
}

/// Trusted Ed25519 note keys, by (key name, key id). Build with [`trust`].
pub type TrustedKeys = BTreeMap<(String, u32), PublicKey>;

/// Trust these Ed25519 (type `0x01`) verifier keys. Refuses cosignature keys, which sign
/// a different message, and two different keys under one (name, key id).
pub fn trust<'a>(keys: impl IntoIterator<Item = &'a VerifierKey>) -> Result<TrustedKeys, NoteError> {
    let mut trusted = TrustedKeys::new();
    for key in keys {
        if key.sig_type != SIG_TYPE_ED25519 {
            return Err(NoteError::UnsupportedKeyType { got: key.sig_type, expected: "0x01 (Ed25519 note)" });
        }
        if let Some(existing) = trusted.insert((key.name.clone(), key.key_id), key.public)
            && existing != key.public
        {
            return Err(NoteError::AmbiguousKey { name: key.name.clone(), key_id: key.key_id });
        }
    }
    Ok(trusted)
}

/// Verify a note's signatures against `trusted` (R-NOTE-10) and return the keys that
/// signed, each once, in order of first appearance.
///
/// Signatures by unknown keys are ignored, even when they share a name or a key id (not
/// both) with a trusted key. A known key's signature that fails refuses the whole note,
/// as does a note with no signature by a known key.
pub fn verify_note(note: &ParsedNote, trusted: &TrustedKeys) -> Result<Vec<(String, u32)>, NoteError> {
    let mut verified: Vec<(String, u32)> = Vec::new();
    for (i, sig) in note.signatures.iter().enumerate() {
        let id = (sig.name.clone(), sig.key_id);
        let Some(public) = trusted.get(&id) else { continue };
        let bad = || NoteError::BadSignature {
            line: i.saturating_add(1),
            name: sig.name.clone(),
            key_id: sig.key_id,
        };
        let bytes = <[u8; 64]>::try_from(sig.bytes.as_slice()).map_err(|_| bad())?;
        public.verify_raw(note.text.as_bytes(), &Signature(bytes)).map_err(|_| bad())?;
        if !verified.contains(&id) {
            verified.push(id);
        }
    }
    if verified.is_empty() {
        return Err(NoteError::NoTrustedSignature { signatures: note.signatures.len() });
    }
    Ok(verified)
}

/// [`open_note`] then [`verify_note`]: the text, and the trusted keys that signed it.
pub fn open_verified(bytes: &[u8], trusted: &TrustedKeys) -> Result<(String, Vec<(String, u32)>), NoteError> {
    let note = open_note(bytes)?;
    let signers = verify_note(&note, trusted)?;
    Ok((note.text, signers))
}

/// Parse the `<8 lowercase hex>` key id of an encoded key.
fn parse_key_id(what: &'static str, hex_id: &str) -> Result<u32, NoteError> {
    let malformed = || NoteError::MalformedKey {
        what,
        detail: format!("key id {:?} is not 8 lowercase hex digits", clip(hex_id)),
    };
    if hex_id.len() != 8 || !hex_id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(malformed());
    }
    u32::from_str_radix(hex_id, 16).map_err(|_| malformed())
}

/// A verifier key: a named Ed25519 public key for one signature type (R-NOTE-11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    /// Key name.
    pub name: String,
    /// Key ID, computed from the other fields (R-NOTE-8).
    pub key_id: u32,
    /// Signature type: [`SIG_TYPE_ED25519`] or [`SIG_TYPE_COSIGNATURE_V1`].
    pub sig_type: u8,
    /// The public key.
    pub public: PublicKey,
}

impl VerifierKey {
    /// The verifier key for `public` under `name`, for signature type `sig_type`.
    pub fn new(name: &str, sig_type: u8, public: PublicKey) -> Result<VerifierKey, NoteError> {
        check_key_name(name)?;
        check_sig_type(sig_type)?;
        Ok(VerifierKey { name: name.to_string(), key_id: key_id(name, sig_type, &public), sig_type, public })
    }

    /// Parse `<name>+<hex key id>+<base64(type || public key)>`, checking the key id.
    pub fn parse(text: &str) -> Result<VerifierKey, NoteError> {
        const WHAT: &str = "verifier key";
        let malformed = |detail: &str| NoteError::MalformedKey { what: WHAT, detail: detail.to_string() };
        let (name, rest) = text.split_once('+').ok_or(malformed("expected <name>+<key id>+<key>"))?;
        let (hex_id, b64) = rest.split_once('+').ok_or(malformed("expected <name>+<key id>+<key>"))?;
        check_key_name(name)?;
        let written = parse_key_id(WHAT, hex_id)?;
        let raw = b64_decode(b64, 33).map_err(|e| malformed(&e.to_string()))?;
        let (&sig_type, key) = raw.split_first().ok_or(malformed("empty key"))?;
        check_sig_type(sig_type)?;
        let key = <[u8; 32]>::try_from(key)
            .map_err(|_| malformed(&format!("public key is {} bytes, expected 32", key.len())))?;
        let parsed = VerifierKey::new(name, sig_type, PublicKey::from_bytes(&key)?)?;
        if parsed.key_id != written {
            return Err(NoteError::KeyIdMismatch { name: clip(name), got: written, expected: parsed.key_id });
        }
        Ok(parsed)
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = vec![self.sig_type];
        raw.extend_from_slice(&self.public.to_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.key_id, b64_encode(&raw))
    }
}

fn check_sig_type(sig_type: u8) -> Result<(), NoteError> {
    match sig_type {
        SIG_TYPE_ED25519 | SIG_TYPE_COSIGNATURE_V1 => Ok(()),
        got => {
            Err(NoteError::UnsupportedKeyType { got, expected: "0x01 (Ed25519) or 0x04 (cosignature/v1)" })
        }
    }
}

/// A signer key: a named Ed25519 signing key for note signatures (type `0x01`).
#[derive(Clone)]
pub struct SignerKey {
    /// Key name.
    pub name: String,
    /// Key ID of the matching verifier key.
    pub key_id: u32,
    /// The signing key.
    pub key: SigningKey,
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignerKey({}+{:08x})", self.name, self.key_id)
    }
}

impl SignerKey {
    /// The signer key for `key` under `name`.
    pub fn new(name: &str, key: SigningKey) -> Result<SignerKey, NoteError> {
        check_key_name(name)?;
        Ok(SignerKey { name: name.to_string(), key_id: key_id(name, SIG_TYPE_ED25519, &key.public()), key })
    }

    /// Parse `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`, checking that the
    /// key id matches the public key derived from the seed.
    pub fn parse(text: &str) -> Result<SignerKey, NoteError> {
        const WHAT: &str = "signer key";
        let malformed = |detail: &str| NoteError::MalformedKey { what: WHAT, detail: detail.to_string() };
        let shape = "expected PRIVATE+KEY+<name>+<key id>+<key>";
        let rest = text.strip_prefix(SIGNER_KEY_PREFIX).ok_or(malformed(shape))?;
        let (name, rest) = rest.split_once('+').ok_or(malformed(shape))?;
        let (hex_id, b64) = rest.split_once('+').ok_or(malformed(shape))?;
        check_key_name(name)?;
        let written = parse_key_id(WHAT, hex_id)?;
        // Decoder errors never echo the input, so the seed cannot leak through them.
        let raw = Zeroizing::new(b64_decode(b64, 33).map_err(|e| malformed(&e.to_string()))?);
        let (&sig_type, seed) = raw.split_first().ok_or(malformed("empty key"))?;
        if sig_type != SIG_TYPE_ED25519 {
            return Err(NoteError::UnsupportedKeyType { got: sig_type, expected: "0x01 (Ed25519 note)" });
        }
        let seed = Zeroizing::new(<[u8; 32]>::try_from(seed).map_err(|_| malformed("seed is not 32 bytes"))?);
        let key = SigningKey::from_seed(&seed);
        // A weak public key would verify forged signatures; refuse it as keys.rs does.
        PublicKey::from_bytes(&key.public().to_bytes())?;
        let parsed = SignerKey::new(name, key)?;
        if parsed.key_id != written {
            return Err(NoteError::KeyIdMismatch { name: clip(name), got: written, expected: parsed.key_id });
        }
        Ok(parsed)
    }

    /// The encoded signer key. Secret: zeroized on drop.
    pub fn to_encoded(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(vec![SIG_TYPE_ED25519]);
        raw.extend_from_slice(&self.key.seed()[..]);
        Zeroizing::new(format!("{SIGNER_KEY_PREFIX}{}+{:08x}+{}", self.name, self.key_id, b64_encode(&raw)))
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            key_id: self.key_id,
            sig_type: SIG_TYPE_ED25519,
            public: self.key.public(),
        }
    }

    /// Sign `text` (see [`sign_note`]).
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        sign_note(text, &self.name, &self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "hello\nworld\n";

    fn signer(seed: u8, name: &str) -> SignerKey {
        SignerKey::new(name, SigningKey::from_seed(&[seed; 32])).unwrap()
    }

    fn trusted(keys: &[&SignerKey]) -> TrustedKeys {
        let verifiers: Vec<VerifierKey> = keys.iter().map(|k| k.verifier()).collect();
        trust(&verifiers).unwrap()
    }

    #[test]
    fn sign_open_verify_roundtrip() {
        let a = signer(1, "example.com/a");
        let note = a.sign(TEXT).unwrap();
        let parsed = open_note(note.as_bytes()).unwrap();
        assert_eq!(parsed.text, TEXT);
        assert_eq!(parsed.to_note(), note);
        assert_eq!(
            verify_note(&parsed, &trusted(&[&a])).unwrap(),
            vec![("example.com/a".to_string(), a.key_id)]
        );
    }

    #[test]
    fn text_may_contain_blank_lines() {
        let a = signer(1, "a");
        for text in ["a\n\nb\n", "\n", "a\n\n", "— a AAAA\n"] {
            let note = a.sign(text).unwrap();
            let parsed = open_note(note.as_bytes()).unwrap();
            assert_eq!(parsed.text, text);
            verify_note(&parsed, &trusted(&[&a])).unwrap();
        }
    }

    #[test]
    fn refuses_text_without_final_newline() {
        let a = signer(1, "a");
        assert!(matches!(a.sign("hello"), Err(NoteError::TextNotTerminated { got: 5, last: Some('o') })));
        assert!(matches!(a.sign(""), Err(NoteError::TextNotTerminated { got: 0, last: None })));
    }

    #[test]
    fn refuses_control_characters() {
        let a = signer(1, "a");
        assert_eq!(a.sign("a\r\n"), Err(NoteError::ControlCharacter { offset: 1, byte: 0x0d }));
        assert_eq!(a.sign("a\tb\n"), Err(NoteError::ControlCharacter { offset: 1, byte: 0x09 }));
        let note = a.sign(TEXT).unwrap().replacen("world", "wor\x01d", 1);
        assert_eq!(open_note(note.as_bytes()), Err(NoteError::ControlCharacter { offset: 9, byte: 1 }));
    }

    #[test]
    fn refuses_invalid_utf8() {
        let mut note = signer(1, "a").sign(TEXT).unwrap().into_bytes();
        note[1] = 0xff;
        assert_eq!(open_note(&note), Err(NoteError::NotUtf8 { offset: 1 }));
    }

    #[test]
    fn refuses_missing_signature_block() {
        let note = signer(1, "a").sign(TEXT).unwrap();
        assert_eq!(open_note(TEXT.as_bytes()), Err(NoteError::NoSignatureBlock));
        assert_eq!(open_note(b"hello\n\n"), Err(NoteError::NoSignatureBlock));
        // Without the blank line, the signature line is part of a text with no signatures.
        let joined = note.replacen("\n\n", "\n", 1);
        assert_eq!(open_note(joined.as_bytes()), Err(NoteError::NoSignatureBlock));
        let unterminated = note.strip_suffix('\n').unwrap();
        assert_eq!(open_note(unterminated.as_bytes()), Err(NoteError::SignatureBlockNotTerminated));
    }

    #[test]
    fn blank_line_between_signatures_moves_the_split() {
        // The split is at the last blank line: a blank line inside the signature block makes
        // the lines above it text, and the signatures no longer verify over that text.
        let a = signer(1, "a");
        let b = signer(2, "b");
        let mut parsed = open_note(a.sign(TEXT).unwrap().as_bytes()).unwrap();
        parsed.signatures.push(note_signature(TEXT, "b", &b.key).unwrap());
        let lines: Vec<String> = parsed.signatures.iter().map(|s| s.to_line()).collect();
        let note = format!("{TEXT}\n{}\n{}", lines[0], lines[1]);
        let reparsed = open_note(note.as_bytes()).unwrap();
        assert_eq!(reparsed.signatures.len(), 1);
        assert!(matches!(
            verify_note(&reparsed, &trusted(&[&a, &b])),
            Err(NoteError::BadSignature { line: 1, .. })
        ));
    }

    #[test]
    fn refuses_bad_em_dash() {
        let note = signer(1, "a").sign(TEXT).unwrap();
        for bad in [
            note.replacen('\u{2014}', "-", 1),
            note.replacen('\u{2014}', "\u{2013}", 1),
            note.replacen("\u{2014} ", "\u{2014}", 1),
        ] {
            assert!(
                matches!(open_note(bad.as_bytes()), Err(NoteError::MalformedSignatureLine { line: 1, .. })),
                "{bad}"
            );
        }
        let no_space = note.replacen("a ", "a", 1);
        assert!(matches!(
            open_note(no_space.as_bytes()),
            Err(NoteError::MalformedSignatureLine { line: 1, .. })
        ));
    }

    #[test]
    fn refuses_bad_base64() {
        let a = signer(1, "a");
        let good = a.sign(TEXT).unwrap();
        let (head, b64) = good.trim_end().rsplit_once(' ').unwrap();
        // The payload is 68 bytes: the last group encodes two bytes in three characters and
        // "=", so the last character's two low bits must be zero. Set one.
        const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        assert!(b64.ends_with('=') && !b64.ends_with("=="));
        let last = &b64[b64.len() - 2..b64.len() - 1];
        let index = ALPHABET.find(last).unwrap() | 1;
        let mut flipped_tail = b64.to_string();
        flipped_tail.replace_range(b64.len() - 2..b64.len() - 1, &ALPHABET[index..index + 1]);
        for bad in [
            format!("{head} {}\n", b64.trim_end_matches('=')),
            format!("{head} {}\n", b64.replace('+', "-").replace('/', "_") + "%"),
            format!("{head} {flipped_tail}\n"),
            format!("{head} AAAA\n"),
            format!("{head} AAAAAA==\n"),
            format!("{head} \n"),
        ] {
            assert!(
                matches!(open_note(bad.as_bytes()), Err(NoteError::SignatureEncoding { line: 1, .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn refuses_bad_key_names() {
        let key = SigningKey::from_seed(&[1; 32]);
        for (name, reason) in [
            ("", "empty"),
            ("a b", "contains white space"),
            ("a\u{a0}b", "contains white space"),
            ("a+b", "contains '+'"),
        ] {
            assert_eq!(
                sign_note(TEXT, name, &key),
                Err(NoteError::InvalidKeyName { name: name.to_string(), reason })
            );
        }
        let note = sign_note(TEXT, "ab", &key).unwrap().replacen("ab", "a+", 1);
        assert!(matches!(open_note(note.as_bytes()), Err(NoteError::InvalidKeyName { .. })));
    }

    #[test]
    fn refuses_too_many_signatures() {
        let a = signer(1, "a");
        let mut parsed = open_note(a.sign(TEXT).unwrap().as_bytes()).unwrap();
        let line = parsed.signatures[0].clone();
        parsed.signatures = vec![line; NOTE_SIGNATURES_MAX];
        let at_limit = parsed.to_note();
        assert!(at_limit.len() <= NOTE_BYTES_MAX);
        assert_eq!(open_note(at_limit.as_bytes()).unwrap().signatures.len(), NOTE_SIGNATURES_MAX);
        parsed.signatures.push(parsed.signatures[0].clone());
        assert_eq!(
            open_note(parsed.to_note().as_bytes()),
            Err(NoteError::TooManySignatures { got: NOTE_SIGNATURES_MAX + 1, max: NOTE_SIGNATURES_MAX })
        );
    }

    #[test]
    fn refuses_oversize() {
        let a = signer(1, "a");
        let text = "x".repeat(NOTE_BYTES_MAX) + "\n";
        assert_eq!(a.sign(&text), Err(NoteError::TooLarge { got: NOTE_BYTES_MAX + 1, max: NOTE_BYTES_MAX }));
        // A text at the limit fits, but the note it makes does not.
        let text = "x".repeat(NOTE_BYTES_MAX - 1) + "\n";
        assert!(matches!(a.sign(&text), Err(NoteError::TooLarge { .. })));
        let note = format!("{text}\n— a AAAAAA==\n");
        assert!(matches!(open_note(note.as_bytes()), Err(NoteError::TooLarge { .. })));
    }

    #[test]
    fn ignores_unknown_keys_and_refuses_known_bad_signatures() {
        let a = signer(1, "a");
        let b = signer(2, "b");
        let mut parsed = open_note(a.sign(TEXT).unwrap().as_bytes()).unwrap();
        // Unknown: same name as a known key but another id, and another name with a's id.
        parsed.signatures.push(NoteSignature { name: "a".into(), key_id: a.key_id ^ 1, bytes: vec![0; 64] });
        parsed.signatures.push(NoteSignature { name: "c".into(), key_id: a.key_id, bytes: vec![0; 7] });
        assert_eq!(verify_note(&parsed, &trusted(&[&a])).unwrap().len(), 1);
        // Only unknown signatures: refused.
        assert_eq!(
            verify_note(&parsed, &trusted(&[&b])),
            Err(NoteError::NoTrustedSignature { signatures: 3 })
        );
        // A known key with a bad signature: refused, even next to a good one.
        let mut bad = parsed.signatures[0].clone();
        bad.bytes[0] ^= 1;
        parsed.signatures.push(bad);
        assert_eq!(
            verify_note(&parsed, &trusted(&[&a])),
            Err(NoteError::BadSignature { line: 4, name: "a".into(), key_id: a.key_id })
        );
        // A known key with a signature of the wrong length: refused.
        parsed.signatures[3].bytes.truncate(10);
        assert!(matches!(
            verify_note(&parsed, &trusted(&[&a])),
            Err(NoteError::BadSignature { line: 4, .. })
        ));
    }

    #[test]
    fn duplicate_signatures_are_reported_once() {
        let a = signer(1, "a");
        let mut parsed = open_note(a.sign(TEXT).unwrap().as_bytes()).unwrap();
        parsed.signatures.push(parsed.signatures[0].clone());
        let reparsed = open_note(parsed.to_note().as_bytes()).unwrap();
        assert_eq!(verify_note(&reparsed, &trusted(&[&a])).unwrap().len(), 1);
    }

    #[test]
    fn wrong_key_id() {
        // A signature whose key id is not the signer's is by an unknown key.
        let a = signer(1, "a");
        let mut parsed = open_note(a.sign(TEXT).unwrap().as_bytes()).unwrap();
        parsed.signatures[0].key_id = key_id("a", SIG_TYPE_COSIGNATURE_V1, &a.key.public());
        assert_eq!(
            verify_note(&parsed, &trusted(&[&a])),
            Err(NoteError::NoTrustedSignature { signatures: 1 })
        );
        // An encoded key whose id does not match is refused.
        let vkey = a.verifier().to_string();
        let wrong = vkey.replacen(&format!("{:08x}", a.key_id), &format!("{:08x}", a.key_id ^ 1), 1);
        assert!(matches!(VerifierKey::parse(&wrong), Err(NoteError::KeyIdMismatch { .. })));
        let skey = a.to_encoded();
        let wrong = skey.replacen(&format!("{:08x}", a.key_id), &format!("{:08x}", a.key_id ^ 1), 1);
        assert!(matches!(SignerKey::parse(&wrong), Err(NoteError::KeyIdMismatch { .. })));
    }

    #[test]
    fn key_encodings_roundtrip_and_are_strict() {
        let a = signer(3, "example.com/a");
        let vkey = a.verifier().to_string();
        assert_eq!(VerifierKey::parse(&vkey).unwrap(), a.verifier());
        let back = SignerKey::parse(&a.to_encoded()).unwrap();
        assert_eq!(back.verifier(), a.verifier());
        let cosigner = VerifierKey::new("w", SIG_TYPE_COSIGNATURE_V1, a.key.public()).unwrap();
        assert_eq!(VerifierKey::parse(&cosigner.to_string()).unwrap(), cosigner);
        assert!(matches!(trust([&cosigner]), Err(NoteError::UnsupportedKeyType { got: 4, .. })));

        let upper = vkey.replacen(&format!("{:08x}", a.key_id), &format!("{:08X}", a.key_id), 1);
        if upper != vkey {
            assert!(matches!(VerifierKey::parse(&upper), Err(NoteError::MalformedKey { .. })));
        }
        for bad in ["", "a", "a+1234567", "a+12345678", "a+1234567g+AQ=="] {
            assert!(matches!(VerifierKey::parse(bad), Err(NoteError::MalformedKey { .. })), "{bad}");
        }
        assert!(matches!(SignerKey::parse(&vkey), Err(NoteError::MalformedKey { .. })));
        let mut raw = vec![0x02];
        raw.extend_from_slice(&a.key.public().to_bytes());
        let other_type = format!("a+00000000+{}", b64_encode(&raw));
        assert!(matches!(VerifierKey::parse(&other_type), Err(NoteError::UnsupportedKeyType { got: 2, .. })));
    }

    #[test]
    fn ambiguous_trusted_keys_are_refused() {
        let a = signer(1, "a");
        let mut forged = signer(2, "a").verifier();
        forged.key_id = a.key_id;
        assert!(matches!(trust([&a.verifier(), &forged]), Err(NoteError::AmbiguousKey { .. })));
        assert_eq!(trust([&a.verifier(), &a.verifier()]).unwrap().len(), 1);
    }

    #[test]
    fn clip_bounds_error_text() {
        assert_eq!(clip("abc"), "abc");
        assert_eq!(clip(&"é".repeat(100)).chars().count(), 65);
    }
}
