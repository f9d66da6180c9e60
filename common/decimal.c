#include "common/decimal.h"

int decimal_u64(const char *s, size_t n, uint64_t max, uint64_t *out) {
  uint64_t v = 0;
  if (!s || n == 0) return -1;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    uint64_t d = (uint64_t)(s[i] - '0');
    if (v > (max - d) / 10) return -1;
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}
