/*
 * scenario.c - the strict loader of scenario files (see scenario.h and
 * docs/scenario-format.md). Their JSON dump is in scenario_dump.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "scenario.h"

#include "http_request.h"

#include "common/decimal.h"
#include "common/json.h" /* utf8_encode */

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ------------------------------------------------------------ the parser */

struct parser {
  const char *file;
  int line;
  char *err;
  size_t errsize;
  size_t used;           /* string bytes so far, against SC_MAX_BYTES */
  unsigned long records; /* records so far, repeats counted */
  struct scenario *sc;
  /* the connection being read */
  struct sc_connection *conn;
  int acted; /* it has an action */
  int ended; /* its last action was close, abort or hold */
  int seen_status, seen_framing, seen_version, seen_path, seen_delay;
  int seen_coding, seen_flush, seen_padding;
  int framing_line, ext_line, omit_line, status_line, coding_line, flush_line;
  int first_body_line;  /* the first send or send-chunks */
  int close_after_line; /* the close-after directive, checked at the end */
  int omit_head_line;   /* the connection's omit-head */
  const char *head_kw;  /* its first response head directive, NULL if none */
  int head_kw_line;
};

static int fail(struct parser *p, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, const char *field, const char *fmt, ...) {
  va_list ap;
  int n;
  if (!p->err || p->errsize == 0) return -1;
  n = snprintf(p->err, p->errsize, "%s:%d: %s: ", p->file, p->line, field);
  if (n >= 0 && (size_t)n < p->errsize) {
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errsize - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static int oom(struct parser *p, const char *field) {
  return fail(p, field, "out of memory");
}

/* Grow *arr (of elem-byte items, *n used) so that one more item fits;
 * zero the new item. Returns a pointer to it, or NULL. */
static void *push(void *arr_ptr, size_t *n, size_t elem) {
  void **arr = arr_ptr;
  size_t cnt = *n;
  /* grow at powers of two: capacity is implicit in the count */
  if (cnt == 0 || (cnt & (cnt - 1)) == 0) {
    size_t cap = cnt ? cnt * 2 : 1;
    void *q;
    if (cap > SIZE_MAX / elem) return NULL;
    q = realloc(*arr, cap * elem);
    if (!q) return NULL;
    *arr = q;
  }
  memset((char *)*arr + cnt * elem, 0, elem);
  *n = cnt + 1;
  return (char *)*arr + cnt * elem;
}

static char *dupn(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d) return NULL;
  if (n) memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

/* printf arguments for "%.*s" showing at most max bytes of s..end */
#define SHOWN(s, end, max) (int)((end) - (s) < (max) ? (end) - (s) : (max)), (s)

static int is_space(char c) {
  return c == ' ' || c == '\t';
}

static const char *skip_ws(const char *s, const char *end) {
  while (s < end && is_space(*s)) s++;
  return s;
}

/* A growable byte buffer for building strings. */
struct buf {
  char *p;
  size_t n, cap;
};

static int buf_reserve(struct buf *b, size_t more) {
  size_t need, cap;
  char *q;
  if (more > SIZE_MAX - b->n - 1) return -1;
  need = b->n + more + 1;
  if (need <= b->cap) return 0;
  cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  q = realloc(b->p, cap);
  if (!q) return -1;
  b->p = q;
  b->cap = cap;
  return 0;
}

static int buf_add(struct buf *b, const void *s, size_t n) {
  if (buf_reserve(b, n) < 0) return -1;
  if (n) memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
  return 0;
}

/* The number of {base} and {origin} occurrences in s. */
static size_t count_templates(const char *s, size_t n) {
  size_t i, c = 0;
  for (i = 0; i < n; i++) {
    if (s[i] != '{') continue;
    if (n - i >= 6 && memcmp(s + i, "{base}", 6) == 0) {
      c++;
      i += 5;
    } else if (n - i >= 8 && memcmp(s + i, "{origin}", 8) == 0) {
      c++;
      i += 7;
    }
  }
  return c;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Parse one quoted string at *ps (which points at '"') into b; add its
 * template count to *tmpl. binary: \xHH may be any byte (else 00..7F). */
static int unquote(struct parser *p, const char *field, const char **ps, const char *end,
                   int binary, struct buf *b, size_t *tmpl) {
  const char *s = *ps + 1;
  while (1) {
    const char *run = s;
    while (s < end && *s != '"' && *s != '\\' && *s != '{') s++;
    if (buf_add(b, run, (size_t)(s - run)) < 0) return oom(p, field);
    if (s >= end) return fail(p, field, "unterminated string");
    if (*s == '"') break;
    if (*s == '{') {
      size_t k = (size_t)(end - s);
      if (k >= 6 && memcmp(s, "{base}", 6) == 0) {
        if (buf_add(b, s, 6) < 0) return oom(p, field);
        s += 6;
      } else if (k >= 8 && memcmp(s, "{origin}", 8) == 0) {
        if (buf_add(b, s, 8) < 0) return oom(p, field);
        s += 8;
      } else {
        const char *close = memchr(s, '}', k < 16 ? k : 16);
        int shown = close ? (int)(close - s + 1) : (int)(k < 10 ? k : 10);
        return fail(p, field,
                    "unknown template at '%.*s': only {base} and {origin}; a literal { is "
                    "written \\{",
                    shown, s);
      }
      (*tmpl)++;
      continue;
    }
    /* a backslash */
    if (s + 1 >= end) return fail(p, field, "unterminated string");
    {
      char e = s[1];
      char c;
      switch (e) {
      case '\\':
        c = '\\';
        break;
      case '"':
        c = '"';
        break;
      case 'n':
        c = '\n';
        break;
      case 'r':
        c = '\r';
        break;
      case 't':
        c = '\t';
        break;
      case '0':
        c = '\0';
        break;
      case '{':
        c = '{';
        break;
      case 'x': {
        int h1 = end - s > 2 ? hexval(s[2]) : -1;
        int h2 = end - s > 3 ? hexval(s[3]) : -1;
        unsigned v;
        if (h1 < 0 || h2 < 0) return fail(p, field, "bad string escape: \\x needs two hex digits");
        v = (unsigned)(h1 * 16 + h2);
        if (!binary && v > 0x7F)
          return fail(p, field, "bad string escape: \\x%c%c in text; text is UTF-8, write \\u{...}",
                      s[2], s[3]);
        c = (char)v;
        if (buf_add(b, &c, 1) < 0) return oom(p, field);
        s += 4;
        continue;
      }
      case 'u': {
        const char *q = s + 2;
        unsigned long cp = 0;
        int digits = 0;
        char enc[4];
        if (q >= end || *q != '{')
          return fail(p, field, "bad string escape: \\u needs braces, as \\u{FFFD}");
        q++;
        while (q < end && hexval(*q) >= 0 && digits < 7) {
          cp = cp * 16 + (unsigned long)hexval(*q);
          q++;
          digits++;
        }
        if (digits == 0 || digits > 6 || q >= end || *q != '}')
          return fail(p, field, "bad string escape: \\u{...} needs 1 to 6 hex digits");
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
          return fail(p, field, "bad string escape: \\u{%lX} is not a Unicode scalar value", cp);
        if (buf_add(b, enc, utf8_encode(enc, (uint32_t)cp)) < 0) return oom(p, field);
        s = q + 1;
        continue;
      }
      default:
        if ((unsigned char)e < 0x20 || (unsigned char)e >= 0x7F)
          return fail(p, field, "bad string escape: a backslash before byte 0x%02X",
                      (unsigned char)e);
        return fail(p, field, "bad string escape: unknown escape \\%c", e);
      }
      if (buf_add(b, &c, 1) < 0) return oom(p, field);
      s += 2;
    }
  }
  *ps = s + 1;
  return 0;
}

/* Parse a string expression at *ps: "..." [* N] (+ "..." [* N])*. On
 * success *ps is just past it (trailing blanks skipped) and out holds it. */
static int parse_expr(struct parser *p, const char *field, const char **ps, const char *end,
                      int binary, struct sc_str *out) {
  struct buf all = {0};
  size_t tmpl = 0;
  const char *s = skip_ws(*ps, end);
  while (1) {
    struct buf part = {0};
    size_t ptmpl = 0;
    if (s >= end || *s != '"') {
      free(all.p);
      if (s >= end) return fail(p, field, "expected a quoted string");
      return fail(p, field, "expected a quoted string at '%.*s'", SHOWN(s, end, 20));
    }
    if (unquote(p, field, &s, end, binary, &part, &ptmpl) < 0) {
      free(part.p);
      free(all.p);
      return -1;
    }
    s = skip_ws(s, end);
    if (s < end && *s == '*') {
      unsigned long cnt = 0;
      int digits = 0;
      s = skip_ws(s + 1, end);
      while (s < end && *s >= '0' && *s <= '9') {
        if (cnt <= SC_MAX_REPEAT) cnt = cnt * 10 + (unsigned long)(*s - '0');
        s++;
        digits++;
      }
      if (digits == 0 || (s < end && !is_space(*s) && *s != '+' && *s != '|')) {
        free(part.p);
        free(all.p);
        return fail(p, field, "'*' needs a whole count after it");
      }
      if (cnt > SC_MAX_REPEAT) {
        free(part.p);
        free(all.p);
        return fail(p, field, "repetition count is over %lu", SC_MAX_REPEAT);
      }
      if (part.n && cnt > (SC_MAX_BYTES - p->used - all.n) / part.n) {
        free(part.p);
        free(all.p);
        return fail(p, field, "string expression is over the limit of %zu bytes", SC_MAX_BYTES);
      }
      if (buf_reserve(&all, part.n * cnt) < 0) {
        free(part.p);
        free(all.p);
        return oom(p, field);
      }
      for (unsigned long i = 0; i < cnt; i++) buf_add(&all, part.p, part.n);
      tmpl += ptmpl * cnt;
      s = skip_ws(s, end);
    } else {
      if (part.n > SC_MAX_BYTES - p->used - all.n) {
        free(part.p);
        free(all.p);
        return fail(p, field, "string expression is over the limit of %zu bytes", SC_MAX_BYTES);
      }
      if (buf_add(&all, part.p, part.n) < 0) {
        free(part.p);
        free(all.p);
        return oom(p, field);
      }
      tmpl += ptmpl;
    }
    free(part.p);
    if (s < end && *s == '+') {
      s = skip_ws(s + 1, end);
      continue;
    }
    break;
  }
  if (count_templates(all.p, all.n) != tmpl) {
    free(all.p);
    return fail(p, field,
                "the text {base} or {origin} made of literal characters would read as "
                "a template; it cannot be written");
  }
  if (!all.p && buf_reserve(&all, 0) < 0) return oom(p, field);
  p->used += all.n;
  out->p = all.p;
  out->n = all.n;
  out->tmpl = tmpl;
  *ps = s;
  return 0;
}

/* A whole argument that is one expression and nothing after it. */
static int whole_expr(struct parser *p, const char *field, const char *s, const char *end,
                      int binary, struct sc_str *out) {
  if (parse_expr(p, field, &s, end, binary, out) < 0) return -1;
  if (s < end) {
    free(out->p);
    out->p = NULL;
    return fail(p, field, "unexpected '%.*s' after the string", SHOWN(s, end, 20));
  }
  return 0;
}

/* A non-negative integer of digits only, at most max. */
static int parse_uint(const char *s, size_t n, unsigned long max, unsigned long *out) {
  uint64_t v;
  if (decimal_u64(s, n, max, &v) < 0) return -1;
  *out = (unsigned long)v;
  return 0;
}

static int has_byte(const struct sc_str *s, const char *set) {
  size_t i;
  for (i = 0; i < s->n; i++)
    if (strchr(set, s->p[i]) && s->p[i] != '\0') return 1;
  return 0;
}

static int has_nul(const struct sc_str *s) {
  return s->n && memchr(s->p, '\0', s->n) != NULL;
}

/* Split the first word (a header name) off s..end. */
static int header_name(struct parser *p, const char *field, const char **ps, const char *end,
                       char **name) {
  const char *s = *ps, *w = s;
  while (s < end && !is_space(*s)) s++;
  if (s == w) return fail(p, field, "needs a header name");
  for (const char *q = w; q < s; q++)
    if (!http_tchar((unsigned char)*q))
      return fail(p, field, "'%.*s' is not a header name", (int)(s - w), w);
  *name = dupn(w, (size_t)(s - w));
  if (!*name) return oom(p, field);
  *ps = skip_ws(s, end);
  return 0;
}

/* ------------------------------------------------------------ directives */

static int need_conn(struct parser *p, const char *kw) {
  if (!p->conn) return fail(p, kw, "outside a connection (write `connection` first)");
  return 0;
}

/* A connection directive that belongs before the actions. */
static int head_directive(struct parser *p, const char *kw) {
  if (need_conn(p, kw) < 0) return -1;
  if (p->acted) return fail(p, kw, "must come before the connection's first action");
  return 0;
}

/* A directive of the response head: not in a connection that omits it. */
static int response_directive(struct parser *p, const char *kw) {
  if (head_directive(p, kw) < 0) return -1;
  if (p->conn->omit_head)
    return fail(p, kw, "not with omit-head (line %d): the connection sends no head",
                p->omit_head_line);
  if (!p->head_kw) {
    p->head_kw = kw;
    p->head_kw_line = p->line;
  }
  return 0;
}

static int once(struct parser *p, const char *kw, int *seen) {
  if (*seen) return fail(p, kw, "given twice");
  *seen = 1;
  return 0;
}

static int no_args(struct parser *p, const char *kw, const char *args, const char *end) {
  if (args < end) return fail(p, kw, "takes no arguments, got '%.*s'", SHOWN(args, end, 20));
  return 0;
}

static int finish_conn(struct parser *p) {
  struct sc_connection *c = p->conn;
  if (!c) return 0;
  c->has_body = !(c->status == 204 || c->status == 304) && !c->omit_head;
  if (!c->has_body) {
    if (p->seen_framing) {
      p->line = p->framing_line;
      return fail(p, "framing", "status %d has no body", c->status);
    }
    if (c->has_chunk_ext) {
      p->line = p->ext_line;
      return fail(p, "chunk-extension", "status %d has no body", c->status);
    }
    if (p->first_body_line) {
      p->line = p->first_body_line;
      return fail(p, "send", "status %d has no body", c->status);
    }
  }
  if (!c->has_body && p->seen_coding) {
    p->line = p->coding_line;
    return fail(p, "content-encoding", "status %d has no body", c->status);
  }
  if (p->seen_flush && !p->seen_coding) {
    p->line = p->flush_line;
    return fail(p, "flush-at", "needs content-encoding");
  }
  if (p->seen_flush) {
    /* offsets must fall inside the body, when its length is known before
     * play (no templates in it) */
    size_t body = 0;
    int tmpl = 0;
    for (size_t i = 0; i < c->nactions; i++) {
      const struct sc_action *a = &c->actions[i];
      if (a->kind != SC_SEND && a->kind != SC_SEND_CHUNKS) continue;
      for (size_t k = 0; k < a->npieces; k++) {
        body += a->pieces[k].n;
        if (a->pieces[k].tmpl) tmpl = 1;
      }
    }
    if (!tmpl && c->flush_at[c->nflush_at - 1] >= body) {
      p->line = p->flush_line;
      return fail(p, "flush-at", "offset %zu is not inside the body of %zu bytes",
                  c->flush_at[c->nflush_at - 1], body);
    }
  }
  if (c->has_chunk_ext && c->framing != SC_CHUNKED) {
    p->line = p->ext_line;
    return fail(p, "chunk-extension", "needs framing chunked");
  }
  {
    int has_ct = 0;
    for (size_t i = 0; i < c->nheaders; i++)
      if (strcasecmp(c->headers[i].name, "Content-Type") == 0) has_ct = 1;
    if (has_ct && c->omit_content_type) {
      p->line = p->omit_line;
      return fail(p, "omit-content-type", "the connection has a Content-Type header");
    }
    if (p->seen_coding) {
      for (size_t i = 0; i < c->nheaders; i++) {
        if (strcasecmp(c->headers[i].name, "Content-Encoding") == 0) {
          p->line = p->coding_line;
          return fail(p, "content-encoding", "the connection has a Content-Encoding header");
        }
      }
    }
    c->add_content_type = c->status == 200 && !has_ct && !c->omit_content_type && !c->omit_head;
  }
  if (!c->reason) {
    c->reason = dupn(sc_reason_phrase(c->status), strlen(sc_reason_phrase(c->status)));
    if (!c->reason) return oom(p, "status");
  }
  if (!c->version.p) {
    c->version.p = dupn("HTTP/1.1", 8);
    if (!c->version.p) return oom(p, "http-version");
    c->version.n = 8;
  }
  if (!c->path.p) {
    c->path.p = dupn("", 0);
    if (!c->path.p) return oom(p, "expect-path");
  }
  p->conn = NULL;
  return 0;
}

static int start_conn(struct parser *p) {
  struct sc_connection *c;
  int line = p->line;
  if (finish_conn(p) < 0) return -1;
  p->line = line;
  c = push(&p->sc->conns, &p->sc->nconns, sizeof *c);
  if (!c) return oom(p, "connection");
  c->line = p->line;
  c->status = 200;
  c->delay_max = -1;
  c->framing = SC_CHUNKED;
  c->h2_padding = -1;
  p->conn = c;
  p->acted = p->ended = 0;
  p->seen_status = p->seen_framing = p->seen_version = p->seen_path = p->seen_delay = 0;
  p->seen_coding = p->seen_flush = p->seen_padding = 0;
  p->framing_line = p->ext_line = p->omit_line = p->status_line = p->first_body_line = 0;
  p->coding_line = p->flush_line = p->omit_head_line = 0;
  p->head_kw = NULL;
  p->head_kw_line = 0;
  return 0;
}

static int plain_text(struct parser *p, const char *kw, const char *args, const char *end,
                      char **out) {
  if (*out) return fail(p, kw, "given twice");
  if (args >= end) return fail(p, kw, "needs a value");
  *out = dupn(args, (size_t)(end - args));
  if (!*out) return oom(p, kw);
  return 0;
}

static int rule_ok(const char *s, size_t n) {
  size_t i = 1;
  if (n < 2 || s[0] < 'A' || s[0] > 'Z') return 0;
  if (s[1] < '0' || s[1] > '9') return 0;
  while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  while (i < n) {
    size_t start;
    if (s[i] != '-') return 0;
    start = ++i;
    while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))) i++;
    if (i == start) return 0;
  }
  return 1;
}

