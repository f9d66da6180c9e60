/*
 * sse.c - the ssespec reference parser for text/event-stream (C11).
 *
 * The rules are those of the WHATWG HTML Standard, "Server-sent events",
 * sections "Parsing an event stream" and "Interpreting an event stream",
 * with UTF-8 decode as the WHATWG Encoding Standard defines it.
 *
 * How it works
 *
 * Lines are split on raw bytes: CR, LF and ':' are ASCII, and the UTF-8
 * decoder never lets an invalid or truncated sequence swallow an ASCII byte,
 * so decoding each complete line (or field value, or comment text) on its
 * own gives the same text as decoding the whole stream. A line that lies
 * whole in the caller's chunk is read in place; only a line that spans
 * chunks is copied, raw, into the line buffer, and then only the new bytes
 * of each chunk are scanned. LF is found with memchr, then CR with memchr
 * between the line start and that LF; each result is kept until the scan
 * passes it, so no byte is searched twice for the same character, and a
 * large chunk of LF-terminated lines is read in one pass, line by line.
 *
 * A CR acts at once: the line it ends is processed in the same feed, and
 * after_cr remembers to skip one LF if that is the next byte of the stream,
 * even when it starts the next chunk. The BOM is matched byte by byte while
 * at_start is set, so it may arrive split across feeds; a partial BOM
 * (EF or EF BB followed by anything but the rest of it) begins a line whose
 * name is not ASCII, which can be neither a comment, nor an empty line, nor
 * a known field: that line is ignored, so the held bytes never need to be
 * replayed.
 *
 * Zero copy: a data line whose value is valid UTF-8, read in place while the
 * data buffer is empty, is only remembered (data_ref); if the empty line
 * follows in the same chunk the event's data points into the caller's chunk.
 * Otherwise the value is copied into the data buffer before the next data
 * line is added or before the feed returns.
 *
 * The limit and the peak
 *
 * The buffered count is the bytes of the pending event and of the last event
 * ID string, as decoded: the data buffer (each value and its LF), the event
 * type buffer, the last event ID buffer and the last event ID string. While
 * a line is read, its raw bytes (line ending excluded) count on top of it,
 * whether they sit in the caller's chunk or in the line buffer; once the
 * line is complete they are released and the line's effect is counted
 * instead. Lines the parser ignores (unknown field names, comments without
 * on_comment, retry without on_retry) are skipped, never buffered and never
 * counted. A line whose name is still a prefix of a known field name when a
 * chunk ends is held (at most five bytes) and counted once its fate is known.
 * A line that goes over the limit is taken as read byte by byte: the peak
 * becomes the limit, and the message names limit + 1 bytes (or what was
 * held + 1, when a lowered limit is already exceeded). The count therefore
 * does not depend on how the input was split: the same input reaches the
 * limit at the same line, with the same message, and the peak is the same.
 */
#include "sse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned char uchar;

enum { LINE_OPEN = 0, LINE_KEPT = 1, LINE_IGNORED = 2 };

static const char k_message[] = "message";
static const uchar k_bom[3] = {0xEF, 0xBB, 0xBF};
static const char k_fffd[3] = {'\xEF', '\xBF', '\xBD'};

/* ---- small helpers ---- */

