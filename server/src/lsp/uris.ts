// Maps between LSP document URIs and the absolute file paths the engine uses as file ids.
// Open documents keep the exact URI spelling the client used (so diagnostics and edits land on the
// client's document); other paths become file:// URIs. Non-file URIs (untitled:, git:) get a stable
// virtual path so the engine can still analyse them.
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const VIRTUAL_ROOT = path.join(path.sep, '__gfp_lens_virtual__');

export class UriMap {
  private uriByPath = new Map<string, string>();

  /** Engine file id for a URI. Never throws. */
  toPath(uri: string): string {
    if (uri.startsWith('file:')) {
      try { return fileURLToPath(uri); } catch { /* fall through to a virtual path */ }
    }
    return path.join(VIRTUAL_ROOT, encodeURIComponent(uri));
  }

  /** URI for an engine file id: the open document's own URI when there is one. */
  toUri(file: string): string {
    const known = this.uriByPath.get(file);
    if (known) return known;
    if (file.startsWith(VIRTUAL_ROOT + path.sep)) return decodeURIComponent(file.slice(VIRTUAL_ROOT.length + 1));
    try { return pathToFileURL(file).href; } catch { return 'file://' + file; }
  }

  remember(uri: string): string { const p = this.toPath(uri); this.uriByPath.set(p, uri); return p; }
  forget(uri: string): void { this.uriByPath.delete(this.toPath(uri)); }
  /** True when `file` belongs to an open document (remembered on open, forgotten on close). */
  isOpen(file: string): boolean { return this.uriByPath.has(file); }
  isVirtual(file: string): boolean { return file.startsWith(VIRTUAL_ROOT + path.sep); }
}

/** True when `file` is inside one of `roots` (or is one of them). */
export function isUnder(file: string, roots: string[]): boolean {
  return roots.some(r => { const rel = path.relative(r, file); return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel)); });
}
