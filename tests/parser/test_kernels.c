/*
 * test_kernels.c - the scan kernels (sse_parser_kernel, SSESPEC_SCAN):
 *
 *  - selection: the default is the fastest the CPU runs; sse_parser_set_kernel
 *    takes each known name the CPU supports and refuses the others with
 *    SSE_EINVAL and a message, keeping the kernel; with SSESPEC_SCAN set,
 *    sse_parser_init honours it (exit 77, skipped, if this CPU cannot run
 *    the kernel named; a failure if it names none);
 *  - equivalence: random streams built to stress the kernels (UTF-8 of every
 *    length, the edge values of every range, invalid leads, stray and
 *    missing continuations, CR, LF and CRLF at every offset of a 16/32/64
 *    byte block, long ASCII runs) give, under every kernel, fed whole and in
 *    random chunks, exactly the records, codes, messages and peak of the
 *    scalar kernel fed whole;
 *  - the decoding itself: each data value equals what an independent
 *    byte-at-a-time WHATWG UTF-8 decoder (below) makes of the raw bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static uint64_t rng_state = 0x243F6A8885A308D3u;

static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static size_t pick(size_t n) {
  return (size_t)(rng() % n);
}

/* ---- an independent WHATWG UTF-8 decoder (Encoding Standard, 4.1),
 * written from the spec's algorithm, byte at a time ---- */

