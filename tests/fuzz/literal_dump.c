/*
 * literal_dump.c - test helper: run the literal implementation
 * (fuzz/literal/literal_sse.c) over the stream on stdin, one byte at a time,
 * and print its records one a line, text fields hex-encoded:
 *   event <type-hex> <data-hex> <id-hex>
 *   retry <ms>
 *   comment <text-hex>
 *   end <id-hex>
 * tests/fuzz/test_fuzz_literal.py checks them against every case's expectations.
 */
#include <stdio.h>

#include "literal_sse.h"

static void hex(const char *s, size_t n) {
  putchar(' ');
  if (n == 0) putchar('-');
  for (size_t i = 0; i < n; i++) printf("%02x", (unsigned char)s[i]);
}

static void on_event(void *user, const char *type, size_t tl, const char *data, size_t dl,
                     const char *id, size_t il) {
  (void)user;
  fputs("event", stdout);
  hex(type, tl);
  hex(data, dl);
  hex(id, il);
  putchar('\n');
}

static void on_retry(void *user, uint64_t ms) {
  (void)user;
  printf("retry %llu\n", (unsigned long long)ms);
}

static void on_comment(void *user, const char *text, size_t len) {
  (void)user;
  fputs("comment", stdout);
  hex(text, len);
  putchar('\n');
}

int main(void) {
  lit_sink sink = {on_event, on_retry, on_comment};
  lit_parser p;
  lit_init(&p, &sink, NULL);
  int c;
  while ((c = getchar()) != EOF) lit_byte(&p, (unsigned char)c);
  lit_end_stream(&p);
  size_t il;
  const char *id = lit_last_event_id(&p, &il);
  fputs("end", stdout);
  hex(id, il);
  putchar('\n');
  lit_free(&p);
  return 0;
}
