/*
 * test_api.c - the behaviour of the parser's API: every return code, reuse
 * after finish and reset, callbacks (and none), the limit and the peak, the
 * allocator, zero copy and allocation counts. Expected values come from the
 * standard and from sse.h's documentation; the accounting rule behind the
 * limit and the peak is the one written at the top of parser/sse.c: while a
 * kept line is read its raw bytes count on top of the pending event (data
 * with one LF per value, event type, id buffer) and the last event ID
 * string; ignored lines count nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static int feed_s(sse_parser *p, const char *s) {
  return sse_parser_feed(p, s, strlen(s));
}

/* Feed s one byte at a time; returns the first nonzero code (and checks
 * every later feed returns the same), or 0. Stores the index of the byte
 * whose feed failed in *at (if at). */
static int feed_bytewise(sse_parser *p, const char *s, size_t n, size_t *at) {
  int first = 0;
  for (size_t i = 0; i < n; i++) {
    int rc = sse_parser_feed(p, s + i, 1);
    if (!first && rc) {
      first = rc;
      if (at) *at = i;
    } else if (first) {
      CHECK_INT(rc, first);
    }
  }
  return first;
}

static char *dup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  memcpy(d, s, n);
  return d;
}

static const char *last_id(const sse_parser *p) {
  static char buf[256];
  size_t n;
  const char *id = sse_parser_last_event_id(p, &n);
  if (n >= sizeof buf) n = sizeof buf - 1;
  memcpy(buf, id, n);
  buf[n] = '\0';
  return buf;
}

/* ---- return codes ---- */

static void test_einval(void) {
  recorder r;
  recorder_init(&r);
  sse_callbacks cb = recorder_callbacks(1, 1);
  sse_parser p;
  sse_parser_init(&p, &cb, &r);
  CHECK_STR(sse_parser_error(&p), "");
  CHECK_INT(sse_parser_feed(&p, NULL, 0), SSE_OK);
  CHECK_INT(feed_s(&p, "data: a"), SSE_OK);
  CHECK_INT(sse_parser_feed(&p, NULL, 3), SSE_EINVAL);
  CHECK(strlen(sse_parser_error(&p)) > 0);
  /* nothing was read and the stream goes on */
  CHECK_INT(feed_s(&p, "\n\n"), SSE_OK);
  CHECK_STR(str_cstr(&r.log), "E|message|a|\n");
  CHECK_INT(sse_parser_finish(&p), SSE_OK);
  CHECK_INT(sse_parser_feed(NULL, "x", 1), SSE_EINVAL);
  sse_parser_free(&p);
  str_free(&r.log);
}

static void test_elimit_line(void) {
  /* "data: 0123456789" is 16 bytes: at the limit, fine; 17 is over. */
  static const char ok[] = "data: 0123456789\n\n";
  static const char over[] = "data: 01234567890\n\ndata: x\n\n";
  for (int bytewise = 0; bytewise <= 1; bytewise++) {
    recorder r;
    recorder_init(&r);
    sse_callbacks cb = recorder_callbacks(1, 1);
    sse_parser p;
    sse_parser_init(&p, &cb, &r);
    sse_parser_set_limit(&p, 16);
    int rc = bytewise ? feed_bytewise(&p, ok, strlen(ok), NULL) : feed_s(&p, ok);
    CHECK_INT(rc, SSE_OK);
    CHECK_INT(sse_parser_peak_buffered(&p), 16);
    size_t at = 0;
    rc = bytewise ? feed_bytewise(&p, over, strlen(over), &at) : feed_s(&p, over);
    CHECK_INT(rc, SSE_ELIMIT);
    if (bytewise) CHECK_INT(at, 16); /* the 17th byte of the line */
    CHECK_STR(sse_parser_error(&p), "buffered line and event would reach 17 bytes, over the limit "
                                    "of 16 (reading a line)");
    CHECK_INT(sse_parser_peak_buffered(&p), 16);
    /* abandoned: later feeds read nothing and return the same code */
    CHECK_INT(feed_s(&p, "data: y\n\n"), SSE_ELIMIT);
    CHECK_STR(str_cstr(&r.log), "E|message|0123456789|\n");
    CHECK_INT(sse_parser_finish(&p), SSE_ELIMIT);
    /* a new stream works */
    CHECK_INT(feed_s(&p, "data: z\n\n"), SSE_OK);
    CHECK_STR(str_cstr(&r.log), "E|message|0123456789|\nE|message|z|\n");
    CHECK_INT(sse_parser_finish(&p), SSE_OK);
    sse_parser_free(&p);
    str_free(&r.log);
  }
}

