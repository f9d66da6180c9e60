/*
 * test_records_json.c - the adapter protocols' records of
 * common/records_json.h, byte for byte: every kind, with and without a
 * stream tag, key order, escaping (NUL, quote, backslash, ill-formed
 * UTF-8), the retry and readyState ranges, records as array items (commas)
 * and the writer's sticky errors. The expected bytes are those the
 * reference tools wrote before the records had one writer.
 */
#include "check.h"
#include "common/records_json.h"

#include <stdint.h>
#include <string.h>

#define S(lit) lit, sizeof lit - 1

static const rj_stream k_tag = {"s-1", 3};

/* The writer's whole output is want and its status JW_OK. */
static void expect(jw *w, int rc, const char *want, int line) {
  check_count++;
  if (rc != JW_OK || w->err != JW_OK || w->len != strlen(want) ||
      memcmp(w->buf, want, w->len) != 0) {
    check_failures++;
    fprintf(stderr, "test_records_json.c:%d: rc %d, err %d\n", line, rc, w->err);
    check_dump("  got ", w->buf, w->len);
    check_dump("  want", want, strlen(want));
  }
  jw_clear(w);
}

#define EXPECT(call, want) expect(&w, (call), want, __LINE__)

static void test_parser_records(void) {
  jw w;
  jw_init(&w, 0);
  EXPECT(rj_event(&w, RJ_NO_STREAM, S("message"), S("a"), S("")),
         "{\"kind\":\"event\",\"type\":\"message\",\"data\":\"a\",\"lastEventId\":\"\"}");
  EXPECT(rj_event(&w, RJ_NO_STREAM, S("foo"), S("x\ny"), S("42")),
         "{\"kind\":\"event\",\"type\":\"foo\",\"data\":\"x\\u000ay\",\"lastEventId\":\"42\"}");
  EXPECT(rj_event(&w, RJ_NO_STREAM, S("t"), S("a\0b\"q\" \\ \xFF"), S("i\0d")),
         "{\"kind\":\"event\",\"type\":\"t\",\"data\":\"a\\u0000b\\\"q\\\" \\\\ \xEF\xBF\xBD\","
         "\"lastEventId\":\"i\\u0000d\"}");
  EXPECT(rj_retry(&w, RJ_NO_STREAM, 1000), "{\"kind\":\"retry\",\"ms\":1000}");
  EXPECT(rj_retry(&w, RJ_NO_STREAM, 0), "{\"kind\":\"retry\",\"ms\":0}");
  EXPECT(rj_retry(&w, RJ_NO_STREAM, UINT64_MAX),
         "{\"kind\":\"retry\",\"ms\":18446744073709551615}");
  EXPECT(rj_comment(&w, RJ_NO_STREAM, S(" c")), "{\"kind\":\"comment\",\"text\":\" c\"}");
  EXPECT(rj_comment(&w, RJ_NO_STREAM, S("")), "{\"kind\":\"comment\",\"text\":\"\"}");
  EXPECT(rj_end(&w, RJ_NO_STREAM, S("")), "{\"kind\":\"end\",\"lastEventId\":\"\"}");
  EXPECT(rj_end(&w, RJ_NO_STREAM, S("\xC3\xA9")),
         "{\"kind\":\"end\",\"lastEventId\":\"\xC3\xA9\"}");
  /* an ill-formed sequence is replaced and counted */
  CHECK(rj_comment(&w, RJ_NO_STREAM, S("\xE2\x82")) == JW_OK);
  CHECK(w.replaced == 1);
  jw_free(&w);
}

