/*
 * sse_encode.c - the ssespec reference encoder for text/event-stream (C11).
 *
 * Two passes over a message: the first checks every value and computes the
 * exact size (sse_encoded_size), the second writes exactly that many bytes
 * (sse_encode, only once the size is known to fit). Both walk data and
 * comments with the same piece iterator, so they cannot disagree on where
 * the lines are. See sse_encode.h for what is written and refused.
 */
#include "sse_encode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ errors */

static int fail(sse_encode_error *err, int code, sse_encode_field field, sse_encode_reason reason,
                size_t offset, const char *fmt, ...) {
  if (err) {
    va_list ap;
    err->code = code;
    err->field = field;
    err->reason = reason;
    err->offset = offset;
    err->needed = 0;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return code;
}

static void clear(sse_encode_error *err) {
  if (err) {
    err->code = SSE_ENC_OK;
    err->field = SSE_FIELD_NONE;
    err->reason = SSE_REASON_NONE;
    err->offset = 0;
    err->needed = 0;
    err->message[0] = '\0';
  }
}

const char *sse_encode_strerror(int code) {
  switch (code) {
  case SSE_ENC_OK:
    return "ok";
  case SSE_ENC_ESPACE:
    return "output buffer too small";
  case SSE_ENC_EREFUSED:
    return "value the event-stream format cannot carry";
  case SSE_ENC_EINVAL:
    return "invalid argument";
  default:
    return "unknown code";
  }
}

const char *sse_encode_field_name(sse_encode_field field) {
  switch (field) {
  case SSE_FIELD_DATA:
    return "data";
  case SSE_FIELD_EVENT:
    return "event";
  case SSE_FIELD_ID:
    return "id";
  case SSE_FIELD_RETRY:
    return "retry";
  case SSE_FIELD_COMMENT:
    return "comment";
  default:
    return "";
  }
}

/* ------------------------------------------------------------ checks */

/* The length of the well-formed UTF-8 sequence at s[0..n) (n >= 1), or 0
 * if s starts an ill-formed one (Unicode table 3-7). */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned char c = s[0], lo = 0x80, hi = 0xBF;
  size_t need, i;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF)
    need = 1;
  else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n < need + 1) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (i = 2; i <= need; i++)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return need + 1;
}

/* The offset of the first byte at fault in s[0..n), or n if none: a byte
 * that starts an ill-formed UTF-8 sequence, a CR or LF (if breaks are
 * refused), a NUL (if nul is refused). *why says which. */
static size_t first_fault(const char *str, size_t n, int breaks, int nul, sse_encode_reason *why) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      if ((breaks && (c == '\r' || c == '\n')) || (nul && c == 0)) {
        *why = c == 0 ? SSE_REASON_NUL : SSE_REASON_LINE_BREAK;
        return i;
      }
      i++;
      continue;
    }
    size_t k = utf8_seq(s + i, n - i);
    if (k == 0) {
      *why = SSE_REASON_UTF8;
      return i;
    }
    i += k;
  }
  *why = SSE_REASON_NONE;
  return n;
}

/* Refuse the value of field f (named name for the message) if it has a
 * byte at fault; returns SSE_ENC_OK or SSE_ENC_EREFUSED. */
static int check_value(sse_encode_error *err, sse_encode_field f, const char *label, const char *v,
                       size_t n, int breaks, int nul) {
  sse_encode_reason why;
  size_t at = first_fault(v, n, breaks, nul, &why);
  unsigned char c;
  if (why == SSE_REASON_NONE) return SSE_ENC_OK;
  c = (unsigned char)v[at];
  if (why == SSE_REASON_LINE_BREAK)
    return fail(err, SSE_ENC_EREFUSED, f, why, at,
                "%s holds %s at byte %zu: a field value cannot hold a line break (it would end "
                "the line and the rest would be read as fields of its own)",
                label, c == '\r' ? "a CR (U+000D)" : "an LF (U+000A)", at);
  if (why == SSE_REASON_NUL)
    return fail(err, SSE_ENC_EREFUSED, f, why, at,
                "%s holds U+0000 NULL at byte %zu: a client ignores an id field holding it", label,
                at);
  return fail(err, SSE_ENC_EREFUSED, f, why, at,
              "%s is not well-formed UTF-8 at byte %zu (0x%02X): a client decodes the stream as "
              "UTF-8 and would read U+FFFD",
              label, at, c);
}

