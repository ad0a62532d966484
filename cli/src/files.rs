//! Read and write the files commands take and produce: bounded reads, private key files
//! (mode 0600, never silently overwritten), and atomic replacement.
//!
//! # Terminology
//!
//! - *Bounded read*: a file is refused before it is read whole if it is larger than what
//!   the command accepts (the protocol limit of what it holds, `vouch_core::limits`).
//! - *Atomic replace*: write a temporary file in the same directory, fsync it, rename it
//!   over the target, fsync the directory. A crash leaves the old file or the new one,
//!   never half of either.

use crate::outcome::{Classify, Exit};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Read as _, Write as _};
use std::path::{Path, PathBuf};

/// Why a file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file could not be opened or read.
    #[error("cannot read {what} {path}")]
    Read {
        /// What the file should hold.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The file is empty.
    #[error("{what} {path} is empty")]
    Empty {
        /// What the file should hold.
        what: &'static str,
        /// The path.
        path: PathBuf,
    },
    /// The file is larger than what it may hold.
    #[error("{what} {path} is larger than {max} bytes, the most a {what} may be")]
    TooLarge {
        /// What the file should hold.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The limit.
        max: usize,
    },
    /// The file is not UTF-8 text.
    #[error("{what} {path} is not UTF-8 text")]
    NotText {
        /// What the file should hold.
        what: &'static str,
        /// The path.
        path: PathBuf,
    },
    /// The target exists and overwriting was not asked for.
    #[error("{path} already exists; refusing to overwrite it")]
    Exists {
        /// The path.
        path: PathBuf,
    },
    /// The file could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

impl Classify for FileError {
    fn exit(&self) -> Exit {
        match self {
            FileError::Read { source, .. } if is_input_problem(source) => Exit::Usage,
            FileError::Read { .. } | FileError::Write { .. } => Exit::Io,
            FileError::Empty { .. }
            | FileError::TooLarge { .. }
            | FileError::NotText { .. }
            | FileError::Exists { .. } => Exit::Usage,
        }
    }

    fn hint(&self) -> String {
        match self {
            FileError::Read { source, path, .. } if source.kind() == io::ErrorKind::NotFound => {
                format!("check the path {}; relative paths are from the current directory", path.display())
            }
            FileError::Read { .. } => "check that the file exists, is a regular file, and is readable".into(),
            FileError::Empty { .. } | FileError::TooLarge { .. } | FileError::NotText { .. } => {
                "check that you passed the right file".into()
            }
            FileError::Exists { .. } => "pass --force to replace it, or choose another path".into(),
            FileError::Write { .. } => {
                "check that the directory exists and is writable, and that the disk is not full".into()
            }
        }
    }

    fn details(&self) -> serde_json::Value {
        let path = match self {
            FileError::Read { path, .. }
            | FileError::Empty { path, .. }
            | FileError::TooLarge { path, .. }
            | FileError::NotText { path, .. }
            | FileError::Exists { path }
            | FileError::Write { path, .. } => path,
        };
        serde_json::json!({ "path": path.display().to_string() })
    }
}

/// A missing file, a directory, or a file we may not read: the user named the wrong thing.
fn is_input_problem(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied | io::ErrorKind::IsADirectory
    )
}

/// Read a whole file of at most `max` bytes; an empty file is refused.
pub fn read_bounded(path: &Path, what: &'static str, max: usize) -> Result<Vec<u8>, FileError> {
    let read = |source| FileError::Read { what, path: path.to_path_buf(), source };
    let file = File::open(path).map_err(read)?;
    if file.metadata().map_err(read)?.is_dir() {
        return Err(read(io::Error::new(io::ErrorKind::IsADirectory, "is a directory")));
    }
    let mut bytes = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    file.take(limit).read_to_end(&mut bytes).map_err(read)?;
    if bytes.len() > max {
        return Err(FileError::TooLarge { what, path: path.to_path_buf(), max });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FileError::Empty { what, path: path.to_path_buf() });
    }
    Ok(bytes)
}

/// Read a whole text file of at most `max` bytes.
pub fn read_text(path: &Path, what: &'static str, max: usize) -> Result<String, FileError> {
    let bytes = read_bounded(path, what, max)?;
    String::from_utf8(bytes).map_err(|_| FileError::NotText { what, path: path.to_path_buf() })
}

/// Open a file for reading line by line.
pub fn open(path: &Path, what: &'static str) -> Result<File, FileError> {
    let read = |source| FileError::Read { what, path: path.to_path_buf(), source };
    let file = File::open(path).map_err(read)?;
    if file.metadata().map_err(read)?.is_dir() {
        return Err(read(io::Error::new(io::ErrorKind::IsADirectory, "is a directory")));
    }
    Ok(file)
}

