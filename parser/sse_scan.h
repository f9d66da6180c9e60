/*
 * sse_scan.h - INTERNAL to the reference parser: the scan kernels
 * (parser/sse_scan.c) as parser/sse.c uses them.
 *
 * Not part of the parser's API, which is sse.h alone: nothing installs this
 * header and no program should include it. The project's own tests and
 * fuzz targets include it for SSE_SCAN_KERNEL_NAMES only, the one list of
 * kernel names, so that none of them writes the names out again.
 *
 * A kernel (scalar, SSE2, AVX2) is chosen once per parser, in
 * sse_parser_init, by sse_scan_choose() (SSESPEC_SCAN, else the fastest the
 * CPU runs): the one dispatch point. The parser calls its functions through
 * the pointer it keeps. Each reads only bytes of [s, end) and returns where
 * it stopped:
 *
 *   special  the first byte the scalar loop must decide on: CR, LF or a
 *            byte >= 0x80, or end. A kernel may skip bytes >= 0x80 that it
 *            has proven to be whole well-formed UTF-8 sequences (AVX2 does);
 *            it then stops at a sequence boundary. It never decides that
 *            anything is invalid: where it has no proof it stops, and
 *            sse.c (utf8_seq, utf8_invalid_len) decides, for every kernel.
 *   eol      the first CR or LF, or end (a line being ignored, or one whose
 *            UTF-8 is checked after it is held).
 *   copy     special's first CR, LF or byte >= 0x80 (ASCII only: it proves
 *            no UTF-8), copying the bytes before it to dst; it may copy
 *            more, but never more than end - s bytes. For the rest of a
 *            held line: read once.
 *
 * So the rules live in the portable code only, and every kernel must give
 * the same records; tests/parser/test_kernels.c checks that, and CTest
 * runs every parser test under each kernel.
 */
#ifndef SSE_SCAN_H
#define SSE_SCAN_H

#include <stddef.h>

/* The kernels' names, slowest first: the default is the last one the CPU
 * runs. The one list: the parser, the tests, the fuzz targets and the
 * benchmark read it, and tests/parser/CMakeLists.txt reads this line (keep
 * it one line of quoted names). The fuzz input format numbers the kernels
 * in this order (docs/fuzzing.md: 1 the first, ...; two bits, so at most
 * three), so a new kernel goes at the end. */
#define SSE_SCAN_KERNEL_NAMES "scalar", "sse2", "avx2"
/* How many names SSE_SCAN_KERNEL_NAMES holds (checked in sse_scan.c). */
#define SSE_SCAN_KERNEL_COUNT 3

typedef const unsigned char *(*sse_scan_fn)(const unsigned char *s, const unsigned char *end);
typedef const unsigned char *(*sse_copy_fn)(char *dst, const unsigned char *s,
                                            const unsigned char *end);

/* A kernel: its name (one of SSE_SCAN_KERNEL_NAMES) and functions. */
struct sse_kernel {
  const char *name;
  sse_scan_fn special;
  sse_scan_fn eol;
  sse_copy_fn copy;
};

/* 1 for CR, LF and bytes >= 0x80: the bytes special stops at, for the
 * parser's own loops over a few bytes. */
extern const unsigned char sse_scan_special_byte[256];

/* The portable kernel ("scalar"), which every CPU runs. */
extern const struct sse_kernel sse_scan_scalar;

/* The kernel called name if this CPU runs it, else NULL. */
const struct sse_kernel *sse_scan_kernel(const char *name);

/* Whether name is one of SSE_SCAN_KERNEL_NAMES (whether or not this CPU
 * runs it). */
int sse_scan_known(const char *name);

/* The fastest kernel this CPU runs. */
const struct sse_kernel *sse_scan_best(void);

/* The dispatch point: the kernel the environment variable SSESPEC_SCAN
 * names (scalar if it names an unknown kernel, or one this CPU cannot run),
 * or sse_scan_best() when it is unset or empty. */
const struct sse_kernel *sse_scan_choose(void);

/* The names, joined with ", " ("scalar, sse2, avx2"), into buf (size bytes,
 * NUL-terminated, cut short if need be): for messages. */
void sse_scan_name_list(char *buf, size_t size);

#endif /* SSE_SCAN_H */
