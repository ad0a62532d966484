//! Own the one way the node writes a small state file that must survive a crash whole:
//! write a temporary file, fsync it, rename it over the old one, fsync the directory.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Replace `path` with `bytes` durably: after this returns, a crash leaves either the old
/// or the new contents, never a mix, and the new contents are on disk.
pub fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.to_path_buf().into_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp)?;
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
