/* fuzz_common.c - see fuzz_common.h. */
#include "fuzz_common.h"

#include "sse_scan.h" /* private: for SSE_SCAN_KERNEL_NAMES only */

#include <stdlib.h>
#include <string.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FZ_ASAN 1
#endif
#ifdef FZ_ASAN
#include <sanitizer/asan_interface.h>
#define FZ_POISON(p, n) __asan_poison_memory_region((p), (n))
#define FZ_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define FZ_POISON(p, n) ((void)(p), (void)(n))
#define FZ_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* ---------------------------------------------------------------- input */

FZ_NOCOV void fz_input_parse(fz_input *in, const uint8_t *data, size_t size) {
  uint8_t h[FZ_HEADER] = {0};
  size_t hn = size < FZ_HEADER ? size : FZ_HEADER;
  if (hn) memcpy(h, data, hn);
  in->flags = h[0];
  in->limit_param = (uint16_t)(h[1] | (h[2] << 8));
  in->k = h[3];
  in->kernel = (h[4] >> 4) & 3;
  in->rotate = (h[4] >> 6) & 1;
  size_t n = h[4] & 15;
  size_t rest = size - hn;
  if (n > rest) n = rest;
  in->lens = data + hn;
  in->nlens = n;
  in->stream = data + hn + n;
  in->len = rest - n;
}

FZ_NOCOV size_t fz_limit(uint8_t mode, uint16_t param) {
  switch (mode & 3) {
  case 1:
    return 64 + param % 4033;
  case 2:
    return 1 + param % 64;
  case 3:
    return param;
  default:
    return 0;
  }
}

/* ---------------------------------------------------------------- chunks */

FZ_NOCOV void fz_chunks_init(fz_chunks *c, const uint8_t *lens, size_t nlens, size_t len,
                             size_t max_feeds) {
  c->lens = lens;
  c->nlens = nlens;
  c->max_feeds = max_feeds;
  c->feeds = 0;
  c->i = 0;
  c->pos = 0;
  c->len = len;
  c->zeros = 0;
  c->done = 0;
}

FZ_NOCOV int fz_chunks_next(fz_chunks *c, size_t *off, size_t *n) {
  if (c->done) return 0;
  size_t left = c->len - c->pos;
  size_t take;
  c->feeds++;
  if (c->nlens == 0 || c->zeros >= c->nlens || c->feeds == c->max_feeds) {
    take = left; /* the whole rest (possibly an empty stream: one empty feed) */
  } else {
    take = c->lens[c->i];
    if (++c->i == c->nlens) c->i = 0;
    c->zeros = take ? 0 : c->zeros + 1;
    if (take > left) take = left;
  }
  *off = c->pos;
  *n = take;
  c->pos += take;
  if (c->pos == c->len && (take > 0 || left == 0)) c->done = 1;
  return 1;
}

/* ---------------------------------------------------------------- records */

FZ_NOCOV static void rec_reserve(fz_rec *r, size_t extra) {
  if (r->len + extra <= r->cap) return;
  size_t cap = r->cap ? r->cap : 4096;
  while (cap < r->len + extra) cap *= 2;
  unsigned char *p = realloc(r->p, cap);
  if (!p) abort();
  r->p = p;
  r->cap = cap;
}

FZ_NOCOV static void rec_u64(fz_rec *r, uint64_t v) {
  rec_reserve(r, 8);
  memcpy(r->p + r->len, &v, 8);
  r->len += 8;
}

FZ_NOCOV static void rec_bytes(fz_rec *r, const void *s, size_t n) {
  rec_u64(r, n);
  rec_reserve(r, n);
  if (n) memcpy(r->p + r->len, s, n);
  r->len += n;
}

FZ_NOCOV static void rec_kind(fz_rec *r, int kind) {
  rec_reserve(r, 1);
  r->p[r->len++] = (unsigned char)kind;
}

FZ_NOCOV void fz_rec_clear(fz_rec *r) {
  r->len = 0;
}

FZ_NOCOV void fz_rec_event(fz_rec *r, const char *type, size_t tl, const char *data, size_t dl,
                           const char *id, size_t il) {
  rec_kind(r, FZ_EVENT);
  rec_bytes(r, type, tl);
  rec_bytes(r, data, dl);
  rec_bytes(r, id, il);
}

