/*
 * ssespec_bench.c - ssespec-bench: throughput and memory of the reference
 * parser, and the memchr floor, over the workloads of workloads.c. The
 * harness (harness/commands/bench.py, `./ssespec bench`) runs it and adds the node
 * peer; it can also be run by hand:
 *
 *   ssespec-bench info
 *   ssespec-bench list
 *   ssespec-bench run [--workload W,..] [--split S,..] [--impl reference,memchr]
 *                     [--kernel K,..|all] [--reps N] [--ms MS] [--size BYTES]
 *   ssespec-bench gen WORKLOAD OUT [--size BYTES] [--random-out FILE]
 *   ssespec-bench memory [--event-mib N] [--limit BYTES]
 *
 * Every output is JSON, one object per line (run: one per measurement).
 *
 * A measurement: the workload is generated once; the parser is set up once
 * (callbacks for events, retry and comments that count), then fed the
 * whole buffer, chunk by chunk as the split says, and finished: one pass.
 * The repetitions of all the measurements of one workload are interleaved
 * (round robin), so their ratios compare like with like.
 * Warm passes (at least two, for about a quarter of --ms) say how many
 * passes make one repetition of about --ms milliseconds; the median of
 * --reps repetitions is reported.
 * memchr: the same chunks scanned for the workload's line end byte with
 * memchr, line by line (the floor any line splitter pays).
 */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_config.h"
#include "sse.h"
#include "sse_scan.h" /* private: for SSE_SCAN_KERNEL_NAMES only */
#include "workloads.h"

#define PROG "ssespec-bench"

static void die(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, PROG ": ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(2);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A JSON string (ASCII control characters escaped). */
static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

/* ---- lists on the command line ---- */

#define MAX_ITEMS 32

typedef struct list {
  const char *item[MAX_ITEMS];
  size_t n;
} list;

static void list_add(list *l, char *arg) {
  for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
    if (l->n == MAX_ITEMS) die("too many items in a list");
    l->item[l->n++] = tok;
  }
}

static size_t parse_size(const char *s) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s) die("not a number: %s", s);
  if (*end == 'k' || *end == 'K')
    v <<= 10, end++;
  else if (*end == 'm' || *end == 'M')
    v <<= 20, end++;
  if (*end == 'i' || *end == 'B') end++;
  if (*end == 'B') end++;
  if (*end) die("not a size: %s", s);
  return (size_t)v;
}

/* ---- the parser's callbacks: count ---- */

typedef struct counts {
  size_t events, data_bytes, retries, comments;
} counts;

static int on_event(void *user, const sse_event *ev) {
  counts *c = user;
  c->events++;
  c->data_bytes += ev->data_len;
  return 0;
}

static int on_retry(void *user, uint64_t ms) {
  (void)ms;
  ((counts *)user)->retries++;
  return 0;
}

static int on_comment(void *user, const char *text, size_t len) {
  (void)text;
  (void)len;
  ((counts *)user)->comments++;
  return 0;
}

/* ---- one measurement ---- */

typedef struct job {
  const workload *w;
  const split_mode *split;
  const char *buf;
  size_t len, events;
  const uint32_t *lens;
  size_t nlens;
} job;

/* One measurement: a job, an implementation, its state and its times. */
typedef struct meas {
  job j;
  const char *impl;
  int memchr_floor;
  sse_parser p;
  counts c;
  size_t lines;
  size_t passes;
  double t[64];
} meas;

