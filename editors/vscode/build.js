// Copies the TextMate grammar from the repository's grammar/ folder into the extension, so
// that one grammar file is the source for the editor and its tests.
const fs = require("fs");
const path = require("path");
const from = path.join(__dirname, "..", "..", "grammar", "scoreline.tmLanguage.json");
const to = path.join(__dirname, "syntaxes", "scoreline.tmLanguage.json");
fs.mkdirSync(path.dirname(to), { recursive: true });
fs.copyFileSync(from, to);
console.log(`copied ${path.relative(process.cwd(), from)} -> ${path.relative(process.cwd(), to)}`);