/// One line read by [`read_line_bounded`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// End of input.
    End,
    /// A line (without its newline) is in the buffer.
    Read,
    /// The last line, with no newline after it, is in the buffer. A file may end so; a
    /// stream that promises a newline after every line was cut short.
    Unterminated,
    /// The line is longer than the limit; the reader is left mid-line.
    TooLong,
}

/// Read one `\n`-terminated line of at most `max` bytes into `buf` (cleared first).
pub fn read_line_bounded(reader: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<Line> {
    buf.clear();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(2);
    let n = reader.by_ref().take(limit).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(Line::End);
    }
    let terminated = buf.last() == Some(&b'\n');
    if terminated {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    if buf.len() > max {
        return Ok(Line::TooLong);
    }
    Ok(if terminated { Line::Read } else { Line::Unterminated })
}

/// Create `path` with `bytes`, readable by the owner only (0600 on Unix). Without `force`
/// an existing file is refused; with it, the file is replaced atomically.
pub fn write_private(path: &Path, bytes: &[u8], force: bool) -> Result<(), FileError> {
    if force {
        return replace_atomically(path, bytes, Some(0o600));
    }
    let write = |source| FileError::Write { path: path.to_path_buf(), source };
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    set_mode(&mut options, 0o600);
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(FileError::Exists { path: path.to_path_buf() });
        }
        Err(e) => return Err(write(e)),
    };
    file.write_all(bytes).map_err(write)?;
    file.sync_all().map_err(write)?;
    sync_parent(path).map_err(write)
}

/// Write a public file: refuse to overwrite without `force`, replace atomically.
pub fn write_public(path: &Path, bytes: &[u8], force: bool) -> Result<(), FileError> {
    if !force && path.exists() {
        return Err(FileError::Exists { path: path.to_path_buf() });
    }
    replace_atomically(path, bytes, None)
}

/// Replace `path` with `bytes`: temporary file in the same directory, fsync, rename,
/// fsync the directory. `mode` sets the new file's permissions on Unix.
pub fn replace_atomically(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<(), FileError> {
    let write = |source| FileError::Write { path: path.to_path_buf(), source };
    let name = path
        .file_name()
        .ok_or_else(|| write(io::Error::new(io::ErrorKind::InvalidInput, "the path names no file")))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".tmp-{}", std::process::id()));
    let temp = path.with_file_name(temp_name);
    // A temporary file left by a crashed run of this same process id is ours to replace.
    let _ = std::fs::remove_file(&temp);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    if let Some(mode) = mode {
        set_mode(&mut options, mode);
    }
    let result = (|| {
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)?;
        sync_parent(path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(write)
}

/// Create a new file that must not exist yet (evidence files), fsynced.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let write = |source| FileError::Write { path: path.to_path_buf(), source };
    let mut file = match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(FileError::Exists { path: path.to_path_buf() });
        }
        Err(e) => return Err(write(e)),
    };
    file.write_all(bytes).map_err(write)?;
    file.sync_all().map_err(write)?;
    sync_parent(path).map_err(write)
}

#[cfg(unix)]
fn set_mode(options: &mut OpenOptions, mode: u32) {
    use std::os::unix::fs::OpenOptionsExt as _;
    options.mode(mode);
}

#[cfg(not(unix))]
fn set_mode(_options: &mut OpenOptions, _mode: u32) {}

/// Make a rename or creation in `path`'s directory durable.
fn sync_parent(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(parent)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bounded() {
        let mut input = io::Cursor::new(b"ab\r\ncdef\n\ng".to_vec());
        let mut buf = Vec::new();
        assert_eq!(read_line_bounded(&mut input, &mut buf, 3).unwrap(), Line::Read);
        assert_eq!(buf, b"ab");
        assert_eq!(read_line_bounded(&mut input, &mut buf, 3).unwrap(), Line::TooLong);
        let mut input = io::Cursor::new(b"abc\n\ng".to_vec());
        assert_eq!(read_line_bounded(&mut input, &mut buf, 3).unwrap(), Line::Read);
        assert_eq!(buf, b"abc");
        assert_eq!(read_line_bounded(&mut input, &mut buf, 3).unwrap(), Line::Read);
        assert_eq!(buf, b"");
        assert_eq!(read_line_bounded(&mut input, &mut buf, 3).unwrap(), Line::Unterminated);
        assert_eq!(buf, b"g");
        assert_eq!(read_line_bounded(&mut input, &mut buf, 3).unwrap(), Line::End);
    }

    #[test]
    fn atomic_replace_and_private_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_private(&path, b"one", false).unwrap();
        assert!(matches!(write_private(&path, b"two", false), Err(FileError::Exists { .. })));
        write_private(&path, b"two", true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        replace_atomically(&path, b"three", None).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"three");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    }
}