static void one_pass(meas *x) {
  const job *j = &x->j;
  const char *at = j->buf;
  if (x->memchr_floor) {
    size_t lines = 0;
    char eol = j->w->eol;
    for (size_t i = 0; i < j->nlens; i++) {
      const char *s = at, *end = at + j->lens[i];
      const char *q;
      while ((q = memchr(s, eol, (size_t)(end - s))) != NULL) {
        lines++;
        s = q + 1;
      }
      at = end;
    }
    x->lines += lines;
    return;
  }
  for (size_t i = 0; i < j->nlens; i++) {
    int rc = sse_parser_feed(&x->p, at, j->lens[i]);
    if (rc != SSE_OK) die("%s/%s: %s", j->w->name, j->split->name, sse_parser_error(&x->p));
    at += j->lens[i];
  }
  int rc = sse_parser_finish(&x->p);
  if (rc != SSE_OK) die("%s/%s: finish: %s", j->w->name, j->split->name, sse_strerror(rc));
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Set x up, warm it up, check its count and size its repetitions. */
static void meas_setup(meas *x, const char *kernel, double ms) {
  const job *j = &x->j;
  x->memchr_floor = strcmp(x->impl, "memchr") == 0;
  if (!x->memchr_floor) {
    static const sse_callbacks cb = {on_event, on_retry, on_comment};
    sse_parser_init(&x->p, &cb, &x->c);
    if (j->w->limit) sse_parser_set_limit(&x->p, j->w->limit);
    if (kernel && sse_parser_set_kernel(&x->p, kernel) != SSE_OK)
      die("%s", sse_parser_error(&x->p));
  }
  /* warm up (caches, the parser's buffers), and check the count */
  one_pass(x);
  if (!x->memchr_floor && x->c.events != j->events)
    die("%s/%s: the parser dispatched %zu events, the workload has %zu", j->w->name, j->split->name,
        x->c.events, j->events);
  /* warm passes for a quarter of ms (at least two: the parser's buffers
   * settle in the second) say how many make a repetition of about ms */
  size_t k = 0;
  double t0 = now(), spent;
  do {
    one_pass(x);
    k++;
    spent = now() - t0;
  } while (k < 2 || spent < ms / 4000.0);
  double per = spent / (double)k;
  x->passes = per > 0 ? (size_t)(ms / 1000.0 / per + 0.5) : 1;
  if (x->passes < 1) x->passes = 1;
}

static void meas_rep(meas *x, int r) {
  double t0 = now();
  for (size_t k = 0; k < x->passes; k++) one_pass(x);
  x->t[r] = now() - t0;
}

static void meas_print(meas *x, int reps) {
  const job *j = &x->j;
  double sorted[64];
  memcpy(sorted, x->t, sizeof x->t[0] * (size_t)reps);
  qsort(sorted, (size_t)reps, sizeof sorted[0], cmp_double);
  double med = reps % 2 ? sorted[reps / 2] : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;
  double bytes = (double)j->len * (double)x->passes;
  double events = (double)j->events * (double)x->passes;
  printf("{\"workload\":\"%s\",\"split\":\"%s\",\"impl\":\"%s\",", j->w->name, j->split->name,
         x->impl);
  if (!x->memchr_floor) printf("\"kernel\":\"%s\",", sse_parser_kernel(&x->p));
  printf("\"bytes_per_pass\":%zu,\"events_per_pass\":%zu,\"feeds_per_pass\":%zu,\"passes\":%zu,"
         "\"seconds\":[",
         j->len, j->events, j->nlens, x->passes);
  for (int r = 0; r < reps; r++) printf("%s%.6f", r ? "," : "", x->t[r]);
  printf("],\"mb_per_s\":%.1f,\"events_per_s\":%.0f", bytes / med / 1e6, events / med);
  if (!x->memchr_floor) printf(",\"peak_buffered\":%zu", sse_parser_peak_buffered(&x->p));
  printf("}\n");
  fflush(stdout);
}

/* ---- commands ---- */

/* The parser's kernels (its private header has the one list of names). */
static const char *const k_kernels[] = {SSE_SCAN_KERNEL_NAMES};

static int cmd_info(void) {
  sse_parser p;
  sse_parser_init(&p, NULL, NULL);
  printf("{\"compiler\":");
  json_str(stdout, SSESPEC_BENCH_COMPILER);
  printf(",\"version\":");
  json_str(stdout, __VERSION__);
  printf(",\"build_type\":");
  json_str(stdout, SSESPEC_BENCH_BUILD_TYPE);
  printf(",\"cflags\":");
  json_str(stdout, SSESPEC_BENCH_CFLAGS);
  printf(",\"default_kernel\":\"%s\",\"kernels\":[", sse_parser_kernel(&p));
  int first = 1;
  for (size_t i = 0; i < SSE_SCAN_KERNEL_COUNT; i++) {
    if (sse_parser_set_kernel(&p, k_kernels[i]) != SSE_OK) continue;
    printf("%s\"%s\"", first ? "" : ",", k_kernels[i]);
    first = 0;
  }
  printf("]}\n");
  sse_parser_free(&p);
  return 0;
}

static int cmd_list(void) {
  for (size_t i = 0; i < n_workloads; i++) {
    printf("{\"workload\":\"%s\",\"default_size\":%zu,\"limit\":%zu,\"what\":", k_workloads[i].name,
           k_workloads[i].default_size, k_workloads[i].limit);
    json_str(stdout, k_workloads[i].what);
    printf("}\n");
  }
  for (size_t i = 0; i < n_splits; i++) printf("{\"split\":\"%s\"}\n", k_splits[i].name);
  return 0;
}

static char *make(const workload *w, size_t size, size_t *len, size_t *events) {
  char *buf = workload_make(w, size ? size : w->default_size, len, events);
  if (!buf) die("out of memory making %s", w->name);
  return buf;
}

static int cmd_run(int argc, char **argv) {
  list wl = {{0}, 0}, sp = {{0}, 0}, im = {{0}, 0}, kn = {{0}, 0};
  int reps = 5;
  double ms = 100;
  size_t size = 0;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) die("%s needs a value", a);
    if (strcmp(a, "--workload") == 0)
      list_add(&wl, argv[++i]);
    else if (strcmp(a, "--split") == 0)
      list_add(&sp, argv[++i]);
    else if (strcmp(a, "--impl") == 0)
      list_add(&im, argv[++i]);
    else if (strcmp(a, "--kernel") == 0)
      list_add(&kn, argv[++i]);
    else if (strcmp(a, "--reps") == 0)
      reps = atoi(argv[++i]);
    else if (strcmp(a, "--ms") == 0)
      ms = atof(argv[++i]);
    else if (strcmp(a, "--size") == 0)
      size = parse_size(argv[++i]);
    else
      die("unknown option %s", a);
  }
  if (reps < 1 || reps > 64) die("--reps must be 1 to 64");
  if (!(ms > 0)) die("--ms must be positive");
  if (!wl.n)
    for (size_t i = 0; i < n_workloads; i++) wl.item[wl.n++] = k_workloads[i].name;
  if (!sp.n)
    for (size_t i = 0; i < n_splits; i++) sp.item[sp.n++] = k_splits[i].name;
  if (!im.n) im.item[im.n++] = "reference", im.item[im.n++] = "memchr";
  if (kn.n == 1 && strcmp(kn.item[0], "all") == 0) {
    kn.n = 0;
    sse_parser p;
    sse_parser_init(&p, NULL, NULL);
    for (size_t i = 0; i < SSE_SCAN_KERNEL_COUNT; i++)
      if (sse_parser_set_kernel(&p, k_kernels[i]) == SSE_OK) kn.item[kn.n++] = k_kernels[i];
    sse_parser_free(&p);
  }
  if (!kn.n) kn.item[kn.n++] = NULL; /* the parser's own choice */
  for (size_t i = 0; i < wl.n; i++)
    if (!workload_find(wl.item[i])) die("no workload called %s", wl.item[i]);
  for (size_t i = 0; i < sp.n; i++)
    if (!split_find(sp.item[i])) die("no split called %s", sp.item[i]);
  for (size_t i = 0; i < im.n; i++)
    if (strcmp(im.item[i], "reference") != 0 && strcmp(im.item[i], "memchr") != 0)
      die("no impl called %s here (reference, memchr)", im.item[i]);

  /* Per workload: every measurement (split x impl x kernel) is set up and
   * sized first, then their repetitions run in turn, round robin, so that
   * the figures compared with each other were taken under the same
   * conditions on a shared machine. */
  size_t per = sp.n * (im.n * kn.n);
  meas *ms_all = calloc(per, sizeof *ms_all);
  uint32_t **lens = calloc(sp.n, sizeof *lens);
  if (!ms_all || !lens) die("out of memory");
  for (size_t i = 0; i < wl.n; i++) {
    job j;
    memset(&j, 0, sizeof j);
    j.w = workload_find(wl.item[i]);
    char *buf = make(j.w, size, &j.len, &j.events);
    j.buf = buf;
    size_t n = 0;
    for (size_t s = 0; s < sp.n; s++) {
      j.split = split_find(sp.item[s]);
      lens[s] = split_lengths(j.split, j.len, &j.nlens);
      if (!lens[s]) die("out of memory");
      j.lens = lens[s];
      for (size_t m = 0; m < im.n; m++) {
        int floor_ = strcmp(im.item[m], "memchr") == 0;
        for (size_t k = 0; k < (floor_ ? 1 : kn.n); k++) {
          meas *x = &ms_all[n++];
          memset(x, 0, sizeof *x);
          x->j = j;
          x->impl = floor_ ? "memchr" : "reference";
          meas_setup(x, floor_ ? NULL : kn.item[k], ms);
        }
      }
    }
    for (int r = 0; r < reps; r++)
      for (size_t k = 0; k < n; k++) meas_rep(&ms_all[k], r);
    for (size_t k = 0; k < n; k++) {
      meas_print(&ms_all[k], reps);
      if (!ms_all[k].memchr_floor) sse_parser_free(&ms_all[k].p);
    }
    for (size_t s = 0; s < sp.n; s++) free(lens[s]);
    free(buf);
  }
  free(lens);
  free(ms_all);
  return 0;
}

