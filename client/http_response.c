/*
 * http_response.c - the incremental HTTP/1.x response parser.
 * See http_response.h for the accepted syntax.
 */
#include "http_response.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  ST_HEAD,
  ST_LENGTH,
  ST_CLOSE,
  ST_CHUNK_SIZE,
  ST_CHUNK_DATA,
  ST_CHUNK_DATA_END,
  ST_TRAILER,
  ST_DONE
};

/* phases of a chunk-size line */
enum { PH_HEX, PH_AFTER, PH_EXT, PH_CR };

static int fail(hr_parser *p, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->message, sizeof p->message, fmt, ap);
  va_end(ap);
  p->status = code;
  return code;
}

static int is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_ows(unsigned char c) {
  return c == ' ' || c == '\t';
}

static int lower(int c) {
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int span_ieq(const char *a, size_t n, const char *b) {
  size_t m = strlen(b);
  if (n != m) return 0;
  for (size_t i = 0; i < n; i++)
    if (lower((unsigned char)a[i]) != lower((unsigned char)b[i])) return 0;
  return 1;
}

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void hr_init(hr_parser *p, size_t head_limit) {
  memset(p, 0, sizeof *p);
  p->head_limit = head_limit ? head_limit : HR_DEFAULT_HEAD_LIMIT;
  p->state = ST_HEAD;
}

void hr_reset(hr_parser *p) {
  char *buf = p->buf;
  size_t cap = p->cap;
  hr_field *fields = p->fields;
  size_t fields_cap = p->fields_cap;
  size_t limit = p->head_limit;
  memset(p, 0, sizeof *p);
  p->buf = buf;
  p->cap = cap;
  p->fields = fields;
  p->fields_cap = fields_cap;
  p->head_limit = limit;
  p->state = ST_HEAD;
}

void hr_free(hr_parser *p) {
  free(p->buf);
  free(p->fields);
  memset(p, 0, sizeof *p);
  p->state = ST_HEAD;
}

const char *hr_error(const hr_parser *p) {
  return p->status < 0 ? p->message : "";
}

const hr_head *hr_get_head(const hr_parser *p) {
  return p->have_head ? &p->head : NULL;
}

const char *hr_strerror(int code) {
  switch (code) {
  case HR_AGAIN:
    return "more input needed";
  case HR_HEAD:
    return "response head complete";
  case HR_BODY:
    return "body bytes";
  case HR_DONE:
    return "response complete";
  case HR_EHEAD:
    return "malformed response head";
  case HR_ELIMIT:
    return "response too big";
  case HR_EFRAMING:
    return "invalid message framing";
  case HR_ECHUNK:
    return "malformed chunked body";
  case HR_ETRUNCATED:
    return "response truncated";
  case HR_ENOMEM:
    return "out of memory";
  case HR_EINVAL:
    return "invalid argument";
  default:
    return "unknown code";
  }
}

/* ---------------------------------------------------------- the head */

static int add_field(hr_parser *p, size_t n, hr_field f) {
  if (n >= HR_MAX_FIELDS)
    return fail(p, HR_ELIMIT, "more than %zu header fields", (size_t)HR_MAX_FIELDS);
  if (n == p->fields_cap) {
    size_t cap = p->fields_cap ? p->fields_cap * 2 : 16;
    hr_field *nf = realloc(p->fields, cap * sizeof *nf);
    if (!nf) return fail(p, HR_ENOMEM, "out of memory for header fields");
    p->fields = nf;
    p->fields_cap = cap;
  }
  p->fields[n] = f;
  return 0;
}

static int parse_status_line(hr_parser *p, const char *s, size_t n) {
  if (n < 5 || memcmp(s, "HTTP/", 5) != 0)
    return fail(p, HR_EHEAD, "status line does not start with \"HTTP/\"");
  if (n < 12 || !(s[5] >= '0' && s[5] <= '9') || s[6] != '.' || !(s[7] >= '0' && s[7] <= '9') ||
      s[8] != ' ')
    return fail(p, HR_EHEAD, "malformed HTTP version or status code in the status line");
  if (s[5] != '1') return fail(p, HR_EHEAD, "unsupported HTTP version %.8s", s);
  int status = 0;
  for (int i = 9; i < 12; i++) {
    if (!(s[i] >= '0' && s[i] <= '9')) return fail(p, HR_EHEAD, "status code is not three digits");
    status = status * 10 + (s[i] - '0');
  }
  if (status < 100) return fail(p, HR_EHEAD, "status code %03d below 100", status);
  hr_span reason = {s + n, 0};
  if (n > 12) {
    if (s[12] != ' ') return fail(p, HR_EHEAD, "status code is not three digits");
    reason.ptr = s + 13;
    reason.len = n - 13;
    for (size_t i = 0; i < reason.len; i++) {
      unsigned char c = (unsigned char)reason.ptr[i];
      if ((c < 0x20 && c != '\t') || c == 0x7f)
        return fail(p, HR_EHEAD, "control character 0x%02x in the reason phrase", c);
    }
  }
  p->head.version_major = 1;
  p->head.version_minor = s[7] - '0';
  p->head.status = status;
  p->head.reason = reason;
  return 0;
}

/* Parse the complete head in p->buf[0..p->len): lines, each ending in LF. */
static int parse_head(hr_parser *p) {
  char *s = p->buf;
  size_t end = p->len;
  size_t pos = 0;
  size_t nfields = 0;
  int first = 1;
  while (pos < end) {
    char *lf = memchr(s + pos, '\n', end - pos);
    size_t lend = (size_t)(lf - s); /* index of the LF */
    size_t cend = lend;             /* end of the line's content */
    if (cend > pos && s[cend - 1] == '\r') cend--;
    char *line = s + pos;
    size_t n = cend - pos;
    for (size_t i = 0; i < n; i++) {
      if (line[i] == '\r') return fail(p, HR_EHEAD, "CR not followed by LF in the response head");
      if (line[i] == '\0') return fail(p, HR_EHEAD, "NUL byte in the response head");
    }
    if (first) {
      int rc = parse_status_line(p, line, n);
      if (rc < 0) return rc;
      first = 0;
    } else if (n == 0) {
      break; /* the empty line ending the head */
    } else if (is_ows((unsigned char)line[0])) {
      /* obs-fold: continue the previous field's value */
      if (nfields == 0)
        return fail(p, HR_EHEAD, "folded header line with no header field before it");
      hr_field *f = &p->fields[nfields - 1];
      size_t a = 0, b = n;
      while (a < b && is_ows((unsigned char)line[a])) a++;
      while (b > a && is_ows((unsigned char)line[b - 1])) b--;
      if (a < b) {
        char *vend = (char *)f->value.ptr + f->value.len;
        if (f->value.len == 0) vend = line + a; /* an empty value gains the text alone */
        for (char *q = vend; q < line + a; q++) *q = ' ';
        if (f->value.len == 0) f->value.ptr = line + a;
        f->value.len = (size_t)((line + b) - f->value.ptr);
      }
    } else {
      size_t i = 0;
      while (i < n && is_tchar((unsigned char)line[i])) i++;
      if (i == n || line[i] != ':') {
        if (i < n && is_ows((unsigned char)line[i]))
          return fail(p, HR_EHEAD, "whitespace between a header field name and its colon");
        if (i == n) return fail(p, HR_EHEAD, "header line without a colon");
        return fail(p, HR_EHEAD, "invalid character 0x%02x in a header field name",
                    (unsigned char)line[i]);
      }
      if (i == 0) return fail(p, HR_EHEAD, "empty header field name");
      size_t a = i + 1, b = n;
      while (a < b && is_ows((unsigned char)line[a])) a++;
      while (b > a && is_ows((unsigned char)line[b - 1])) b--;
      hr_field f = {{line, i}, {line + a, b - a}};
      int rc = add_field(p, nfields, f);
      if (rc < 0) return rc;
      nfields++;
    }
    pos = lend + 1;
  }
  p->head.fields = p->fields;
  p->head.field_count = nfields;
  return 0;
}

/* Iterate the comma-separated elements of every value of fields named
 * name: calls fn for each non-empty trimmed element; stops at a nonzero
 * return. Quoted strings are not special (Content-Length and
 * Transfer-Encoding contain none). */
typedef int (*element_fn)(hr_parser *p, const char *s, size_t n, void *ctx);

static int each_element(hr_parser *p, const char *name, element_fn fn, void *ctx, int *present) {
  const hr_head *h = &p->head;
  *present = 0;
  for (long i = hr_find_field(h, name, 0); i >= 0; i = hr_find_field(h, name, (size_t)i + 1)) {
    *present = 1;
    const char *v = h->fields[i].value.ptr;
    size_t n = h->fields[i].value.len, a = 0;
    while (a <= n) {
      size_t b = a;
      while (b < n && v[b] != ',') b++;
      size_t x = a, y = b;
      while (x < y && is_ows((unsigned char)v[x])) x++;
      while (y > x && is_ows((unsigned char)v[y - 1])) y--;
      if (y > x) {
        int rc = fn(p, v + x, y - x, ctx);
        if (rc) return rc;
      }
      a = b + 1;
    }
  }
  return 0;
}

struct te_ctx {
  unsigned count;
  int chunked_last;
  hr_span bad;
};

static int te_element(hr_parser *p, const char *s, size_t n, void *ctx) {
  (void)p;
  struct te_ctx *t = ctx;
  t->count++;
  t->chunked_last = span_ieq(s, n, "chunked");
  if (!t->chunked_last && t->bad.ptr == NULL) {
    t->bad.ptr = s;
    t->bad.len = n;
  }
  return 0;
}

struct cl_ctx {
  int have;
  uint64_t value;
};

static int cl_element(hr_parser *p, const char *s, size_t n, void *ctx) {
  struct cl_ctx *c = ctx;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(s[i] >= '0' && s[i] <= '9'))
      return fail(p, HR_EFRAMING, "invalid Content-Length \"%.*s\"", (int)(n > 40 ? 40 : n), s);
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return fail(p, HR_EFRAMING, "Content-Length too large");
    v = v * 10 + d;
  }
  if (c->have && c->value != v) return fail(p, HR_EFRAMING, "conflicting Content-Length values");
  c->have = 1;
  c->value = v;
  return 0;
}

