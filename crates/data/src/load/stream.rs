//! A large CSV file read in blocks of whole rows instead of whole: the head (the header and
//! the first rows) is opened as a small file, the rest comes in blocks cut after a newline
//! that ends a row, each parsed while the next is read and freed once parsed.

use std::io::Read;

use crate::problem::DataProblem;

use super::cells::At;
use super::decode::{line_chunks, record_chunks, Body, File};
use super::events::{read_chunk, EventChunk, Ids};
use super::par::par_map;
use super::plan::EventPlan;

/// The rest of a CSV file after its head, to be read in blocks.
pub(crate) struct Tail {
    pub(crate) file: std::fs::File,
    /// The file's index for [`Observe`] (as in `Loaded::files`).
    pub(crate) index: usize,
    /// About how many bytes each block holds.
    pub(crate) block: usize,
    /// Whether the head held a quote after its header (then a block with a lone `\r` is read
    /// as the csv crate reads it).
    pub(crate) quoted: bool,
}

/// Called with every byte of every file, each file's bytes in order (for the manifest's
/// hashes): the file's index in `Loaded::files`, then the bytes.
pub type Observe<'o> = &'o (dyn Fn(usize, &[u8]) + Sync);

/// One block of rows: its bytes and whether its rows can be split at newlines and
/// delimiters alone (see `decode::RowReader::Plain`).
pub(crate) struct Block {
    pub(crate) bytes: Vec<u8>,
    pub(crate) plain: bool,
}

/// Where the bytes `buf` (which start at a row boundary) can be cut after a whole row.
pub(crate) enum Cut {
    /// After `buf[..n]`, which holds whole rows.
    At(usize),
    /// No row ends in `buf` (as far as it can be told): read more.
    NotYet,
    /// A quote where CSV does not put one (`5" screen`): quotes cannot be counted to find
    /// where rows end; the rest is read as one block, in order.
    Irregular,
}

/// The last newline of `buf` outside quotes (see `decode::record_chunks` for why counting
/// quotes finds row ends: every quote must be where CSV puts one).
pub(crate) fn row_end(buf: &[u8], delimiter: u8) -> Cut {
    let mut open = false;
    // The start of the current stretch outside quotes.
    let mut gap = 0;
    let mut cut = None;
    let last_newline = |from: usize, to: usize, cut: &mut Option<usize>| {
        if let Some(p) = memchr::memrchr(b'\n', &buf[from..to]) {
            *cut = Some(from + p + 1);
        }
    };
    for q in memchr::memchr_iter(b'"', buf) {
        if open {
            let Some(&next) = buf.get(q + 1) else {
                // A closing quote at the end: what follows decides; cut before it.
                return cut.map_or(Cut::NotYet, Cut::At);
            };
            if !matches!(next, b'\n' | b'\r' | b'"') && next != delimiter {
                return Cut::Irregular;
            }
            gap = q + 1;
        } else {
            let regular =
                q == 0 || matches!(buf[q - 1], b'\n' | b'\r' | b'"') || buf[q - 1] == delimiter;
            if !regular {
                return Cut::Irregular;
            }
            last_newline(gap, q, &mut cut);
        }
        open = !open;
    }
    if !open {
        last_newline(gap, buf.len(), &mut cut);
    }
    cut.map_or(Cut::NotYet, Cut::At)
}

/// Whether `bytes` hold a `\r` that is not followed by `\n` (not counting one at the very
/// end): the csv crate ends a row there, the plain reader does not.
pub(crate) fn lone_cr(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'\r', bytes).any(|i| i + 1 < bytes.len() && bytes[i + 1] != b'\n')
}

/// Reads `n` more bytes (fewer at the end of the file) onto `buf`; `Ok(false)` at the end.
fn read_more(file: &mut std::fs::File, buf: &mut Vec<u8>, n: usize) -> std::io::Result<bool> {
    let want = buf.len() + n;
    buf.reserve_exact(n);
    file.by_ref().take(n as u64).read_to_end(buf)?;
    Ok(buf.len() == want)
}