static size_t sat_add(size_t a, size_t b) {
  return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static void *libc_realloc(void *ctx, void *ptr, size_t size) {
  (void)ctx;
  if (size == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, size);
}

static int fail(sse_parser *p, int code) {
  p->status = code;
  p->data_ref = NULL; /* it would point into a chunk that is going away */
  return code;
}

static int fail_nomem(sse_parser *p, size_t size) {
  snprintf(p->message, sizeof p->message, "the allocator returned NULL for %zu bytes", size);
  return fail(p, SSE_ENOMEM);
}

static int fail_callback(sse_parser *p, const char *which) {
  snprintf(p->message, sizeof p->message, "%s returned nonzero; parsing stopped", which);
  return fail(p, SSE_ECALLBACK);
}

static int fail_limit(sse_parser *p, size_t total, const char *what) {
  snprintf(p->message, sizeof p->message,
           "buffered line and event would reach %zu bytes, over the limit of %zu (%s)", total,
           p->limit, what);
  return fail(p, SSE_ELIMIT);
}

/* The stream would hold total bytes, while doing what. */
static int account(sse_parser *p, size_t total, const char *what) {
  if (total > p->limit) return fail_limit(p, total, what);
  if (total > p->peak) p->peak = total;
  return SSE_OK;
}

/* A kept line has n bytes so far. Over the limit, the message names the
 * count its first byte over the limit reached, which does not depend on how
 * the line was split into chunks. */
static int account_line(sse_parser *p, size_t n) {
  size_t total = sat_add(p->buffered, n);
  if (total > p->limit) {
    /* Read byte by byte, the line would have filled the limit first. */
    size_t first = p->buffered < p->limit ? p->limit : p->buffered;
    if (first > p->peak) p->peak = first;
    return fail_limit(p, sat_add(first, 1), "reading a line");
  }
  if (total > p->peak) p->peak = total;
  return SSE_OK;
}

static int buf_reserve(sse_parser *p, sse_buf *b, size_t need) {
  if (need <= b->cap) return SSE_OK;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) {
    if (cap > SIZE_MAX / 2) {
      cap = need;
      break;
    }
    cap *= 2;
  }
  /* Do not grow far past the limit: the limit bounds what is kept. */
  if (cap > p->limit) cap = need > p->limit ? need : p->limit;
  void *np = p->realloc_fn(p->realloc_ctx, b->ptr, cap);
  if (!np) return fail_nomem(p, cap);
  b->ptr = np;
  b->cap = cap;
  return SSE_OK;
}

static int buf_append(sse_parser *p, sse_buf *b, const void *src, size_t n) {
  if (n == 0) return SSE_OK;
  if (n > SIZE_MAX - b->len) return fail_nomem(p, SIZE_MAX);
  int rc = buf_reserve(p, b, b->len + n);
  if (rc) return rc;
  memcpy(b->ptr + b->len, src, n);
  b->len += n;
  return SSE_OK;
}

/* ---- UTF-8 decode (WHATWG Encoding Standard) ---- */

/* The length of the well-formed UTF-8 sequence at s, or 0 if there is none
 * (an invalid lead, a bad or missing continuation). */
static size_t utf8_seq(const uchar *s, size_t n) {
  uchar b = s[0];
  if (b >= 0xC2 && b <= 0xDF) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    uchar lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
    return n >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    uchar lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
    return n >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80 ? 4
                                                                                                : 0;
  }
  return 0;
}

/* The number of leading bytes of s that are well-formed UTF-8. ASCII is
 * checked eight bytes at a time. */
static size_t utf8_valid_prefix(const uchar *s, size_t n) {
  size_t i = 0;
  for (;;) {
    while (n - i >= 32) {
      uint64_t w0, w1, w2, w3;
      memcpy(&w0, s + i, 8);
      memcpy(&w1, s + i + 8, 8);
      memcpy(&w2, s + i + 16, 8);
      memcpy(&w3, s + i + 24, 8);
      if ((w0 | w1 | w2 | w3) & UINT64_C(0x8080808080808080)) break;
      i += 32;
    }
    while (n - i >= 8) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (w & UINT64_C(0x8080808080808080)) break;
      i += 8;
    }
    while (i < n && s[i] < 0x80) i++;
    if (i >= n) return n;
    size_t k = utf8_seq(s + i, n - i);
    if (!k) return i;
    i += k;
  }
}

/* The length of the maximal invalid subpart at s (where utf8_seq found no
 * well-formed sequence): the bytes the Encoding Standard's decoder consumes
 * before it emits one U+FFFD. The byte that breaks a sequence is not part of
 * it; it is read again as a new lead. */
static size_t utf8_invalid_len(const uchar *s, size_t n) {
  uchar b = s[0], lo = 0x80, hi = 0xBF;
  size_t need;
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  size_t j = 1;
  while (j <= need && j < n && s[j] >= lo && s[j] <= hi) {
    lo = 0x80;
    hi = 0xBF;
    j++;
  }
  return j;
}

