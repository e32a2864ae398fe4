//! `scoreline lsp`: the language server for rule files.
//!
//! It speaks the Language Server Protocol over standard input and output. The protocol's
//! types come from `lsp-types` and the JSON-RPC messages from `lsp-server` (rust-analyzer's
//! crates); the framing is read here so that a malformed message is answered and logged
//! rather than ending the session. Everything the server says about a file comes from the
//! same code as the command line: diagnostics from `check`, formatting from `fmt`, the
//! built-in functions' documentation from the engine's table.
//!
//! Documents are checked after each batch of changes (the messages waiting are handled first,
//! so a burst of keystrokes is checked once), requests are answered from the latest text, and
//! a request that fails inside the server gets an error answer; the server stops only on
//! `exit` or when its input ends.

#![forbid(unsafe_code)]

pub mod analysis;
pub mod features;
pub mod index;
pub mod text;
pub mod transport;
pub mod uri;

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CompletionOptions, CompletionParams, CompletionResponse, Diagnostic, DiagnosticSeverity,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DocumentFormattingParams, DocumentSymbolParams, DocumentSymbolResponse, GotoDefinitionParams,
    GotoDefinitionResponse, HoverParams, HoverProviderCapability, InitializeResult, OneOf,
    Position, PrepareRenameResponse, PublishDiagnosticsParams, Range, ReferenceParams,
    RenameOptions, RenameParams, ServerCapabilities, ServerInfo, TextDocumentPositionParams,
    TextDocumentSyncCapability, TextDocumentSyncKind,
};
use scoreline_runner::sources::PluginCache;

use analysis::{Analysis, MAX_DOCUMENT};
use transport::Incoming;

/// Runs the server on standard input and output until `exit`; the exit code is 0 after a
/// `shutdown` request, 1 otherwise (as the protocol asks).
pub fn run() -> u8 {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    serve(std::io::BufReader::new(std::io::stdin()), &mut out)
}

/// Runs the server on `input` and `output`.
pub fn serve<R: BufRead + Send + 'static>(mut input: R, output: &mut dyn Write) -> u8 {
    let (tx, rx) = mpsc::channel::<Incoming>();
    std::thread::spawn(move || loop {
        let incoming = match transport::read(&mut input) {
            Ok(incoming) => incoming,
            Err(e) => {
                log(&format!("cannot read from the editor: {e}"));
                Incoming::End
            }
        };
        let end = matches!(incoming, Incoming::End);
        if tx.send(incoming).is_err() || end {
            return;
        }
    });
    let mut server = Server::new(output);
    loop {
        let Ok(first) = rx.recv() else {
            return server.exit_code();
        };
        if let Some(code) = server.incoming(first) {
            return code;
        }
        // Handle everything already waiting before checking: a burst of changes is checked once.
        while let Ok(next) = rx.try_recv() {
            if let Some(code) = server.incoming(next) {
                return code;
            }
        }
        server.publish_dirty();
    }
}

fn log(message: &str) {
    eprintln!("scoreline lsp: {message}");
}

struct Document {
    text: String,
    version: i32,
    analysis: Option<Arc<Analysis>>,
}

struct Server<'a> {
    out: &'a mut dyn Write,
    documents: HashMap<String, Document>,
    dirty: BTreeSet<String>,
    plugins: PluginCache,
    /// For each document, the plugin files it last published diagnostics to.
    plugin_diagnostics: HashMap<String, BTreeSet<String>>,
    initialized: bool,
    shutdown: bool,
}