/// Reads the tail's blocks in file order, each observed then given to `send` (which
/// returns `false` to stop). The first block starts at the file's current position.
pub(crate) fn read_blocks(
    mut tail: Tail,
    delimiter: u8,
    observe: Observe,
    mut send: impl FnMut(std::io::Result<Block>) -> bool,
) {
    let block = tail.block.max(1);
    let mut quoted = tail.quoted;
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let more = match read_more(&mut tail.file, &mut buf, block) {
            Ok(more) => more,
            Err(e) => {
                send(Err(e));
                return;
            }
        };
        if !more {
            // The last block: the rest of the file.
            if !buf.is_empty() {
                observe(tail.index, &buf);
                let plain = !quoted && !buf.contains(&b'"');
                send(Ok(Block { bytes: buf, plain }));
            }
            return;
        }
        let cut = match row_end(&buf, delimiter) {
            Cut::At(n) => n,
            Cut::NotYet => continue,
            Cut::Irregular => 0,
        };
        let has_quote = buf[..cut].contains(&b'"');
        if cut == 0 || (!has_quote && lone_cr(&buf[..cut])) {
            // Rows that only the csv crate reading in order can split: the rest is one block,
            // read as the whole file would have been (plain only if no quote anywhere).
            if let Err(e) = tail.file.read_to_end(&mut buf) {
                send(Err(e));
                return;
            }
            observe(tail.index, &buf);
            let plain = !quoted && !buf.contains(&b'"');
            send(Ok(Block { bytes: buf, plain }));
            return;
        }
        quoted |= has_quote;
        let rest = buf[cut..].to_vec();
        buf.truncate(cut);
        observe(tail.index, &buf);
        let bytes = std::mem::replace(&mut buf, rest);
        if !send(Ok(Block {
            bytes,
            plain: !has_quote,
        })) {
            return;
        }
    }
}

/// Reads the events of a file's tail: each block, as it comes, cut into chunks parsed on
/// `threads` threads, the chunks given to `take` in file order, the block's bytes freed
/// before the one after the next is read. `head` is the file as opened from its head.
pub(crate) fn events(
    tail: Tail,
    head: &File,
    (plan, ids): (&EventPlan, &Ids),
    (skip, threads, chunk): (bool, usize, usize),
    observe: Observe,
    take: &mut impl FnMut(EventChunk<'_>),
) -> Result<(), DataProblem> {
    let Body::Csv {
        header,
        header_lines,
        delimiter,
        cells,
        ..
    } = &head.body
    else {
        return Ok(());
    };
    let delimiter = *delimiter;
    std::thread::scope(|s| {
        // One block read ahead while one is parsed.
        let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Block>>(1);
        s.spawn(move || read_blocks(tail, delimiter.byte(), observe, |b| tx.send(b).is_ok()));
        for block in rx {
            let block = block.map_err(|e| {
                At::default().problem(
                    head.name,
                    format!("cannot read the file: {}", super::io_reason(&e)),
                    None,
                )
            })?;
            let chunks = if block.plain {
                line_chunks(&block.bytes, 0, chunk)
            } else {
                record_chunks(&block.bytes, 0, chunk, delimiter.byte())
            };
            let file = File {
                name: head.name,
                bytes: &block.bytes,
                body: Body::Csv {
                    header: header.clone(),
                    header_lines: *header_lines,
                    chunks,
                    plain: block.plain,
                    delimiter,
                    cells: cells.clone(),
                },
                events: head.events.clone(),
                dates: head.dates.clone(),
            };
            let jobs: Vec<usize> = (0..file.chunk_count()).collect();
            let outs = par_map(&jobs, threads, |&k| read_chunk(&file, k, plan, ids, skip));
            for out in outs {
                take(out);
            }
        }
        Ok(())
    })
}
