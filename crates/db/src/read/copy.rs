//! A binary COPY's rows (PostgreSQL's documented format: a signature, flags and an extension
//! area, then per row its number of fields and each field's length and bytes, `-1` for NULL,
//! and `-1` fields at the end), decoded into a [`TableRows`] as the bytes come, whatever the
//! size of the pieces they come in.
//!
//! The bytes come from the synchronous client (one message, so one row, per call), or, for a
//! large table, from tokio-postgres on a runtime of our own: one wake-up of that runtime takes
//! every message the socket holds, instead of entering a runtime for each row.

use futures_util::StreamExt;
use postgres::types::{FromSql, Type};
use scoreline_data::{Datum, TableRows};

use super::pg;

/// Why rows read by COPY stopped: a value that cannot be read (its column, what is wrong), or
/// the stream (the server's message).
pub(super) enum CopyBad {
    Value(usize, String),
    Failed(String),
}

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Decodes a COPY's bytes piece by piece into rows.
pub(super) struct Decoder<'t> {
    types: &'t [Type],
    /// The rows decoded so far (on a bad value: up to the row at fault, its values pending).
    pub(super) out: TableRows,
    /// The bytes of a row (or of the header) whose end has not come yet.
    pending: Vec<u8>,
    header: bool,
    done: bool,
}

fn odd() -> CopyBad {
    CopyBad::Failed("the server's COPY stream is not in the binary format".into())
}

fn be_i16(b: &[u8]) -> i16 {
    i16::from_be_bytes([b[0], b[1]])
}

