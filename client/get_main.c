/*
 * get_main.c - ssespec-get: open one event stream with the reference client
 * and print what a script would see, one JSON line per record:
 *
 *   {"kind":"open"}
 *   {"kind":"event","type":"message","data":"...","lastEventId":"..."}
 *   {"kind":"error","readyState":0}
 *
 * Diagnostics go to stderr, one line each: the protocol of each connection
 * that opens ("open over h2"), and why a connection ended or failed.
 *
 * Exit status:
 *   0  a clean stop: the connection ended for the (N+1)th time with
 *      --reconnects N, after the stream had opened at least once
 *   1  the connection failed (an error with readyState 2: a status other
 *      than 200, a wrong Content-Type, the parser's limit), or the client
 *      could not be set up (epoll, TLS context, SSESPEC_CA_FILE)
 *   2  bad arguments, including a URL the client cannot use
 *   3  never connected: the stream never opened. Without --reconnects the
 *      first attempt that fails before the stream opens (connection
 *      refused, a host name that does not resolve, a failed TLS handshake,
 *      no valid response) ends the program at once instead of retrying
 *      forever; with --reconnects N it ends after N failed reconnections.
 *      Once the stream has opened, failures are reconnected as the
 *      standard says.
 *   4  stdout is gone: a write to it failed (EPIPE when the reader closed
 *      the pipe, as `ssespec-get URL | head -1` does), or, when stdout is
 *      a pipe, its reader closed it while the stream was quiet. The
 *      program ends at once; it is silent about EPIPE, other write
 *      failures get a line on stderr. SIGPIPE is ignored, so the program
 *      never dies of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/decimal.h"
#include "common/json.h"
#include "eventsource.h"
#include "report.h"

#define PROG "ssespec-get"
#define MAX_TYPES 256

/* The exit statuses above. */
enum get_status {
  STATUS_CLEAN = 0,
  STATUS_FAILED = 1,
  STATUS_USAGE = 2,
  STATUS_NEVER_CONNECTED = 3,
  STATUS_STDOUT_GONE = 4
};

typedef struct state {
  jw out;
  const char *url;
  es_loop *loop;
  es_source *src;
  uint64_t max_reconnects; /* UINT64_MAX: unlimited */
  uint64_t errors;         /* error records with readyState 0 so far */
  int opened;              /* the stream has opened at least once */
  int done;
  int status;
} state;

static const rep_stream no_stream = {NULL, 0};

/* After a record could not be written: if the writer failed (a record too
 * large, no memory) say so and go on; if the write to stdout failed, stop
 * with STATUS_STDOUT_GONE (quietly for EPIPE: the reader went away). */
static void record_failed(state *st, const char *what) {
  if (st->out.err != JW_OK) {
    fprintf(stderr, PROG ": cannot make %s record (%s)\n", what, jw_strerror(st->out.err));
    return;
  }
  if (errno != EPIPE) fprintf(stderr, PROG ": cannot write to stdout: %s\n", strerror(errno));
  st->done = 1;
  st->status = STATUS_STDOUT_GONE;
}

static void on_open(void *user) {
  state *st = user;
  st->opened = 1;
  const char *proto = st->src ? es_source_protocol(st->src) : NULL;
  fprintf(stderr, PROG ": open over %s\n", proto ? proto : "?");
  if (rep_open(&st->out, 1, no_stream) < 0) record_failed(st, "an open");
}

static void on_event(void *user, const sse_event *ev) {
  state *st = user;
  if (st->done) return; /* stdout is gone: the rest of this read is dropped */
  if (rep_event(&st->out, 1, no_stream, ev) < 0) record_failed(st, "an event");
}

static void on_error(void *user, int ready_state, const char *why) {
  state *st = user;
  int never = !st->opened && ready_state != ES_CLOSED;
  if (st->done) return;
  st->errors += ready_state != ES_CLOSED;
  /* one line: why, and for a stream that never opened, that it stops */
  if (never && st->max_reconnects == UINT64_MAX)
    fprintf(stderr, PROG ": %s: never connected: %s\n", st->url, why);
  else
    fprintf(stderr, PROG ": %s\n", why);
  if (rep_error(&st->out, 1, no_stream, ready_state) < 0) {
    record_failed(st, "an error");
    if (st->done) return;
  }
  if (ready_state == ES_CLOSED) {
    st->done = 1;
    st->status = STATUS_FAILED;
  } else if (never && st->max_reconnects == UINT64_MAX) {
    st->done = 1;
    st->status = STATUS_NEVER_CONNECTED;
  } else if (st->max_reconnects != UINT64_MAX && st->errors > st->max_reconnects) {
    fprintf(stderr, PROG ": stopping after %llu reconnection(s)%s\n",
            (unsigned long long)st->max_reconnects, st->opened ? "" : "; never connected");
    st->done = 1;
    st->status = st->opened ? STATUS_CLEAN : STATUS_NEVER_CONNECTED;
  }
}

/* stdout is a pipe watched by the loop: the write end of a pipe is never
 * readable, so the loop only wakes for EPOLLERR, which says the reader
 * closed it. Checked with poll() all the same. */
static void on_stdout(void *user, int fd) {
  state *st = user;
  struct pollfd p = {.fd = fd, .events = 0, .revents = 0};
  if (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP))) {
    st->done = 1;
    st->status = STATUS_STDOUT_GONE;
  } else {
    es_loop_unwatch(st->loop, fd); /* readable after all (a FIFO opened read-write): writes tell */
  }
}