/* ------------------------------------------------------------ lines */

/* Data and comments are cut into lines at every CRLF, LF and lone CR:
 * next_piece gives the next line of s[0..n) from *pos on, as [*start,
 * *start + *len), and moves *pos past its line break. There is always at
 * least one piece (an empty value is one empty line), and one more after
 * a final line break. Returns 0 when there are no more. */
typedef struct pieces {
  const char *s;
  size_t n;
  size_t pos;
  int done;
} pieces;

static void pieces_init(pieces *p, const char *s, size_t n) {
  p->s = s;
  p->n = n;
  p->pos = 0;
  p->done = 0;
}

static int next_piece(pieces *p, const char **start, size_t *len) {
  size_t i;
  if (p->done) return 0;
  for (i = p->pos; i < p->n && p->s[i] != '\n' && p->s[i] != '\r'; i++) {
  }
  *start = p->s ? p->s + p->pos : "";
  *len = i - p->pos;
  if (i == p->n) {
    p->done = 1;
  } else {
    if (p->s[i] == '\r' && i + 1 < p->n && p->s[i + 1] == '\n') i++;
    p->pos = i + 1;
  }
  return 1;
}

/* ------------------------------------------------------------ sizes */

/* *total += x; -1 on overflow. */
static int add(size_t *total, size_t x) {
  if (x > SIZE_MAX - *total) return -1;
  *total += x;
  return 0;
}

/* The size of a "name: value\n" or "name:\n" line. */
static int add_field(size_t *total, size_t name_len, size_t value_len) {
  return add(total, name_len + 2) || add(total, value_len) || (value_len && add(total, 1));
}

/* The digits of v, written backwards from the end of buf[20]; returns
 * their count. */
