// tree-sitter's allocator in the native parser (parse_alloc.c): per-thread caches of small blocks.
#ifndef GFP_LENS_PARSE_ALLOC_H
#define GFP_LENS_PARSE_ALLOC_H
#include <stddef.h>

/** Makes tree-sitter allocate through parse_alloc.c; once per process, before any parser is created. */
void parse_alloc_install(void);

/** Gives the calling thread a cache of up to `limit_bytes` of freed small blocks (0: none). 0 on failure. */
int parse_alloc_thread_cache(size_t limit_bytes);

/** Frees the calling thread's cache (its later frees go to malloc directly). */
void parse_alloc_release_thread_cache(void);

#endif