static void usage(FILE *f) {
  fputs("usage: " PROG " URL [--type T]... [--reconnects N] [--retry-default MS]\n"
        "             [--parser-limit BYTES] [--reconnect-to-original] [--h2c]\n"
        "Opens URL as an EventSource and prints its records as JSON lines.\n"
        "https offers HTTP/2 (ALPN h2) and HTTP/1.1; http is HTTP/1.1 unless --h2c.\n"
        "  --type T                 also listen to events of type T (message always)\n"
        "  --reconnects N           stop (exit 0) when the connection ends for the\n"
        "                           (N+1)th time, i.e. after N reconnections\n"
        "                           (default: reconnect forever)\n"
        "  --retry-default MS       initial reconnection time (default 3000)\n"
        "  --parser-limit BYTES     the event-stream parser's buffer limit (default 8 MiB)\n"
        "  --reconnect-to-original  reconnect to URL even after redirects\n"
        "  --h2c                    http URLs: cleartext HTTP/2 with prior knowledge\n"
        "SSESPEC_CA_FILE names a PEM file of CAs trusted for https besides the system's.\n"
        "Exit status: 0 clean stop, 1 the connection failed, 2 bad arguments,\n"
        "3 never connected (without --reconnects: the first attempt failed),\n"
        "4 stdout was closed or could not be written.\n",
        f);
}

static int parse_u64(const char *s, uint64_t *out) {
  return decimal_u64(s, s ? strlen(s) : 0, UINT64_MAX, out);
}

int main(int argc, char **argv) {
  es_options opt;
  es_options_init(&opt);
  const char *url = NULL;
  es_type types[MAX_TYPES];
  size_t ntypes = 0;
  state st;
  memset(&st, 0, sizeof st);
  st.max_reconnects = UINT64_MAX;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return STATUS_CLEAN;
    }
    if (strcmp(a, "--type") == 0 || strcmp(a, "--reconnects") == 0 ||
        strcmp(a, "--retry-default") == 0 || strcmp(a, "--parser-limit") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, PROG ": %s needs a value\n", a);
        return STATUS_USAGE;
      }
      const char *v = argv[++i];
      if (strcmp(a, "--type") == 0) {
        if (ntypes == MAX_TYPES) {
          fprintf(stderr, PROG ": too many --type options\n");
          return STATUS_USAGE;
        }
        types[ntypes].ptr = v;
        types[ntypes].len = strlen(v);
        ntypes++;
      } else if (strcmp(a, "--reconnects") == 0) {
        if (parse_u64(v, &st.max_reconnects) < 0 || st.max_reconnects == UINT64_MAX) {
          fprintf(stderr, PROG ": --reconnects needs a count, not %s\n", v);
          return STATUS_USAGE;
        }
      } else if (strcmp(a, "--parser-limit") == 0) {
        uint64_t lim = 0;
        if (parse_u64(v, &lim) < 0 || lim == 0 || lim > SIZE_MAX) {
          fprintf(stderr, PROG ": --parser-limit needs a positive number of bytes, not %s\n", v);
          return STATUS_USAGE;
        }
        opt.parser_limit = (size_t)lim;
      } else if (parse_u64(v, &opt.reconnect_ms) < 0) {
        fprintf(stderr, PROG ": --retry-default needs milliseconds, not %s\n", v);
        return STATUS_USAGE;
      }
    } else if (strcmp(a, "--reconnect-to-original") == 0) {
      opt.reconnect_to_original = 1;
    } else if (strcmp(a, "--h2c") == 0) {
      opt.h2c_prior_knowledge = 1;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, PROG ": unknown option %s\n", a);
      usage(stderr);
      return STATUS_USAGE;
    } else if (url) {
      fprintf(stderr, PROG ": more than one URL\n");
      return STATUS_USAGE;
    } else {
      url = a;
    }
  }
  if (!url) {
    usage(stderr);
    return STATUS_USAGE;
  }
  signal(SIGPIPE, SIG_IGN);
  opt.ca_file = getenv("SSESPEC_CA_FILE");
  char err[300];
  es_loop *loop = es_loop_new(&opt, err, sizeof err);
  if (!loop) {
    fprintf(stderr, PROG ": %s\n", err);
    return STATUS_FAILED;
  }
  jw_init(&st.out, 0);
  st.url = url;
  st.loop = loop;
  /* a pipe's reader that goes away is noticed at once, even while the
   * stream is quiet (a terminal or a file is never watched: a terminal may
   * be readable, a file always is) */
  struct stat sb;
  if (fstat(1, &sb) == 0 && S_ISFIFO(sb.st_mode) && es_loop_watch(loop, 1, on_stdout, &st) < 0)
    fprintf(stderr, PROG ": cannot watch stdout: %s\n", strerror(errno));
  es_handlers h = {on_open, on_event, on_error};
  es_source *src = es_open(loop, url, types, ntypes, &h, &st, err, sizeof err);
  st.src = src; /* no handler runs before the loop does */
  if (!src) {
    fprintf(stderr, PROG ": %s: %s\n", url, err);
    es_loop_free(loop);
    jw_free(&st.out);
    return STATUS_USAGE;
  }
  while (!st.done) {
    if (es_loop_run_once(loop, -1) < 0) {
      fprintf(stderr, PROG ": epoll_wait: %s\n", strerror(errno));
      st.status = STATUS_FAILED;
      break;
    }
  }
  es_close(src);
  es_loop_free(loop);
  jw_free(&st.out);
  return st.status;
}
