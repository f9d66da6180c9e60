/*
 * sse_scan.c - the reference parser's scan kernels: scalar (SWAR), SSE2 and
 * AVX2, and the choice among them. What a kernel does and may not do is in
 * sse_scan.h; the parser (sse.c) calls them through the kernel it keeps.
 *
 * The library is compiled with no -m flags: the SSE2 and AVX2 functions
 * carry target attributes, and __builtin_cpu_supports (which also checks
 * that the OS saves AVX state) says which of them this CPU runs.
 */
#include "sse_scan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define SSE_X86 1
#include <immintrin.h>
#define SSE_TARGET(isa) __attribute__((target(isa)))
#else
#define SSE_X86 0
#endif

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SSE_CTZ64 1
#else
#define SSE_CTZ64 0
#endif

typedef unsigned char uchar;

static const char *const k_names[] = {SSE_SCAN_KERNEL_NAMES};
_Static_assert(sizeof k_names / sizeof k_names[0] == SSE_SCAN_KERNEL_COUNT,
               "SSE_SCAN_KERNEL_COUNT is the number of SSE_SCAN_KERNEL_NAMES");

/* 1 for CR, LF and bytes >= 0x80. */
// clang-format off
const unsigned char sse_scan_special_byte[256] = {
    ['\n'] = 1, ['\r'] = 1,
#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
    [0x80] = R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1),
#undef R16
};
// clang-format on

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
#define LOWS UINT64_C(0x7F7F7F7F7F7F7F7F)

/* The high bit of each byte of x that is not zero (exact: no borrow from
 * one byte into the next). */
static uint64_t nonzero_bytes(uint64_t x) {
  return (((x & LOWS) + LOWS) | x) & HIGHS;
}

static uint64_t eol_bytes(uint64_t w) {
  return (nonzero_bytes(w ^ (ONES * '\n')) & nonzero_bytes(w ^ (ONES * '\r'))) ^ HIGHS;
}

static uint64_t special_bytes(uint64_t w) {
  return eol_bytes(w) | (w & HIGHS);
}

static uint64_t load64(const uchar *s) {
  uint64_t w;
  memcpy(&w, s, 8);
  return w;
}

/* The first byte of the word at s that m (the high bits of the bytes found)
 * marks; m is not 0. */
static const uchar *first_marked(const uchar *s, uint64_t m) {
#if SSE_CTZ64
  return s + (__builtin_ctzll(m) >> 3);
#else
  /* Any byte order: the bit of byte i is where byte i of a word lies. */
  for (int i = 0; i < 7; i++) {
    uint64_t at = 0;
    memset((uchar *)&at + i, 0x80, 1);
    if (m & at) return s + i;
  }
  return s + 7;
#endif
}

static const uchar *scan_special_scalar(const uchar *s, const uchar *end) {
  while (end - s >= 16) {
    uint64_t m0 = special_bytes(load64(s)), m1 = special_bytes(load64(s + 8));
    if (m0) return first_marked(s, m0);
    if (m1) return first_marked(s + 8, m1);
    s += 16;
  }
  if (end - s >= 8) {
    uint64_t m = special_bytes(load64(s));
    if (m) return first_marked(s, m);
    s += 8;
  }
  while (s < end && !sse_scan_special_byte[*s]) s++;
  return s;
}

static const uchar *scan_eol_scalar(const uchar *s, const uchar *end) {
  while (end - s >= 16) {
    uint64_t m0 = eol_bytes(load64(s)), m1 = eol_bytes(load64(s + 8));
    if (m0) return first_marked(s, m0);
    if (m1) return first_marked(s + 8, m1);
    s += 16;
  }
  if (end - s >= 8) {
    uint64_t m = eol_bytes(load64(s));
    if (m) return first_marked(s, m);
    s += 8;
  }
  while (s < end && *s != '\n' && *s != '\r') s++;
  return s;
}

/* The portable copy: the scan, then memcpy. */
static const uchar *copy_special_scalar(char *dst, const uchar *s, const uchar *end) {
  const uchar *q = scan_special_scalar(s, end);
  if (q > s) memcpy(dst, s, (size_t)(q - s));
  return q;
}

const struct sse_kernel sse_scan_scalar = {"scalar", scan_special_scalar, scan_eol_scalar,
                                           copy_special_scalar};

#if SSE_X86
/* SSE2: 16 bytes per compare. movemask gives one bit per byte. */

SSE_TARGET("sse2") static unsigned special16(__m128i v) {
  const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
  __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)), v);
  return (unsigned)_mm_movemask_epi8(m);
}