/* Decode s (n bytes), whose first invalid byte is at valid, into out (which
 * may be NULL to only measure). Returns the decoded length. */
static size_t utf8_decode(char *out, const uchar *s, size_t n, size_t valid) {
  size_t i = valid, o = valid;
  if (out && valid) memcpy(out, s, valid);
  while (i < n) {
    i += utf8_invalid_len(s + i, n - i);
    if (out) memcpy(out + o, k_fffd, 3);
    o += 3;
    if (i >= n) break;
    size_t v = utf8_valid_prefix(s + i, n - i);
    if (out && v) memcpy(out + o, s + i, v);
    o += v;
    i += v;
  }
  return o;
}

/* ---- fields and dispatch ---- */

/* Set dst (the event type or last event ID buffer) to the decoded value. */
static int set_field(sse_parser *p, sse_buf *dst, const uchar *v, size_t n, const char *what) {
  size_t valid = utf8_valid_prefix(v, n);
  size_t dlen = valid == n ? n : utf8_decode(NULL, v, n, valid);
  size_t total = sat_add(p->buffered - dst->len, dlen);
  int rc = account(p, total, what);
  if (rc) return rc;
  if ((rc = buf_reserve(p, dst, dlen))) return rc;
  if (valid == n) {
    if (n) memcpy(dst->ptr, v, n);
  } else {
    utf8_decode(dst->ptr, v, n, valid);
  }
  dst->len = dlen;
  p->buffered = total;
  return SSE_OK;
}

/* Move a data value still in the caller's chunk into the data buffer. */
static int materialize(sse_parser *p) {
  int rc = buf_reserve(p, &p->data, p->data_ref_len + 1);
  if (rc) return rc;
  if (p->data_ref_len) memcpy(p->data.ptr, p->data_ref, p->data_ref_len);
  p->data.ptr[p->data_ref_len] = '\n';
  p->data.len = p->data_ref_len + 1;
  p->data_ref = NULL;
  return SSE_OK;
}

static int field_data(sse_parser *p, const uchar *v, size_t n, int in_chunk) {
  size_t valid = utf8_valid_prefix(v, n);
  size_t dlen = valid == n ? n : utf8_decode(NULL, v, n, valid);
  size_t total = sat_add(sat_add(p->buffered, dlen), 1);
  int rc = account(p, total, "adding a data field");
  if (rc) return rc;
  if (valid == n && in_chunk && p->data.len == 0 && !p->data_ref) {
    p->data_ref = (const char *)v;
    p->data_ref_len = n;
    p->buffered = total;
    return SSE_OK;
  }
  if (p->data_ref && (rc = materialize(p))) return rc;
  if ((rc = buf_reserve(p, &p->data, sat_add(sat_add(p->data.len, dlen), 1)))) return rc;
  char *out = p->data.ptr + p->data.len;
  if (valid == n) {
    if (n) memcpy(out, v, n);
  } else {
    utf8_decode(out, v, n, valid);
  }
  out[dlen] = '\n';
  p->data.len += dlen + 1;
  p->buffered = total;
  return SSE_OK;
}

static int field_retry(sse_parser *p, const uchar *v, size_t n) {
  if (n == 0) return SSE_OK;
  uint64_t ms = 0;
  int overflow = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned d = (unsigned)v[i] - '0';
    if (d > 9) return SSE_OK;
    if (ms > (UINT64_MAX - d) / 10)
      overflow = 1;
    else
      ms = ms * 10 + d;
  }
  if (overflow) return SSE_OK; /* the standard leaves this open; ignored */
  if (p->cb.on_retry(p->user, ms)) return fail_callback(p, "on_retry");
  return SSE_OK;
}

static int comment(sse_parser *p, const uchar *t, size_t n) {
  size_t valid = utf8_valid_prefix(t, n);
  const char *text = (const char *)t;
  size_t len = n;
  if (valid != n) {
    len = utf8_decode(NULL, t, n, valid);
    int rc = buf_reserve(p, &p->scratch, len);
    if (rc) return rc;
    utf8_decode(p->scratch.ptr, t, n, valid);
    text = p->scratch.ptr;
  }
  if (p->cb.on_comment(p->user, text, len)) return fail_callback(p, "on_comment");
  return SSE_OK;
}

