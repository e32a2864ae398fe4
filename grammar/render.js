// Renders a rule file as the TextMate grammar highlights it, with diagnostics underlined, to
// an HTML page (for the picture in docs/editors.md):
//   node render.js FILE.score DIAGNOSTICS.json > page.html
// DIAGNOSTICS.json is `scoreline check --format json FILE.score` (the language server sends
// the same diagnostics, a test checks it).
const fs = require("fs");
const path = require("path");
const oniguruma = require("vscode-oniguruma");
const vsctm = require("vscode-textmate");

const [file, diagnosticsFile] = process.argv.slice(2);
const wasm = fs.readFileSync(path.join(__dirname, "node_modules/vscode-oniguruma/release/onig.wasm")).buffer;

const colors = [
  ["comment", "#6a9955"],
  ["string", "#ce9178"],
  ["constant.character.escape", "#d7ba7d"],
  ["constant.numeric", "#b5cea8"],
  ["constant.other.date", "#b5cea8"],
  ["constant.language", "#569cd6"],
  ["storage.type", "#4ec9b0"],
  ["storage.modifier", "#569cd6"],
  ["keyword.operator.word", "#c586c0"],
  ["keyword.operator", "#d4d4d4"],
  ["keyword", "#c586c0"],
  ["entity.name.function", "#dcdcaa"],
  ["entity.name.type", "#4ec9b0"],
  ["entity.name.namespace", "#4ec9b0"],
  ["support.function", "#dcdcaa"],
  ["variable.language", "#569cd6"],
  ["variable.other.property", "#9cdcfe"],
  ["variable", "#9cdcfe"],
];

function color(scopes) {
  for (let i = scopes.length - 1; i >= 0; i--) {
    for (const [prefix, c] of colors) {
      if (scopes[i].startsWith(prefix)) return c;
    }
  }
  return "#d4d4d4";
}

const escape = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

oniguruma.loadWASM(wasm).then(async () => {
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (p) => new oniguruma.OnigScanner(p),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () =>
      vsctm.parseRawGrammar(fs.readFileSync(path.join(__dirname, "scoreline.tmLanguage.json"), "utf8"), "scoreline.tmLanguage.json"),
  });
  const grammar = await registry.loadGrammar("source.scoreline");
  const diagnostics = diagnosticsFile ? JSON.parse(fs.readFileSync(diagnosticsFile, "utf8")) : [];
  const lines = fs.readFileSync(file, "utf8").split("\n");
  let state = vsctm.INITIAL;
  const rows = [];
  lines.forEach((line, i) => {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    const here = diagnostics.filter((d) => d.line === i + 1);
    let html = "";
    for (const token of result.tokens) {
      const text = line.slice(token.startIndex, token.endIndex);
      const hit = here.find((d) => token.startIndex < d.end_column - 1 && token.endIndex > d.column - 1);
      const cls = hit ? ` class="${hit.severity}"` : "";
      html += `<span style="color:${color(token.scopes)}"${cls}>${escape(text)}</span>`;
    }
    let notes = here.map((d) => `<div class="note ${d.severity}">${escape(d.code)}: ${escape(d.message)}${d.help ? ` — help: ${escape(d.help)}` : ""}</div>`).join("");
    rows.push(`<div class="row"><span class="n">${i + 1}</span><span class="code">${html || " "}</span></div>${notes}`);
  });
  process.stdout.write(`<!doctype html><meta charset="utf-8"><style>
body{margin:0;background:#1e1e1e;font:14px/1.5 "DejaVu Sans Mono",monospace;color:#d4d4d4}
.tab{background:#252526;color:#fff;padding:6px 14px;font:13px sans-serif;border-bottom:1px solid #333}
.row{white-space:pre;display:flex}.n{color:#858585;width:3em;text-align:right;padding-right:1.2em;flex:none}
.error{text-decoration:underline wavy #f14c4c}.warning{text-decoration:underline wavy #cca700}
.note{margin-left:4.2em;font:12px sans-serif;padding:2px 8px;border-left:3px solid}
.note.error{color:#f48771;border-color:#f14c4c;text-decoration:none}.note.warning{color:#cca700;border-color:#cca700;text-decoration:none}
</style><div class="tab">${escape(path.basename(file))}</div>${rows.join("\n")}`);
});
