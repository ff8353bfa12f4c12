// Pure text of the GFP Lens status bar item, from the last `gfpLens/status` notification (StatusParams)
// and the client's own state. No `vscode` import: statusBar.ts shows it, the unit tests check it.
import type { StatusParams } from '../../server/src/protocol';
import type { ServerState } from './server';

export interface StatusView {
  /** Status bar text with codicons, always starting with `$(...) GFP`. */
  text: string;
  /** Markdown tooltip. */
  tooltip: string;
  /** True when the item should use the error background (server failed or stopped). */
  alarm: boolean;
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "2 errors, 1 warning", "3 hints", or "clean". */
export function findingSummary(s: Pick<StatusParams, 'errors' | 'warnings' | 'hints'>): string {
  const parts: string[] = [];
  if (s.errors) parts.push(count(s.errors, 'error'));
  if (s.warnings) parts.push(count(s.warnings, 'warning'));
  if (!parts.length && s.hints) parts.push(count(s.hints, 'hint'));
  return parts.length ? parts.join(', ') : 'clean';
}

export function statusView(state: ServerState, status: StatusParams | undefined): StatusView {
  const click = '\n\nClick to show the allocation call paths.';
  switch (state) {
    case 'disabled':
      return { text: '$(circle-slash) GFP: off', tooltip: 'GFP Lens is disabled (`gfpLens.enable`).', alarm: false };
    case 'failed':
      return { text: '$(error) GFP: failed', tooltip: 'The GFP Lens server failed to start. Click to see its output.', alarm: true };
    case 'stopped':
      return { text: '$(error) GFP: stopped', tooltip: 'The GFP Lens server stopped. Click to see its output.', alarm: true };
    case 'starting':
      return { text: '$(sync~spin) GFP: starting', tooltip: 'GFP Lens: starting the server…', alarm: false };
    case 'running':
      break;
  }
  if (!status || status.state === 'starting') {
    return { text: '$(sync~spin) GFP: starting', tooltip: 'GFP Lens: starting the analysis…' + click, alarm: false };
  }
  if (status.state === 'indexing') {
    // Before the file list is known the server reports 0/0.
    const progress = status.filesTotal > 0 ? `${status.filesDone}/${status.filesTotal}` : 'indexing';
    return {
      text: `$(sync~spin) GFP: ${progress}`,
      tooltip: (status.filesTotal > 0 ? `GFP Lens: indexing, ${progress} files summarized.` : 'GFP Lens: listing files to index…') + click,
      alarm: false,
    };
  }
  if (status.state === 'analysing') {
    return {
      text: '$(sync~spin) GFP: analysing',
      tooltip: `GFP Lens: ${count(status.filesTotal, 'file')} indexed; the whole-tree analysis is running. Open files show their own findings meanwhile`
        + (status.errors + status.warnings + status.hints ? ` (the last session found ${findingSummary(status)}).` : '.') + click,
      alarm: false,
    };
  }
  return {
    text: `$(shield) GFP: ${findingSummary(status)}`,
    tooltip: `GFP Lens: ${count(status.filesTotal, 'file')} indexed · ${count(status.errors, 'error')}, `
      + `${count(status.warnings, 'warning')}, ${count(status.hints, 'hint')}.` + click,
    alarm: false,
  };
}