/* Decide how the final response's body is delimited. */
static int set_framing(hr_parser *p) {
  hr_head *h = &p->head;
  int st = h->status;
  if ((st >= 100 && st < 200) || st == 204 || st == 304) {
    h->framing = HR_FRAMING_NONE;
    p->state = ST_DONE;
    return 0;
  }
  struct te_ctx te = {0, 0, {NULL, 0}};
  int present = 0;
  each_element(p, "transfer-encoding", te_element, &te, &present);
  if (present) {
    if (h->version_minor == 0)
      return fail(p, HR_EFRAMING, "Transfer-Encoding in an HTTP/1.0 response");
    if (te.count == 1 && te.chunked_last) {
      h->framing = HR_FRAMING_CHUNKED;
      p->state = ST_CHUNK_SIZE;
      p->chunk_phase = PH_HEX;
      p->chunk_line = 0;
      p->chunk_digits = 0;
      p->remaining = 0;
      return 0;
    }
    if (te.count == 0) return fail(p, HR_EFRAMING, "empty Transfer-Encoding");
    if (te.bad.ptr)
      return fail(p, HR_EFRAMING, "unsupported transfer coding \"%.*s\"",
                  (int)(te.bad.len > 40 ? 40 : te.bad.len), te.bad.ptr);
    return fail(p, HR_EFRAMING, "chunked applied more than once");
  }
  struct cl_ctx cl = {0, 0};
  int rc = each_element(p, "content-length", cl_element, &cl, &present);
  if (rc) return rc;
  if (present) {
    if (!cl.have) return fail(p, HR_EFRAMING, "empty Content-Length");
    h->framing = HR_FRAMING_LENGTH;
    h->content_length = cl.value;
    p->remaining = cl.value;
    p->state = cl.value ? ST_LENGTH : ST_DONE;
    return 0;
  }
  h->framing = HR_FRAMING_CLOSE;
  p->state = ST_CLOSE;
  return 0;
}