FZ_NOCOV void fz_rec_retry(fz_rec *r, uint64_t ms) {
  rec_kind(r, FZ_RETRY);
  rec_u64(r, ms);
}

FZ_NOCOV void fz_rec_comment(fz_rec *r, const char *text, size_t len) {
  rec_kind(r, FZ_COMMENT);
  rec_bytes(r, text, len);
}

FZ_NOCOV void fz_rec_status(fz_rec *r, int code) {
  rec_kind(r, FZ_STATUS);
  rec_u64(r, (uint64_t)(int64_t)code);
}

FZ_NOCOV void fz_rec_end(fz_rec *r, int code, const char *id, size_t il) {
  rec_kind(r, FZ_END);
  rec_u64(r, (uint64_t)(int64_t)code);
  rec_bytes(r, id, il);
}

FZ_NOCOV void fz_rec_peak(fz_rec *r, size_t peak) {
  rec_kind(r, FZ_PEAK);
  rec_u64(r, peak);
}

FZ_NOCOV void fz_rec_message(fz_rec *r, const char *msg) {
  rec_kind(r, FZ_MESSAGE);
  rec_bytes(r, msg, strlen(msg));
}

FZ_NOCOV int fz_rec_equal(const fz_rec *a, const fz_rec *b) {
  return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* A cursor over serialized records. */
typedef struct rec_cur {
  const unsigned char *p, *end;
} rec_cur;

FZ_NOCOV static uint64_t cur_u64(rec_cur *c) {
  uint64_t v;
  memcpy(&v, c->p, 8);
  c->p += 8;
  return v;
}

FZ_NOCOV static const unsigned char *cur_bytes(rec_cur *c, size_t *n) {
  *n = (size_t)cur_u64(c);
  const unsigned char *s = c->p;
  c->p += *n;
  return s;
}

FZ_NOCOV size_t fz_rec_count(const fz_rec *r) {
  rec_cur c = {r->p, r->p + r->len};
  size_t count = 0, n;
  while (c.p < c.end) {
    int kind = *c.p++;
    count++;
    switch (kind) {
    case FZ_EVENT:
      cur_bytes(&c, &n), cur_bytes(&c, &n), cur_bytes(&c, &n);
      break;
    case FZ_COMMENT:
    case FZ_MESSAGE:
      cur_bytes(&c, &n);
      break;
    case FZ_END:
      cur_u64(&c), cur_bytes(&c, &n);
      break;
    default:
      cur_u64(&c);
      break;
    }
  }
  return count;
}

FZ_NOCOV void fz_print_bytes(FILE *f, const void *p, size_t n) {
  const unsigned char *s = p;
  fputc('"', f);
  for (size_t i = 0; i < n; i++) {
    unsigned char b = s[i];
    switch (b) {
    case '\n':
      fputs("\\n", f);
      break;
    case '\r':
      fputs("\\r", f);
      break;
    case '\t':
      fputs("\\t", f);
      break;
    case '"':
      fputs("\\\"", f);
      break;
    case '\\':
      fputs("\\\\", f);
      break;
    default:
      if (b < 0x20 || b >= 0x7F)
        fprintf(f, "\\x%02X", b);
      else
        fputc(b, f);
    }
  }
  fputc('"', f);
}

FZ_NOCOV void fz_print_long(FILE *f, const void *p, size_t n) {
  const unsigned char *s = p;
  if (n <= 1024) {
    fz_print_bytes(f, s, n);
    return;
  }
  fz_print_bytes(f, s, 512);
  fprintf(f, " ...[%zu bytes]... ", n - 768);
  fz_print_bytes(f, s + n - 256, 256);
}

FZ_NOCOV void fz_rec_print(FILE *f, const fz_rec *r) {
  rec_cur c = {r->p, r->p + r->len};
  size_t n, m, k;
  const unsigned char *a, *b, *d;
  while (c.p < c.end) {
    int kind = *c.p++;
    fputs("  ", f);
    switch (kind) {
    case FZ_EVENT:
      a = cur_bytes(&c, &n);
      b = cur_bytes(&c, &m);
      d = cur_bytes(&c, &k);
      fputs("event type=", f);
      fz_print_bytes(f, a, n);
      fputs(" data=", f);
      fz_print_bytes(f, b, m);
      fputs(" id=", f);
      fz_print_bytes(f, d, k);
      break;
    case FZ_RETRY:
      fprintf(f, "retry %llu", (unsigned long long)cur_u64(&c));
      break;
    case FZ_COMMENT:
      a = cur_bytes(&c, &n);
      fputs("comment ", f);
      fz_print_bytes(f, a, n);
      break;
    case FZ_STATUS: {
      int code = (int)(int64_t)cur_u64(&c);
      fprintf(f, "status %d (%s)", code, sse_strerror(code));
      break;
    }
    case FZ_END: {
      int code = (int)(int64_t)cur_u64(&c);
      a = cur_bytes(&c, &n);
      fprintf(f, "end code=%d id=", code);
      fz_print_bytes(f, a, n);
      break;
    }
    case FZ_PEAK:
      fprintf(f, "peak %llu", (unsigned long long)cur_u64(&c));
      break;
    case FZ_MESSAGE:
      a = cur_bytes(&c, &n);
      fputs("message ", f);
      fz_print_bytes(f, a, n);
      break;
    default:
      fprintf(f, "? kind %d", kind);
      c.p = c.end;
      break;
    }
    fputc('\n', f);
  }
}

FZ_NOCOV static void print_input(const uint8_t *data, size_t size) {
  fz_input in;
  fz_input_parse(&in, data, size);
  fprintf(stderr,
          "input (%zu bytes): flags=0x%02X limit_param=%u k=%u kernel=%u rotate=%u chunk "
          "lengths=[",
          size, in.flags, in.limit_param, in.k, in.kernel, in.rotate);
  for (size_t i = 0; i < in.nlens; i++) fprintf(stderr, "%s%u", i ? "," : "", in.lens[i]);
  fputs("]\nstream: ", stderr);
  fz_print_bytes(stderr, in.stream, in.len);
  fputc('\n', stderr);
}

FZ_NOCOV void fz_mismatch(const char *what, const uint8_t *data, size_t size, const char *name_a,
                          const fz_rec *a, const char *name_b, const fz_rec *b) {
  fprintf(stderr, "\n==== finding: %s\n", what);
  print_input(data, size);
  fprintf(stderr, "---- %s:\n", name_a);
  fz_rec_print(stderr, a);
  fprintf(stderr, "---- %s:\n", name_b);
  fz_rec_print(stderr, b);
  fflush(stderr);
  abort();
}

FZ_NOCOV void fz_finding(const char *what, const uint8_t *data, size_t size) {
  fprintf(stderr, "\n==== finding: %s\n", what);
  print_input(data, size);
  fflush(stderr);
  abort();
}

/* ---------------------------------------------------------------- UTF-8 */

FZ_NOCOV int fz_utf8_valid(const void *sv, size_t n) {
  return !(fz_text_scan(sv, n) & FZ_BAD_UTF8);
}

FZ_NOCOV unsigned fz_text_scan(const void *sv, size_t n) {
  const unsigned char *s = sv;
  unsigned has = 0;
  size_t i = 0;
  while (i < n) {
    unsigned char b = s[i];
    if (b < 0x80) {
      if (b == '\r') has |= FZ_HAS_CR;
      if (b == '\n') has |= FZ_HAS_LF;
      if (b == '\0') has |= FZ_HAS_NUL;
      i++;
      continue;
    }
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      need = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      need = 2;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      need = 3;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      return has | FZ_BAD_UTF8;
    }
    if (n - i <= need) return has | FZ_BAD_UTF8;
    if (s[i + 1] < lo || s[i + 1] > hi) return has | FZ_BAD_UTF8;
    for (size_t j = 2; j <= need; j++) {
      if ((s[i + j] & 0xC0) != 0x80) return has | FZ_BAD_UTF8;
    }
    i += need + 1;
  }
  return has;
}

