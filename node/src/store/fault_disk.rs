//! A disk that fails on purpose, under the real store, and the sweep that crashes the
//! store's workload at every step (issue 7, "storage faults in process").
//!
//! The disk keeps two images: *durable* (what the last successful `sync_data` made
//! persistent) and *volatile* (what redb has written since, as a page cache would hold it).
//! A crash throws the volatile image away; a torn write keeps a prefix of the last write on
//! top of the durable image, as a power cut in the middle of a write can. Faults:
//!
//! - crash after the k-th operation (write, `set_len` or `sync_data`): that operation and
//!   every later one fail, as if the process had died there;
//! - `EIO` or `ENOSPC` from the k-th `sync_data` (fsyncgate: after a failed sync the
//!   written data may be gone, so the store must not go on as if it were durable).
//!
//! After every crash the disk "reboots" from its durable image and the store reopens on
//! it: redb's recovery and integrity check, then the store's own invariants (contiguous
//! heights, the hash chain, tree sizes, the Merkle root; `Store::open`). It must open, and
//! hold every block whose commit returned `Ok` before the crash, byte for byte: nothing
//! acknowledged lost. No operation may panic.

use super::tests::chain;
use super::*;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

/// What the disk does wrong, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Nothing.
    None,
    /// Every operation from the k-th on (counting from 0) fails.
    CrashAt(u64),
    /// The k-th `sync_data` fails with this OS error (`EIO`, `ENOSPC`), and the disk then
    /// crashes.
    SyncFails(u64, i32),
}

#[derive(Debug)]
struct Disk {
    durable: Vec<u8>,
    volatile: Vec<u8>,
    /// The last write since the last sync: (offset, bytes).
    last_write: Option<(usize, Vec<u8>)>,
    ops: u64,
    syncs: u64,
    fault: Fault,
    crashed: bool,
}

/// The backend redb sees; clones share the disk.
#[derive(Debug, Clone)]
struct FaultyDisk(Arc<Mutex<Disk>>);

fn crashed() -> io::Error {
    io::Error::other("simulated crash: the process is gone")
}

impl FaultyDisk {
    fn new(image: Vec<u8>, fault: Fault) -> FaultyDisk {
        FaultyDisk(Arc::new(Mutex::new(Disk {
            durable: image.clone(),
            volatile: image,
            last_write: None,
            ops: 0,
            syncs: 0,
            fault,
            crashed: false,
        })))
    }

    fn disk(&self) -> std::sync::MutexGuard<'_, Disk> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Count an operation; fail it if the disk has crashed or crashes now.
    fn op(&self) -> io::Result<()> {
        let mut d = self.disk();
        let k = d.ops;
        d.ops += 1;
        if d.fault == Fault::CrashAt(k) {
            d.crashed = true;
        }
        if d.crashed { Err(crashed()) } else { Ok(()) }
    }

    /// Operations so far.
    fn ops(&self) -> u64 {
        self.disk().ops
    }

    /// What survives a crash now; `torn` keeps that fraction (0..=1) of the last unsynced
    /// write on top of it.
    fn after_crash(&self, torn: Option<f64>) -> Vec<u8> {
        let d = self.disk();
        let mut image = d.durable.clone();
        if let (Some(fraction), Some((offset, bytes))) = (torn, &d.last_write) {
            let keep = ((bytes.len() as f64) * fraction) as usize;
            let end = offset + keep;
            if image.len() < end {
                image.resize(end, 0);
            }
            if let (Some(to), Some(from)) = (image.get_mut(*offset..end), bytes.get(..keep)) {
                to.copy_from_slice(from);
            }
        }
        image
    }
}

