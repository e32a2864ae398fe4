// The Scoreline extension: starts `scoreline lsp` for *.score files.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("scoreline");
  const command = config.get("path") || "scoreline";
  const serverOptions = {
    command,
    args: ["lsp"],
    transport: TransportKind.stdio,
  };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "scoreline" }],
    synchronize: {
      // Plugins change what a rule file means: tell the server when one is saved.
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.rhai"),
    },
  };
  client = new LanguageClient("scoreline", "Scoreline", serverOptions, clientOptions);
  client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `Scoreline: could not start \`${command} lsp\` (${error.message}). ` +
        "Install scoreline, or set `scoreline.path` to the program."
    );
  });
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("scoreline.path")) {
        vscode.window.showInformationMessage("Scoreline: reload the window to use the new `scoreline.path`.");
      }
    })
  );
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