static void put_cp(str *out, unsigned cp) {
  char b[4];
  size_t n;
  if (cp < 0x80) {
    b[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (char)(0xC0 | cp >> 6);
    b[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (char)(0xE0 | cp >> 12);
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    b[0] = (char)(0xF0 | cp >> 18);
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  str_add(out, b, n);
}

static void whatwg_decode(str *out, const unsigned char *s, size_t n) {
  unsigned cp = 0, needed = 0, seen = 0, lower = 0x80, upper = 0xBF;
  size_t i = 0;
  while (i <= n) {
    if (i == n) { /* end of queue */
      if (needed) put_cp(out, 0xFFFD);
      break;
    }
    unsigned b = s[i];
    if (needed == 0) {
      i++;
      if (b <= 0x7F) {
        put_cp(out, b);
      } else if (b >= 0xC2 && b <= 0xDF) {
        needed = 1;
        cp = b & 0x1F;
      } else if (b >= 0xE0 && b <= 0xEF) {
        if (b == 0xE0) lower = 0xA0;
        if (b == 0xED) upper = 0x9F;
        needed = 2;
        cp = b & 0xF;
      } else if (b >= 0xF0 && b <= 0xF4) {
        if (b == 0xF0) lower = 0x90;
        if (b == 0xF4) upper = 0x8F;
        needed = 3;
        cp = b & 0x7;
      } else {
        put_cp(out, 0xFFFD);
      }
      continue;
    }
    if (b < lower || b > upper) { /* the byte is read again */
      cp = needed = seen = 0;
      lower = 0x80;
      upper = 0xBF;
      put_cp(out, 0xFFFD);
      continue;
    }
    i++;
    lower = 0x80;
    upper = 0xBF;
    cp = cp << 6 | (b & 0x3F);
    if (++seen == needed) {
      put_cp(out, cp);
      cp = needed = seen = 0;
    }
  }
}

/* ---- random streams ---- */

/* A piece of UTF-8-ish text: mostly well-formed, sometimes not. */
static void add_piece(str *x) {
  static const char *const valid[] = {
      "a",
      "~",
      "\xC2\x80",
      "\xDF\xBF",
      "\xC3\xA9",
      "\xE0\xA0\x80",
      "\xE0\xBF\xBF",
      "\xE1\x80\x80",
      "\xEC\xBF\xBF",
      "\xED\x80\x80",
      "\xED\x9F\xBF",
      "\xEE\x80\x80",
      "\xEF\xBF\xBF",
      "\xE4\xBD\xA0",
      "\xF0\x90\x80\x80",
      "\xF0\xBF\xBF\xBF",
      "\xF1\x80\x80\x80",
      "\xF3\xBF\xBF\xBF",
      "\xF4\x80\x80\x80",
      "\xF4\x8F\xBF\xBF",
      "\xF0\x9F\x98\x80",
      "\xEF\xBB\xBF",
  };
  static const char *const invalid[] = {
      "\x80",
      "\xBF",
      "\xC0\x80",
      "\xC1\xBF",
      "\xC2",
      "\xE0\x80\x80",
      "\xE0\x9F\xBF",
      "\xED\xA0\x80",
      "\xED\xBF\xBF",
      "\xE1\x80",
      "\xE1",
      "\xF0\x80\x80\x80",
      "\xF0\x8F\xBF\xBF",
      "\xF4\x90\x80\x80",
      "\xF5\x80\x80\x80",
      "\xF8\x88\x80\x80\x80",
      "\xFE",
      "\xFF",
      "\xF0\x9F\x98",
      "\xF0\x9F",
      "\xC3\xA9\xA9",
      "\xE4\xBD\xA0\xA0",
  };
  size_t r = pick(100);
  if (r < 45) {
    const char *v = valid[pick(sizeof valid / sizeof valid[0])];
    str_add(x, v, strlen(v));
  } else if (r < 53) {
    const char *v = invalid[pick(sizeof invalid / sizeof invalid[0])];
    str_add(x, v, strlen(v));
  } else if (r < 90) {
    size_t n = 1 + pick(r < 80 ? 8 : 80); /* ASCII runs, some long */
    for (size_t i = 0; i < n; i++) {
      char c = (char)(' ' + pick(95));
      str_add(x, &c, 1);
    }
  } else {
    char c = (char)(0x80 + pick(128)); /* any high byte */
    str_add(x, &c, 1);
  }
}

static const char *const k_eols[] = {"\n", "\r\n", "\r"};

/* A stream of lines: data, comments, event, id, unknown; values of random
 * length so line ends land at every offset of a vector block. */
static void make_stream(str *x) {
  size_t lines = 1 + pick(40);
  for (size_t l = 0; l < lines; l++) {
    size_t kind = pick(20);
    if (kind < 12)
      str_add(x, pick(2) ? "data: " : "data:", pick(2) ? 6 : 5);
    else if (kind < 14)
      str_add(x, ":", 1);
    else if (kind < 15)
      str_add(x, "event: ", 7);
    else if (kind < 16)
      str_add(x, "id: ", 4);
    else if (kind < 17)
      str_add(x, "x\xC3\xA9: ", 5);
    /* else an empty line, or a value-only line (no colon) */
    size_t pieces = kind >= 17 && pick(2) ? 0 : pick(24);
    for (size_t i = 0; i < pieces; i++) add_piece(x);
    const char *e = k_eols[pick(3)];
    str_add(x, e, strlen(e));
  }
}

/* ---- runs ---- */

static char *run_kernel(const char *kernel, const char *in, size_t n, const size_t *cuts,
                        size_t ncuts, size_t limit) {
  recorder r;
  recorder_init(&r);
  sse_callbacks cb = recorder_callbacks(1, 1);
  sse_parser p;
  sse_parser_init(&p, &cb, &r);
  sse_parser_set_limit(&p, limit);
  if (sse_parser_set_kernel(&p, kernel) != SSE_OK) {
    t_fail(__FILE__, __LINE__, "set_kernel(%s): %s", kernel, sse_parser_error(&p));
    sse_parser_free(&p);
    str_free(&r.log);
    return NULL;
  }
  size_t at = 0;
  int first_rc = 0;
  for (size_t k = 0; k <= ncuts; k++) {
    size_t to = k < ncuts ? cuts[k] : n;
    int rc = sse_parser_feed(&p, in + at, to - at);
    if (rc && !first_rc) {
      first_rc = rc;
      str_addf(&r.log, "F|%d|%s\n", rc, sse_parser_error(&p));
    }
    at = to;
  }
  str_addf(&r.log, "G|%d\n", sse_parser_finish(&p));
  size_t idn;
  const char *id = sse_parser_last_event_id(&p, &idn);
  str_add(&r.log, "Z|", 2);
  str_esc(&r.log, id, idn);
  str_addf(&r.log, "\nP|%zu\n", sse_parser_peak_buffered(&p));
  sse_parser_free(&p);
  str_cstr(&r.log);
  return r.log.s;
}

/* The data values the WHATWG decoder makes of the stream's data lines
 * ("D|value" per event, escaped as in the recorder's log). */
static void expect_data(str *want, const char *in, size_t n) {
  /* split lines the standard's way */
  size_t i = 0;
  str data = {0};
  int have = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && in[j] != '\n' && in[j] != '\r') j++;
    if (j == n) break; /* no line ending: not a line */
    const char *l = in + i;
    size_t len = j - i;
    if (len == 0) {
      if (have) {
        str_add(want, "D|", 2);
        str_esc(want, data.s, data.n ? data.n - 1 : 0);
        str_add(want, "\n", 1);
      }
      data.n = 0;
      have = 0;
    } else if (len >= 4 && memcmp(l, "data", 4) == 0 && (len == 4 || l[4] == ':')) {
      size_t v = len > 4 ? 5 : 4;
      if (v < len && l[v] == ' ') v++;
      whatwg_decode(&data, (const unsigned char *)l + v, len - v);
      str_add(&data, "\n", 1);
      have = 1;
    }
    i = j + 1;
    if (in[j] == '\r' && i < n && in[i] == '\n') i++;
  }
  str_free(&data);
}

/* The data values of a recorder log ("E|type|data|id" lines). */
static void log_data(str *got, const char *log) {
  for (const char *l = log; *l;) {
    const char *nl = strchr(l, '\n');
    size_t len = nl ? (size_t)(nl - l) : strlen(l);
    if (l[0] == 'E') {
      const char *a = memchr(l, '|', len),
                 *b = a ? memchr(a + 1, '|', len - (size_t)(a + 1 - l)) : 0;
      const char *c = b ? memchr(b + 1, '|', len - (size_t)(b + 1 - l)) : 0;
      if (b && c) {
        str_add(got, "D|", 2);
        str_add(got, b + 1, (size_t)(c - b - 1));
        str_add(got, "\n", 1);
      }
    }
    if (!nl) break;
    l = nl + 1;
  }
}

static int supported(const char *name) {
  sse_parser p;
  sse_parser_init(&p, NULL, NULL);
  int ok = sse_parser_set_kernel(&p, name) == SSE_OK;
  sse_parser_free(&p);
  return ok;
}

static void test_selection(void) {
  sse_parser p;
  sse_parser_init(&p, NULL, NULL);
  const char *def = sse_parser_kernel(&p);
  CHECK(t_kernel_known(def));
  CHECK_INT(supported("scalar"), 1);
  /* the fastest supported: the last of the list this CPU runs */
  const char *best = "scalar";
  for (size_t i = 0; i < t_kernel_count; i++)
    if (supported(t_kernel_names[i])) best = t_kernel_names[i];
  const char *env = getenv("SSESPEC_SCAN");
  if (!env || !*env) CHECK_STR(def, best); /* the default */
  for (size_t i = 0; i < t_kernel_count; i++) {
    if (!supported(t_kernel_names[i])) continue;
    CHECK_INT(sse_parser_set_kernel(&p, t_kernel_names[i]), SSE_OK);
    CHECK_STR(sse_parser_kernel(&p), t_kernel_names[i]);
  }
  CHECK_INT(sse_parser_set_kernel(&p, "scalar"), SSE_OK);
  CHECK_INT(sse_parser_set_kernel(&p, "AVX2"), SSE_EINVAL);
  CHECK(t_contains(sse_parser_error(&p), "no kernel called \"AVX2\""));
  CHECK_STR(sse_parser_kernel(&p), "scalar"); /* kept */
  CHECK_INT(sse_parser_set_kernel(&p, "avx512"), SSE_EINVAL);
  CHECK_INT(sse_parser_set_kernel(&p, NULL), SSE_OK);
  CHECK_STR(sse_parser_kernel(&p), best);
  CHECK_INT(sse_parser_set_kernel(&p, ""), SSE_OK);
  /* the kernel survives reset and free (it is not stream state) */
  CHECK_INT(sse_parser_set_kernel(&p, "scalar"), SSE_OK);
  sse_parser_reset(&p);
  CHECK_STR(sse_parser_kernel(&p), "scalar");
  sse_parser_free(&p);
  CHECK_STR(sse_parser_kernel(&p), "scalar");
  /* switching kernels between feeds of one stream changes nothing */
  recorder r;
  recorder_init(&r);
  sse_callbacks cb = recorder_callbacks(1, 1);
  sse_parser_init(&p, &cb, &r);
  static const char in[] = "data: \xE4\xBD\xA0\xE5\xA5\xBD\xF0\x9F\x98\x80 0123456789abcdef"
                           "0123456789abcdef0123456789abcdef\r\n\r\n";
  for (size_t i = 0; i < sizeof in - 1; i++) {
    sse_parser_set_kernel(&p,
                          t_kernel_names[i % t_kernel_count]); /* EINVAL where unsupported: kept */
    CHECK_INT(sse_parser_feed(&p, in + i, 1), SSE_OK);
  }
  CHECK_STR(str_cstr(&r.log), "E|message|\\xe4\\xbd\\xa0\\xe5\\xa5\\xbd\\xf0\\x9f\\x98\\x80 "
                              "0123456789abcdef0123456789abcdef0123456789abcdef|\n");
  sse_parser_free(&p);
  str_free(&r.log);
}

/* With SSESPEC_SCAN set, sse_parser_init must have honoured it. */
static int test_env(void) {
  const char *env = getenv("SSESPEC_SCAN");
  if (!env || !*env) return 0;
  int known = t_kernel_known(env);
  sse_parser p;
  sse_parser_init(&p, NULL, NULL);
  const char *got = sse_parser_kernel(&p);
  sse_parser_free(&p);
  if (!known) {
    /* an unknown name: the parser falls back to scalar, and says so */
    CHECK_STR(got, "scalar");
    char names[128];
    t_fail(__FILE__, __LINE__, "SSESPEC_SCAN=%s names no kernel (%s)", env,
           t_kernel_list(names, sizeof names));
    return 0;
  }
  if (!supported(env)) {
    CHECK_STR(got, "scalar");
    printf("SSESPEC_SCAN=%s: this CPU cannot run it; skipped\n", env);
    return 77;
  }
  CHECK_STR(got, env);
  printf("SSESPEC_SCAN=%s: sse_parser_init chose %s\n", env, got);
  return 0;
}

static void test_equivalence(int rounds) {
  size_t *cuts = NULL;
  size_t cap = 0;
  for (int r = 0; r < rounds; r++) {
    str in = {0};
    make_stream(&in);
    size_t limit = pick(4) == 0 ? 16 + pick(400) : 0;
    char *want = run_kernel("scalar", in.s, in.n, NULL, 0, limit);
    if (limit == 0) {
      str a = {0}, b = {0};
      expect_data(&a, in.s, in.n);
      log_data(&b, want);
      if (strcmp(str_cstr(&a), str_cstr(&b)) != 0) {
        str esc = {0};
        str_esc(&esc, in.s, in.n);
        t_fail(__FILE__, __LINE__,
               "round %d: data differs from the WHATWG decoder\ninput: %s\n"
               "--- parser:\n%s--- decoder:\n%s",
               r, str_cstr(&esc), str_cstr(&b), str_cstr(&a));
        str_free(&esc);
      }
      str_free(&a);
      str_free(&b);
    }
    if (cap < in.n + 1) {
      cap = in.n + 1;
      cuts = realloc(cuts, cap * sizeof *cuts);
    }
    for (size_t k = 0; k < t_kernel_count; k++) {
      if (!supported(t_kernel_names[k])) continue;
      for (int split = 0; split < 3; split++) {
        size_t nc = 0;
        if (split == 1) { /* random chunks */
          for (size_t at = pick(70); at < in.n; at += 1 + pick(70)) cuts[nc++] = at;
        } else if (split == 2) { /* byte by byte, now and then */
          if (r % 8) continue;
          for (size_t at = 1; at < in.n; at++) cuts[nc++] = at;
        }
        char *got = run_kernel(t_kernel_names[k], in.s, in.n, cuts, nc, limit);
        if (got && strcmp(got, want) != 0) {
          str esc = {0};
          str_esc(&esc, in.s, in.n);
          t_fail(__FILE__, __LINE__,
                 "round %d, kernel %s, split %d differs from scalar whole\n"
                 "input: %s\n--- got:\n%s--- scalar:\n%s",
                 r, t_kernel_names[k], split, str_cstr(&esc), got, want);
          str_free(&esc);
          free(got);
          free(want);
          str_free(&in);
          free(cuts);
          return;
        }
        free(got);
      }
    }
    free(want);
    str_free(&in);
  }
  free(cuts);
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 3000;
  int env = test_env();
  if (env == 77) return 77;
  test_selection();
  test_equivalence(rounds);
  return t_done("test_kernels");
}
