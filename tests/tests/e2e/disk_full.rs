//! A validator's disk fills up while it runs (issue 7, "disk full"): its data directory is
//! a small tmpfs, filled to the last byte under load. It must stop with a named error
//! rather than go on after a failed write, and never panic; the other three keep
//! committing. Given space again and restarted, it opens its store (redb's checksums and
//! the ledger invariants are checked at every open), catches up, and every node holds
//! every acknowledged document and the same blocks.
//!
//! Mounting needs root (as on our machines and in CI). Run by another user, the scenario
//! says so and checks nothing; run by root, a refused `mount` fails it.

use crate::common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The size of the victim's data directory: room for the ledger of this scenario, and
/// small enough to fill in a moment.
const TMPFS_SIZE: &str = "48m";
/// Until the victim stops once its disk is full.
const STOP_TIMEOUT: Duration = Duration::from_secs(120);

/// A tmpfs mounted over a directory; unmounted when dropped (also on a panic).
struct Mount(PathBuf);

impl Mount {
    /// Mount a tmpfs of `size` over `dir`, keeping what `dir` held, or say why not.
    fn over(dir: &Path, size: &str) -> Result<Mount, String> {
        let aside = dir.with_extension("before-mount");
        std::fs::rename(dir, &aside).unwrap_or_else(|e| panic!("move {} aside: {e}", dir.display()));
        std::fs::create_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))
            .and_then(|o| {
                if o.status.success() {
                    Ok(())
                } else {
                    Err(format!("mount: {} {}", o.status, String::from_utf8_lossy(&o.stderr).trim()))
                }
            });
        match mounted {
            Ok(()) => {
                let copied =
                    Command::new("cp").arg("-a").arg(format!("{}/.", aside.display())).arg(dir).status();
                assert!(copied.is_ok_and(|s| s.success()), "copy {} into the tmpfs", aside.display());
                Ok(Mount(dir.to_path_buf()))
            }
            Err(e) => {
                std::fs::remove_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
                std::fs::rename(&aside, dir).unwrap_or_else(|e| panic!("put {} back: {e}", dir.display()));
                Err(e)
            }
        }
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Write zeros into `path` until the file system refuses; returns the bytes written.
fn fill(path: &Path) -> u64 {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let chunk = vec![0u8; 64 * 1024];
    let mut written = 0u64;
    loop {
        match file.write(&chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => written += n as u64,
        }
    }
    // Then byte by byte, so that not even a small write fits.
    while file.write(&[0]).is_ok_and(|n| n == 1) {
        written += 1;
    }
    let _ = file.sync_all();
    written
}

#[test]
fn a_validator_whose_disk_fills_stops_by_name_and_recovers_when_given_space() {
    let _serial = serial();
    let (_tmp, net) = create(127);
    let victim = 1;
    let data = net.node_dir(victim).unwrap_or_else(|e| panic!("{e}")).join("data");
    std::fs::create_dir_all(&data).unwrap_or_else(|e| panic!("{}: {e}", data.display()));
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let mount = match Mount::over(&data, TMPFS_SIZE) {
        Ok(mount) => mount,
        Err(e) if !root => {
            eprintln!("SKIPPED: not root, so no tmpfs to fill ({e}); nothing was checked");
            return;
        }
        Err(e) => panic!("running as root, but cannot mount a tmpfs for the victim's data: {e}"),
    };
    for i in net.members() {
        net.start(i).unwrap_or_else(|e| panic!("{e}"));
    }
    net.wait_for_height(&net.members(), 1, START_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    let mut cast = Cast::enroll(&net);
    let validators = net.validators();
    // The enrollments are in the cast's ledger; the requests only on the network.
    let base = cast.ledger.verifier.tree().size();
    let mut acks = commit_all(&net, &validators, &cast.requests(20));
    roots_agree(&net, &net.members(), base + acks.len() as u64);

    let ballast = data.join("ballast");
    let filled = fill(&ballast);
    eprintln!("filled the victim's disk with {filled} bytes");
    let log = net.log_path(victim).unwrap_or_else(|e| panic!("{e}"));
    let others: Vec<usize> = validators.iter().copied().filter(|i| *i != victim).collect();
    let t = std::time::Instant::now();
    while net.is_running(victim) && t.elapsed() < STOP_TIMEOUT {
        acks.extend(commit_all(&net, &others, &cast.requests(5)));
    }
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!net.is_running(victim), "the victim still runs on a full disk\n{}", net.log_tail(victim, 40));
    assert!(!text.contains("panicked"), "the victim panicked on a full disk\n{}", net.log_tail(victim, 40));
    let last = text.lines().rev().find(|l| l.contains("vouchd: error:")).unwrap_or_default();
    assert!(
        last.contains("No space left on device") || last.contains("os error 28"),
        "the victim did not stop naming the full disk: {last:?}\n{}",
        net.log_tail(victim, 40)
    );
    eprintln!("the victim stopped: {last}");

    std::fs::remove_file(&ballast).unwrap_or_else(|e| panic!("{}: {e}", ballast.display()));
    net.start(victim).unwrap_or_else(|e| panic!("{e}"));
    acks.extend(commit_all(&net, &validators, &cast.requests(10)));
    let members = net.members();
    let (height, _) = roots_agree(&net, &members, base + acks.len() as u64);
    one_block_per_height(&net, &members);
    acknowledged_present(&net, &members, &acks);
    eprintln!("after the restart every node agrees up to height {height}");
    drop(mount);
}