static void test_elimit_default(void) {
  /* A line of exactly SSE_DEFAULT_LIMIT bytes is read; one more byte is
   * over, whether fed whole or in 64 KiB chunks. */
  size_t L = SSE_DEFAULT_LIMIT;
  CHECK_INT(L, 8388608);
  char *in = malloc(L + 3);
  memcpy(in, "data:", 5);
  memset(in + 5, 'x', L - 5);
  memcpy(in + L, "\n\n", 2);
  char *in2 = malloc(L + 3);
  memcpy(in2, "data:", 5);
  memset(in2 + 5, 'y', L + 1 - 5);
  memcpy(in2 + L + 1, "\n\n", 2);
  for (int chunked = 0; chunked <= 1; chunked++) {
    recorder r;
    recorder_init(&r);
    sse_callbacks cb = recorder_callbacks(1, 1);
    sse_parser p;
    sse_parser_init(&p, &cb, &r);
    int rc = 0;
    size_t step = chunked ? 65536 : L + 2;
    for (size_t at = 0; at < L + 2 && !rc; at += step)
      rc = sse_parser_feed(&p, in + at, at + step > L + 2 ? L + 2 - at : step);
    CHECK_INT(rc, SSE_OK);
    CHECK_INT(r.events, 1);
    CHECK_INT(r.last_data_len, L - 5);
    CHECK_INT(sse_parser_peak_buffered(&p), L);
    rc = 0;
    for (size_t at = 0; at < L + 3 && !rc; at += step)
      rc = sse_parser_feed(&p, in2 + at, at + step > L + 3 ? L + 3 - at : step);
    CHECK_INT(rc, SSE_ELIMIT);
    CHECK(t_contains(sse_parser_error(&p), "buffered line and event would reach 8388609 bytes, "
                                           "over the limit of 8388608"));
    CHECK_INT(r.events, 1);
    CHECK(sse_parser_peak_buffered(&p) <= L);
    CHECK_INT(sse_parser_finish(&p), SSE_ELIMIT);
    sse_parser_free(&p);
    str_free(&r.log);
  }
  free(in);
  free(in2);
}