SSE_TARGET("sse2") static unsigned eol16(__m128i v) {
  const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
  return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
}

SSE_TARGET("sse2") static __m128i load128(const uchar *s) {
  return _mm_loadu_si128((const __m128i *)(const void *)s);
}

SSE_TARGET("sse2") static const uchar *scan_special_sse2(const uchar *s, const uchar *end) {
  while (end - s >= 32) {
    unsigned m = special16(load128(s)) | special16(load128(s + 16)) << 16;
    if (m) return s + __builtin_ctz(m);
    s += 32;
  }
  if (end - s >= 16) {
    unsigned m = special16(load128(s));
    if (m) return s + __builtin_ctz(m);
    s += 16;
  }
  return scan_special_scalar(s, end);
}

SSE_TARGET("sse2") static const uchar *scan_eol_sse2(const uchar *s, const uchar *end) {
  while (end - s >= 32) {
    unsigned m = eol16(load128(s)) | eol16(load128(s + 16)) << 16;
    if (m) return s + __builtin_ctz(m);
    s += 32;
  }
  if (end - s >= 16) {
    unsigned m = eol16(load128(s));
    if (m) return s + __builtin_ctz(m);
    s += 16;
  }
  return scan_eol_scalar(s, end);
}

/* AVX2: 32 bytes per compare; long runs 64 bytes per step, one test. */

SSE_TARGET("avx2") static __m256i load256(const uchar *s) {
  return _mm256_loadu_si256((const __m256i *)(const void *)s);
}

SSE_TARGET("avx2") static __m256i special32(__m256i v) {
  const __m256i lf = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r');
  return _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, lf), _mm256_cmpeq_epi8(v, cr)), v);
}

SSE_TARGET("avx2") static __m256i eol32(__m256i v) {
  const __m256i lf = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r');
  return _mm256_or_si256(_mm256_cmpeq_epi8(v, lf), _mm256_cmpeq_epi8(v, cr));
}

SSE_TARGET("avx2") static unsigned mask32(__m256i m) {
  return (unsigned)_mm256_movemask_epi8(m);
}

/* The bytes of the 32 at v that the UTF-8 check of Keiser and Lemire
 * ("Validating UTF-8 In Less Than One Instruction Per Byte", 2021; the
 * lookup tables of simdjson and simdutf) flags, one bit per byte, taking
 * the bytes before v as ASCII. A byte is flagged when it and the three
 * before it are not a well-formed part of a sequence: a lead without its
 * continuations is flagged at the byte that should have continued it. */
