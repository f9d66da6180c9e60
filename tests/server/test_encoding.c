/*
 * test_encoding.c - unit tests of the content codings (server/encoding.c):
 * Accept-Encoding is read as RFC 9110 12.5.3 says, and every flush of a
 * gzip or br stream can be decoded by the real decoders (zlib's inflate,
 * brotli's decoder) before the stream ends, so a client sees each piece
 * when it arrives.
 */
#include "encoding.h"

#include <brotli/decode.h>
#include <zlib.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static int checks;

static void check_accepts(void) {
  static const struct {
    const char *value;
    int gzip, br;
  } cases[] = {
      {"", 0, 0},
      {"gzip", 1, 0},
      {"gzip, deflate, br", 1, 1},
      {"GZIP;q=0.5, BR", 1, 1},
      {"x-gzip", 1, 0},
      {"gzip;q=0", 0, 0},
      {"gzip; q=0.000, br;q=0.001", 0, 1},
      {"br;q=0.", 0, 0},
      {"*", 1, 1},
      {"*;q=0", 0, 0},
      {"*, gzip;q=0", 0, 1},
      {"br;q=0, *;q=1", 1, 0},
      {"identity", 0, 0},
      {"gzipx, xbr, gzip-x", 0, 0},
      {" , ,gzip ,", 1, 0},
      {"deflate,gzip;q=junk", 1, 0},
      {"br;level=1;q=0", 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *v = cases[i].value;
    int g = enc_accepts(v, strlen(v), ENC_GZIP), b = enc_accepts(v, strlen(v), ENC_BR);
    checks++;
    if (g != cases[i].gzip || b != cases[i].br) {
      fprintf(stderr, "FAIL: Accept-Encoding \"%s\": gzip %d br %d, want %d %d\n", v, g, b,
              cases[i].gzip, cases[i].br);
      failures++;
    }
  }
}

/* Inflate the whole of in (a gzip stream, possibly unfinished) and compare
 * with want. */
static int gunzip_equals(const char *in, size_t n, const char *want, size_t wn) {
  z_stream z;
  char out[4096];
  int rc;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 15 + 16) != Z_OK) return 0;
  z.next_in = (unsigned char *)(size_t)in;
  z.avail_in = (uInt)n;
  z.next_out = (unsigned char *)out;
  z.avail_out = sizeof out;
  rc = inflate(&z, Z_SYNC_FLUSH);
  inflateEnd(&z);
  return (rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR) &&
         sizeof out - z.avail_out == wn && memcmp(out, want, wn) == 0;
}

static int unbrotli_equals(const char *in, size_t n, const char *want, size_t wn, int finished) {
  BrotliDecoderState *d = BrotliDecoderCreateInstance(NULL, NULL, NULL);
  const uint8_t *next_in = (const uint8_t *)in;
  size_t avail_in = n, avail_out = 4096;
  uint8_t out[4096], *next_out = out;
  BrotliDecoderResult r =
      BrotliDecoderDecompressStream(d, &avail_in, &next_in, &avail_out, &next_out, NULL);
  BrotliDecoderDestroyInstance(d);
  if (r == BROTLI_DECODER_RESULT_ERROR) return 0;
  if (finished != (r == BROTLI_DECODER_RESULT_SUCCESS)) return 0;
  return 4096 - avail_out == wn && memcmp(out, want, wn) == 0;
}

/* Pieces cut inside a UTF-8 sequence and inside CR LF: after each flush
 * the decoder yields exactly the bytes so far. */
static void check_flushes(enum enc_kind kind) {
  static const char *const pieces[] = {"data: \xC3", "\xA9\r", "\n\r\n", "data: x\n\n"};
  struct encoder *e = enc_new(kind);
  struct enc_buf out = {0};
  char sofar[128];
  size_t n = 0;
  if (!e) {
    fprintf(stderr, "FAIL: enc_new\n");
    failures++;
    return;
  }
  for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
    size_t before = out.n, len = strlen(pieces[i]);
    int ok;
    memcpy(sofar + n, pieces[i], len);
    n += len;
    checks++;
    ok = enc_flush(e, pieces[i], len, &out) == 0 && out.n > before;
    ok = ok && (kind == ENC_GZIP ? gunzip_equals(out.p, out.n, sofar, n)
                                 : unbrotli_equals(out.p, out.n, sofar, n, 0));
    if (!ok) {
      fprintf(stderr, "FAIL: %s: piece %zu is not decodable at its flush\n",
              kind == ENC_GZIP ? "gzip" : "br", i);
      failures++;
    }
  }
  checks++;
  if (enc_finish(e, &out) != 0 ||
      !(kind == ENC_GZIP ? gunzip_equals(out.p, out.n, sofar, n)
                         : unbrotli_equals(out.p, out.n, sofar, n, 1)) ||
      enc_finish(e, &out) != -1 || enc_flush(e, "x", 1, &out) != -1) {
    fprintf(stderr, "FAIL: %s: the finished stream\n", kind == ENC_GZIP ? "gzip" : "br");
    failures++;
  }
  enc_free(e);
  free(out.p);
}

/* A large incompressible piece grows the output buffer as needed. */
static void check_large(enum enc_kind kind) {
  size_t n = (size_t)3 << 20;
  char *in = malloc(n);
  struct encoder *e = enc_new(kind);
  struct enc_buf out = {0};
  unsigned x = 12345;
  for (size_t i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    in[i] = (char)(x >> 24);
  }
  checks++;
  if (!e || enc_flush(e, in, n, &out) != 0 || enc_finish(e, &out) != 0 || out.n < n) {
    fprintf(stderr, "FAIL: %s: a 3 MiB random piece\n", kind == ENC_GZIP ? "gzip" : "br");
    failures++;
  }
  enc_free(e);
  free(out.p);
  free(in);
}

int main(void) {
  check_accepts();
  check_flushes(ENC_GZIP);
  check_flushes(ENC_BR);
  check_large(ENC_GZIP);
  check_large(ENC_BR);
  if (failures) {
    fprintf(stderr, "%d of %d checks failed\n", failures, checks);
    return 1;
  }
  printf("all %d checks passed\n", checks);
  return 0;
}