static void test_client_records(void) {
  jw w;
  jw_init(&w, 0);
  EXPECT(rj_open(&w, RJ_NO_STREAM), "{\"kind\":\"open\"}");
  EXPECT(rj_open(&w, k_tag), "{\"stream\":\"s-1\",\"kind\":\"open\"}");
  EXPECT(rj_event(&w, k_tag, S("message"), S("d"), S("7")),
         "{\"stream\":\"s-1\",\"kind\":\"event\",\"type\":\"message\",\"data\":\"d\","
         "\"lastEventId\":\"7\"}");
  EXPECT(rj_error(&w, RJ_NO_STREAM, 0), "{\"kind\":\"error\",\"readyState\":0}");
  EXPECT(rj_error(&w, k_tag, 2), "{\"stream\":\"s-1\",\"kind\":\"error\",\"readyState\":2}");
  EXPECT(rj_error(&w, k_tag, -1), "{\"stream\":\"s-1\",\"kind\":\"error\",\"readyState\":-1}");
  EXPECT(rj_closed(&w, k_tag), "{\"stream\":\"s-1\",\"kind\":\"closed\"}");
  EXPECT(rj_closed(&w, RJ_NO_STREAM), "{\"kind\":\"closed\"}");
  EXPECT(rj_failure(&w, k_tag, "stream \"x\" is already open"),
         "{\"stream\":\"s-1\",\"kind\":\"failure\",\"message\":\"stream \\\"x\\\" is already "
         "open\"}");
  EXPECT(rj_failure(&w, RJ_NO_STREAM, ""), "{\"kind\":\"failure\",\"message\":\"\"}");
  /* a stream id is text like any other: escaped, NUL included; an empty
   * one is still written */
  rj_stream odd = {"a\0\"", 3};
  EXPECT(rj_open(&w, odd), "{\"stream\":\"a\\u0000\\\"\",\"kind\":\"open\"}");
  rj_stream empty = {"", 0};
  EXPECT(rj_closed(&w, empty), "{\"stream\":\"\",\"kind\":\"closed\"}");
  jw_free(&w);
}

/* Records as items of an array and as a member's value, as the parser
 * adapter's response holds them. */
static void test_in_structures(void) {
  jw w;
  jw_init(&w, 0);
  jw_object_begin(&w);
  jw_key(&w, "case");
  jw_string(&w, S("c"));
  jw_key(&w, "records");
  jw_array_begin(&w);
  rj_retry(&w, RJ_NO_STREAM, 5);
  rj_comment(&w, RJ_NO_STREAM, S("x"));
  rj_end(&w, RJ_NO_STREAM, S("1"));
  jw_array_end(&w);
  EXPECT(jw_object_end(&w),
         "{\"case\":\"c\",\"records\":[{\"kind\":\"retry\",\"ms\":5},{\"kind\":\"comment\","
         "\"text\":\"x\"},{\"kind\":\"end\",\"lastEventId\":\"1\"}]}");
  /* one after the other at the top level, separated by the caller's line
   * ends */
  rj_open(&w, RJ_NO_STREAM);
  jw_raw(&w, "\n", 1);
  rj_closed(&w, RJ_NO_STREAM);
  EXPECT(jw_raw(&w, "\n", 1), "{\"kind\":\"open\"}\n{\"kind\":\"closed\"}\n");
  jw_free(&w);
}

/* The writer's limit: the status is the sticky error, and stays. */
static void test_errors(void) {
  jw w;
  jw_init(&w, 20);
  CHECK(rj_event(&w, RJ_NO_STREAM, S("message"), S("a"), S("")) == JW_ELIMIT);
  CHECK(rj_open(&w, RJ_NO_STREAM) == JW_ELIMIT);
  CHECK(w.err == JW_ELIMIT);
  jw_clear(&w);
  CHECK(rj_open(&w, RJ_NO_STREAM) == JW_OK);
  jw_free(&w);
  /* a record where a key is due is a usage error */
  jw_init(&w, 0);
  jw_object_begin(&w);
  CHECK(rj_closed(&w, RJ_NO_STREAM) == JW_EUSAGE);
  jw_free(&w);
}

int main(void) {
  test_parser_records();
  test_client_records();
  test_in_structures();
  test_errors();
  return check_report("test_records_json");
}
