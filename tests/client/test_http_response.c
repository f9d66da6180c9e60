/*
 * test_http_response.c - unit tests of the client's HTTP/1.x response
 * parser (client/http_response.h): status lines, header fields, folding,
 * Content-Type extraction, framing, chunked decoding, limits, and the same
 * results however the input is split.
 */
#include "http_response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static int checks;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    checks++;                                                                                      \
    if (!(cond)) {                                                                                 \
      failures++;                                                                                  \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                     \
    }                                                                                              \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
  do {                                                                                             \
    long long a_ = (long long)(a), b_ = (long long)(b);                                            \
    checks++;                                                                                      \
    if (a_ != b_) {                                                                                \
      failures++;                                                                                  \
      fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, a_, b_);       \
    }                                                                                              \
  } while (0)

/* What one run over an input gives. */
typedef struct result {
  int final;  /* HR_DONE, a failure, or HR_AGAIN if neither came */
  int heads;  /* HR_HEAD events */
  int status; /* of the final head */
  int framing;
  unsigned interim;
  char ctype_ok; /* the MIME type is text/event-stream */
  char *body;
  size_t body_len;
  size_t unread; /* input bytes after the end of the response */
  char message[200];
} result;

static void result_free(result *r) {
  free(r->body);
  memset(r, 0, sizeof *r);
}

static int same(const result *a, const result *b) {
  return a->final == b->final && a->heads == b->heads && a->status == b->status &&
         a->framing == b->framing && a->interim == b->interim && a->ctype_ok == b->ctype_ok &&
         a->body_len == b->body_len && a->unread == b->unread &&
         (a->body_len == 0 || memcmp(a->body, b->body, a->body_len) == 0) &&
         strcmp(a->message, b->message) == 0;
}

/* Feed in[0..n) in pieces ending at the given cuts, then (if eof) signal
 * the end of the connection. */
static void run_cuts(const char *in, size_t n, const size_t *cuts, size_t ncuts, int eof,
                     size_t head_limit, result *r) {
  memset(r, 0, sizeof *r);
  r->final = HR_AGAIN;
  hr_parser p;
  hr_init(&p, head_limit);
  size_t start = 0;
  int stop = 0;
  for (size_t k = 0; k <= ncuts && !stop; k++) {
    size_t end = k < ncuts ? cuts[k] : n;
    const char *buf = in + start;
    size_t len = end - start;
    start = end;
    for (;;) {
      size_t used = 0;
      const char *d = NULL;
      size_t dl = 0;
      int rc = hr_step(&p, buf, len, &used, &d, &dl);
      if (used > len) {
        fprintf(stderr, "used %zu > len %zu\n", used, len);
        failures++;
        used = len;
      }
      buf += used;
      len -= used;
      if (rc == HR_AGAIN) {
        if (len != 0) {
          fprintf(stderr, "HR_AGAIN with %zu bytes unused\n", len);
          failures++;
        }
        break;
      }
      if (rc == HR_HEAD) {
        const hr_head *h = hr_get_head(&p);
        r->heads++;
        r->status = h->status;
        r->framing = (int)h->framing;
        r->interim = h->interim;
        r->ctype_ok = (char)hr_mime_essence_is(h, "text/event-stream");
      } else if (rc == HR_BODY) {
        if (dl == 0 || d != buf - dl) {
          fprintf(stderr, "HR_BODY span is not the bytes just used\n");
          failures++;
        }
        r->body = realloc(r->body, r->body_len + dl + 1);
        memcpy(r->body + r->body_len, d, dl);
        r->body_len += dl;
      } else {
        r->final = rc;
        r->unread = len + (n - end);
        snprintf(r->message, sizeof r->message, "%s", hr_error(&p));
        stop = 1;
        break;
      }
    }
  }
  if (!stop && eof) {
    r->final = hr_eof(&p);
    snprintf(r->message, sizeof r->message, "%s", hr_error(&p));
  }
  hr_free(&p);
}

static void run_whole(const char *in, size_t n, int eof, result *r) {
  run_cuts(in, n, NULL, 0, eof, 0, r);
}

