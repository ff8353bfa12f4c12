// Command-line parsing for the gfp-lens CLI. Pure: returns a parsed command or a usage error.
export type Format = 'text' | 'json' | 'sarif';

export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'lsp' }
  | { kind: 'check'; paths: string[]; format: Format; exclude: string[]; progress: boolean; cacheDir?: string; noCache?: boolean };

export class UsageError extends Error {}

export const USAGE = `Usage:
  gfp-lens check <path>... [--format text|json|sarif] [--exclude <dir>]... [--no-progress]
                 [--cache-dir <dir> | --no-cache]
      Analyse C files and directories; print findings (exit 1 if any error-severity finding).
  gfp-lens lsp --stdio
      Run the language server over stdio (for any LSP editor).
  gfp-lens --help | --version`;

const FORMATS: Format[] = ['text', 'json', 'sarif'];

export function parseArgs(argv: string[]): Command {
  if (argv.length === 0) throw new UsageError('missing command');
  const [cmd, ...rest] = argv;
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') return { kind: 'help' };
  if (cmd === '--version' || cmd === '-v' || cmd === 'version') return { kind: 'version' };
  if (cmd === 'lsp') {
    for (const a of rest) {
      if (!/^--(stdio|node-ipc|socket|pipe|clientProcessId)/.test(a) && !/^\d+$/.test(a)) throw new UsageError(`unknown option '${a}' for lsp`);
    }
    return { kind: 'lsp' };
  }
  if (cmd !== 'check') throw new UsageError(cmd.startsWith('-') ? `unknown option '${cmd}'` : `unknown command '${cmd}'`);

  const out: Command = { kind: 'check', paths: [], format: 'text', exclude: [], progress: true };
  let onlyPaths = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (onlyPaths || !a.startsWith('-') || a === '-') { out.paths.push(a); continue; }
    if (a === '--') { onlyPaths = true; continue; }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(0, eq) : a;
    const value = () => {
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= rest.length) throw new UsageError(`option '${name}' needs a value`);
      return rest[++i];
    };
    switch (name) {
      case '--format': case '-f': {
        const v = value();
        if (!(FORMATS as string[]).includes(v)) throw new UsageError(`unknown format '${v}' (expected ${FORMATS.join(', ')})`);
        out.format = v as Format;
        break;
      }
      case '--exclude': case '-x': out.exclude.push(value()); break;
      case '--cache-dir': out.cacheDir = value(); break;
      case '--no-cache': if (eq >= 0) throw new UsageError(`option '${name}' takes no value`); out.noCache = true; break;
      case '--no-progress': if (eq >= 0) throw new UsageError(`option '${name}' takes no value`); out.progress = false; break;
      case '--help': case '-h': return { kind: 'help' };
      default: throw new UsageError(`unknown option '${name}'`);
    }
  }
  if (out.paths.length === 0) throw new UsageError('check: no paths given');
  return out;
}
