/*
 * test_encode.c - the reference encoder (encoder/sse_encode.h): exact bytes
 * for the cases the header documents, round trips through the reference
 * parser (parse(encode(m)) gives m back, CR and CRLF as LF) for many
 * values alone, combined and as one long stream, 1 MiB values, retry at
 * its edges, every refusal with its field, reason and offset, bad
 * arguments, and a buffer that is too small.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "roundtrip.h"
#include "values.h"

static sse_message event(tv data) {
  sse_message m = {0};
  m.kind = SSE_MSG_EVENT;
  m.data = data.s;
  m.data_len = data.n;
  return m;
}

static sse_message comment(tv text) {
  sse_message m = {0};
  m.kind = SSE_MSG_COMMENT;
  m.comment = text.s;
  m.comment_len = text.n;
  return m;
}

static sse_message retry(uint64_t ms) {
  sse_message m = {0};
  m.kind = SSE_MSG_RETRY;
  m.retry = ms;
  return m;
}

/* The encoding of m, which must be accepted, compared with want. */
static void check_bytes(const sse_message *m, const char *want, size_t want_len) {
  char out[512];
  size_t len = 12345, size = 0;
  sse_encode_error err;
  CHECK(sse_encoded_size(m, &size, &err) == SSE_ENC_OK);
  CHECK(size == want_len);
  CHECK(sse_encode(m, out, sizeof out, &len, &err) == SSE_ENC_OK);
  CHECK(err.code == SSE_ENC_OK && err.message[0] == '\0' && err.field == SSE_FIELD_NONE);
  CHECK_MEM(out, len, want, want_len);
}

#define BYTES(m, lit) check_bytes(&(m), (lit), sizeof(lit) - 1)

static void test_exact_bytes(void) {
  sse_message m = event((tv)TV("x"));
  BYTES(m, "data: x\n\n");
  m = event((tv)TV(""));
  BYTES(m, "data:\n\n");
  m = event((tv){NULL, 0});
  BYTES(m, "data:\n\n");
  m = event((tv)TV("x\n"));
  BYTES(m, "data: x\ndata:\n\n");
  m = event((tv)TV("\n"));
  BYTES(m, "data:\ndata:\n\n");
  m = event((tv)TV("a\r\nb\rc\nd\n\re"));
  BYTES(m, "data: a\ndata: b\ndata: c\ndata: d\ndata:\ndata: e\n\n");
  m = event((tv)TV("  two"));
  BYTES(m, "data:   two\n\n");
  m = event((tv)TV("x\revent: evil"));
  BYTES(m, "data: x\ndata: event: evil\n\n");

  m = event((tv)TV("d"));
  m.event = "t";
  m.event_len = 1;
  m.id = "7";
  m.id_len = 1;
  m.has_retry = 1;
  m.retry = 0;
  BYTES(m, "event: t\nid: 7\nretry: 0\ndata: d\n\n");
  m.event = "";
  m.event_len = 0;
  m.id = "";
  m.id_len = 0;
  m.has_retry = 0;
  m.retry = 99; /* not read without has_retry */
  BYTES(m, "id:\ndata: d\n\n");
  m.id = " 1";
  m.id_len = 2;
  BYTES(m, "id:  1\ndata: d\n\n");
  m.id = NULL;
  m.id_len = 0;
  m.event = ":";
  m.event_len = 1;
  BYTES(m, "event: :\ndata: d\n\n");

  m = comment((tv)TV("keep-alive"));
  BYTES(m, ":keep-alive\n");
  m = comment((tv)TV(" keep-alive"));
  BYTES(m, ": keep-alive\n");
  m = comment((tv)TV(""));
  BYTES(m, ":\n");
  m = comment((tv){NULL, 0});
  BYTES(m, ":\n");
  m = comment((tv)TV("a\r\nb\rc\n"));
  BYTES(m, ":a\n:b\n:c\n:\n");

  m = retry(0);
  BYTES(m, "retry: 0\n");
  m = retry(1500);
  BYTES(m, "retry: 1500\n");
  m = retry(UINT64_MAX);
  BYTES(m, "retry: 18446744073709551615\n");
  m = event((tv)TV("x"));
  m.has_retry = 1;
  m.retry = UINT64_MAX;
  BYTES(m, "retry: 18446744073709551615\ndata: x\n\n");

  /* NUL is carried in data, comments and event types */
  m = event((tv)TV("a\0b"));
  BYTES(m, "data: a\0b\n\n");
  m = comment((tv)TV("\0"));
  BYTES(m, ":\0\n");
  m = event((tv)TV("x"));
  m.event = "\0";
  m.event_len = 1;
  BYTES(m, "event: \0\ndata: x\n\n");
}