/* The result of in fed whole must equal the result of every split into
 * two pieces, of byte-at-a-time feeding, and (for short inputs) of every
 * split into three pieces. Returns the whole-input result in *out. */
static void check_splits(const char *in, size_t n, int eof, result *out) {
  run_whole(in, n, eof, out);
  for (size_t i = 0; i <= n; i++) {
    result r;
    size_t cut = i;
    run_cuts(in, n, &cut, 1, eof, 0, &r);
    if (!same(&r, out)) {
      failures++;
      fprintf(stderr, "split at %zu differs (final %d vs %d, body %zu vs %zu) for: %.60s\n", i,
              r.final, out->final, r.body_len, out->body_len, in);
    }
    checks++;
    result_free(&r);
  }
  size_t *cuts = malloc((n + 1) * sizeof *cuts);
  for (size_t i = 0; i < n; i++) cuts[i] = i + 1;
  result r;
  run_cuts(in, n, cuts, n ? n - 1 : 0, eof, 0, &r);
  if (!same(&r, out)) {
    failures++;
    fprintf(stderr, "byte-at-a-time differs for: %.60s\n", in);
  }
  checks++;
  result_free(&r);
  free(cuts);
  if (n <= 160) {
    for (size_t i = 0; i <= n; i++)
      for (size_t j = i; j <= n; j++) {
        size_t c2[2] = {i, j};
        run_cuts(in, n, c2, 2, eof, 0, &r);
        if (!same(&r, out)) {
          failures++;
          fprintf(stderr, "split at %zu,%zu differs for: %.60s\n", i, j, in);
        }
        checks++;
        result_free(&r);
      }
  }
}

#define S(lit) lit, sizeof(lit) - 1

static void expect_split(const char *in, size_t n, int eof, int final, int status, const char *body,
                         size_t body_len) {
  result r;
  check_splits(in, n, eof, &r);
  CHECK_EQ_INT(r.final, final);
  if (status) CHECK_EQ_INT(r.status, status);
  if (body) {
    CHECK_EQ_INT(r.body_len, body_len);
    CHECK(r.body_len == body_len && (body_len == 0 || memcmp(r.body, body, body_len) == 0));
  }
  if (r.final != final) fprintf(stderr, "  input: %.80s\n  message: %s\n", in, r.message);
  result_free(&r);
}

/* ------------------------------------------------------------ the tests */