static void write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) die("%s: %s", path, strerror(errno));
  if (n && fwrite(data, 1, n, f) != n) die("%s: write failed", path);
  if (fclose(f) != 0) die("%s: %s", path, strerror(errno));
}

static int cmd_gen(int argc, char **argv) {
  if (argc < 2) die("usage: gen WORKLOAD OUT [--size BYTES] [--random-out FILE]");
  const workload *w = workload_find(argv[0]);
  if (!w) die("no workload called %s", argv[0]);
  const char *outp = argv[1], *random_out = NULL;
  size_t size = 0;
  for (int i = 2; i < argc; i++) {
    if (i + 1 >= argc) die("%s needs a value", argv[i]);
    if (strcmp(argv[i], "--size") == 0)
      size = parse_size(argv[++i]);
    else if (strcmp(argv[i], "--random-out") == 0)
      random_out = argv[++i];
    else
      die("unknown option %s", argv[i]);
  }
  size_t len, events;
  char *buf = make(w, size, &len, &events);
  write_file(outp, buf, len);
  if (random_out) {
    size_t n;
    uint32_t *lens = split_lengths(split_find("random"), len, &n);
    if (!lens) die("out of memory");
    /* little-endian uint32 lengths */
    unsigned char *le = malloc(n * 4 + 1);
    if (!le) die("out of memory");
    for (size_t i = 0; i < n; i++)
      for (int b = 0; b < 4; b++) le[i * 4 + (size_t)b] = (unsigned char)(lens[i] >> (8 * b));
    write_file(random_out, le, n * 4);
    free(le);
    free(lens);
  }
  printf("{\"workload\":\"%s\",\"bytes\":%zu,\"events\":%zu,\"limit\":%zu}\n", w->name, len, events,
         w->limit);
  free(buf);
  return 0;
}

