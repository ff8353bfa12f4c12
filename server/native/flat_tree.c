// Optional native parser for bulk indexing (an N-API addon): parses a JS string of C with the tree-sitter C grammar
// and returns the whole syntax tree as one flat Int32Array (server/src/engine/flatTree.ts reads it), so the
// summarizer walks JS arrays instead of making a WebAssembly call and a JS object per node.
// Positions are in UTF-16 code units, as web-tree-sitter reports them. Built by scripts/build-native.js; when it is
// missing or does not load, the engine uses web-tree-sitter for everything (server/src/engine/parser.ts).
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <node_api.h>
#include <tree_sitter/api.h>
#include "parse_alloc.h"

const TSLanguage *tree_sitter_c(void);

// One record per node, in document order (preorder): every named node, and the anonymous ones that have a field or
// children (an anonymous leaf without a field is left out).
enum { REC_SYM_FLAGS, REC_START, REC_END, REC_ROW, REC_COL, REC_NEXT, REC_PARENT, REC_SIZE };
// REC_SYM_FLAGS: bits 0-15 symbol, 16-23 field id in the parent, 24 named, 25 has error (in the node or below)
#define FLAG_NAMED (1 << 24)
#define FLAG_HAS_ERROR (1 << 25)

typedef struct { TSParser *parser; } Instance;

static void finalize_instance(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  Instance *inst = data;
  if (inst->parser) ts_parser_delete(inst->parser);
  free(inst);
}

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

/** Copies a JS string argument into a new UTF-16 buffer; *len gets its length in code units. */
static char16_t *string_arg(napi_env env, napi_value v, size_t *len) {
  if (napi_get_value_string_utf16(env, v, NULL, 0, len) != napi_ok) return NULL;
  char16_t *buf = malloc((*len + 1) * sizeof(char16_t));
  if (!buf) return NULL;
  size_t copied = 0;
  if (napi_get_value_string_utf16(env, v, buf, *len + 1, &copied) != napi_ok) { free(buf); return NULL; }
  *len = copied;
  return buf;
}

/** Parses the string in the call's first argument; NULL (with a JS exception pending) on failure. */
static TSTree *parse_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) { throw_error(env, "parse: text expected"); return NULL; }
  Instance *inst = NULL;
  if (napi_get_instance_data(env, (void **)&inst) != napi_ok || !inst || !inst->parser) { throw_error(env, "parse: parser not initialised"); return NULL; }
  size_t len = 0;
  char16_t *text = string_arg(env, argv[0], &len);
  if (!text) { throw_error(env, "parse: text must be a string"); return NULL; }
  TSTree *tree = ts_parser_parse_string_encoding(inst->parser, NULL, (const char *)text, (uint32_t)(len * sizeof(char16_t)), TSInputEncodingUTF16LE);
  free(text);
  if (!tree) throw_error(env, "parse: tree-sitter returned no tree");
  return tree;
}

/** parse(text): parses and frees the tree (parse-only timing); returns the number of bytes parsed. */
static napi_value parse_only(napi_env env, napi_callback_info info) {
  TSTree *tree = parse_arg(env, info);
  if (!tree) return NULL;
  uint32_t end = ts_node_end_byte(ts_tree_root_node(tree));
  ts_tree_delete(tree);
  napi_value out;
  napi_create_uint32(env, end, &out);
  return out;
}

typedef struct { int32_t *data; size_t count, cap; } Records;

static int32_t *push_record(Records *r) {
  if (r->count == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 4096;
    int32_t *data = realloc(r->data, cap * REC_SIZE * sizeof(int32_t));
    if (!data) return NULL;
    r->data = data; r->cap = cap;
  }
  return r->data + REC_SIZE * r->count++;
}

/**
 * After a leaf: moves the cursor to the next node in preorder, ending the subtree (REC_NEXT) of every ancestor it
 * leaves. 0 when the walk is over.
 */
static int close_until_sibling(TSTreeCursor *cursor, Records *r, const int32_t *stack, size_t *depth) {
  for (;;) {
    if (ts_tree_cursor_goto_next_sibling(cursor)) return 1;
    if (!*depth || !ts_tree_cursor_goto_parent(cursor)) { *depth = 0; return 0; }
    r->data[REC_SIZE * stack[--*depth] + REC_NEXT] = (int32_t)r->count;
  }
}

