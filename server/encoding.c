/*
 * encoding.c - gzip and br content codings, and Accept-Encoding (see
 * encoding.h).
 */
#include "encoding.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <brotli/encode.h>
#include <zlib.h>

/* brotli: a quality that keeps a flush per piece cheap, and a 256 KiB
 * window that every decoder accepts */
#define BR_QUALITY 5
#define BR_LGWIN 18

struct encoder {
  enum enc_kind kind;
  z_stream z;
  BrotliEncoderState *br;
  int finished;
};

struct encoder *enc_new(enum enc_kind kind) {
  struct encoder *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  e->kind = kind;
  if (kind == ENC_GZIP) {
    /* windowBits 15 + 16: the gzip wrapper (RFC 1952) */
    if (deflateInit2(&e->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
      free(e);
      return NULL;
    }
  } else {
    e->br = BrotliEncoderCreateInstance(NULL, NULL, NULL);
    if (!e->br) {
      free(e);
      return NULL;
    }
    BrotliEncoderSetParameter(e->br, BROTLI_PARAM_QUALITY, BR_QUALITY);
    BrotliEncoderSetParameter(e->br, BROTLI_PARAM_LGWIN, BR_LGWIN);
  }
  return e;
}

void enc_free(struct encoder *e) {
  if (!e) return;
  if (e->kind == ENC_GZIP)
    deflateEnd(&e->z);
  else
    BrotliEncoderDestroyInstance(e->br);
  free(e);
}

static int reserve(struct enc_buf *b, size_t more) {
  size_t need, cap;
  char *q;
  if (more > SIZE_MAX - b->n) return -1;
  need = b->n + more;
  if (need <= b->cap) return 0;
  cap = b->cap ? b->cap : 256;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  q = realloc(b->p, cap);
  if (!q) return -1;
  b->p = q;
  b->cap = cap;
  return 0;
}

/* Run zlib over the input with flush mode `mode` until it is all taken and
 * all output is out. */
static int gz_run(struct encoder *e, const void *in, size_t n, int mode, struct enc_buf *out) {
  const unsigned char *p = in;
  size_t left = n;
  while (1) {
    size_t feed = left > (1u << 30) ? (1u << 30) : left;
    int rc;
    if (reserve(out, 4096 + feed / 8) < 0) return -1;
    e->z.next_in = (unsigned char *)(uintptr_t)p;
    e->z.avail_in = (uInt)feed;
    e->z.next_out = (unsigned char *)out->p + out->n;
    e->z.avail_out = (uInt)(out->cap - out->n > (1u << 30) ? (1u << 30) : out->cap - out->n);
    {
      uInt avail = e->z.avail_out;
      rc = deflate(&e->z, feed < left ? Z_NO_FLUSH : mode);
      out->n += avail - e->z.avail_out;
    }
    p += feed - e->z.avail_in;
    left -= feed - e->z.avail_in;
    if (rc == Z_STREAM_END) return 0;
    if (rc != Z_OK && rc != Z_BUF_ERROR) return -1;
    /* done when all input is taken and deflate left room in the output
     * (it wrote everything the flush asked for) */
    if (left == 0 && e->z.avail_out > 0 && mode != Z_FINISH) return 0;
  }
}

static int br_run(struct encoder *e, const void *in, size_t n, BrotliEncoderOperation op,
                  struct enc_buf *out) {
  const uint8_t *next_in = in;
  size_t avail_in = n;
  while (1) {
    uint8_t *next_out;
    size_t avail_out, before;
    if (reserve(out, 4096 + avail_in / 8) < 0) return -1;
    next_out = (uint8_t *)out->p + out->n;
    avail_out = before = out->cap - out->n;
    if (!BrotliEncoderCompressStream(e->br, op, &avail_in, &next_in, &avail_out, &next_out, NULL))
      return -1;
    out->n += before - avail_out;
    if (avail_in == 0 && !BrotliEncoderHasMoreOutput(e->br)) {
      if (op != BROTLI_OPERATION_FINISH || BrotliEncoderIsFinished(e->br)) return 0;
    }
  }
}

int enc_flush(struct encoder *e, const void *in, size_t n, struct enc_buf *out) {
  if (e->finished) return -1;
  if (e->kind == ENC_GZIP) return gz_run(e, in, n, Z_SYNC_FLUSH, out);
  return br_run(e, in, n, BROTLI_OPERATION_FLUSH, out);
}

int enc_finish(struct encoder *e, struct enc_buf *out) {
  int rc;
  if (e->finished) return -1;
  if (e->kind == ENC_GZIP)
    rc = gz_run(e, "", 0, Z_FINISH, out);
  else
    rc = br_run(e, "", 0, BROTLI_OPERATION_FINISH, out);
  e->finished = 1;
  return rc;
}

static int lower(int c) {
  return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int token_is(const char *s, size_t n, const char *lit) {
  size_t m = strlen(lit);
  if (n != m) return 0;
  for (size_t i = 0; i < n; i++)
    if (lower((unsigned char)s[i]) != lit[i]) return 0;
  return 1;
}

/* The q-value of the parameters p..end of one list member: 0 when it is
 * q=0 (or 0.0, 0.00, 0.000), else 1. */
static int q_positive(const char *p, const char *end) {
  while (p < end) {
    const char *name, *v;
    size_t nn;
    while (p < end && (*p == ';' || *p == ' ' || *p == '\t')) p++;
    name = p;
    while (p < end && *p != '=' && *p != ';' && *p != ' ' && *p != '\t') p++;
    nn = (size_t)(p - name);
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (p >= end || *p != '=') continue;
    p++;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    v = p;
    while (p < end && *p != ';' && *p != ' ' && *p != '\t') p++;
    if (token_is(name, nn, "q")) {
      const char *q = v;
      if (q < p && *q == '0') {
        q++;
        if (q < p && *q == '.') q++;
        while (q < p && *q == '0') q++;
        if (q == p) return 0;
      }
      return 1;
    }
  }
  return 1;
}

int enc_accepts(const char *value, size_t n, enum enc_kind kind) {
  const char *p = value, *end = value + n;
  int listed = -1, star = -1; /* -1: absent; else whether q > 0 */
  while (p < end) {
    const char *item = p, *tok, *tend;
    while (p < end && *p != ',') p++;
    tok = item;
    while (tok < p && (*tok == ' ' || *tok == '\t')) tok++;
    tend = tok;
    while (tend < p && *tend != ';' && *tend != ' ' && *tend != '\t') tend++;
    if (tend > tok) {
      size_t tn = (size_t)(tend - tok);
      int pos = q_positive(tend, p);
      int match = kind == ENC_GZIP ? token_is(tok, tn, "gzip") || token_is(tok, tn, "x-gzip")
                                   : token_is(tok, tn, "br");
      if (match)
        listed = listed == 1 ? 1 : pos;
      else if (tn == 1 && *tok == '*')
        star = star == 1 ? 1 : pos;
    }
    if (p < end) p++;
  }
  if (listed >= 0) return listed;
  return star == 1;
}
