#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include "sse_scan.h" /* private: for SSE_SCAN_KERNEL_NAMES only */

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int t_failures;

void t_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s:%d: FAIL: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  t_failures++;
}

int t_done(const char *name) {
  if (t_failures) {
    fprintf(stderr, "%s: %d check(s) failed\n", name, t_failures);
    return 1;
  }
  printf("%s: all checks passed\n", name);
  return 0;
}

const char *const t_kernel_names[] = {SSE_SCAN_KERNEL_NAMES};
const size_t t_kernel_count = sizeof t_kernel_names / sizeof t_kernel_names[0];

int t_kernel_known(const char *name) {
  for (size_t i = 0; i < t_kernel_count; i++)
    if (strcmp(name, t_kernel_names[i]) == 0) return 1;
  return 0;
}

const char *t_kernel_list(char *buf, size_t size) {
  size_t at = 0;
  if (size) buf[0] = '\0';
  for (size_t i = 0; i < t_kernel_count && at < size; i++) {
    int n = snprintf(buf + at, size - at, "%s%s", i ? ", " : "", t_kernel_names[i]);
    if (n < 0) break;
    at += (size_t)n;
  }
  return buf;
}

int t_kernel_env(void) {
  const char *want = getenv("SSESPEC_SCAN");
  if (!want || !*want) return 0;
  sse_parser p;
  sse_parser_init(&p, NULL, NULL);
  const char *got = sse_parser_kernel(&p);
  int rc = 0;
  if (strcmp(got, want) == 0) {
    printf("SSESPEC_SCAN=%s: running the %s kernel\n", want, got);
  } else if (t_kernel_known(want)) {
    /* known: the parser fell back because the CPU cannot run it, which
     * sse_parser_set_kernel confirms */
    rc = sse_parser_set_kernel(&p, want) == SSE_EINVAL ? 77 : 1;
    fprintf(stderr, "SSESPEC_SCAN=%s but the parser runs %s%s\n", want, got,
            rc == 77 ? ": this CPU cannot run it; skipped" : "");
  } else {
    char names[128];
    fprintf(stderr, "SSESPEC_SCAN=%s names no kernel (%s)\n", want,
            t_kernel_list(names, sizeof names));
    rc = 1;
  }
  sse_parser_free(&p);
  return rc;
}

int t_streq(const char *a, const char *b) {
  return a && b && strcmp(a, b) == 0;
}

int t_contains(const char *hay, const char *needle) {
  return hay && needle && strstr(hay, needle) != NULL;
}

/* ---- str ---- */

static void str_grow(str *x, size_t more) {
  if (x->n + more + 1 <= x->cap) return;
  size_t cap = x->cap ? x->cap : 64;
  while (cap < x->n + more + 1) cap *= 2;
  char *p = realloc(x->s, cap);
  if (!p) {
    fprintf(stderr, "out of memory in the test\n");
    abort();
  }
  x->s = p;
  x->cap = cap;
}

void str_add(str *x, const char *s, size_t n) {
  str_grow(x, n);
  if (n) memcpy(x->s + x->n, s, n);
  x->n += n;
  x->s[x->n] = '\0';
}

void str_addf(str *x, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (k < 0) k = 0;
  if ((size_t)k >= sizeof tmp) k = sizeof tmp - 1;
  str_add(x, tmp, (size_t)k);
}

void str_esc(str *x, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '|') {
      str_add(x, (const char *)&c, 1);
    } else {
      str_addf(x, "\\x%02x", c);
    }
  }
}

const char *str_cstr(str *x) {
  if (!x->s) str_grow(x, 0);
  x->s[x->n] = '\0';
  return x->s;
}

void str_free(str *x) {
  free(x->s);
  x->s = NULL;
  x->n = x->cap = 0;
}

/* ---- records ---- */

static void log_event(str *x, const char *t, size_t tn, const char *d, size_t dn, const char *i,
                      size_t in) {
  str_add(x, "E|", 2);
  str_esc(x, t, tn);
  str_add(x, "|", 1);
  str_esc(x, d, dn);
  str_add(x, "|", 1);
  str_esc(x, i, in);
  str_add(x, "\n", 1);
}