/* ---- round trips ---- */

static void test_round_trips_alone(void) {
  char name[64];
  const tv *lists[] = {k_breaking, k_plain, k_nul};
  const size_t counts[] = {COUNT(k_breaking), COUNT(k_plain), COUNT(k_nul)};
  for (size_t l = 0; l < 3; l++) {
    for (size_t i = 0; i < counts[l]; i++) {
      sse_message m = event(lists[l][i]);
      snprintf(name, sizeof name, "data list %zu value %zu", l, i);
      round_trip(name, &m, 1);
      m = comment(lists[l][i]);
      snprintf(name, sizeof name, "comment list %zu value %zu", l, i);
      round_trip(name, &m, 1);
      if (l == 0) continue; /* an event type with a line break is refused */
      m = event((tv)TV("d"));
      m.event = lists[l][i].s;
      m.event_len = lists[l][i].n;
      snprintf(name, sizeof name, "event type list %zu value %zu", l, i);
      round_trip(name, &m, 1);
      if (l == 2) continue; /* an id with NUL is refused */
      m = event((tv)TV("d"));
      m.id = lists[l][i].s;
      m.id_len = lists[l][i].n;
      snprintf(name, sizeof name, "id list %zu value %zu", l, i);
      round_trip(name, &m, 1);
    }
  }
}

/* Every data value with a few event types, ids and retries, each alone and
 * after an event that set an id (which an event without id keeps). */
static void test_round_trips_combined(void) {
  static const tv types[] = {TV(""), TV("message"), TV(" t"), TV("data"), TV("\xEF\xBB\xBF")};
  static const tv ids[] = {TV(""), TV("1"), TV(" id "), TV("\xE2\x80\xA8")};
  char name[96];
  size_t n = 0;
  for (size_t d = 0; d < COUNT(k_breaking) + COUNT(k_plain); d++) {
    tv data = d < COUNT(k_breaking) ? k_breaking[d] : k_plain[d - COUNT(k_breaking)];
    for (size_t t = 0; t < COUNT(types); t++) {
      for (size_t i = 0; i <= COUNT(ids); i++) {
        for (int r = 0; r < 2; r++) {
          sse_message m[2];
          m[0] = event((tv)TV("first"));
          m[0].id = "before";
          m[0].id_len = 6;
          m[1] = event(data);
          m[1].event = types[t].s;
          m[1].event_len = types[t].n;
          if (i < COUNT(ids)) {
            m[1].id = ids[i].s;
            m[1].id_len = ids[i].n;
          }
          m[1].has_retry = r;
          m[1].retry = r ? 3000 : 0;
          snprintf(name, sizeof name, "combined d=%zu t=%zu i=%zu r=%d", d, t, i, r);
          round_trip(name, &m[1], 1);
          round_trip(name, m, 2);
          n++;
        }
      }
    }
  }
  CHECK(n > 1000);
}

/* Every message of the other tests in one stream: nothing leaks from one
 * message into the next. */
static void test_one_long_stream(void) {
  size_t cap = 4 * (COUNT(k_breaking) + COUNT(k_plain) + COUNT(k_nul)) + 8, n = 0;
  sse_message *m = calloc(cap, sizeof *m);
  if (!m) abort();
  for (size_t i = 0; i < COUNT(k_breaking); i++) {
    m[n++] = event(k_breaking[i]);
    m[n++] = comment(k_breaking[i]);
  }
  for (size_t i = 0; i < COUNT(k_plain); i++) {
    m[n] = event(k_plain[i]);
    m[n].event = k_plain[i].s;
    m[n].event_len = k_plain[i].n;
    if (i % 3 != 2) {
      m[n].id = k_plain[i].s;
      m[n].id_len = k_plain[i].n;
    }
    n++;
    m[n++] = comment(k_plain[i]);
    m[n++] = retry(i);
  }
  for (size_t i = 0; i < COUNT(k_nul); i++) {
    m[n++] = event(k_nul[i]);
    m[n++] = comment(k_nul[i]);
  }
  m[n++] = retry(UINT64_MAX);
  CHECK(n <= cap);
  round_trip("one long stream", m, n);
  free(m);
}

