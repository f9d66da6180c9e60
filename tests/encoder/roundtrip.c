/*
 * roundtrip.c - encoding, parsing with the reference parser, and the model
 * (see roundtrip.h).
 */
#include "roundtrip.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"

int rt_failures = 0;

void buf_add(buf *b, const void *s, size_t n) {
  if (n == 0) return;
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      fprintf(stderr, "out of memory\n");
      abort();
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
}

void buf_free(buf *b) {
  free(b->p);
  b->p = NULL;
  b->n = b->cap = 0;
}

static void add_str(buf *b, const char *s) {
  buf_add(b, s, strlen(s));
}

/* s escaped: printable ASCII but '\\' and '|' as is, the rest \xHH. */
static void add_esc(buf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7F && c != '\\' && c != '|') {
      buf_add(b, &s[i], 1);
    } else {
      char hex[5];
      snprintf(hex, sizeof hex, "\\x%02X", c);
      buf_add(b, hex, 4);
    }
  }
}

int encode_all(const sse_message *m, size_t n, buf *out) {
  for (size_t i = 0; i < n; i++) {
    sse_encode_error err;
    size_t size = 0, len = 0;
    int rc = sse_encoded_size(&m[i], &size, &err);
    if (rc != SSE_ENC_OK) {
      fprintf(stderr, "message %zu: sse_encoded_size returned %d: %s\n", i, rc, err.message);
      return -1;
    }
    char *p = malloc(size ? size : 1);
    if (!p) abort();
    rc = sse_encode(&m[i], p, size, &len, &err);
    if (rc != SSE_ENC_OK || len != size) {
      fprintf(stderr, "message %zu: sse_encode returned %d, %zu bytes (size %zu): %s\n", i, rc, len,
              size, err.message);
      free(p);
      return -1;
    }
    buf_add(out, p, len);
    free(p);
  }
  return 0;
}

/* ---- the parser's records ---- */

static int on_event(void *user, const sse_event *ev) {
  buf *b = user;
  add_str(b, "E|");
  add_esc(b, ev->type, ev->type_len);
  add_str(b, "|");
  add_esc(b, ev->data, ev->data_len);
  add_str(b, "|");
  add_esc(b, ev->last_event_id, ev->last_event_id_len);
  add_str(b, "\n");
  return 0;
}

static int on_retry(void *user, uint64_t ms) {
  char line[32];
  snprintf(line, sizeof line, "R|%" PRIu64 "\n", ms);
  add_str(user, line);
  return 0;
}

static int on_comment(void *user, const char *text, size_t len) {
  add_str(user, "C|");
  add_esc(user, text, len);
  add_str(user, "\n");
  return 0;
}

void parse_log(const char *s, size_t n, buf *out) {
  static const sse_callbacks cb = {on_event, on_retry, on_comment};
  sse_parser p;
  size_t idn;
  sse_parser_init(&p, &cb, out);
  int rc = sse_parser_feed(&p, s, n);
  int frc = sse_parser_finish(&p);
  if (rc != SSE_OK || frc != SSE_OK) {
    char line[300];
    snprintf(line, sizeof line, "F|%d|%d|%s\n", rc, frc, sse_parser_error(&p));
    add_str(out, line);
  }
  const char *id = sse_parser_last_event_id(&p, &idn);
  add_str(out, "Z|");
  add_esc(out, id, idn);
  add_str(out, "\n");
  sse_parser_free(&p);
}

/* ---- the model ---- */

/* s with every CRLF and lone CR made LF. */
static void normalize(const char *s, size_t n, buf *out) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\r') {
      buf_add(out, "\n", 1);
      if (i + 1 < n && s[i + 1] == '\n') i++;
    } else {
      buf_add(out, &s[i], 1);
    }
  }
}

void model_log(const sse_message *m, size_t n, buf *out) {
  buf last = {0};
  for (size_t i = 0; i < n; i++) {
    buf t = {0};
    char line[32];
    switch (m[i].kind) {
    case SSE_MSG_EVENT:
      if (m[i].id) {
        last.n = 0;
        buf_add(&last, m[i].id, m[i].id_len);
      }
      if (m[i].has_retry) {
        snprintf(line, sizeof line, "R|%" PRIu64 "\n", m[i].retry);
        add_str(out, line);
      }
      add_str(out, "E|");
      if (m[i].event_len)
        add_esc(out, m[i].event, m[i].event_len);
      else
        add_str(out, "message");
      add_str(out, "|");
      normalize(m[i].data, m[i].data_len, &t);
      add_esc(out, t.p, t.n);
      add_str(out, "|");
      add_esc(out, last.p, last.n);
      add_str(out, "\n");
      break;
    case SSE_MSG_COMMENT: {
      normalize(m[i].comment, m[i].comment_len, &t);
      size_t start = 0;
      for (size_t k = 0; k <= t.n; k++) {
        if (k == t.n || t.p[k] == '\n') {
          add_str(out, "C|");
          add_esc(out, t.p ? t.p + start : "", k - start);
          add_str(out, "\n");
          start = k + 1;
        }
      }
      break;
    }
    case SSE_MSG_RETRY:
      snprintf(line, sizeof line, "R|%" PRIu64 "\n", m[i].retry);
      add_str(out, line);
      break;
    }
    buf_free(&t);
  }
  add_str(out, "Z|");
  add_esc(out, last.p, last.n);
  add_str(out, "\n");
  buf_free(&last);
}

static void print_head(const char *label, const buf *b) {
  size_t n = b->n > 2000 ? 2000 : b->n;
  fprintf(stderr, "--- %s (%zu bytes%s):\n%.*s\n", label, b->n, b->n > n ? ", first 2000" : "",
          (int)n, b->p ? b->p : "");
}

int round_trip(const char *name, const sse_message *m, size_t n) {
  buf bytes = {0}, got = {0}, want = {0};
  int ok = 0;
  if (encode_all(m, n, &bytes) == 0) {
    parse_log(bytes.p ? bytes.p : "", bytes.n, &got);
    model_log(m, n, &want);
    ok = got.n == want.n && (got.n == 0 || memcmp(got.p, want.p, got.n) == 0);
    if (!ok) {
      buf esc = {0};
      add_esc(&esc, bytes.p, bytes.n);
      fprintf(stderr, "round trip %s: the parser's records differ from the messages'\n", name);
      print_head("bytes", &esc);
      print_head("parsed", &got);
      print_head("expected", &want);
      buf_free(&esc);
    }
  } else {
    fprintf(stderr, "round trip %s: refused\n", name);
  }
  if (!ok) rt_failures++;
  buf_free(&bytes);
  buf_free(&got);
  buf_free(&want);
  return ok;
}