static void test_status_lines(void) {
  expect_split(S("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"), 0, HR_DONE, 200, S("hi"));
  expect_split(S("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), 0, HR_DONE, 200, S(""));
  expect_split(S("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"), 0, HR_DONE, 200, S(""));
  expect_split(S("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n"), 0, HR_DONE, 200, S(""));
  expect_split(S("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), 0, HR_DONE, 404, S(""));
  expect_split(S("HTTP/1.1 200 Tr\xc3\xa8s bien\tok\r\nContent-Length: 0\r\n\r\n"), 0, HR_DONE, 200,
               S(""));
  expect_split(S("HTTP/1.9 599 Whatever\r\nContent-Length: 0\r\n\r\n"), 0, HR_DONE, 599, S(""));
  /* malformed */
  const char *bad[] = {"HTTP/2 200 OK\r\n\r\n",
                       "HTTP/2.0 200 OK\r\n\r\n",
                       "HTTP/1.1 20 OK\r\n\r\n",
                       "HTTP/1.1 2000 OK\r\n\r\n",
                       "HTTX/1.1 200 OK\r\n\r\n",
                       "http/1.1 200 OK\r\n\r\n",
                       "HTTP/1.1  200 OK\r\n\r\n",
                       "HTTP/1.1 099 Low\r\n\r\n",
                       "HTTP/1.1 2x0 OK\r\n\r\n",
                       "HTTP/1.1 200 O\x01K\r\n\r\n",
                       "\r\nHTTP/1.1 200 OK\r\n\r\n",
                       "HTTP/11 200 OK\r\n\r\n",
                       "HTTP/1.1\r\n\r\n",
                       " HTTP/1.1 200 OK\r\n\r\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    result r;
    check_splits(bad[i], strlen(bad[i]), 1, &r);
    CHECK_EQ_INT(r.final, HR_EHEAD);
    CHECK_EQ_INT(r.heads, 0);
    if (r.final != HR_EHEAD) fprintf(stderr, "  input %zu: %s\n", i, bad[i]);
    result_free(&r);
  }
}

static void test_line_endings(void) {
  /* a lone LF ends head lines, chunk-size lines and trailer lines */
  expect_split(S("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\nX: y\n\n"), 0, HR_DONE,
               200, S("abc"));
  expect_split(S("HTTP/1.1 200 OK\r\nA: b\n\r\nxyz"), 1, HR_DONE, 200, S("xyz"));
  /* a CR not followed by LF is an error */
  expect_split(S("HTTP/1.1 200 OK\rA: b\r\n\r\n"), 1, HR_EHEAD, 0, NULL, 0);
  expect_split(S("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n"), 1, HR_EHEAD, 0, NULL, 0);
}

static void test_fields(void) {
  const char in[] = "HTTP/1.1 200 OK\r\n"
                    "X-Empty:\r\n"
                    "X-Spaces: \t spaced out \t \r\n"
                    "x-folded: first\r\n"
                    "   second\r\n"
                    "\tthird\r\n"
                    "X-Late-Fold:\r\n"
                    " only\r\n"
                    "CONTENT-length: 0\r\n"
                    "\r\n";
  result whole;
  check_splits(in, sizeof in - 1, 1, &whole);
  CHECK_EQ_INT(whole.final, HR_DONE);
  result_free(&whole);

  hr_parser p;
  hr_init(&p, 0);
  size_t used;
  const char *d;
  size_t dl;
  int rc = hr_step(&p, in, sizeof in - 1, &used, &d, &dl);
  CHECK_EQ_INT(rc, HR_HEAD);
  const hr_head *h = hr_get_head(&p);
  CHECK(h != NULL);
  CHECK_EQ_INT(h->field_count, 5);
  CHECK_EQ_INT(hr_find_field(h, "x-empty", 0), 0);
  CHECK_EQ_INT(h->fields[0].value.len, 0);
  CHECK(h->fields[1].value.len == 10 && memcmp(h->fields[1].value.ptr, "spaced out", 10) == 0);
  /* obs-fold: each fold is replaced by SP octets */
  long fi = hr_find_field(h, "X-FOLDED", 0);
  CHECK_EQ_INT(fi, 2);
  if (fi == 2) {
    hr_span v = h->fields[2].value;
    char norm[64];
    size_t k = 0;
    for (size_t i = 0; i < v.len && k < sizeof norm - 1; i++)
      if (v.ptr[i] != ' ' || (k > 0 && norm[k - 1] != ' ')) norm[k++] = v.ptr[i];
    norm[k] = '\0';
    CHECK(strcmp(norm, "first second third") == 0);
    for (size_t i = 0; i < v.len; i++) CHECK(v.ptr[i] != '\r' && v.ptr[i] != '\n');
  }
  CHECK(h->fields[3].value.len == 4 && memcmp(h->fields[3].value.ptr, "only", 4) == 0);
  CHECK_EQ_INT(h->framing, HR_FRAMING_LENGTH);
  CHECK_EQ_INT(hr_find_field(h, "content-length", 0), 4);
  CHECK_EQ_INT(hr_find_field(h, "content-length", 5), -1);
  CHECK_EQ_INT(hr_find_field(h, "missing", 0), -1);
  rc = hr_step(&p, in + used, 0, &used, &d, &dl);
  CHECK_EQ_INT(rc, HR_DONE);
  /* hr_reset starts a new response with the same memory */
  hr_reset(&p);
  CHECK(hr_get_head(&p) == NULL);
  const char in2[] = "HTTP/1.1 204 No Content\r\n\r\n";
  rc = hr_step(&p, in2, sizeof in2 - 1, &used, &d, &dl);
  CHECK_EQ_INT(rc, HR_HEAD);
  CHECK_EQ_INT(hr_get_head(&p)->status, 204);
  CHECK_EQ_INT(hr_get_head(&p)->framing, HR_FRAMING_NONE);
  rc = hr_step(&p, NULL, 0, &used, &d, &dl);
  CHECK_EQ_INT(rc, HR_DONE);
  hr_free(&p);

  /* malformed fields */
  const char *bad[] = {
      "HTTP/1.1 200 OK\r\n folded-first: x\r\n\r\n", "HTTP/1.1 200 OK\r\nName : value\r\n\r\n",
      "HTTP/1.1 200 OK\r\nName\t: value\r\n\r\n",    "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",          "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
      "HTTP/1.1 200 OK\r\nBad(name): x\r\n\r\n",     "HTTP/1.1 200 OK\r\nA: nul\0here\r\n\r\n",
  };
  size_t bad_len[] = {0, 0, 0, 0, 0, 0, 0, 32};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    result r;
    size_t n = bad_len[i] ? bad_len[i] : strlen(bad[i]);
    check_splits(bad[i], n, 1, &r);
    CHECK_EQ_INT(r.final, HR_EHEAD);
    if (r.final != HR_EHEAD) fprintf(stderr, "  input %zu: %s\n", i, bad[i]);
    result_free(&r);
  }
}

static void test_mime_parse(void) {
  hr_span t, s;
  CHECK(hr_parse_mime(S("text/event-stream"), &t, &s) == 1);
  CHECK(t.len == 4 && memcmp(t.ptr, "text", 4) == 0 && s.len == 12);
  CHECK(hr_parse_mime(S(" \t text/event-stream \t "), &t, &s) == 1 && s.len == 12);
  CHECK(hr_parse_mime(S("text/event-stream ; charset=utf-8"), &t, &s) == 1 && s.len == 12);
  CHECK(hr_parse_mime(S("text/event-stream;"), &t, &s) == 1 && s.len == 12);
  CHECK(hr_parse_mime(S("TEXT/EVENT-STREAM;CHARSET=UTF-8"), &t, &s) == 1);
  CHECK(hr_parse_mime(S("text/event-stream;;;bogus"), &t, &s) == 1);
  CHECK(hr_parse_mime(S("text"), &t, &s) == 0);
  CHECK(hr_parse_mime(S("text/"), &t, &s) == 0);
  CHECK(hr_parse_mime(S("/event-stream"), &t, &s) == 0);
  CHECK(hr_parse_mime(S("text /event-stream"), &t, &s) == 0);
  CHECK(hr_parse_mime(S("text/ event-stream"), &t, &s) == 0);
  CHECK(hr_parse_mime(S("text/event stream"), &t, &s) == 0);
  CHECK(hr_parse_mime(S("te\"xt/event-stream"), &t, &s) == 0);
  CHECK(hr_parse_mime(S(""), &t, &s) == 0);
  CHECK(hr_parse_mime(S("text/event-stream\xc3\xa9"), &t, &s) == 0);
}

/* Is the Content-Type of a head with these header lines text/event-stream? */
static int ctype_ok(const char *fields) {
  char buf[1024];
  snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\n%sContent-Length: 0\r\n\r\n", fields);
  result r;
  check_splits(buf, strlen(buf), 1, &r);
  int ok = r.final == HR_DONE && r.heads == 1 ? r.ctype_ok : -1;
  result_free(&r);
  return ok;
}

static void test_content_type(void) {
  CHECK_EQ_INT(ctype_ok("Content-Type: text/event-stream\r\n"), 1);
  CHECK_EQ_INT(ctype_ok("content-type: Text/Event-Stream\r\n"), 1);
  CHECK_EQ_INT(ctype_ok("CONTENT-TYPE:text/event-stream;charset=utf-8\r\n"), 1);
  CHECK_EQ_INT(ctype_ok("Content-Type: \t text/event-stream ; charset=\"utf-8\" \t\r\n"), 1);
  CHECK_EQ_INT(ctype_ok("Content-Type: text/event-stream;a=\"x,y\"\r\n"), 1);
  CHECK_EQ_INT(ctype_ok(""), 0);
  CHECK_EQ_INT(ctype_ok("Content-Type:\r\n"), 0);
  CHECK_EQ_INT(ctype_ok("Content-Type: text/html\r\n"), 0);
  CHECK_EQ_INT(ctype_ok("Content-Type: text/plain; x=text/event-stream\r\n"), 0);
  CHECK_EQ_INT(ctype_ok("Content-Type: text/event-streams\r\n"), 0);
  CHECK_EQ_INT(ctype_ok("Content-Type: text/event\r\n"), 0);
  CHECK_EQ_INT(ctype_ok("Content-Type: event-stream\r\n"), 0);
  CHECK_EQ_INT(ctype_ok("Content-Type: text /event-stream\r\n"), 0);
  CHECK_EQ_INT(ctype_ok("Content-Typ: text/event-stream\r\n"), 0);
  /* the last valid MIME type wins; invalid pieces and * / * are skipped */
  CHECK_EQ_INT(ctype_ok("Content-Type: text/event-stream, text/html\r\n"), 0);
  CHECK_EQ_INT(ctype_ok("Content-Type: text/html, text/event-stream\r\n"), 1);
  CHECK_EQ_INT(ctype_ok("Content-Type: text/event-stream, */*\r\n"), 1);
  CHECK_EQ_INT(ctype_ok("Content-Type: text/event-stream, bogus\r\n"), 1);
  CHECK_EQ_INT(ctype_ok("Content-Type: text/html\r\nContent-Type: text/event-stream\r\n"), 1);
  CHECK_EQ_INT(ctype_ok("Content-Type: text/event-stream\r\nContent-Type: text/html\r\n"), 0);
  CHECK_EQ_INT(ctype_ok("Content-Type: text/event-stream\r\n  ;charset=utf-8\r\n"), 1);
}

static void test_chunked(void) {
  expect_split(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n1;ext=1;other\r\n \r\nA\r\n0123456789\r\n"
                 "000\r\n\r\n"),
               0, HR_DONE, 200, S("hello 0123456789"));
  /* upper/lower hex, leading zeros, whitespace before extensions */
  expect_split(S("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
                 "0000b \t;name=\"quoted value\"\r\nabcdefghijk\r\n"
                 "c\r\nlmnopqrstuvw\r\n0\r\n\r\n"),
               0, HR_DONE, 200, S("abcdefghijklmnopqrstuvw"));
  /* trailers are read and ignored; bytes after the response are unread */
  {
    const char in[] = "HTTP/1.1 200 OK\r\ntransfer-encoding:  chunked \r\n\r\n"
                      "3\r\nabc\r\n0;last\r\nX-Trailer: 1\r\nY: 2\r\n\r\nEXTRA";
    result r;
    check_splits(in, sizeof in - 1, 0, &r);
    CHECK_EQ_INT(r.final, HR_DONE);
    CHECK_EQ_INT(r.unread, 5);
    CHECK(r.body_len == 3 && memcmp(r.body, "abc", 3) == 0);
    CHECK_EQ_INT(r.framing, HR_FRAMING_CHUNKED);
    result_free(&r);
  }
  /* Transfer-Encoding overrides Content-Length */
  expect_split(S("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "2\r\nok\r\n0\r\n\r\n"),
               0, HR_DONE, 200, S("ok"));
  /* malformed chunked bodies */
  const char *pre = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const char *bad[] = {
      "g\r\n",                         /* not hex */
      "0x10\r\n",                      /* no 0x prefix */
      "\r\n",                          /* empty size */
      ";ext\r\n",                      /* extension without size */
      " 5\r\nhello\r\n",               /* leading whitespace */
      "5 x\r\nhello\r\n",              /* junk after size */
      "5\r\nhelloX\r\n",               /* data longer than the size */
      "5\r\nhello\r\r\n",              /* CR CR */
      "5\rhello\r\n",                  /* CR without LF in the size line */
      "5;a\x01\r\nhello\r\n",          /* control byte in an extension */
      "10000000000000000\r\n",         /* more than 64 bits */
      "3\r\nabc\r\n0\r\nX\ry\r\n\r\n", /* bare CR in the trailer */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s%s", pre, bad[i]);
    result r;
    check_splits(buf, strlen(buf), 1, &r);
    CHECK_EQ_INT(r.final, HR_ECHUNK);
    CHECK_EQ_INT(r.heads, 1);
    if (r.final != HR_ECHUNK)
      fprintf(stderr, "  chunked input %zu: %s (%s)\n", i, bad[i], r.message);
    result_free(&r);
  }
  /* the largest chunk size that fits is fine (the body is then truncated) */
  {
    char buf[256];
    snprintf(buf, sizeof buf, "%s%s", pre, "ffffffffffffffff\r\nab");
    result r;
    check_splits(buf, strlen(buf), 1, &r);
    CHECK_EQ_INT(r.final, HR_ETRUNCATED);
    CHECK_EQ_INT(r.body_len, 2);
    result_free(&r);
  }
  /* truncated chunked bodies */
  const char *cut[] = {"",
                       "5",
                       "5\r",
                       "5\r\nhel",
                       "5\r\nhello",
                       "5\r\nhello\r\n",
                       "5\r\nhello\r\n0\r\n",
                       "5\r\nhello\r\n0\r\nX: 1\r\n"};
  for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s%s", pre, cut[i]);
    result r;
    check_splits(buf, strlen(buf), 1, &r);
    CHECK_EQ_INT(r.final, HR_ETRUNCATED);
    result_free(&r);
    check_splits(buf, strlen(buf), 0, &r);
    CHECK_EQ_INT(r.final, HR_AGAIN);
    result_free(&r);
  }
}

static void test_chunk_line_limit(void) {
  const char *pre = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  size_t pl = strlen(pre);
  /* an extension that just fits: the line is HR_CHUNK_LINE_LIMIT bytes */
  size_t ext = HR_CHUNK_LINE_LIMIT - 4; /* "1;" ext "\r\n" */
  char *buf = malloc(pl + ext + 64);
  memcpy(buf, pre, pl);
  size_t n = pl;
  memcpy(buf + n, "1;", 2);
  n += 2;
  memset(buf + n, 'e', ext);
  n += ext;
  memcpy(buf + n, "\r\nZ\r\n0\r\n\r\n", 10);
  n += 10;
  result r;
  run_whole(buf, n, 0, &r);
  CHECK_EQ_INT(r.final, HR_DONE);
  CHECK(r.body_len == 1 && r.body[0] == 'Z');
  result_free(&r);
  /* one byte more is too long, wherever the input is split */
  n = pl;
  memcpy(buf + n, "1;", 2);
  n += 2;
  memset(buf + n, 'e', ext + 1);
  n += ext + 1;
  memcpy(buf + n, "\r\nZ\r\n0\r\n\r\n", 10);
  n += 10;
  run_whole(buf, n, 1, &r);
  CHECK_EQ_INT(r.final, HR_ELIMIT);
  result_free(&r);
  for (size_t cut = pl; cut < n; cut += 997) {
    run_cuts(buf, n, &cut, 1, 1, 0, &r);
    CHECK_EQ_INT(r.final, HR_ELIMIT);
    result_free(&r);
  }
  /* many leading zeros count towards the limit too */
  n = pl;
  memset(buf + n, '0', HR_CHUNK_LINE_LIMIT + 1);
  n += HR_CHUNK_LINE_LIMIT + 1;
  run_whole(buf, n, 1, &r);
  CHECK_EQ_INT(r.final, HR_ELIMIT);
  result_free(&r);
  free(buf);
}

static void test_content_length(void) {
  expect_split(S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), 0, HR_DONE, 200, S("hello"));
  expect_split(S("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\nhello"), 0,
               HR_DONE, 200, S("hello"));
  expect_split(S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 0, HR_DONE, 200, S(""));
  {
    const char in[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef";
    result r;
    check_splits(in, sizeof in - 1, 0, &r);
    CHECK_EQ_INT(r.final, HR_DONE);
    CHECK_EQ_INT(r.unread, 3);
    CHECK(r.body_len == 3 && memcmp(r.body, "abc", 3) == 0);
    result_free(&r);
  }
  expect_split(S("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"), 1, HR_ETRUNCATED, 200,
               S("hello"));
  const char *bad[] = {"Content-Length: 5, 6\r\n",
                       "Content-Length: 5\r\nContent-Length: 6\r\n",
                       "Content-Length: -1\r\n",
                       "Content-Length: +5\r\n",
                       "Content-Length: 0x5\r\n",
                       "Content-Length: 5 5\r\n",
                       "Content-Length: \r\n",
                       "Content-Length: 99999999999999999999999\r\n",
                       "Transfer-Encoding: gzip\r\n",
                       "Transfer-Encoding: gzip, chunked\r\n",
                       "Transfer-Encoding: chunked, chunked\r\n",
                       "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                       "Transfer-Encoding:\r\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char buf[256];
    snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\n%s\r\nhello", bad[i]);
    result r;
    check_splits(buf, strlen(buf), 1, &r);
    CHECK_EQ_INT(r.final, HR_EFRAMING);
    CHECK_EQ_INT(r.heads, 0);
    if (r.final != HR_EFRAMING) fprintf(stderr, "  framing input %zu: %s\n", i, bad[i]);
    result_free(&r);
  }
  /* Transfer-Encoding in HTTP/1.0 makes the framing faulty */
  expect_split(S("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 1, HR_EFRAMING,
               0, NULL, 0);
}

static void test_close_delimited(void) {
  const char in[] = "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
                    "data: a\n\ndata: b\n\n";
  result r;
  check_splits(in, sizeof in - 1, 1, &r);
  CHECK_EQ_INT(r.final, HR_DONE);
  CHECK_EQ_INT(r.framing, HR_FRAMING_CLOSE);
  CHECK(r.ctype_ok == 1);
  CHECK(r.body_len == 18 && memcmp(r.body, "data: a\n\ndata: b\n\n", 18) == 0);
  result_free(&r);
  /* without the end of the connection it is not complete */
  check_splits(in, sizeof in - 1, 0, &r);
  CHECK_EQ_INT(r.final, HR_AGAIN);
  result_free(&r);
  /* an empty close-delimited body */
  expect_split(S("HTTP/1.1 200 OK\r\n\r\n"), 1, HR_DONE, 200, S(""));
}

static void test_no_body_and_interim(void) {
  expect_split(S("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"), 0, HR_DONE, 204, S(""));
  expect_split(S("HTTP/1.1 304 Not Modified\r\n\r\n"), 0, HR_DONE, 304, S(""));
  {
    const char in[] =
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 3\r\n\r\n"
        "abc";
    result r;
    check_splits(in, sizeof in - 1, 0, &r);
    CHECK_EQ_INT(r.final, HR_DONE);
    CHECK_EQ_INT(r.heads, 1);
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_INT(r.interim, 2);
    CHECK(r.ctype_ok == 1);
    result_free(&r);
  }
  /* 101 is a final response (with no body) */
  expect_split(S("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nrest"), 0, HR_DONE, 101,
               S(""));
  /* end of input in or before the head */
  expect_split(S(""), 1, HR_ETRUNCATED, 0, NULL, 0);
  expect_split(S("HTTP/1.1 200 OK\r\nA: b\r\n"), 1, HR_ETRUNCATED, 0, NULL, 0);
  expect_split(S("HTTP/1.1 100 Continue\r\n\r\n"), 1, HR_ETRUNCATED, 0, NULL, 0);
}

static void test_head_limit(void) {
  size_t big = HR_DEFAULT_HEAD_LIMIT + 10;
  char *buf = malloc(big + 64);
  size_t n = 0;
  n += (size_t)sprintf(buf, "HTTP/1.1 200 OK\r\nX: ");
  memset(buf + n, 'a', big);
  n += big;
  memcpy(buf + n, "\r\n\r\n", 4);
  n += 4;
  result r;
  run_whole(buf, n, 1, &r);
  CHECK_EQ_INT(r.final, HR_ELIMIT);
  result_free(&r);
  for (size_t cut = 1; cut < n; cut += 4099) {
    run_cuts(buf, n, &cut, 1, 1, 0, &r);
    CHECK_EQ_INT(r.final, HR_ELIMIT);
    result_free(&r);
  }
  free(buf);
  /* a small custom limit: exactly at the limit is fine, one more is not */
  const char in[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"; /* 38 bytes */
  run_cuts(in, sizeof in - 1, NULL, 0, 1, sizeof in - 1, &r);
  CHECK_EQ_INT(r.final, HR_DONE);
  result_free(&r);
  run_cuts(in, sizeof in - 1, NULL, 0, 1, sizeof in - 2, &r);
  CHECK_EQ_INT(r.final, HR_ELIMIT);
  result_free(&r);
  /* interim heads count towards the limit */
  const char in2[] = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  run_cuts(in2, sizeof in2 - 1, NULL, 0, 1, 40, &r);
  CHECK_EQ_INT(r.final, HR_ELIMIT);
  result_free(&r);
  /* too many fields */
  size_t cap = 16 + (HR_MAX_FIELDS + 1) * 6 + 8;
  buf = malloc(cap);
  n = (size_t)sprintf(buf, "HTTP/1.1 200 OK\r\n");
  for (size_t i = 0; i <= HR_MAX_FIELDS; i++) n += (size_t)sprintf(buf + n, "A: b\r\n");
  n += (size_t)sprintf(buf + n, "\r\n");
  run_whole(buf, n, 1, &r);
  CHECK_EQ_INT(r.final, HR_ELIMIT);
  result_free(&r);
  free(buf);
}

static void test_api_edges(void) {
  hr_parser p;
  hr_init(&p, 0);
  size_t used = 99;
  const char *d;
  size_t dl;
  CHECK_EQ_INT(hr_step(&p, NULL, 5, &used, &d, &dl), HR_EINVAL);
  CHECK_EQ_INT(used, 0);
  CHECK_EQ_INT(hr_step(&p, NULL, 0, &used, &d, &dl), HR_AGAIN);
  /* failures are sticky */
  const char bad[] = "XTTP/1.1 200 OK\r\n\r\n";
  CHECK_EQ_INT(hr_step(&p, bad, sizeof bad - 1, &used, &d, &dl), HR_EHEAD);
  CHECK(strlen(hr_error(&p)) > 0);
  const char good[] = "HTTP/1.1 200 OK\r\n\r\n";
  CHECK_EQ_INT(hr_step(&p, good, sizeof good - 1, &used, &d, &dl), HR_EHEAD);
  CHECK_EQ_INT(hr_eof(&p), HR_EHEAD);
  hr_reset(&p);
  CHECK(strcmp(hr_error(&p), "") == 0);
  CHECK_EQ_INT(hr_step(&p, good, sizeof good - 1, &used, &d, &dl), HR_HEAD);
  /* a body without a data pointer is refused */
  const char body[] = "abc";
  CHECK_EQ_INT(hr_step(&p, body, 3, &used, NULL, NULL), HR_EINVAL);
  hr_free(&p);
  for (int c = HR_EINVAL; c <= HR_DONE; c++) CHECK(strlen(hr_strerror(c)) > 0);
}

int main(void) {
  test_status_lines();
  test_line_endings();
  test_fields();
  test_mime_parse();
  test_content_type();
  test_chunked();
  test_chunk_line_limit();
  test_content_length();
  test_close_delimited();
  test_no_body_and_interim();
  test_head_limit();
  test_api_edges();
  if (failures) {
    fprintf(stderr, "%d of %d checks failed\n", failures, checks);
    return 1;
  }
  printf("test_http_response: %d checks passed\n", checks);
  return 0;
}
