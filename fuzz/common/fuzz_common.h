/*
 * fuzz_common.h - what the fuzz targets share: the input header, chunk
 * plans, a record buffer (the adapter protocol's records, serialized) with
 * comparison and printing, a UTF-8 check, and a chunk arena that makes the
 * parser's view of each chunk exactly that chunk (ASan sees any read past
 * it, or of it after the feed returned).
 *
 * Input format (every target; docs/fuzzing.md):
 *
 *   byte 0      flags (meaning per target)
 *   bytes 1-2   limit parameter, little endian
 *   byte 3      K: which callback stops, or which allocation fails
 *   byte 4      bits 0-3: N, the number of chunk-length bytes (0..15);
 *               bits 4-5: the scan kernel (0 the parser's choice, 1 scalar,
 *               2 sse2, 3 avx2; one the CPU lacks: scalar); bit 6: change
 *               the kernel before every feed, in turn (not in `split`,
 *               which compares the kernels itself)
 *   N bytes     chunk lengths, used in turn, cyclically (0 = an empty feed)
 *   the rest    the event stream
 *
 * Missing header bytes read as 0, so every byte string is a valid input.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sse.h"

#define FZ_HEADER 5

/* The harness's own code is not worth the fuzzer's coverage feedback (its
 * branches say nothing about the parser) and its comparison tracing costs
 * speed: functions marked FZ_NOCOV are not instrumented. */
#if defined(__clang__)
#define FZ_NOCOV __attribute__((no_sanitize("coverage")))
#else
#define FZ_NOCOV
#endif

typedef struct fz_input {
  uint8_t flags;
  uint16_t limit_param;
  uint8_t k;
  uint8_t kernel;      /* 0 the parser's choice, 1 scalar, 2 sse2, 3 avx2 */
  uint8_t rotate;      /* change the kernel before every feed */
  const uint8_t *lens; /* chunk lengths */
  size_t nlens;
  const uint8_t *stream;
  size_t len;
} fz_input;

/* Split raw fuzzer bytes into header and stream. */
void fz_input_parse(fz_input *in, const uint8_t *data, size_t size);

/* The limit the flags' low two bits choose (0 = the parser's default):
 * 0 default; 1 64..4096; 2 1..64; 3 the parameter itself. */
size_t fz_limit(uint8_t mode, uint16_t param);

/* ---- chunk plans ---- */

/* Iterates over the chunks of a stream: the lengths in turn, cyclically; a
 * length 0 is an empty feed; a whole cycle of zeros, or reaching max_feeds
 * chunks (if not 0), ends in one chunk of the rest. No lengths: the whole
 * stream as one chunk. */
typedef struct fz_chunks {
  const uint8_t *lens;
  size_t nlens;
  size_t max_feeds;
  size_t feeds;
  size_t i;     /* next length index */
  size_t pos;   /* bytes handed out */
  size_t len;   /* stream length */
  size_t zeros; /* consecutive empty chunks */
  int done;
} fz_chunks;

void fz_chunks_init(fz_chunks *c, const uint8_t *lens, size_t nlens, size_t len, size_t max_feeds);
/* The next chunk [*off, *off + *n); returns 0 when there is none. */
int fz_chunks_next(fz_chunks *c, size_t *off, size_t *n);

/* ---- records ---- */

/* A serialized sequence of records. The storage is kept and reused. */
typedef struct fz_rec {
  unsigned char *p;
  size_t len;
  size_t cap;
} fz_rec;

enum {
  FZ_EVENT = 'E',
  FZ_RETRY = 'R',
  FZ_COMMENT = 'C',
  FZ_STATUS = 'S',
  FZ_END = 'Z',
  FZ_PEAK = 'P',
  FZ_MESSAGE = 'M'
};

void fz_rec_clear(fz_rec *r);
void fz_rec_event(fz_rec *r, const char *type, size_t tl, const char *data, size_t dl,
                  const char *id, size_t il);
