// Entry point of the GFP Lens VS Code extension (bundled to dist/extension.js). Creates the "GFP Lens"
// output channel and the language client (server.ts), then wires one feature per module: the
// Allocation Call Paths view (callPathsTree.ts), the status bar item (statusBar.ts) and the commands
// that only talk to the server (reindex) or the editor (show output). This is the only part of the
// project that imports `vscode`.
import * as vscode from 'vscode';
import { Commands } from '../../server/src/protocol';
import { registerCallPathsTree } from './callPathsTree';
import { GfpServer } from './server';
import { registerStatusBar } from './statusBar';

let server: GfpServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('GFP Lens', { log: true });
  context.subscriptions.push(output);
  server = new GfpServer(context, output);
  const s = server;
  context.subscriptions.push(
    registerStatusBar(s),
    registerCallPathsTree(s),
    vscode.commands.registerCommand(Commands.reindex, () => s.reindex()),
    vscode.commands.registerCommand(Commands.showOutput, () => output.show(true)),
  );
  // Features are registered before the server starts, so the view and status bar exist even if it fails.
  await s.applyEnablement();
}

export async function deactivate(): Promise<void> {
  const s = server;
  server = undefined;
  await s?.dispose();
}