/* 1 MiB values: data and comments full of line breaks of every kind and
 * multi-byte characters, an event type and an id without breaks. */
static void test_big_values(void) {
  static const char pattern[] = "ab \r\n:c\xE2\x80\xA8\n\r\rdata: x\n\0\xF0\x9F\x98\x80 ";
  static const char plain[] = "event:\xC3\xA9 \0id: \xEF\xBB\xBF:";
  size_t big = (size_t)1 << 20;
  char *a = malloc(big), *b = malloc(big);
  if (!a || !b) abort();
  size_t na = 0, nb = 0;
  while (na + sizeof pattern - 1 <= big) {
    memcpy(a + na, pattern, sizeof pattern - 1);
    na += sizeof pattern - 1;
  }
  while (nb + sizeof plain - 1 <= big) {
    memcpy(b + nb, plain, sizeof plain - 1);
    nb += sizeof plain - 1;
  }
  sse_message m[3];
  m[0] = event((tv){a, na});
  m[0].event = b;
  m[0].event_len = nb;
  m[1] = comment((tv){a, na});
  m[2] = event((tv){b, nb});
  m[2].id = "i";
  m[2].id_len = 1;
  round_trip("1 MiB data, event type and comment", m, 3);
  /* an id of 1 MiB, all data line breaks */
  memset(a, '\n', big);
  m[0] = event((tv){a, big});
  memset(b, 'i', big);
  m[0].id = b;
  m[0].id_len = big;
  round_trip("1 MiB id, 1 Mi line breaks of data", m, 1);
  size_t size = 0;
  CHECK(sse_encoded_size(&m[0], &size, NULL) == SSE_ENC_OK);
  CHECK(size == 4 + big + 1 + 6 * (big + 1) + 1);
  free(a);
  free(b);
}

static void test_retry_edges(void) {
  static const uint64_t values[] = {
      0, 1, 9, 10, 1000, UINT32_MAX, (uint64_t)UINT32_MAX + 1, UINT64_MAX - 1, UINT64_MAX};
  for (size_t i = 0; i < COUNT(values); i++) {
    sse_message m[2];
    m[0] = retry(values[i]);
    m[1] = event((tv)TV("x"));
    m[1].has_retry = 1;
    m[1].retry = values[i];
    round_trip("retry", m, 2);
  }
}

/* ---- refusals ---- */

/* m must be refused for field f, reason r, at byte at; nothing written. */
static void check_refused(const sse_message *m, sse_encode_field f, sse_encode_reason r,
                          size_t at) {
  char out[64];
  size_t len = 99, size = 99;
  sse_encode_error err;
  memset(out, 'Z', sizeof out);
  CHECK(sse_encode(m, out, sizeof out, &len, &err) == SSE_ENC_EREFUSED);
  CHECK(len == 0);
  CHECK(err.code == SSE_ENC_EREFUSED);
  CHECK(err.field == f);
  CHECK(err.reason == r);
  CHECK(err.offset == at);
  for (size_t i = 0; i < sizeof out; i++) CHECK(out[i] == 'Z');
  /* the message names the field and the byte */
  const char *label = f == SSE_FIELD_EVENT ? "event type" : sse_encode_field_name(f);
  char where[48];
  snprintf(where, sizeof where, "at byte %zu", at);
  CHECK(strncmp(err.message, label, strlen(label)) == 0);
  CHECK(strstr(err.message, where) != NULL);
  if (r == SSE_REASON_LINE_BREAK) CHECK(strstr(err.message, "line break") != NULL);
  if (r == SSE_REASON_NUL) CHECK(strstr(err.message, "U+0000") != NULL);
  if (r == SSE_REASON_UTF8) CHECK(strstr(err.message, "UTF-8") != NULL);
  memset(&err, 0, sizeof err);
  CHECK(sse_encoded_size(m, &size, &err) == SSE_ENC_EREFUSED);
  CHECK(size == 0 && err.field == f && err.reason == r && err.offset == at);
}

static size_t first_break(tv v) {
  for (size_t i = 0; i < v.n; i++)
    if (v.s[i] == '\r' || v.s[i] == '\n') return i;
  return v.n;
}

