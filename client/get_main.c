/*
 * get_main.c - ssespec-get: open one event stream with the reference client
 * and print what a script would see, one JSON line per record:
 *
 *   {"kind":"open"}
 *   {"kind":"event","type":"message","data":"...","lastEventId":"..."}
 *   {"kind":"error","readyState":0}
 *
 * Diagnostics (why a connection ended or failed) go to stderr.
 * Exit status: 0 after a clean stop (--reconnects reached), 1 when the
 * connection failed (error with readyState 2) or on a setup error, 2 for
 * bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/decimal.h"
#include "common/json.h"
#include "eventsource.h"
#include "report.h"

#define PROG "ssespec-get"
#define MAX_TYPES 256

typedef struct state {
  jw out;
  uint64_t max_reconnects; /* UINT64_MAX: unlimited */
  uint64_t errors;         /* error records with readyState 0 so far */
  int done;
  int status;
} state;

static const rep_stream no_stream = {NULL, 0};

static void on_open(void *user) {
  state *st = user;
  rep_open(&st->out, 1, no_stream);
}

static void on_event(void *user, const sse_event *ev) {
  state *st = user;
  if (rep_event(&st->out, 1, no_stream, ev) < 0)
    fprintf(stderr, PROG ": cannot write an event record (%s)\n", jw_strerror(st->out.err));
}

static void on_error(void *user, int ready_state, const char *why) {
  state *st = user;
  fprintf(stderr, PROG ": %s\n", why);
  rep_error(&st->out, 1, no_stream, ready_state);
  if (ready_state == ES_CLOSED) {
    st->done = 1;
    st->status = 1;
    return;
  }
  st->errors++;
  if (st->max_reconnects != UINT64_MAX && st->errors > st->max_reconnects) {
    fprintf(stderr, PROG ": stopping after %llu reconnection(s)\n",
            (unsigned long long)st->max_reconnects);
    st->done = 1;
    st->status = 0;
  }
}

static void usage(FILE *f) {
  fputs("usage: " PROG " URL [--type T]... [--reconnects N] [--retry-default MS]\n"
        "             [--parser-limit BYTES] [--reconnect-to-original]\n"
        "Opens URL as an EventSource and prints its records as JSON lines.\n"
        "  --type T                 also listen to events of type T (message always)\n"
        "  --reconnects N           stop (exit 0) when the connection ends for the\n"
        "                           (N+1)th time, i.e. after N reconnections\n"
        "                           (default: reconnect forever)\n"
        "  --retry-default MS       initial reconnection time (default 3000)\n"
        "  --parser-limit BYTES     the event-stream parser's buffer limit (default 8 MiB)\n"
        "  --reconnect-to-original  reconnect to URL even after redirects\n"
        "SSESPEC_CA_FILE names a PEM file of CAs trusted for https besides the system's.\n"
        "Exit status: 0 clean stop, 1 the connection failed, 2 bad arguments.\n",
        f);
}

static int parse_u64(const char *s, uint64_t *out) {
  return decimal_u64(s, s ? strlen(s) : 0, UINT64_MAX, out);
}

int main(int argc, char **argv) {
  es_options opt;
  es_options_init(&opt);
  const char *url = NULL;
  const char *types[MAX_TYPES];
  size_t ntypes = 0;
  state st;
  memset(&st, 0, sizeof st);
  st.max_reconnects = UINT64_MAX;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    }
    if (strcmp(a, "--type") == 0 || strcmp(a, "--reconnects") == 0 ||
        strcmp(a, "--retry-default") == 0 || strcmp(a, "--parser-limit") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, PROG ": %s needs a value\n", a);
        return 2;
      }
      const char *v = argv[++i];
      if (strcmp(a, "--type") == 0) {
        if (ntypes == MAX_TYPES) {
          fprintf(stderr, PROG ": too many --type options\n");
          return 2;
        }
        types[ntypes++] = v;
      } else if (strcmp(a, "--reconnects") == 0) {
        if (parse_u64(v, &st.max_reconnects) < 0 || st.max_reconnects == UINT64_MAX) {
          fprintf(stderr, PROG ": --reconnects needs a count, not %s\n", v);
          return 2;
        }
      } else if (strcmp(a, "--parser-limit") == 0) {
        uint64_t lim = 0;
        if (parse_u64(v, &lim) < 0 || lim == 0 || lim > SIZE_MAX) {
          fprintf(stderr, PROG ": --parser-limit needs a positive number of bytes, not %s\n", v);
          return 2;
        }
        opt.parser_limit = (size_t)lim;
      } else if (parse_u64(v, &opt.reconnect_ms) < 0) {
        fprintf(stderr, PROG ": --retry-default needs milliseconds, not %s\n", v);
        return 2;
      }
    } else if (strcmp(a, "--reconnect-to-original") == 0) {
      opt.reconnect_to_original = 1;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, PROG ": unknown option %s\n", a);
      usage(stderr);
      return 2;
    } else if (url) {
      fprintf(stderr, PROG ": more than one URL\n");
      return 2;
    } else {
      url = a;
    }
  }
  if (!url) {
    usage(stderr);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  opt.ca_file = getenv("SSESPEC_CA_FILE");
  char err[300];
  es_loop *loop = es_loop_new(&opt, err, sizeof err);
  if (!loop) {
    fprintf(stderr, PROG ": %s\n", err);
    return 1;
  }
  jw_init(&st.out, 0);
  es_handlers h = {on_open, on_event, on_error};
  es_source *src = es_open(loop, url, types, ntypes, &h, &st, err, sizeof err);
  if (!src) {
    fprintf(stderr, PROG ": %s: %s\n", url, err);
    es_loop_free(loop);
    jw_free(&st.out);
    return 2;
  }
  while (!st.done) {
    if (es_loop_run_once(loop, -1) < 0) {
      fprintf(stderr, PROG ": epoll_wait: %s\n", strerror(errno));
      st.status = 1;
      break;
    }
  }
  es_close(src);
  es_loop_free(loop);
  jw_free(&st.out);
  return st.status;
}