static int head_complete(hr_parser *p) {
  memset(&p->head, 0, sizeof p->head);
  int rc = parse_head(p);
  if (rc < 0) return rc;
  int st = p->head.status;
  if (st >= 100 && st < 200 && st != 101) return 0; /* interim: the caller skips it */
  rc = set_framing(p);
  if (rc < 0) return rc;
  return 1;
}

/* Collect head bytes; returns HR_HEAD when the final head is complete. */
static int step_head(hr_parser *p, const char *in, size_t len, size_t *used) {
  size_t pos = 0;
  unsigned interim = p->head.interim;
  while (pos < len) {
    const char *lf = memchr(in + pos, '\n', len - pos);
    size_t take = lf ? (size_t)(lf - (in + pos)) + 1 : len - pos;
    if (take > p->head_limit - p->head_total) {
      *used = pos;
      return fail(p, HR_ELIMIT, "response head longer than %zu bytes", p->head_limit);
    }
    if (p->len + take > p->cap) {
      size_t cap = p->cap ? p->cap : 1024;
      while (cap < p->len + take) cap *= 2;
      if (cap > p->head_limit) cap = p->head_limit;
      char *nb = realloc(p->buf, cap);
      if (!nb) {
        *used = pos;
        return fail(p, HR_ENOMEM, "out of memory for the response head");
      }
      p->buf = nb;
      p->cap = cap;
    }
    memcpy(p->buf + p->len, in + pos, take);
    p->len += take;
    p->head_total += take;
    pos += take;
    if (!lf) break;
    /* a line ended: the line started at p->line_len (its start index) */
    size_t start = p->line_len;
    size_t content = p->len - 1 - start;
    int empty = content == 0 || (content == 1 && p->buf[start] == '\r');
    p->line_len = p->len; /* the next line starts here */
    if (empty) {
      int rc = head_complete(p);
      if (rc < 0) {
        *used = pos;
        return rc;
      }
      if (rc == 0) { /* an interim response: start the next head */
        interim++;
        p->len = 0;
        p->line_len = 0;
        continue;
      }
      p->head.interim = interim;
      p->have_head = 1;
      *used = pos;
      return HR_HEAD;
    }
  }
  p->head.interim = interim;
  *used = pos;
  return HR_AGAIN;
}