static void test_refusals(void) {
  sse_message m;
  for (size_t i = 0; i < COUNT(k_breaking); i++) {
    size_t at = first_break(k_breaking[i]);
    m = event((tv)TV("d"));
    m.event = k_breaking[i].s;
    m.event_len = k_breaking[i].n;
    check_refused(&m, SSE_FIELD_EVENT, SSE_REASON_LINE_BREAK, at);
    m = event((tv)TV("d"));
    m.id = k_breaking[i].s;
    m.id_len = k_breaking[i].n;
    /* a NUL before the first break is found first */
    size_t nul = memchr(m.id, 0, m.id_len)
                     ? (size_t)((const char *)memchr(m.id, 0, m.id_len) - m.id)
                     : m.id_len;
    if (nul < at)
      check_refused(&m, SSE_FIELD_ID, SSE_REASON_NUL, nul);
    else
      check_refused(&m, SSE_FIELD_ID, SSE_REASON_LINE_BREAK, at);
  }
  for (size_t i = 0; i < COUNT(k_nul); i++) {
    m = event((tv)TV("d"));
    m.id = k_nul[i].s;
    m.id_len = k_nul[i].n;
    check_refused(&m, SSE_FIELD_ID, SSE_REASON_NUL,
                  (size_t)((const char *)memchr(m.id, 0, m.id_len) - m.id));
  }
  for (size_t i = 0; i < COUNT(k_bad_utf8); i++) {
    tv v = k_bad_utf8[i].v;
    size_t at = k_bad_utf8[i].at;
    m = event(v);
    check_refused(&m, SSE_FIELD_DATA, SSE_REASON_UTF8, at);
    m = comment(v);
    check_refused(&m, SSE_FIELD_COMMENT, SSE_REASON_UTF8, at);
    m = event((tv)TV("d"));
    m.event = v.s;
    m.event_len = v.n;
    check_refused(&m, SSE_FIELD_EVENT, SSE_REASON_UTF8, at);
    m = event((tv)TV("d"));
    m.id = v.s;
    m.id_len = v.n;
    check_refused(&m, SSE_FIELD_ID, SSE_REASON_UTF8, at);
  }
  /* the first fault in a value, and the first field in the order event
   * type, id, data */
  m = event((tv)TV("\xFF"));
  m.event = "ok\xC0\n";
  m.event_len = 4;
  check_refused(&m, SSE_FIELD_EVENT, SSE_REASON_UTF8, 2);
  m.event = "ok\n\xC0";
  check_refused(&m, SSE_FIELD_EVENT, SSE_REASON_LINE_BREAK, 2);
  m.event = "ok";
  m.event_len = 2;
  m.id = "1\r\0";
  m.id_len = 3;
  check_refused(&m, SSE_FIELD_ID, SSE_REASON_LINE_BREAK, 1);
  m.id = "1";
  m.id_len = 1;
  check_refused(&m, SSE_FIELD_DATA, SSE_REASON_UTF8, 0);
  /* the classic injection, refused in event and id, carried in data */
  m = event((tv)TV("x"));
  m.event = "x\r\nevent: evil";
  m.event_len = strlen(m.event);
  check_refused(&m, SSE_FIELD_EVENT, SSE_REASON_LINE_BREAK, 1);
  m = event((tv)TV("x"));
  m.id = "1\n\ndata: forged";
  m.id_len = strlen(m.id);
  check_refused(&m, SSE_FIELD_ID, SSE_REASON_LINE_BREAK, 1);
  /* the message in full, once */
  sse_encode_error err;
  m = event((tv)TV("x"));
  m.id = "a\0";
  m.id_len = 2;
  CHECK(sse_encode(&m, NULL, 0, NULL, &err) == SSE_ENC_EREFUSED);
  CHECK_STR(err.message, "id holds U+0000 NULL at byte 1: a client ignores an id field holding it");
  /* err may be NULL */
  CHECK(sse_encode(&m, NULL, 0, NULL, NULL) == SSE_ENC_EREFUSED);
}

/* ---- bad arguments ---- */

