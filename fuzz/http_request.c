/*
 * http_request.c - fuzz target `http_request`: the scenario server's
 * request-head parser (server/http_request.h, http_parse_request).
 *
 * The parser is not incremental: the server calls it again on everything
 * received so far each time more bytes arrive (server.c, process_head), and
 * answers the first result that is not HTTP_INCOMPLETE (or 431 once 16 KiB
 * are buffered without a whole head). This target plays that: the stream
 * arrives in the fuzzer's chunks (the common header's chunk lengths), and
 * after every arrival the parser runs on an exact-size heap copy of the
 * bytes so far (so ASan sees any read past them). Findings:
 *
 * - any sanitizer report;
 * - a result that breaks http_request.h's contract: a status outside the enum, an
 *   empty reason for a failure, spans outside the head, a head that does not
 *   end in its first blank line, a method that is not a token, a target
 *   with bytes outside 0x21-0x7E, a version other than HTTP/1.0 or 1.1 on
 *   HTTP_OK, a header name that is not a token, a value with surrounding
 *   blanks, a NUL, a CR or an LF, more than HTTP_MAX_HEADERS fields,
 *   content_length / chunked_body that do not match the fields, a head that
 *   is complete but reported HTTP_INCOMPLETE;
 * - a result that differs from the one of lit_parse() below, a second
 *   reading of the same rules written line by line;
 * - the server's verdict depending on how the bytes arrived: the first
 *   result other than HTTP_INCOMPLETE (with the spans, as offsets) over the
 *   growing prefixes must be the one of the whole input, and so must the
 *   431 for a head that is not complete within HTTP_MAX_HEAD bytes.
 *
 * Header bytes (docs/fuzzing.md): only byte 4's chunk-length count and the
 * chunk lengths are used (at most 256 arrivals, the last one the rest). As the server buffers at
 * most HTTP_MAX_HEAD + 1024 bytes of a request, only those are parsed.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "http_request.h"

#define IN_CAP (HTTP_MAX_HEAD + 1024) /* server.c: the request buffer */
/* Arrivals: enough of the longest chunk lengths to reach the 16 KiB limit
 * (each arrival costs a parse of everything so far). */
#define MAX_FEEDS 256

/* What a result is, as comparable bytes: the status and, for HTTP_OK, every
 * span as an offset and length from the start of the buffer. */
typedef struct verdict {
  int rc;
  size_t head_len;
  size_t span[3][2];
  size_t nheaders;
  size_t hdr[HTTP_MAX_HEADERS][4];
  long long content_length;
  int chunked_body;
} verdict;

static const uint8_t *g_data;
static size_t g_size;
static char g_note[200]; /* printed with a difference */

FZ_NOCOV static void print_input(void) {
  fz_input in;
  fz_input_parse(&in, g_data, g_size);
  fprintf(stderr, "input (%zu bytes): chunk lengths=[", g_size);
  for (size_t i = 0; i < in.nlens; i++) fprintf(stderr, "%s%u", i ? "," : "", in.lens[i]);
  fputs("]\nstream: ", stderr);
  fz_print_long(stderr, in.stream, in.len);
  fputc('\n', stderr);
}

FZ_NOCOV static void finding(const char *what, const char *detail) {
  fprintf(stderr, "\n==== finding: http_request: %s%s%s\n", what, detail ? ": " : "",
          detail ? detail : "");
  print_input();
  fflush(stderr);
  abort();
}

static int tchar(unsigned char c) {
  if (c >= '0' && c <= '9') return 1;
  if (c >= 'a' && c <= 'z') return 1;
  if (c >= 'A' && c <= 'Z') return 1;
  switch (c) {
  case '!':
  case '#':
  case '$':
  case '%':
  case '&':
  case '\'':
  case '*':
  case '+':
  case '-':
  case '.':
  case '^':
  case '_':
  case '`':
  case '|':
  case '~':
    return 1;
  default:
    return 0;
  }
}

static int ieq(const char *a, size_t n, const char *lit) {
  size_t m = strlen(lit);
  if (n != m) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)lit[i];
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32);
    if (x != y) return 0;
  }
  return 1;
}

/* ------------------------------------------------------------ lit_parse */

/* The index just past the first blank line of the head, or 0 when there is
 * none within the limit: the head is the lines up to and including the
 * first empty line after the request line (a line is its bytes up to an LF,
 * without one CR before the LF), and it must fit in HTTP_MAX_HEAD bytes. */
static size_t lit_head_end(const char *b, size_t n) {
  size_t start = 0;
  int first = 1;
  while (start < n) {
    const char *lf = memchr(b + start, '\n', n - start);
    if (!lf) return 0;
    size_t end = (size_t)(lf - b);
    size_t content = end - start;
    if (content && b[end - 1] == '\r') content--;
    if (!first && content == 0) return end + 1 <= HTTP_MAX_HEAD ? end + 1 : 0;
    if (end >= HTTP_MAX_HEAD) return 0; /* the next line's LF would be past the limit */
    first = 0;
    start = end + 1;
  }
  return 0;
}