static void test_elimit_fields(void) {
  recorder r;
  sse_callbacks cb = recorder_callbacks(1, 1);
  sse_parser p;

  /* data accumulates: 9 bytes ("abcdefgh" + LF) pending, then a 14-byte
   * line crosses 20 at its 12th byte */
  recorder_init(&r);
  sse_parser_init(&p, &cb, &r);
  sse_parser_set_limit(&p, 20);
  CHECK_INT(feed_s(&p, "data: abcdefgh\n"), SSE_OK);
  CHECK_INT(feed_s(&p, "data: abcdefgh\n"), SSE_ELIMIT);
  CHECK(t_contains(sse_parser_error(&p), "would reach 21 bytes, over the limit of 20"));
  sse_parser_free(&p);

  /* invalid bytes grow when decoded: a 9-byte line, 4 x U+FFFD + LF = 13 */
  recorder_init(&r);
  sse_parser_init(&p, &cb, &r);
  sse_parser_set_limit(&p, 10);
  CHECK_INT(feed_s(&p, "data:\xFF\xFF\xFF\n\n"), SSE_OK); /* 8-byte line, 10 bytes of data */
  CHECK_INT(r.events, 1);
  CHECK_INT(feed_s(&p, "data:\xFF\xFF\xFF\xFF\n\n"), SSE_ELIMIT);
  CHECK_STR(sse_parser_error(&p), "buffered line and event would reach 13 bytes, over the limit "
                                  "of 10 (adding a data field)");
  CHECK_INT(r.events, 1);
  sse_parser_free(&p);
  str_free(&r.log);

  /* the event type buffer */
  recorder_init(&r);
  sse_parser_init(&p, &cb, &r);
  sse_parser_set_limit(&p, 10);
  CHECK_INT(feed_s(&p, "event:\xFF\xFF\xFF\xFF\n"), SSE_ELIMIT);
  CHECK(t_contains(sse_parser_error(&p), "would reach 12 bytes, over the limit of 10"));
  sse_parser_free(&p);

  /* the last event ID string counts too: id buffer 6 + string 6 > 11 */
  recorder_init(&r);
  sse_parser_init(&p, &cb, &r);
  sse_parser_set_limit(&p, 11);
  CHECK_INT(feed_s(&p, "id: abcdef\n"), SSE_OK);
  CHECK_INT(feed_s(&p, "\n"), SSE_ELIMIT);
  CHECK(t_contains(sse_parser_error(&p), "would reach 12 bytes, over the limit of 11"));
  CHECK_STR(last_id(&p), "");
  sse_parser_free(&p);

  /* a limit set below what is held: the next kept line is over at once */
  recorder_init(&r);
  sse_parser_init(&p, &cb, &r);
  CHECK_INT(feed_s(&p, "id: abcdefghij\n\n"), SSE_OK); /* 10 + 10 held */
  sse_parser_set_limit(&p, 5);
  CHECK_INT(feed_s(&p, "\n"), SSE_OK); /* nothing new to hold */
  CHECK_INT(feed_s(&p, "data: x\n"), SSE_ELIMIT);
  CHECK(t_contains(sse_parser_error(&p), "would reach 21 bytes, over the limit of 5"));
  CHECK_INT(sse_parser_finish(&p), SSE_ELIMIT);
  CHECK_STR(last_id(&p), "abcdefghij");
  /* 0 means the default again */
  sse_parser_set_limit(&p, 0);
  CHECK_INT(feed_s(&p, "data: x\n\n"), SSE_OK);
  sse_parser_free(&p);
  str_free(&r.log);
}

static void test_ignored_lines_not_counted(void) {
  /* Lines the parser ignores are skipped, not buffered: no limit, no peak. */
  size_t n = 100000;
  char *comment = malloc(n + 4), *unknown = malloc(n + 8), *retry = malloc(n + 10);
  memcpy(comment, ": ", 2);
  memset(comment + 2, 'c', n);
  memcpy(comment + 2 + n, "\n", 2);
  memcpy(unknown, "foo: ", 5);
  memset(unknown + 5, 'u', n);
  memcpy(unknown + 5 + n, "\n", 2);
  memcpy(retry, "retry: ", 7);
  memset(retry + 7, '1', n);
  memcpy(retry + 7 + n, "\n", 2);
  for (int bytewise = 0; bytewise <= 1; bytewise++) {
    recorder r;
    recorder_init(&r);
    sse_callbacks cb = recorder_callbacks(0, 0);
    sse_parser p;
    sse_parser_init(&p, &cb, &r);
    sse_parser_set_limit(&p, 64);
    const char *ins[] = {comment, unknown, retry, "events: x\nidentity\ndata2\n"};
    for (int i = 0; i < 4; i++) {
      int rc = bytewise ? feed_bytewise(&p, ins[i], strlen(ins[i]), NULL) : feed_s(&p, ins[i]);
      CHECK_INT(rc, SSE_OK);
    }
    CHECK_INT(sse_parser_peak_buffered(&p), 0);
    CHECK_INT(feed_s(&p, "data: ok\n\n"), SSE_OK);
    CHECK_STR(str_cstr(&r.log), "E|message|ok|\n");
    sse_parser_free(&p);
    str_free(&r.log);

    /* with an on_comment callback the comment is read, and is over */
    recorder_init(&r);
    cb = recorder_callbacks(1, 0);
    sse_parser_init(&p, &cb, &r);
    sse_parser_set_limit(&p, 64);
    int rc = bytewise ? feed_bytewise(&p, comment, n + 3, NULL) : feed_s(&p, comment);
    CHECK_INT(rc, SSE_ELIMIT);
    CHECK(t_contains(sse_parser_error(&p), "would reach 65 bytes, over the limit of 64"));
    CHECK_INT(r.comments, 0);
    sse_parser_free(&p);
    str_free(&r.log);
  }
  free(comment);
  free(unknown);
  free(retry);
}