static int d_expect_record(struct parser *p, const char *args, const char *end,
                           unsigned long count) {
  const char *s = args, *w;
  struct sc_record r;
  memset(&r, 0, sizeof r);
  r.count = count;
  while (s < end && !is_space(*s)) s++;
  w = args;
  if (s == w) return fail(p, "expect", "needs a record kind: open, event or error");
  if ((size_t)(s - w) == 4 && memcmp(w, "open", 4) == 0) {
    r.kind = SC_REC_OPEN;
    if (no_args(p, "expect", skip_ws(s, end), end) < 0) return -1;
  } else if ((size_t)(s - w) == 5 && memcmp(w, "error", 5) == 0) {
    const char *a = skip_ws(s, end);
    r.kind = SC_REC_ERROR;
    if (end - a == 1 && (*a == '0' || *a == '2'))
      r.ready_state = *a - '0';
    else
      return fail(p, "expect", "error needs a readyState of 0 or 2, got '%.*s'",
                  (int)(end - a > 20 ? 20 : end - a), a);
  } else if ((size_t)(s - w) == 5 && memcmp(w, "event", 5) == 0) {
    int have_data = 0, have_type = 0, have_id = 0;
    r.kind = SC_REC_EVENT;
    s = skip_ws(s, end);
    while (s < end) {
      const char *k = s;
      struct sc_str v;
      int *have;
      struct sc_str *dst;
      while (s < end && *s >= 'a' && *s <= 'z') s++;
      if (s >= end || *s != '=' || s == k) {
        if (r.data.p) free(r.data.p);
        if (r.type.p) free(r.type.p);
        if (r.id.p) free(r.id.p);
        return fail(p, "expect", "expected data=, type= or id= at '%.*s'", SHOWN(k, end, 20));
      }
      if (s - k == 4 && memcmp(k, "data", 4) == 0) {
        have = &have_data;
        dst = &r.data;
      } else if (s - k == 4 && memcmp(k, "type", 4) == 0) {
        have = &have_type;
        dst = &r.type;
      } else if (s - k == 2 && memcmp(k, "id", 2) == 0) {
        have = &have_id;
        dst = &r.id;
      } else {
        free(r.data.p);
        free(r.type.p);
        free(r.id.p);
        return fail(p, "expect", "unknown field %.*s= (allowed: data, type, id)", (int)(s - k), k);
      }
      if (*have) {
        free(r.data.p);
        free(r.type.p);
        free(r.id.p);
        return fail(p, "expect", "field %.*s= given twice", (int)(s - k), k);
      }
      s++;
      if (parse_expr(p, "expect", &s, end, 0, &v) < 0) {
        free(r.data.p);
        free(r.type.p);
        free(r.id.p);
        return -1;
      }
      *have = 1;
      *dst = v;
    }
    if (!have_data) {
      free(r.type.p);
      free(r.id.p);
      return fail(p, "expect", "an event needs data=");
    }
    if (!have_type) {
      r.type.p = dupn("message", 7);
      r.type.n = 7;
    }
    if (!have_id) r.id.p = dupn("", 0);
    if (!r.type.p || !r.id.p) {
      free(r.data.p);
      free(r.type.p);
      free(r.id.p);
      return oom(p, "expect");
    }
    if (r.type.n == 0) {
      free(r.data.p);
      free(r.type.p);
      free(r.id.p);
      return fail(p, "expect", "type= is empty");
    }
    {
      /* the repeated text counts against the byte limit */
      size_t bytes = r.data.n + r.type.n + r.id.n;
      if (count > 1 && bytes && (count - 1) > (SC_MAX_BYTES - p->used) / bytes) {
        free(r.data.p);
        free(r.type.p);
        free(r.id.p);
        return fail(p, "repeat", "the repeated records are over the limit of %zu bytes",
                    SC_MAX_BYTES);
      }
      p->used += bytes * (count - 1);
    }
  } else {
    return fail(p, "expect", "unknown record kind '%.*s' (open, event or error)", (int)(s - w), w);
  }
  if (count > SC_MAX_RECORDS - p->records) {
    free(r.data.p);
    free(r.type.p);
    free(r.id.p);
    return fail(p, "repeat", "more than %lu expected records", SC_MAX_RECORDS);
  }
  p->records += count;
  {
    struct sc_record *slot = push(&p->sc->records, &p->sc->nrecords, sizeof *slot);
    if (!slot) {
      free(r.data.p);
      free(r.type.p);
      free(r.id.p);
      return oom(p, "expect");
    }
    *slot = r;
  }
  return 0;
}

