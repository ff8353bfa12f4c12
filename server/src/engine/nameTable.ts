// Lookup tables and dictionaries keyed by C identifiers. A plain object literal inherits Object.prototype, so a kernel
// function, struct or field named `constructor`, `toString` or `valueOf` would find a JavaScript function there
// (svc_rdma_rw.c calls a function pointer named `constructor`, neighbour.c has a `->constructor` field). These have
// no prototype: only their own keys are found.

/** A table of these entries with no prototype. */
export function nameTable<T>(entries: Record<string, T> = {}): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}

/** Whether `key` is an own key of a table or dictionary that may have a prototype (user settings, parsed JSON). */
export function hasName(table: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(table, key);
}