static void test_enomem(void) {
  alloc_stats st = {0};
  st.fail_all = 1;
  recorder r;
  recorder_init(&r);
  sse_callbacks cb = recorder_callbacks(1, 1);
  sse_parser p;
  sse_parser_init(&p, &cb, &r);
  sse_parser_set_allocator(&p, counting_realloc, &st);
  /* whole in the chunk: zero copy, nothing to allocate */
  CHECK_INT(feed_s(&p, "data: a\n\n: c\nretry: 5\n"), SSE_OK);
  CHECK_STR(str_cstr(&r.log), "E|message|a|\nC| c\nR|5\n");
  /* the event's data must outlive the chunk: allocation fails */
  CHECK_INT(feed_s(&p, "data: b\n"), SSE_ENOMEM);
  CHECK(t_contains(sse_parser_error(&p), "allocator returned NULL"));
  CHECK_INT(feed_s(&p, "\n"), SSE_ENOMEM);
  CHECK_INT(r.events, 1);
  CHECK_INT(sse_parser_finish(&p), SSE_ENOMEM);
  /* a partial line must be held */
  CHECK_INT(feed_s(&p, "data: c"), SSE_ENOMEM);
  CHECK_INT(sse_parser_finish(&p), SSE_ENOMEM);
  CHECK_INT(feed_s(&p, "id: 1\n"), SSE_ENOMEM);
  CHECK_INT(sse_parser_finish(&p), SSE_ENOMEM);
  /* the allocator recovers: a new stream works */
  st.fail_all = 0;
  CHECK_INT(feed_s(&p, "data: d\n"), SSE_OK);
  CHECK_INT(feed_s(&p, "\n"), SSE_OK);
  CHECK_INT(r.events, 2);
  sse_parser_free(&p);
  CHECK_INT(st.live, 0);
  str_free(&r.log);
}

/* Fail each allocation in turn: every run returns OK or ENOMEM, reports a
 * prefix of the full records, and leaks nothing. */
static void test_enomem_each_allocation(void) {
  static const char in[] = "\xEF\xBB\xBF: comment \xFF\nid: \xFF"
                           "abc\nevent: t\xFF\ndata: a\xFF\ndata: b\n\nretry: 5\n"
                           ": \xC3\n\nid: 2\ndata: c\n\ndata: xyz\n\n";
  size_t n = sizeof in - 1;
  char *full = NULL;
  long total_calls = 0;
  for (long k = 0;; k++) {
    alloc_stats st = {0};
    st.fail_at = k;
    recorder r;
    recorder_init(&r);
    sse_callbacks cb = recorder_callbacks(1, 1);
    sse_parser p;
    sse_parser_init(&p, &cb, &r);
    sse_parser_set_allocator(&p, counting_realloc, &st);
    int rc = feed_bytewise(&p, in, n, NULL);
    int frc = sse_parser_finish(&p);
    CHECK(rc == SSE_OK || rc == SSE_ENOMEM);
    CHECK_INT(frc, rc);
    const char *log = str_cstr(&r.log);
    if (k == 0) {
      CHECK_INT(rc, SSE_OK);
      full = dup(log);
      total_calls = st.calls;
      CHECK_STR(log, "C| comment \\xef\\xbf\\xbd\nE|t\\xef\\xbf\\xbd|a\\xef\\xbf\\xbd\\x0ab|"
                     "\\xef\\xbf\\xbdabc\nR|5\nC| \\xef\\xbf\\xbd\nE|message|c|2\n"
                     "E|message|xyz|2\n");
    } else {
      CHECK_INT(rc, k <= total_calls ? SSE_ENOMEM : SSE_OK);
      CHECK(strncmp(full, log, strlen(log)) == 0);
    }
    /* the parser is usable again */
    CHECK_INT(feed_s(&p, "data: again\n"), SSE_OK);
    CHECK_INT(feed_s(&p, "\n"), SSE_OK);
    CHECK(t_contains(str_cstr(&r.log), "E|message|again|"));
    sse_parser_free(&p);
    CHECK_INT(st.live, 0);
    CHECK_INT(st.bytes, 0);
    str_free(&r.log);
    if (k > total_calls) break;
  }
  CHECK(total_calls > 3);
  free(full);
}

