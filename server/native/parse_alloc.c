// tree-sitter's allocator in the native parser: small blocks freed by a thread are kept in that thread's own free
// lists (up to a byte limit) and reused by its next allocations, so parser threads almost never take glibc's malloc
// lock. The language server runs with one malloc arena (MALLOC_ARENA_MAX=1, so freed memory goes back to the
// system); without this cache, two indexing workers parsing on that one arena ran at half speed (measured).
// A thread's cache is given back to malloc when its Node environment is torn down (a cleanup hook, not a thread
// exit destructor: Node unloads the module when a worker's environment goes, before the thread ends). Installed
// once per load of the module, before any parser exists (a block must be freed by the allocator that made it).
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>
#include "parse_alloc.h"

// Every block has a 16-byte header (keeps 16-byte alignment) holding its size class; class 0 = a large block.
#define HEADER 16
#define CLASS_BYTES 16
#define CLASS_COUNT 64 /* blocks up to 1 KiB are cached */

typedef struct Block { struct Block *next; } Block;
typedef struct { Block *free[CLASS_COUNT + 1]; size_t cached, limit; } ThreadCache;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static __thread ThreadCache *thread_cache;

void parse_alloc_release_thread_cache(void) {
  ThreadCache *c = thread_cache;
  if (!c) return;
  thread_cache = NULL; // later frees on this thread go straight to malloc
  for (size_t k = 1; k <= CLASS_COUNT; k++) {
    for (Block *b = c->free[k]; b;) { Block *next = b->next; free((char *)b - HEADER); b = next; }
  }
  free(c);
}

static void out_of_memory(size_t size) {
  fprintf(stderr, "gfp-lens native parser: failed to allocate %zu bytes\n", size);
  abort(); // what tree-sitter's own allocator does: it cannot continue without memory
}

static void *pa_malloc(size_t size) {
  size_t cls = (size + CLASS_BYTES - 1) / CLASS_BYTES;
  if (cls == 0) cls = 1;
  if (cls <= CLASS_COUNT) {
    ThreadCache *c = thread_cache;
    if (c && c->free[cls]) {
      Block *b = c->free[cls];
      c->free[cls] = b->next;
      c->cached -= cls * CLASS_BYTES;
      return b;
    }
    char *raw = malloc(HEADER + cls * CLASS_BYTES);
    if (!raw) out_of_memory(size);
    *(size_t *)raw = cls;
    return raw + HEADER;
  }
  if (size > SIZE_MAX - HEADER) out_of_memory(size);
  char *raw = malloc(HEADER + size);
  if (!raw) out_of_memory(size);
  *(size_t *)raw = 0;
  return raw + HEADER;
}

static void pa_free(void *p) {
  if (!p) return;
  char *raw = (char *)p - HEADER;
  size_t cls = *(size_t *)raw;
  ThreadCache *c = thread_cache;
  if (cls && c && c->cached + cls * CLASS_BYTES <= c->limit) {
    Block *b = p;
    b->next = c->free[cls];
    c->free[cls] = b;
    c->cached += cls * CLASS_BYTES;
    return;
  }
  free(raw);
}

static void *pa_calloc(size_t count, size_t size) {
  if (size && count > SIZE_MAX / size) out_of_memory(SIZE_MAX);
  void *p = pa_malloc(count * size);
  memset(p, 0, count * size);
  return p;
}

static void *pa_realloc(void *p, size_t size) {
  if (!p) return pa_malloc(size);
  char *raw = (char *)p - HEADER;
  size_t cls = *(size_t *)raw;
  if (cls) {
    if (size <= cls * CLASS_BYTES) return p;
    void *q = pa_malloc(size);
    memcpy(q, p, cls * CLASS_BYTES);
    pa_free(p);
    return q;
  }
  if (size > SIZE_MAX - HEADER) out_of_memory(size);
  char *grown = realloc(raw, HEADER + size); // stays a large block (class 0) even if it shrinks
  if (!grown) out_of_memory(size);
  return grown + HEADER;
}

static void install(void) { ts_set_allocator(pa_malloc, pa_calloc, pa_realloc, pa_free); }

void parse_alloc_install(void) { pthread_once(&once, install); }

int parse_alloc_thread_cache(size_t limit_bytes) {
  if (thread_cache) { thread_cache->limit = limit_bytes; return 1; }
  if (!limit_bytes) return 1;
  ThreadCache *c = calloc(1, sizeof(ThreadCache));
  if (!c) return 0;
  c->limit = limit_bytes;
  thread_cache = c;
  return 1;
}
