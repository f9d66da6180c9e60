/*
 * base64.c - strict RFC 4648 base64 of base64.h.
 */
#include "base64.h"

#include <stdint.h>
#include <stdio.h>

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

#define B64_PAD 64
#define B64_BAD 65

/* The 6-bit value of c, B64_PAD for '=', B64_BAD for anything else. */
static unsigned b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return (unsigned)(c - 'A');
  if (c >= 'a' && c <= 'z') return (unsigned)(c - 'a' + 26);
  if (c >= '0' && c <= '9') return (unsigned)(c - '0' + 52);
  if (c == '+') return 62;
  if (c == '/') return 63;
  if (c == '=') return B64_PAD;
  return B64_BAD;
}

static int b64_fail(char *err, size_t errsize, const char *what, unsigned char c, size_t offset) {
  if (err && errsize > 0) {
    if (c > 0x20 && c < 0x7F && c != '\'')
      snprintf(err, errsize, "%s '%c' at offset %zu", what, (char)c, offset);
    else
      snprintf(err, errsize, "%s (byte 0x%02X) at offset %zu", what, (unsigned)c, offset);
  }
  return -1;
}

size_t b64_decoded_max(size_t len) {
  return len / 4 * 3;
}

int b64_decode(const char *in, size_t len, unsigned char *out, size_t *out_len, char *err,
               size_t errsize) {
  const unsigned char *s = (const unsigned char *)in;
  size_t i, o = 0;
  if (len % 4 != 0) {
    if (err && errsize > 0) snprintf(err, errsize, "base64 length %zu is not a multiple of 4", len);
    return -1;
  }
  for (i = 0; i < len; i += 4) {
    unsigned v[4];
    int j, last = (i + 4 == len);
    size_t pad = 0;
    for (j = 0; j < 4; j++) {
      v[j] = b64_value(s[i + j]);
      if (v[j] == B64_BAD)
        return b64_fail(err, errsize, "invalid base64 character", s[i + j], i + j);
      if (v[j] == B64_PAD) {
        /* only "xx==" or "xxx=" at the very end */
        if (!last || j < 2) return b64_fail(err, errsize, "misplaced base64 padding", '=', i + j);
        pad++;
      } else if (pad > 0) {
        return b64_fail(err, errsize, "base64 data after padding", s[i + j], i + j);
      }
    }
    /* the group's bits, then as many bytes as it holds */
    {
      uint32_t bits =
          (v[0] << 18) | (v[1] << 12) | ((pad < 2 ? v[2] : 0) << 6) | (pad < 1 ? v[3] : 0);
      if (pad == 2 && (v[1] & 0x0F) != 0)
        return b64_fail(err, errsize, "non-zero unused bits in the last base64 character", s[i + 1],
                        i + 1);
      if (pad == 1 && (v[2] & 0x03) != 0)
        return b64_fail(err, errsize, "non-zero unused bits in the last base64 character", s[i + 2],
                        i + 2);
      out[o++] = (unsigned char)(bits >> 16);
      if (pad < 2) out[o++] = (unsigned char)(bits >> 8);
      if (pad < 1) out[o++] = (unsigned char)bits;
    }
  }
  *out_len = o;
  return 0;
}

size_t b64_encoded_len(size_t n) {
  if (n > SIZE_MAX / 4 * 3) return 0;
  return (n + 2) / 3 * 4;
}

void b64_encode(const void *in, size_t n, char *out) {
  const unsigned char *s = in;
  size_t i;
  for (i = 0; i + 3 <= n; i += 3) {
    uint32_t bits = ((uint32_t)s[i] << 16) | ((uint32_t)s[i + 1] << 8) | s[i + 2];
    *out++ = b64_alphabet[bits >> 18];
    *out++ = b64_alphabet[(bits >> 12) & 63];
    *out++ = b64_alphabet[(bits >> 6) & 63];
    *out++ = b64_alphabet[bits & 63];
  }
  if (n - i == 1) {
    uint32_t bits = (uint32_t)s[i] << 16;
    *out++ = b64_alphabet[bits >> 18];
    *out++ = b64_alphabet[(bits >> 12) & 63];
    *out++ = '=';
    *out++ = '=';
  } else if (n - i == 2) {
    uint32_t bits = ((uint32_t)s[i] << 16) | ((uint32_t)s[i + 1] << 8);
    *out++ = b64_alphabet[bits >> 18];
    *out++ = b64_alphabet[(bits >> 12) & 63];
    *out++ = b64_alphabet[(bits >> 6) & 63];
    *out++ = '=';
  }
}
