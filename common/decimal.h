/*
 * decimal.h - strict decimal numbers for command lines and data files (C11).
 */
#ifndef SSESPEC_COMMON_DECIMAL_H
#define SSESPEC_COMMON_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/* Read the n bytes at s as a decimal integer: ASCII digits only (no sign,
 * no spaces, at least one digit), at most max.
 * Returns 0 and stores the value in *out, or -1 (nothing stored). */
int decimal_u64(const char *s, size_t n, uint64_t max, uint64_t *out);

#endif