fn be_i32(b: &[u8]) -> i32 {
    i32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

impl<'t> Decoder<'t> {
    pub(super) fn new(types: &'t [Type]) -> Decoder<'t> {
        Decoder {
            types,
            out: TableRows::new(types.len()),
            pending: Vec::new(),
            header: false,
            done: false,
        }
    }

    /// Takes the next piece of the stream.
    pub(super) fn feed(&mut self, piece: &[u8]) -> Result<(), CopyBad> {
        if self.pending.is_empty() {
            let used = self.decode(piece)?;
            self.pending.extend_from_slice(&piece[used..]);
        } else {
            let mut pending = std::mem::take(&mut self.pending);
            pending.extend_from_slice(piece);
            let used = self.decode(&pending)?;
            pending.drain(..used);
            self.pending = pending;
        }
        Ok(())
    }

    /// Whether the stream has ended as it should (with its end-of-rows mark).
    fn finished(&self) -> Result<(), CopyBad> {
        if self.done {
            Ok(())
        } else {
            Err(CopyBad::Failed(
                "the server's COPY stream ended early".into(),
            ))
        }
    }

    /// Decodes every whole row at the start of `buf`; the bytes used.
    fn decode(&mut self, buf: &[u8]) -> Result<usize, CopyBad> {
        let mut at = 0;
        if !self.header {
            // The signature, the flags, and the extension area's length and bytes.
            if buf.len() < 19 {
                return Ok(0);
            }
            if &buf[..11] != SIGNATURE {
                return Err(odd());
            }
            let ext = be_i32(&buf[15..19]);
            let end = 19 + usize::try_from(ext).map_err(|_| odd())?;
            if buf.len() < end {
                return Ok(0);
            }
            self.header = true;
            at = end;
        }
        while !self.done {
            let Some(len) = self.row_len(&buf[at..])? else {
                break;
            };
            self.row(&buf[at..at + len])?;
            at += len;
        }
        Ok(at)
    }

    /// The length of the row at the start of `buf` when all of it is there.
    fn row_len(&self, buf: &[u8]) -> Result<Option<usize>, CopyBad> {
        if buf.len() < 2 {
            return Ok(None);
        }
        let count = be_i16(buf);
        if count == -1 {
            return Ok(Some(2));
        }
        if count as usize != self.types.len() {
            return Err(odd());
        }
        let mut at = 2;
        for _ in 0..count {
            if buf.len() < at + 4 {
                return Ok(None);
            }
            let len = be_i32(&buf[at..]);
            at += 4 + usize::try_from(len).unwrap_or(0);
        }
        Ok((buf.len() >= at).then_some(at))
    }

    /// Decodes one whole row (or the end of the rows).
    fn row(&mut self, row: &[u8]) -> Result<(), CopyBad> {
        if be_i16(row) == -1 {
            self.done = true;
            return Ok(());
        }
        let mut at = 2;
        let mut bad = None;
        for (i, ty) in self.types.iter().enumerate() {
            let len = be_i32(&row[at..]);
            at += 4;
            let cell = if len < 0 {
                pg::Cell::from_sql_null(ty)
            } else {
                let raw = &row[at..at + len as usize];
                at += len as usize;
                if pg::plain_text(ty) {
                    // Texts go to the table as they are (checked as UTF-8 a part at a time).
                    self.out.text_bytes(raw);
                    continue;
                }
                pg::Cell::from_sql(ty, raw)
            };
            match cell {
                Ok(cell) => self.out.datum(cell.0),
                Err(e) => {
                    bad.get_or_insert((i, e.to_string()));
                    self.out.null();
                }
            }
        }
        if let Some((col, what)) = bad {
            return Err(CopyBad::Value(col, what));
        }
        self.out.end_row();
        Ok(())
    }
}

/// Why a COPY did not give its rows.
pub(super) enum Bad {
    /// No connection could be opened for it (the server's limit on clients, say): to be read
    /// on another.
    Unopened,
    /// The statements before the COPY failed.
    Setup(postgres::Error),
    /// The server would not start the COPY (a statement COPY cannot wrap).
    Unstarted,
    /// The COPY failed (the server's message).
    Failed(String),
    /// A value could not be read: the row's index among those of the COPY, its values, the
    /// column, what is wrong.
    Value(usize, Vec<Datum>, usize, String),
}

impl Decoder<'_> {
    /// A problem, with the row it is in.
    fn bad(&self, bad: CopyBad) -> Bad {
        match bad {
            CopyBad::Failed(reason) => Bad::Failed(reason),
            CopyBad::Value(col, what) => {
                Bad::Value(self.out.len(), self.out.pending_row(), col, what)
            }
        }
    }
}

/// Reads the rows `copy` (a `COPY … TO STDOUT (FORMAT binary)`) gives, on the synchronous
/// client `c`.
pub(super) fn read_sync(
    c: &mut postgres::Client,
    copy: &str,
    types: &[Type],
) -> Result<TableRows, Bad> {
    use std::io::BufRead;
    let mut decoder = Decoder::new(types);
    let mut reader = c.copy_out(copy).map_err(|_| Bad::Unstarted)?;
    loop {
        let piece = match reader.fill_buf() {
            Ok(p) => p,
            Err(e) => return Err(Bad::Failed(e.to_string())),
        };
        if piece.is_empty() {
            break;
        }
        let n = piece.len();
        if let Err(bad) = decoder.feed(piece) {
            return Err(decoder.bad(bad));
        }
        reader.consume(n);
    }
    match decoder.finished() {
        Ok(()) => Ok(decoder.out),
        Err(bad) => Err(decoder.bad(bad)),
    }
}

/// Reads the rows `copy` gives on a connection of its own, opened with `config` on a
/// current-thread runtime made for it, after `setup` (statements run first, in the same
/// session: a transaction in an exported snapshot, say).
pub(super) fn read_async(
    config: &tokio_postgres::Config,
    setup: &str,
    copy: &str,
    types: &[Type],
) -> Result<TableRows, Bad> {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Err(Bad::Unopened);
    };
    runtime.block_on(async {
        let Ok((client, connection)) = config.connect(tokio_postgres::NoTls).await else {
            return Err(Bad::Unopened);
        };
        // The connection's messages are handled by a task of the same runtime, run whenever
        // the reading below waits.
        let connection = tokio::spawn(connection);
        client.batch_execute(setup).await.map_err(Bad::Setup)?;
        let mut decoder = Decoder::new(types);
        let stream = client.copy_out(copy).await.map_err(|_| Bad::Unstarted)?;
        let mut stream = std::pin::pin!(stream);
        while let Some(piece) = stream.next().await {
            let fed = match piece {
                Ok(piece) => decoder.feed(&piece),
                Err(e) => Err(CopyBad::Failed(super::pg_reason(&e))),
            };
            if let Err(bad) = fed {
                return Err(decoder.bad(bad));
            }
        }
        let _ = client.batch_execute("COMMIT").await;
        drop(client);
        let _ = connection.await;
        match decoder.finished() {
            Ok(()) => Ok(decoder.out),
            Err(bad) => Err(decoder.bad(bad)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A binary COPY stream of rows of (text, int4), `None` for NULL.
    fn stream(rows: &[(Option<&str>, Option<i32>)]) -> Vec<u8> {
        let mut b = SIGNATURE.to_vec();
        b.extend(0i32.to_be_bytes()); // flags
        b.extend(4i32.to_be_bytes()); // an extension area of 4 bytes, skipped
        b.extend(b"ext!");
        for (text, int) in rows {
            b.extend(2i16.to_be_bytes());
            match text {
                Some(t) => {
                    b.extend((t.len() as i32).to_be_bytes());
                    b.extend(t.as_bytes());
                }
                None => b.extend((-1i32).to_be_bytes()),
            }
            match int {
                Some(i) => {
                    b.extend(4i32.to_be_bytes());
                    b.extend(i.to_be_bytes());
                }
                None => b.extend((-1i32).to_be_bytes()),
            }
        }
        b.extend((-1i16).to_be_bytes());
        b
    }

    fn records(rows: TableRows) -> Vec<scoreline_data::Record> {
        scoreline_data::Table::new("t".into(), vec!["t".into(), "n".into()], vec![rows])
            .to_records()
    }

    fn decode(bytes: &[u8], piece: usize) -> Result<Vec<scoreline_data::Record>, String> {
        let types = [Type::TEXT, Type::INT4];
        let mut d = Decoder::new(&types);
        for p in bytes.chunks(piece) {
            d.feed(p).map_err(|e| match e {
                CopyBad::Failed(m) => m,
                CopyBad::Value(c, m) => format!("{c}: {m}"),
            })?;
        }
        match d.finished() {
            Ok(()) => Ok(records(d.out)),
            Err(CopyBad::Failed(m)) => Err(m),
            Err(CopyBad::Value(..)) => Err("value".into()),
        }
    }

    #[test]
    fn rows_decode_alike_whatever_the_pieces_they_come_in() {
        let bytes = stream(&[
            (Some("c1"), Some(120)),
            (None, Some(-5)),
            (Some(""), None),
            (Some("Zürich, \"HQ\""), Some(i32::MAX)),
        ]);
        let whole = decode(&bytes, bytes.len()).unwrap();
        assert_eq!(whole.len(), 4);
        for piece in 1..=9 {
            assert!(decode(&bytes, piece).unwrap() == whole, "pieces of {piece}");
        }
        let mut expected = TableRows::new(2);
        for (t, i) in [
            (Datum::from("c1"), Datum::Int(120)),
            (Datum::Null, Datum::Int(-5)),
            (Datum::from(""), Datum::Null),
            (
                Datum::from("Zürich, \"HQ\""),
                Datum::Int(i64::from(i32::MAX)),
            ),
        ] {
            expected.datum(t);
            expected.datum(i);
            expected.end_row();
        }
        assert!(whole == records(expected));
    }

    #[test]
    fn a_stream_cut_short_or_not_binary_is_an_error() {
        let bytes = stream(&[(Some("c1"), Some(1)), (Some("c2"), Some(2))]);
        for cut in [5, 20, bytes.len() - 7, bytes.len() - 1] {
            assert_eq!(
                decode(&bytes[..cut], 3).err().as_deref(),
                Some("the server's COPY stream ended early"),
                "cut at {cut}"
            );
        }
        let mut text = b"c1\t1\n".repeat(5);
        text.extend(b"\\.\n");
        assert_eq!(
            decode(&text, 4).err().as_deref(),
            Some("the server's COPY stream is not in the binary format")
        );
    }
}
