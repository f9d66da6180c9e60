/*
 * test_spec.c - every case of cases.h, expected records from the standard,
 * checked fed whole, byte by byte, cut at every offset and (for short
 * inputs) at every pair of offsets; then again without the comment and
 * retry callbacks (those lines are then ignored, the events are the same).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

static void run_case(const spec_case *c, int with_comments_retries) {
  rec filtered[12];
  size_t k = 0;
  for (const rec *r = c->expect; r->kind; r++) {
    if (!with_comments_retries && r->kind != 'E') continue;
    filtered[k++] = *r;
  }
  memset(&filtered[k], 0, sizeof filtered[k]);
  char *expected = expect_log(filtered, c->end_id);
  run_opts o = {0};
  o.no_comment = o.no_retry = !with_comments_retries;
  char name[256];
  snprintf(name, sizeof name, "%s [%s]%s", c->name, c->rule,
           with_comments_retries ? "" : " without comment/retry callbacks");
  check_splits(name, c->input.s, c->input.n, expected, &o, 64);
  free(expected);
}

int main(void) {
  int k = t_kernel_env();
  if (k) return k;
  for (size_t i = 0; i < N_CASES; i++) {
    run_case(&k_cases[i], 1);
    run_case(&k_cases[i], 0);
  }
  printf("%zu cases\n", N_CASES);
  return t_done("test_spec");
}