static void test_allocation_counts(void) {
  /* No allocation per line or per byte: events whole in a chunk need none;
   * events split across chunks reuse the same buffers. */
  alloc_stats st = {0};
  recorder r;
  recorder_init(&r);
  sse_callbacks cb = recorder_callbacks(1, 1);
  sse_parser p;
  sse_parser_init(&p, &cb, &r);
  sse_parser_set_allocator(&p, counting_realloc, &st);
  str in = {0};
  for (int i = 0; i < 1000; i++) str_add(&in, "data: {\"k\":1}\n\n", 15);
  CHECK_INT(sse_parser_feed(&p, in.s, in.n), SSE_OK);
  CHECK_INT(st.calls, 0);
  CHECK_INT(r.events, 1000);
  /* split inside every event; with ids and types */
  for (int i = 0; i < 1000; i++) {
    char ev[64];
    int len = snprintf(ev, sizeof ev, "id: %d\nevent: t%d\ndata: abc\ndata: def\n\n", i, i);
    int cut = i % len;
    CHECK_INT(sse_parser_feed(&p, ev, (size_t)cut), SSE_OK);
    CHECK_INT(sse_parser_feed(&p, ev + cut, (size_t)(len - cut)), SSE_OK);
  }
  CHECK_INT(r.events, 2000);
  CHECK(st.calls <= 6); /* line, data, type, id, last id: once each */
  long before = st.calls;
  sse_parser_reset(&p); /* keeps memory */
  CHECK_INT(st.live, 5);
  CHECK_INT(feed_s(&p, "id: 1\nevent: t\ndata: a"), SSE_OK);
  CHECK_INT(feed_s(&p, "bc\n\n"), SSE_OK);
  CHECK_INT(st.calls, before);
  sse_parser_free(&p);
  CHECK_INT(st.live, 0);
  str_free(&in);
  str_free(&r.log);
}

static void test_ecallback(void) {
  static const struct {
    char kind;
    const char *in;
    const char *log;
  } cases[] = {
      {'E', "data: a\n\ndata: b\n\nid: 9\n\n", "E|message|a|\n"},
      {'C', ": x\nid: 9\n\n", "C| x\n"},
      {'R', "retry: 5\nid: 9\n\n", "R|5\n"},
  };
  for (size_t i = 0; i < 3; i++) {
    for (int bytewise = 0; bytewise <= 1; bytewise++) {
      recorder r;
      recorder_init(&r);
      r.stop_kind = cases[i].kind;
      r.stop_at = 1;
      sse_callbacks cb = recorder_callbacks(1, 1);
      sse_parser p;
      sse_parser_init(&p, &cb, &r);
      const char *in = cases[i].in;
      size_t at = 0;
      int rc = bytewise ? feed_bytewise(&p, in, strlen(in), &at) : feed_s(&p, in);
      CHECK_INT(rc, SSE_ECALLBACK);
      if (bytewise) CHECK_INT(at, strchr(in, '\n') - in + (cases[i].kind == 'E'));
      CHECK(strlen(sse_parser_error(&p)) > 0);
      /* stopped right after the callback: the id line was not read */
      CHECK_STR(str_cstr(&r.log), cases[i].log);
      CHECK_INT(feed_s(&p, "data: c\n\n"), SSE_ECALLBACK);
      CHECK_STR(str_cstr(&r.log), cases[i].log);
      CHECK_INT(sse_parser_finish(&p), SSE_ECALLBACK);
      CHECK_STR(last_id(&p), "");
      /* a new stream works (the callback now returns 0) */
      CHECK_INT(feed_s(&p, "id: 2\ndata: d\n\n"), SSE_OK);
      CHECK(t_contains(str_cstr(&r.log), "E|message|d|2\n"));
      CHECK_INT(sse_parser_finish(&p), SSE_OK);
      sse_parser_free(&p);
      str_free(&r.log);
    }
  }
}