impl<'a> Server<'a> {
    fn new(out: &'a mut dyn Write) -> Server<'a> {
        Server {
            out,
            documents: HashMap::new(),
            dirty: BTreeSet::new(),
            plugins: PluginCache::new(),
            plugin_diagnostics: HashMap::new(),
            initialized: false,
            shutdown: false,
        }
    }

    fn exit_code(&self) -> u8 {
        if self.shutdown {
            0
        } else {
            1
        }
    }

    fn send(&mut self, message: Message) {
        if let Err(e) = transport::write(self.out, message) {
            log(&format!("cannot write to the editor: {e}"));
        }
    }

    fn notify(&mut self, method: &str, params: impl serde::Serialize) {
        self.send(Message::Notification(Notification::new(
            method.into(),
            params,
        )));
    }

    /// Handles one incoming frame; `Some(code)` when the server must stop.
    fn incoming(&mut self, incoming: Incoming) -> Option<u8> {
        match incoming {
            Incoming::End => Some(self.exit_code()),
            Incoming::Malformed(reason) => {
                log(&format!("ignored {reason}"));
                if let Err(e) = transport::write_parse_error(self.out, &reason) {
                    log(&format!("cannot write to the editor: {e}"));
                }
                None
            }
            Incoming::Message(Message::Request(request)) => {
                let id = request.id.clone();
                let method = request.method.clone();
                match catch_unwind(AssertUnwindSafe(|| self.request(request))) {
                    Ok(response) => self.send(Message::Response(response)),
                    Err(_) => {
                        log(&format!(
                            "`{method}` failed inside the server (a bug): answered with an error"
                        ));
                        self.send(Message::Response(Response::new_err(
                            id,
                            ErrorCode::InternalError as i32,
                            format!("`{method}` failed inside the server"),
                        )));
                    }
                }
                None
            }
            Incoming::Message(Message::Notification(n)) => {
                if n.method == "exit" {
                    return Some(self.exit_code());
                }
                let method = n.method.clone();
                if catch_unwind(AssertUnwindSafe(|| self.notification(n))).is_err() {
                    log(&format!(
                        "`{method}` failed inside the server (a bug): ignored"
                    ));
                }
                None
            }
            Incoming::Message(Message::Response(_)) => None,
        }
    }

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        if request.method == "initialize" {
            self.initialized = true;
            return ok(id, initialize_result());
        }
        if !self.initialized {
            return Response::new_err(
                id,
                ErrorCode::ServerNotInitialized as i32,
                "the server is not initialized yet".into(),
            );
        }
        if self.shutdown {
            return Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".into(),
            );
        }
        match request.method.as_str() {
            "shutdown" => {
                self.shutdown = true;
                ok(id, ())
            }
            "textDocument/hover" => self.at_position::<HoverParams, _>(request, |a, offset, _| {
                serde_json::to_value(features::hover(a, offset)).map_err(|e| e.to_string())
            }),
            "textDocument/completion" => {
                self.at_position::<CompletionParams, _>(request, |a, offset, _| {
                    serde_json::to_value(CompletionResponse::Array(features::completion(a, offset)))
                        .map_err(|e| e.to_string())
                })
            }
            "textDocument/definition" => {
                self.at_position::<GotoDefinitionParams, _>(request, |a, offset, _| {
                    serde_json::to_value(
                        features::definition(a, offset).map(GotoDefinitionResponse::Scalar),
                    )
                    .map_err(|e| e.to_string())
                })
            }
            "textDocument/references" => {
                self.at_position::<ReferenceParams, _>(request, |a, offset, params| {
                    let declaration = params
                        .get("context")
                        .and_then(|c| c.get("includeDeclaration"))
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false);
                    serde_json::to_value(features::references(a, offset, declaration))
                        .map_err(|e| e.to_string())
                })
            }
            "textDocument/prepareRename" => {
                self.at_position::<TextDocumentPositionParams, _>(request, |a, offset, _| {
                    let range = features::prepare_rename(a, offset)?;
                    serde_json::to_value(PrepareRenameResponse::Range(range))
                        .map_err(|e| e.to_string())
                })
            }
            "textDocument/rename" => {
                self.at_position::<RenameParams, _>(request, |a, offset, params| {
                    let new_name = params
                        .get("newName")
                        .and_then(|v| v.as_str())
                        .ok_or("a rename without `newName`")?;
                    serde_json::to_value(features::rename(a, offset, new_name)?)
                        .map_err(|e| e.to_string())
                })
            }
            "textDocument/documentSymbol" => {
                self.whole_document::<DocumentSymbolParams, _>(request, |a| {
                    serde_json::to_value(DocumentSymbolResponse::Nested(features::symbols(a)))
                        .map_err(|e| e.to_string())
                })
            }
            "textDocument/formatting" => self
                .whole_document::<DocumentFormattingParams, _>(request, |a| {
                    serde_json::to_value(features::formatting(a)?).map_err(|e| e.to_string())
                }),
            other => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("`{other}` is not supported"),
            ),
        }
    }

    /// Answers a request about a position of a document; `null` when the position lies past
    /// the end of the document or the document is too large to analyse.
    fn at_position<P, F>(&mut self, request: Request, answer: F) -> Response
    where
        P: serde::de::DeserializeOwned,
        F: FnOnce(&Analysis, usize, &serde_json::Value) -> Result<serde_json::Value, String>,
    {
        let id = request.id.clone();
        let raw = request.params.clone();
        if let Err(e) = serde_json::from_value::<P>(request.params) {
            return invalid_params(id, &request.method, &e.to_string());
        }
        let Some(uri) = raw.pointer("/textDocument/uri").and_then(|v| v.as_str()) else {
            return invalid_params(id, &request.method, "no `textDocument.uri`");
        };
        let position: Option<Position> = raw
            .get("position")
            .and_then(|p| serde_json::from_value(p.clone()).ok());
        let Some(position) = position else {
            return invalid_params(id, &request.method, "no `position`");
        };
        let Some(analysis) = self.analysis(uri) else {
            return self.unknown_document(id, uri);
        };
        let Some(offset) = analysis.lines.offset(analysis.text(), position) else {
            log(&format!(
                "`{}` at {}:{} is past the end of {uri}: answered null",
                request.method, position.line, position.character
            ));
            return ok(id, serde_json::Value::Null);
        };
        match answer(&analysis, offset, &raw) {
            Ok(value) => ok(id, value),
            Err(message) => Response::new_err(id, ErrorCode::RequestFailed as i32, message),
        }
    }

    fn whole_document<P, F>(&mut self, request: Request, answer: F) -> Response
    where
        P: serde::de::DeserializeOwned,
        F: FnOnce(&Analysis) -> Result<serde_json::Value, String>,
    {
        let id = request.id.clone();
        let raw = request.params.clone();
        if let Err(e) = serde_json::from_value::<P>(request.params) {
            return invalid_params(id, &request.method, &e.to_string());
        }
        let Some(uri) = raw.pointer("/textDocument/uri").and_then(|v| v.as_str()) else {
            return invalid_params(id, &request.method, "no `textDocument.uri`");
        };
        let Some(analysis) = self.analysis(uri) else {
            return self.unknown_document(id, uri);
        };
        match answer(&analysis) {
            Ok(value) => ok(id, value),
            Err(message) => Response::new_err(id, ErrorCode::RequestFailed as i32, message),
        }
    }

    fn unknown_document(&self, id: RequestId, uri: &str) -> Response {
        match self.documents.get(uri) {
            Some(doc) => {
                log(&format!(
                    "{uri} is too large to analyse ({} bytes): answered null",
                    doc.text.len()
                ));
                ok(id, serde_json::Value::Null)
            }
            None => {
                log(&format!(
                    "a request about {uri}, which is not open: answered null"
                ));
                ok(id, serde_json::Value::Null)
            }
        }
    }

    /// The analysis of an open document's current text (made now if needed); `None` when
    /// the document is not open or is too large.
    fn analysis(&mut self, uri: &str) -> Option<Arc<Analysis>> {
        let doc = self.documents.get_mut(uri)?;
        if doc.text.len() > MAX_DOCUMENT {
            return None;
        }
        if doc.analysis.is_none() {
            let path = uri::to_path(uri).unwrap_or_else(|| PathBuf::from("untitled.score"));
            let analysis = Analysis::new(&path, &doc.text, self.plugins.clone());
            self.plugins.extend(analysis.checked.plugins.compiled());
            doc.analysis = Some(Arc::new(analysis));
        }
        doc.analysis.clone()
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                match serde_json::from_value::<DidOpenTextDocumentParams>(n.params) {
                    Ok(p) => {
                        let uri = p.text_document.uri.as_str().to_string();
                        self.documents.insert(
                            uri.clone(),
                            Document {
                                text: p.text_document.text,
                                version: p.text_document.version,
                                analysis: None,
                            },
                        );
                        self.dirty.insert(uri);
                    }
                    Err(e) => log(&format!("ignored a malformed didOpen: {e}")),
                }
            }
            "textDocument/didChange" => {
                match serde_json::from_value::<DidChangeTextDocumentParams>(n.params) {
                    Ok(p) => {
                        let uri = p.text_document.uri.as_str().to_string();
                        let Some(doc) = self.documents.get_mut(&uri) else {
                            log(&format!("ignored a change to {uri}, which is not open"));
                            return;
                        };
                        for change in p.content_changes {
                            match change.range {
                                Some(range) => apply(&mut doc.text, range, &change.text),
                                None => doc.text = change.text,
                            }
                        }
                        doc.version = p.text_document.version;
                        doc.analysis = None;
                        self.dirty.insert(uri);
                    }
                    Err(e) => log(&format!("ignored a malformed didChange: {e}")),
                }
            }
            "textDocument/didClose" => {
                match serde_json::from_value::<DidCloseTextDocumentParams>(n.params) {
                    Ok(p) => {
                        let uri = p.text_document.uri.as_str().to_string();
                        if self.documents.remove(&uri).is_some() {
                            self.dirty.remove(&uri);
                            self.publish(&uri, None, Vec::new());
                            for plugin in self.plugin_diagnostics.remove(&uri).unwrap_or_default() {
                                self.publish(&plugin, None, Vec::new());
                            }
                        }
                    }
                    Err(e) => log(&format!("ignored a malformed didClose: {e}")),
                }
            }
            // A plugin script (or another file) changed on disk: check everything again.
            "workspace/didChangeWatchedFiles" | "textDocument/didSave" => {
                self.plugins.clear();
                for (uri, doc) in &mut self.documents {
                    doc.analysis = None;
                    self.dirty.insert(uri.clone());
                }
            }
            _ => {}
        }
    }

    fn publish(&mut self, uri: &str, version: Option<i32>, diagnostics: Vec<Diagnostic>) {
        let Some(parsed) = uri::parse(uri) else {
            log(&format!(
                "cannot publish diagnostics for `{uri}`: not a URI"
            ));
            return;
        };
        self.notify(
            "textDocument/publishDiagnostics",
            PublishDiagnosticsParams::new(parsed, diagnostics, version),
        );
    }

    fn publish_dirty(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        for uri in dirty {
            let Some(doc) = self.documents.get(&uri) else {
                continue;
            };
            let version = doc.version;
            if doc.text.len() > MAX_DOCUMENT {
                let size = doc.text.len() as f64 / (1024.0 * 1024.0);
                let diagnostic = Diagnostic {
                    range: Range::default(),
                    severity: Some(DiagnosticSeverity::WARNING),
                    source: Some("scoreline".into()),
                    message: format!(
                        "this file is too large to check as you type ({size:.1} MB; the limit is {} MB)\nhelp: check it with `scoreline check`",
                        MAX_DOCUMENT / (1024 * 1024)
                    ),
                    ..Diagnostic::default()
                };
                log(&format!("{uri} is {size:.1} MB: not analysed"));
                self.publish(&uri, Some(version), vec![diagnostic]);
                continue;
            }
            let Some(analysis) = self.analysis(&uri) else {
                continue;
            };
            let (own, plugins) = features::diagnostics(&analysis);
            self.publish(&uri, Some(version), own);
            let before = self.plugin_diagnostics.remove(&uri).unwrap_or_default();
            let now: BTreeSet<String> = plugins.keys().cloned().collect();
            for (plugin, diagnostics) in plugins {
                self.publish(&plugin, None, diagnostics);
            }
            for gone in before.difference(&now) {
                self.publish(gone, None, Vec::new());
            }
            self.plugin_diagnostics.insert(uri, now);
        }
    }
}

