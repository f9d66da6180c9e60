/*
 * linereader.h - read '\n'-terminated lines from a file descriptor with a
 * bound on line length (C11 + POSIX read(2); no global state).
 *
 * Lines of any length up to the bound are returned whole, in a buffer that
 * grows as needed (never past the bound plus one byte) and is reused. A
 * longer line is skipped to its '\n' with no further growth and reported
 * as such, so that memory stays bounded whatever the input. The reader
 * only calls read(2) when the buffer holds no complete line, so it works
 * on a live pipe: every line is returned as soon as its '\n' arrives.
 */
#ifndef SSESPEC_COMMON_LINEREADER_H
#define SSESPEC_COMMON_LINEREADER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes of lr_next. */
enum lr_status {
  LR_LINE = 1,     /* a line */
  LR_EOF = 0,      /* end of input: no more lines */
  LR_TOOLONG = -1, /* a line longer than the bound was skipped */
  LR_EIO = -2,     /* read(2) failed; errno is kept in lr.error */
  LR_ENOMEM = -3   /* the buffer could not grow to hold a line */
};

/* The reader. Fields are private except error. */
typedef struct line_reader {
  int fd;
  size_t max_line; /* the bound on a line's length, '\n' not included */
  char *buf;
  size_t cap;
  size_t start; /* the unread data is buf[start..end) */
  size_t end;
  size_t scan;      /* bytes of buf[start..) known to hold no '\n' */
  int eof;          /* read(2) returned 0 */
  int error;        /* the errno of a failed read */
  char *head;       /* the caller's buffer for a skipped line's first bytes */
  size_t head_size; /* its size; 0: none kept */
  size_t head_len;  /* bytes kept of the last line skipped */
} line_reader;

/* The default bound: 1 GiB. */
#define LR_DEFAULT_MAX_LINE ((size_t)1 << 30)

/* Set up a reader of fd with lines of at most max_line bytes (0: the
 * default). Allocates nothing. fd stays the caller's. */
void lr_init(line_reader *r, int fd, size_t max_line);

/* The next line.
 * Returns:
 *   LR_LINE    *line is the line without its '\n', NUL-terminated at
 *              (*line)[*len], and writable (it may contain NUL bytes and a
 *              trailing '\r', which are left in). Valid until the next call.
 *              A last line without '\n' at end of input is a line too.
 *   LR_EOF     no more input; call again and it stays LR_EOF.
 *   LR_TOOLONG a line over max_line bytes was read and dropped, up to and
 *              including its '\n'; *len is its length (without the '\n')
 *              and *line is NULL. Call again for the next line.
 *   LR_EIO     read(2) failed (errno in r->error); the input is unusable.
 *   LR_ENOMEM  the buffer could not grow to hold a line within the bound:
 *              the line was skipped as for LR_TOOLONG (*len its length),
 *              and the next call goes on with the next line; or, before
 *              anything could be read, no buffer at all (*len is 0).
 * read(2) interrupted by a signal (EINTR) is retried. */
int lr_next(line_reader *r, char **line, size_t *len);

/* Keep the first bytes of every line that lr_next skips (LR_TOOLONG, or
 * LR_ENOMEM with a length): up to size - 1 of them are copied into buf,
 * the caller's buffer of size bytes, and NUL-terminated, so that the caller
 * can say which line it was (a request's id, say). buf must stay valid
 * while r is used; NULL (or size 0) keeps nothing, the default. Costs no
 * memory beyond buf. */
void lr_keep_head(line_reader *r, char *buf, size_t size);

/* After lr_next returned LR_TOOLONG or LR_ENOMEM: the first bytes of the
 * line it skipped, as kept by lr_keep_head (NUL-terminated; their count in
 * *len), or NULL if none were kept. Valid until the next lr_next. */
const char *lr_head(const line_reader *r, size_t *len);

/* Release the buffer. */
void lr_free(line_reader *r);

#ifdef __cplusplus
}
#endif

#endif /* SSESPEC_COMMON_LINEREADER_H */