/* ---- streams and state ---- */

static void test_finish_new_stream(void) {
  recorder r;
  recorder_init(&r);
  sse_callbacks cb = recorder_callbacks(1, 1);
  sse_parser p;
  sse_parser_init(&p, &cb, &r);
  /* stream 1: a dispatched id, a pending id and event, a partial line */
  CHECK_INT(feed_s(&p, "\xEF\xBB\xBFid: 5\n\nid: 6\nevent: e\ndata: pending\ndata: par"), SSE_OK);
  CHECK_INT(sse_parser_finish(&p), SSE_OK);
  CHECK_STR(str_cstr(&r.log), "");
  CHECK_STR(last_id(&p), "5"); /* kept; the pending id 6 was discarded */
  /* stream 2: the BOM is removed again, even one byte per feed */
  CHECK_INT(feed_s(&p, "\xEF"), SSE_OK);
  CHECK_INT(feed_s(&p, "\xBB"), SSE_OK);
  CHECK_INT(feed_s(&p, "\xBF"), SSE_OK);
  CHECK_INT(feed_s(&p, ": c\n"), SSE_OK);
  CHECK_STR(str_cstr(&r.log), "C| c\n");
  CHECK_STR(last_id(&p), "5"); /* still: nothing dispatched yet */
  /* the data and type buffers start empty; the last event ID buffer starts
   * as the last event ID string (rule C7-id-buffer), so "b" keeps "5" */
  CHECK_INT(feed_s(&p, "data: b\n\n"), SSE_OK);
  CHECK_STR(str_cstr(&r.log), "C| c\nE|message|b|5\n");
  CHECK_STR(last_id(&p), "5");
  /* an id field of the new stream replaces it, an empty one empties it */
  CHECK_INT(feed_s(&p, "id\n\n"), SSE_OK);
  CHECK_STR(last_id(&p), "");
  CHECK_INT(sse_parser_finish(&p), SSE_OK);

  /* a CR that ended stream 1 does not swallow an LF that starts stream 2 */
  CHECK_INT(feed_s(&p, "id: 7\n\ndata: a\r"), SSE_OK);
  CHECK_INT(sse_parser_finish(&p), SSE_OK);
  CHECK_STR(last_id(&p), "7");
  CHECK_INT(feed_s(&p, "\n"), SSE_OK); /* an empty line, not an LF after CR */
  CHECK_STR(last_id(&p), "7");         /* dispatch copies the buffer, still "7" */
  CHECK_INT(sse_parser_feed(&p, "id: \0x\n\n", 8), SSE_OK); /* ignored: stays "7" */
  CHECK_STR(last_id(&p), "7");
  CHECK_INT(sse_parser_finish(&p), SSE_OK);

  /* a BOM in stream 2 after stream 1 had none; a partial BOM at finish */
  CHECK_INT(feed_s(&p, "data: x\n\n\xEF\xBB"), SSE_OK);
  CHECK_INT(sse_parser_finish(&p), SSE_OK);
  CHECK_INT(feed_s(&p, "\xEF\xBB\xBF"
                       "data: y\n\n"),
            SSE_OK);
  CHECK(t_contains(str_cstr(&r.log), "E|message|x|7\nE|message|y|7\n"));
  sse_parser_free(&p);
  str_free(&r.log);
}