/* The same rules as http_parse_request, read line by line. */
static void lit_parse(const char *b, size_t n, verdict *v) {
  memset(v, 0, sizeof *v);
  v->content_length = -1;
  size_t end = lit_head_end(b, n);
  if (end == 0) {
    /* not complete: only a request line that plainly is not HTTP fails */
    for (size_t i = 0; i < n && i < 16 && b[i] != ' '; i++) {
      if (!tchar((unsigned char)b[i])) {
        v->rc = HTTP_BAD;
        return;
      }
    }
    v->rc = HTTP_INCOMPLETE;
    return;
  }
  size_t pos = 0;
  int line_no = 0;
  while (pos < end) {
    const char *lf = memchr(b + pos, '\n', end - pos);
    size_t lend = (size_t)(lf - b);
    size_t cend = lend;
    if (cend > pos && b[cend - 1] == '\r') cend--;
    const char *s = b + pos;
    size_t len = cend - pos;
    if (line_no == 0) {
      size_t i = 0;
      while (i < len && tchar((unsigned char)s[i])) i++;
      if (i == 0 || i == len || s[i] != ' ') {
        v->rc = HTTP_BAD;
        return;
      }
      v->span[0][0] = pos;
      v->span[0][1] = i;
      size_t t = ++i;
      while (i < len && (unsigned char)s[i] >= 0x21 && (unsigned char)s[i] <= 0x7E) i++;
      if (i == t || i == len || s[i] != ' ') {
        v->rc = HTTP_BAD;
        return;
      }
      v->span[1][0] = pos + t;
      v->span[1][1] = i - t;
      i++;
      v->span[2][0] = pos + i;
      v->span[2][1] = len - i;
      const char *ver = s + i;
      if (len - i != 8 || memcmp(ver, "HTTP/", 5) != 0 || ver[5] < '0' || ver[5] > '9' ||
          ver[6] != '.' || ver[7] < '0' || ver[7] > '9') {
        v->rc = HTTP_BAD;
        return;
      }
      if (ver[5] != '1' || (ver[7] != '0' && ver[7] != '1')) {
        v->rc = HTTP_BAD_VERSION;
        return;
      }
    } else if (len == 0) {
      v->head_len = lend + 1;
      break;
    } else {
      if (s[0] == ' ' || s[0] == '\t') {
        v->rc = HTTP_BAD; /* obsolete line folding */
        return;
      }
      size_t i = 0;
      while (i < len && tchar((unsigned char)s[i])) i++;
      if (i == 0 || i == len || s[i] != ':') {
        v->rc = HTTP_BAD;
        return;
      }
      size_t a = i + 1, z = len;
      while (a < z && (s[a] == ' ' || s[a] == '\t')) a++;
      while (z > a && (s[z - 1] == ' ' || s[z - 1] == '\t')) z--;
      for (size_t k = a; k < z; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c == '\0' || c == '\r') { /* other control characters are kept */
          v->rc = HTTP_BAD;
          return;
        }
      }
      if (v->nheaders == HTTP_MAX_HEADERS) {
        v->rc = HTTP_TOO_LARGE;
        return;
      }
      size_t *h = v->hdr[v->nheaders++];
      h[0] = pos;
      h[1] = i;
      h[2] = pos + a;
      h[3] = z - a;
    }
    line_no++;
    pos = lend + 1;
  }
  for (size_t k = 0; k < v->nheaders; k++) {
    const char *name = b + v->hdr[k][0];
    const char *val = b + v->hdr[k][2];
    size_t vn = v->hdr[k][3];
    if (ieq(name, v->hdr[k][1], "content-length")) {
      if (vn == 0 || vn > 15 || v->content_length >= 0) {
        v->rc = HTTP_BAD;
        return;
      }
      long long x = 0;
      for (size_t i = 0; i < vn; i++) {
        if (val[i] < '0' || val[i] > '9') {
          v->rc = HTTP_BAD;
          return;
        }
        x = x * 10 + (val[i] - '0');
      }
      v->content_length = x;
    } else if (ieq(name, v->hdr[k][1], "transfer-encoding")) {
      v->chunked_body = 1;
    }
  }
  v->rc = HTTP_OK;
}

/* ------------------------------------------------------------ checks */

static int in_head(const char *b, size_t head_len, struct http_span s) {
  return s.p >= b && s.p <= b + head_len && s.n <= (size_t)(b + head_len - s.p);
}