/* The process's peak and current resident set, in KiB. */
static void rss_kib(long *peak, long *cur) {
  *peak = *cur = -1;
  FILE *f = fopen("/proc/self/status", "r");
  if (f) {
    char line[256];
    while (fgets(line, sizeof line, f)) {
      if (strncmp(line, "VmHWM:", 6) == 0) *peak = atol(line + 6);
      if (strncmp(line, "VmRSS:", 6) == 0) *cur = atol(line + 6);
    }
    fclose(f);
  }
  if (*peak < 0) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) *peak = ru.ru_maxrss; /* KiB on Linux */
  }
}

/* One event of one data line of N MiB, fed in 64 KiB chunks made on the
 * fly (so the input never sits in memory whole): what the parser itself
 * holds is what the resident set grows by. */
static int cmd_memory(int argc, char **argv) {
  size_t mib = 64, limit = 0, chunk = 65536;
  for (int i = 0; i < argc; i++) {
    if (i + 1 >= argc) die("%s needs a value", argv[i]);
    if (strcmp(argv[i], "--event-mib") == 0)
      mib = parse_size(argv[++i]);
    else if (strcmp(argv[i], "--limit") == 0)
      limit = parse_size(argv[++i]);
    else
      die("unknown option %s", argv[i]);
  }
  static char buf[65536];
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)('a' + i % 26);
  counts c = {0, 0, 0, 0};
  static const sse_callbacks cb = {on_event, on_retry, on_comment};
  static sse_parser p;
  sse_parser_init(&p, &cb, &c);
  sse_parser_set_limit(&p, limit);
  long base_peak, base_cur;
  rss_kib(&base_peak, &base_cur);
  size_t value = mib << 20, fed = 0;
  double t0 = now();
  int rc = sse_parser_feed(&p, "data: ", 6);
  for (size_t left = value; rc == SSE_OK && left;) {
    size_t n = left < chunk ? left : chunk;
    rc = sse_parser_feed(&p, buf, n);
    left -= n;
    fed += n;
  }
  if (rc == SSE_OK) rc = sse_parser_feed(&p, "\n\n", 2);
  double secs = now() - t0;
  long peak, cur;
  rss_kib(&peak, &cur);
  size_t pk = sse_parser_peak_buffered(&p);
  printf("{\"event_bytes\":%zu,\"limit\":%zu,\"status\":\"%s\",\"message\":", value + 8,
         limit ? limit : SSE_DEFAULT_LIMIT,
         rc == SSE_OK       ? "ok"
         : rc == SSE_ELIMIT ? "SSE_ELIMIT"
                            : sse_strerror(rc));
  json_str(stdout, sse_parser_error(&p));
  printf(",\"events\":%zu,\"data_bytes\":%zu,\"value_bytes_fed\":%zu,\"peak_buffered\":%zu,"
         "\"rss_before_kib\":%ld,\"rss_peak_kib\":%ld,\"rss_growth_kib\":%ld,\"seconds\":%.3f,"
         "\"kernel\":\"%s\"}\n",
         c.events, c.data_bytes, fed, pk, base_cur, peak, peak - base_peak, secs,
         sse_parser_kernel(&p));
  sse_parser_free(&p);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2)
    die("usage: %s info|list|run|gen|memory [options] (see bench/ssespec_bench.c)", PROG);
  const char *cmd = argv[1];
  if (strcmp(cmd, "info") == 0) return cmd_info();
  if (strcmp(cmd, "list") == 0) return cmd_list();
  if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2);
  if (strcmp(cmd, "gen") == 0) return cmd_gen(argc - 2, argv + 2);
  if (strcmp(cmd, "memory") == 0) return cmd_memory(argc - 2, argv + 2);
  die("unknown command %s", cmd);
  return 2;
}
