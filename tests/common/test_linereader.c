/*
 * test_linereader.c - common/linereader.h: lines and their terminators,
 * NUL bytes, a last line without '\n', lines at and over the bound (skipped
 * with bounded memory, their first bytes kept on request), many lines
 * across read boundaries, a live pipe (a complete line is returned without
 * waiting for more input), read errors.
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "common/linereader.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A file descriptor reading exactly the n bytes at data (a temporary
 * file, so that any size works). */
static int fd_with(const void *data, size_t n) {
  FILE *f = tmpfile();
  int fd;
  if (!f) {
    perror("tmpfile");
    exit(2);
  }
  if (n && fwrite(data, 1, n, f) != n) {
    perror("fwrite");
    exit(2);
  }
  fflush(f);
  fd = dup(fileno(f));
  fclose(f);
  lseek(fd, 0, SEEK_SET);
  return fd;
}

static void expect_line(line_reader *r, const char *want, size_t want_len, int line) {
  char *got;
  size_t len;
  int rc = lr_next(r, &got, &len);
  check_count++;
  if (rc != LR_LINE || len != want_len || memcmp(got, want, want_len) != 0 || got[len] != '\0') {
    check_failures++;
    fprintf(stderr, "test_linereader.c:%d: want a line of %zu bytes, got rc %d, %zu bytes\n", line,
            want_len, rc, len);
    if (rc == LR_LINE) check_dump("  got ", got, len);
    check_dump("  want", want, want_len);
  }
}

#define LINE(r, lit) expect_line(r, lit, sizeof lit - 1, __LINE__)

static void expect_rc(line_reader *r, int want_rc, size_t want_len, int line) {
  char *got;
  size_t len;
  int rc = lr_next(r, &got, &len);
  check_count++;
  if (rc != want_rc || len != want_len || got != NULL) {
    check_failures++;
    fprintf(stderr, "test_linereader.c:%d: want rc %d len %zu, got rc %d len %zu\n", line, want_rc,
            want_len, rc, len);
  }
}

static void test_basic(void) {
  static const char in[] = "a\nbb\n\nccc\r\nx\0y\n\nlast";
  line_reader r;
  int fd = fd_with(in, sizeof in - 1);
  lr_init(&r, fd, 0);
  LINE(&r, "a");
  LINE(&r, "bb");
  LINE(&r, "");
  LINE(&r, "ccc\r"); /* only '\n' ends a line; the CR stays */
  LINE(&r, "x\0y");
  LINE(&r, "");
  LINE(&r, "last"); /* no '\n' at the end: still a line */
  expect_rc(&r, LR_EOF, 0, __LINE__);
  expect_rc(&r, LR_EOF, 0, __LINE__);
  lr_free(&r);
  close(fd);

  fd = fd_with("", 0);
  lr_init(&r, fd, 0);
  expect_rc(&r, LR_EOF, 0, __LINE__);
  lr_free(&r);
  close(fd);

  fd = fd_with("\n", 1);
  lr_init(&r, fd, 0);
  LINE(&r, "");
  expect_rc(&r, LR_EOF, 0, __LINE__);
  lr_free(&r);
  close(fd);
}

static void test_small_bound(void) {
  static const char in[] = "12345\n123456\nab\n1234567890123\n\nxyz123";
  line_reader r;
  int fd = fd_with(in, sizeof in - 1);
  lr_init(&r, fd, 5);
  LINE(&r, "12345"); /* exactly the bound */
  expect_rc(&r, LR_TOOLONG, 6, __LINE__);
  LINE(&r, "ab");
  expect_rc(&r, LR_TOOLONG, 13, __LINE__);
  LINE(&r, "");
  expect_rc(&r, LR_TOOLONG, 6, __LINE__); /* the last line, over the bound */
  expect_rc(&r, LR_EOF, 0, __LINE__);
  lr_free(&r);
  close(fd);
}

static void test_large_bound(void) {
  /* bound 100000 (over the first buffer size, so the buffer grows): a line
   * of exactly 100000 bytes passes, 100001 does not, and a 5 MB line is
   * skipped without the buffer growing past the bound */
  size_t bound = 100000, big = 5000000, n = 0;
  char *in = malloc(bound + 1 + bound + 2 + big + 1 + 3 + bound + 1);
  line_reader r;
  char *got;
  size_t len;
  int fd;
  memset(in + n, 'a', bound);
  n += bound;
  in[n++] = '\n';
  memset(in + n, 'b', bound + 1);
  n += bound + 1;
  in[n++] = '\n';
  memset(in + n, 'c', big);
  n += big;
  in[n++] = '\n';
  memcpy(in + n, "ok\n", 3);
  n += 3;
  memset(in + n, 'd', bound);
  n += bound;
  fd = fd_with(in, n);
  lr_init(&r, fd, bound);
  CHECK(lr_next(&r, &got, &len) == LR_LINE && len == bound && got[0] == 'a' &&
        got[bound - 1] == 'a' && got[bound] == '\0');
  expect_rc(&r, LR_TOOLONG, bound + 1, __LINE__);
  expect_rc(&r, LR_TOOLONG, big, __LINE__);
  CHECK(r.cap <= bound + 1);
  LINE(&r, "ok");
  CHECK(lr_next(&r, &got, &len) == LR_LINE && len == bound && got[bound - 1] == 'd');
  expect_rc(&r, LR_EOF, 0, __LINE__);
  CHECK(r.cap <= bound + 1);
  lr_free(&r);
  close(fd);
  free(in);
}

