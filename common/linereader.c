/*
 * linereader.c - bounded line reading of linereader.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "linereader.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first buffer size, and the least the buffer may hold. */
#define LR_MIN_CAP ((size_t)64 << 10)
/* Grow rather than read fewer bytes than this. */
#define LR_MIN_READ ((size_t)4 << 10)

void lr_init(line_reader *r, int fd, size_t max_line) {
  memset(r, 0, sizeof *r);
  r->fd = fd;
  if (max_line == 0) max_line = LR_DEFAULT_MAX_LINE;
  if (max_line > SIZE_MAX / 4) max_line = SIZE_MAX / 4;
  r->max_line = max_line;
}

void lr_keep_head(line_reader *r, char *buf, size_t size) {
  r->head = size ? buf : NULL;
  r->head_size = buf ? size : 0;
  r->head_len = 0;
}

const char *lr_head(const line_reader *r, size_t *len) {
  *len = r->head ? r->head_len : 0;
  return r->head;
}

/* The line to be skipped starts with the n bytes at s: keep what fits. */
static void lr_keep(line_reader *r, const char *s, size_t n) {
  if (!r->head) return;
  if (n > r->head_size - 1) n = r->head_size - 1;
  if (n) memcpy(r->head, s, n);
  r->head[n] = '\0';
  r->head_len = n;
}

void lr_free(line_reader *r) {
  free(r->buf);
  r->buf = NULL;
  r->cap = 0;
  r->start = r->end = r->scan = 0;
}

/* The most data bytes the buffer may hold: a longest line and its '\n'. */
static size_t lr_limit(const line_reader *r) {
  return r->max_line + 1 > LR_MIN_CAP ? r->max_line + 1 : LR_MIN_CAP;
}

/* Read what is available into buf[end..cap). Returns the byte count, 0 at
 * end of input, -1 on failure. */
static long lr_fill(line_reader *r) {
  for (;;) {
    ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
    if (n > 0) {
      r->end += (size_t)n;
      return (long)n;
    }
    if (n == 0) {
      r->eof = 1;
      return 0;
    }
    if (errno != EINTR) {
      r->error = errno;
      return -1;
    }
  }
}

/* Move the unread data to the front, and grow the buffer if little room
 * is left and the bound allows. Returns 0, or -1 when out of memory. */
static int lr_room(line_reader *r) {
  size_t limit = lr_limit(r);
  if (r->start > 0) {
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
  }
  if (!r->buf || (r->cap - r->end < LR_MIN_READ && r->cap < limit)) {
    size_t cap = r->cap ? r->cap * 2 : LR_MIN_CAP;
    char *p;
    if (cap > limit) cap = limit;
    p = realloc(r->buf, cap + 1); /* + 1: room for a NUL after the data */
    if (!p) return -1;
    r->buf = p;
    r->cap = cap;
  }
  return 0;
}

/* Drop the rest of a line that cannot be returned (the skipped bytes of
 * it in the buffer are dropped too). Returns rc, or LR_EIO. */
static int lr_skip(line_reader *r, size_t skipped, int rc, char **line, size_t *len) {
  r->start = r->end = r->scan = 0;
  while (!r->eof) {
    char *nl;
    long n = lr_fill(r);
    if (n < 0) return LR_EIO;
    if (n == 0) break;
    nl = memchr(r->buf, '\n', r->end);
    if (nl) {
      skipped += (size_t)(nl - r->buf);
      r->start = (size_t)(nl - r->buf) + 1;
      break;
    }
    skipped += r->end;
    r->end = 0;
  }
  *line = NULL;
  *len = skipped;
  return rc;
}

int lr_next(line_reader *r, char **line, size_t *len) {
  *line = NULL;
  *len = 0;
  if (r->head) lr_keep(r, "", 0);
  for (;;) {
    size_t avail = r->end - r->start;
    char *nl = NULL;
    if (avail > r->scan) nl = memchr(r->buf + r->start + r->scan, '\n', avail - r->scan);
    if (nl) {
      size_t n = (size_t)(nl - (r->buf + r->start));
      char *s = r->buf + r->start;
      r->start += n + 1;
      r->scan = 0;
      if (n > r->max_line) {
        lr_keep(r, s, n);
        *len = n;
        return LR_TOOLONG;
      }
      *nl = '\0';
      *line = s;
      *len = n;
      return LR_LINE;
    }
    r->scan = avail;
    if (avail > r->max_line) {
      lr_keep(r, r->buf + r->start, avail);
      return lr_skip(r, avail, LR_TOOLONG, line, len);
    }
    if (r->eof) {
      if (avail == 0) return LR_EOF;
      /* a last line without '\n'; the buffer has a spare byte for the NUL */
      *line = r->buf + r->start;
      *len = avail;
      (*line)[avail] = '\0';
      r->start = r->end;
      r->scan = 0;
      return LR_LINE;
    }
    if (lr_room(r) != 0) {
      /* skipping needs no memory, but does need a buffer to read into */
      if (!r->buf) return LR_ENOMEM;
      lr_keep(r, r->buf + r->start, avail);
      return lr_skip(r, avail, LR_ENOMEM, line, len);
    }
    if (lr_fill(r) < 0) return LR_EIO;
  }
}
