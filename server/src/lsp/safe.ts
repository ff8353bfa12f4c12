// Guards every request handler: honours cancellation and turns any exception into a logged error and
// an empty answer, so the server keeps running whatever the input (DESIGN §3: never crash on input).
import type { CancellationToken } from 'vscode-languageserver/node';

export interface Logger { error(message: string): void }

export function guard<P, R>(logger: Logger, name: string, empty: R, handler: (params: P, token: CancellationToken) => R):
  (params: P, token: CancellationToken) => R {
  return (params, token) => {
    if (token?.isCancellationRequested) return empty;
    try {
      const result = handler(params, token);
      return token?.isCancellationRequested ? empty : result;
    } catch (e) {
      logger.error(`gfp-lens: ${name} failed: ${describe(e)}`);
      return empty;
    }
  };
}

/** Same for notifications and other fire-and-forget callbacks. */
export function guardVoid<A extends unknown[]>(logger: Logger, name: string, fn: (...args: A) => void | Promise<void>): (...args: A) => void {
  return (...args) => {
    try {
      const r = fn(...args);
      if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch(e => logger.error(`gfp-lens: ${name} failed: ${describe(e)}`));
    } catch (e) {
      logger.error(`gfp-lens: ${name} failed: ${describe(e)}`);
    }
  };
}

export function describe(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