/* Check one result of http_parse_request on b[0..n) against http_request.h and turn
 * it into a verdict. */
FZ_NOCOV static void check(const char *b, size_t n, int rc, const struct http_request *rq,
                           const char *why, verdict *v) {
  memset(v, 0, sizeof *v);
  v->rc = rc;
  v->content_length = -1;
  switch (rc) {
  case HTTP_OK:
  case HTTP_INCOMPLETE:
    break;
  case HTTP_BAD:
  case HTTP_TOO_LARGE:
  case HTTP_BAD_VERSION:
    if (!why || !*why) finding("a failure without a reason", NULL);
    return;
  default:
    finding("a status outside enum http_parse_status", NULL);
  }
  if (rc == HTTP_INCOMPLETE) return;
  size_t hl = rq->head_len;
  if (hl < 2 || hl > n) finding("head_len outside the input", NULL);
  if (b[hl - 1] != '\n' ||
      !(b[hl - 2] == '\n' || (hl >= 3 && b[hl - 2] == '\r' && b[hl - 3] == '\n')))
    finding("the head does not end in a blank line", NULL);
  if (lit_head_end(b, hl) != hl) finding("the head does not end at its first blank line", NULL);
  const struct http_span *sp[3] = {&rq->method, &rq->target, &rq->version};
  for (int i = 0; i < 3; i++) {
    if (!in_head(b, hl, *sp[i])) finding("a request-line span outside the head", NULL);
    v->span[i][0] = (size_t)(sp[i]->p - b);
    v->span[i][1] = sp[i]->n;
  }
  if (rq->method.n == 0 || rq->target.n == 0) finding("an empty method or target", NULL);
  for (size_t i = 0; i < rq->method.n; i++)
    if (!tchar((unsigned char)rq->method.p[i])) finding("the method is not a token", NULL);
  for (size_t i = 0; i < rq->target.n; i++) {
    unsigned char c = (unsigned char)rq->target.p[i];
    if (c < 0x21 || c > 0x7E) finding("a request target byte outside 0x21-0x7E", NULL);
  }
  if (!(http_span_eq(rq->version, "HTTP/1.1") || http_span_eq(rq->version, "HTTP/1.0")) ||
      memcmp(rq->version.p, "HTTP/", 5) != 0)
    finding("HTTP_OK for a version other than HTTP/1.0 or HTTP/1.1", NULL);
  if (rq->nheaders > HTTP_MAX_HEADERS) finding("more than HTTP_MAX_HEADERS fields", NULL);
  long long cl = -1;
  int te = 0;
  for (size_t k = 0; k < rq->nheaders; k++) {
    const struct http_header *h = &rq->headers[k];
    if (!in_head(b, hl, h->name) || !in_head(b, hl, h->value))
      finding("a header span outside the head", NULL);
    if (h->name.n == 0) finding("an empty header name", NULL);
    for (size_t i = 0; i < h->name.n; i++)
      if (!tchar((unsigned char)h->name.p[i])) finding("a header name that is not a token", NULL);
    if (h->value.n && (h->value.p[0] == ' ' || h->value.p[0] == '\t' ||
                       h->value.p[h->value.n - 1] == ' ' || h->value.p[h->value.n - 1] == '\t'))
      finding("a header value with surrounding blanks", NULL);
    for (size_t i = 0; i < h->value.n; i++) {
      unsigned char c = (unsigned char)h->value.p[i];
      if (c == '\0' || c == '\r' || c == '\n') finding("a NUL, CR or LF in a header value", NULL);
    }
    if (http_span_eq(h->name, "Content-Length")) {
      if (cl >= 0) finding("HTTP_OK with two Content-Length fields", NULL);
      cl = 0;
      for (size_t i = 0; i < h->value.n; i++) cl = cl * 10 + (h->value.p[i] - '0');
    }
    if (http_span_eq(h->name, "Transfer-Encoding")) te = 1;
    v->hdr[k][0] = (size_t)(h->name.p - b);
    v->hdr[k][1] = h->name.n;
    v->hdr[k][2] = (size_t)(h->value.p - b);
    v->hdr[k][3] = h->value.n;
  }
  if (cl != rq->content_length)
    finding("content_length does not match the Content-Length field", NULL);
  if (te != rq->chunked_body) finding("chunked_body does not match the fields", NULL);
  /* the number of lines between the request line and the blank line */
  size_t lines = 0;
  for (size_t i = 0; i < hl; i++) lines += b[i] == '\n';
  if (lines != rq->nheaders + 2) finding("nheaders is not the number of field lines", NULL);
  v->head_len = hl;
  v->nheaders = rq->nheaders;
  v->content_length = rq->content_length;
  v->chunked_body = rq->chunked_body;
}

