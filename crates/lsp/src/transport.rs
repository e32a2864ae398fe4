//! Reading and writing JSON-RPC messages framed by `Content-Length` headers.
//!
//! lsp-server's own reader stops the connection at the first malformed message; a language
//! server must log it and keep going, so the framing is read here and only well-formed
//! payloads become `lsp_server::Message`s.

use std::io::{self, BufRead, Write};

use lsp_server::Message;

/// The largest message accepted (a document of this size is far beyond what is checked).
const MAX_MESSAGE: usize = 256 * 1024 * 1024;

/// What came in.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// A frame whose payload is not a JSON-RPC message: answered with a parse error.
    Malformed(String),
    /// The input ended.
    End,
}

/// Reads the next frame. Only a failure of the input itself is an `Err`.
pub fn read(input: &mut dyn BufRead) -> io::Result<Incoming> {
    let mut length: Option<usize> = None;
    let mut bad_header: Option<String> = None;
    let mut line = Vec::new();
    let mut saw_header = false;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(Incoming::End);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if saw_header {
                break;
            }
            // Blank lines between frames are skipped.
            continue;
        }
        saw_header = true;
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => bad_header = Some(format!("bad Content-Length `{}`", value.trim())),
                }
            }
            Some(_) => {}
            None => bad_header = Some(format!("malformed header line `{text}`")),
        }
    }
    let Some(length) = length else {
        return Ok(Incoming::Malformed(
            bad_header.unwrap_or_else(|| "a message without Content-Length".into()),
        ));
    };
    if length > MAX_MESSAGE {
        // Skip it without holding it in memory.
        io::copy(
            &mut io::Read::take(&mut *input, length as u64),
            &mut io::sink(),
        )?;
        return Ok(Incoming::Malformed(format!(
            "a message of {length} bytes (the limit is {MAX_MESSAGE})"
        )));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    let text = match String::from_utf8(body) {
        Ok(text) => text,
        Err(e) => {
            return Ok(Incoming::Malformed(format!(
                "the message is not valid UTF-8 (byte {})",
                e.utf8_error().valid_up_to()
            )))
        }
    };
    match serde_json::from_str::<Message>(&text) {
        Ok(message) => Ok(Incoming::Message(message)),
        Err(e) => Ok(Incoming::Malformed(format!(
            "malformed JSON-RPC message: {e}"
        ))),
    }
}

/// Writes one message.
pub fn write(output: &mut dyn Write, message: Message) -> io::Result<()> {
    let mut buffer = Vec::new();
    message.write(&mut buffer)?;
    output.write_all(&buffer)?;
    output.flush()
}

/// Writes the JSON-RPC answer to a message that could not be read (`id` is null, as the
/// specification asks when the id cannot be known).
pub fn write_parse_error(output: &mut dyn Write, reason: &str) -> io::Result<()> {
    let text = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": -32700, "message": reason },
    })
    .to_string();
    write!(output, "Content-Length: {}\r\n\r\n{text}", text.len())?;
    output.flush()
}