static void log_retry(str *x, uint64_t ms) {
  str_addf(x, "R|%llu\n", (unsigned long long)ms);
}

static void log_comment(str *x, const char *t, size_t n) {
  str_add(x, "C|", 2);
  str_esc(x, t, n);
  str_add(x, "\n", 1);
}

static void log_end(str *x, const char *id, size_t n) {
  str_add(x, "Z|", 2);
  str_esc(x, id, n);
  str_add(x, "\n", 1);
}

char *expect_log(const rec *r, bytes end_id) {
  str x = {0};
  for (; r->kind; r++) {
    if (r->kind == 'E') log_event(&x, r->a.s, r->a.n, r->b.s, r->b.n, r->c.s, r->c.n);
    if (r->kind == 'R') log_retry(&x, r->ms);
    if (r->kind == 'C') log_comment(&x, r->a.s, r->a.n);
  }
  log_end(&x, end_id.s, end_id.n);
  str_cstr(&x);
  return x.s;
}

/* ---- recorder ---- */

void recorder_init(recorder *r) {
  memset(r, 0, sizeof *r);
}

static int rec_event(void *user, const sse_event *ev) {
  recorder *r = user;
  /* The pointers are readable for their whole length (ASan checks it). */
  log_event(&r->log, ev->type, ev->type_len, ev->data, ev->data_len, ev->last_event_id,
            ev->last_event_id_len);
  r->last_data = ev->data;
  r->last_data_len = ev->data_len;
  r->events++;
  return r->stop_kind == 'E' && r->events == r->stop_at;
}

static int rec_retry(void *user, uint64_t ms) {
  recorder *r = user;
  log_retry(&r->log, ms);
  r->retries++;
  return r->stop_kind == 'R' && r->retries == r->stop_at;
}

static int rec_comment(void *user, const char *text, size_t len) {
  recorder *r = user;
  log_comment(&r->log, text, len);
  r->comments++;
  return r->stop_kind == 'C' && r->comments == r->stop_at;
}

sse_callbacks recorder_callbacks(int comments, int retries) {
  sse_callbacks cb = {rec_event, retries ? rec_retry : NULL, comments ? rec_comment : NULL};
  return cb;
}

/* ---- runs ---- */

char *run_cuts(const char *in, size_t n, const size_t *cuts, size_t ncuts, const run_opts *o) {
  static const run_opts none = {0};
  if (!o) o = &none;
  recorder r;
  recorder_init(&r);
  r.stop_kind = o->stop_kind;
  r.stop_at = o->stop_at;
  sse_callbacks cb = recorder_callbacks(!o->no_comment, !o->no_retry);
  sse_parser p;
  sse_parser_init(&p, &cb, &r);
  sse_parser_set_limit(&p, o->limit);
  int first_rc = 0;
  size_t at = 0;
  for (size_t k = 0; k <= ncuts; k++) {
    size_t to = k < ncuts ? cuts[k] : n;
    size_t len = to - at;
    const char *chunk = in + at;
    guard_map g = {0};
    if (o->guard) chunk = guard_copy(&g, in + at, len, o->guard == 2);
    int rc = sse_parser_feed(&p, chunk, len);
    if (o->guard) guard_release(&g);
    if (first_rc == 0 && rc != 0) {
      first_rc = rc;
      str_addf(&r.log, "F|%d|", rc);
      if (o->with_status) str_add(&r.log, sse_parser_error(&p), strlen(sse_parser_error(&p)));
      str_add(&r.log, "\n", 1);
    } else if (first_rc != 0 && rc != first_rc) {
      str_addf(&r.log, "F|feed after a failure returned %d, not %d\n", rc, first_rc);
    }
    at = to;
  }
  int frc = sse_parser_finish(&p);
  if (frc != first_rc) str_addf(&r.log, "G|finish returned %d\n", frc);
  size_t idn;
  const char *id = sse_parser_last_event_id(&p, &idn);
  log_end(&r.log, id, idn);
  if (o->with_status) str_addf(&r.log, "P|%zu\n", sse_parser_peak_buffered(&p));
  sse_parser_free(&p);
  str_cstr(&r.log);
  return r.log.s;
}

