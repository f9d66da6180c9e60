/*
 * test_base64.c - common/base64.h: the RFC 4648 section 10 test vectors
 * both ways, every byte value, in-place decoding, and strict rejection of
 * everything that is not the canonical padded encoding.
 */
#include "check.h"
#include "common/base64.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void decodes(const char *in, const char *want, size_t want_len, int line) {
  size_t n = strlen(in);
  unsigned char *out = malloc(b64_decoded_max(n) + 1);
  char *copy = malloc(n + 1);
  size_t out_len = 12345;
  char err[B64_ERROR_SIZE] = "";
  int rc;
  memcpy(copy, in, n); /* exactly n bytes, no NUL read */
  rc = b64_decode(copy, n, out, &out_len, err, sizeof err);
  check_count++;
  if (rc != 0 || out_len != want_len || memcmp(out, want, want_len) != 0) {
    check_failures++;
    fprintf(stderr, "test_base64.c:%d: decoding \"%s\" failed (rc %d: %s)\n", line, in, rc, err);
  }
  /* the same in place */
  rc = b64_decode(copy, n, (unsigned char *)copy, &out_len, err, sizeof err);
  CHECK(rc == 0 && out_len == want_len && memcmp(copy, want, want_len) == 0);
  free(out);
  free(copy);
}

#define DECODES(in, want) decodes(in, want, sizeof want - 1, __LINE__)

static void rejects(const char *in, size_t n, const char *want, int line) {
  unsigned char out[64];
  size_t out_len = 0;
  char err[B64_ERROR_SIZE] = "";
  char *copy = malloc(n ? n : 1);
  int rc;
  memcpy(copy, in, n);
  rc = b64_decode(copy, n, out, &out_len, err, sizeof err);
  check_count++;
  if (rc != -1 || strcmp(err, want) != 0) {
    check_failures++;
    fprintf(stderr, "test_base64.c:%d: want -1 \"%s\", got %d \"%s\"\n", line, want, rc, err);
  }
  /* no message buffer: still rejected */
  CHECK(b64_decode(copy, n, out, &out_len, NULL, 0) == -1);
  free(copy);
}

#define REJECTS(in, want) rejects(in, sizeof in - 1, want, __LINE__)

static void encodes(const char *in, size_t n, const char *want, int line) {
  char out[64];
  size_t len = b64_encoded_len(n);
  check_count++;
  if (len != strlen(want)) {
    check_failures++;
    fprintf(stderr, "test_base64.c:%d: encoded length %zu, want %zu\n", line, len, strlen(want));
    return;
  }
  b64_encode(in, n, out);
  CHECK_MEM(out, len, want, strlen(want));
}

#define ENCODES(in, want) encodes(in, sizeof in - 1, want, __LINE__)

static void test_rfc4648_vectors(void) {
  /* RFC 4648 section 10 */
  DECODES("", "");
  DECODES("Zg==", "f");
  DECODES("Zm8=", "fo");
  DECODES("Zm9v", "foo");
  DECODES("Zm9vYg==", "foob");
  DECODES("Zm9vYmE=", "fooba");
  DECODES("Zm9vYmFy", "foobar");
  ENCODES("", "");
  ENCODES("f", "Zg==");
  ENCODES("fo", "Zm8=");
  ENCODES("foo", "Zm9v");
  ENCODES("foob", "Zm9vYg==");
  ENCODES("fooba", "Zm9vYmE=");
  ENCODES("foobar", "Zm9vYmFy");
}

static void test_other_vectors(void) {
  /* the adapter protocol's example */
  DECODES("ZGF0YTogYQ0=", "data: a\r");
  DECODES("CgoK", "\n\n\n");
  /* the last two alphabet characters and binary bytes */
  DECODES("+/8=", "\xFB\xFF");
  DECODES("////", "\xFF\xFF\xFF");
  DECODES("AAAA", "\0\0\0");
  DECODES("AA==", "\0");
  DECODES("77u/", "\xEF\xBB\xBF");
  ENCODES("\xFB\xFF", "+/8=");
  ENCODES("\0", "AA==");
  ENCODES("\xEF\xBB\xBF", "77u/");
}