/// Applies one ranged change (positions past the end are clamped to it).
fn apply(text: &mut String, range: Range, new_text: &str) {
    let lines = text::LineIndex::new(text);
    let start = lines.offset_clamped(text, range.start);
    let end = lines.offset_clamped(text, range.end).max(start);
    text.replace_range(start..end, new_text);
}

fn ok(id: RequestId, value: impl serde::Serialize) -> Response {
    match serde_json::to_value(value) {
        Ok(value) => Response {
            id,
            result: Some(value),
            error: None,
        },
        Err(e) => Response::new_err(id, ErrorCode::InternalError as i32, e.to_string()),
    }
}

fn invalid_params(id: RequestId, method: &str, reason: &str) -> Response {
    log(&format!("`{method}` with bad parameters: {reason}"));
    Response::new_err(
        id,
        ErrorCode::InvalidParams as i32,
        format!("bad parameters for `{method}`: {reason}"),
    )
}

fn initialize_result() -> InitializeResult {
    InitializeResult {
        capabilities: ServerCapabilities {
            text_document_sync: Some(TextDocumentSyncCapability::Kind(
                TextDocumentSyncKind::INCREMENTAL,
            )),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec![".".into(), "(".into(), " ".into()]),
                ..CompletionOptions::default()
            }),
            definition_provider: Some(OneOf::Left(true)),
            references_provider: Some(OneOf::Left(true)),
            rename_provider: Some(OneOf::Right(RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: Default::default(),
            })),
            document_symbol_provider: Some(OneOf::Left(true)),
            document_formatting_provider: Some(OneOf::Left(true)),
            ..ServerCapabilities::default()
        },
        server_info: Some(ServerInfo {
            name: "scoreline".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    }
}