static int d_types(struct parser *p, const char *s, const char *end, int *seen) {
  struct scenario *sc = p->sc;
  if (once(p, "types", seen) < 0) return -1;
  if (s >= end) return fail(p, "types", "needs one or more quoted event types");
  while (s < end) {
    struct sc_str t, *slot;
    if (parse_expr(p, "types", &s, end, 0, &t) < 0) return -1;
    if (t.n == 0) {
      free(t.p);
      return fail(p, "types", "an event type is empty");
    }
    if (t.n == 7 && memcmp(t.p, "message", 7) == 0) {
      free(t.p);
      return fail(p, "types", "\"message\" is always listened to; list only the others");
    }
    for (size_t i = 0; i < sc->ntypes; i++) {
      if (sc->types[i].n == t.n && memcmp(sc->types[i].p, t.p, t.n) == 0) {
        free(t.p);
        return fail(p, "types", "an event type is listed twice");
      }
    }
    slot = push(&sc->types, &sc->ntypes, sizeof *slot);
    if (!slot) {
      free(t.p);
      return oom(p, "types");
    }
    *slot = t;
  }
  return 0;
}

static const char *const h2_error_names[] = {"NO_ERROR",
                                             "PROTOCOL_ERROR",
                                             "INTERNAL_ERROR",
                                             "FLOW_CONTROL_ERROR",
                                             "SETTINGS_TIMEOUT",
                                             "STREAM_CLOSED",
                                             "FRAME_SIZE_ERROR",
                                             "REFUSED_STREAM",
                                             "CANCEL",
                                             "COMPRESSION_ERROR",
                                             "CONNECT_ERROR",
                                             "ENHANCE_YOUR_CALM",
                                             "INADEQUATE_SECURITY",
                                             "HTTP_1_1_REQUIRED"};