static size_t u64_digits(uint64_t v, char buf[20]) {
  size_t n = 0;
  do {
    buf[19 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return n;
}

/* Whether p is NULL with a nonzero length. */
static int null_with_len(const char *p, size_t n) {
  return p == NULL && n != 0;
}

static int unused(const char *p, size_t n) {
  return p == NULL && n == 0;
}

static int check_args(const sse_message *m, sse_encode_error *err) {
  static const char *const kinds[] = {"an event", "a comment", "a retry"};
  if (!m) return fail(err, SSE_ENC_EINVAL, SSE_FIELD_NONE, SSE_REASON_ARGUMENT, 0, "no message");
  if (m->kind != SSE_MSG_EVENT && m->kind != SSE_MSG_COMMENT && m->kind != SSE_MSG_RETRY)
    return fail(err, SSE_ENC_EINVAL, SSE_FIELD_NONE, SSE_REASON_ARGUMENT, 0,
                "unknown message kind %d", (int)m->kind);
  {
    const struct {
      sse_encode_field f;
      const char *p;
      size_t n;
    } v[] = {{SSE_FIELD_DATA, m->data, m->data_len},
             {SSE_FIELD_EVENT, m->event, m->event_len},
             {SSE_FIELD_ID, m->id, m->id_len},
             {SSE_FIELD_COMMENT, m->comment, m->comment_len}};
    size_t i;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
      int used = m->kind == SSE_MSG_EVENT
                     ? v[i].f != SSE_FIELD_COMMENT
                     : m->kind == SSE_MSG_COMMENT && v[i].f == SSE_FIELD_COMMENT;
      if (null_with_len(v[i].p, v[i].n))
        return fail(err, SSE_ENC_EINVAL, v[i].f, SSE_REASON_ARGUMENT, 0,
                    "%s: NULL pointer with a length of %zu", sse_encode_field_name(v[i].f), v[i].n);
      if (!used && !unused(v[i].p, v[i].n))
        return fail(err, SSE_ENC_EINVAL, v[i].f, SSE_REASON_ARGUMENT, 0,
                    "%s message has a %s member (it must be NULL with length 0)", kinds[m->kind],
                    sse_encode_field_name(v[i].f));
    }
  }
  if (m->kind == SSE_MSG_COMMENT && (m->has_retry || m->retry))
    return fail(err, SSE_ENC_EINVAL, SSE_FIELD_RETRY, SSE_REASON_ARGUMENT, 0,
                "a comment message has a retry member (has_retry and retry must be 0)");
  return SSE_ENC_OK;
}

int sse_encoded_size(const sse_message *m, size_t *size, sse_encode_error *err) {
  size_t total = 0;
  char digits[20];
  pieces p;
  const char *start;
  size_t len;
  int rc;

  if (size) *size = 0;
  rc = check_args(m, err);
  if (rc != SSE_ENC_OK) return rc;

  switch (m->kind) {
  case SSE_MSG_EVENT:
    if ((rc = check_value(err, SSE_FIELD_EVENT, "event type", m->event, m->event_len, 1, 0)) ||
        (m->id && (rc = check_value(err, SSE_FIELD_ID, "id", m->id, m->id_len, 1, 1))) ||
        (rc = check_value(err, SSE_FIELD_DATA, "data", m->data, m->data_len, 0, 0)))
      return rc;
    if (m->event_len && add_field(&total, 5, m->event_len)) goto too_big;
    if (m->id && add_field(&total, 2, m->id_len)) goto too_big;
    if (m->has_retry && add_field(&total, 5, u64_digits(m->retry, digits))) goto too_big;
    pieces_init(&p, m->data, m->data_len);
    while (next_piece(&p, &start, &len))
      if (add_field(&total, 4, len)) goto too_big;
    if (add(&total, 1)) goto too_big;
    break;
  case SSE_MSG_COMMENT:
    if ((rc = check_value(err, SSE_FIELD_COMMENT, "comment", m->comment, m->comment_len, 0, 0)))
      return rc;
    pieces_init(&p, m->comment, m->comment_len);
    while (next_piece(&p, &start, &len))
      if (add(&total, 2) || add(&total, len)) goto too_big;
    break;
  case SSE_MSG_RETRY:
    total = 8 + u64_digits(m->retry, digits);
    break;
  }
  if (size) *size = total;
  clear(err);
  return SSE_ENC_OK;

too_big:
  return fail(err, SSE_ENC_EINVAL, SSE_FIELD_NONE, SSE_REASON_ARGUMENT, 0,
              "the encoding would be larger than SIZE_MAX bytes");
}

/* ------------------------------------------------------------ writing */

static char *put(char *o, const char *s, size_t n) {
  if (n) memcpy(o, s, n);
  return o + n;
}

/* "name: value\n" or "name:\n". */
static char *put_field(char *o, const char *name, size_t name_len, const char *v, size_t n) {
  o = put(o, name, name_len);
  *o++ = ':';
  if (n) {
    *o++ = ' ';
    o = put(o, v, n);
  }
  *o++ = '\n';
  return o;
}

static char *put_retry(char *o, uint64_t ms) {
  char digits[20];
  size_t n = u64_digits(ms, digits);
  return put_field(o, "retry", 5, digits + 20 - n, n);
}

int sse_encode(const sse_message *m, void *out, size_t cap, size_t *len, sse_encode_error *err) {
  size_t size, n;
  pieces p;
  const char *start;
  char *o = out;
  int rc;

  if (len) *len = 0;
  rc = sse_encoded_size(m, &size, err);
  if (rc != SSE_ENC_OK) return rc;
  if (!out && cap)
    return fail(err, SSE_ENC_EINVAL, SSE_FIELD_NONE, SSE_REASON_ARGUMENT, 0,
                "NULL output buffer with a capacity of %zu", cap);
  if (cap < size) {
    if (len) *len = size;
    fail(err, SSE_ENC_ESPACE, SSE_FIELD_NONE, SSE_REASON_SPACE, 0,
         "the output buffer holds %zu bytes; the message needs %zu", cap, size);
    if (err) err->needed = size;
    return SSE_ENC_ESPACE;
  }

  switch (m->kind) {
  case SSE_MSG_EVENT:
    if (m->event_len) o = put_field(o, "event", 5, m->event, m->event_len);
    if (m->id) o = put_field(o, "id", 2, m->id, m->id_len);
    if (m->has_retry) o = put_retry(o, m->retry);
    pieces_init(&p, m->data, m->data_len);
    while (next_piece(&p, &start, &n)) o = put_field(o, "data", 4, start, n);
    *o++ = '\n';
    break;
  case SSE_MSG_COMMENT:
    pieces_init(&p, m->comment, m->comment_len);
    while (next_piece(&p, &start, &n)) {
      *o++ = ':';
      o = put(o, start, n);
      *o++ = '\n';
    }
    break;
  case SSE_MSG_RETRY:
    o = put_retry(o, m->retry);
    break;
  }
  /* o - out == size: both passes walk the same lines */
  if (len) *len = size;
  clear(err);
  return SSE_ENC_OK;
}
