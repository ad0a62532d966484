//! Keep the console's sign-in sessions in memory, and the CSRF tokens that go with them.
//!
//! # Terminology
//!
//! - *Session id*: 32 random bytes, base64url without padding, in the `vouch_session`
//!   cookie. It names a session; it is not the API token, which the session never keeps:
//!   a session keeps the token's SHA-256, and the principal is looked up again at each
//!   request, so a revoked token ends its sessions at once.
//! - *CSRF token*: 32 random bytes per session (synchronizer token), sent in a hidden
//!   field of every POST form and compared in constant time.
//! - *Pre-session token*: before sign-in there is no session; the sign-in form carries a
//!   random token that must equal the `vouch_presign` cookie (double submit).
//! - *Idle*: a session unused for longer than the idle timeout is gone, as if signed out.
//!
//! Sessions live in this process only: a restart signs everyone out, which is what a
//! console holding custodial-signing sessions should do.

use crate::limits::CONSOLE_SESSIONS_MAX;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore as _};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq as _;
use vouch_core::encoding::Hash;

/// Cookie naming the session.
pub const SESSION_COOKIE: &str = "vouch_session";
/// Cookie holding the sign-in form's pre-session token.
pub const PRESIGN_COOKIE: &str = "vouch_presign";
/// Cookie holding the chosen language.
pub const LANG_COOKIE: &str = "vouch_lang";

/// Why a session could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// Every slot holds a live session.
    #[error("the console already holds {max} live sessions; try again later")]
    Full {
        /// The bound.
        max: usize,
    },
}

/// A live session, as a request sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    /// The session id (the cookie's value).
    pub id: String,
    /// SHA-256 of the API token it was opened with.
    pub token_hash: Hash,
    /// The CSRF token its forms carry.
    pub csrf: String,
}

#[derive(Debug)]
struct Session {
    token_hash: Hash,
    csrf: String,
    last_seen: Instant,
}

/// Every open session, bounded by [`CONSOLE_SESSIONS_MAX`].
#[derive(Debug)]
pub struct Sessions {
    idle: Duration,
    open: Mutex<HashMap<String, Session>>,
}

/// 32 random bytes from the OS, base64url without padding (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `a` and `b` are equal, in time that depends on their lengths only.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Sessions {
    /// No sessions; each ends after `idle` unused.
    pub fn new(idle: Duration) -> Sessions {
        Sessions { idle, open: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the lock leaves a map that is still consistent (each
        // operation is one insert or remove), so a poisoned lock is used as it is.
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Open a session for the token whose hash is `token_hash`.
    pub fn open(&self, token_hash: Hash, now: Instant) -> Result<Live, SessionError> {
        let mut open = self.lock();
        if open.len() >= CONSOLE_SESSIONS_MAX {
            let idle = self.idle;
            open.retain(|_, s| now.saturating_duration_since(s.last_seen) <= idle);
        }
        if open.len() >= CONSOLE_SESSIONS_MAX {
            // Refuse rather than evict: evicting would let anyone with a token sign
            // other people out.
            return Err(SessionError::Full { max: CONSOLE_SESSIONS_MAX });
        }
        let id = random_token();
        let csrf = random_token();
        open.insert(id.clone(), Session { token_hash, csrf: csrf.clone(), last_seen: now });
        Ok(Live { id, token_hash, csrf })
    }

    /// The live session `id`, marked used at `now`; `None` (and forgotten) once idle.
    pub fn touch(&self, id: &str, now: Instant) -> Option<Live> {
        let mut open = self.lock();
        let session = open.get_mut(id)?;
        if now.saturating_duration_since(session.last_seen) > self.idle {
            open.remove(id);
            return None;
        }
        session.last_seen = now;
        Some(Live { id: id.to_string(), token_hash: session.token_hash, csrf: session.csrf.clone() })
    }

    /// End session `id` (sign-out).
    pub fn close(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Sessions held, live or idle but not yet swept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// No session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The value of cookie `name` in the request's `Cookie` headers, if present once or more
/// (the first wins).
pub fn cookie<'h>(headers: &'h axum::http::HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, `Path=/`, `Secure` when asked;
/// `max_age_s` 0 deletes the cookie, `None` makes it last the browser session.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age_s: Option<u64>) -> String {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age_s {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_lives_while_used_and_ends_when_idle_or_closed() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let live = sessions.open(Hash([1; 32]), t0).expect("opens");
        assert_eq!(live.id.len(), 43);
        assert_ne!(live.id, live.csrf);
        let later = t0 + Duration::from_secs(50);
        assert_eq!(sessions.touch(&live.id, later).map(|l| l.token_hash), Some(Hash([1; 32])));
        // Used at 50 s, so still live at 100 s; idle past 60 s after that, gone.
        assert!(sessions.touch(&live.id, t0 + Duration::from_secs(100)).is_some());
        assert!(sessions.touch(&live.id, t0 + Duration::from_secs(161)).is_none());
        assert!(sessions.is_empty());
        let other = sessions.open(Hash([2; 32]), t0).expect("opens");
        sessions.close(&other.id);
        assert!(sessions.touch(&other.id, t0).is_none());
    }

    #[test]
    fn sessions_are_bounded_and_idle_ones_make_room() {
        let sessions = Sessions::new(Duration::from_secs(1));
        let t0 = Instant::now();
        for _ in 0..CONSOLE_SESSIONS_MAX {
            sessions.open(Hash([0; 32]), t0).expect("room");
        }
        assert_eq!(sessions.open(Hash([0; 32]), t0), Err(SessionError::Full { max: CONSOLE_SESSIONS_MAX }));
        assert!(sessions.open(Hash([0; 32]), t0 + Duration::from_secs(2)).is_ok());
        assert_eq!(sessions.len(), 1);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert!(!same_secret("", "a"));
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = axum::http::HeaderMap::new();
        headers.append(axum::http::header::COOKIE, "a=1; vouch_session_x=2".parse().expect("value"));
        headers.append(axum::http::header::COOKIE, "vouch_session=3".parse().expect("value"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("3"));
        assert_eq!(cookie(&headers, "b"), None);
        let set = set_cookie(SESSION_COOKIE, "v", true, None);
        assert_eq!(set, "vouch_session=v; Path=/; HttpOnly; SameSite=Strict; Secure");
    }
}
