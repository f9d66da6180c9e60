/*
 * bench_parser.c - a rough throughput measurement of the parser (not a
 * test). Builds about 100 MB of `data: {json}\n\n` events (and variants)
 * and feeds them whole and in 16 KiB chunks; prints MB/s.
 *   parser_bench [megabytes]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sse.h"

static int count_event(void *user, const sse_event *ev) {
  size_t *n = user;
  *n += ev->data_len;
  return 0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *build(size_t target, const char *event, size_t *len) {
  size_t el = strlen(event);
  size_t n = target / el;
  char *buf = malloc(n * el);
  for (size_t i = 0; i < n; i++) memcpy(buf + i * el, event, el);
  *len = n * el;
  return buf;
}

static void run(const char *name, const char *buf, size_t len, size_t chunk) {
  sse_callbacks cb = {count_event, NULL, NULL};
  size_t total = 0;
  sse_parser p;
  sse_parser_init(&p, &cb, &total);
  double best = 1e9;
  for (int rep = 0; rep < 3; rep++) {
    double t0 = now();
    for (size_t at = 0; at < len; at += chunk) {
      size_t n = len - at < chunk ? len - at : chunk;
      if (sse_parser_feed(&p, buf + at, n) != SSE_OK) {
        fprintf(stderr, "%s: %s\n", name, sse_parser_error(&p));
        exit(1);
      }
    }
    sse_parser_finish(&p);
    double t = now() - t0;
    if (t < best) best = t;
  }
  printf("%-44s %8.0f MB/s\n", name, (double)len / best / 1e6);
  sse_parser_free(&p);
}

int main(int argc, char **argv) {
  size_t mb = argc > 1 ? (size_t)atoi(argv[1]) : 100;
  size_t target = mb * 1000000;
  static const struct {
    const char *name;
    const char *event;
  } kinds[] = {
      {"json events, LF", "data: {\"id\":12345,\"user\":\"alice\",\"text\":\"hello, world\","
                          "\"tags\":[\"a\",\"b\"],\"ok\":true}\n\n"},
      {"json events, CRLF, id and event", "id: 12345\r\nevent: update\r\ndata: {\"id\":12345,"
                                          "\"text\":\"hello, world\",\"ok\":true}\r\n\r\n"},
      {"json events, non-ASCII", "data: {\"text\":\"h\xC3\xA9llo w\xC3\xB6rld \xE2\x82\xAC "
                                 "\xF0\x9F\x98\x80\",\"ok\":true}\n\n"},
  };
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    size_t len;
    char *buf = build(target, kinds[k].event, &len);
    char name[96];
    snprintf(name, sizeof name, "%s, whole", kinds[k].name);
    run(name, buf, len, len);
    snprintf(name, sizeof name, "%s, 16 KiB chunks", kinds[k].name);
    run(name, buf, len, 16384);
    free(buf);
  }
  /* long lines: 4 KiB data values */
  char *ev = malloc(4096 + 16);
  memcpy(ev, "data: ", 6);
  memset(ev + 6, 'x', 4096);
  memcpy(ev + 6 + 4096, "\n\n", 3);
  size_t len;
  char *buf = build(target, ev, &len);
  run("4 KiB values, whole", buf, len, len);
  run("4 KiB values, 1000-byte chunks", buf, len, 1000);
  free(buf);
  free(ev);
  return 0;
}
