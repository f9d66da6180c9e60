/*
 * base64.h - strict base64 (RFC 4648 section 4, the standard alphabet with
 * '=' padding) for the ssespec line protocols (C11, no global state).
 *
 * The decoder accepts exactly the canonical encoding: a length that is a
 * multiple of 4, only A-Z a-z 0-9 + / in the data, '=' only as one or two
 * final padding characters, and zero bits in the unused low bits of the
 * last group (RFC 4648 section 3.5). No whitespace, no line breaks, no
 * URL-safe alphabet. Anything else is rejected with a message naming the
 * problem and its zero-based offset.
 */
#ifndef SSESPEC_COMMON_BASE64_H
#define SSESPEC_COMMON_BASE64_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The size of an error message buffer that always holds the whole message. */
#define B64_ERROR_SIZE 96

/* The most bytes decoding len characters can give: len / 4 * 3. */
size_t b64_decoded_max(size_t len);

/* Decode the len characters at in into out, which must have room for
 * b64_decoded_max(len) bytes; out may be the same address as in (decoding
 * in place). On success stores the number of bytes in *out_len and
 * returns 0. On failure returns -1, leaves out's contents unspecified and,
 * if err is not NULL, writes a NUL-terminated message of at most errsize
 * bytes, e.g. "invalid base64 character '*' at offset 5". */
int b64_decode(const char *in, size_t len, unsigned char *out, size_t *out_len, char *err,
               size_t errsize);

/* The length of the encoding of n bytes: 4 * ceil(n / 3), or 0 when that
 * does not fit in a size_t (n > SIZE_MAX / 4 * 3). */
size_t b64_encoded_len(size_t n);

/* Encode the n bytes at in as b64_encoded_len(n) characters at out (no
 * terminating NUL is written). in and out must not overlap. */
void b64_encode(const void *in, size_t n, char *out);

#ifdef __cplusplus
}
#endif

#endif /* SSESPEC_COMMON_BASE64_H */