const char *sc_h2_error_name(unsigned long code) {
  return code < sizeof h2_error_names / sizeof h2_error_names[0] ? h2_error_names[code] : NULL;
}

/* An HTTP/2 error code: one of the names of RFC 9113 7, or a decimal
 * number up to 2^32-1. */
static int h2_code(const char *s, const char *end, unsigned long *out) {
  size_t n = (size_t)(end - s);
  for (size_t i = 0; i < sizeof h2_error_names / sizeof h2_error_names[0]; i++) {
    if (strlen(h2_error_names[i]) == n && memcmp(h2_error_names[i], s, n) == 0) {
      *out = i;
      return 0;
    }
  }
  return parse_uint(s, n, 4294967295UL, out);
}

static int d_action(struct parser *p, const char *kw, enum sc_action_kind kind, const char *s,
                    const char *end) {
  struct sc_connection *c;
  struct sc_action a, *slot;
  if (need_conn(p, kw) < 0) return -1;
  if (p->ended) {
    static const char *const names[] = {"send",  "send-chunks", "raw",  "wait",
                                        "close", "abort",       "hold", "goaway"};
    return fail(p, kw, "no action may follow %s",
                names[p->conn->actions[p->conn->nactions - 1].kind]);
  }
  c = p->conn;
  if (c->omit_head &&
      (kind == SC_SEND || kind == SC_SEND_CHUNKS || kind == SC_RAW || kind == SC_CLOSE))
    return fail(p, kw,
                "not with omit-head (line %d): the connection writes nothing; it may only "
                "wait, abort, goaway or hold",
                p->omit_head_line);
  memset(&a, 0, sizeof a);
  a.kind = kind;
  a.line = p->line;
  switch (kind) {
  case SC_SEND:
  case SC_SEND_CHUNKS:
  case SC_RAW:
    if (s >= end) return fail(p, kw, "needs a string expression");
    while (1) {
      struct sc_str piece, *ps;
      if (parse_expr(p, kw, &s, end, 1, &piece) < 0) goto bad;
      ps = push(&a.pieces, &a.npieces, sizeof *ps);
      if (!ps) {
        free(piece.p);
        oom(p, kw);
        goto bad;
      }
      *ps = piece;
      if (piece.n == 0) {
        fail(p, kw, "piece %zu is empty", a.npieces);
        goto bad;
      }
      if (s >= end) break;
      if (*s != '|' || kind == SC_RAW) {
        fail(p, kw, "unexpected '%.*s' after the string", SHOWN(s, end, 20));
        goto bad;
      }
      s = skip_ws(s + 1, end);
    }
    if (kind != SC_RAW && !p->first_body_line) p->first_body_line = p->line;
    break;
  case SC_WAIT: {
    if (parse_uint(s, (size_t)(end - s), SC_MAX_MS, &a.ms) < 0)
      return fail(p, kw, "needs milliseconds from 0 to %lu, got '%.*s'", SC_MAX_MS,
                  (int)(end - s > 20 ? 20 : end - s), s);
    break;
  }
  case SC_CLOSE:
  case SC_HOLD:
    if (no_args(p, kw, s, end) < 0) return -1;
    p->ended = 1;
    break;
  case SC_ABORT:
  case SC_GOAWAY:
    a.code = kind == SC_ABORT ? SC_H2_INTERNAL_ERROR : SC_H2_NO_ERROR;
    if (s < end && h2_code(s, end, &a.code) < 0)
      return fail(p, kw,
                  "takes an HTTP/2 error code: a name such as CANCEL or a number up to "
                  "4294967295, got '%.*s'",
                  SHOWN(s, end, 30));
    p->ended = 1;
    break;
  }
  slot = push(&c->actions, &c->nactions, sizeof *slot);
  if (!slot) {
    oom(p, kw);
    goto bad;
  }
  *slot = a;
  p->acted = 1;
  return 0;
bad:
  for (size_t i = 0; i < a.npieces; i++) free(a.pieces[i].p);
  free(a.pieces);
  return -1;
}