SSE_TARGET("avx2") static unsigned utf8_errors32(__m256i v) {
  enum {
    TOO_SHORT = 1 << 0,  /* a lead followed by a lead or ASCII */
    TOO_LONG = 1 << 1,   /* ASCII followed by a continuation */
    OVERLONG_3 = 1 << 2, /* E0 80..9F */
    TOO_LARGE = 1 << 3,  /* F4 90..BF, F5..FF 90..BF */
    SURROGATE = 1 << 4,  /* ED A0..BF */
    OVERLONG_2 = 1 << 5, /* C0, C1 */
    TOO_LARGE_1000 = 1 << 6,
    OVERLONG_4 = 1 << 6, /* F0 80..8F */
    TWO_CONTS = 1 << 7,  /* a continuation after a continuation */
    CARRY = TOO_SHORT | TOO_LONG | TWO_CONTS
  };
#define T16(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, q)                                        \
  (char)(a), (char)(b), (char)(c), (char)(d), (char)(e), (char)(f), (char)(g), (char)(h),          \
      (char)(i), (char)(j), (char)(k), (char)(l), (char)(m), (char)(n), (char)(o), (char)(q)
#define BYTE_1_HIGH                                                                                \
  T16(TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TWO_CONTS,   \
      TWO_CONTS, TWO_CONTS, TWO_CONTS, TOO_SHORT | OVERLONG_2, TOO_SHORT,                          \
      TOO_SHORT | OVERLONG_3 | SURROGATE, TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4)
#define BYTE_1_LOW                                                                                 \
  T16(CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4, CARRY | OVERLONG_2, CARRY, CARRY,              \
      CARRY | TOO_LARGE, CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,   \
      CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,                      \
      CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,                      \
      CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,                      \
      CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE, CARRY | TOO_LARGE | TOO_LARGE_1000,          \
      CARRY | TOO_LARGE | TOO_LARGE_1000)
#define BYTE_2_HIGH                                                                                \
  T16(TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,      \
      TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,                \
      TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,                                  \
      TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,                                   \
      TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE, TOO_SHORT, TOO_SHORT, TOO_SHORT,  \
      TOO_SHORT)
  const __m256i byte_1_high = _mm256_setr_epi8(BYTE_1_HIGH, BYTE_1_HIGH);
  const __m256i byte_1_low = _mm256_setr_epi8(BYTE_1_LOW, BYTE_1_LOW);
  const __m256i byte_2_high = _mm256_setr_epi8(BYTE_2_HIGH, BYTE_2_HIGH);
#undef T16
#undef BYTE_1_HIGH
#undef BYTE_1_LOW
#undef BYTE_2_HIGH
  const __m256i zero = _mm256_setzero_si256(), low4 = _mm256_set1_epi8(0x0F);
  /* [0 (the ASCII before v), low lane of v], for the byte shifts across lanes */
  const __m256i before = _mm256_permute2x128_si256(zero, v, 0x21);
  __m256i prev1 = _mm256_alignr_epi8(v, before, 15);
  __m256i prev2 = _mm256_alignr_epi8(v, before, 14);
  __m256i prev3 = _mm256_alignr_epi8(v, before, 13);
  __m256i sc = _mm256_and_si256(
      _mm256_and_si256(
          _mm256_shuffle_epi8(byte_1_high, _mm256_and_si256(_mm256_srli_epi16(prev1, 4), low4)),
          _mm256_shuffle_epi8(byte_1_low, _mm256_and_si256(prev1, low4))),
      _mm256_shuffle_epi8(byte_2_high, _mm256_and_si256(_mm256_srli_epi16(v, 4), low4)));
  /* the third and fourth bytes of 3- and 4-byte sequences must be continuations */
  __m256i third = _mm256_subs_epu8(prev2, _mm256_set1_epi8((char)(0xE0 - 0x80)));
  __m256i fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8((char)(0xF0 - 0x80)));
  __m256i must = _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8((char)0x80));
  __m256i err = _mm256_xor_si256(must, sc);
  return ~mask32(_mm256_cmpeq_epi8(err, zero));
}

/* special for AVX2, which also skips well-formed UTF-8 text: it returns the
 * first CR or LF, or a byte >= 0x80 it could not prove to start a
 * well-formed sequence (the caller decides on it), or end. Blocks of 32
 * bytes, each starting at a sequence boundary: plain ASCII is skipped 64
 * bytes per step; a block with other bytes is checked with utf8_errors32
 * up to its first line end, or up to a sequence its end cuts short. A block
 * that fails is not skipped: the scan stops at its first byte >= 0x80. */
SSE_TARGET("avx2") static const uchar *scan_special_avx2(const uchar *s, const uchar *end) {
  const uchar *start = s;
  while (end - s >= 32) {
    __m256i v = load256(s);
    unsigned m = mask32(special32(v));
    if (!m) {
      s += 32;
      if (s - start >= 64) { /* a long line: 64 bytes per step */
        while (end - s >= 64) {
          __m256i a = special32(load256(s)), b = special32(load256(s + 32));
          if (mask32(_mm256_or_si256(a, b))) break;
          s += 64;
        }
      }
      continue;
    }
    const uchar *first = s + __builtin_ctz(m);
    if (*first < 0x80) return first; /* CR or LF before any other byte: the common case */
    unsigned eol = mask32(eol32(v));
    unsigned first_eol = eol ? (unsigned)__builtin_ctz(eol) : 32;
    /* The bytes proven: up to the line end; else up to the lead of a
     * sequence the block's end cuts short (it starts the next block). */
    unsigned upto = first_eol;
    if (!eol) {
      uchar last[3];
      memcpy(last, s + 29, 3);
      upto = last[2] >= 0xC0 ? 31 : last[1] >= 0xE0 ? 30 : last[0] >= 0xF0 ? 29 : 32;
    }
    /* Flags up to and including the byte at upto: a flag there is about
     * the bytes before it. */
    unsigned errors = utf8_errors32(v);
    if (upto < 32) errors &= (2u << upto) - 1;
    if (errors) return first;
    if (eol) return s + first_eol;
    s += upto;
  }
  if (end - s >= 16) {
    unsigned m = special16(load128(s));
    if (m) return s + __builtin_ctz(m);
    s += 16;
  }
  return scan_special_scalar(s, end);
}

