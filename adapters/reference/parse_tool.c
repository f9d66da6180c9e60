/*
 * parse_tool.c - ssespec-parse: run the reference parser (parser/sse.h)
 * over one event stream and print what it produces, for people debugging a
 * stream.
 *
 *   ssespec-parse [--limit BYTES] [FILE]
 *
 * Reads FILE, or stdin if FILE is absent or "-", in reads of up to 64 KiB
 * fed to the parser as they arrive (so it follows a live pipe, e.g.
 * `curl -N URL | ssespec-parse`), and prints each record as one JSON line,
 * the records of the parser adapter protocol:
 *
 *   {"kind":"event","type":"message","data":"a","lastEventId":""}
 *   {"kind":"retry","ms":1000}
 *   {"kind":"comment","text":" hi"}
 *   {"kind":"end","lastEventId":""}    (last, once the input ends)
 *
 * Output is written after every read, so it appears as the stream does.
 * Exit status: 0; 1 if the parser failed (the records before the failure
 * are printed, then "ssespec-parse: REASON" on stderr, and no end record);
 * 2 for bad arguments, unreadable input, or a failed write to stdout.
 */
#define _POSIX_C_SOURCE 200809L
#include "common/decimal.h"
#include "common/json.h"
#include "common/records_json.h"
#include "sse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "ssespec-parse"
#define READ_SIZE ((size_t)64 << 10)
/* Output is written once this much is pending, even within one read. */
#define FLUSH_SIZE ((size_t)64 << 10)

typedef struct tool {
  jw out;
  int write_failed;
} tool;

/* Write the pending output to stdout and empty the buffer. */
static int flush_out(tool *t) {
  const char *p = t->out.buf;
  size_t len = t->out.len;
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (!t->write_failed) fprintf(stderr, PROG ": cannot write to stdout: %s\n", strerror(errno));
      t->write_failed = 1;
      break;
    }
    p += n;
    len -= (size_t)n;
  }
  jw_clear(&t->out);
  return t->write_failed ? -1 : 0;
}

/* After each record: end the line; write out if much is pending. A
 * nonzero return stops the parser. */
static int record_done(tool *t) {
  jw_raw(&t->out, "\n", 1);
  if (t->out.err != JW_OK) {
    fprintf(stderr, PROG ": %s\n", jw_strerror(t->out.err));
    return 1;
  }
  if (t->out.len >= FLUSH_SIZE) return flush_out(t) != 0;
  return 0;
}

static int on_event(void *user, const sse_event *ev) {
  tool *t = user;
  rj_event(&t->out, RJ_NO_STREAM, ev->type, ev->type_len, ev->data, ev->data_len, ev->last_event_id,
           ev->last_event_id_len);
  return record_done(t);
}

static int on_retry(void *user, uint64_t ms) {
  tool *t = user;
  rj_retry(&t->out, RJ_NO_STREAM, ms);
  return record_done(t);
}

static int on_comment(void *user, const char *text, size_t len) {
  tool *t = user;
  rj_comment(&t->out, RJ_NO_STREAM, text, len);
  return record_done(t);
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: " PROG " [--limit BYTES] [FILE]\n"
          "\n"
          "Parse an event stream (text/event-stream) from FILE, or stdin if FILE\n"
          "is absent or '-', with the ssespec reference parser, and print each\n"
          "record as a JSON line as soon as it is produced.\n"
          "\n"
          "  --limit BYTES  the parser's limit on buffered bytes (default %zu)\n"
          "  --version      print the parser version\n"
          "\n"
          "Exit status: 0; 1 if the parser failed; 2 for bad arguments or\n"
          "unreadable input.\n",
          (size_t)SSE_DEFAULT_LIMIT);
}

/* A positive decimal byte count; 0 if s is not one. */
static size_t parse_size(const char *s) {
  uint64_t v;
  return decimal_u64(s, strlen(s), SIZE_MAX, &v) == 0 ? (size_t)v : 0;
}

int main(int argc, char **argv) {
  static const sse_callbacks cb = {on_event, on_retry, on_comment};
  static unsigned char buf[READ_SIZE];
  static sse_parser parser;
  tool t;
  const char *path = NULL;
  size_t limit = 0;
  int fd = STDIN_FILENO, rc = SSE_OK, options = 1, i, status = 0;

  for (i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (options && arg[0] == '-' && arg[1] != '\0') {
      const char *val = NULL;
      if (strcmp(arg, "--") == 0) {
        options = 0;
        continue;
      }
      if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        usage(stdout);
        return 0;
      }
      if (strcmp(arg, "--version") == 0) {
        printf("%s\n", SSE_VERSION);
        return 0;
      }
      if (strcmp(arg, "--limit") == 0) {
        val = i + 1 < argc ? argv[++i] : NULL;
      } else if (strncmp(arg, "--limit=", 8) == 0) {
        val = arg + 8;
      } else {
        fprintf(stderr, PROG ": unknown option '%s'\n", arg);
        usage(stderr);
        return 2;
      }
      if (!val || (limit = parse_size(val)) == 0) {
        fprintf(stderr, PROG ": --limit needs a positive number of bytes\n");
        return 2;
      }
      continue;
    }
    if (path) {
      fprintf(stderr, PROG ": more than one input file ('%s', '%s')\n", path, arg);
      usage(stderr);
      return 2;
    }
    path = arg;
  }

  if (path && strcmp(path, "-") != 0) {
    fd = open(path, O_RDONLY);
    if (fd < 0) {
      fprintf(stderr, PROG ": cannot open '%s': %s\n", path, strerror(errno));
      return 2;
    }
  } else {
    path = "stdin";
  }

  jw_init(&t.out, 0);
  t.write_failed = 0;
  sse_parser_init(&parser, &cb, &t);
  if (limit) sse_parser_set_limit(&parser, limit);

  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      flush_out(&t);
      fprintf(stderr, PROG ": cannot read '%s': %s\n", path, strerror(errno));
      status = 2;
      break;
    }
    if (n == 0) break;
    rc = sse_parser_feed(&parser, buf, (size_t)n);
    if (flush_out(&t) != 0) {
      status = 2;
      break;
    }
    if (rc != SSE_OK) break;
  }

  if (status == 0) {
    int rc_finish = sse_parser_finish(&parser);
    if (rc == SSE_OK) rc = rc_finish;
    if (rc == SSE_OK) {
      size_t id_len = 0;
      const char *id = sse_parser_last_event_id(&parser, &id_len);
      rj_end(&t.out, RJ_NO_STREAM, id, id_len);
      if (record_done(&t) != 0) status = 2;
    }
    if (flush_out(&t) != 0) status = 2;
    if (status == 0 && rc != SSE_OK) {
      /* a callback stops the parser only when output failed: said above */
      if (rc != SSE_ECALLBACK) {
        const char *msg = sse_parser_error(&parser);
        fprintf(stderr, PROG ": %s\n", msg[0] ? msg : sse_strerror(rc));
      }
      status = rc == SSE_ECALLBACK ? 2 : 1;
    }
  }

  if (fd != STDIN_FILENO) close(fd);
  sse_parser_free(&parser);
  jw_free(&t.out);
  return status;
}
