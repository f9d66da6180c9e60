/*
 * test_determinism.c - the records must not depend on how the input is
 * split. For a set of tricky inputs (CRLF split between chunks, BOM split,
 * invalid and split UTF-8, NUL in id, CR at the end, long lines) every run
 * (byte by byte, cut at every offset, at every pair of offsets for short
 * inputs, and random chunkings) must give the same log as the whole input:
 * records, return codes, error messages and the peak of buffered bytes,
 * also under small limits (where the stream is abandoned with SSE_ELIMIT)
 * and with callbacks that stop the parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static const bytes k_inputs[] = {
    B("data: a\r\n\r\ndata: b\r\n\r\n"),
    B("data: a\r\rdata: b\r\n\rid: 1\r\r\n"),
    B("\xEF\xBB\xBF"
      "data: x\n\n"),
    B("\xEF\xBB\xBF\xEF\xBB\xBF"
      "data: x\n\ndata: y\n\n"),
    B("\xEF\xBB"
      "data: x\n\ndata: y\n\n"),
    B("\xEF\xBB\xBF\r\n\r\n"),
    B("\xEF\r\xBB\xBF"
      "data: z\n\n"),
    B("data: \xE2\x82\xAC\xF0\x9F\x98\x80\xC3\xA9\n\n"),
    B("data: \xC0\xAF\xED\xA0\x80\xE0\x80\xF4\x90\x80\x80\xE2\x82"
      "A\xE2\x82\n\n"),
    B("event: \xF0\x9F\x98\ndata: \xF0\n\xF0\x9F\x98\x80\n\n"),
    B("id: a\0b\ndata: x\n\nid: c\ndata: y\n\nid: \0\n\n"),
    B("data: x\r\r"),
    B("data: x\n\ndata: y\r"),
    B("id: 5\n\nid: 6\ndata: pending"),
    B(": c1\r\n:\xFF\r:\n\nretry: 10\rretry: x\r\nretry: 18446744073709551616\n"),
    B("data\ndata:\ndata: \ndata:  \n\n"),
    B("foo\nfoo: bar\nevent\nevents: x\nidx\nretryy: 1\ndat\n\n"),
    B("data: 0123456789abcdef\nevent: type-0123456789\nid: id-0123456789\n\n"
      "data: short\n\ndata: 0123456789abcdef0123456789\n\n"),
    B("id: abcdefgh\n\n\n\ndata: 0123\ndata: 4567\n\n"),
    B("data: \xFF\xFF\xFF\xFF\xFF\n\nid: \xFF\xFF\xFF\n\n"),
};

#define N_INPUTS (sizeof k_inputs / sizeof k_inputs[0])

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* Random chunkings of in, each compared with the whole run. */
static void random_splits(const char *name, const char *in, size_t n, const run_opts *o,
                          int rounds) {
  char *whole = run_cuts(in, n, NULL, 0, o);
  size_t cap = 2 * n + 2;
  size_t *cuts = malloc(cap * sizeof *cuts);
  for (int r = 0; r < rounds; r++) {
    size_t k = 0, at = 0, max = 1 + (size_t)(rng() % 40);
    while (at < n && k < cap) {
      at += (size_t)(rng() % (max + 1)); /* empty chunks too */
      if (at >= n) break;
      cuts[k++] = at;
    }
    char *got = run_cuts(in, n, cuts, k, o);
    if (strcmp(got, whole) != 0) {
      t_fail(__FILE__, __LINE__, "%s: random split %d differs:\n--- got:\n%s--- whole:\n%s", name,
             r, got, whole);
      free(got);
      break;
    }
    free(got);
  }
  free(cuts);
  free(whole);
}

int main(void) {
  int k = t_kernel_env();
  if (k) return k;
  static const size_t limits[] = {0, 4, 7, 9, 12, 16, 20, 24, 31, 40};
  str all = {0};
  for (size_t i = 0; i < N_INPUTS; i++) {
    str_add(&all, k_inputs[i].s, k_inputs[i].n);
    for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
      run_opts o = {0};
      o.with_status = 1;
      o.limit = limits[l];
      char name[64];
      snprintf(name, sizeof name, "input %zu, limit %zu", i, limits[l]);
      check_splits(name, k_inputs[i].s, k_inputs[i].n, NULL, &o, 48);
      o.no_comment = o.no_retry = 1;
      check_splits(name, k_inputs[i].s, k_inputs[i].n, NULL, &o, 0);
    }
    /* callbacks that stop the parser at their first and second call */
    for (int k = 0; k < 6; k++) {
      run_opts o = {0};
      o.with_status = 1;
      o.stop_kind = "ERC"[k % 3];
      o.stop_at = 1 + k / 3;
      char name[64];
      snprintf(name, sizeof name, "input %zu, stop at %c #%d", i, o.stop_kind, o.stop_at);
      check_splits(name, k_inputs[i].s, k_inputs[i].n, NULL, &o, 48);
    }
  }
  /* all inputs as one stream, random chunkings, several limits */
  for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
    run_opts o = {0};
    o.with_status = 1;
    o.limit = limits[l] ? limits[l] * 3 : 0;
    char name[64];
    snprintf(name, sizeof name, "all inputs, limit %zu", o.limit);
    random_splits(name, all.s, all.n, &o, 300);
  }
  /* long lines that grow over many feeds */
  str big = {0};
  str_add(&big, ": ", 2);
  for (int i = 0; i < 3000; i++) str_add(&big, "c\xC3\xA9", 3);
  str_add(&big, "\r\ndata: ", 8);
  for (int i = 0; i < 5000; i++) str_add(&big, i % 7 ? "d" : "\xE2\x82\xAC", i % 7 ? 1 : 3);
  str_add(&big, "\r\nid: ", 6);
  for (int i = 0; i < 2000; i++) str_add(&big, "i", 1);
  str_add(&big, "\r\n\r\n", 4);
  static const size_t big_limits[] = {0, 9000, 20000, 30000, 40000};
  for (size_t l = 0; l < sizeof big_limits / sizeof big_limits[0]; l++) {
    run_opts o = {0};
    o.with_status = 1;
    o.limit = big_limits[l];
    char name[64];
    snprintf(name, sizeof name, "long lines, limit %zu", o.limit);
    random_splits(name, big.s, big.n, &o, 100);
    size_t *cuts = malloc(big.n * sizeof *cuts);
    for (size_t i = 1; i < big.n; i++) cuts[i - 1] = i;
    char *whole = run_cuts(big.s, big.n, NULL, 0, &o);
    char *bytewise = run_cuts(big.s, big.n, cuts, big.n - 1, &o);
    if (strcmp(whole, bytewise) != 0)
      t_fail(__FILE__, __LINE__, "%s: byte by byte differs:\n%s---\n%s", name, bytewise, whole);
    free(whole);
    free(bytewise);
    free(cuts);
  }
  str_free(&big);
  str_free(&all);
  return t_done("test_determinism");
}