static void check_einval(const sse_message *m, const char *words) {
  sse_encode_error err;
  size_t len = 7;
  char out[64];
  CHECK(sse_encode(m, out, sizeof out, &len, &err) == SSE_ENC_EINVAL);
  CHECK(len == 0 && err.code == SSE_ENC_EINVAL && err.reason == SSE_REASON_ARGUMENT);
  if (!strstr(err.message, words)) {
    fprintf(stderr, "EINVAL message \"%s\" does not say \"%s\"\n", err.message, words);
    CHECK(0);
  }
  CHECK(sse_encoded_size(m, NULL, &err) == SSE_ENC_EINVAL);
}

static void test_einval(void) {
  sse_message m;
  check_einval(NULL, "no message");
  m = event((tv){NULL, 3});
  check_einval(&m, "data: NULL pointer with a length of 3");
  m = event((tv)TV("x"));
  m.event_len = 1;
  check_einval(&m, "event: NULL pointer");
  m = event((tv)TV("x"));
  m.id_len = 2;
  check_einval(&m, "id: NULL pointer");
  m = event((tv)TV("x"));
  m.comment = "c";
  m.comment_len = 1;
  check_einval(&m, "an event message has a comment member");
  m = comment((tv)TV("c"));
  m.data = "d";
  m.data_len = 1;
  check_einval(&m, "a comment message has a data member");
  m = comment((tv)TV("c"));
  m.has_retry = 1;
  check_einval(&m, "a comment message has a retry member");
  m = retry(5);
  m.id = "";
  check_einval(&m, "a retry message has a id member");
  m = retry(5);
  m.kind = (sse_message_kind)7;
  check_einval(&m, "unknown message kind 7");
  m = retry(5);
  sse_encode_error err;
  CHECK(sse_encode(&m, NULL, 5, NULL, &err) == SSE_ENC_EINVAL);
  CHECK(strstr(err.message, "NULL output buffer") != NULL);
  CHECK_STR(sse_encode_strerror(SSE_ENC_EINVAL), "invalid argument");
  CHECK_STR(sse_encode_strerror(SSE_ENC_OK), "ok");
  CHECK_STR(sse_encode_strerror(42), "unknown code");
  CHECK_STR(sse_encode_field_name(SSE_FIELD_NONE), "");
  CHECK_STR(sse_encode_field_name(SSE_FIELD_RETRY), "retry");
}

/* ---- a buffer too small ---- */

static void test_too_small(void) {
  sse_message ms[4];
  ms[0] = event((tv)TV("a\r\nb\n"));
  ms[0].event = "t";
  ms[0].event_len = 1;
  ms[0].id = "";
  ms[1] = comment((tv)TV("x\ny"));
  ms[2] = retry(UINT64_MAX);
  ms[3] = event((tv){NULL, 0});
  for (size_t k = 0; k < COUNT(ms); k++) {
    size_t size = 0;
    char out[128], want[128];
    CHECK(sse_encoded_size(&ms[k], &size, NULL) == SSE_ENC_OK);
    CHECK(size > 0 && size < sizeof out);
    size_t len;
    CHECK(sse_encode(&ms[k], want, size, &len, NULL) == SSE_ENC_OK && len == size);
    for (size_t cap = 0; cap < size; cap++) {
      sse_encode_error err;
      memset(out, 'Z', sizeof out);
      len = 0;
      CHECK(sse_encode(&ms[k], cap ? out : NULL, cap, &len, &err) == SSE_ENC_ESPACE);
      CHECK(len == size && err.needed == size && err.code == SSE_ENC_ESPACE);
      CHECK(err.reason == SSE_REASON_SPACE && err.field == SSE_FIELD_NONE);
      CHECK(strstr(err.message, "needs") != NULL);
      for (size_t i = 0; i < sizeof out; i++) CHECK(out[i] == 'Z');
    }
    /* exactly the size, and more: nothing past the encoding is touched */
    memset(out, 'Z', sizeof out);
    CHECK(sse_encode(&ms[k], out, sizeof out, &len, NULL) == SSE_ENC_OK && len == size);
    CHECK_MEM(out, len, want, size);
    for (size_t i = size; i < sizeof out; i++) CHECK(out[i] == 'Z');
  }
}

int main(void) {
  test_exact_bytes();
  test_round_trips_alone();
  test_round_trips_combined();
  test_one_long_stream();
  test_big_values();
  test_retry_edges();
  test_refusals();
  test_einval();
  test_too_small();
  if (rt_failures) {
    fprintf(stderr, "%d round trips failed\n", rt_failures);
    check_failures += rt_failures;
  }
  return check_report("test_encode");
}