static int d_status(struct parser *p, const char *s, const char *end) {
  const char *w = s;
  unsigned long code;
  struct sc_connection *c = p->conn;
  if (response_directive(p, "status") < 0 || once(p, "status", &p->seen_status) < 0) return -1;
  while (s < end && !is_space(*s)) s++;
  if (s - w != 3 || parse_uint(w, 3, 999, &code) < 0 || code < 200 || code > 599)
    return fail(p, "status", "needs a code from 200 to 599, got '%.*s'",
                (int)(s - w > 20 ? 20 : s - w), w);
  c->status = (int)code;
  p->status_line = p->line;
  s = skip_ws(s, end);
  if (s < end) {
    c->reason = dupn(s, (size_t)(end - s));
    if (!c->reason) return oom(p, "status");
  }
  return 0;
}

static int d_header(struct parser *p, const char *s, const char *end) {
  struct sc_header h, *slot;
  if (response_directive(p, "header") < 0) return -1;
  if (header_name(p, "header", &s, end, &h.name) < 0) return -1;
  if (whole_expr(p, "header", s, end, 0, &h.value) < 0) {
    free(h.name);
    return -1;
  }
  if (has_byte(&h.value, "\r\n") || has_nul(&h.value)) {
    free(h.name);
    free(h.value.p);
    return fail(p, "header", "a header value cannot hold CR, LF or NUL (use raw)");
  }
  slot = push(&p->conn->headers, &p->conn->nheaders, sizeof *slot);
  if (!slot) {
    free(h.name);
    free(h.value.p);
    return oom(p, "header");
  }
  *slot = h;
  return 0;
}

static int d_expect_header(struct parser *p, const char *kw, enum sc_header_op op, const char *s,
                           const char *end) {
  struct sc_header_expect e, *slot;
  struct sc_connection *c = p->conn;
  memset(&e, 0, sizeof e);
  if (head_directive(p, kw) < 0) return -1;
  if (header_name(p, kw, &s, end, &e.name) < 0) return -1;
  e.op = op;
  for (size_t i = 0; i < c->nexpects; i++) {
    if (strcasecmp(c->expects[i].name, e.name) == 0) {
      free(e.name);
      return fail(p, kw, "header %s already has an expectation in this connection",
                  c->expects[i].name);
    }
  }
  if (op == SC_HDR_EQUAL) {
    if (whole_expr(p, kw, s, end, 0, &e.value) < 0) {
      free(e.name);
      return -1;
    }
  } else if (s < end) {
    free(e.name);
    return fail(p, kw, "takes only a header name, got '%.*s'", SHOWN(s, end, 20));
  }
  slot = push(&c->expects, &c->nexpects, sizeof *slot);
  if (!slot) {
    free(e.name);
    free(e.value.p);
    return oom(p, kw);
  }
  *slot = e;
  return 0;
}

static int d_delay(struct parser *p, const char *s, const char *end) {
  const char *dots;
  unsigned long lo, hi;
  struct sc_connection *c = p->conn;
  if (head_directive(p, "expect-delay") < 0 || once(p, "expect-delay", &p->seen_delay) < 0)
    return -1;
  dots = s;
  while (dots + 1 < end && !(dots[0] == '.' && dots[1] == '.')) dots++;
  if (dots + 1 >= end || parse_uint(s, (size_t)(dots - s), SC_MAX_MS, &lo) < 0) goto syntax;
  c->delay_min = lo;
  c->delay_max = -1;
  if (dots + 2 < end) {
    if (parse_uint(dots + 2, (size_t)(end - dots - 2), SC_MAX_MS, &hi) < 0) goto syntax;
    if (hi < lo) return fail(p, "expect-delay", "MAX %lu is below MIN %lu", hi, lo);
    c->delay_max = (long)hi;
  }
  c->has_delay = 1;
  return 0;
syntax:
  return fail(p, "expect-delay",
              "needs MIN..MAX in milliseconds (0 to %lu; MAX may be omitted), got '%.*s'",
              SC_MAX_MS, (int)(end - s > 30 ? 30 : end - s), s);
}

/* content-encoding gzip|br [force] */
static int d_coding(struct parser *p, const char *s, const char *end) {
  struct sc_connection *c = p->conn;
  const char *w = s;
  size_t n;
  if (response_directive(p, "content-encoding") < 0 ||
      once(p, "content-encoding", &p->seen_coding) < 0)
    return -1;
  while (s < end && !is_space(*s)) s++;
  n = (size_t)(s - w);
  if (n == 4 && memcmp(w, "gzip", 4) == 0)
    c->coding = SC_GZIP;
  else if (n == 2 && memcmp(w, "br", 2) == 0)
    c->coding = SC_BR;
  else
    return fail(p, "content-encoding", "needs gzip or br, got '%.*s'", SHOWN(w, end, 20));
  s = skip_ws(s, end);
  if (s < end) {
    if (end - s != 5 || memcmp(s, "force", 5) != 0)
      return fail(p, "content-encoding", "only force may follow the coding, got '%.*s'",
                  SHOWN(s, end, 20));
    c->coding_force = 1;
  }
  p->coding_line = p->line;
  return 0;
}

