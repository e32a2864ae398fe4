//! A large CSV file read in blocks of whole rows instead of whole: the head (the header and
//! the first rows) is opened as a small file, the rest comes in blocks cut after a newline
//! that ends a row, each parsed while the next is read and freed once parsed.

use std::io::Read;

use crate::problem::DataProblem;

use super::cells::At;
use super::decode::{line_chunks, record_chunks, Body, File};
use super::events::{read_chunk_of, EventChunk, Ids};
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
/// returns `false` to stop). The first block starts at the file's current position. Blocks
/// are read into the buffers `recycled` gives back when there is one (no new memory to
/// fault in for every block).
pub(crate) fn read_blocks(
    mut tail: Tail,
    delimiter: u8,
    observe: Observe,
    recycled: &std::sync::mpsc::Receiver<Vec<u8>>,
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
        let mut rest = recycled.try_recv().unwrap_or_default();
        rest.clear();
        rest.extend_from_slice(&buf[cut..]);
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

/// A block being parsed: its bytes, how its rows are read, its chunks.
struct Parsing {
    block: Block,
    chunks: Vec<std::ops::Range<usize>>,
}

/// Reads the events of a file's tail: each block, as it comes, cut into chunks that
/// `threads` workers parse (the next block's chunks queued before this one's are done, so
/// that no worker waits at a block's end), the chunks given to `take` in file order, at most
/// two blocks in memory besides the one being read. `head` is the file as opened from its
/// head.
pub(crate) fn events<'h>(
    tail: Tail,
    head: &File<'h>,
    (plan, ids): (&EventPlan, &Ids),
    (skip, threads, chunk): (bool, usize, usize),
    observe: Observe,
    take: &mut impl FnMut(EventChunk<'h>),
) -> Result<(), DataProblem> {
    use std::collections::{BTreeMap, VecDeque};
    use std::sync::{mpsc, Arc, Mutex};
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
    let name: &'h str = head.name;
    // Chunks small enough that the workers share a block evenly.
    let chunk = chunk.min(tail.block.div_ceil(4 * threads.max(1))).max(1);
    // The workers' queue: a chunk of a block in, its events out, numbered in file order.
    let (jobs, queue) = mpsc::channel::<(usize, Arc<Parsing>, usize)>();
    let queue = Mutex::new(queue);
    let (done, results) = mpsc::channel::<(usize, std::thread::Result<EventChunk<'h>>)>();
    std::thread::scope(|s| {
        // One block read ahead; parsed blocks' buffers go back to the reader.
        let (tx, rx) = mpsc::sync_channel::<std::io::Result<Block>>(1);
        let (back, recycled) = mpsc::channel::<Vec<u8>>();
        s.spawn(move || {
            read_blocks(tail, delimiter.byte(), observe, &recycled, |b| {
                tx.send(b).is_ok()
            })
        });
        for _ in 0..threads.max(1) {
            let (queue, done) = (&queue, done.clone());
            s.spawn(move || loop {
                let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                let Ok((seq, parsing, k)) = job else { break };
                let file = File {
                    name,
                    bytes: &parsing.block.bytes,
                    body: Body::Csv {
                        header: header.clone(),
                        header_lines: *header_lines,
                        chunks: parsing.chunks.clone(),
                        plain: parsing.block.plain,
                        delimiter,
                        cells: cells.clone(),
                    },
                    events: head.events.clone(),
                    dates: head.dates.clone(),
                };
                // A panic is the caller's, as with `par_map`, not a wait that never ends.
                let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    read_chunk_of(&file, name, k, plan, ids, skip)
                }));
                drop(file);
                drop(parsing);
                if done.send((seq, out)).is_err() {
                    break;
                }
            });
        }
        drop(done);
        let mut failed = None;
        let mut reading = true;
        // Blocks in flight: the number of their last chunk + 1, and the block.
        let mut flight: VecDeque<(usize, Arc<Parsing>)> = VecDeque::new();
        let (mut queued, mut next) = (0usize, 0usize);
        let mut waiting: BTreeMap<usize, EventChunk<'h>> = BTreeMap::new();
        loop {
            while reading && flight.len() < 2 {
                match rx.recv() {
                    Ok(Ok(block)) => {
                        let chunks = if block.plain {
                            line_chunks(&block.bytes, 0, chunk)
                        } else {
                            record_chunks(&block.bytes, 0, chunk, delimiter.byte())
                        };
                        let n = chunks.len();
                        let parsing = Arc::new(Parsing { block, chunks });
                        for k in 0..n {
                            let _ = jobs.send((queued + k, Arc::clone(&parsing), k));
                        }
                        queued += n;
                        flight.push_back((queued, parsing));
                    }
                    Ok(Err(e)) => {
                        failed = Some(e);
                        reading = false;
                    }
                    Err(_) => reading = false,
                }
            }
            if next == queued {
                if reading {
                    continue;
                }
                break;
            }
            let Ok((seq, out)) = results.recv() else {
                break;
            };
            let out = out.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            waiting.insert(seq, out);
            while let Some(out) = waiting.remove(&next) {
                take(out);
                next += 1;
            }
            while flight.front().is_some_and(|(end, _)| *end <= next) {
                if let Some((_, parsing)) = flight.pop_front() {
                    if let Ok(p) = Arc::try_unwrap(parsing) {
                        // Gone once the reader is done: the buffer is then freed.
                        let _ = back.send(p.block.bytes);
                    }
                }
            }
        }
        drop(jobs);
        match failed {
            Some(e) => Err(At::default().problem(
                name,
                format!("cannot read the file: {}", super::io_reason(&e)),
                None,
            )),
            None => Ok(()),
        }
    })
}