static void test_reset(void) {
  recorder r;
  recorder_init(&r);
  sse_callbacks cb = recorder_callbacks(1, 1);
  sse_parser p;
  sse_parser_init(&p, &cb, &r);
  CHECK_INT(feed_s(&p, "id: 5\n\ndata: partial"), SSE_OK);
  CHECK_STR(last_id(&p), "5");
  sse_parser_reset(&p);
  CHECK_STR(last_id(&p), "");
  CHECK_INT(sse_parser_peak_buffered(&p), 0);
  CHECK_STR(sse_parser_error(&p), "");
  /* the partial line is gone; a BOM is removed again */
  CHECK_INT(feed_s(&p, "\xEF\xBB\xBF\n\ndata: x\n\n"), SSE_OK);
  CHECK_STR(str_cstr(&r.log), "E|message|x|\n");
  /* reset after a failure */
  sse_parser_set_limit(&p, 8);
  CHECK_INT(feed_s(&p, "data: 12345\n"), SSE_ELIMIT);
  CHECK(strlen(sse_parser_error(&p)) > 0);
  sse_parser_reset(&p);
  CHECK_STR(sse_parser_error(&p), "");
  CHECK_INT(feed_s(&p, "data: 1\n\n"), SSE_OK); /* the limit (8) was kept */
  CHECK_INT(feed_s(&p, "data: 123\n\n"), SSE_ELIMIT);
  sse_parser_free(&p);
  /* free, then init again */
  sse_parser_init(&p, &cb, &r);
  CHECK_INT(feed_s(&p, "data: again\n\n"), SSE_OK);
  sse_parser_free(&p);
  sse_parser_free(&p); /* twice is harmless */
  CHECK(t_contains(str_cstr(&r.log), "E|message|again|\n"));
  str_free(&r.log);
}

static int only_event(void *user, const sse_event *ev) {
  (void)ev;
  ++*(int *)user;
  return 0;
}

static void test_null_callbacks(void) {
  static const char in[] = ": c\nretry: 5\nid: 3\nevent: e\ndata: d\n\n";
  sse_parser p;
  sse_parser_init(&p, NULL, NULL);
  CHECK_INT(feed_s(&p, in), SSE_OK);
  CHECK_INT(feed_bytewise(&p, in, sizeof in - 1, NULL), SSE_OK);
  CHECK_STR(last_id(&p), "3");
  CHECK_INT(sse_parser_finish(&p), SSE_OK);
  sse_parser_free(&p);

  /* some callbacks NULL */
  sse_callbacks cb = {only_event, NULL, NULL};
  int events = 0;
  sse_parser_init(&p, &cb, &events);
  CHECK_INT(feed_s(&p, in), SSE_OK);
  CHECK_INT(events, 1);
  sse_parser_free(&p);

  /* the callbacks are copied at init */
  sse_callbacks *heap = malloc(sizeof *heap);
  *heap = cb;
  sse_parser_init(&p, heap, &events);
  free(heap);
  CHECK_INT(feed_s(&p, in), SSE_OK);
  CHECK_INT(events, 2);
  sse_parser_free(&p);
}

static void test_peak(void) {
  sse_parser p;
  sse_parser_init(&p, NULL, NULL);
  CHECK_INT(sse_parser_peak_buffered(&p), 0);
  CHECK_INT(feed_s(&p, "data: abc\n\n"), SSE_OK); /* a 9-byte line */
  CHECK_INT(sse_parser_peak_buffered(&p), 9);
  sse_parser_reset(&p);
  /* "id: 12" (6) then 2 + 2 held; "data: x" is 7 on top: 11 */
  static const char in[] = "id: 12\n\ndata: x\n\n";
  CHECK_INT(feed_s(&p, in), SSE_OK);
  CHECK_INT(sse_parser_peak_buffered(&p), 11);
  sse_parser_reset(&p);
  CHECK_INT(feed_bytewise(&p, in, sizeof in - 1, NULL), SSE_OK);
  CHECK_INT(sse_parser_peak_buffered(&p), 11);
  /* the peak stays after the bytes are gone, and across finish */
  CHECK_INT(sse_parser_finish(&p), SSE_OK);
  CHECK_INT(sse_parser_peak_buffered(&p), 11);
  /* data lines add up: 2 bytes held per value; the fourth 7-byte line is
   * read on top of 6 */
  sse_parser_reset(&p);
  CHECK_INT(feed_s(&p, "data: a\ndata: b\ndata: c\ndata: d\n\n"), SSE_OK);
  CHECK_INT(sse_parser_peak_buffered(&p), 13);
  /* decoded sizes: one invalid byte is 3 bytes of U+FFFD */
  sse_parser_reset(&p);
  CHECK_INT(feed_s(&p, "event:\xFF\xFF\xFF\xFF\n"), SSE_OK); /* line 10, type 12 */
  CHECK_INT(sse_parser_peak_buffered(&p), 12);
  sse_parser_free(&p);
}