/* ---------------------------------------------------------- the body */

static int chunk_line_end(hr_parser *p) {
  p->chunk_line = 0;
  if (p->remaining == 0) {
    p->state = ST_TRAILER;
    p->line_len = 0;
    p->saw_cr = 0;
    p->trailer_total = 0;
  } else {
    p->state = ST_CHUNK_DATA;
  }
  return 0;
}

/* Read a chunk-size line; returns 0 (go on) or a failure. */
static int step_chunk_size(hr_parser *p, const unsigned char *in, size_t len, size_t *pos) {
  while (*pos < len && p->state == ST_CHUNK_SIZE) {
    unsigned char c = in[(*pos)++];
    if (++p->chunk_line > HR_CHUNK_LINE_LIMIT)
      return fail(p, HR_ELIMIT, "chunk-size line longer than %zu bytes",
                  (size_t)HR_CHUNK_LINE_LIMIT);
    switch (p->chunk_phase) {
    case PH_HEX: {
      int h = hexval(c);
      if (h >= 0) {
        if (p->remaining > (UINT64_MAX >> 4)) return fail(p, HR_ECHUNK, "chunk size too large");
        p->remaining = (p->remaining << 4) | (uint64_t)h;
        p->chunk_digits++;
        break;
      }
      if (p->chunk_digits == 0)
        return fail(p, HR_ECHUNK, "chunk size expected, got byte 0x%02x", c);
      if (is_ows(c))
        p->chunk_phase = PH_AFTER;
      else if (c == ';')
        p->chunk_phase = PH_EXT;
      else if (c == '\r')
        p->chunk_phase = PH_CR;
      else if (c == '\n')
        return chunk_line_end(p);
      else
        return fail(p, HR_ECHUNK, "invalid byte 0x%02x in a chunk size", c);
      break;
    }
    case PH_AFTER:
      if (is_ows(c)) break;
      if (c == ';')
        p->chunk_phase = PH_EXT;
      else if (c == '\r')
        p->chunk_phase = PH_CR;
      else if (c == '\n')
        return chunk_line_end(p);
      else
        return fail(p, HR_ECHUNK, "invalid byte 0x%02x after a chunk size", c);
      break;
    case PH_EXT:
      if (c == '\r')
        p->chunk_phase = PH_CR;
      else if (c == '\n')
        return chunk_line_end(p);
      else if ((c < 0x20 && c != '\t') || c == 0x7f)
        return fail(p, HR_ECHUNK, "control byte 0x%02x in a chunk extension", c);
      break;
    default: /* PH_CR */
      if (c != '\n') return fail(p, HR_ECHUNK, "CR not followed by LF in a chunk-size line");
      return chunk_line_end(p);
    }
  }
  return 0;
}