/* The head of a skipped line is what lr_head says after LR_TOOLONG. */
static void expect_head(line_reader *r, const char *want, int line) {
  size_t len;
  const char *head = lr_head(r, &len);
  check_count++;
  if (!head || len != strlen(want) || memcmp(head, want, len) != 0 || head[len] != '\0') {
    check_failures++;
    fprintf(stderr, "test_linereader.c:%d: want head \"%s\"\n", line, want);
    if (head) check_dump("  got ", head, len);
  }
}

static void test_head(void) {
  /* Lines over the bound keep their first bytes, up to the buffer's size
   * less one: a line whole in the buffer, one longer than the buffer
   * (64 KiB: skipped while it is read), and the last line without '\n'. */
  size_t big = 200000, n = 0;
  char *in = malloc(big + 100);
  char head[8];
  line_reader r;
  size_t len;
  int fd;
  memcpy(in, "1234567890\nok\nabcdef\n", 21);
  n = 21;
  memset(in + n, 'x', big);
  memcpy(in + n, "{\"case\"", 7);
  n += big;
  memcpy(in + n, "\nfine\nlast-line", 15);
  n += 15;
  fd = fd_with(in, n);
  lr_init(&r, fd, 5);
  CHECK(lr_head(&r, &len) == NULL && len == 0); /* nothing kept by default */
  lr_keep_head(&r, head, sizeof head);
  expect_rc(&r, LR_TOOLONG, 10, __LINE__);
  expect_head(&r, "1234567", __LINE__); /* 7 bytes and the NUL */
  LINE(&r, "ok");
  expect_head(&r, "", __LINE__); /* nothing skipped by that call */
  expect_rc(&r, LR_TOOLONG, 6, __LINE__);
  expect_head(&r, "abcdef", __LINE__);
  expect_rc(&r, LR_TOOLONG, big, __LINE__);
  expect_head(&r, "{\"case\"", __LINE__);
  CHECK(r.cap <= 64 << 10); /* the buffer did not grow for it */
  LINE(&r, "fine");
  expect_rc(&r, LR_TOOLONG, 9, __LINE__);
  expect_head(&r, "last-li", __LINE__);
  expect_rc(&r, LR_EOF, 0, __LINE__);
  lr_keep_head(&r, NULL, 0);
  CHECK(lr_head(&r, &len) == NULL && len == 0);
  lr_free(&r);
  close(fd);
  free(in);
}

static void test_many_lines(void) {
  /* 100000 lines of 0 to 299 bytes: many lines cross read boundaries */
  size_t lines = 100000, i, n = 0;
  char *in = malloc(lines * 300);
  line_reader r;
  int fd, ok = 1;
  for (i = 0; i < lines; i++) {
    size_t len = (i * 7919) % 300, j;
    for (j = 0; j < len; j++) in[n++] = (char)('a' + (i + j) % 26);
    in[n++] = '\n';
  }
  fd = fd_with(in, n);
  lr_init(&r, fd, 0);
  for (i = 0; i < lines && ok; i++) {
    char *got;
    size_t len, want = (i * 7919) % 300, j;
    if (lr_next(&r, &got, &len) != LR_LINE || len != want) {
      ok = 0;
      break;
    }
    for (j = 0; j < len; j++) {
      if (got[j] != (char)('a' + (i + j) % 26)) ok = 0;
    }
  }
  CHECK(ok);
  expect_rc(&r, LR_EOF, 0, __LINE__);
  lr_free(&r);
  close(fd);
  free(in);
}

static void test_live_pipe(void) {
  /* A writer sends a line, then waits for the reader's answer before
   * sending the next and closing: if the reader waited for more input
   * after a complete line, both would block (the CTest timeout ends it). */
  int to_reader[2], to_writer[2];
  pid_t pid;
  line_reader r;
  char ack;
  if (pipe(to_reader) != 0 || pipe(to_writer) != 0) {
    perror("pipe");
    exit(2);
  }
  pid = fork();
  if (pid == 0) {
    close(to_reader[0]);
    close(to_writer[1]);
    if (write(to_reader[1], "first\nsec", 9) != 9) _exit(3);
    if (read(to_writer[0], &ack, 1) != 1) _exit(4);
    if (write(to_reader[1], "ond\n", 4) != 4) _exit(5);
    if (read(to_writer[0], &ack, 1) != 1) _exit(6);
    if (write(to_reader[1], "third", 5) != 5) _exit(7);
    _exit(0);
  }
  close(to_reader[1]);
  close(to_writer[0]);
  lr_init(&r, to_reader[0], 0);
  LINE(&r, "first");
  CHECK(write(to_writer[1], "k", 1) == 1);
  LINE(&r, "second");
  CHECK(write(to_writer[1], "k", 1) == 1);
  LINE(&r, "third");
  expect_rc(&r, LR_EOF, 0, __LINE__);
  {
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  lr_free(&r);
  close(to_reader[0]);
  close(to_writer[1]);
}

static void test_read_error(void) {
  line_reader r;
  char *got;
  size_t len;
  lr_init(&r, -1, 0);
  CHECK(lr_next(&r, &got, &len) == LR_EIO);
  CHECK(r.error == EBADF);
  CHECK(got == NULL);
  lr_free(&r);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  test_basic();
  test_small_bound();
  test_large_bound();
  test_head();
  test_many_lines();
  test_live_pipe();
  test_read_error();
  return check_report("test_linereader");
}
