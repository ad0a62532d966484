//! Find `vouchd`, start it, signal it, and remember its pid across invocations.
//!
//! Pids live in `<testnet>/pids.json` (node name → pid), so `status` and `down` work from
//! another invocation than `up`. Before a pid from that file is signalled, its command
//! line is checked to be a `vouchd` (pids are reused by the OS).

use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The pid file name.
pub const PIDS: &str = "pids.json";

/// Why a process could not be found, started or signalled.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// `VOUCHD` points at nothing.
    #[error("VOUCHD={0} does not exist; next: unset VOUCHD or point it at a built vouchd")]
    VouchdEnv(PathBuf),
    /// Building `vouchd` failed.
    #[error(
        "`{command}` failed ({status}); next: fix the build of vouch-node, or set VOUCHD to a built vouchd"
    )]
    Build {
        /// The command run.
        command: String,
        /// Its exit status.
        status: String,
    },
    /// Built, yet not found where expected.
    #[error("vouchd was built but is not at {0}; next: set VOUCHD to its path")]
    NotFound(PathBuf),
    /// A file or process operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A signal could not be sent.
    #[error("cannot send {signal} to pid {pid}: {source}")]
    Signal {
        /// The signal.
        signal: Signal,
        /// The pid.
        pid: i32,
        /// The OS error.
        source: nix::Error,
    },
    /// `pids.json` is damaged.
    #[error(
        "{path} does not parse: {reason}; next: check no vouchd is running (`pgrep -a vouchd`) and delete it"
    )]
    Pids {
        /// The path.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}

/// Whether to build `vouchd` before using it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// Only when no `vouchd` is found.
    IfMissing,
    /// Always run `cargo build` (cheap when up to date): tests use the current source.
    Always,
}

/// Locate `vouchd`: `$VOUCHD`, else next to the current executable (walking up from it),
/// else build it with cargo (announced on stderr).
pub fn locate_vouchd(build: Build) -> Result<PathBuf, ProcessError> {
    locate("vouchd", None, build)
}

/// Locate `vouchd-faults` (`vouchd` with the fault-injection points compiled in, for the
/// fault campaign): `$VOUCHD`, else next to the current executable, else build it with
/// `--features fault-injection`.
pub fn locate_vouchd_faults(build: Build) -> Result<PathBuf, ProcessError> {
    locate("vouchd-faults", Some("fault-injection"), build)
}

fn locate(bin: &str, feature: Option<&str>, build: Build) -> Result<PathBuf, ProcessError> {
    if let Some(path) = std::env::var_os("VOUCHD") {
        let path = PathBuf::from(path);
        return if path.is_file() { Ok(path) } else { Err(ProcessError::VouchdEnv(path)) };
    }
    let exe = std::env::current_exe().map_err(|source| ProcessError::Io {
        action: "cannot find",
        path: "the current executable".into(),
        source,
    })?;
    if build == Build::IfMissing
        && let Some(found) = next_to(&exe, bin)
    {
        return Ok(found);
    }
    let release = exe.ancestors().any(|a| a.file_name().is_some_and(|n| n == "release"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command.args(["build", "--quiet", "-p", "vouch-node", "--bin", bin]);
    if let Some(f) = feature {
        command.args(["--features", f]);
    }
    if release {
        command.arg("--release");
    }
    let shown = format!(
        "{} build -p vouch-node --bin {bin}{}{}",
        cargo.to_string_lossy(),
        feature.map(|f| format!(" --features {f}")).unwrap_or_default(),
        if release { " --release" } else { "" }
    );
    if build == Build::IfMissing {
        eprintln!("{bin} not found next to {}; building it: {shown}", exe.display());
    }
    let status = command.status().map_err(|source| ProcessError::Io {
        action: "cannot run",
        path: PathBuf::from(&cargo),
        source,
    })?;
    if !status.success() {
        return Err(ProcessError::Build { command: shown, status: status.to_string() });
    }
    next_to(&exe, bin).ok_or_else(|| {
        ProcessError::NotFound(exe.parent().map(|p| p.join(bin)).unwrap_or_else(|| bin.into()))
    })
}

/// `bin` in the executable's directory or one of its parents (at most three up):
/// `target/debug/deps/x` → `target/debug/vouchd`.
fn next_to(exe: &Path, bin: &str) -> Option<PathBuf> {
    exe.ancestors().skip(1).take(3).map(|dir| dir.join(bin)).find(|p| p.is_file())
}

/// Start `vouchd run --config <config>` with stdout and stderr appended to `log`.
///
/// With `tie_to_parent`, the node gets SIGKILL when the thread that started it ends (Linux
/// `PR_SET_PDEATHSIG`), so a test killed before its cleanup leaves no node behind; nodes
/// that must outlive the command (`up`) are started without it, in their own process
/// group so a Ctrl-C at the terminal does not reach them.
/// `env` is added to the node's environment (the fault campaign arms faults with it).
pub fn spawn(
    vouchd: &Path,
    config: &Path,
    log: &Path,
    tie_to_parent: bool,
    env: &[(String, String)],
) -> Result<Child, ProcessError> {
    let open =
        |path: &Path| {
            std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|source| {
                ProcessError::Io { action: "cannot open", path: path.to_path_buf(), source }
            })
        };
    let out = open(log)?;
    let err = out.try_clone().map_err(|source| ProcessError::Io {
        action: "cannot open",
        path: log.to_path_buf(),
        source,
    })?;
    let mut command = Command::new(vouchd);
    command.arg("run").arg("--config").arg(config).stdin(Stdio::null()).stdout(out).stderr(err);
    command.envs(env.iter().map(|(k, v)| (k, v)));
    use std::os::unix::process::CommandExt as _;
    if tie_to_parent {
        // SAFETY: the closure runs in the forked child before exec and only makes the
        // prctl system call, which is async-signal-safe; it touches no memory of the
        // parent.
        unsafe {
            command.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(Some(Signal::SIGKILL)).map_err(std::io::Error::from)
            });
        }
    } else {
        command.process_group(0);
    }
    command.spawn().map_err(|source| ProcessError::Io {
        action: "cannot start",
        path: vouchd.to_path_buf(),
        source,
    })
}

