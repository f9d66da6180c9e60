/*
 * json.c - the JSON writer and the strict in-place JSON reader of json.h.
 */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ UTF-8 */

/* The length of the well-formed UTF-8 sequence at p (1 to 4 bytes, not
 * reading at or past end), or 0 when it is ill-formed; then *bad is the
 * length of its maximal subpart (1 to 3 bytes), the bytes that one U+FFFD
 * replaces (the Unicode and WHATWG Encoding Standard practice). */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end, size_t *bad) {
  unsigned c = p[0];
  unsigned lo = 0x80, hi = 0xBF;
  size_t need, i;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F; /* no surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F; /* nothing over U+10FFFF */
  } else {
    *bad = 1;
    return 0;
  }
  for (i = 1; i <= need; i++) {
    unsigned b;
    if (p + i >= end) break;
    b = p[i];
    if (b < lo || b > hi) break;
    lo = 0x80;
    hi = 0xBF;
  }
  if (i > need) return need + 1;
  *bad = i;
  return 0;
}

size_t utf8_encode(char *out, uint32_t cp) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* ----------------------------------------------------------- writer */

/* Bytes a string may hold as they are: printable ASCII but '"' and '\'. */
static int jw_plain(unsigned c) {
  return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

void jw_init(jw *w, size_t max) {
  memset(w, 0, sizeof *w);
  w->max = (max == 0 || max > JW_MAX_SIZE) ? JW_MAX_SIZE : max;
}

void jw_free(jw *w) {
  free(w->buf);
  w->buf = NULL;
  w->len = 0;
  w->cap = 0;
}

void jw_clear(jw *w) {
  w->len = 0;
  if (w->buf) w->buf[0] = '\0';
  w->replaced = 0;
  w->err = JW_OK;
  w->depth = 0;
  w->is_object = 0;
  w->has_items = 0;
  w->need_value = 0;
  w->top_items = 0;
}

static int jw_fail(jw *w, int code) {
  if (w->err == JW_OK) w->err = code;
  return w->err;
}

/* Make room for extra more bytes and the terminating NUL. */
static int jw_reserve(jw *w, size_t extra) {
  size_t need, cap;
  char *p;
  if (w->err) return w->err;
  if (extra > w->max - w->len) return jw_fail(w, JW_ELIMIT);
  need = w->len + extra + 1; /* <= JW_MAX_SIZE + 1: no overflow below */
  if (need <= w->cap) return JW_OK;
  cap = w->cap ? w->cap : 256;
  while (cap < need) cap *= 2;
  p = realloc(w->buf, cap);
  if (!p) return jw_fail(w, JW_ENOMEM);
  w->buf = p;
  w->cap = cap;
  return JW_OK;
}

/* Append n bytes; room must have been reserved. */
static void jw_put(jw *w, const void *s, size_t n) {
  memcpy(w->buf + w->len, s, n);
  w->len += n;
  w->buf[w->len] = '\0';
}

static int jw_append(jw *w, const void *s, size_t n) {
  if (jw_reserve(w, n)) return w->err;
  jw_put(w, s, n);
  return JW_OK;
}

int jw_raw(jw *w, const void *s, size_t n) {
  if (jw_append(w, s, n)) return w->err;
  if (w->depth == 0) {
    w->top_items = 0;
    w->need_value = 0;
  }
  return JW_OK;
}

int jw_escape(jw *w, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s;
  const unsigned char *end = p + n;
  if (jw_append(w, "\"", 1)) return w->err;
  while (p < end) {
    const unsigned char *run = p;
    size_t bad = 0;
    /* The run of bytes copied as they are: plain ASCII and well-formed
     * UTF-8 sequences. */
    while (p < end) {
      if (jw_plain(*p)) {
        p++;
      } else if (*p >= 0x80) {
        size_t k = utf8_seq(p, end, &bad);
        if (k == 0) break;
        p += k;
      } else {
        break;
      }
    }
    if (p > run && jw_append(w, run, (size_t)(p - run))) return w->err;
    if (p == end) break;
    if (*p >= 0x80) {
      /* a maximal invalid subpart: one U+FFFD */
      if (jw_append(w, "\xEF\xBF\xBD", 3)) return w->err;
      w->replaced++;
      p += bad;
    } else if (*p == '"') {
      if (jw_append(w, "\\\"", 2)) return w->err;
      p++;
    } else if (*p == '\\') {
      if (jw_append(w, "\\\\", 2)) return w->err;
      p++;
    } else {
      /* a control character or DEL */
      char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
      if (jw_append(w, esc, 6)) return w->err;
      p++;
    }
  }
  return jw_append(w, "\"", 1);
}

/* Before any value: check it is allowed here and write the comma. */
static int jw_before_value(jw *w) {
  uint64_t bit;
  if (w->err) return w->err;
  if (w->depth == 0) {
    if (w->top_items) return jw_fail(w, JW_EUSAGE);
    w->top_items = 1;
    return JW_OK;
  }
  bit = (uint64_t)1 << (w->depth - 1);
  if (w->is_object & bit) {
    if (!w->need_value) return jw_fail(w, JW_EUSAGE);
    w->need_value = 0;
    return JW_OK;
  }
  if (w->has_items & bit) {
    if (jw_append(w, ",", 1)) return w->err;
  }
  w->has_items |= bit;
  return JW_OK;
}

static int jw_begin(jw *w, int object) {
  uint64_t bit;
  if (jw_before_value(w)) return w->err;
  if (w->depth >= JW_MAX_DEPTH) return jw_fail(w, JW_EDEPTH);
  if (jw_append(w, object ? "{" : "[", 1)) return w->err;
  bit = (uint64_t)1 << w->depth;
  w->depth++;
  if (object)
    w->is_object |= bit;
  else
    w->is_object &= ~bit;
  w->has_items &= ~bit;
  return JW_OK;
}

static int jw_end(jw *w, int object) {
  uint64_t bit;
  if (w->err) return w->err;
  if (w->depth == 0 || w->need_value) return jw_fail(w, JW_EUSAGE);
  bit = (uint64_t)1 << (w->depth - 1);
  if (!(w->is_object & bit) != !object) return jw_fail(w, JW_EUSAGE);
  if (jw_append(w, object ? "}" : "]", 1)) return w->err;
  w->depth--;
  return JW_OK;
}

int jw_object_begin(jw *w) {
  return jw_begin(w, 1);
}

int jw_object_end(jw *w) {
  return jw_end(w, 1);
}

int jw_array_begin(jw *w) {
  return jw_begin(w, 0);
}

int jw_array_end(jw *w) {
  return jw_end(w, 0);
}

int jw_keyn(jw *w, const char *key, size_t n) {
  uint64_t bit;
  if (w->err) return w->err;
  if (w->depth == 0 || w->need_value) return jw_fail(w, JW_EUSAGE);
  bit = (uint64_t)1 << (w->depth - 1);
  if (!(w->is_object & bit)) return jw_fail(w, JW_EUSAGE);
  if ((w->has_items & bit) && jw_append(w, ",", 1)) return w->err;
  w->has_items |= bit;
  if (jw_escape(w, key, n) || jw_append(w, ":", 1)) return w->err;
  w->need_value = 1;
  return JW_OK;
}

int jw_key(jw *w, const char *key) {
  return jw_keyn(w, key, strlen(key));
}

int jw_string(jw *w, const char *s, size_t n) {
  if (jw_before_value(w)) return w->err;
  return jw_escape(w, s, n);
}

int jw_cstr(jw *w, const char *s) {
  return jw_string(w, s, strlen(s));
}

/* Digits of v, at the end of a 20-byte buffer; returns the first. */
static char *u64_digits(char *end, uint64_t v) {
  char *p = end;
  do {
    *--p = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return p;
}

int jw_uint(jw *w, uint64_t v) {
  char buf[24];
  char *p;
  if (jw_before_value(w)) return w->err;
  p = u64_digits(buf + sizeof buf, v);
  return jw_append(w, p, (size_t)(buf + sizeof buf - p));
}

int jw_int(jw *w, int64_t v) {
  char buf[24];
  char *p;
  uint64_t mag = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
  if (jw_before_value(w)) return w->err;
  p = u64_digits(buf + sizeof buf, mag);
  if (v < 0) *--p = '-';
  return jw_append(w, p, (size_t)(buf + sizeof buf - p));
}

int jw_bool(jw *w, int v) {
  if (jw_before_value(w)) return w->err;
  return v ? jw_append(w, "true", 4) : jw_append(w, "false", 5);
}

int jw_null(jw *w) {
  if (jw_before_value(w)) return w->err;
  return jw_append(w, "null", 4);
}

const char *jw_strerror(int code) {
  switch (code) {
  case JW_OK:
    return "no error";
  case JW_ENOMEM:
    return "out of memory";
  case JW_ELIMIT:
    return "output too large";
  case JW_EDEPTH:
    return "nesting too deep";
  case JW_EUSAGE:
    return "JSON writer calls out of order";
  default:
    return "unknown error";
  }
}

/* ----------------------------------------------------------- reader */

struct json_block {
  json_block *next;
  size_t cap;
  size_t used;
  json_value nodes[];
};

#define JSON_BLOCK_MIN 256
#define JSON_BLOCK_MAX 65536

void json_doc_init(json_doc *d) {
  memset(d, 0, sizeof *d);
  d->max_depth = JSON_DEFAULT_MAX_DEPTH;
  d->max_nodes = SIZE_MAX;
}

void json_doc_set_limits(json_doc *d, size_t max_depth, size_t max_nodes) {
  if (max_depth == 0) max_depth = JSON_DEFAULT_MAX_DEPTH;
  if (max_depth > JSON_MAX_DEPTH_LIMIT) max_depth = JSON_MAX_DEPTH_LIMIT;
  d->max_depth = max_depth;
  d->max_nodes = max_nodes ? max_nodes : SIZE_MAX;
}

void json_doc_free(json_doc *d) {
  json_block *b = d->blocks;
  while (b) {
    json_block *next = b->next;
    free(b);
    b = next;
  }
  free(d->scratch);
  d->blocks = NULL;
  d->current = NULL;
  d->nodes = 0;
  d->scratch = NULL;
  d->scratch_cap = 0;
}

const char *json_doc_error(const json_doc *d) {
  return d->error;
}

size_t json_doc_error_offset(const json_doc *d) {
  return d->error_offset;
}

/* The state of one parse. */
typedef struct jr {
  json_doc *d;
  char *buf;
  size_t len;
  size_t pos;
} jr;

/* Record a failure: the message (printf-style) followed by " at byte N". */
static int jr_fail(jr *r, int code, size_t offset, const char *fmt, ...) {
  char msg[sizeof r->d->error];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(r->d->error, sizeof r->d->error, "%.120s at byte %zu", msg, offset);
  r->d->error_offset = offset;
  return code;
}

/* Describe the byte at offset for a message: 'x' or byte 0xHH. */
static const char *jr_describe(const jr *r, size_t offset, char out[16]) {
  unsigned c = (unsigned char)r->buf[offset];
  if (c > 0x20 && c < 0x7F && c != '\'')
    snprintf(out, 16, "'%c'", (char)c);
  else
    snprintf(out, 16, "byte 0x%02X", c);
  return out;
}

static json_value *jr_node(jr *r, json_type type, int *status) {
  json_doc *d = r->d;
  json_block *b = d->current;
  json_value *v;
  if (d->nodes >= d->max_nodes) {
    *status = jr_fail(r, JSON_ELIMIT, r->pos, "more than %zu values in the document", d->max_nodes);
    return NULL;
  }
  if (!b || b->used == b->cap) {
    json_block *next = b ? b->next : d->blocks;
    if (next) {
      next->used = 0;
    } else {
      size_t cap = b ? b->cap * 2 : JSON_BLOCK_MIN;
      if (cap > JSON_BLOCK_MAX) cap = JSON_BLOCK_MAX;
      next = malloc(sizeof *next + cap * sizeof next->nodes[0]);
      if (!next) {
        *status = jr_fail(r, JSON_ENOMEM, r->pos, "out of memory");
        return NULL;
      }
      next->next = NULL;
      next->cap = cap;
      next->used = 0;
      if (b)
        b->next = next;
      else
        d->blocks = next;
    }
    d->current = b = next;
  }
  v = &b->nodes[b->used++];
  d->nodes++;
  memset(v, 0, sizeof *v);
  v->type = type;
  return v;
}

static void jr_skip_ws(jr *r) {
  while (r->pos < r->len) {
    char c = r->buf[r->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    r->pos++;
  }
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Four hex digits at offset at; -1 if they are not there. */
static long jr_hex4(const jr *r, size_t at) {
  long v = 0;
  size_t i;
  if (at > r->len || r->len - at < 4) return -1;
  for (i = 0; i < 4; i++) {
    int h = hex_value(r->buf[at + i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

/* A string at r->pos (its opening quote), unescaped in place. */
static int jr_string(jr *r, char **out, size_t *out_len) {
  size_t start = r->pos;
  char *buf = r->buf;
  size_t len = r->len;
  size_t rd = start + 1, wr = start + 1;
  for (;;) {
    unsigned c;
    /* the plain ASCII run (DEL included: JSON only bans below 0x20) */
    while (rd < len && (jw_plain((unsigned char)buf[rd]) || buf[rd] == 0x7F)) {
      if (wr != rd) buf[wr] = buf[rd];
      rd++;
      wr++;
    }
    if (rd == len) return jr_fail(r, JSON_ESYNTAX, start, "unterminated string");
    c = (unsigned char)buf[rd];
    if (c == '"') break;
    if (c >= 0x80) {
      size_t bad = 0;
      size_t k = utf8_seq((const unsigned char *)buf + rd, (const unsigned char *)buf + len, &bad);
      if (k == 0) return jr_fail(r, JSON_ESYNTAX, rd, "invalid UTF-8 in string");
      if (wr != rd) memmove(buf + wr, buf + rd, k);
      rd += k;
      wr += k;
    } else if (c == '\\') {
      char e;
      if (rd + 1 == len) return jr_fail(r, JSON_ESYNTAX, start, "unterminated string");
      e = buf[rd + 1];
      switch (e) {
      case '"':
      case '\\':
      case '/':
        buf[wr++] = e;
        rd += 2;
        break;
      case 'b':
        buf[wr++] = '\b';
        rd += 2;
        break;
      case 'f':
        buf[wr++] = '\f';
        rd += 2;
        break;
      case 'n':
        buf[wr++] = '\n';
        rd += 2;
        break;
      case 'r':
        buf[wr++] = '\r';
        rd += 2;
        break;
      case 't':
        buf[wr++] = '\t';
        rd += 2;
        break;
      case 'u': {
        long cp = jr_hex4(r, rd + 2);
        if (cp < 0)
          return jr_fail(r, JSON_ESYNTAX, rd, "invalid \\u escape (expected 4 hex digits)");
        if (cp >= 0xDC00 && cp <= 0xDFFF)
          return jr_fail(r, JSON_ESYNTAX, rd,
                         "lone surrogate \\u%04lX (a low surrogate without a high one)", cp);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          long lo = -1;
          if (rd + 7 < len && buf[rd + 6] == '\\' && buf[rd + 7] == 'u') lo = jr_hex4(r, rd + 8);
          if (lo < 0xDC00 || lo > 0xDFFF)
            return jr_fail(r, JSON_ESYNTAX, rd,
                           "lone surrogate \\u%04lX (a high surrogate not followed by a low one)",
                           cp);
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          rd += 12;
        } else {
          rd += 6;
        }
        /* the UTF-8 (at most 4 bytes) is never longer than its escape */
        wr += utf8_encode(buf + wr, (uint32_t)cp);
        break;
      }
      default: {
        char what[16];
        if (e > 0x20 && e < 0x7F)
          snprintf(what, sizeof what, "\\%c", e);
        else
          snprintf(what, sizeof what, "\\ + byte 0x%02X", (unsigned)(unsigned char)e);
        return jr_fail(r, JSON_ESYNTAX, rd, "invalid escape %s in string", what);
      }
      }
    } else {
      return jr_fail(r, JSON_ESYNTAX, rd, "unescaped control character 0x%02X in string", c);
    }
  }
  buf[wr] = '\0'; /* wr <= rd, the closing quote, already read */
  *out = buf + start + 1;
  *out_len = wr - (start + 1);
  r->pos = rd + 1;
  return JSON_OK;
}

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

static int jr_number(jr *r, json_value *v) {
  size_t start = r->pos, p = r->pos;
  const char *b = r->buf;
  size_t len = r->len;
  if (b[p] == '-') p++;
  if (p == len || !is_digit(b[p]))
    return jr_fail(r, JSON_ESYNTAX, p, "invalid number (expected a digit after '-')");
  if (b[p] == '0') {
    p++;
    if (p < len && is_digit(b[p]))
      return jr_fail(r, JSON_ESYNTAX, start, "invalid number (leading zero)");
  } else {
    while (p < len && is_digit(b[p])) p++;
  }
  if (p < len && b[p] == '.') {
    p++;
    if (p == len || !is_digit(b[p]))
      return jr_fail(r, JSON_ESYNTAX, p, "invalid number (expected a digit after '.')");
    while (p < len && is_digit(b[p])) p++;
  }
  if (p < len && (b[p] == 'e' || b[p] == 'E')) {
    p++;
    if (p < len && (b[p] == '+' || b[p] == '-')) p++;
    if (p == len || !is_digit(b[p]))
      return jr_fail(r, JSON_ESYNTAX, p, "invalid number (expected a digit in the exponent)");
    while (p < len && is_digit(b[p])) p++;
  }
  v->str = r->buf + start;
  v->len = p - start;
  r->pos = p;
  return JSON_OK;
}

static int key_cmp(const void *a, const void *b) {
  const json_value *x = *(json_value *const *)a;
  const json_value *y = *(json_value *const *)b;
  if (x->key_len != y->key_len) return x->key_len < y->key_len ? -1 : 1;
  return memcmp(x->key, y->key, x->key_len);
}

static int same_key(const json_value *x, const json_value *y) {
  return x->key_len == y->key_len && memcmp(x->key, y->key, x->key_len) == 0;
}

/* Reject an object with two members of the same name. */
static int jr_check_keys(jr *r, json_value *obj) {
  json_value *dup = NULL;
  json_value *m;
  if (obj->len <= 16) {
    for (m = obj->child; m && !dup; m = m->next) {
      json_value *n;
      for (n = m->next; n; n = n->next) {
        if (same_key(m, n)) {
          dup = n;
          break;
        }
      }
    }
  } else {
    json_doc *d = r->d;
    size_t i = 0;
    if (d->scratch_cap < obj->len) {
      json_value **s = realloc(d->scratch, obj->len * sizeof *s);
      if (!s) return jr_fail(r, JSON_ENOMEM, r->pos, "out of memory");
      d->scratch = s;
      d->scratch_cap = obj->len;
    }
    for (m = obj->child; m; m = m->next) d->scratch[i++] = m;
    qsort(d->scratch, i, sizeof *d->scratch, key_cmp);
    for (i = 1; i < obj->len; i++) {
      json_value *a = d->scratch[i - 1], *b = d->scratch[i];
      if (same_key(a, b)) {
        json_value *later = a->key > b->key ? a : b;
        if (!dup || later->key < dup->key) dup = later;
      }
    }
  }
  if (dup) {
    /* the key's text for the message: printable ASCII, else \xHH */
    char shown[48];
    size_t i, o = 0;
    for (i = 0; i < dup->key_len && o + 5 < sizeof shown; i++) {
      unsigned c = (unsigned char)dup->key[i];
      if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
        shown[o++] = (char)c;
      else
        o += (size_t)snprintf(shown + o, sizeof shown - o, "\\x%02X", c);
    }
    shown[o] = '\0';
    return jr_fail(r, JSON_ESYNTAX, (size_t)(dup->key - r->buf) - 1, "duplicate key \"%s%s\"",
                   shown, i < dup->key_len ? "..." : "");
  }
  return JSON_OK;
}

static int jr_value(jr *r, size_t depth, json_value **out);

static int jr_container(jr *r, size_t depth, int object, json_value *v) {
  const char close = object ? '}' : ']';
  const char *what = object ? "object" : "array";
  size_t start = r->pos;
  json_value *tail = NULL;
  int st;
  if (depth >= r->d->max_depth)
    return jr_fail(r, JSON_ELIMIT, start, "nesting deeper than %zu levels", r->d->max_depth);
  r->pos++;
  jr_skip_ws(r);
  if (r->pos < r->len && r->buf[r->pos] == close) {
    r->pos++;
    return JSON_OK;
  }
  for (;;) {
    json_value *item;
    char *key = NULL;
    size_t key_len = 0;
    jr_skip_ws(r);
    if (r->pos == r->len)
      return jr_fail(r, JSON_ESYNTAX, start, "unterminated %s (end of input)", what);
    if (object) {
      if (r->buf[r->pos] != '"') {
        char c[16];
        if (r->buf[r->pos] == '}' && v->len > 0)
          return jr_fail(r, JSON_ESYNTAX, r->pos, "trailing comma in object");
        return jr_fail(r, JSON_ESYNTAX, r->pos, "expected a string key in object, found %s",
                       jr_describe(r, r->pos, c));
      }
      if ((st = jr_string(r, &key, &key_len)) != JSON_OK) return st;
      jr_skip_ws(r);
      if (r->pos == r->len || r->buf[r->pos] != ':') {
        char c[16];
        if (r->pos == r->len)
          return jr_fail(r, JSON_ESYNTAX, start, "unterminated object (end of input)");
        return jr_fail(r, JSON_ESYNTAX, r->pos, "expected ':' after object key, found %s",
                       jr_describe(r, r->pos, c));
      }
      r->pos++;
    } else if (r->buf[r->pos] == ']' && v->len > 0) {
      return jr_fail(r, JSON_ESYNTAX, r->pos, "trailing comma in array");
    }
    if ((st = jr_value(r, depth + 1, &item)) != JSON_OK) return st;
    item->key = key;
    item->key_len = key_len;
    if (tail)
      tail->next = item;
    else
      v->child = item;
    tail = item;
    v->len++;
    jr_skip_ws(r);
    if (r->pos == r->len)
      return jr_fail(r, JSON_ESYNTAX, start, "unterminated %s (end of input)", what);
    if (r->buf[r->pos] == ',') {
      r->pos++;
      continue;
    }
    if (r->buf[r->pos] == close) {
      r->pos++;
      break;
    }
    {
      char c[16];
      return jr_fail(r, JSON_ESYNTAX, r->pos, "expected ',' or '%c' in %s, found %s", close, what,
                     jr_describe(r, r->pos, c));
    }
  }
  return object ? jr_check_keys(r, v) : JSON_OK;
}

static int jr_literal(jr *r, const char *word, size_t n) {
  if (r->len - r->pos < n || memcmp(r->buf + r->pos, word, n) != 0)
    return jr_fail(r, JSON_ESYNTAX, r->pos, "invalid literal (expected true, false or null)");
  r->pos += n;
  return JSON_OK;
}

static int jr_value(jr *r, size_t depth, json_value **out) {
  json_value *v;
  int st = JSON_OK;
  char c;
  jr_skip_ws(r);
  if (r->pos == r->len)
    return jr_fail(r, JSON_ESYNTAX, r->pos, "unexpected end of input (expected a value)");
  c = r->buf[r->pos];
  switch (c) {
  case '{':
  case '[':
    if (!(v = jr_node(r, c == '{' ? JSON_OBJECT : JSON_ARRAY, &st))) return st;
    st = jr_container(r, depth, c == '{', v);
    break;
  case '"':
    if (!(v = jr_node(r, JSON_STRING, &st))) return st;
    st = jr_string(r, &v->str, &v->len);
    break;
  case 't':
    if (!(v = jr_node(r, JSON_BOOL, &st))) return st;
    v->len = 1;
    st = jr_literal(r, "true", 4);
    break;
  case 'f':
    if (!(v = jr_node(r, JSON_BOOL, &st))) return st;
    st = jr_literal(r, "false", 5);
    break;
  case 'n':
    if (!(v = jr_node(r, JSON_NULL, &st))) return st;
    st = jr_literal(r, "null", 4);
    break;
  default:
    if (c == '-' || is_digit(c)) {
      if (!(v = jr_node(r, JSON_NUMBER, &st))) return st;
      st = jr_number(r, v);
    } else {
      char d[16];
      return jr_fail(r, JSON_ESYNTAX, r->pos, "unexpected %s (expected a value)",
                     jr_describe(r, r->pos, d));
    }
  }
  *out = v;
  return st;
}

int json_parse(json_doc *d, char *buf, size_t len, json_value **root) {
  jr r;
  json_value *v = NULL;
  int st;
  r.d = d;
  r.buf = buf;
  r.len = len;
  r.pos = 0;
  *root = NULL;
  d->current = d->blocks;
  if (d->current) d->current->used = 0;
  d->nodes = 0;
  d->error[0] = '\0';
  d->error_offset = 0;
  if (len > 0 && !buf) return jr_fail(&r, JSON_ESYNTAX, 0, "no input buffer");
  st = jr_value(&r, 0, &v);
  if (st != JSON_OK) return st;
  jr_skip_ws(&r);
  if (r.pos != r.len) {
    char c[16];
    return jr_fail(&r, JSON_ESYNTAX, r.pos, "unexpected %s after the JSON value",
                   jr_describe(&r, r.pos, c));
  }
  *root = v;
  return JSON_OK;
}

json_value *json_getn(const json_value *obj, const char *key, size_t n) {
  json_value *m;
  if (!obj || obj->type != JSON_OBJECT) return NULL;
  for (m = obj->child; m; m = m->next) {
    if (m->key_len == n && memcmp(m->key, key, n) == 0) return m;
  }
  return NULL;
}

json_value *json_get(const json_value *obj, const char *key) {
  return json_getn(obj, key, strlen(key));
}

/* Digits only, no fraction or exponent: the magnitude, or -1 on overflow
 * past limit or a non-integer. */
static int integer_text(const char *s, size_t n, uint64_t limit, uint64_t *out) {
  uint64_t v = 0;
  size_t i;
  if (n == 0) return -1;
  for (i = 0; i < n; i++) {
    unsigned dgt;
    if (!is_digit(s[i])) return -1;
    dgt = (unsigned)(s[i] - '0');
    if (v > (limit - dgt) / 10) return -1;
    v = v * 10 + dgt;
  }
  *out = v;
  return 0;
}

int json_number_u64(const json_value *v, uint64_t *out) {
  if (!v || v->type != JSON_NUMBER || v->len == 0 || v->str[0] == '-') return -1;
  return integer_text(v->str, v->len, UINT64_MAX, out);
}

int json_number_i64(const json_value *v, int64_t *out) {
  uint64_t mag;
  if (!v || v->type != JSON_NUMBER || v->len == 0) return -1;
  if (v->str[0] == '-') {
    if (integer_text(v->str + 1, v->len - 1, (uint64_t)INT64_MAX + 1, &mag)) return -1;
    *out = mag == 0 ? 0 : -(int64_t)(mag - 1) - 1;
    return 0;
  }
  if (integer_text(v->str, v->len, INT64_MAX, &mag)) return -1;
  *out = (int64_t)mag;
  return 0;
}

int json_number_double(const json_value *v, double *out) {
  char small[64];
  char *text = small;
  if (!v || v->type != JSON_NUMBER) return -1;
  if (v->len >= sizeof small) {
    text = malloc(v->len + 1);
    if (!text) return -1;
  }
  memcpy(text, v->str, v->len);
  text[v->len] = '\0';
  *out = strtod(text, NULL);
  if (text != small) free(text);
  return 0;
}

const char *json_type_name(json_type type) {
  switch (type) {
  case JSON_NULL:
    return "null";
  case JSON_BOOL:
    return "boolean";
  case JSON_NUMBER:
    return "number";
  case JSON_STRING:
    return "string";
  case JSON_ARRAY:
    return "array";
  case JSON_OBJECT:
    return "object";
  }
  return "unknown";
}
