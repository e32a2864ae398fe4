//! How long the language server takes to answer, on a generated rule file of N lines
//! (default 2,000): from a change to its diagnostics, and from a completion request to its
//! answer. The server runs in this process on in-memory pipes, JSON-RPC framing and all.
//!
//! ```sh
//! cargo run --release -p scoreline-lsp --example latency -- 2000 50
//! ```
//! prints the median, 90th percentile and worst of 50 changes and 50 completions.

use std::io::{self, BufRead, Read, Write};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Bytes written by the test, read by the server.
struct PipeIn {
    rx: Receiver<Vec<u8>>,
    buf: Vec<u8>,
    pos: usize,
}

impl Read for PipeIn {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for PipeIn {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.buf.len() {
            match self.rx.recv() {
                Ok(bytes) => {
                    self.buf = bytes;
                    self.pos = 0;
                }
                Err(_) => return Ok(&[]),
            }
        }
        Ok(&self.buf[self.pos..])
    }
    fn consume(&mut self, n: usize) {
        self.pos += n;
    }
}

/// The server's output, one framed message per `write` call sequence, parsed as it comes.
struct PipeOut {
    tx: Sender<Value>,
    pending: Vec<u8>,
}

impl Write for PipeOut {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        loop {
            let text = &self.pending;
            let Some(end) = text.windows(4).position(|w| w == b"\r\n\r\n") else {
                break;
            };
            let header = String::from_utf8_lossy(&text[..end]).to_string();
            let length: usize = header
                .trim()
                .strip_prefix("Content-Length: ")
                .and_then(|v| v.parse().ok())
                .expect("a Content-Length header");
            if text.len() < end + 4 + length {
                break;
            }
            let body = text[end + 4..end + 4 + length].to_vec();
            self.pending.drain(..end + 4 + length);
            let _ = self.tx.send(serde_json::from_slice(&body).expect("JSON"));
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A rule file of about `lines` lines, like a large team's: a schema, lets, block scores of
/// rules and `each` clauses, expression scores and segments.
fn rule_file(lines: usize) -> String {
    let mut out =
        String::from("ruleset big \"Generated\"\n\nschema {\n  contact {\n    id: text\n");
    for i in 0..40 {
        let ty = ["text", "number?", "date?", "text?"][i % 4];
        out.push_str(&format!("    field_{i}: {ty}\n"));
    }
    out.push_str("  }\n");
    for e in 0..10 {
        out.push_str(&format!(
            "  event event_{e} {{ url: text, amount: number?, form: text? }}\n"
        ));
    }
    out.push_str("}\n\n");
    let mut block = 0;
    while out.lines().count() < lines.saturating_sub(10) {
        out.push_str(&format!("let level_{block} = field_1 ?? 0\n\n"));
        out.push_str(&format!("score part_{block} \"Part {block}\" {{\n"));
        for r in 0..12 {
            let f = (block * 12 + r) % 40;
            match f % 4 {
                0 => out.push_str(&format!(
                    "  rule \"Text {r}\" when lower(field_{f}) in [\"a\", \"b\", \"c\"] => +{}\n",
                    r + 1
                )),
                1 => out.push_str(&format!(
                    "  rule \"Number {r}\" when field_{f} between 10 and 1000 => +{}\n",
                    r + 2
                )),
                2 => out.push_str(&format!(
                    "  each event_{} where url starts_with \"/p{r}\" => +{} max 30 decay half_life 30d\n",
                    r % 10,
                    r + 1
                )),
                _ => out.push_str(&format!(
                    "  rule \"Recent {r}\" when count(event_{} within 30d) > {r} => +5\n",
                    r % 10
                )),
            }
        }
        out.push_str(&format!("  rule \"Level\" when level_{block} > 5 => +1\n"));
        out.push_str("  clamp 0..100\n}\n\n");
        block += 1;
    }
    let parts: Vec<String> = (0..block).map(|b| format!("part_{b}")).collect();
    out.push_str(&format!("score total = {}\n\n", parts.join(" + ")));
    out.push_str("segment tier {\n  \"hot\" when total >= 300 => \"Call\"\n  \"warm\" when total >= 100 => \"Nurture\"\n  \"cold\"\n}\n");
    out
}

fn summary(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{name}: median {:.1} ms, p90 {:.1} ms, worst {:.1} ms ({} runs)",
        at(0.5).as_secs_f64() * 1e3,
        at(0.9).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3,
        times.len()
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let lines: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let text = rule_file(lines);
    let dir = std::env::temp_dir().join("scoreline-lsp-latency");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.score");
    std::fs::write(&path, &text).unwrap();
    let uri = scoreline_lsp::uri::from_path(&path);

    let (in_tx, in_rx) = mpsc::channel::<Vec<u8>>();
    let (out_tx, out_rx) = mpsc::channel::<Value>();
    let server = std::thread::spawn(move || {
        let mut out = PipeOut {
            tx: out_tx,
            pending: Vec::new(),
        };
        scoreline_lsp::serve(
            PipeIn {
                rx: in_rx,
                buf: Vec::new(),
                pos: 0,
            },
            &mut out,
        )
    });
    let send = |message: Value| {
        let text = message.to_string();
        in_tx
            .send(format!("Content-Length: {}\r\n\r\n{text}", text.len()).into_bytes())
            .unwrap();
    };
    let wait = |wanted: &dyn Fn(&Value) -> bool| loop {
        let m = out_rx.recv().expect("the server answers");
        if wanted(&m) {
            return m;
        }
    };
    send(
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"capabilities": {}}}),
    );
    wait(&|m| m["id"] == 0);
    send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "scoreline", "version": 1, "text": text}}}),
    );
    let first = wait(&|m| m["method"] == "textDocument/publishDiagnostics");
    let found = first["params"]["diagnostics"].as_array().unwrap().len();
    println!(
        "rule file: {} lines, {} bytes; {found} diagnostics on open",
        text.lines().count(),
        text.len()
    );

    // Changes: edit one number in the middle of the file (alternating, so each is new text).
    let line = text.lines().count() as u32 / 2;
    let mut changes = Vec::new();
    for i in 0..runs {
        let version = 2 + i as i64;
        let started = Instant::now();
        send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}, "text": if i % 2 == 0 { "let extra = 1\n" } else { "" }}],
            }}),
        );
        wait(&|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == version
        });
        changes.push(started.elapsed());
        if i % 2 == 0 {
            // Undo the insertion so that the file stays the same size.
            send(
                json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                    "textDocument": {"uri": uri, "version": version + 1000},
                    "contentChanges": [{"range": {"start": {"line": line, "character": 0}, "end": {"line": line + 1, "character": 0}}, "text": ""}],
                }}),
            );
            wait(&|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["version"] == version + 1000
            });
        }
    }
    summary("change → diagnostics", changes);

    // Completion inside a `where` at the end of a rule line, on the analysed text.
    let target = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(" where url "))
        .map(|(i, l)| (i as u32, l.find(" where ").unwrap() as u32 + 7))
        .unwrap();
    let mut completions = Vec::new();
    for i in 0..runs {
        let id = 10_000 + i as i64;
        let started = Instant::now();
        send(
            json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/completion", "params": {
                "textDocument": {"uri": uri}, "position": {"line": target.0, "character": target.1},
            }}),
        );
        let answer = wait(&|m| m["id"] == id);
        completions.push(started.elapsed());
        assert!(answer["result"].as_array().is_some_and(|a| !a.is_empty()));
    }
    summary("completion", completions);
    send(json!({"jsonrpc": "2.0", "id": 1, "method": "shutdown", "params": null}));
    wait(&|m| m["id"] == 1);
    send(json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
    assert_eq!(server.join().unwrap(), 0);
}
