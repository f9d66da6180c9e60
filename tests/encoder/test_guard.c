/*
 * test_guard.c - the encoder reads exactly its values and writes exactly
 * its encoding. Each value sits right before a PROT_NONE page (and, in a
 * second pass, right after one), and the output buffer is exactly the size
 * needed with a PROT_NONE page right after it: a read past a value or a
 * write past the encoding crashes the test. Every value of values.h, as
 * data, comment, event type and id, accepted or refused.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "sse_encode.h"
#include "values.h"

typedef struct guard_map {
  unsigned char *map;
  size_t len;
} guard_map;

/* A copy of src[0..n) whose last byte sits right before a PROT_NONE page
 * (front == 0) or whose first byte sits right after one (front != 0); src
 * NULL: n bytes of 'Z'. */
static void *guard_copy(guard_map *m, const void *src, size_t n, int front) {
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  size_t pages = n ? (n + ps - 1) / ps : 1;
  m->len = (pages + 1) * ps;
  m->map = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m->map == MAP_FAILED) {
    perror("mmap");
    abort();
  }
  unsigned char *dst;
  if (front) {
    if (mprotect(m->map, ps, PROT_NONE) != 0) abort();
    dst = m->map + ps;
  } else {
    if (mprotect(m->map + pages * ps, ps, PROT_NONE) != 0) abort();
    dst = m->map + pages * ps - n;
  }
  if (n && src) memcpy(dst, src, n);
  if (n && !src) memset(dst, 'Z', n);
  return dst;
}

static void guard_release(guard_map *m) {
  munmap(m->map, m->len);
}

/* Encode m with its value for field f guarded, into a guarded buffer of
 * exactly the size needed; the result must equal the plain encoding. */
static void run(sse_message m, sse_encode_field f, tv v, int front) {
  guard_map gv, go;
  const char *copy = guard_copy(&gv, v.s, v.n, front);
  switch (f) {
  case SSE_FIELD_DATA:
    m.data = copy;
    m.data_len = v.n;
    break;
  case SSE_FIELD_COMMENT:
    m.comment = copy;
    m.comment_len = v.n;
    break;
  case SSE_FIELD_EVENT:
    m.event = copy;
    m.event_len = v.n;
    break;
  default:
    m.id = copy;
    m.id_len = v.n;
    break;
  }
  size_t size = 0, len = 0, plain_len = 0;
  int rc = sse_encoded_size(&m, &size, NULL);
  char plain[256];
  sse_message pm = m;
  switch (f) { /* the same message without guards */
  case SSE_FIELD_DATA:
    pm.data = v.s;
    break;
  case SSE_FIELD_COMMENT:
    pm.comment = v.s;
    break;
  case SSE_FIELD_EVENT:
    pm.event = v.s;
    break;
  default:
    pm.id = v.s;
    break;
  }
  int prc = sse_encode(&pm, plain, sizeof plain, &plain_len, NULL);
  CHECK(rc == prc);
  if (rc == SSE_ENC_OK) {
    char *out = guard_copy(&go, NULL, size, 0); /* size bytes before a guard page */
    CHECK(sse_encode(&m, out, size, &len, NULL) == SSE_ENC_OK);
    CHECK_MEM(out, len, plain, plain_len);
    guard_release(&go);
  } else {
    CHECK(sse_encode(&m, NULL, 0, &len, NULL) == rc);
  }
  guard_release(&gv);
}

int main(void) {
  const tv *lists[] = {k_breaking, k_plain, k_nul};
  const size_t counts[] = {COUNT(k_breaking), COUNT(k_plain), COUNT(k_nul)};
  size_t runs = 0;
  for (int front = 0; front < 2; front++) {
    for (size_t l = 0; l < 4; l++) {
      size_t count = l < 3 ? counts[l] : COUNT(k_bad_utf8);
      for (size_t i = 0; i < count; i++) {
        tv v = l < 3 ? lists[l][i] : k_bad_utf8[i].v;
        sse_message m = {0};
        m.kind = SSE_MSG_EVENT;
        run(m, SSE_FIELD_DATA, v, front);
        m.data = "d";
        m.data_len = 1;
        run(m, SSE_FIELD_EVENT, v, front);
        run(m, SSE_FIELD_ID, v, front);
        sse_message c = {0};
        c.kind = SSE_MSG_COMMENT;
        run(c, SSE_FIELD_COMMENT, v, front);
        runs += 4;
      }
    }
  }
  /* a retry alone, into a guarded buffer of exactly its size */
  for (uint64_t ms = 1; ms != 0 && ms < UINT64_MAX / 10; ms *= 10) {
    sse_message r = {0};
    guard_map go;
    size_t size = 0, len = 0;
    r.kind = SSE_MSG_RETRY;
    r.retry = ms - 1;
    CHECK(sse_encoded_size(&r, &size, NULL) == SSE_ENC_OK);
    char *out = guard_copy(&go, NULL, size, 0);
    CHECK(sse_encode(&r, out, size, &len, NULL) == SSE_ENC_OK && len == size);
    guard_release(&go);
    runs++;
  }
  printf("test_guard: %zu guarded encodings\n", runs);
  return check_report("test_guard");
}
