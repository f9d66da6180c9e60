/*
 * test_guard.c - the guard page harness. Every chunk handed to the parser
 * is copied so that its last byte sits right before a PROT_NONE page (and,
 * in a second pass, its first byte right after one): a read one byte past
 * either end of the caller's chunk crashes the test. Runs every case of
 * cases.h whole, byte by byte and cut at every offset, plus inputs that end
 * at every alignment inside a line, so the word-at-a-time ASCII scan meets
 * the page edge at every offset.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

static void run_cases(int guard) {
  for (size_t i = 0; i < N_CASES; i++) {
    const spec_case *c = &k_cases[i];
    char *expected = expect_log(c->expect, c->end_id);
    run_opts o = {0};
    o.guard = guard;
    char name[256];
    snprintf(name, sizeof name, "%s [%s] guard %s", c->name, c->rule,
             guard == 1 ? "after" : "before");
    check_splits(name, c->input.s, c->input.n, expected, &o, 0);
    free(expected);
  }
}

/* "data: " + k bytes of value, then optionally "\n\n", for k = 0..40; the
 * value is ASCII, or ends in a multi-byte or truncated sequence. */
static void run_edges(int guard) {
  static const char *tails[] = {"", "\xC3\xA9", "\xE2\x82", "\xF0\x9F\x98\x80", "\xFF"};
  static const char *tail_decoded[] = {"", "\xC3\xA9", "\xEF\xBF\xBD", "\xF0\x9F\x98\x80",
                                       "\xEF\xBF\xBD"};
  for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
    for (size_t k = 0; k <= 40; k++) {
      for (int ended = 0; ended <= 1; ended++) {
        str in = {0}, value = {0};
        str_add(&in, "data: ", 6);
        for (size_t j = 0; j < k; j++) str_add(&in, "v", 1);
        for (size_t j = 0; j < k; j++) str_add(&value, "v", 1);
        str_add(&in, tails[t], strlen(tails[t]));
        str_add(&value, tail_decoded[t], strlen(tail_decoded[t]));
        if (ended) str_add(&in, "\n\n", 2);
        rec r[2] = {{0}};
        if (ended) {
          r[0].kind = 'E';
          r[0].a.s = "message";
          r[0].a.n = 7;
          r[0].b.s = str_cstr(&value);
          r[0].b.n = value.n;
          r[0].c.s = "";
          r[0].c.n = 0;
        }
        bytes none = {"", 0};
        char *expected = expect_log(r, none);
        run_opts o = {0};
        o.guard = guard;
        char name[128];
        snprintf(name, sizeof name, "edge k=%zu tail=%zu ended=%d guard=%d", k, t, ended, guard);
        check_splits(name, str_cstr(&in), in.n, expected, &o, 0);
        free(expected);
        str_free(&in);
        str_free(&value);
      }
    }
  }
}

int main(void) {
  int k = t_kernel_env();
  if (k) return k;
  run_cases(1);
  run_cases(2);
  run_edges(1);
  run_edges(2);
  return t_done("test_guard");
}
