/*
 * adapter_main.c - ssespec-client-adapter: the reference EventSource client
 * speaking the client adapter protocol (docs/reference-client.md).
 *
 * JSON lines: commands on stdin, the hello line and reports on stdout (one
 * write per line), diagnostics on stderr. One epoll loop for stdin, every
 * stream's socket and every reconnection timer; no threads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/decimal.h"
#include "common/json.h"
#include "eventsource.h"
#include "report.h"

#define PROG "ssespec-client-adapter"
#define MAX_STREAMS 256
#define MAX_LINE ((size_t)1 << 20)
#define MAX_TYPES 1024

typedef struct adapter adapter;

typedef struct stream {
  char *id;
  size_t id_len;
  es_source *src; /* NULL if the client could not be created */
  adapter *ad;
  struct stream *next;
} stream;

struct adapter {
  es_loop *loop;
  stream *streams;
  size_t nstreams;
  char *in;
  size_t in_len, in_cap;
  int skipping; /* dropping the rest of an overlong line */
  int eof;
  unsigned long line_no;
  jw out;
  json_doc doc;
};

static void logf_(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs(PROG ": ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static rep_stream sid(const stream *st) {
  rep_stream r = {st->id, st->id_len};
  return r;
}

static void on_open(void *user) {
  stream *st = user;
  rep_open(&st->ad->out, 1, sid(st));
}

static void on_event(void *user, const sse_event *ev) {
  stream *st = user;
  if (rep_event(&st->ad->out, 1, sid(st), ev) < 0)
    logf_("stream %.*s: cannot write an event record (%s)", (int)st->id_len, st->id,
          jw_strerror(st->ad->out.err));
}

static void on_error(void *user, int ready_state, const char *why) {
  stream *st = user;
  logf_("stream %.*s: error, readyState %d: %s", (int)st->id_len, st->id, ready_state, why);
  rep_error(&st->ad->out, 1, sid(st), ready_state);
}

static stream *find_stream(adapter *ad, const char *id, size_t len) {
  for (stream *st = ad->streams; st; st = st->next)
    if (st->id_len == len && memcmp(st->id, id, len) == 0) return st;
  return NULL;
}

static void failure(adapter *ad, const char *id, size_t id_len, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  logf_("line %lu: %s", ad->line_no, msg);
  rep_stream r = {id, id_len};
  rep_failure(&ad->out, 1, r, msg);
}

static void remove_stream(adapter *ad, stream *st) {
  for (stream **pp = &ad->streams; *pp; pp = &(*pp)->next) {
    if (*pp == st) {
      *pp = st->next;
      break;
    }
  }
  if (st->src) es_close(st->src);
  ad->nstreams--;
  free(st->id);
  free(st);
}

static void cmd_open(adapter *ad, json_value *root, const char *id, size_t id_len) {
  if (find_stream(ad, id, id_len)) {
    failure(ad, id, id_len, "stream \"%.*s\" is already open", (int)id_len, id);
    return;
  }
  if (ad->nstreams >= MAX_STREAMS) {
    failure(ad, id, id_len, "too many streams (max_streams is %d)", MAX_STREAMS);
    return;
  }
  json_value *url = json_get(root, "url");
  if (!url || url->type != JSON_STRING) {
    failure(ad, id, id_len, "open needs \"url\", a string");
    return;
  }
  if (strlen(url->str) != url->len) {
    failure(ad, id, id_len, "the URL contains a NUL character");
    return;
  }
  json_value *h2c = json_get(root, "h2c"); /* an ssespec extension of version 1 */
  if (h2c && h2c->type != JSON_BOOL) {
    failure(ad, id, id_len, "\"h2c\" must be true or false");
    return;
  }
  json_value *types = json_get(root, "types");
  es_type tv[MAX_TYPES];
  size_t nt = 0;
  if (types) {
    if (types->type != JSON_ARRAY) {
      failure(ad, id, id_len, "\"types\" must be an array of strings");
      return;
    }
    for (json_value *t = types->child; t; t = t->next) {
      if (t->type != JSON_STRING) {
        failure(ad, id, id_len, "\"types\" must be an array of strings");
        return;
      }
      if (nt == MAX_TYPES) {
        failure(ad, id, id_len, "more than %d types", MAX_TYPES);
        return;
      }
      tv[nt].ptr = t->str;
      tv[nt].len = t->len;
      nt++;
    }
  }
  stream *st = calloc(1, sizeof *st);
  char *idc = malloc(id_len + 1);
  if (!st || !idc) {
    free(st);
    free(idc);
    failure(ad, id, id_len, "out of memory");
    return;
  }
  memcpy(idc, id, id_len);
  idc[id_len] = '\0';
  st->id = idc;
  st->id_len = id_len;
  st->ad = ad;
  es_handlers h = {on_open, on_event, on_error};
  char err[256];
  st->src = es_open(ad->loop, url->str, tv, nt, &h, st, err, sizeof err);
  if (st->src && h2c && h2c->len) es_set_h2c(st->src, 1);
  /* the stream is kept even when the client could not be created, so that
   * the harness's later close gets its "closed" */
  st->next = ad->streams;
  ad->streams = st;
  ad->nstreams++;
  if (!st->src) failure(ad, id, id_len, "cannot create the client for %s: %s", url->str, err);
}

static void cmd_close(adapter *ad, const char *id, size_t id_len) {
  stream *st = find_stream(ad, id, id_len);
  if (!st) {
    failure(ad, id, id_len, "close of unknown stream \"%.*s\"", (int)id_len, id);
    return;
  }
  rep_stream r = {id, id_len};
  /* id points into the command line, which outlives the stream */
  remove_stream(ad, st);
  rep_closed(&ad->out, 1, r);
}

static void handle_line(adapter *ad, char *line, size_t len) {
  size_t k = 0;
  while (k < len && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r')) k++;
  if (k == len) return; /* a blank line */
  json_value *root = NULL;
  if (json_parse(&ad->doc, line, len, &root) != JSON_OK) {
    logf_("line %lu: not a JSON command: %s", ad->line_no, json_doc_error(&ad->doc));
    return;
  }
  if (root->type != JSON_OBJECT) {
    logf_("line %lu: a command must be a JSON object", ad->line_no);
    return;
  }
  json_value *sv = json_get(root, "stream");
  json_value *cv = json_get(root, "cmd");
  if (!sv || sv->type != JSON_STRING) {
    logf_("line %lu: the command has no \"stream\" string; ignored", ad->line_no);
    return;
  }
  if (!cv || cv->type != JSON_STRING) {
    failure(ad, sv->str, sv->len, "the command has no \"cmd\" string");
    return;
  }
  if (strcmp(cv->str, "open") == 0 && cv->len == 4) {
    cmd_open(ad, root, sv->str, sv->len);
  } else if (strcmp(cv->str, "close") == 0 && cv->len == 5) {
    cmd_close(ad, sv->str, sv->len);
  } else {
    failure(ad, sv->str, sv->len, "unknown command \"%.*s\"", (int)(cv->len > 40 ? 40 : cv->len),
            cv->str);
  }
}

/* Split the input buffer into lines and handle each complete one. */
static void drain_lines(adapter *ad) {
  size_t start = 0;
  for (;;) {
    char *nl = memchr(ad->in + start, '\n', ad->in_len - start);
    if (!nl) break;
    size_t n = (size_t)(nl - (ad->in + start));
    if (ad->skipping) {
      ad->skipping = 0; /* the end of an overlong line, already counted */
    } else {
      ad->line_no++;
      handle_line(ad, ad->in + start, n);
    }
    start += n + 1;
  }
  memmove(ad->in, ad->in + start, ad->in_len - start);
  ad->in_len -= start;
  if (ad->in_len > MAX_LINE) {
    ad->line_no++;
    logf_("line %lu: longer than %zu bytes; ignored", ad->line_no, MAX_LINE);
    ad->skipping = 1;
    ad->in_len = 0;
  }
  if (ad->skipping) ad->in_len = 0;
}

static void on_stdin(void *user, int fd) {
  adapter *ad = user;
  if (ad->eof) return;
  if (ad->in_cap - ad->in_len < 65536) {
    size_t cap = ad->in_cap ? ad->in_cap * 2 : 131072;
    char *n = realloc(ad->in, cap);
    if (!n) {
      logf_("out of memory reading commands");
      ad->in_len = 0;
      ad->skipping = 1;
      return;
    }
    ad->in = n;
    ad->in_cap = cap;
  }
  ssize_t n = read(fd, ad->in + ad->in_len, ad->in_cap - ad->in_len);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return;
    logf_("cannot read stdin: %s", strerror(errno));
    n = 0;
  }
  if (n == 0) {
    ad->eof = 1;
    if (ad->in_len > 0 && !ad->skipping) { /* a last line without '\n' */
      ad->line_no++;
      handle_line(ad, ad->in, ad->in_len);
    }
    ad->in_len = 0;
    return;
  }
  ad->in_len += (size_t)n;
  drain_lines(ad);
}

static void usage(FILE *f) {
  fputs("usage: " PROG " [--retry-default MS] [--reconnect-to-original]\n"
        "Speaks the ssespec client adapter protocol on stdin/stdout.\n"
        "  --retry-default MS       initial reconnection time (default 3000;\n"
        "                           also the SSESPEC_CLIENT_RETRY_MS environment variable)\n"
        "  --reconnect-to-original  reconnect to the URL given to open, not the\n"
        "                           request's current URL after redirects\n"
        "SSESPEC_CA_FILE names a PEM file of CAs trusted for https besides the system's.\n",
        f);
}

static int parse_ms(const char *s, uint64_t *out) {
  return decimal_u64(s, s ? strlen(s) : 0, UINT64_MAX, out);
}

int main(int argc, char **argv) {
  es_options opt;
  es_options_init(&opt);
  const char *env = getenv("SSESPEC_CLIENT_RETRY_MS");
  if (env && *env && parse_ms(env, &opt.reconnect_ms) < 0) {
    logf_("SSESPEC_CLIENT_RETRY_MS is not a number of milliseconds: %s", env);
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--retry-default") == 0 && i + 1 < argc) {
      if (parse_ms(argv[++i], &opt.reconnect_ms) < 0) {
        logf_("--retry-default needs a number of milliseconds, not %s", argv[i]);
        return 2;
      }
    } else if (strcmp(argv[i], "--reconnect-to-original") == 0) {
      opt.reconnect_to_original = 1;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return 0;
    } else {
      logf_("unknown argument %s", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  opt.ca_file = getenv("SSESPEC_CA_FILE");
  char err[300];
  adapter ad;
  memset(&ad, 0, sizeof ad);
  jw_init(&ad.out, 0);
  json_doc_init(&ad.doc);
  json_doc_set_limits(&ad.doc, 16, 1u << 16);
  ad.loop = es_loop_new(&opt, err, sizeof err);
  if (!ad.loop) {
    logf_("%s", err);
    return 1;
  }
  jw_object_begin(&ad.out);
  jw_key(&ad.out, "hello");
  jw_object_begin(&ad.out);
  jw_key(&ad.out, "name");
  jw_cstr(&ad.out, "ssespec-reference-client");
  jw_key(&ad.out, "version");
  jw_cstr(&ad.out, "1.0.0");
  jw_key(&ad.out, "reports");
  jw_array_begin(&ad.out);
  static const char *const kinds[] = {"open", "event", "error", "closed", "failure"};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) jw_cstr(&ad.out, kinds[i]);
  jw_array_end(&ad.out);
  jw_key(&ad.out, "max_streams");
  jw_int(&ad.out, MAX_STREAMS);
  jw_key(&ad.out, "h2"); /* HTTP/2 over TLS when ALPN picks h2 */
  jw_bool(&ad.out, 1);
  jw_key(&ad.out, "h2c"); /* cleartext HTTP/2 with prior knowledge, for opens with "h2c": true */
  jw_bool(&ad.out, 1);
  jw_object_end(&ad.out);
  jw_object_end(&ad.out);
  if (ad.out.err != JW_OK || rep_flush_line(&ad.out, 1) < 0) {
    logf_("cannot write the hello line");
    return 1;
  }
  if (es_loop_watch(ad.loop, 0, on_stdin, &ad) < 0) {
    logf_("cannot watch stdin: %s", strerror(errno));
    return 1;
  }
  int status = 0;
  while (!ad.eof) {
    if (es_loop_run_once(ad.loop, -1) < 0) {
      logf_("epoll_wait: %s", strerror(errno));
      status = 1;
      break;
    }
  }
  es_loop_unwatch(ad.loop, 0);
  while (ad.streams) remove_stream(&ad, ad.streams);
  es_loop_free(ad.loop);
  json_doc_free(&ad.doc);
  jw_free(&ad.out);
  free(ad.in);
  return status;
}
