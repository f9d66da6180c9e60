/*
 * parse.c - fuzz target `parse`: the reference parser on arbitrary bytes,
 * fed in fuzzer-chosen chunks, under a fuzzer-chosen limit, with optional
 * callback stops and allocation failures, then optionally a second stream on the same
 * parser (after sse_parser_reset or as a reconnection). Every invariant of
 * the API is checked; a broken one aborts.
 *
 * Flags (byte 0 of the input, see fuzz_common.h and docs/fuzzing.md):
 *   bits 0-1  limit mode: default / 64..4096 / 1..64 / the parameter
 *   bit 2     the (K+1)-th callback returns nonzero (first stream only)
 *   bit 3     the (K+1)-th allocation fails (first stream only)
 *   bit 4     no on_comment callback
 *   bit 5     no on_retry callback
 *   bit 6     a second stream of the same bytes follows sse_parser_reset:
 *             its records must equal the first stream's when nothing was
 *             injected
 *   bit 7     (without bit 6) a second stream of the same bytes follows
 *             sse_parser_finish only, as a reconnection's body
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

/* A stream is fed in at most this many chunks (the last one is the rest):
 * boundaries enough for the limit and line paths, and a bounded cost per
 * input (the `split` target feeds one byte at a time). */
#define PARSE_MAX_FEEDS 64

/* ---- a counting allocator ---- */

typedef struct alloc_state {
  size_t live;    /* bytes handed out and not freed */
  size_t bound;   /* the most that may be live */
  size_t calls;   /* allocations (size > 0) so far */
  size_t fail_at; /* 0, or the call that returns NULL */
  int failed;
} alloc_state;

#define HDR 16 /* keeps the parser's memory aligned */

static alloc_state g_alloc;
static const uint8_t *g_data; /* the input, for findings */
static size_t g_size;

FZ_NOCOV static void *counting_realloc(void *ctx, void *ptr, size_t size) {
  alloc_state *st = ctx;
  unsigned char *base = ptr ? (unsigned char *)ptr - HDR : NULL;
  size_t old = 0;
  if (base) memcpy(&old, base, sizeof old);
  if (size == 0) {
    if (base) {
      st->live -= old;
      free(base);
    }
    return NULL;
  }
  st->calls++;
  if (st->fail_at && st->calls == st->fail_at) {
    st->failed = 1;
    return NULL;
  }
  unsigned char *nb = realloc(base, size + HDR);
  if (!nb) abort();
  memcpy(nb, &size, sizeof size);
  st->live = st->live - old + size;
  if (st->live > st->bound) fz_finding("parser memory over its bound", g_data, g_size);
  return nb + HDR;
}

/* ---- the run ---- */

typedef struct run {
  sse_parser p;
  fz_rec rec;
  size_t failed_at;    /* the length of rec when the first stream failed */
  size_t limit;        /* the effective limit */
  size_t stream_bytes; /* bytes fed to this stream so far */
  size_t total_bytes;  /* bytes fed since the parser was new or reset */
  size_t callbacks;
  size_t stop_at; /* 0, or the callback that returns nonzero */
  int stopped;
  int abandoned; /* a feed failed: no callback may come until finish */
} run;

static run g_run;
static fz_arena g_arena;

FZ_NOCOV static void finding(const char *what) {
  fz_finding(what, g_data, g_size);
}

FZ_NOCOV static void check_text(const char *s, size_t n, int allow_lf, int allow_nul,
                                const char *what) {
  if (n && !s) finding(what);
  unsigned bad =
      FZ_BAD_UTF8 | FZ_HAS_CR | (allow_lf ? 0 : FZ_HAS_LF) | (allow_nul ? 0 : FZ_HAS_NUL);
  if (fz_text_scan(s, n) & bad) finding(what);
}

FZ_NOCOV static int callback_common(run *r) {
  if (r->abandoned) finding("a callback ran after the stream was abandoned");
  if (r->stopped) finding("a callback ran after one asked to stop");
  r->callbacks++;
  if (r->stop_at && r->callbacks == r->stop_at) {
    r->stopped = 1;
    return 1;
  }
  return 0;
}

FZ_NOCOV static int on_event(void *user, const sse_event *ev) {
  run *r = user;
  if (!ev) finding("on_event got NULL");
  check_text(ev->type, ev->type_len, 0, 1, "event type not UTF-8 or has CR/LF");
  check_text(ev->data, ev->data_len, 1, 1, "event data not UTF-8 or has CR");
  check_text(ev->last_event_id, ev->last_event_id_len, 0, 0,
             "event lastEventId not UTF-8 or has CR/LF/NUL");
  if (ev->type_len == 0) finding("event type is empty (should be \"message\")");
  if (ev->data_len > 3 * r->stream_bytes) finding("event data longer than the input allows");
  if (ev->type_len > 3 * r->stream_bytes &&
      !(ev->type_len == 7 && memcmp(ev->type, "message", 7) == 0))
    finding("event type longer than the input allows");
  if (ev->last_event_id_len > 3 * r->total_bytes) finding("lastEventId longer than the input");
  size_t il;
  const char *id = sse_parser_last_event_id(&r->p, &il);
  if (il != ev->last_event_id_len || (il && memcmp(id, ev->last_event_id, il) != 0))
    finding("event lastEventId differs from sse_parser_last_event_id()");
  int stop = callback_common(r);
  fz_rec_event(&r->rec, ev->type, ev->type_len, ev->data, ev->data_len, ev->last_event_id,
               ev->last_event_id_len);
  return stop;
}

