/*
 * encoding.h - content codings for the scenario server: gzip (zlib) and br
 * (brotli), compressed incrementally so that every piece of a body can be
 * flushed and reach the client before the body ends, and the reading of a
 * request's Accept-Encoding.
 *
 * An encoder is one allocation owned by the caller; nothing is global.
 */
#ifndef SSESPEC_SERVER_ENCODING_H
#define SSESPEC_SERVER_ENCODING_H

#include <stddef.h>

enum enc_kind { ENC_GZIP, ENC_BR };

struct encoder;

/* A growable output buffer, zero to start; free p when done. */
struct enc_buf {
  char *p;
  size_t n, cap;
};

/* A new encoder, or NULL (out of memory). */
struct encoder *enc_new(enum enc_kind kind);
void enc_free(struct encoder *e);

/* Compress n bytes and flush them (Z_SYNC_FLUSH, BROTLI_OPERATION_FLUSH):
 * everything given so far can be decoded from what was appended to out.
 * Returns 0, or -1 (out of memory, or the encoder failed). */
int enc_flush(struct encoder *e, const void *in, size_t n, struct enc_buf *out);

/* End the stream (the gzip trailer, brotli's last meta-block), appended to
 * out. Nothing may follow. Returns 0 or -1. */
int enc_finish(struct encoder *e, struct enc_buf *out);

/* Whether an Accept-Encoding list (n bytes: the field values joined with
 * commas) offers the coding: it is listed (gzip also as x-gzip) with a
 * q-value above 0, or it is not listed and "*" is, with a q-value above 0
 * (RFC 9110 12.5.3). Codings compare case-insensitively; a q-value that
 * cannot be read counts as 1. Returns 1 (offered) or 0. */
int enc_accepts(const char *value, size_t n, enum enc_kind kind);

#endif /* SSESPEC_SERVER_ENCODING_H */