FZ_NOCOV static int verdict_equal(const verdict *a, const verdict *b) {
  if (a->rc != b->rc) return 0;
  if (a->rc != HTTP_OK) return 1;
  return a->head_len == b->head_len && memcmp(a->span, b->span, sizeof a->span) == 0 &&
         a->nheaders == b->nheaders &&
         memcmp(a->hdr, b->hdr, a->nheaders * sizeof a->hdr[0]) == 0 &&
         a->content_length == b->content_length && a->chunked_body == b->chunked_body;
}

FZ_NOCOV static void print_verdict(const char *name, const verdict *v) {
  fprintf(stderr, "---- %s: status %d", name, v->rc);
  if (v->rc == HTTP_OK) {
    fprintf(stderr, " head_len %zu method @%zu+%zu target @%zu+%zu version @%zu+%zu, %zu fields",
            v->head_len, v->span[0][0], v->span[0][1], v->span[1][0], v->span[1][1], v->span[2][0],
            v->span[2][1], v->nheaders);
    fprintf(stderr, ", content_length %lld, chunked_body %d", v->content_length, v->chunked_body);
  }
  fputc('\n', stderr);
}

FZ_NOCOV static void differ(const char *what, const char *na, const verdict *a, const char *nb,
                            const verdict *b) {
  fprintf(stderr, "\n==== finding: http_request: %s\n", what);
  print_input();
  if (g_note[0]) fprintf(stderr, "%s\n", g_note);
  print_verdict(na, a);
  print_verdict(nb, b);
  fflush(stderr);
  abort();
}

/* Run the parser on an exact-size copy of s[0..n) and check the result. */
FZ_NOCOV static void run(const uint8_t *s, size_t n, verdict *v) {
  char *copy = malloc(n ? n : 1);
  if (!copy) abort();
  if (n) memcpy(copy, s, n);
  struct http_request *rq = malloc(sizeof *rq);
  if (!rq) abort();
  const char *why = NULL;
  int rc = http_parse_request(copy, n, rq, &why);
  check(copy, n, rc, rq, why, v);
  /* the same bytes, without a why pointer: the same status */
  if (http_parse_request(copy, n, rq, NULL) != rc) finding("a different status without why", NULL);
  free(rq);
  free(copy);
}

/* The server's answer after n bytes arrived: 0 wait, else the status (431
 * as HTTP_TOO_LARGE when no head is complete within HTTP_MAX_HEAD). */
FZ_NOCOV static int server_answer(const verdict *v, size_t buffered, int overflow) {
  if (v->rc != HTTP_INCOMPLETE) return v->rc;
  if (overflow || buffered >= HTTP_MAX_HEAD) return HTTP_TOO_LARGE;
  return 0;
}

static verdict g_whole, g_lit, g_part;

FZ_NOCOV int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  g_data = data;
  g_size = size;
  g_note[0] = '\0';
  fz_input in;
  fz_input_parse(&in, data, size);
  size_t len = in.len < IN_CAP ? in.len : IN_CAP;
  int overflow = in.len > IN_CAP;

  run(in.stream, len, &g_whole);
  lit_parse((const char *)in.stream, len, &g_lit);
  if (!verdict_equal(&g_whole, &g_lit))
    differ("http_parse_request and the line-by-line reading differ", "http_parse_request", &g_whole,
           "lit_parse (fuzz/http_request.c)", &g_lit);

  /* the server's view: the bytes arrive in the fuzzer's chunks */
  int whole_answer = server_answer(&g_whole, len, overflow);
  fz_chunks ch;
  fz_chunks_init(&ch, in.lens, in.nlens, in.len, MAX_FEEDS);
  size_t off, n, have = 0;
  int answer = 0;
  while (!answer && fz_chunks_next(&ch, &off, &n)) {
    size_t before = have;
    have = off + n < IN_CAP ? off + n : IN_CAP;
    int over = off + n > IN_CAP;
    if (have == before && !over && have != 0) continue; /* nothing new: the server does not parse */
    run(in.stream, have, &g_part);
    answer = server_answer(&g_part, have, over);
    if (answer && answer != whole_answer) {
      snprintf(g_note, sizeof g_note,
               "after %zu of %zu bytes arrived the server answers %d; given all at once, %d", have,
               in.len, answer, whole_answer);
      differ("the server's answer depends on how the request arrived", "all at once", &g_whole,
             "as it arrived", &g_part);
    }
    if (answer == HTTP_OK && !verdict_equal(&g_part, &g_whole))
      differ("a head parsed from a prefix differs from the whole input's", "all at once", &g_whole,
             "as it arrived", &g_part);
  }
  if (!answer && whole_answer)
    differ("the server's answer depends on how the request arrived (none as it arrived)",
           "all at once", &g_whole, "as it arrived", &g_part);
  return 0;
}