static int dispatch(sse_parser *p) {
  /* 1. The last event ID string := the last event ID buffer. */
  if (p->id.len != p->last_id.len ||
      (p->id.len && memcmp(p->id.ptr, p->last_id.ptr, p->id.len) != 0)) {
    size_t total = sat_add(p->buffered - p->last_id.len, p->id.len);
    int rc = account(p, total, "setting the last event ID");
    if (rc) return rc;
    if ((rc = buf_reserve(p, &p->last_id, p->id.len))) return rc;
    if (p->id.len) memcpy(p->last_id.ptr, p->id.ptr, p->id.len);
    p->last_id.len = p->id.len;
    p->buffered = total;
  }
  /* 2. No data: reset the data and event type buffers, dispatch nothing. */
  if (!p->data_ref && p->data.len == 0) {
    p->buffered -= p->type.len;
    p->type.len = 0;
    return SSE_OK;
  }
  /* 3-5. The event, without the data's one trailing LF; then reset. */
  sse_event ev;
  if (p->data_ref) {
    ev.data = p->data_ref;
    ev.data_len = p->data_ref_len;
    p->buffered -= p->data_ref_len + 1;
    p->data_ref = NULL;
  } else {
    ev.data = p->data.ptr;
    ev.data_len = p->data.len - 1;
    p->buffered -= p->data.len;
    p->data.len = 0;
  }
  if (p->type.len) {
    ev.type = p->type.ptr;
    ev.type_len = p->type.len;
  } else {
    ev.type = k_message;
    ev.type_len = sizeof k_message - 1;
  }
  p->buffered -= p->type.len;
  p->type.len = 0;
  ev.last_event_id = p->last_id.len ? p->last_id.ptr : "";
  ev.last_event_id_len = p->last_id.len;
  if (p->cb.on_event && p->cb.on_event(p->user, &ev)) return fail_callback(p, "on_event");
  return SSE_OK;
}

/* Process one complete line (raw bytes, line ending excluded). in_chunk: it
 * lies in the caller's chunk, not in the line buffer. */
static int process_line(sse_parser *p, const uchar *l, size_t n, int in_chunk) {
  if (n == 0) return dispatch(p);
  if (l[0] == ':') {
    if (!p->cb.on_comment) return SSE_OK;
    int rc = account_line(p, n);
    return rc ? rc : comment(p, l + 1, n - 1);
  }
  const uchar *colon = memchr(l, ':', n);
  size_t name_len = colon ? (size_t)(colon - l) : n;
  const uchar *v = colon ? colon + 1 : l + n;
  size_t vn = colon ? n - name_len - 1 : 0;
  if (vn && v[0] == ' ') {
    v++;
    vn--;
  }
  int rc;
  switch (name_len) {
  case 4:
    if (memcmp(l, "data", 4) != 0) break;
    if ((rc = account_line(p, n))) return rc;
    return field_data(p, v, vn, in_chunk);
  case 5:
    if (memcmp(l, "event", 5) == 0) {
      if ((rc = account_line(p, n))) return rc;
      return set_field(p, &p->type, v, vn, "setting the event type");
    }
    if (memcmp(l, "retry", 5) == 0 && p->cb.on_retry) {
      if ((rc = account_line(p, n))) return rc;
      return field_retry(p, v, vn);
    }
    break;
  case 2:
    if (memcmp(l, "id", 2) != 0) break;
    if ((rc = account_line(p, n))) return rc;
    if (vn && memchr(v, 0, vn)) return SSE_OK; /* an id with NULL is ignored */
    return set_field(p, &p->id, v, vn, "setting the last event ID buffer");
  default:
    break;
  }
  return SSE_OK; /* any other field is ignored */
}

/* ---- lines across chunks ---- */

/* Whether the name so far (n <= 5 bytes, no colon seen) can still become a
 * field name the parser keeps. */