/* flush-at N [N ...]: body offsets, strictly increasing */
static int d_flush_at(struct parser *p, const char *s, const char *end) {
  struct sc_connection *c = p->conn;
  if (response_directive(p, "flush-at") < 0 || once(p, "flush-at", &p->seen_flush) < 0) return -1;
  if (s >= end) return fail(p, "flush-at", "needs one or more byte offsets");
  while (s < end) {
    const char *w = s;
    unsigned long v;
    size_t *slot;
    while (s < end && !is_space(*s)) s++;
    if (parse_uint(w, (size_t)(s - w), SC_MAX_BYTES, &v) < 0 || v == 0)
      return fail(p, "flush-at", "needs byte offsets from 1 to %zu, got '%.*s'", SC_MAX_BYTES,
                  SHOWN(w, end, 20));
    if (c->nflush_at && v <= c->flush_at[c->nflush_at - 1])
      return fail(p, "flush-at", "offsets must increase: %lu after %zu", v,
                  c->flush_at[c->nflush_at - 1]);
    if (c->nflush_at == SC_MAX_FLUSH_AT)
      return fail(p, "flush-at", "more than %lu offsets", SC_MAX_FLUSH_AT);
    slot = push(&c->flush_at, &c->nflush_at, sizeof *slot);
    if (!slot) return oom(p, "flush-at");
    *slot = v;
    s = skip_ws(s, end);
  }
  p->flush_line = p->line;
  return 0;
}

static int directive(struct parser *p, const char *kw, size_t kwn, const char *args,
                     const char *end, int *seen) {
  struct scenario *sc = p->sc;
  struct sc_connection *c = p->conn;
#define KW(lit) (kwn == sizeof(lit) - 1 && memcmp(kw, lit, kwn) == 0)
  if (KW("about")) return plain_text(p, "about", args, end, &sc->about);
  if (KW("rule")) {
    if (plain_text(p, "rule", args, end, &sc->rule) < 0) return -1;
    if (!rule_ok(args, (size_t)(end - args)))
      return fail(p, "rule", "'%.*s' is not a rule id (like C5 or C6-empty)",
                  (int)(end - args > 20 ? 20 : end - args), args);
    return 0;
  }
  if (KW("open")) return plain_text(p, "open", args, end, &sc->open);
  if (KW("types")) return d_types(p, args, end, &seen[0]);
  if (KW("timeout")) {
    const char *s = args;
    char tmp[32];
    double v;
    size_t n = (size_t)(end - args);
    if (once(p, "timeout", &seen[1]) < 0) return -1;
    while (s < end && *s >= '0' && *s <= '9') s++;
    if (s == args) goto bad_timeout;
    if (s < end && *s == '.') {
      const char *f = ++s;
      while (s < end && *s >= '0' && *s <= '9') s++;
      if (s == f) goto bad_timeout;
    }
    if (s != end || n >= sizeof tmp) goto bad_timeout;
    memcpy(tmp, args, n);
    tmp[n] = '\0';
    v = strtod(tmp, NULL);
    if (!(v > 0 && v <= SC_MAX_TIMEOUT))
      return fail(p, "timeout", "must be over 0 and at most %g seconds", SC_MAX_TIMEOUT);
    sc->timeout = v;
    return 0;
  bad_timeout:
    return fail(p, "timeout", "needs seconds (like 10 or 2.5), got '%.*s'", (int)(n > 20 ? 20 : n),
                args);
  }
  if (KW("linger")) {
    if (once(p, "linger", &seen[2]) < 0) return -1;
    if (parse_uint(args, (size_t)(end - args), SC_MAX_MS, &sc->linger_ms) < 0)
      return fail(p, "linger", "needs milliseconds from 0 to %lu, got '%.*s'", SC_MAX_MS,
                  (int)(end - args > 20 ? 20 : end - args), args);
    return 0;
  }
  if (KW("close-after")) {
    if (once(p, "close-after", &seen[3]) < 0) return -1;
    if (parse_uint(args, (size_t)(end - args), SC_MAX_RECORDS, &sc->close_after) < 0 ||
        sc->close_after < 1)
      return fail(p, "close-after", "needs a record number from 1 to %lu, got '%.*s'",
                  SC_MAX_RECORDS, SHOWN(args, end, 20));
    p->close_after_line = p->line;
    return 0;
  }
  if (KW("skip-variant")) {
    const char *s = args;
    char **reason;
    int n;
    while (s < end && !is_space(*s)) s++;
    n = (int)(s - args);
    if (n == 3 && memcmp(args, "tls", 3) == 0)
      reason = &sc->skip_tls;
    else if (n == 2 && memcmp(args, "h2", 2) == 0)
      reason = &sc->skip_h2;
    else
      return fail(p, "skip-variant", "the variants are tls and h2, got '%.*s'", n > 20 ? 20 : n,
                  args);
    s = skip_ws(s, end);
    if (s >= end) return fail(p, "skip-variant", "skip-variant %.*s needs a reason", n, args);
    if (*reason) return fail(p, "skip-variant", "skip-variant %.*s given twice", n, args);
    *reason = dupn(s, (size_t)(end - s));
    return *reason ? 0 : oom(p, "skip-variant");
  }
  if (KW("connection")) {
    if (no_args(p, "connection", args, end) < 0) return -1;
    return start_conn(p);
  }
  if (KW("expect")) return d_expect_record(p, args, end, 1);
  if (KW("repeat")) {
    const char *s = args, *k;
    unsigned long n;
    while (s < end && !is_space(*s)) s++;
    if (parse_uint(args, (size_t)(s - args), SC_MAX_RECORDS, &n) < 0 || n < 1)
      return fail(p, "repeat", "needs a count from 1 to %lu, got '%.*s'", SC_MAX_RECORDS,
                  (int)(s - args > 20 ? 20 : s - args), args);
    s = skip_ws(s, end);
    k = s;
    while (s < end && !is_space(*s)) s++;
    if (s - k != 6 || memcmp(k, "expect", 6) != 0)
      return fail(p, "repeat", "applies only to expect, not '%.*s'", (int)(s - k > 20 ? 20 : s - k),
                  k);
    return d_expect_record(p, skip_ws(s, end), end, n);
  }
  /* connection directives */
  if (KW("expect-path")) {
    if (head_directive(p, "expect-path") < 0 || once(p, "expect-path", &p->seen_path) < 0)
      return -1;
    if (whole_expr(p, "expect-path", args, end, 0, &c->path) < 0) return -1;
    return 0;
  }
  if (KW("expect-header")) return d_expect_header(p, "expect-header", SC_HDR_EQUAL, args, end);
  if (KW("expect-header-present"))
    return d_expect_header(p, "expect-header-present", SC_HDR_PRESENT, args, end);
  if (KW("expect-header-absent"))
    return d_expect_header(p, "expect-header-absent", SC_HDR_ABSENT, args, end);
  if (KW("expect-delay")) return d_delay(p, args, end);
  if (KW("status")) return d_status(p, args, end);
  if (KW("header")) return d_header(p, args, end);
  if (KW("omit-head")) {
    if (head_directive(p, "omit-head") < 0) return -1;
    if (c->omit_head) return fail(p, "omit-head", "given twice");
    if (no_args(p, "omit-head", args, end) < 0) return -1;
    if (p->head_kw)
      return fail(p, "omit-head", "the connection already has a head directive: %s (line %d)",
                  p->head_kw, p->head_kw_line);
    c->omit_head = 1;
    p->omit_head_line = p->line;
    return 0;
  }
  if (KW("omit-content-type")) {
    if (response_directive(p, "omit-content-type") < 0) return -1;
    if (c->omit_content_type) return fail(p, "omit-content-type", "given twice");
    if (no_args(p, "omit-content-type", args, end) < 0) return -1;
    c->omit_content_type = 1;
    p->omit_line = p->line;
    return 0;
  }
  if (KW("framing")) {
    size_t n = (size_t)(end - args);
    if (response_directive(p, "framing") < 0 || once(p, "framing", &p->seen_framing) < 0) return -1;
    if (n == 7 && memcmp(args, "chunked", 7) == 0)
      c->framing = SC_CHUNKED;
    else if (n == 6 && memcmp(args, "length", 6) == 0)
      c->framing = SC_LENGTH;
    else if (n == 5 && memcmp(args, "close", 5) == 0)
      c->framing = SC_CLOSE_DELIMITED;
    else
      return fail(p, "framing", "needs chunked, length or close, got '%.*s'",
                  (int)(n > 20 ? 20 : n), args);
    p->framing_line = p->line;
    return 0;
  }
  if (KW("http-version")) {
    if (response_directive(p, "http-version") < 0 || once(p, "http-version", &p->seen_version) < 0)
      return -1;
    if (whole_expr(p, "http-version", args, end, 0, &c->version) < 0) return -1;
    if (c->version.n == 0 || has_byte(&c->version, "\r\n ") || has_nul(&c->version))
      return fail(p, "http-version", "must be non-empty without spaces, CR, LF or NUL");
    return 0;
  }
  if (KW("chunk-extension")) {
    if (response_directive(p, "chunk-extension") < 0) return -1;
    if (c->has_chunk_ext) return fail(p, "chunk-extension", "given twice");
    if (whole_expr(p, "chunk-extension", args, end, 0, &c->chunk_ext) < 0) return -1;
    c->has_chunk_ext = 1;
    p->ext_line = p->line;
    if (has_byte(&c->chunk_ext, "\r\n") || has_nul(&c->chunk_ext))
      return fail(p, "chunk-extension", "cannot hold CR, LF or NUL");
    return 0;
  }
  if (KW("content-encoding")) return d_coding(p, args, end);
  if (KW("flush-at")) return d_flush_at(p, args, end);
  if (KW("h2-padding")) {
    unsigned long v;
    if (response_directive(p, "h2-padding") < 0 || once(p, "h2-padding", &p->seen_padding) < 0)
      return -1;
    if (parse_uint(args, (size_t)(end - args), SC_MAX_H2_PADDING, &v) < 0)
      return fail(p, "h2-padding", "needs a byte count from 0 to %d, got '%.*s'", SC_MAX_H2_PADDING,
                  SHOWN(args, end, 20));
    c->h2_padding = (int)v;
    return 0;
  }
  if (KW("send")) return d_action(p, "send", SC_SEND, args, end);
  if (KW("send-chunks")) return d_action(p, "send-chunks", SC_SEND_CHUNKS, args, end);
  if (KW("raw")) return d_action(p, "raw", SC_RAW, args, end);
  if (KW("wait")) return d_action(p, "wait", SC_WAIT, args, end);
  if (KW("close")) return d_action(p, "close", SC_CLOSE, args, end);
  if (KW("abort")) return d_action(p, "abort", SC_ABORT, args, end);
  if (KW("hold")) return d_action(p, "hold", SC_HOLD, args, end);
  if (KW("goaway")) return d_action(p, "goaway", SC_GOAWAY, args, end);
#undef KW
  {
    char shown[40];
    size_t n = kwn < sizeof shown - 1 ? kwn : sizeof shown - 1;
    memcpy(shown, kw, n);
    shown[n] = '\0';
    return fail(p, shown, "unknown directive");
  }
}