static void test_zero_copy(void) {
  recorder r;
  recorder_init(&r);
  sse_callbacks cb = recorder_callbacks(1, 1);
  sse_parser p;
  sse_parser_init(&p, &cb, &r);
  static const char whole[] = "data: hello\n\n";
  CHECK_INT(feed_s(&p, whole), SSE_OK);
  CHECK(r.last_data == whole + 6);
  CHECK_INT(r.last_data_len, 5);
  /* split: the data outlives the chunk, so it was copied */
  static const char part1[] = "data: hello\n", part2[] = "\n";
  CHECK_INT(feed_s(&p, part1), SSE_OK);
  CHECK_INT(feed_s(&p, part2), SSE_OK);
  CHECK(r.last_data != part1 + 6);
  CHECK_INT(r.last_data_len, 5);
  CHECK_STR(str_cstr(&r.log), "E|message|hello|\nE|message|hello|\n");
  sse_parser_free(&p);
  str_free(&r.log);
}

static void test_large_event(void) {
  /* a 1 MB multi-line event fed in random chunks */
  size_t n = 1 << 20;
  str in = {0}, want = {0};
  unsigned seed = 12345;
  for (size_t i = 0; in.n < n; i++) {
    str_add(&in, "data: ", 6);
    for (int j = 0; j < 100; j++) {
      seed = seed * 1103515245u + 12345u;
      char c = (char)('a' + (seed >> 16) % 26);
      str_add(&in, &c, 1);
      str_add(&want, &c, 1);
    }
    str_add(&in, i % 3 == 0 ? "\r\n" : i % 3 == 1 ? "\n" : "\r", i % 3 == 0 ? 2 : 1);
    str_add(&want, "\n", 1);
  }
  str_add(&in, "\n\n", 2);
  want.n--; /* the one trailing LF is removed */
  recorder r;
  recorder_init(&r);
  sse_callbacks cb = recorder_callbacks(1, 1);
  sse_parser p;
  sse_parser_init(&p, &cb, &r);
  size_t at = 0;
  while (at < in.n) {
    seed = seed * 1103515245u + 12345u;
    size_t len = (seed >> 8) % 5000;
    if (len > in.n - at) len = in.n - at;
    CHECK_INT(sse_parser_feed(&p, in.s + at, len), SSE_OK);
    at += len;
  }
  CHECK_INT(r.events, 1);
  CHECK_INT(r.last_data_len, want.n);
  str expected = {0};
  str_add(&expected, "E|message|", 10);
  str_esc(&expected, want.s, want.n);
  str_add(&expected, "|\n", 2);
  CHECK(strcmp(str_cstr(&r.log), str_cstr(&expected)) == 0);
  str_free(&expected);
  str_free(&r.log);
  sse_parser_free(&p);
  CHECK(want.n > n / 2);
  str_free(&in);
  str_free(&want);
}

static void test_strerror(void) {
  const int codes[] = {SSE_OK, SSE_ELIMIT, SSE_ENOMEM, SSE_ECALLBACK, SSE_EINVAL};
  for (int i = 0; i < 5; i++) {
    CHECK(strlen(sse_strerror(codes[i])) > 0);
    for (int j = 0; j < i; j++) CHECK(strcmp(sse_strerror(codes[i]), sse_strerror(codes[j])) != 0);
  }
  CHECK(strlen(sse_strerror(42)) > 0);
  CHECK(strlen(sse_strerror(-42)) > 0);
  CHECK(strcmp(SSE_VERSION, "1.0.0") == 0);
}

int main(void) {
  int k = t_kernel_env();
  if (k) return k;
  test_einval();
  test_elimit_line();
  test_elimit_default();
  test_elimit_fields();
  test_ignored_lines_not_counted();
  test_enomem();
  test_enomem_each_allocation();
  test_allocation_counts();
  test_ecallback();
  test_finish_new_stream();
  test_reset();
  test_null_callbacks();
  test_peak();
  test_zero_copy();
  test_large_event();
  test_strerror();
  return t_done("test_api");
}