impl redb::StorageBackend for FaultyDisk {
    fn len(&self) -> io::Result<u64> {
        let d = self.disk();
        if d.crashed {
            return Err(crashed());
        }
        Ok(d.volatile.len() as u64)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let d = self.disk();
        if d.crashed {
            return Err(crashed());
        }
        let start = usize::try_from(offset).map_err(|_| io::Error::other("offset"))?;
        let source = d
            .volatile
            .get(start..start + out.len())
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "read past the end"))?;
        out.copy_from_slice(source);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.op()?;
        let len = usize::try_from(len).map_err(|_| io::Error::other("length"))?;
        self.disk().volatile.resize(len, 0);
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        self.op()?;
        let mut d = self.disk();
        let k = d.syncs;
        d.syncs += 1;
        if let Fault::SyncFails(at, errno) = d.fault
            && at == k
        {
            d.crashed = true;
            return Err(io::Error::from_raw_os_error(errno));
        }
        d.durable = d.volatile.clone();
        d.last_write = None;
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.op()?;
        let mut d = self.disk();
        let start = usize::try_from(offset).map_err(|_| io::Error::other("offset"))?;
        let end = start + data.len();
        if d.volatile.len() < end {
            d.volatile.resize(end, 0);
        }
        if let Some(target) = d.volatile.get_mut(start..end) {
            target.copy_from_slice(data);
        }
        d.last_write = Some((start, data.to_vec()));
        Ok(())
    }
}

/// Linux's `EIO` and `ENOSPC`.
const EIO: i32 = 5;
const ENOSPC: i32 = 28;

fn label() -> PathBuf {
    PathBuf::from("fault-disk")
}

/// The node's ledger path in small: every block of the test chain committed, each after
/// its consensus value was stored, a checkpoint after every other block, one evidence
/// record. Returns the heights whose commit returned `Ok`; stops at the first error (a
/// node stops on a failed write, so nothing after it would run).
fn workload(store: &Store) -> (u64, Option<StoreError>) {
    let c = chain();
    let mut acked = 0;
    for (i, block) in c.blocks.iter().enumerate() {
        let height = i as u64 + 1;
        let id = block.header.hash();
        let value = format!("value of height {height}");
        if let Err(e) = store.put_value(height, 0, &id, value.as_bytes()) {
            return (acked, Some(e));
        }
        let (Some(leaves), Some(index)) = (c.leaves.get(i), c.index.get(i)) else { break };
        if let Err(e) = store.commit_block(block, leaves, index) {
            return (acked, Some(e));
        }
        acked = height;
        if height == 3
            && let Err(e) = store.put_evidence(height, "test", "{}")
        {
            return (acked, Some(e));
        }
    }
    // The chain's cosigned checkpoint, as the node stores one once a quorum cosigned it.
    let size = c.leaves.iter().map(Vec::len).sum::<usize>() as u64;
    if let Err(e) = store.put_checkpoint(size, &c.checkpoint) {
        return (acked, Some(e));
    }
    (acked, None)
}

/// After a crash: the store reopens on `image`, consistent, with every block up to
/// `acked` as written. Returns what is wrong.
///
/// One refusal is allowed: a crash before the new store's first durable commit can leave
/// a file that is not yet a redb database (a torn header). The store then refuses to open
/// with a named error and nothing was acknowledged; it is never silently re-created,
/// because the same bytes could be a damaged ledger.
fn reopen_holds(image: Vec<u8>, acked: u64, what: &str) -> Result<u64, String> {
    let c = chain();
    let store = match Store::open_with_backend(FaultyDisk::new(image, Fault::None), &label(), &c.genesis) {
        Ok(s) => s,
        Err(e) if acked == 0 && !e.to_string().is_empty() => return Ok(0),
        Err(e) => return Err(format!("{what}: the store did not reopen: {e}")),
    };
    let tip = store.tip().map_err(|e| format!("{what}: tip: {e}"))?;
    if tip < acked {
        return Err(format!("{what}: reopened at height {tip}, but {acked} was acknowledged"));
    }
    for (i, block) in c.blocks.iter().enumerate().take(tip as usize) {
        let h = i as u64 + 1;
        match store.header(h) {
            Ok(Some(header)) if header == block.header => {}
            other => return Err(format!("{what}: height {h} reads back as {other:?}")),
        }
    }
    // A reopened store keeps working: the rest of the chain commits on it.
    for (i, block) in c.blocks.iter().enumerate().skip(tip as usize) {
        let (Some(leaves), Some(index)) = (c.leaves.get(i), c.index.get(i)) else { break };
        store
            .commit_block(block, leaves, index)
            .map_err(|e| format!("{what}: height {} after reopen: {e}", i + 1))?;
    }
    Ok(tip)
}