/* The line number of the first byte that is not valid UTF-8, or 0. */
static int utf8_bad_line(const char *buf, size_t len) {
  const unsigned char *s = (const unsigned char *)buf, *end = s + len;
  int line = 1;
  while (s < end) {
    unsigned c = *s;
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      if (c == '\n') line++;
      s++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return line;
    }
    for (size_t i = 1; i <= need; i++) {
      if (s + i >= end || s[i] < lo || s[i] > hi) return line;
      lo = 0x80;
      hi = 0xBF;
    }
    s += need + 1;
  }
  return 0;
}

int sc_name_ok(const char *name) {
  const char *s = name;
  if (!*s) return 0;
  while (*s) {
    const char *part = s;
    while ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-') s++;
    if (s == part || *part == '-') return 0;
    if (*s == '/') {
      s++;
      if (!*s) return 0;
    } else if (*s) {
      return 0;
    }
  }
  return 1;
}

int sc_parse(const char *buf, size_t len, const char *name, const char *file, struct scenario **out,
             char *err, size_t errsize) {
  struct parser p;
  struct scenario *sc;
  const char *s = buf, *end = buf + len;
  int seen[4] = {0, 0, 0, 0};
  memset(&p, 0, sizeof p);
  p.file = file;
  p.err = err;
  p.errsize = errsize;
  p.line = 1;
  *out = NULL;
  if (err && errsize) err[0] = '\0';
  if (!sc_name_ok(name)) {
    return fail(&p, "name",
                "scenario name '%.80s' may use only a-z, 0-9 and '-', in parts separated by "
                "'/', each starting with a letter or digit",
                name);
  }
  if (len > SC_MAX_FILE_BYTES) {
    return fail(&p, "file", "the file is over %zu bytes", SC_MAX_FILE_BYTES);
  }
  if (memchr(buf, '\0', len)) {
    p.line = 1;
    for (const char *q = buf; *q; q++)
      if (*q == '\n') p.line++;
    return fail(&p, "encoding", "a NUL byte in the file");
  }
  if ((p.line = utf8_bad_line(buf, len)) != 0) return fail(&p, "encoding", "not valid UTF-8");
  sc = calloc(1, sizeof *sc);
  if (!sc) return oom(&p, "file");
  p.sc = sc;
  sc->timeout = 10.0;
  sc->linger_ms = 300;
  sc->name = dupn(name, strlen(name));
  sc->file = dupn(file, strlen(file));
  if (!sc->name || !sc->file) {
    oom(&p, "file");
    goto bad;
  }
  p.line = 0;
  while (s < end) {
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    const char *le = nl ? nl : end, *kw, *kwe;
    p.line++;
    while (le > s && (le[-1] == '\r' || is_space(le[-1]))) le--;
    s = skip_ws(s, le);
    if (s < le && *s != '#') {
      kw = s;
      while (s < le && !is_space(*s)) s++;
      kwe = s;
      if (directive(&p, kw, (size_t)(kwe - kw), skip_ws(s, le), le, seen) < 0) goto bad;
    }
    s = nl ? nl + 1 : end;
  }
  if (finish_conn(&p) < 0) goto bad;
  p.line = 1;
  if (!sc->about) {
    fail(&p, "about", "missing: every scenario says what it checks");
    goto bad;
  }
  if (!sc->rule) {
    fail(&p, "rule", "missing: every scenario names the rule it checks");
    goto bad;
  }
  if (sc->nconns == 0) {
    fail(&p, "connection", "missing: a scenario has at least one connection");
    goto bad;
  }
  if (sc->close_after > p.records) {
    p.line = p.close_after_line;
    fail(&p, "close-after", "record %lu is past the last of the %lu expected records",
         sc->close_after, p.records);
    goto bad;
  }
  *out = sc;
  return 0;
bad:
  sc_free(sc);
  return -1;
}

