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
 * of each chunk are scanned.
 *
 * One pass finds the end of a line and checks its UTF-8: a scan kernel
 * skips to the next byte that is CR, LF or not ASCII, and feed_lines, one
 * scalar loop, decides what that byte means (the end of the line, or the
 * lead of a sequence utf8_seq checks). A line of ASCII text is thus read
 * once, and a valid one needs no second look before it is handed out. The
 * kernels (scalar SWAR, SSE2, AVX2: sse_scan.c, behind the private header
 * sse_scan.h) only skip: every rule lives in the portable code here,
 * whichever kernel runs. The kernel is chosen once, in sse_parser_init,
 * and kept in the parser.
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
 * Held lines: the UTF-8 of a line held across chunks is checked as it
 * grows, by the scan that looks for its end (line_valid says how far), so
 * finishing it reads nothing again, however many feeds it took. A long
 * kept line is copied while it is scanned (the kernel's copy function). A
 * held data line of SWAP_MIN bytes or more that completes while the data
 * buffer is empty becomes the data buffer (the two buffers swap, data_off
 * skipping the field name) instead of being copied, and the buffers swap
 * back once the event is dispatched. Feeds of a few ASCII bytes that go on
 * with a kept line take a short path in sse_parser_feed.
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
#include "sse_scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define SSE_INLINE static inline __attribute__((always_inline))
#define SSE_NOINLINE static __attribute__((noinline))
#else
#define SSE_INLINE static inline
#define SSE_NOINLINE static
#endif

typedef unsigned char uchar;

/* The parser's state: the private member of struct sse_parser (sse.h).
 * Every function below works on it; the public functions at the end take
 * the caller's struct sse_parser and hand them its private_ member. */
typedef struct sse_parser_private parser_state;

enum { LINE_OPEN = 0, LINE_KEPT = 1, LINE_IGNORED = 2 };

/* A held data line at least this long becomes the data buffer (a swap)
 * instead of being copied into it. */
#define SWAP_MIN 256

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

static int fail(parser_state *p, int code) {
  p->status = code;
  p->data_ref = NULL; /* it would point into a chunk that is going away */
  return code;
}

static int fail_nomem(parser_state *p, size_t size) {
  snprintf(p->message, sizeof p->message, "the allocator returned NULL for %zu bytes", size);
  return fail(p, SSE_ENOMEM);
}

static int fail_callback(parser_state *p, const char *which) {
  snprintf(p->message, sizeof p->message, "%s returned nonzero; parsing stopped", which);
  return fail(p, SSE_ECALLBACK);
}

static int fail_limit(parser_state *p, size_t total, const char *what) {
  snprintf(p->message, sizeof p->message,
           "buffered line and event would reach %zu bytes, over the limit of %zu (%s)", total,
           p->limit, what);
  return fail(p, SSE_ELIMIT);
}

/* The stream would hold total bytes, while doing what. */
static int account(parser_state *p, size_t total, const char *what) {
  if (total > p->limit) return fail_limit(p, total, what);
  if (total > p->peak) p->peak = total;
  return SSE_OK;
}

/* A kept line has n bytes so far. Over the limit, the message names the
 * count its first byte over the limit reached, which does not depend on how
 * the line was split into chunks. */
SSE_INLINE int account_line(parser_state *p, size_t n) {
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

static int buf_reserve(parser_state *p, sse_buf *b, size_t need) {
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

/* memcpy, without a call for the few bytes of a small feed: fixed-size
 * copies, overlapping, within [src, src + n). */
SSE_INLINE void copy_bytes(char *dst, const uchar *src, size_t n) {
  if (n >= 16) {
    memcpy(dst, src, n);
  } else if (n >= 8) {
    memcpy(dst, src, 8);
    memcpy(dst + n - 8, src + n - 8, 8);
  } else if (n >= 4) {
    memcpy(dst, src, 4);
    memcpy(dst + n - 4, src + n - 4, 4);
  } else if (n) {
    dst[0] = (char)src[0];
    dst[n / 2] = (char)src[n / 2];
    dst[n - 1] = (char)src[n - 1];
  }
}

static int buf_append(parser_state *p, sse_buf *b, const uchar *src, size_t n) {
  if (n == 0) return SSE_OK;
  if (n > SIZE_MAX - b->len) return fail_nomem(p, SIZE_MAX);
  int rc = buf_reserve(p, b, b->len + n);
  if (rc) return rc;
  copy_bytes(b->ptr + b->len, src, n);
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

/* Skip well-formed sequences from s (a byte >= 0x80) on, while the next
 * byte is not ASCII. Returns where that stopped: at an ASCII byte, at end,
 * or at a byte that starts no well-formed sequence (*bad is then set to it
 * if it was NULL, and the byte is skipped: the line is decoded later). */
static const uchar *utf8_skip(const uchar *s, const uchar *end, const uchar **bad) {
  do {
    size_t k = utf8_seq(s, (size_t)(end - s));
    if (!k) {
      if (!*bad) *bad = s;
      k = 1;
    }
    s += k;
  } while (s < end && *s >= 0x80);
  return s;
}

/* The end of the line from s: the first CR or LF, or end. Its UTF-8 is
 * checked on the way: *bad is set to the first byte that starts no
 * well-formed sequence (if it was NULL). A sequence cut short by end counts
 * as such a byte. */
SSE_INLINE const uchar *scan_line(sse_scan_fn special, const uchar *s, const uchar *end,
                                  const uchar **bad) {
  for (;;) {
    if (end - s < 8) /* a few bytes (a small feed): no call */
      while (s < end && !sse_scan_special_byte[*s]) s++;
    else
      s = special(s, end);
    if (s == end || *s < 0x80) return s;
    s = utf8_skip(s, end, bad);
  }
}

/* The number of leading bytes of s (n bytes, no CR or LF) that are
 * well-formed UTF-8, the ASCII runs skipped by the kernel k. */
static size_t utf8_valid_prefix(const struct sse_kernel *k, const uchar *s, size_t n) {
  const uchar *at = s, *end = s + n;
  for (;;) {
    at = k->special(at, end);
    if (at == end) return n;
    size_t q = utf8_seq(at, (size_t)(end - at));
    if (!q) return (size_t)(at - s);
    at += q;
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

/* Decode s (n bytes, no CR or LF), whose first invalid byte is at valid,
 * into out (which may be NULL to only measure). Returns the decoded
 * length. */
static size_t utf8_decode(const struct sse_kernel *k, char *out, const uchar *s, size_t n,
                          size_t valid) {
  size_t i = valid, o = valid;
  if (out && valid) memcpy(out, s, valid);
  while (i < n) {
    i += utf8_invalid_len(s + i, n - i);
    if (out) memcpy(out + o, k_fffd, 3);
    o += 3;
    if (i >= n) break;
    size_t v = utf8_valid_prefix(k, s + i, n - i);
    if (out && v) memcpy(out + o, s + i, v);
    o += v;
    i += v;
  }
  return o;
}

/* ---- fields and dispatch ----
 *
 * Each takes the value (or comment text) v of n bytes and valid, the length
 * of its well-formed UTF-8 prefix (n when it is all well-formed). */

/* Set dst (the event type or last event ID buffer) to the decoded value. */
static int set_field(parser_state *p, sse_buf *dst, const uchar *v, size_t n, size_t valid,
                     const char *what) {
  size_t dlen = valid == n ? n : utf8_decode(p->kernel, NULL, v, n, valid);
  size_t total = sat_add(p->buffered - dst->len, dlen);
  int rc = account(p, total, what);
  if (rc) return rc;
  if ((rc = buf_reserve(p, dst, dlen))) return rc;
  if (valid == n) {
    if (n) memcpy(dst->ptr, v, n);
  } else {
    utf8_decode(p->kernel, dst->ptr, v, n, valid);
  }
  dst->len = dlen;
  p->buffered = total;
  return SSE_OK;
}

/* Move a data value still in the caller's chunk into the data buffer. */
static int materialize(parser_state *p) {
  int rc = buf_reserve(p, &p->data, p->data_ref_len + 1);
  if (rc) return rc;
  if (p->data_ref_len) memcpy(p->data.ptr, p->data_ref, p->data_ref_len);
  p->data.ptr[p->data_ref_len] = '\n';
  p->data.len = p->data_ref_len + 1;
  p->data_off = 0;
  p->data_ref = NULL;
  return SSE_OK;
}

/* The value v (n bytes, all well-formed) ends the held line: make the line
 * buffer the data buffer, which is empty, instead of copying the value. */
static int swap_in_data(parser_state *p, const uchar *v, size_t n) {
  size_t off = (size_t)(v - (const uchar *)p->line.ptr);
  int rc = buf_reserve(p, &p->line, off + n + 1);
  if (rc) return rc;
  sse_buf t = p->data;
  p->data = p->line;
  p->line = t;
  p->line.len = 0;
  p->data.ptr[off + n] = '\n';
  p->data.len = off + n + 1;
  p->data_off = off;
  return SSE_OK;
}

/* Add the value v to the data buffer (see field_data). */
SSE_NOINLINE int field_data_any(parser_state *p, const uchar *v, size_t n, size_t valid,
                                int in_chunk) {
  size_t dlen = valid == n ? n : utf8_decode(p->kernel, NULL, v, n, valid);
  size_t total = sat_add(sat_add(p->buffered, dlen), 1);
  int rc = account(p, total, "adding a data field");
  if (rc) return rc;
  if (valid == n && p->data.len == 0 && !p->data_ref) {
    if (in_chunk) {
      p->data_ref = (const char *)v;
      p->data_ref_len = n;
      p->buffered = total;
      return SSE_OK;
    }
    if (n >= SWAP_MIN) {
      if ((rc = swap_in_data(p, v, n))) return rc;
      p->buffered = total;
      return SSE_OK;
    }
  }
  if (p->data_ref && (rc = materialize(p))) return rc;
  if ((rc = buf_reserve(p, &p->data, sat_add(sat_add(p->data.len, dlen), 1)))) return rc;
  char *out = p->data.ptr + p->data.len;
  if (valid == n) {
    if (n) memcpy(out, v, n);
  } else {
    utf8_decode(p->kernel, out, v, n, valid);
  }
  out[dlen] = '\n';
  p->data.len += dlen + 1;
  p->buffered = total;
  return SSE_OK;
}

/* A data field. The common cases first, inline, when the value is valid
 * and the limit far: the first value of an event, in the caller's chunk, is
 * remembered; a later one is appended when the data buffer has room. That
 * is what field_data_any does then, too. */
SSE_INLINE int field_data(parser_state *p, const uchar *v, size_t n, size_t valid, int in_chunk) {
  if (valid == n && !p->data_ref && p->buffered < p->limit && n < p->limit - p->buffered) {
    size_t total = p->buffered + n + 1;
    if (in_chunk && p->data.len == 0) { /* remember it */
      if (total > p->peak) p->peak = total;
      p->data_ref = (const char *)v;
      p->data_ref_len = n;
      p->buffered = total;
      return SSE_OK;
    }
    if (p->data.len && p->data.cap - p->data.len > n) { /* append it: there is room */
      if (total > p->peak) p->peak = total;
      char *out = p->data.ptr + p->data.len;
      copy_bytes(out, v, n);
      out[n] = '\n';
      p->data.len += n + 1;
      p->buffered = total;
      return SSE_OK;
    }
  }
  return field_data_any(p, v, n, valid, in_chunk);
}

static int field_retry(parser_state *p, const uchar *v, size_t n) {
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

static int comment(parser_state *p, const uchar *t, size_t n, size_t valid) {
  const char *text = (const char *)t;
  size_t len = n;
  if (valid != n) {
    len = utf8_decode(p->kernel, NULL, t, n, valid);
    int rc = buf_reserve(p, &p->scratch, len);
    if (rc) return rc;
    utf8_decode(p->kernel, p->scratch.ptr, t, n, valid);
    text = p->scratch.ptr;
  }
  if (p->cb.on_comment(p->user, text, len)) return fail_callback(p, "on_comment");
  return SSE_OK;
}

/* The last event ID string := the last event ID buffer. */
SSE_NOINLINE int set_last_id(parser_state *p) {
  size_t total = sat_add(p->buffered - p->last_id.len, p->id.len);
  int rc = account(p, total, "setting the last event ID");
  if (rc) return rc;
  if ((rc = buf_reserve(p, &p->last_id, p->id.len))) return rc;
  if (p->id.len) memcpy(p->last_id.ptr, p->id.ptr, p->id.len);
  p->last_id.len = p->id.len;
  p->buffered = total;
  return SSE_OK;
}

SSE_INLINE int dispatch(parser_state *p) {
  /* 1. The last event ID string := the last event ID buffer. */
  if (!p->id_follows_last && (p->id.len != p->last_id.len ||
                              (p->id.len && memcmp(p->id.ptr, p->last_id.ptr, p->id.len) != 0))) {
    int rc = set_last_id(p);
    if (rc) return rc;
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
    ev.data = p->data.ptr + p->data_off;
    ev.data_len = p->data.len - p->data_off - 1;
    p->buffered -= p->data.len - p->data_off;
    p->data.len = 0;
    if (p->data_off) {
      /* The data buffer was the line buffer (swap_in_data), and no line is
       * held now (an empty line is never held): give it back, so that one
       * buffer keeps holding long lines and the two do not alternate. The
       * memory does not move: ev.data stays valid. */
      sse_buf t = p->data;
      p->data = p->line;
      p->line = t;
      p->data_off = 0;
    }
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

/* A line that is not empty and does not start with "data:" (see
 * process_line). */
SSE_NOINLINE int process_field(parser_state *p, const uchar *l, size_t n, size_t valid,
                               int in_chunk) {
  int rc;
  if (l[0] == ':') {
    if (!p->cb.on_comment) return SSE_OK;
    if ((rc = account_line(p, n))) return rc;
    return comment(p, l + 1, n - 1, valid - 1);
  }
  const uchar *colon = memchr(l, ':', n);
  size_t name_len = colon ? (size_t)(colon - l) : n;
  const uchar *v = colon ? colon + 1 : l + n;
  size_t vn = colon ? n - name_len - 1 : 0;
  if (vn && v[0] == ' ') {
    v++;
    vn--;
  }
  size_t vvalid = valid - (size_t)(v - l); /* used for known names only */
  switch (name_len) {
  case 4:
    if (memcmp(l, "data", 4) != 0) break;
    if ((rc = account_line(p, n))) return rc;
    return field_data(p, v, vn, vvalid, in_chunk);
  case 5:
    if (memcmp(l, "event", 5) == 0) {
      if ((rc = account_line(p, n))) return rc;
      return set_field(p, &p->type, v, vn, vvalid, "setting the event type");
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
    p->id_follows_last = 0;
    return set_field(p, &p->id, v, vn, vvalid, "setting the last event ID buffer");
  default:
    break;
  }
  return SSE_OK; /* any other field is ignored */
}

/* Process one complete line (raw bytes, line ending excluded; its first
 * valid bytes are well-formed UTF-8). in_chunk: it lies in the caller's
 * chunk, not in the line buffer. Field names are ASCII and so lie within
 * the valid prefix whenever they are known. The common cases inline. */
SSE_INLINE int process_line(parser_state *p, const uchar *l, size_t n, size_t valid, int in_chunk) {
  if (n == 0) return dispatch(p);
  if (n >= 5 && memcmp(l, "data:", 5) == 0) {
    size_t skip = n > 5 && l[5] == ' ' ? 6 : 5;
    int rc = account_line(p, n);
    if (rc) return rc;
    return field_data(p, l + skip, n - skip, valid - skip, in_chunk);
  }
  return process_field(p, l, n, valid, in_chunk);
}

/* ---- lines across chunks ---- */

/* Whether the name so far (n <= 5 bytes, no colon seen) can still become a
 * field name the parser keeps. */
/* Whether the n (<= 5) bytes at a equal the first n of the name lit (whose
 * length is m). A loop, not memcmp: these are a few bytes, often one. */
static int name_eq(const char *a, size_t n, const char *lit, size_t m) {
  if (n > m) return 0;
  for (size_t i = 0; i < n; i++)
    if (a[i] != lit[i]) return 0;
  return 1;
}

static int name_prefix_kept(const parser_state *p, const char *name, size_t n) {
  return name_eq(name, n, "data", 4) || name_eq(name, n, "event", 5) || name_eq(name, n, "id", 2) ||
         (p->cb.on_retry && name_eq(name, n, "retry", 5));
}

static int name_kept(const parser_state *p, const char *name, size_t n) {
  return (n == 4 && name_eq(name, n, "data", 4)) || (n == 5 && name_eq(name, n, "event", 5)) ||
         (n == 2 && name_eq(name, n, "id", 2)) ||
         (n == 5 && p->cb.on_retry && name_eq(name, n, "retry", 5));
}

/* Classify the line made of the held bytes (p->line, an open line: no colon
 * and at most five bytes) and b. complete: the line ends after b. */
static int classify(const parser_state *p, const uchar *b, size_t bn, int complete) {
  const uchar *a = (const uchar *)p->line.ptr;
  size_t an = p->line.len;
  if (an == 0 && bn >= 5 && memcmp(b, "data:", 5) == 0) return LINE_KEPT; /* the common case */
  if (an + bn == 0) return complete ? LINE_KEPT : LINE_OPEN;
  uchar first = an ? a[0] : b[0];
  if (first == ':') return p->cb.on_comment ? LINE_KEPT : LINE_IGNORED;
  /* A colon further than six bytes into the line makes a name too long to
   * keep: look no further. */
  size_t look = bn < 6 - an ? bn : 6 - an, k = 0;
  while (k < look && b[k] != ':') k++;
  const uchar *colon = k < look ? b + k : NULL;
  size_t name_len = an + (colon ? (size_t)(colon - b) : bn);
  if (name_len > 5) return LINE_IGNORED;
  char name[5];
  for (size_t i = 0; i < name_len; i++) name[i] = (char)(i < an ? a[i] : b[i - an]);
  if (colon || complete) return name_kept(p, name, name_len) ? LINE_KEPT : LINE_IGNORED;
  return name_prefix_kept(p, name, name_len) ? LINE_OPEN : LINE_IGNORED;
}

/* Forget the held line. */
static void line_clear(parser_state *p) {
  p->line.len = 0;
  p->line_valid = 0;
}

/* Check the held line's UTF-8 from where the last check stopped; return
 * the length of its well-formed prefix so far. A check stops at the first
 * invalid sequence for good (checking again from there costs one step), and
 * at a sequence the line's end cuts short until more bytes come. */
static size_t line_validate(parser_state *p) {
  const uchar *l = (const uchar *)p->line.ptr;
  if (p->line_valid < p->line.len)
    p->line_valid += utf8_valid_prefix(p->kernel, l + p->line_valid, p->line.len - p->line_valid);
  return p->line_valid;
}

/* n new bytes were appended to the held line; good of them are known to be
 * well-formed UTF-8 (SIZE_MAX: not checked). Bring line_valid up to date. */
static void line_grew(parser_state *p, size_t n, size_t good) {
  if (good != SIZE_MAX && p->line_valid == p->line.len - n)
    p->line_valid += good; /* they follow a clean boundary: the scan said it all */
  else
    line_validate(p); /* a sequence split between chunks, or not scanned */
}

/* The chunk ends inside a line: hold its bytes [s, s + n), n > 0; good of
 * them are well-formed UTF-8 (SIZE_MAX: not checked). copied: a kept line's
 * bytes are already in place after the held ones (see feed_bytes). */
static int line_partial(parser_state *p, const uchar *s, size_t n, size_t good, int copied) {
  if (p->line_mode == LINE_OPEN) {
    p->line_mode = (unsigned char)classify(p, s, n, 0);
    if (p->line_mode == LINE_IGNORED) {
      line_clear(p);
      return SSE_OK;
    }
  }
  if (p->line_mode == LINE_IGNORED) return SSE_OK;
  if (p->line_mode == LINE_KEPT) {
    int rc = account_line(p, sat_add(p->line.len, n));
    if (rc) return rc;
  }
  int rc = SSE_OK;
  if (copied)
    p->line.len += n;
  else
    rc = buf_append(p, &p->line, s, n);
  if (rc == SSE_OK) line_grew(p, n, good);
  return rc;
}

/* A line ends after its bytes [s, s + n) of this chunk; some of it is held
 * (or it is ignored). good: as for line_partial. */
static int line_complete(parser_state *p, const uchar *s, size_t n, size_t good, int copied) {
  int mode = p->line_mode;
  p->line_mode = LINE_OPEN;
  if (mode == LINE_IGNORED) {
    line_clear(p);
    return SSE_OK;
  }
  if (p->line.len == 0) {
    if (good == SIZE_MAX) good = utf8_valid_prefix(p->kernel, s, n);
    return process_line(p, s, n, good, 1);
  }
  if (mode == LINE_OPEN && classify(p, s, n, 1) == LINE_IGNORED) {
    line_clear(p);
    return SSE_OK;
  }
  int rc = account_line(p, sat_add(p->line.len, n));
  if (!rc) {
    if (copied)
      p->line.len += n;
    else
      rc = buf_append(p, &p->line, s, n);
  }
  if (!rc) {
    line_grew(p, n, good);
    rc = process_line(p, (const uchar *)p->line.ptr, p->line.len, line_validate(p), 0);
  }
  line_clear(p);
  return rc;
}

/* The line ending at e (CR or LF) ends; return the first byte after it. A
 * CR at the end of the chunk leaves after_cr set, to skip an LF that may
 * start the next chunk. Called before the line is processed. */
SSE_INLINE const uchar *line_end(parser_state *p, const uchar *e, const uchar *end) {
  const uchar *next = e + 1;
  if (*e == '\r') {
    if (next == end)
      p->after_cr = 1; /* skip an LF that may start the next chunk */
    else if (*next == '\n')
      next++;
  }
  return next;
}

/* Read lines from s, the start of a line with nothing held, to end. The
 * one loop that reads the bytes of lines in the caller's chunk: the kernel
 * skips to the next CR, LF or non-ASCII byte, and the decision is made
 * here. */
static int feed_lines(parser_state *p, const uchar *s, const uchar *end) {
  const sse_scan_fn special = p->kernel->special;
  while (s < end) {
    int rc;
    if (*s == '\n' || *s == '\r') { /* an empty line */
      s = line_end(p, s, end);
      rc = dispatch(p);
    } else {
      const uchar *bad = NULL, *e = scan_line(special, s, end, &bad);
      if (e == end) return line_partial(p, s, (size_t)(end - s), (size_t)((bad ? bad : e) - s), 0);
      const uchar *l = s;
      size_t n = (size_t)(e - l);
      s = line_end(p, e, end);
      rc = process_line(p, l, n, bad ? (size_t)(bad - l) : n, 1);
    }
    if (rc) return rc;
  }
  return SSE_OK;
}

static int feed_bytes(parser_state *p, const uchar *s, const uchar *end) {
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
  if (s < end && (p->line.len || p->line_mode != LINE_OPEN)) {
    /* The rest of a line held from earlier chunks (or being ignored). Its
     * UTF-8 is checked in the same scan when the held bytes end at a
     * sequence boundary; otherwise after they are appended. */
    const uchar *e, *bad = NULL;
    size_t good = SIZE_MAX;
    int copied = 0;
    size_t rest = (size_t)(end - s);
    if (p->line_mode == LINE_KEPT && p->line_valid == p->line.len && rest >= 64 &&
        p->line.len <= p->limit && p->buffered <= p->limit - p->line.len &&
        rest <= p->limit - p->line.len - p->buffered) {
      /* A long kept line goes on: copy while scanning, into room for the
       * whole rest of the chunk. Only when all of it would be within the
       * limit: then account_line cannot fail, and the buffer stays bounded
       * by the limit. */
      int rc = buf_reserve(p, &p->line, p->line.len + rest);
      if (rc) return rc;
      char *dst = p->line.ptr + p->line.len;
      e = p->kernel->copy(dst, s, end);
      if (e < end && *e >= 0x80) { /* not ASCII: check it, then copy the rest */
        const uchar *q = e;
        e = scan_line(p->kernel->special, q, end, &bad);
        memcpy(dst + (q - s), q, (size_t)(e - q));
      }
      good = (size_t)((bad ? bad : e) - s);
      copied = 1;
    } else if (p->line_mode != LINE_IGNORED && p->line_valid == p->line.len) {
      e = scan_line(p->kernel->special, s, end, &bad);
      good = (size_t)((bad ? bad : e) - s);
    } else if (end - s < 8) {
      for (e = s; e < end && *e != '\n' && *e != '\r';) e++;
    } else {
      e = p->kernel->eol(s, end);
    }
    if (e == end) return line_partial(p, s, (size_t)(end - s), good, copied);
    const uchar *next = line_end(p, e, end);
    int rc = line_complete(p, s, (size_t)(e - s), good, copied);
    if (rc) return rc;
    s = next;
  }
  return feed_lines(p, s, end);
}

/* ---- streams ---- */

static void new_stream(parser_state *p) {
  line_clear(p);
  p->data.len = 0;
  p->data_off = 0;
  p->type.len = 0;
  /* A new stream's last event ID buffer starts as the last event ID string
   * (rule C7-id-buffer), without a copy: until an id field, it is that string. */
  p->id.len = 0;
  p->id_follows_last = 1;
  p->data_ref = NULL;
  p->data_ref_len = 0;
  p->buffered = p->last_id.len;
  p->bom_len = 0;
  p->at_start = 1;
  p->after_cr = 0;
  p->line_mode = LINE_OPEN;
  p->status = SSE_OK;
}

/* Forget everything but callbacks, limit, allocator, kernel and memory. */
static void reset(parser_state *p) {
  p->last_id.len = 0;
  p->scratch.len = 0;
  p->peak = 0;
  p->message[0] = '\0';
  new_stream(p);
}

/* ---- the public functions ----
 *
 * Each takes the caller's struct sse_parser and works on its private
 * member. */

void sse_parser_init(sse_parser *parser, const sse_callbacks *cb, void *user) {
  memset(parser, 0, sizeof *parser);
  parser_state *p = &parser->private_;
  if (cb) p->cb = *cb;
  p->user = user;
  p->realloc_fn = libc_realloc;
  p->limit = SSE_DEFAULT_LIMIT;
  p->kernel = sse_scan_choose(); /* the one dispatch point */
  new_stream(p);
}

void sse_parser_set_limit(sse_parser *parser, size_t limit) {
  parser->private_.limit = limit ? limit : SSE_DEFAULT_LIMIT;
}

void sse_parser_set_allocator(sse_parser *parser, sse_realloc_fn fn, void *ctx) {
  parser_state *p = &parser->private_;
  p->realloc_fn = fn ? fn : libc_realloc;
  p->realloc_ctx = fn ? ctx : NULL;
}

int sse_parser_feed(sse_parser *parser, const void *buf, size_t len) {
  if (!parser) return SSE_EINVAL;
  parser_state *p = &parser->private_;
  if (p->status) return p->status;
  if (!buf) {
    if (len == 0) return SSE_OK;
    snprintf(p->message, sizeof p->message, "sse_parser_feed: buf is NULL but len is %zu", len);
    return SSE_EINVAL;
  }
  const uchar *s = buf;
  size_t held = p->line.len;
  if (len < 16 && p->line_mode == LINE_KEPT && !p->at_start && !p->after_cr &&
      p->line_valid == held && p->line.cap - held >= len && held <= p->limit &&
      len <= p->limit - held && p->buffered <= p->limit - held - len) {
    /* A few more ASCII bytes of a kept line, all within the limit and the
     * line buffer: append them, which is all the general path would do
     * (line_partial: account_line cannot fail, buf_append needs no room,
     * and they are well-formed UTF-8). One byte per feed lives here. */
    size_t i = 0;
    while (i < len && !sse_scan_special_byte[s[i]]) i++;
    if (i == len) {
      copy_bytes(p->line.ptr + p->line.len, s, len);
      p->line.len += len;
      p->line_valid = p->line.len;
      if (p->buffered + p->line.len > p->peak) p->peak = p->buffered + p->line.len;
      return SSE_OK;
    }
  }
  int rc = feed_bytes(p, s, s + len);
  if (rc == SSE_OK && p->data_ref) rc = materialize(p);
  return rc;
}

int sse_parser_finish(sse_parser *parser) {
  parser_state *p = &parser->private_;
  int rc = p->status;
  new_stream(p);
  return rc;
}

const char *sse_parser_last_event_id(const sse_parser *parser, size_t *len) {
  const parser_state *p = &parser->private_;
  if (len) *len = p->last_id.len;
  return p->last_id.len ? p->last_id.ptr : "";
}

size_t sse_parser_peak_buffered(const sse_parser *parser) {
  return parser->private_.peak;
}

void sse_parser_reset(sse_parser *parser) {
  reset(&parser->private_);
}

void sse_parser_free(sse_parser *parser) {
  parser_state *p = &parser->private_;
  sse_buf *bufs[] = {&p->line, &p->data, &p->type, &p->id, &p->last_id, &p->scratch};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
    if (bufs[i]->ptr) p->realloc_fn(p->realloc_ctx, bufs[i]->ptr, 0);
    bufs[i]->ptr = NULL;
    bufs[i]->len = 0;
    bufs[i]->cap = 0;
  }
  reset(p);
}

const char *sse_parser_error(const sse_parser *parser) {
  return parser->private_.message;
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

const char *sse_parser_kernel(const sse_parser *parser) {
  const parser_state *p = &parser->private_;
  return p->kernel ? p->kernel->name : sse_scan_scalar.name;
}

int sse_parser_set_kernel(sse_parser *parser, const char *name) {
  parser_state *p = &parser->private_;
  if (!name || !*name) {
    p->kernel = sse_scan_best();
    return SSE_OK;
  }
  const struct sse_kernel *k = sse_scan_kernel(name);
  if (!k) {
    if (sse_scan_known(name)) {
      snprintf(p->message, sizeof p->message,
               "sse_parser_set_kernel: this CPU cannot run the %s kernel", name);
    } else {
      char names[64];
      sse_scan_name_list(names, sizeof names);
      snprintf(p->message, sizeof p->message,
               "sse_parser_set_kernel: no kernel called \"%.40s\" (%s)", name, names);
    }
    return SSE_EINVAL;
  }
  p->kernel = k;
  return SSE_OK;
}
