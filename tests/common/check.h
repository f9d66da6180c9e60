/*
 * check.h - the few assertions the tests of common/ use. A failed check
 * prints where and what, counts, and lets the test go on; the test's main
 * returns check_report().
 */
#ifndef SSESPEC_TESTS_CHECK_H
#define SSESPEC_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    check_count++;                                                                                 \
    if (!(cond)) {                                                                                 \
      check_failures++;                                                                            \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                     \
    }                                                                                              \
  } while (0)

/* Two byte strings of known lengths are equal. */
#define CHECK_MEM(got, got_len, want, want_len)                                                    \
  do {                                                                                             \
    check_count++;                                                                                 \
    if ((size_t)(got_len) != (size_t)(want_len) ||                                                 \
        memcmp((got), (want), (size_t)(want_len)) != 0) {                                          \
      check_failures++;                                                                            \
      fprintf(stderr, "%s:%d: check failed: %s == %s\n", __FILE__, __LINE__, #got, #want);         \
      check_dump("  got ", (got), (size_t)(got_len));                                              \
      check_dump("  want", (want), (size_t)(want_len));                                            \
    }                                                                                              \
  } while (0)

/* Two NUL-terminated strings are equal. */
#define CHECK_STR(got, want)                                                                       \
  do {                                                                                             \
    const char *check_g_ = (got), *check_w_ = (want);                                              \
    CHECK_MEM(check_g_, strlen(check_g_), check_w_, strlen(check_w_));                             \
  } while (0)

static void check_dump(const char *label, const void *p, size_t n) {
  const unsigned char *s = p;
  size_t i;
  fprintf(stderr, "%s (%zu bytes): ", label, n);
  for (i = 0; i < n && i < 200; i++) {
    if (s[i] >= 0x20 && s[i] < 0x7F && s[i] != '\\')
      fputc(s[i], stderr);
    else
      fprintf(stderr, "\\x%02X", s[i]);
  }
  fprintf(stderr, "%s\n", n > 200 ? "..." : "");
}

static int check_report(const char *name) {
  if (check_failures) {
    fprintf(stderr, "%s: %d of %d checks failed\n", name, check_failures, check_count);
    return 1;
  }
  printf("%s: all %d checks passed\n", name, check_count);
  return 0;
}

#endif /* SSESPEC_TESTS_CHECK_H */