FZ_NOCOV static int on_retry(void *user, uint64_t ms) {
  run *r = user;
  int stop = callback_common(r);
  fz_rec_retry(&r->rec, ms);
  return stop;
}

FZ_NOCOV static int on_comment(void *user, const char *text, size_t len) {
  run *r = user;
  check_text(text, len, 0, 1, "comment not UTF-8 or has CR/LF");
  if (len > 3 * r->stream_bytes) finding("comment longer than the input allows");
  int stop = callback_common(r);
  fz_rec_comment(&r->rec, text, len);
  return stop;
}

FZ_NOCOV static int code_ok(int rc, int injected_stop, int injected_fail, int limited) {
  switch (rc) {
  case SSE_OK:
    return 1;
  case SSE_ECALLBACK:
    return injected_stop;
  case SSE_ENOMEM:
    return injected_fail;
  case SSE_ELIMIT:
    return limited;
  default:
    return 0;
  }
}

/* Feed one stream; returns the first failure code (SSE_OK if none) and
 * records it, finish's code, the end ID and the peak. */
FZ_NOCOV static int feed_stream(run *r, const fz_input *in, int inject_stop, int inject_fail) {
  r->stream_bytes = 0;
  r->abandoned = 0;
  r->stopped = 0;
  r->stop_at = inject_stop ? (size_t)in->k + 1 + r->callbacks : 0;
  g_alloc.fail_at = inject_fail ? (size_t)in->k + 1 + g_alloc.calls : 0;
  g_alloc.failed = 0;

  fz_chunks ch;
  fz_chunks_init(&ch, in->lens, in->nlens, in->len, PARSE_MAX_FEEDS);
  size_t off, n, feeds = 0;
  int first = SSE_OK;
  while (fz_chunks_next(&ch, &off, &n)) {
    if (in->rotate) fz_rotate_kernel(&r->p, feeds++);
    const unsigned char *at = fz_arena_put(&g_arena, in->stream + off, n);
    if (first == SSE_OK) {
      r->stream_bytes += n;
      r->total_bytes += n;
    }
    int rc = sse_parser_feed(&r->p, at, n);
    fz_arena_release(&g_arena);
    if (first != SSE_OK) {
      if (rc != first) finding("a feed after a failure did not return the same code");
      break; /* one more feed is enough to check that */
    }
    if (rc != SSE_OK) {
      /* The limit can only be reached if the bytes fed could fill it: the
       * buffered count is at most a few times the decoded input. */
      int limited = r->limit < 8 * r->total_bytes + 64;
      if (!code_ok(rc, r->stopped, g_alloc.failed, limited)) {
        fprintf(stderr, "feed returned %d (%s): %s\n", rc, sse_strerror(rc),
                sse_parser_error(&r->p));
        finding("feed returned a code it had no cause for");
      }
      if (rc == SSE_ECALLBACK && !r->stopped) finding("SSE_ECALLBACK without a callback stop");
      if (!sse_parser_error(&r->p)[0]) finding("a failure left sse_parser_error() empty");
      first = rc;
      r->abandoned = 1;
      r->failed_at = r->rec.len;
      fz_rec_status(&r->rec, rc);
    } else if (r->stopped) {
      finding("a callback asked to stop but feed returned SSE_OK");
    } else if (g_alloc.failed) {
      finding("an allocation failed but feed returned SSE_OK");
    }
  }
  if (first != SSE_OK) {
    /* An abandoned stream reads nothing more (a callback now is a finding)
     * and every feed returns the same code. */
    static const char more[] = "data: x\n\nid: 1\n\n";
    const unsigned char *at = fz_arena_put(&g_arena, more, sizeof more - 1);
    int rc = sse_parser_feed(&r->p, at, sizeof more - 1);
    fz_arena_release(&g_arena);
    if (rc != first) finding("a feed after a failure did not return the same code");
  }
  size_t peak = sse_parser_peak_buffered(&r->p);
  if (peak > r->limit) finding("sse_parser_peak_buffered() is over the limit");
  int fin = sse_parser_finish(&r->p);
  if (fin != first) finding("sse_parser_finish() did not return the stream's failure code");
  r->abandoned = 0;
  r->stopped = 0;
  size_t il;
  const char *id = sse_parser_last_event_id(&r->p, &il);
  check_text(id, il, 0, 0, "last event ID not UTF-8 or has CR/LF/NUL");
  if (il > 3 * r->total_bytes) finding("last event ID longer than the input");
  fz_rec_end(&r->rec, fin, id, il);
  fz_rec_peak(&r->rec, peak);
  g_alloc.fail_at = 0;
  r->stop_at = 0;
  return first;
}