/* ---------------------------------------------------------------- arena */

FZ_NOCOV const unsigned char *fz_arena_put(fz_arena *a, const void *chunk, size_t n) {
  if (n > a->cap || !a->p) {
    size_t cap = a->cap ? a->cap : 4096;
    while (cap < n) cap *= 2;
    if (a->p) FZ_UNPOISON(a->p, a->cap);
    free(a->p);
    a->p = malloc(cap);
    if (!a->p) abort();
    a->cap = cap;
    FZ_POISON(a->p, a->cap);
  }
  unsigned char *at = a->p + (a->cap - n);
  FZ_UNPOISON(at, n);
  if (n) memcpy(at, chunk, n);
  a->cur = at;
  a->cur_len = n;
  return at;
}

FZ_NOCOV void fz_arena_release(fz_arena *a) {
  if (!a->cur) return;
#ifdef FZ_ASAN
  /* A parser still reading the chunk is reported by ASan. */
  FZ_POISON((void *)a->cur, a->cur_len);
#else
  /* Overwrite, so that a parser still reading the chunk reads other bytes
   * (caught by the records' comparison). */
  if (a->cur_len) memset((void *)a->cur, 0xA5, a->cur_len);
#endif
  a->cur = NULL;
  a->cur_len = 0;
}

/* ---------------------------------------------------------------- kernels */