/// Send `signal` to `pid`.
pub fn send(pid: u32, sig: Signal) -> Result<(), ProcessError> {
    let raw = i32::try_from(pid).unwrap_or(i32::MAX);
    signal::kill(Pid::from_raw(raw), sig).map_err(|source| ProcessError::Signal {
        signal: sig,
        pid: raw,
        source,
    })
}

/// Whether `pid` is alive and is a `vouchd` (a zombie is not alive).
pub fn is_vouchd(pid: u32) -> bool {
    // Linux only: a pid without /proc entry is gone.
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else { return false };
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')))
        .unwrap_or(false);
    let first = cmdline.split(|b| *b == 0).next().unwrap_or_default();
    !zombie && Path::new(&*String::from_utf8_lossy(first)).file_name().is_some_and(|n| n == "vouchd")
}

/// Read `<dir>/pids.json` (empty if absent).
pub fn read_pids(dir: &Path) -> Result<BTreeMap<String, u32>, ProcessError> {
    let path = dir.join(PIDS);
    match std::fs::read(&path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| ProcessError::Pids { path, reason: e.to_string() })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(source) => Err(ProcessError::Io { action: "cannot read", path, source }),
    }
}

/// Write `<dir>/pids.json`.
pub fn write_pids(dir: &Path, pids: &BTreeMap<String, u32>) -> Result<(), ProcessError> {
    let path = dir.join(PIDS);
    let text = serde_json::to_string_pretty(pids)
        .map_err(|e| ProcessError::Pids { path: path.clone(), reason: e.to_string() })?;
    std::fs::write(&path, text).map_err(|source| ProcessError::Io { action: "cannot write", path, source })
}

/// Remove ANSI escape sequences (`ESC [ ... letter`), which colored logs carry.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// The last `lines` lines of a log file, without color codes (or why it could not be
/// read).
pub fn tail(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = strip_ansi(&String::from_utf8_lossy(&bytes));
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(read_pids(dir.path()).expect("empty").is_empty());
        let mut pids = BTreeMap::new();
        pids.insert("bank-a".to_string(), 42);
        write_pids(dir.path(), &pids).expect("write");
        assert_eq!(read_pids(dir.path()).expect("read"), pids);
        std::fs::write(dir.path().join(PIDS), "{").expect("write");
        assert!(matches!(read_pids(dir.path()), Err(ProcessError::Pids { .. })));
    }

    #[test]
    fn our_own_pid_is_not_a_vouchd() {
        assert!(!is_vouchd(std::process::id()));
    }

    #[test]
    fn next_to_walks_up_from_deps() {
        let dir = tempfile::tempdir().expect("tempdir");
        let debug = dir.path().join("debug");
        std::fs::create_dir_all(debug.join("deps")).expect("mkdir");
        std::fs::write(debug.join("vouchd"), "").expect("touch");
        assert_eq!(next_to(&debug.join("deps").join("e2e-1234"), "vouchd"), Some(debug.join("vouchd")));
        assert_eq!(next_to(&debug.join("vouch-testnet"), "vouchd"), Some(debug.join("vouchd")));
        assert_eq!(next_to(&debug.join("vouch-testnet"), "vouchd-faults"), None);
        let far = dir.path().join("elsewhere").join("x").join("y").join("z").join("w");
        assert_eq!(next_to(&far, "vouchd"), None);
    }

    #[test]
    fn strip_ansi_removes_colors_only() {
        assert_eq!(strip_ansi("\u{1b}[2m2026\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m ok"), "2026  INFO ok");
        assert_eq!(strip_ansi("plain [x]"), "plain [x]");
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("node.log");
        std::fs::write(&log, "a\nb\nc\nd\n").expect("write");
        assert_eq!(tail(&log, 2), "c\nd");
        assert!(tail(&dir.path().join("missing"), 2).contains("cannot read"));
    }
}