/* A stream that failed (limit, stop, failed allocation) gave, before the
 * failure, exactly the first records of the same stream without it: the
 * stream is abandoned, nothing else changes. */
FZ_NOCOV static void check_prefix(const run *r, const fz_input *in, const sse_callbacks *cb,
                                  const uint8_t *data, size_t size) {
  static fz_rec clean;
  fz_rec_clear(&clean);
  sse_callbacks rcb = fz_record_callbacks;
  if (!cb->on_event) rcb.on_event = NULL;
  if (!cb->on_retry) rcb.on_retry = NULL;
  if (!cb->on_comment) rcb.on_comment = NULL;
  sse_parser q;
  sse_parser_init(&q, &rcb, &clean);
  fz_use_kernel(&q, in->kernel);
  fz_chunks ch;
  fz_chunks_init(&ch, in->lens, in->nlens, in->len, PARSE_MAX_FEEDS);
  size_t off, n;
  int rc = SSE_OK;
  while (rc == SSE_OK && fz_chunks_next(&ch, &off, &n)) {
    const unsigned char *at = fz_arena_put(&g_arena, in->stream + off, n);
    rc = sse_parser_feed(&q, at, n);
    fz_arena_release(&g_arena);
  }
  sse_parser_free(&q);
  if (rc != SSE_OK) return; /* over the default limit too: nothing to compare */
  if (clean.len < r->failed_at || (r->failed_at && memcmp(clean.p, r->rec.p, r->failed_at) != 0)) {
    fz_rec a = {r->rec.p, r->failed_at, r->failed_at};
    fz_mismatch("the records before a failure are not the first records of the stream without it",
                data, size, "until the failure", &a, "without the limit, stop or failed allocation",
                &clean);
  }
}

FZ_NOCOV int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  g_data = data;
  g_size = size;
  fz_input in;
  fz_input_parse(&in, data, size);
  run *r = &g_run;

  sse_callbacks cb = {on_event, on_retry, on_comment};
  if (in.flags & 0x10) cb.on_comment = NULL;
  if (in.flags & 0x20) cb.on_retry = NULL;
  int with_reset = (in.flags & 0x40) != 0;
  int second = with_reset || (in.flags & 0x80) != 0;

  sse_parser_init(&r->p, &cb, r);
  fz_use_kernel(&r->p, in.kernel);
  size_t limit = fz_limit(in.flags, in.limit_param);
  sse_parser_set_limit(&r->p, limit);
  r->limit = limit ? limit : SSE_DEFAULT_LIMIT;
  /* Memory: each of the six buffers may hold up to about three times the
   * decoded input, or the limit, doubled by growth, plus a minimum size. */
  size_t cap = r->limit;
  if (cap > 24 * (in.len + 64)) cap = 24 * (in.len + 64);
  g_alloc.live = 0;
  g_alloc.calls = 0;
  g_alloc.fail_at = 0;
  g_alloc.bound = 6 * (128 + 2 * cap);
  sse_parser_set_allocator(&r->p, counting_realloc, &g_alloc);
  r->callbacks = 0;
  r->total_bytes = 0;
  fz_rec_clear(&r->rec);

  /* NULL with a length is refused and reads nothing; NULL with 0 is fine. */
  if (sse_parser_feed(&r->p, NULL, 1) != SSE_EINVAL) finding("feed(NULL, 1) is not SSE_EINVAL");
  if (sse_parser_feed(&r->p, NULL, 0) != SSE_OK) finding("feed(NULL, 0) is not SSE_OK");

  int inject_stop = (in.flags & 0x04) != 0;
  int inject_fail = (in.flags & 0x08) != 0;
  int first = feed_stream(r, &in, inject_stop, inject_fail);
  int injected = first == SSE_ECALLBACK || first == SSE_ENOMEM;
  if (first != SSE_OK) check_prefix(r, &in, &cb, data, size);

  /* The second stream: the same bytes, same chunks, nothing injected. */
  size_t first_len = r->rec.len;
  if (with_reset) {
    sse_parser_reset(&r->p);
    r->total_bytes = 0;
    if (sse_parser_peak_buffered(&r->p) != 0) finding("sse_parser_reset() kept the peak");
    size_t il;
    sse_parser_last_event_id(&r->p, &il);
    if (il != 0) finding("sse_parser_reset() kept the last event ID");
  }
  if (second) feed_stream(r, &in, 0, 0);
  if (with_reset && !injected) {
    /* After a reset the parser is as new: same records as the first time. */
    size_t second_len = r->rec.len - first_len;
    if (second_len != first_len || memcmp(r->rec.p, r->rec.p + first_len, first_len) != 0) {
      fz_rec a = {r->rec.p, first_len, first_len};
      fz_rec b = {r->rec.p + first_len, second_len, second_len};
      fz_mismatch("a stream after sse_parser_reset() differs from the first", data, size,
                  "first stream", &a, "after reset", &b);
    }
  }

  sse_parser_free(&r->p);
  if (g_alloc.live != 0) finding("sse_parser_free() left memory allocated");
  return 0;
}