/// Run `f`, turning a panic into an error naming `what`.
fn no_panic<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(format!("{what}: PANIC")))
}

/// One run of the workload on a fresh disk with `fault`: (disk, acked, the error that
/// stopped it, the syncs done by the time the workload returned).
fn run(fault: Fault) -> Result<(FaultyDisk, u64, Option<StoreError>, u64), String> {
    let disk = FaultyDisk::new(Vec::new(), fault);
    let store = match Store::open_with_backend(disk.clone(), &label(), &chain().genesis) {
        Ok(s) => s,
        // A crash while the empty store is being created: nothing was acknowledged.
        Err(e) => return Ok((disk.clone(), 0, Some(e), disk.disk().syncs)),
    };
    let (acked, error) = workload(&store);
    let syncs = disk.disk().syncs;
    // Closing the database writes and syncs too: a crash there is swept as well.
    drop(store);
    Ok((disk, acked, error, syncs))
}

#[test]
fn the_clean_workload_commits_everything_and_reopens() {
    let (disk, acked, error, _) = run(Fault::None).expect("clean run");
    assert!(error.is_none(), "{error:?}");
    assert_eq!(acked, chain().blocks.len() as u64);
    assert!(disk.ops() > 20, "only {} disk operations: the sweep would test little", disk.ops());
    eprintln!("clean workload: {acked} blocks, {} disk operations, {} syncs", disk.ops(), disk.disk().syncs);
    reopen_holds(disk.after_crash(None), acked, "clean").expect("reopen");
}

#[test]
fn a_crash_after_any_disk_operation_loses_nothing_acknowledged() {
    let total = run(Fault::None).expect("clean run").0.ops();
    let mut failures = Vec::new();
    let mut crashed_mid_workload = 0;
    for k in 0..total {
        let what = format!("crash at operation {k} of {total}");
        let result = no_panic(&what, || {
            let (disk, acked, error, _) = run(Fault::CrashAt(k))?;
            if error.is_some() {
                crashed_mid_workload += 1;
            }
            reopen_holds(disk.after_crash(None), acked, &what)?;
            // A power cut in the middle of the last write, and a crash during the recovery
            // that follows it (redb 4.2 fixed a silent rollback there).
            for torn in [0.5, 1.0] {
                let image = disk.after_crash(Some(torn));
                let twice = format!("{what}, last write torn at {torn}");
                reopen_holds(image.clone(), acked, &twice)?;
                let again = FaultyDisk::new(image, Fault::CrashAt(3));
                let _ = Store::open_with_backend(again.clone(), &label(), &chain().genesis);
                reopen_holds(
                    again.after_crash(None),
                    acked,
                    &format!("{twice}, crashed again while reopening"),
                )?;
            }
            Ok(())
        });
        if let Err(e) = result {
            failures.push(e);
        }
    }
    assert!(
        crashed_mid_workload > total / 2,
        "only {crashed_mid_workload} of {total} crashes hit the workload"
    );
    assert!(
        failures.is_empty(),
        "{} of {total} crash points failed; first: {:?}",
        failures.len(),
        failures.first()
    );
}

#[test]
fn a_failed_sync_is_an_error_and_nothing_acknowledged_is_lost() {
    // The syncs of the workload itself (those of closing the database return no error
    // to anyone; the crash sweep covers them).
    let syncs = run(Fault::None).expect("clean run").3;
    let mut failures = Vec::new();
    for (name, errno) in [("EIO", EIO), ("ENOSPC", ENOSPC)] {
        for k in 0..syncs {
            let what = format!("sync {k} of {syncs} fails with {name}");
            let result = no_panic(&what, || {
                let (disk, acked, error, _) = run(Fault::SyncFails(k, errno))?;
                // The failing commit must not have been acknowledged.
                if error.is_none() {
                    return Err(format!("{what}: the workload finished as if nothing failed"));
                }
                reopen_holds(disk.after_crash(None), acked, &what)?;
                Ok(())
            });
            if let Err(e) = result {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "{} failures; first: {:?}", failures.len(), failures.first());
}