static int name_prefix_kept(const sse_parser *p, const char *name, size_t n) {
  return (n <= 4 && memcmp(name, "data", n) == 0) || (n <= 5 && memcmp(name, "event", n) == 0) ||
         (n <= 2 && memcmp(name, "id", n) == 0) ||
         (n <= 5 && p->cb.on_retry && memcmp(name, "retry", n) == 0);
}

static int name_kept(const sse_parser *p, const char *name, size_t n) {
  return (n == 4 && memcmp(name, "data", 4) == 0) || (n == 5 && memcmp(name, "event", 5) == 0) ||
         (n == 2 && memcmp(name, "id", 2) == 0) ||
         (n == 5 && p->cb.on_retry && memcmp(name, "retry", 5) == 0);
}

/* Classify the line made of the held bytes (p->line, an open line: no colon
 * and at most five bytes) and b. complete: the line ends after b. */
static int classify(const sse_parser *p, const uchar *b, size_t bn, int complete) {
  const uchar *a = (const uchar *)p->line.ptr;
  size_t an = p->line.len;
  if (an + bn == 0) return complete ? LINE_KEPT : LINE_OPEN;
  uchar first = an ? a[0] : b[0];
  if (first == ':') return p->cb.on_comment ? LINE_KEPT : LINE_IGNORED;
  const uchar *colon = bn ? memchr(b, ':', bn) : NULL;
  size_t name_len = an + (colon ? (size_t)(colon - b) : bn);
  if (name_len > 5) return LINE_IGNORED;
  char name[5];
  if (an) memcpy(name, a, an);
  if (name_len > an) memcpy(name + an, b, name_len - an);
  if (colon || complete) return name_kept(p, name, name_len) ? LINE_KEPT : LINE_IGNORED;
  return name_prefix_kept(p, name, name_len) ? LINE_OPEN : LINE_IGNORED;
}

/* The chunk ends inside a line: hold its bytes [s, s + n), n > 0. */
static int line_partial(sse_parser *p, const uchar *s, size_t n) {
  if (p->line_mode == LINE_OPEN) {
    p->line_mode = (unsigned char)classify(p, s, n, 0);
    if (p->line_mode == LINE_IGNORED) {
      p->line.len = 0;
      return SSE_OK;
    }
  }
  if (p->line_mode == LINE_IGNORED) return SSE_OK;
  if (p->line_mode == LINE_KEPT) {
    int rc = account_line(p, sat_add(p->line.len, n));
    if (rc) return rc;
  }
  return buf_append(p, &p->line, s, n);
}

/* A line ends after its bytes [s, s + n) of this chunk. */
static int line_complete(sse_parser *p, const uchar *s, size_t n) {
  int mode = p->line_mode;
  p->line_mode = LINE_OPEN;
  if (mode == LINE_IGNORED) {
    p->line.len = 0;
    return SSE_OK;
  }
  if (p->line.len == 0) return process_line(p, s, n, 1);
  if (mode == LINE_OPEN && classify(p, s, n, 1) == LINE_IGNORED) {
    p->line.len = 0;
    return SSE_OK;
  }
  int rc = account_line(p, sat_add(p->line.len, n));
  if (!rc) rc = buf_append(p, &p->line, s, n);
  if (!rc) rc = process_line(p, (const uchar *)p->line.ptr, p->line.len, 0);
  p->line.len = 0;
  return rc;
}

static int feed_bytes(sse_parser *p, const uchar *s, const uchar *end) {
  while (p->at_start && s < end) {
    if (*s == k_bom[p->bom_len]) {
      s++;
      if (++p->bom_len == 3) {
        p->at_start = 0;
        p->bom_len = 0;
      }
    } else {
      p->at_start = 0;
      if (p->bom_len) p->line_mode = LINE_IGNORED; /* a line starting with EF or EF BB */
      p->bom_len = 0;
    }
  }
  if (p->after_cr && s < end) {
    if (*s == '\n') s++;
    p->after_cr = 0;
  }
  /* lf: the next LF, or end if there is none. cr: the next CR if it comes
   * before lf, else lf (no CR before it). NULL: not searched yet. The CR
   * search stops at the LF, so an LF-terminated stream is not scanned
   * ahead of the line being read. */
  const uchar *cr = NULL, *lf = NULL;
  while (s < end) {
    if (!lf || lf < s) {
      lf = memchr(s, '\n', (size_t)(end - s));
      if (!lf) lf = end;
    }
    if (!cr || cr < s) {
      cr = lf > s ? memchr(s, '\r', (size_t)(lf - s)) : NULL;
      if (!cr) cr = lf;
    }
    const uchar *e = cr < lf ? cr : lf;
    if (e == end) return line_partial(p, s, (size_t)(end - s));
    const uchar *next = e + 1;
    if (*e == '\r') {
      if (next == end)
        p->after_cr = 1; /* skip an LF that may start the next chunk */
      else if (*next == '\n')
        next++;
    }
    int rc = line_complete(p, s, (size_t)(e - s));
    if (rc) return rc;
    s = next;
  }
  return SSE_OK;
}

