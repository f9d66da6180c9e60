/*
 * test_memory.c - the parser's own memory is bounded by its limit whatever
 * the input. For limits from 64 bytes to 64 KiB, streams built to grow
 * every buffer (a line longer than the limit, with and without its end;
 * many data lines; a comment of invalid UTF-8, which decodes to three times
 * its size; long event types, ids and last event IDs in turn; random
 * mixtures), fed whole, in random chunks and byte by byte, the allocator
 * (test_util.c: counting_realloc) never holds more than
 *     8 * limit + 512 bytes
 * (line, data, event type, id and last event ID buffers up to limit + 6
 * each, at least 64; the comment scratch up to 3 * limit: see
 * docs/performance.md), the peak of buffered bytes never exceeds the limit,
 * and sse_parser_free gives everything back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static uint64_t rng_state = 0x13198A2E03707344u;

static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static void add_fill(str *x, size_t n, int invalid) {
  for (size_t i = 0; i < n; i++) {
    char c = invalid ? (char)0xFF : (char)('a' + i % 26);
    str_add(x, &c, 1);
  }
}

static void add_line(str *x, const char *name, size_t n, int invalid, const char *eol) {
  str_add(x, name, strlen(name));
  add_fill(x, n, invalid);
  str_add(x, eol, strlen(eol));
}

/* Stream k for limit L. */
static void make(str *x, int k, size_t L) {
  switch (k) {
  case 0: /* a line longer than the limit, never ended */
    add_line(x, "data: ", 4 * L, 0, "");
    break;
  case 1: /* ... and ended */
    add_line(x, "data: ", 4 * L, 0, "\n\n");
    break;
  case 2: /* many data lines */
    for (size_t i = 0; i < 2 * L / 8 + 2; i++) add_line(x, "data: ", 7, 0, "\r\n");
    str_add(x, "\n", 1);
    break;
  case 3: /* a comment of invalid UTF-8: 3 bytes of U+FFFD each */
    add_line(x, ":", L - 2, 1, "\n");
    add_line(x, ":", 4 * L, 1, "\n");
    break;
  case 4: /* each buffer near the limit in turn */
    add_line(x, "event: ", L - 8, 0, "\n\n");
    add_line(x, "id: ", L / 2 - 5, 0, "\n\n");
    add_line(x, "id: ", L / 2 - 5, 1, "\n\n");
    add_line(x, "data: ", L - 7, 0, "\n\n");
    add_line(x, "data: ", L / 3 - 7, 1, "\r\r");
    add_line(x, "event: ", L / 3 - 8, 1, "\r\n\r\n");
    break;
  default: /* random mixtures */
    for (int i = 0; i < 40; i++) {
      static const char *const names[] = {
          "data: ", "data:", "event: ", "id: ", ":", "retry: ", "other: ", ""};
      static const char *const eols[] = {"\n", "\r", "\r\n", "\n\n"};
      add_line(x, names[rng() % 8], (size_t)(rng() % (L + L / 2 + 1)), (int)(rng() % 4 == 0),
               eols[rng() % 4]);
    }
    break;
  }
}

static void run(const str *in, size_t L, int how, const char *what) {
  alloc_stats st = {0};
  sse_callbacks cb = recorder_callbacks(1, 1);
  recorder r;
  recorder_init(&r);
  sse_parser p;
  sse_parser_init(&p, &cb, &r);
  sse_parser_set_allocator(&p, counting_realloc, &st);
  sse_parser_set_limit(&p, L);
  size_t at = 0;
  while (at < in->n) {
    size_t n = how == 0 ? in->n : how == 1 ? 1 : 1 + (size_t)(rng() % (2 * L));
    if (n > in->n - at) n = in->n - at;
    if (sse_parser_feed(&p, in->s + at, n) != SSE_OK) break;
    at += n;
  }
  sse_parser_finish(&p);
  size_t bound = 8 * L + 512;
  if (st.most > bound)
    t_fail(__FILE__, __LINE__, "%s, limit %zu, split %d: the parser held %zu bytes, over %zu", what,
           L, how, st.most, bound);
  if (sse_parser_peak_buffered(&p) > L)
    t_fail(__FILE__, __LINE__, "%s, limit %zu: peak %zu over the limit", what, L,
           sse_parser_peak_buffered(&p));
  sse_parser_free(&p);
  CHECK_INT(st.live, 0);
  CHECK_INT(st.bytes, 0);
  str_free(&r.log);
}

int main(void) {
  int k = t_kernel_env();
  if (k) return k;
  static const size_t limits[] = {64, 100, 1000, 4096, 65536};
  for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
    size_t L = limits[l];
    for (int kind = 0; kind < 12; kind++) {
      str in = {0};
      make(&in, kind, L);
      char what[32];
      snprintf(what, sizeof what, "stream %d", kind);
      for (int how = 0; how < 3; how++) {
        if (how == 1 && in.n > 300000) continue;
        run(&in, L, how, what);
      }
      str_free(&in);
    }
  }
  return t_done("test_memory");
}