static void test_every_byte(void) {
  unsigned char bytes[256], back[256];
  char enc[344];
  size_t len, out_len = 0, i;
  for (i = 0; i < 256; i++) bytes[i] = (unsigned char)i;
  len = b64_encoded_len(256);
  CHECK(len == 344);
  b64_encode(bytes, 256, enc);
  /* 00 01 02 03 04 05 and, at the end, FC FD FE FF */
  CHECK(memcmp(enc, "AAECAwQF", 8) == 0);
  CHECK(memcmp(enc + 336, "/P3+/w==", 8) == 0);
  CHECK(b64_decode(enc, len, back, &out_len, NULL, 0) == 0);
  CHECK(out_len == 256 && memcmp(back, bytes, 256) == 0);
  /* every length from 0 to 256 round-trips */
  for (i = 0; i <= 256; i++) {
    len = b64_encoded_len(i);
    b64_encode(bytes, i, enc);
    CHECK(len == (i + 2) / 3 * 4);
    CHECK(b64_decode(enc, len, back, &out_len, NULL, 0) == 0 && out_len == i &&
          memcmp(back, bytes, i) == 0);
  }
  CHECK(b64_decoded_max(0) == 0);
  CHECK(b64_decoded_max(4) == 3);
  CHECK(b64_decoded_max(8) == 6);
  CHECK(b64_encoded_len(SIZE_MAX) == 0);
}

static void test_rejects(void) {
  /* length */
  REJECTS("Z", "base64 length 1 is not a multiple of 4");
  REJECTS("Zg=", "base64 length 3 is not a multiple of 4");
  REJECTS("Zg", "base64 length 2 is not a multiple of 4"); /* padding is required */
  REJECTS("Zm9vYg", "base64 length 6 is not a multiple of 4");
  REJECTS("Zm9v\n", "base64 length 5 is not a multiple of 4");
  /* characters outside the alphabet */
  REJECTS("Zm9*", "invalid base64 character '*' at offset 3");
  REJECTS("Zm 9", "invalid base64 character (byte 0x20) at offset 2");
  REJECTS("Zm9v\r\nZg", "invalid base64 character (byte 0x0D) at offset 4");
  REJECTS("Zm9-", "invalid base64 character '-' at offset 3"); /* URL-safe alphabet */
  REJECTS("Zm9_", "invalid base64 character '_' at offset 3");
  REJECTS("Zm9\0", "invalid base64 character (byte 0x00) at offset 3");
  REJECTS("\xC3\xA9==", "invalid base64 character (byte 0xC3) at offset 0");
  REJECTS("Zm'v", "invalid base64 character (byte 0x27) at offset 2");
  /* padding */
  REJECTS("====", "misplaced base64 padding '=' at offset 0");
  REJECTS("Z===", "misplaced base64 padding '=' at offset 1");
  REJECTS("Zg==Zg==", "misplaced base64 padding '=' at offset 2");
  REJECTS("Zm8=Zm9v", "misplaced base64 padding '=' at offset 3");
  REJECTS("Zg=a", "base64 data after padding 'a' at offset 3");
  /* non-zero unused bits: not the canonical encoding (RFC 4648 3.5) */
  REJECTS("Zh==", "non-zero unused bits in the last base64 character 'h' at offset 1");
  REJECTS("Zm9=", "non-zero unused bits in the last base64 character '9' at offset 2");
  REJECTS("Zm9vYh==", "non-zero unused bits in the last base64 character 'h' at offset 5");
  {
    /* a message buffer too small is truncated, NUL-terminated */
    char err[8];
    unsigned char out[4];
    size_t n;
    CHECK(b64_decode("Zm9*", 4, out, &n, err, sizeof err) == -1);
    CHECK(strlen(err) == 7);
  }
}

int main(void) {
  test_rfc4648_vectors();
  test_other_vectors();
  test_every_byte();
  test_rejects();
  return check_report("test_base64");
}