static void str_free(struct sc_str *s) {
  free(s->p);
}

void sc_free(struct scenario *sc) {
  if (!sc) return;
  free(sc->name);
  free(sc->file);
  free(sc->about);
  free(sc->rule);
  free(sc->open);
  free(sc->skip_tls);
  free(sc->skip_h2);
  for (size_t i = 0; i < sc->ntypes; i++) str_free(&sc->types[i]);
  free(sc->types);
  for (size_t i = 0; i < sc->nconns; i++) {
    struct sc_connection *c = &sc->conns[i];
    str_free(&c->path);
    for (size_t j = 0; j < c->nexpects; j++) {
      free(c->expects[j].name);
      str_free(&c->expects[j].value);
    }
    free(c->expects);
    free(c->reason);
    str_free(&c->version);
    for (size_t j = 0; j < c->nheaders; j++) {
      free(c->headers[j].name);
      str_free(&c->headers[j].value);
    }
    free(c->headers);
    str_free(&c->chunk_ext);
    free(c->flush_at);
    for (size_t j = 0; j < c->nactions; j++) {
      for (size_t k = 0; k < c->actions[j].npieces; k++) str_free(&c->actions[j].pieces[k]);
      free(c->actions[j].pieces);
    }
    free(c->actions);
  }
  free(sc->conns);
  for (size_t i = 0; i < sc->nrecords; i++) {
    str_free(&sc->records[i].type);
    str_free(&sc->records[i].data);
    str_free(&sc->records[i].id);
  }
  free(sc->records);
  free(sc);
}

int sc_load_file(const char *path, const char *name, struct scenario **out, char *err,
                 size_t errsize) {
  FILE *f;
  struct stat st;
  char *buf;
  size_t n;
  int rc;
  *out = NULL;
  f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errsize, "%s:0: file: cannot read: %s", path, strerror(errno));
    return -1;
  }
  if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, errsize, "%s:0: file: not a regular file", path);
    fclose(f);
    return -1;
  }
  if ((unsigned long long)st.st_size > SC_MAX_FILE_BYTES) {
    snprintf(err, errsize, "%s:0: file: the file is over %zu bytes", path, SC_MAX_FILE_BYTES);
    fclose(f);
    return -1;
  }
  buf = malloc((size_t)st.st_size + 1);
  if (!buf) {
    snprintf(err, errsize, "%s:0: file: out of memory", path);
    fclose(f);
    return -1;
  }
  n = fread(buf, 1, (size_t)st.st_size + 1, f);
  if (ferror(f) || n > (size_t)st.st_size) {
    snprintf(err, errsize, "%s:0: file: cannot read it whole", path);
    fclose(f);
    free(buf);
    return -1;
  }
  fclose(f);
  rc = sc_parse(buf, n, name, path, out, err, errsize);
  free(buf);
  return rc;
}

char *sc_name_from_path(const char *path) {
  const char *best = NULL, *s, *base = path, *stop;
  size_t n = strlen(path);
  /* the nearest ancestor called "scenarios": the last "/scenarios/" or a
   * leading "scenarios/" */
  for (s = path; *s; s++) {
    if ((s == path || s[-1] == '/') && strncmp(s, "scenarios/", 10) == 0) best = s + 10;
    if (*s == '/') base = s + 1;
  }
  if (best) base = best;
  stop = path + n;
  if (n >= 9 && strcmp(path + n - 9, ".scenario") == 0) stop = path + n - 9;
  if (stop < base) stop = base;
  return dupn(base, (size_t)(stop - base));
}

size_t sc_expanded_len(const struct sc_str *s, size_t blen, size_t olen) {
  size_t i, n = s->n;
  if (!s->tmpl) return n;
  for (i = 0; i < s->n; i++) {
    if (s->p[i] != '{') continue;
    if (s->n - i >= 6 && memcmp(s->p + i, "{base}", 6) == 0) {
      n = n - 6 + blen;
      i += 5;
    } else if (s->n - i >= 8 && memcmp(s->p + i, "{origin}", 8) == 0) {
      n = n - 8 + olen;
      i += 7;
    }
  }
  return n;
}

size_t sc_expand(const struct sc_str *s, const char *base, size_t blen, const char *origin,
                 size_t olen, char *out) {
  size_t i = 0, o = 0;
  if (!s->tmpl) {
    if (s->n) memcpy(out, s->p, s->n);
    return s->n;
  }
  while (i < s->n) {
    if (s->p[i] == '{' && s->n - i >= 6 && memcmp(s->p + i, "{base}", 6) == 0) {
      memcpy(out + o, base, blen);
      o += blen;
      i += 6;
    } else if (s->p[i] == '{' && s->n - i >= 8 && memcmp(s->p + i, "{origin}", 8) == 0) {
      memcpy(out + o, origin, olen);
      o += olen;
      i += 8;
    } else {
      out[o++] = s->p[i++];
    }
  }
  return o;
}

const char *sc_coding_name(enum sc_coding coding) {
  return coding == SC_GZIP ? "gzip" : coding == SC_BR ? "br" : "identity";
}

const char *sc_reason_phrase(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 202:
    return "Accepted";
  case 203:
    return "Non-Authoritative Information";
  case 204:
    return "No Content";
  case 205:
    return "Reset Content";
  case 206:
    return "Partial Content";
  case 300:
    return "Multiple Choices";
  case 301:
    return "Moved Permanently";
  case 302:
    return "Found";
  case 303:
    return "See Other";
  case 304:
    return "Not Modified";
  case 307:
    return "Temporary Redirect";
  case 308:
    return "Permanent Redirect";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 406:
    return "Not Acceptable";
  case 408:
    return "Request Timeout";
  case 410:
    return "Gone";
  case 413:
    return "Content Too Large";
  case 429:
    return "Too Many Requests";
  case 431:
    return "Request Header Fields Too Large";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  case 505:
    return "HTTP Version Not Supported";
  default:
    return "";
  }
}