/* The parser's one list of kernel names, in the order the input format's
 * kernel bits number them (1 the first). */
static const char *const k_kernel_names[] = {SSE_SCAN_KERNEL_NAMES};

FZ_NOCOV size_t fz_kernels(const char *const **names) {
  static const char *avail[SSE_SCAN_KERNEL_COUNT];
  static size_t n = 0;
  if (n == 0) {
    sse_parser p;
    sse_parser_init(&p, NULL, NULL); /* allocates nothing */
    for (size_t i = 0; i < SSE_SCAN_KERNEL_COUNT; i++) {
      if (sse_parser_set_kernel(&p, k_kernel_names[i]) == SSE_OK) avail[n++] = k_kernel_names[i];
    }
    sse_parser_free(&p);
    if (n == 0) abort(); /* "scalar" runs everywhere */
  }
  if (names) *names = avail;
  return n;
}

FZ_NOCOV void fz_use_kernel(sse_parser *p, unsigned k) {
  if (k == 0 || k > SSE_SCAN_KERNEL_COUNT) return;
  const char *const *avail;
  size_t n = fz_kernels(&avail);
  const char *want = k_kernel_names[k - 1];
  for (size_t i = 0; i < n; i++) {
    if (strcmp(avail[i], want) == 0) {
      if (sse_parser_set_kernel(p, want) != SSE_OK) abort();
      return;
    }
  }
  if (sse_parser_set_kernel(p, "scalar") != SSE_OK) abort();
}

FZ_NOCOV void fz_rotate_kernel(sse_parser *p, size_t i) {
  const char *const *avail;
  size_t n = fz_kernels(&avail);
  if (sse_parser_set_kernel(p, avail[i % n]) != SSE_OK) abort();
}

/* ---------------------------------------------------------------- reference */

FZ_NOCOV static int rec_on_event(void *user, const sse_event *ev) {
  fz_rec_event(user, ev->type, ev->type_len, ev->data, ev->data_len, ev->last_event_id,
               ev->last_event_id_len);
  return 0;
}

FZ_NOCOV static int rec_on_retry(void *user, uint64_t ms) {
  fz_rec_retry(user, ms);
  return 0;
}

FZ_NOCOV static int rec_on_comment(void *user, const char *text, size_t len) {
  fz_rec_comment(user, text, len);
  return 0;
}

const sse_callbacks fz_record_callbacks = {rec_on_event, rec_on_retry, rec_on_comment};

FZ_NOCOV int fz_run_stream(sse_parser *p, fz_arena *a, const uint8_t *s, size_t len,
                           const uint8_t *lens, size_t nlens, int rotate, fz_rec *r) {
  fz_chunks ch;
  fz_chunks_init(&ch, lens, nlens, len, 0);
  size_t off, n;
  int first = SSE_OK;
  size_t feeds = 0;
  while (first == SSE_OK && fz_chunks_next(&ch, &off, &n)) {
    if (rotate) fz_rotate_kernel(p, feeds++);
    const unsigned char *at = fz_arena_put(a, s + off, n);
    first = sse_parser_feed(p, at, n);
    fz_arena_release(a);
  }
  if (first != SSE_OK) fz_rec_status(r, first);
  int fin = sse_parser_finish(p);
  size_t il;
  const char *id = sse_parser_last_event_id(p, &il);
  fz_rec_end(r, fin, id, il);
  return first != SSE_OK ? first : fin;
}
