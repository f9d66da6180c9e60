/*
 * test_util.h - a tiny test kit for the parser tests: checks, a record log,
 * split runners and guard-page copies. No framework.
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "sse.h"

/* ---- checks ---- */

extern int t_failures;
void t_fail(const char *file, int line, const char *fmt, ...);
/* Print a summary; the exit status for main. */
int t_done(const char *name);

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                   \
  } while (0)

#define CHECK_INT(actual, expected)                                                                \
  do {                                                                                             \
    long long a_ = (long long)(actual), e_ = (long long)(expected);                                \
    if (a_ != e_) t_fail(__FILE__, __LINE__, "%s is %lld, expected %lld", #actual, a_, e_);        \
  } while (0)

#define CHECK_STR(actual, expected)                                                                \
  do {                                                                                             \
    const char *a_ = (actual), *e_ = (expected);                                                   \
    if (!t_streq(a_, e_))                                                                          \
      t_fail(__FILE__, __LINE__, "%s:\n--- got:\n%s\n--- expected:\n%s", #actual, a_, e_);         \
  } while (0)

/* The parser's scan kernels by name, whether or not this CPU runs them, in
 * the order of the parser's one list (SSE_SCAN_KERNEL_NAMES in its private
 * header parser/sse_scan.h: slowest first), and their number. */
extern const char *const t_kernel_names[];
extern const size_t t_kernel_count;
/* Whether name is one of them. */
int t_kernel_known(const char *name);
/* Their names joined with ", " ("scalar, sse2, avx2") into buf (size
 * bytes, NUL-terminated). Returns buf. */
const char *t_kernel_list(char *buf, size_t size);

/* With SSESPEC_SCAN set, check that sse_parser_init runs the kernel it
 * names, and say so. Returns 0 to go on, 77 (skipped) if this CPU cannot
 * run that kernel, 1 if it names no kernel or was not honoured. Call it
 * first in main: `int k = t_kernel_env(); if (k) return k;`. */
int t_kernel_env(void);

int t_streq(const char *a, const char *b);
/* Whether hay contains needle. */
int t_contains(const char *hay, const char *needle);

/* ---- byte strings ---- */

typedef struct bytes {
  const char *s;
  size_t n;
} bytes;

/* A byte string from a literal; it may hold NUL. */
#define B(lit)                                                                                     \
  { (lit), sizeof(lit) - 1 }

typedef struct str {
  char *s;
  size_t n, cap;
} str;

void str_add(str *x, const char *s, size_t n);
void str_addf(str *x, const char *fmt, ...);
/* Append s escaped: printable ASCII but '\\' and '|' as is, others \xHH. */
void str_esc(str *x, const char *s, size_t n);
/* The string so far, NUL-terminated (never NULL). */
const char *str_cstr(str *x);
void str_free(str *x);

/* ---- expected records ---- */

/* One expected record: an event (type, data, id), a retry, a comment. */
typedef struct rec {
  char kind; /* 'E', 'R', 'C'; 0 ends a list */
  bytes a, b, c;
  uint64_t ms;
} rec;

#define EV(t, d, i)                                                                                \
  { 'E', B(t), B(d), B(i), 0 }
#define MSG(d) EV("message", d, "")
#define MSGID(d, i) EV("message", d, i)
#define RETRY(n)                                                                                   \
  { 'R', {0, 0}, {0, 0}, {0, 0}, (n) }
#define COMMENT(t)                                                                                 \
  { 'C', B(t), {0, 0}, {0, 0}, 0 }

/* The log the records (up to kind 0) and a final last event ID make. The
 * caller frees it. */
char *expect_log(const rec *r, bytes end_id);

/* ---- the recorder: callbacks that log what the parser reports ---- */

typedef struct recorder {
  str log;
  int events, retries, comments;
  char stop_kind;        /* 'E', 'R' or 'C': that callback returns 1 ... */
  int stop_at;           /* ... on its stop_at-th call (1-based) */
  const char *last_data; /* the data pointer of the last event */
  size_t last_data_len;
} recorder;

void recorder_init(recorder *r);
/* Callbacks that log into a recorder (pass it as user). Without comments
 * or retries when asked. */
sse_callbacks recorder_callbacks(int comments, int retries);

/* ---- running an input in chunks ---- */

typedef struct run_opts {
  size_t limit;    /* 0: the default */
  int guard;       /* 0: feed in place; 1: each chunk just before a PROT_NONE
                      page; 2: each chunk just after one */
  int no_comment;  /* no on_comment callback */
  int no_retry;    /* no on_retry callback */
  int with_status; /* log the peak and error messages too */
  char stop_kind;  /* stop (return 1) at the stop_at-th callback of this */
  int stop_at;     /* kind: 'E', 'R' or 'C' */
} run_opts;

/* Feed in[0..n) cut at the offsets cuts[0..ncuts) (ascending; chunks may be
 * empty), then finish. Returns the log (caller frees): the records, then
 * "F|rc|message" for a failed feed, "G|rc" for a failed finish, "Z|id" with
 * the last event ID, and with with_status "P|peak". */
char *run_cuts(const char *in, size_t n, const size_t *cuts, size_t ncuts, const run_opts *o);

/* Run in[0..n) whole, byte by byte, cut at every single offset and (when
 * pairs and n <= pairs) at every pair of offsets, and compare each log with
 * expected (NULL: with the log of the whole run). Reports the first
 * mismatch under name; returns the number of mismatching runs. */
int check_splits(const char *name, const char *in, size_t n, const char *expected,
                 const run_opts *o, size_t pairs);

/* ---- guard pages ---- */

typedef struct guard_map {
  void *map;
  size_t len;
} guard_map;

/* A copy of src[0..n) whose last byte sits right before a PROT_NONE page
 * (front == 0) or whose first byte sits right after one (front != 0). */
void *guard_copy(guard_map *m, const void *src, size_t n, int front);
void guard_release(guard_map *m);

/* ---- a counting allocator ---- */

typedef struct alloc_stats {
  long calls;   /* calls that allocate or grow */
  long fail_at; /* fail the call with this number (1-based); 0: never */
  int fail_all; /* fail every call that allocates */
  long live;    /* blocks currently held */
  size_t bytes; /* bytes currently held */
  size_t most;  /* the most bytes held at once */
} alloc_stats;

/* An sse_realloc_fn; ctx is an alloc_stats. */
void *counting_realloc(void *ctx, void *ptr, size_t size);

#endif