static int step_trailer(hr_parser *p, const unsigned char *in, size_t len, size_t *pos) {
  while (*pos < len) {
    unsigned char c = in[(*pos)++];
    if (++p->trailer_total > p->head_limit)
      return fail(p, HR_ELIMIT, "trailer section longer than %zu bytes", p->head_limit);
    if (p->saw_cr && c != '\n') return fail(p, HR_ECHUNK, "CR not followed by LF in the trailer");
    if (c == '\n') {
      int empty = p->line_len == 0 || (p->line_len == 1 && p->saw_cr);
      p->line_len = 0;
      p->saw_cr = 0;
      if (empty) {
        p->state = ST_DONE;
        return 0;
      }
      continue;
    }
    if (c == '\0') return fail(p, HR_ECHUNK, "NUL byte in the trailer");
    p->saw_cr = c == '\r';
    p->line_len++;
  }
  return 0;
}

int hr_step(hr_parser *p, const void *buf, size_t len, size_t *used, const char **data,
            size_t *data_len) {
  if (data) *data = NULL;
  if (data_len) *data_len = 0;
  if (!p || !used || (!buf && len)) {
    if (used) *used = 0;
    return HR_EINVAL;
  }
  *used = 0;
  if (p->status < 0) return p->status;
  static const unsigned char nothing[1] = {0};
  const unsigned char *in = buf ? (const unsigned char *)buf : nothing; /* no NULL arithmetic */
  size_t pos = 0;
  for (;;) {
    int rc = 0;
    switch (p->state) {
    case ST_DONE:
      *used = pos;
      return HR_DONE;
    case ST_HEAD: {
      size_t u = 0;
      rc = step_head(p, (const char *)in + pos, len - pos, &u);
      pos += u;
      if (rc != HR_AGAIN) {
        *used = pos;
        return rc;
      }
      break;
    }
    case ST_LENGTH:
    case ST_CLOSE:
    case ST_CHUNK_DATA: {
      if (pos == len) break;
      size_t n = len - pos;
      if (p->state != ST_CLOSE && (uint64_t)n > p->remaining) n = (size_t)p->remaining;
      if (!data || !data_len) {
        *used = pos;
        return fail(p, HR_EINVAL, "a body arrived but no data pointer was given");
      }
      *data = (const char *)in + pos;
      *data_len = n;
      pos += n;
      if (p->state != ST_CLOSE) {
        p->remaining -= n;
        if (p->remaining == 0) {
          if (p->state == ST_LENGTH) {
            p->state = ST_DONE;
          } else {
            p->state = ST_CHUNK_DATA_END;
            p->saw_cr = 0;
          }
        }
      }
      *used = pos;
      return HR_BODY;
    }
    case ST_CHUNK_DATA_END:
      while (pos < len && p->state == ST_CHUNK_DATA_END) {
        unsigned char c = in[pos++];
        if (c == '\n') {
          p->state = ST_CHUNK_SIZE;
          p->chunk_phase = PH_HEX;
          p->chunk_line = 0;
          p->chunk_digits = 0;
          p->remaining = 0;
        } else if (c == '\r' && !p->saw_cr) {
          p->saw_cr = 1;
        } else {
          rc = fail(p, HR_ECHUNK, "chunk data not followed by a line end (byte 0x%02x)", c);
        }
        if (rc) break;
      }
      break;
    case ST_CHUNK_SIZE:
      rc = step_chunk_size(p, in, len, &pos);
      break;
    case ST_TRAILER:
      rc = step_trailer(p, in, len, &pos);
      break;
    default:
      rc = fail(p, HR_EINVAL, "corrupt parser state");
      break;
    }
    if (rc < 0) {
      *used = pos;
      return rc;
    }
    if (pos == len && p->state != ST_DONE) {
      *used = pos;
      return HR_AGAIN;
    }
  }
}

