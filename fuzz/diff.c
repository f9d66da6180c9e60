/*
 * diff.c - fuzz target `diff`: the reference parser against the literal
 * implementation (fuzz/literal/literal_sse.c). The reference gets the
 * fuzzer-chosen chunks; the literal parser reads one byte at a time. Any
 * difference in the records (events, retry, comments, the end ID) prints
 * both and aborts.
 *
 * Flags (byte 0): bit 0: after the stream ends, the same bytes come again
 * as a second stream on the same parser (a reconnection: the last event ID
 * string is kept, everything else starts afresh). The other header bytes
 * are ignored, but for the scan kernel bits of byte 4. The reference parser
 * keeps its default limit (8 MiB); an input that reaches it is skipped.
 */
#include <string.h>

#include "fuzz_common.h"
#include "literal/literal_sse.h"

static fz_rec g_ref, g_lit;
static fz_arena g_arena;
static lit_parser g_literal;
static int g_literal_ready;

FZ_NOCOV static void l_event(void *user, const char *type, size_t tl, const char *data, size_t dl,
                             const char *id, size_t il) {
  fz_rec_event(user, type, tl, data, dl, id, il);
}

FZ_NOCOV static void l_retry(void *user, uint64_t ms) {
  fz_rec_retry(user, ms);
}

FZ_NOCOV static void l_comment(void *user, const char *text, size_t len) {
  fz_rec_comment(user, text, len);
}

FZ_NOCOV static void literal_stream(lit_parser *lp, const uint8_t *s, size_t n, fz_rec *r) {
  for (size_t i = 0; i < n; i++) lit_byte(lp, s[i]);
  lit_end_stream(lp);
  size_t il;
  const char *id = lit_last_event_id(lp, &il);
  fz_rec_end(r, SSE_OK, id, il);
  lit_begin_stream(lp);
}

FZ_NOCOV int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in;
  fz_input_parse(&in, data, size);
  int streams = (in.flags & 1) ? 2 : 1;

  fz_rec_clear(&g_ref);
  fz_rec_clear(&g_lit);

  sse_parser p;
  sse_parser_init(&p, &fz_record_callbacks, &g_ref);
  fz_use_kernel(&p, in.kernel);
  int skip = 0;
  for (int i = 0; i < streams && !skip; i++) {
    int rc = fz_run_stream(&p, &g_arena, in.stream, in.len, in.lens, in.nlens, in.rotate, &g_ref);
    if (rc == SSE_ELIMIT)
      skip = 1; /* too big for the default limit: not compared */
    else if (rc != SSE_OK)
      fz_finding("diff: the reference parser failed", data, size);
  }
  sse_parser_free(&p);
  if (skip) return 0;

  static const lit_sink sink = {l_event, l_retry, l_comment};
  if (!g_literal_ready) {
    lit_init(&g_literal, &sink, &g_lit);
    g_literal_ready = 1;
  }
  lit_parser *lp = &g_literal;
  lit_reset(lp); /* a fresh event source, reusing the memory */
  for (int i = 0; i < streams; i++) literal_stream(lp, in.stream, in.len, &g_lit);

  if (!fz_rec_equal(&g_ref, &g_lit))
    fz_mismatch("diff: the reference parser and the literal implementation differ", data, size,
                "reference (parser/sse.c)", &g_ref, "literal (fuzz/literal)", &g_lit);
  return 0;
}
