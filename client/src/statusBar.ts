// Status bar item "GFP Lens": index progress while indexing (`$(sync~spin) GFP: 1234/5678`), then the
// workspace's finding counts (`$(shield) GFP: 2 errors, 1 warning` / `GFP: clean`). Fed by the
// `gfpLens/status` notification (StatusParams) through GfpServer.onStatus and by the server's state.
// A click focuses the Allocation Call Paths view (or shows the output when the server is down).
import * as vscode from 'vscode';
import { CallPathsViewId, Commands } from '../../server/src/protocol';
import type { GfpServer } from './server';
import { statusView } from './statusText';

export function registerStatusBar(server: GfpServer): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('gfpLens.status', vscode.StatusBarAlignment.Left, 10);
  item.name = 'GFP Lens';
  const update = () => {
    const view = statusView(server.state, server.lastStatus);
    item.text = view.text;
    item.tooltip = new vscode.MarkdownString(view.tooltip, true);
    item.backgroundColor = view.alarm ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    const down = server.state === 'failed' || server.state === 'stopped';
    // `<viewId>.focus` is the command VS Code generates for every contributed view.
    item.command = down ? Commands.showOutput : `${CallPathsViewId}.focus`;
  };
  update();
  item.show();
  return vscode.Disposable.from(item, server.onStatus(update), server.onDidChangeState(update));
}