SSE_TARGET("avx2") static const uchar *scan_eol_avx2(const uchar *s, const uchar *end) {
  if (end - s >= 32) {
    unsigned m = mask32(eol32(load256(s)));
    if (m) return s + __builtin_ctz(m);
    s += 32;
    while (end - s >= 64) {
      __m256i a = eol32(load256(s)), b = eol32(load256(s + 32));
      if (mask32(_mm256_or_si256(a, b))) {
        m = mask32(a);
        return m ? s + __builtin_ctz(m) : s + 32 + __builtin_ctz(mask32(b));
      }
      s += 64;
    }
    if (end - s >= 32) {
      m = mask32(eol32(load256(s)));
      if (m) return s + __builtin_ctz(m);
      s += 32;
    }
  }
  if (end - s >= 16) {
    unsigned m = eol16(load128(s));
    if (m) return s + __builtin_ctz(m);
    s += 16;
  }
  return scan_eol_scalar(s, end);
}

/* Copies while scanning: each block is stored whole (it lies within
 * [s, end)), and the scan stops in it or goes on. */
SSE_TARGET("sse2")
static const uchar *copy_special_sse2(char *dst, const uchar *s, const uchar *end) {
  while (end - s >= 16) {
    __m128i v = load128(s);
    _mm_storeu_si128((__m128i *)(void *)dst, v);
    unsigned m = special16(v);
    if (m) return s + __builtin_ctz(m);
    s += 16;
    dst += 16;
  }
  return copy_special_scalar(dst, s, end);
}

SSE_TARGET("avx2")
static const uchar *copy_special_avx2(char *dst, const uchar *s, const uchar *end) {
  while (end - s >= 64) {
    __m256i a = load256(s), b = load256(s + 32);
    _mm256_storeu_si256((__m256i *)(void *)dst, a);
    _mm256_storeu_si256((__m256i *)(void *)(dst + 32), b);
    __m256i sa = special32(a), sb = special32(b);
    if (mask32(_mm256_or_si256(sa, sb))) {
      unsigned m = mask32(sa);
      return m ? s + __builtin_ctz(m) : s + 32 + __builtin_ctz(mask32(sb));
    }
    s += 64;
    dst += 64;
  }
  return copy_special_sse2(dst, s, end);
}

static const struct sse_kernel k_sse2 = {"sse2", scan_special_sse2, scan_eol_sse2,
                                         copy_special_sse2};
static const struct sse_kernel k_avx2 = {"avx2", scan_special_avx2, scan_eol_avx2,
                                         copy_special_avx2};
#endif

/* ---- the choice ----
 *
 * Each kernel's name is one of SSE_SCAN_KERNEL_NAMES; tests/parser/
 * test_kernels.c checks that every name this CPU runs selects the kernel
 * of that name. */

const struct sse_kernel *sse_scan_kernel(const char *name) {
  if (strcmp(name, sse_scan_scalar.name) == 0) return &sse_scan_scalar;
#if SSE_X86
  __builtin_cpu_init();
  if (strcmp(name, k_sse2.name) == 0) return __builtin_cpu_supports("sse2") ? &k_sse2 : NULL;
  if (strcmp(name, k_avx2.name) == 0) return __builtin_cpu_supports("avx2") ? &k_avx2 : NULL;
#endif
  return NULL;
}

int sse_scan_known(const char *name) {
  for (size_t i = 0; i < SSE_SCAN_KERNEL_COUNT; i++)
    if (strcmp(name, k_names[i]) == 0) return 1;
  return 0;
}

const struct sse_kernel *sse_scan_best(void) {
  for (size_t i = SSE_SCAN_KERNEL_COUNT; i-- > 1;) {
    const struct sse_kernel *k = sse_scan_kernel(k_names[i]);
    if (k) return k;
  }
  return &sse_scan_scalar;
}

const struct sse_kernel *sse_scan_choose(void) {
  const char *want = getenv("SSESPEC_SCAN");
  if (want && *want) {
    const struct sse_kernel *k = sse_scan_kernel(want);
    return k ? k : &sse_scan_scalar;
  }
  return sse_scan_best();
}

void sse_scan_name_list(char *buf, size_t size) {
  size_t at = 0;
  if (size == 0) return;
  buf[0] = '\0';
  for (size_t i = 0; i < SSE_SCAN_KERNEL_COUNT && at < size; i++) {
    int n = snprintf(buf + at, size - at, "%s%s", i ? ", " : "", k_names[i]);
    if (n < 0) break;
    at += (size_t)n;
  }
}
