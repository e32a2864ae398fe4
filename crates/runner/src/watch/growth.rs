//! How a data file on disk differs from the bytes the runner holds for it, found without
//! reading the file into memory again: the usual change to an events file is a few lines
//! appended at its end, and reading 50 MB again to find them would cost more than the rescore.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// How a file differs from the bytes held for it.
#[derive(Debug, PartialEq, Eq)]
pub enum Growth {
    /// The file holds exactly the bytes held.
    Same,
    /// The file holds the bytes held (which end a line), then these whole lines.
    Appended(Vec<u8>),
    /// Anything else: the file must be read again in full.
    Rewritten,
}

/// How much of the file is compared at a time.
const CHUNK: usize = 1 << 20;

/// Compares the file at `path` with `held`: the bytes it had are read back in chunks and
/// compared (nothing is kept), and only what follows them is returned.
pub fn growth(path: &Path, held: &[u8]) -> io::Result<Growth> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    if len < held.len() as u64 {
        return Ok(Growth::Rewritten);
    }
    let mut chunk = vec![0u8; CHUNK.min(held.len())];
    for expected in held.chunks(CHUNK) {
        let got = &mut chunk[..expected.len()];
        if let Err(e) = file.read_exact(got) {
            // Shorter than when its size was read: it is being rewritten.
            return match e.kind() {
                io::ErrorKind::UnexpectedEof => Ok(Growth::Rewritten),
                _ => Err(e),
            };
        }
        if got != expected {
            return Ok(Growth::Rewritten);
        }
    }
    let mut tail = Vec::with_capacity((len as usize).saturating_sub(held.len()));
    file.read_to_end(&mut tail)?;
    if tail.is_empty() {
        return Ok(Growth::Same);
    }
    // New lines must start on a line of their own and end with a line break; a line still
    // being written, or one glued to the last held line, takes a full read (which reports it).
    if !held.is_empty() && !held.ends_with(b"\n") || !tail.ends_with(b"\n") {
        return Ok(Growth::Rewritten);
    }
    Ok(Growth::Appended(tail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn growth_of(held: &[u8], now: &[u8]) -> Growth {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.csv");
        std::fs::write(&path, now).unwrap();
        growth(&path, held).unwrap()
    }

    #[test]
    fn appended_lines_are_told_from_rewrites() {
        assert_eq!(growth_of(b"a\nb\n", b"a\nb\n"), Growth::Same);
        assert_eq!(
            growth_of(b"a\nb\n", b"a\nb\nc\nd\n"),
            Growth::Appended(b"c\nd\n".to_vec())
        );
        // The same size and the same end, another middle.
        assert_eq!(growth_of(b"a\nb\n", b"a\nx\nc\n"), Growth::Rewritten);
        assert_eq!(growth_of(b"a\nb\n", b"a\n"), Growth::Rewritten);
        assert_eq!(growth_of(b"a\nb\n", b"a\nc\n"), Growth::Rewritten);
        // The last held line goes on, or the new line is not finished.
        assert_eq!(growth_of(b"a\nb", b"a\nbc\n"), Growth::Rewritten);
        assert_eq!(growth_of(b"a\nb\n", b"a\nb\nc"), Growth::Rewritten);
        assert_eq!(growth_of(b"", b"a\n"), Growth::Appended(b"a\n".to_vec()));
        assert_eq!(growth_of(b"", b""), Growth::Same);
    }

    #[test]
    fn a_change_far_into_a_large_file_is_seen() {
        let mut held = Vec::new();
        while held.len() < 3 * CHUNK + 17 {
            held.extend_from_slice(b"c1,page_view,2026-10-01,/pricing\n");
        }
        let mut now = held.clone();
        now.extend_from_slice(b"c2,page_view,2026-10-02,/blog\n");
        assert_eq!(
            growth_of(&held, &now),
            Growth::Appended(b"c2,page_view,2026-10-02,/blog\n".to_vec())
        );
        let at = 2 * CHUNK + 5;
        now[at] = if now[at] == b'1' { b'2' } else { b'1' };
        assert_eq!(growth_of(&held, &now), Growth::Rewritten);
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(growth(&dir.path().join("gone.csv"), b"a\n").is_err());
    }
}