void fz_rec_retry(fz_rec *r, uint64_t ms);
void fz_rec_comment(fz_rec *r, const char *text, size_t len);
/* A failure code (the first a stream gave). */
void fz_rec_status(fz_rec *r, int code);
/* The end of a stream: finish's code and the last event ID string. */
void fz_rec_end(fz_rec *r, int code, const char *id, size_t il);
void fz_rec_peak(fz_rec *r, size_t peak);
void fz_rec_message(fz_rec *r, const char *msg);
int fz_rec_equal(const fz_rec *a, const fz_rec *b);
/* The number of records. */
size_t fz_rec_count(const fz_rec *r);
/* Print the records, one a line, as readable text. */
void fz_rec_print(FILE *f, const fz_rec *r);

/* Print the input and both record sequences, then abort(). */
void fz_mismatch(const char *what, const uint8_t *data, size_t size, const char *name_a,
                 const fz_rec *a, const char *name_b, const fz_rec *b);

/* Print "finding: <what>" and the input, then abort(). */
void fz_finding(const char *what, const uint8_t *data, size_t size);

/* Print bytes as a C string literal (escaped). */
void fz_print_bytes(FILE *f, const void *p, size_t n);

/* The same, but over 1024 bytes only the first 512 and the last 256, with
 * the number of bytes left out between them. */
void fz_print_long(FILE *f, const void *p, size_t n);

/* ---- checks ---- */

/* Whether s is well-formed UTF-8. */
int fz_utf8_valid(const void *s, size_t n);

/* Which of these ASCII bytes s holds, in one pass with the UTF-8 check:
 * FZ_HAS_* bits; FZ_BAD_UTF8 if s is not well-formed UTF-8. */
enum { FZ_HAS_CR = 1, FZ_HAS_LF = 2, FZ_HAS_NUL = 4, FZ_BAD_UTF8 = 8 };
unsigned fz_text_scan(const void *s, size_t n);

/* ---- the chunk arena ---- */

/* Holds one chunk at a time at the end of a heap block, so that a read past
 * the chunk's end leaves the block; under ASan the rest of the block is
 * poisoned while the chunk is fed and the whole block once the feed
 * returned. Without ASan the chunk is overwritten after the feed, so a
 * parser that keeps pointing at it shows up as wrong records. */
typedef struct fz_arena {
  unsigned char *p;
  size_t cap;
  const unsigned char *cur;
  size_t cur_len;
} fz_arena;

/* Copy the chunk in and return where it now is. */
const unsigned char *fz_arena_put(fz_arena *a, const void *chunk, size_t n);
/* The feed of the chunk returned. */
void fz_arena_release(fz_arena *a);

/* ---- scan kernels ---- */

/* The scan kernels this CPU runs, by name, in the order of the parser's
 * list (SSE_SCAN_KERNEL_NAMES in parser/sse_scan.h: "scalar" first); their
 * count. */
size_t fz_kernels(const char *const **names);
/* Make p use kernel k, the k-th of the parser's list (1 scalar, 2 sse2,
 * 3 avx2; scalar if the CPU lacks it; 0 or past the list: leave it). */
void fz_use_kernel(sse_parser *p, unsigned k);
/* Make p use the i-th kernel the CPU runs, modulo their number. */
void fz_rotate_kernel(sse_parser *p, size_t i);

/* ---- the reference parser, recorded ---- */

/* Callbacks for the reference parser that append to a fz_rec (user is the
 * fz_rec). */
extern const sse_callbacks fz_record_callbacks;

/* Feed a stream to p in chunks via the arena, record into r; records the
 * first failure code, then finish's code and the end ID. rotate: change the
 * kernel before every feed. Returns the first failure code (or finish's). */
int fz_run_stream(sse_parser *p, fz_arena *a, const uint8_t *s, size_t len, const uint8_t *lens,
                  size_t nlens, int rotate, fz_rec *r);

#endif
