//! Own the one way the node writes a small state file that must survive a crash whole:
//! write a temporary file, fsync it, rename it over the old one, fsync the directory; and
//! the lock beside such a file that keeps two writers from losing each other's update.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// An exclusive advisory lock on `<path>.lock`, held until the returned file is dropped.
/// On failure: the lock file's path, the step that failed and the error.
pub fn lock_beside(path: &Path) -> Result<std::fs::File, (PathBuf, &'static str, std::io::Error)> {
    let mut lock = path.to_path_buf().into_os_string();
    lock.push(".lock");
    let lock = PathBuf::from(lock);
    let file = match OpenOptions::new().create(true).truncate(false).write(true).open(&lock) {
        Ok(file) => file,
        Err(e) => return Err((lock, "open lock", e)),
    };
    match file.lock() {
        Ok(()) => Ok(file),
        Err(e) => Err((lock, "lock", e)),
    }
}

/// Replace `path` with `bytes` durably: after this returns, a crash leaves either the old
/// or the new contents, never a mix, and the new contents are on disk.
pub fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace_with(path, bytes, OpenOptions::new())
}

/// As [`replace_file`], for a file only its owner may read or write (mode 0600 on Unix,
/// set when the temporary file is created, so the contents are never readable by others).
pub fn replace_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    replace_with(path, bytes, options)
}

fn replace_with(path: &Path, bytes: &[u8], mut options: OpenOptions) -> std::io::Result<()> {
    let mut tmp = path.to_path_buf().into_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    // A leftover temporary file from a crash keeps its old mode; start from a new one.
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut f = options.write(true).create_new(true).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)?.sync_all()
}
