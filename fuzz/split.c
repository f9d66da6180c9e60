/*
 * split.c - fuzz target `split`: the records of the reference parser must
 * depend neither on how the stream is split nor on the scan kernel. The
 * same stream is fed whole with the fastest kernel, whole with the scalar
 * one, one byte per feed, and split the fuzzer's way with the kernel
 * changed before every feed (every kernel the CPU runs, in turn); the
 * records (events, retry, comments, the failure code and message, the end
 * ID, the peak of buffered bytes) must be identical, or the target prints
 * both and aborts. One parser serves all the runs of an input, with
 * sse_parser_reset() between them (which keeps its memory).
 *
 * Flags (byte 0): bits 0-1 limit mode (as in `parse`); bit 2 the (K+1)-th
 * callback returns nonzero; bit 4 no on_comment; bit 5 no on_retry; bit 7 no
 * on_event. The fuzzer's split: the chunk lengths of the header; without
 * any, two pieces split at (K * 256 + the low byte of the limit parameter)
 * modulo (stream length + 1).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

typedef struct split_run {
  fz_rec rec;
  size_t callbacks;
  size_t stop_at;
} split_run;

static split_run g_runs[2];
static split_run *g_cur; /* the run the callbacks record into */
static fz_arena g_arena;

FZ_NOCOV static int stop_here(split_run *r) {
  return r->stop_at && ++r->callbacks == r->stop_at;
}

FZ_NOCOV static int s_event(void *user, const sse_event *ev) {
  (void)user;
  fz_rec_event(&g_cur->rec, ev->type, ev->type_len, ev->data, ev->data_len, ev->last_event_id,
               ev->last_event_id_len);
  return stop_here(g_cur);
}

FZ_NOCOV static int s_retry(void *user, uint64_t ms) {
  (void)user;
  fz_rec_retry(&g_cur->rec, ms);
  return stop_here(g_cur);
}

FZ_NOCOV static int s_comment(void *user, const char *text, size_t len) {
  (void)user;
  fz_rec_comment(&g_cur->rec, text, len);
  return stop_here(g_cur);
}

/* Feed one piece; returns the feed's code. */
FZ_NOCOV static int feed_piece(sse_parser *p, const uint8_t *s, size_t n, size_t i) {
  fz_rotate_kernel(p, i);
  const unsigned char *c = fz_arena_put(&g_arena, s, n);
  int rc = sse_parser_feed(p, c, n);
  fz_arena_release(&g_arena);
  return rc;
}

/* Run one split of the stream into g_runs[slot] with the kernel called
 * kernel (NULL: the fastest; "rotate": a new one before every feed): the
 * chunks lens/nlens, or (two_at != NULL) two pieces. */
FZ_NOCOV static void run_split(sse_parser *p, int slot, const char *kernel, const fz_input *in,
                               const uint8_t *lens, size_t nlens, const size_t *two_at) {
  split_run *r = &g_runs[slot];
  fz_rec_clear(&r->rec);
  r->callbacks = 0;
  r->stop_at = (in->flags & 0x04) ? (size_t)in->k + 1 : 0;
  g_cur = r;
  sse_parser_reset(p);
  int rotate = kernel && strcmp(kernel, "rotate") == 0;
  if (!rotate && sse_parser_set_kernel(p, kernel) != SSE_OK) abort();
  int first;
  if (two_at) {
    first = feed_piece(p, in->stream, *two_at, 0);
    if (first == SSE_OK) first = feed_piece(p, in->stream + *two_at, in->len - *two_at, 1);
    if (first != SSE_OK) fz_rec_status(&r->rec, first);
    int fin = sse_parser_finish(p);
    size_t il;
    const char *id = sse_parser_last_event_id(p, &il);
    fz_rec_end(&r->rec, fin, id, il);
  } else {
    first = fz_run_stream(p, &g_arena, in->stream, in->len, lens, nlens, rotate, &r->rec);
  }
  if (first != SSE_OK) fz_rec_message(&r->rec, sse_parser_error(p));
  fz_rec_peak(&r->rec, sse_parser_peak_buffered(p));
}

FZ_NOCOV int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in;
  fz_input_parse(&in, data, size);
  sse_callbacks cb = {s_event, s_retry, s_comment};
  if (in.flags & 0x10) cb.on_comment = NULL;
  if (in.flags & 0x20) cb.on_retry = NULL;
  if (in.flags & 0x80) cb.on_event = NULL;
  sse_parser p;
  sse_parser_init(&p, &cb, NULL);
  sse_parser_set_limit(&p, fz_limit(in.flags, in.limit_param));

  /* The stream whole: the records every split must give. */
  run_split(&p, 0, NULL, &in, NULL, 0, NULL);
  const char *fastest = sse_parser_kernel(&p);

  run_split(&p, 1, "scalar", &in, NULL, 0, NULL);
  if (!fz_rec_equal(&g_runs[0].rec, &g_runs[1].rec))
    fz_mismatch("split: the scalar kernel differs from the fastest", data, size, fastest,
                &g_runs[0].rec, "scalar", &g_runs[1].rec);

  static const uint8_t one[1] = {1};
  run_split(&p, 1, NULL, &in, one, 1, NULL);
  if (!fz_rec_equal(&g_runs[0].rec, &g_runs[1].rec))
    fz_mismatch("split: one byte per feed differs from the stream whole", data, size, "whole",
                &g_runs[0].rec, "one byte per feed", &g_runs[1].rec);

  if (in.nlens) {
    run_split(&p, 1, "rotate", &in, in.lens, in.nlens, NULL);
    if (!fz_rec_equal(&g_runs[0].rec, &g_runs[1].rec))
      fz_mismatch("split: the input's chunks differ from the stream whole", data, size, "whole",
                  &g_runs[0].rec, "chunked, kernels in turn", &g_runs[1].rec);
  } else {
    size_t at = (((size_t)in.k << 8) | (in.limit_param & 0xFF)) % (in.len + 1);
    run_split(&p, 1, "rotate", &in, NULL, 0, &at);
    if (!fz_rec_equal(&g_runs[0].rec, &g_runs[1].rec)) {
      fprintf(stderr, "split point: %zu\n", at);
      fz_mismatch("split: two pieces differ from the stream whole", data, size, "whole",
                  &g_runs[0].rec, "two pieces, kernels in turn", &g_runs[1].rec);
    }
  }
  sse_parser_free(&p);
  return 0;
}
