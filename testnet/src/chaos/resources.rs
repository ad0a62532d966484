//! Sample each node's memory, open files and data size during a campaign
//! (`resources.jsonl`), and judge them against fixed ceilings.
//!
//! A soak runs for hours: a leak shows as a number that keeps growing, and a ceiling is
//! the promise we can state ("a node stays under 1 GiB of resident memory and 1,024 open
//! files"). The samples are kept so that a growth within the ceiling can still be read off
//! afterwards. Linux only (`/proc`).

use crate::net::Testnet;
use serde::Serialize;
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Resident memory a node must stay under, KiB.
pub const RSS_MAX_KIB: u64 = 1024 * 1024;

/// Open file descriptors a node must stay under.
pub const FDS_MAX: u64 = 1024;

/// One node's reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sample {
    /// ms from the start of the fault phase.
    pub t_ms: u64,
    /// Node index.
    pub node: usize,
    /// Its pid then.
    pub pid: u32,
    /// `VmRSS`, KiB.
    pub rss_kib: u64,
    /// Entries of `/proc/<pid>/fd`.
    pub fds: u64,
    /// Bytes under the node's `data/` directory.
    pub data_bytes: u64,
}

/// The highest reading of each kind seen for a node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Peak {
    /// Node name.
    pub name: String,
    /// Samples taken.
    pub samples: u64,
    /// Highest `VmRSS`, KiB.
    pub rss_kib: u64,
    /// Most open files.
    pub fds: u64,
    /// Largest data directory, bytes.
    pub data_bytes: u64,
}

/// The sampler: one thread for all nodes.
pub struct Sampler {
    origin: Instant,
    peaks: Mutex<Vec<Peak>>,
    stop: AtomicBool,
}

/// A process's resident memory (`VmRSS`), KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A process's open file descriptors.
pub fn fds(pid: u32) -> Option<u64> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64)
}

fn dir_bytes(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

impl Sampler {
    /// A sampler for nodes named `names`, times counted from `origin`.
    pub fn new(names: &[String], origin: Instant) -> Sampler {
        let peaks = names.iter().map(|n| Peak { name: n.clone(), ..Peak::default() }).collect();
        Sampler { origin, peaks: Mutex::new(peaks), stop: AtomicBool::new(false) }
    }

    /// Read every running node once; a node that is down, or exits while being read, is
    /// skipped (its next sample counts).
    pub fn sample(&self, net: &Testnet) -> Vec<Sample> {
        let t_ms = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut out = Vec::new();
        for node in 0..net.len() {
            let Some(pid) = net.pid(node) else { continue };
            let (Some(rss_kib), Some(fds)) = (rss_kib(pid), fds(pid)) else { continue };
            let data_bytes = net.node_dir(node).map(|d| dir_bytes(&d.join("data"))).unwrap_or(0);
            out.push(Sample { t_ms, node, pid, rss_kib, fds, data_bytes });
        }
        let mut peaks = self.peaks.lock().unwrap_or_else(|e| e.into_inner());
        for s in &out {
            if let Some(p) = peaks.get_mut(s.node) {
                p.samples += 1;
                p.rss_kib = p.rss_kib.max(s.rss_kib);
                p.fds = p.fds.max(s.fds);
                p.data_bytes = p.data_bytes.max(s.data_bytes);
            }
        }
        out
    }

    /// Sample every `every` until [`Sampler::stop`], appending to `path`.
    pub fn run(&self, net: &Testnet, every: Duration, path: &Path) {
        let Ok(file) = std::fs::File::create(path) else { return };
        let mut file = std::io::BufWriter::new(file);
        while !self.stop.load(Ordering::Relaxed) {
            for s in self.sample(net) {
                let _ = writeln!(file, "{}", serde_json::to_string(&s).unwrap_or_default());
            }
            let _ = file.flush();
            // Sleep in short steps so that stopping is prompt.
            let until = Instant::now() + every;
            while Instant::now() < until && !self.stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }

    /// Stop [`Sampler::run`].
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// The peaks so far, per node.
    pub fn peaks(&self) -> Vec<Peak> {
        self.peaks.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Every node stayed under [`RSS_MAX_KIB`] and [`FDS_MAX`] in every sample.
pub fn check(peaks: &[Peak]) -> super::check::Verdict {
    let mut problems = Vec::new();
    for p in peaks {
        if p.samples == 0 {
            problems.push(format!("{}: never sampled", p.name));
        }
        if p.rss_kib >= RSS_MAX_KIB {
            problems.push(format!(
                "{}: resident memory reached {} MiB (ceiling {} MiB)",
                p.name,
                p.rss_kib / 1024,
                RSS_MAX_KIB / 1024
            ));
        }
        if p.fds >= FDS_MAX {
            problems.push(format!("{}: {} open files (ceiling {FDS_MAX})", p.name, p.fds));
        }
    }
    let summary = peaks
        .iter()
        .map(|p| format!("{} {} MiB/{} fds/{} MiB data", p.name, p.rss_kib / 1024, p.fds, p.data_bytes >> 20))
        .collect::<Vec<_>>()
        .join(", ");
    super::check::Verdict::from_problems("resources", format!("peaks: {summary}"), &problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_can_be_read() {
        let pid = std::process::id();
        assert!(rss_kib(pid).is_some_and(|k| k > 0));
        assert!(fds(pid).is_some_and(|n| n >= 3));
    }

    #[test]
    fn a_peak_over_a_ceiling_fails_and_an_unsampled_node_fails() {
        let ok = Peak { name: "a".into(), samples: 3, rss_kib: 100_000, fds: 80, data_bytes: 1 << 20 };
        assert!(check(std::slice::from_ref(&ok)).passed);
        let fat = Peak { rss_kib: RSS_MAX_KIB, ..ok.clone() };
        assert!(!check(&[ok.clone(), fat]).passed);
        let leaky = Peak { fds: FDS_MAX + 1, ..ok.clone() };
        assert!(!check(&[leaky]).passed);
        let unseen = Peak { samples: 0, ..ok };
        assert!(!check(&[unseen]).passed);
    }
}