/* ---- the public functions ---- */

static void new_stream(sse_parser *p) {
  p->line.len = 0;
  p->data.len = 0;
  p->type.len = 0;
  p->id.len = 0;
  p->data_ref = NULL;
  p->data_ref_len = 0;
  p->buffered = p->last_id.len;
  p->bom_len = 0;
  p->at_start = 1;
  p->after_cr = 0;
  p->line_mode = LINE_OPEN;
  p->status = SSE_OK;
}

void sse_parser_init(sse_parser *p, const sse_callbacks *cb, void *user) {
  memset(p, 0, sizeof *p);
  if (cb) p->cb = *cb;
  p->user = user;
  p->realloc_fn = libc_realloc;
  p->limit = SSE_DEFAULT_LIMIT;
  new_stream(p);
}

void sse_parser_set_limit(sse_parser *p, size_t limit) {
  p->limit = limit ? limit : SSE_DEFAULT_LIMIT;
}

void sse_parser_set_allocator(sse_parser *p, sse_realloc_fn fn, void *ctx) {
  p->realloc_fn = fn ? fn : libc_realloc;
  p->realloc_ctx = fn ? ctx : NULL;
}

int sse_parser_feed(sse_parser *p, const void *buf, size_t len) {
  if (!p) return SSE_EINVAL;
  if (p->status) return p->status;
  if (!buf) {
    if (len == 0) return SSE_OK;
    snprintf(p->message, sizeof p->message, "sse_parser_feed: buf is NULL but len is %zu", len);
    return SSE_EINVAL;
  }
  const uchar *s = buf;
  int rc = feed_bytes(p, s, s + len);
  if (rc == SSE_OK && p->data_ref) rc = materialize(p);
  return rc;
}

int sse_parser_finish(sse_parser *p) {
  int rc = p->status;
  new_stream(p);
  return rc;
}

const char *sse_parser_last_event_id(const sse_parser *p, size_t *len) {
  if (len) *len = p->last_id.len;
  return p->last_id.len ? p->last_id.ptr : "";
}

size_t sse_parser_peak_buffered(const sse_parser *p) {
  return p->peak;
}

void sse_parser_reset(sse_parser *p) {
  p->last_id.len = 0;
  p->scratch.len = 0;
  p->peak = 0;
  p->message[0] = '\0';
  new_stream(p);
}

void sse_parser_free(sse_parser *p) {
  sse_buf *bufs[] = {&p->line, &p->data, &p->type, &p->id, &p->last_id, &p->scratch};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
    if (bufs[i]->ptr) p->realloc_fn(p->realloc_ctx, bufs[i]->ptr, 0);
    bufs[i]->ptr = NULL;
    bufs[i]->len = 0;
    bufs[i]->cap = 0;
  }
  sse_parser_reset(p);
}

const char *sse_parser_error(const sse_parser *p) {
  return p->message;
}

const char *sse_strerror(int code) {
  switch (code) {
  case SSE_OK:
    return "success";
  case SSE_ELIMIT:
    return "buffered line and event over the limit";
  case SSE_ENOMEM:
    return "out of memory";
  case SSE_ECALLBACK:
    return "stopped by a callback";
  case SSE_EINVAL:
    return "invalid argument";
  default:
    return "unknown error code";
  }
}