/** parseFlat(text): the whole tree as an Int32Array of REC_SIZE-int records in preorder. */
static napi_value parse_flat(napi_env env, napi_callback_info info) {
  TSTree *tree = parse_arg(env, info);
  if (!tree) return NULL;
  Records r = { NULL, 0, 0 };
  TSTreeCursor cursor = ts_tree_cursor_new(ts_tree_root_node(tree));
  // stack of the records of the current node's ancestors
  size_t stack_cap = 64, depth = 0;
  int32_t *stack = malloc(stack_cap * sizeof(int32_t));
  int ok = stack != NULL;
  while (ok) {
    TSNode node = ts_tree_cursor_current_node(&cursor);
    // ts_node_child_by_field_id finds no field under an ERROR node (it has no field map), while the cursor still
    // reports fields of hidden nodes inside it: keep web-tree-sitter's view
    int in_error = depth && (r.data[REC_SIZE * stack[depth - 1] + REC_SYM_FLAGS] & 0xffff) == 0xffff;
    uint32_t field = in_error ? 0 : ts_tree_cursor_current_field_id(&cursor) & 0xff;
    int named = ts_node_is_named(node);
    // an anonymous token with no field (punctuation, keywords) is invisible to the node interface the summarizer
    // uses (named children, fields, descendants by named type): no record
    if (!named && !field && ts_node_child_count(node) == 0) {
      if (!close_until_sibling(&cursor, &r, stack, &depth)) break;
      continue;
    }
    int32_t *rec = push_record(&r);
    if (!rec) { ok = 0; break; }
    int32_t index = (int32_t)(r.count - 1);
    TSPoint p = ts_node_start_point(node);
    uint32_t flags = (ts_node_symbol(node) & 0xffff) | field << 16;
    if (named) flags |= FLAG_NAMED;
    if (ts_node_has_error(node)) flags |= FLAG_HAS_ERROR;
    rec[REC_SYM_FLAGS] = (int32_t)flags;
    rec[REC_START] = (int32_t)(ts_node_start_byte(node) / 2);
    rec[REC_END] = (int32_t)(ts_node_end_byte(node) / 2);
    rec[REC_ROW] = (int32_t)p.row;
    rec[REC_COL] = (int32_t)(p.column / 2);
    rec[REC_NEXT] = 0; // filled when the subtree ends
    rec[REC_PARENT] = depth ? stack[depth - 1] : -1;
    if (ts_tree_cursor_goto_first_child(&cursor)) {
      if (depth == stack_cap) {
        int32_t *s = realloc(stack, (stack_cap *= 2) * sizeof(int32_t));
        if (!s) { ok = 0; break; }
        stack = s;
      }
      stack[depth++] = index;
      continue;
    }
    // a leaf: its subtree ends here
    r.data[REC_SIZE * index + REC_NEXT] = (int32_t)r.count;
    if (!close_until_sibling(&cursor, &r, stack, &depth)) break;
  }
  ts_tree_cursor_delete(&cursor);
  ts_tree_delete(tree);
  free(stack);
  if (!ok) { free(r.data); return throw_error(env, "parseFlat: out of memory"); }
  napi_value buffer, array;
  void *dest = NULL;
  size_t bytes = r.count * REC_SIZE * sizeof(int32_t);
  if (napi_create_arraybuffer(env, bytes, &dest, &buffer) != napi_ok) { free(r.data); return throw_error(env, "parseFlat: cannot allocate the result"); }
  if (bytes) memcpy(dest, r.data, bytes);
  free(r.data);
  napi_create_typedarray(env, napi_int32_array, r.count * REC_SIZE, buffer, 0, &array);
  return array;
}

/** language(): { symbols: string[], fields: string[] } of the grammar (index = id). */
static napi_value language_info(napi_env env, napi_callback_info info) {
  (void)info;
  const TSLanguage *lang = tree_sitter_c();
  napi_value out, symbols, fields, s;
  napi_create_object(env, &out);
  uint32_t n = ts_language_symbol_count(lang);
  napi_create_array_with_length(env, n, &symbols);
  for (uint32_t i = 0; i < n; i++) {
    const char *name = ts_language_symbol_name(lang, (TSSymbol)i);
    napi_create_string_utf8(env, name ? name : "", NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, symbols, i, s);
  }
  uint32_t f = ts_language_field_count(lang);
  napi_create_array_with_length(env, f + 1, &fields);
  for (uint32_t i = 0; i <= f; i++) {
    const char *name = i ? ts_language_field_name_for_id(lang, (TSFieldId)i) : "";
    napi_create_string_utf8(env, name ? name : "", NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, fields, i, s);
  }
  napi_set_named_property(env, out, "symbols", symbols);
  napi_set_named_property(env, out, "fields", fields);
  return out;
}

/** trim(): gives the C heap's freed memory back to the system (glibc: every thread's arena); false elsewhere. */
static napi_value trim_heap(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
#ifdef __GLIBC__
  napi_get_boolean(env, malloc_trim(0) >= 0, &out);
#else
  napi_get_boolean(env, false, &out);
#endif
  return out;
}

static __thread int cache_hook_added;
static void release_thread_cache(void *arg) { (void)arg; parse_alloc_release_thread_cache(); cache_hook_added = 0; }

/** threadCache(bytes): this thread keeps up to `bytes` of freed parser memory for reuse (parse_alloc.c). */
static napi_value thread_cache(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  double bytes = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_double(env, argv[0], &bytes) != napi_ok || !(bytes >= 0)) {
    return throw_error(env, "threadCache: a byte count expected");
  }
  napi_value out;
  int ok = parse_alloc_thread_cache((size_t)bytes) != 0;
  // the cache goes when this environment goes (the thread is a worker that is ending)
  if (ok && !cache_hook_added) { napi_add_env_cleanup_hook(env, release_thread_cache, NULL); cache_hook_added = 1; }
  napi_get_boolean(env, ok, &out);
  return out;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  parse_alloc_install(); // before the first parser of the process, in whichever thread loads the module first
  Instance *inst = calloc(1, sizeof(Instance));
  if (!inst) return throw_error(env, "flat_tree: out of memory");
  inst->parser = ts_parser_new();
  if (!inst->parser || !ts_parser_set_language(inst->parser, tree_sitter_c())) {
    finalize_instance(env, inst, NULL);
    return throw_error(env, "flat_tree: the C grammar does not load in this tree-sitter runtime");
  }
  napi_set_instance_data(env, inst, finalize_instance, NULL);
  napi_property_descriptor props[] = {
    { "parse", NULL, parse_only, NULL, NULL, NULL, napi_default, NULL },
    { "parseFlat", NULL, parse_flat, NULL, NULL, NULL, napi_default, NULL },
    { "language", NULL, language_info, NULL, NULL, NULL, napi_default, NULL },
    { "trim", NULL, trim_heap, NULL, NULL, NULL, napi_default, NULL },
    { "threadCache", NULL, thread_cache, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