int hr_eof(hr_parser *p) {
  if (!p) return HR_EINVAL;
  if (p->status < 0) return p->status;
  switch (p->state) {
  case ST_DONE:
    return HR_DONE;
  case ST_CLOSE:
    p->state = ST_DONE;
    return HR_DONE;
  case ST_HEAD:
    if (p->head_total == 0)
      return fail(p, HR_ETRUNCATED, "the connection closed before any response");
    return fail(p, HR_ETRUNCATED, "the connection closed inside the response head");
  case ST_LENGTH:
    return fail(p, HR_ETRUNCATED, "the connection closed %llu bytes before the Content-Length",
                (unsigned long long)p->remaining);
  default:
    return fail(p, HR_ETRUNCATED, "the connection closed inside the chunked body");
  }
}

/* ---------------------------------------------------------- helpers */

long hr_find_field(const hr_head *h, const char *name, size_t from) {
  if (!h || !name) return -1;
  for (size_t i = from; i < h->field_count; i++)
    if (span_ieq(h->fields[i].name.ptr, h->fields[i].name.len, name)) return (long)i;
  return -1;
}

static int is_http_ws(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int hr_parse_mime(const char *s, size_t n, hr_span *type, hr_span *subtype) {
  size_t a = 0, b = n;
  while (a < b && is_http_ws((unsigned char)s[a])) a++;
  while (b > a && is_http_ws((unsigned char)s[b - 1])) b--;
  size_t i = a;
  while (i < b && s[i] != '/') i++;
  if (i == a || i == b) return 0;
  for (size_t k = a; k < i; k++)
    if (!is_tchar((unsigned char)s[k])) return 0;
  size_t t0 = i + 1, t1 = t0;
  while (t1 < b && s[t1] != ';') t1++;
  while (t1 > t0 && is_http_ws((unsigned char)s[t1 - 1])) t1--;
  if (t1 == t0) return 0;
  for (size_t k = t0; k < t1; k++)
    if (!is_tchar((unsigned char)s[k])) return 0;
  if (type) {
    type->ptr = s + a;
    type->len = i - a;
  }
  if (subtype) {
    subtype->ptr = s + t0;
    subtype->len = t1 - t0;
  }
  return 1;
}

int hr_mime_type(const hr_head *h, hr_span *type, hr_span *subtype) {
  int found = 0;
  if (!h) return 0;
  for (long i = hr_find_field(h, "content-type", 0); i >= 0;
       i = hr_find_field(h, "content-type", (size_t)i + 1)) {
    const char *v = h->fields[i].value.ptr;
    size_t n = h->fields[i].value.len, a = 0;
    while (a <= n) {
      /* a piece ends at a comma outside a quoted string */
      size_t b = a;
      int quoted = 0;
      while (b < n) {
        char c = v[b];
        if (quoted) {
          if (c == '\\' && b + 1 < n)
            b++;
          else if (c == '"')
            quoted = 0;
        } else if (c == '"') {
          quoted = 1;
        } else if (c == ',') {
          break;
        }
        b++;
      }
      hr_span t, st;
      if (hr_parse_mime(v + a, b - a, &t, &st) &&
          !(t.len == 1 && t.ptr[0] == '*' && st.len == 1 && st.ptr[0] == '*')) {
        found = 1;
        if (type) *type = t;
        if (subtype) *subtype = st;
      }
      a = b + 1;
    }
  }
  return found;
}

int hr_mime_essence_is(const hr_head *h, const char *essence) {
  hr_span t, st;
  if (!essence || !hr_mime_type(h, &t, &st)) return 0;
  const char *slash = strchr(essence, '/');
  if (!slash) return 0;
  size_t tl = (size_t)(slash - essence);
  if (t.len != tl) return 0;
  for (size_t i = 0; i < tl; i++)
    if (lower((unsigned char)t.ptr[i]) != lower((unsigned char)essence[i])) return 0;
  return span_ieq(st.ptr, st.len, slash + 1);
}