static int compare(const char *name, const char *what, const char *got, const char *expected,
                   int *reported) {
  if (strcmp(got, expected) == 0) return 0;
  if (!*reported) {
    t_fail(__FILE__, __LINE__, "%s (%s):\n--- got:\n%s--- expected:\n%s", name, what, got,
           expected);
    *reported = 1;
  }
  return 1;
}

int check_splits(const char *name, const char *in, size_t n, const char *expected,
                 const run_opts *o, size_t pairs) {
  int bad = 0, reported = 0;
  char what[128];
  char *whole = run_cuts(in, n, NULL, 0, o);
  if (!expected) expected = whole;
  bad += compare(name, "whole", whole, expected, &reported);

  size_t *cuts = malloc((n ? n : 1) * sizeof *cuts);
  for (size_t i = 1; i < n; i++) cuts[i - 1] = i;
  char *got = run_cuts(in, n, cuts, n ? n - 1 : 0, o);
  bad += compare(name, "byte by byte", got, expected, &reported);
  free(got);

  /* every single cut, including empty first and last chunks */
  for (size_t i = 0; i <= n; i++) {
    cuts[0] = i;
    got = run_cuts(in, n, cuts, 1, o);
    snprintf(what, sizeof what, "cut at %zu", i);
    bad += compare(name, what, got, expected, &reported);
    free(got);
  }
  if (pairs && n <= pairs) {
    for (size_t i = 1; i < n; i++) {
      for (size_t j = i + 1; j < n; j++) {
        cuts[0] = i;
        cuts[1] = j;
        got = run_cuts(in, n, cuts, 2, o);
        snprintf(what, sizeof what, "cut at %zu and %zu", i, j);
        bad += compare(name, what, got, expected, &reported);
        free(got);
      }
    }
  }
  free(cuts);
  free(whole);
  return bad;
}

/* ---- guard pages ---- */

void *guard_copy(guard_map *m, const void *src, size_t n, int front) {
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  size_t data_pages = (n + ps - 1) / ps;
  if (data_pages == 0) data_pages = 1;
  m->len = (data_pages + 1) * ps;
#ifdef MAP_ANONYMOUS
  m->map = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#else
  /* POSIX.1-2008 has no MAP_ANONYMOUS: a private map of /dev/zero */
  int fd = open("/dev/zero", O_RDWR);
  if (fd < 0) {
    perror("/dev/zero");
    abort();
  }
  m->map = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  close(fd);
#endif
  if (m->map == MAP_FAILED) {
    perror("mmap");
    abort();
  }
  unsigned char *base = m->map;
  unsigned char *dst;
  if (front) {
    if (mprotect(base, ps, PROT_NONE) != 0) abort();
    dst = base + ps;
  } else {
    if (mprotect(base + data_pages * ps, ps, PROT_NONE) != 0) abort();
    dst = base + data_pages * ps - n;
  }
  if (n) memcpy(dst, src, n);
  return dst;
}

void guard_release(guard_map *m) {
  if (m->map) munmap(m->map, m->len);
  m->map = NULL;
}

/* ---- counting allocator ---- */

typedef union header {
  size_t size;
  max_align_t align;
} header;

void *counting_realloc(void *ctx, void *ptr, size_t size) {
  alloc_stats *st = ctx;
  header *h = ptr ? (header *)ptr - 1 : NULL;
  if (size == 0) {
    if (h) {
      st->live--;
      st->bytes -= h->size;
      free(h);
    }
    return NULL;
  }
  st->calls++;
  if (st->fail_all || st->calls == st->fail_at) return NULL;
  size_t old = h ? h->size : 0;
  header *nh = realloc(h, sizeof(header) + size);
  if (!nh) return NULL;
  if (!h) st->live++;
  st->bytes = st->bytes - old + size;
  if (st->bytes > st->most) st->most = st->bytes;
  nh->size = size;
  return nh + 1;
}
