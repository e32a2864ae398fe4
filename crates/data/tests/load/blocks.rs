//! A large events file read in blocks (`load_streamed`) against the same file read whole
//! (`load`): the same data set, rows, problems at the same lines and rows set aside, whatever
//! the block size and thread count, with quoted cells holding newlines across block
//! boundaries and CRLF line endings; and every byte observed, in order, for the hashes.

use std::sync::Mutex;

use scoreline_data::{load, load_streamed, FileRows, LoadOptions, LoadRequest, SkippedRow};

use super::{b2b, dump, generated};

type Outcome = Result<(String, Vec<FileRows>, Vec<SkippedRow>), (Vec<String>, usize, bool)>;

fn outcome(result: Result<scoreline_data::Loaded, scoreline_data::LoadError>) -> Outcome {
    match result {
        Ok(l) => Ok((dump(&l.dataset), l.files, l.skipped)),
        Err(e) => Err((super::lines(&e), e.more, e.in_rows)),
    }
}

/// Loads `contacts` and `events` written to files, whole and in blocks of each size.
fn compare(name: &str, contacts: &str, events: &str, skip: bool) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let (c, e) = (
        dir.path().join("contacts.csv"),
        dir.path().join("events.csv"),
    );
    std::fs::write(&c, contacts).unwrap();
    std::fs::write(&e, events).unwrap();
    let schema = b2b();
    let request = |threads: usize, chunk_bytes: usize| {
        let mut r = LoadRequest::new(&c);
        r.events = vec![e.clone()];
        r.options = LoadOptions {
            schema: Some(&schema),
            skip_bad_rows: skip,
            threads,
            chunk_bytes,
            ..LoadOptions::default()
        };
        r
    };
    let whole = outcome(load(&request(1, 1 << 30)));
    for (block, threads, chunk) in [
        (1, 1, 1 << 30),
        (7, 3, 50),
        (64, 2, 1 << 30),
        (200, 1, 31),
        (1000, 4, 97),
        (4096, 2, 500),
    ] {
        let seen = Mutex::new(vec![Vec::new(), Vec::new()]);
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let observe = |i: usize, bytes: &[u8]| {
            calls.fetch_add(usize::from(i == 1), std::sync::atomic::Ordering::Relaxed);
            seen.lock().unwrap()[i].extend_from_slice(bytes)
        };
        let streamed = outcome(load_streamed(&request(threads, chunk), block, &observe));
        assert_eq!(
            streamed, whole,
            "{name}: blocks of {block} bytes, {threads} threads"
        );
        let seen = seen.into_inner().unwrap();
        assert!(
            seen[0] == contacts.as_bytes() && seen[1] == events.as_bytes(),
            "{name}: every byte observed in order (blocks of {block} bytes)"
        );
        // The file was read in blocks indeed (a head, then blocks), unless a stray quote,
        // a lone `\r` or a quote left open in the head made it read whole.
        let calls = calls.into_inner();
        let whole_head = ["stray", "lone", "open"]
            .iter()
            .any(|p| name.starts_with(p));
        if block <= 1000 && !whole_head {
            assert!(calls > 3, "{name}: {calls} blocks of {block} bytes");
        }
    }
    whole
}

/// The generated events with quoted cells: a newline inside some (every row holding one
/// spans two lines), a doubled quote in others.
fn quoted(events: &str) -> String {
    events
        .replace(",/p3,", ",\"/p\n3\",")
        .replace(",/p1,", ",\"/p \"\"1\"\"\",")
}

#[test]
fn events_read_in_blocks_load_as_read_whole() {
    let (c, e) = generated(300, false);
    let q = quoted(&e);
    assert!(q.len() > e.len() && q.contains("\"/p\n3\""));
    let cases = [
        ("plain", e.clone()),
        ("quoted", q.clone()),
        ("crlf", e.replace('\n', "\r\n")),
        ("quoted crlf", q.replace('\n', "\r\n")),
        ("blank lines", e.replacen("\n", "\n\n", 40)),
        // A quote where CSV does not put one: the rest is read in order.
        ("stray quote", e.replacen(",/p2,", ",/p\"2,", 3)),
        // A lone `\r` (a row end to the csv crate, not to the plain reader).
        ("lone cr", e.replacen(",/p2,", ",/p\r2,", 3)),
        ("lone cr quoted", q.replacen(",/p2,", ",/p\r2,", 3)),
        ("bom", format!("\u{feff}{q}")),
    ];
    let (reference, _, _) = compare("plain", &c, &e, false).unwrap();
    for (name, events) in &cases {
        // (The csv reader ends a row at a lone `\r` in a quoted file: ragged rows then.)
        let whole = compare(name, &c, events, false);
        if !name.starts_with("stray") && !name.starts_with("lone") {
            let (dump, _, _) = whole.unwrap_or_else(|e| panic!("{name}: {e:?}"));
            // The dump shows texts as Rust writes them (`\n`, `\"`).
            let unquoted = dump
                .replace(r"/p\n3", "/p3")
                .replace(r"/p\r\n3", "/p3")
                .replace(r#"/p \"1\""#, "/p1");
            assert_eq!(unquoted, reference, "{name}");
        }
    }
}

#[test]
fn problems_in_blocks_keep_their_lines() {
    let (c, e) = generated(400, true);
    for events in [e.clone(), quoted(&e), quoted(&e).replace('\n', "\r\n")] {
        let (lines, _, _) = compare("bad", &c, &events, false).unwrap_err();
        assert!(lines.iter().any(|l| l.contains("events.csv:")), "{lines:?}");
        let (_, files, skipped) = compare("bad, skipped", &c, &events, true).unwrap();
        assert!(files[1].skipped > 0 && skipped.iter().any(|s| s.file.ends_with("events.csv")));
    }
    // A quote left open: the csv reader reports it where the whole file's does.
    let open = quoted(&e).replacen(",\"/p\n3\",", ",\"/p\n3,", 1);
    assert!(compare("open quote", &c, &open, false).is_err());
}
