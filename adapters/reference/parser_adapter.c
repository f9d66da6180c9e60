/*
 * parser_adapter.c - ssespec-parser-adapter: the reference parser (parser/sse.h)
 * behind the parser adapter protocol, version 1 (docs/adapter-protocol.md).
 *
 * JSON Lines on stdin and stdout. First the hello line; then for each
 * request line {"case": NAME, "chunks": [BASE64, ...]} exactly one response
 * line, written and flushed before the next request is read:
 *
 *   {"case":NAME,"records":[RECORD,...,{"kind":"end","lastEventId":ID}]}
 *   {"case":NAME,"error":MESSAGE}
 *
 * Each request gets a fresh stream: the one parser is reset (as if just
 * initialised, last event ID included), fed each decoded chunk as one
 * separate sse_parser_feed call, in order, and finished. A parser failure
 * (SSE_ELIMIT, SSE_ENOMEM) answers with sse_parser_error()'s message. A
 * malformed request line (not strict JSON, not an object, "case" missing
 * or not a string, "chunks" missing or not an array of strings, a chunk
 * that is not strict padded base64, more than MAX_NODES values) answers
 * with what was wrong, under the case name if it could be read, else "".
 * Members other than "case" and "chunks" are ignored. All chunks are
 * decoded before the first is fed, so a malformed request never reaches
 * the parser.
 *
 * Request lines are bounded: a line longer than --max-line bytes (default
 * MAX_LINE, 512 MiB) is read and dropped without being held (memory stays
 * within the bound) and answered with an error response, "request line of
 * N bytes is longer than the limit of M bytes", under its case id when the
 * line's first CASE_HEAD bytes show it ("case" its first member, as the
 * harness writes requests), else under "" with the same message on stderr.
 * Either way the adapter goes on with the next line. 512 MiB holds the
 * largest request the harness makes: a case input of MAX_CASE_BYTES
 * (64 MiB, harness/core/cases.py) in its @bytes variant, every byte a chunk of
 * its own, 7 bytes per input byte ("eA==" in quotes and a comma), 448 MiB
 * and the case id. At the bounds a request takes about 4.5 GiB (the line,
 * 56 bytes per JSON value and 8 per chunk); a 16 MiB input sent byte by
 * byte, about 1.1 GiB.
 *
 * stdout carries nothing but protocol lines; diagnostics go to stderr. Exit
 * status 0 when stdin closes, 1 if stdin or stdout fails, 2 for bad
 * arguments.
 */
#define _POSIX_C_SOURCE 200809L
#include "common/base64.h"
#include "common/decimal.h"
#include "common/json.h"
#include "common/linereader.h"
#include "common/records_json.h"
#include "sse.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "ssespec-parser-adapter"

/* Bounds on what one request may cost (see above). */
#define MAX_LINE ((size_t)512 << 20)   /* bytes in one request line (--max-line) */
#define MAX_RESPONSE ((size_t)1 << 30) /* bytes in one response line */
/* JSON values in one request: the object, "case", "chunks" and one per
 * chunk, for up to 64 Mi chunks (a 64 MiB input sent byte by byte) */
#define MAX_NODES (((size_t)64 << 20) + 3)
#define MAX_DEPTH 16 /* nesting in one request */
/* The first bytes of an overlong request line, kept to find its case id. */
#define CASE_HEAD 4096

typedef struct adapter {
  sse_parser parser;
  jw out;         /* the response line being built */
  json_doc doc;   /* the request, parsed in place */
  line_reader in; /* stdin */
  size_t *lens;   /* decoded length of each chunk */
  size_t lens_cap;
  size_t max_line;
  char head[CASE_HEAD]; /* the first bytes of an overlong request line */
} adapter;

/* ------------------------------------------------------------ output */

/* Write the whole response line to stdout (unbuffered: one write per
 * line is its flush). Exits on failure: the harness is gone. */
static void emit(const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, PROG ": cannot write to stdout: %s\n", strerror(errno));
      exit(1);
    }
    buf += n;
    len -= (size_t)n;
  }
}

/* Answer the request with an error line. */
static void respond_error(adapter *a, const char *name, size_t name_len, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  jw_clear(&a->out);
  jw_object_begin(&a->out);
  jw_key(&a->out, "case");
  jw_string(&a->out, name, name_len);
  jw_key(&a->out, "error");
  jw_cstr(&a->out, msg);
  jw_object_end(&a->out);
  jw_raw(&a->out, "\n", 1);
  if (a->out.err != JW_OK) {
    /* only a case name near the response limit can do this */
    static const char fallback[] = "{\"case\":\"\",\"error\":\"response too large\"}\n";
    fprintf(stderr, PROG ": cannot write an error response: %s\n", jw_strerror(a->out.err));
    emit(fallback, sizeof fallback - 1);
    return;
  }
  emit(a->out.buf, a->out.len);
}

/* --------------------------------------------------------- callbacks */

/* Each record goes into the "records" array of the response; a writer
 * failure stops the parser (SSE_ECALLBACK). */

static int on_event(void *user, const sse_event *ev) {
  return rj_event(&((adapter *)user)->out, RJ_NO_STREAM, ev->type, ev->type_len, ev->data,
                  ev->data_len, ev->last_event_id, ev->last_event_id_len) != JW_OK;
}

static int on_retry(void *user, uint64_t ms) {
  return rj_retry(&((adapter *)user)->out, RJ_NO_STREAM, ms) != JW_OK;
}

static int on_comment(void *user, const char *text, size_t len) {
  return rj_comment(&((adapter *)user)->out, RJ_NO_STREAM, text, len) != JW_OK;
}

/* ----------------------------------------------------------- requests */

/* The end of JSON whitespace from s[i] on (at most n). */
static size_t skip_ws(const char *s, size_t i, size_t n) {
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) i++;
  return i;
}

/* One past the closing quote of the JSON string token at s[i], or 0 if
 * there is no '"' at s[i] or the token does not end before n. */
static size_t string_end(const char *s, size_t i, size_t n) {
  if (i >= n || s[i] != '"') return 0;
  for (i++; i < n; i++) {
    if (s[i] == '\\')
      i++;
    else if (s[i] == '"')
      return i + 1;
  }
  return 0;
}

/* The case id of the request line lr_next just skipped, from its first
 * bytes (a->head): found when the line starts with {"case": and a whole
 * JSON string, as the harness writes requests. Returns 1 with the decoded
 * id in *name, *name_len (in a->head, valid until the next request), or 0. */
static int case_from_head(adapter *a, const char **name, size_t *name_len) {
  size_t n, i, k;
  json_value *v;
  char *s = a->head;
  if (!lr_head(&a->in, &n)) return 0;
  i = skip_ws(s, 0, n);
  if (i >= n || s[i] != '{') return 0;
  i = skip_ws(s, i + 1, n);
  k = string_end(s, i, n);
  if (!k || json_parse(&a->doc, s + i, k - i, &v) != JSON_OK || v->len != 4 ||
      memcmp(v->str, "case", 4) != 0)
    return 0;
  i = skip_ws(s, k, n);
  if (i >= n || s[i] != ':') return 0;
  i = skip_ws(s, i + 1, n);
  k = string_end(s, i, n);
  if (!k || json_parse(&a->doc, s + i, k - i, &v) != JSON_OK) return 0;
  *name = v->str;
  *name_len = v->len;
  return 1;
}

/* A request line of len bytes was skipped (why: over the limit, or out of
 * memory): answer under its case id if it can be found, else under "" and
 * say so on stderr too. */
static void respond_skipped(adapter *a, int too_long, size_t len) {
  char msg[160];
  const char *name = "";
  size_t name_len = 0;
  if (too_long)
    snprintf(msg, sizeof msg, "request line of %zu bytes is longer than the limit of %zu bytes",
             len, a->max_line);
  else
    snprintf(msg, sizeof msg, "out of memory reading a request line of %zu bytes", len);
  if (!case_from_head(a, &name, &name_len))
    fprintf(stderr, PROG ": %s (no case id at its start: answered under \"\")\n", msg);
  respond_error(a, name, name_len, "%s", msg);
}

static void handle(adapter *a, char *line, size_t len) {
  json_value *root, *c, *chunks, *v;
  const char *name;
  size_t name_len, n, i;
  int rc, rc_finish;
  char err[B64_ERROR_SIZE];

  rc = json_parse(&a->doc, line, len, &root);
  if (rc != JSON_OK) {
    respond_error(a, "", 0, "request is not valid JSON: %s", json_doc_error(&a->doc));
    return;
  }
  if (root->type != JSON_OBJECT) {
    respond_error(a, "", 0, "request is a JSON %s, not an object", json_type_name(root->type));
    return;
  }
  c = json_get(root, "case");
  if (!c) {
    respond_error(a, "", 0, "request has no \"case\" member");
    return;
  }
  if (c->type != JSON_STRING) {
    respond_error(a, "", 0, "request's \"case\" is a %s, not a string", json_type_name(c->type));
    return;
  }
  name = c->str;
  name_len = c->len;
  chunks = json_get(root, "chunks");
  if (!chunks) {
    respond_error(a, name, name_len, "request has no \"chunks\" member");
    return;
  }
  if (chunks->type != JSON_ARRAY) {
    respond_error(a, name, name_len, "request's \"chunks\" is a %s, not an array",
                  json_type_name(chunks->type));
    return;
  }
  n = chunks->len;
  if (n > a->lens_cap) {
    size_t cap = a->lens_cap ? a->lens_cap : 256;
    size_t *p;
    while (cap < n) cap *= 2;
    p = realloc(a->lens, cap * sizeof *p);
    if (!p) {
      respond_error(a, name, name_len, "out of memory for %zu chunks", n);
      return;
    }
    a->lens = p;
    a->lens_cap = cap;
  }
  /* decode every chunk in place before feeding any */
  for (v = chunks->child, i = 0; v; v = v->next, i++) {
    if (v->type != JSON_STRING) {
      respond_error(a, name, name_len, "request's chunks[%zu] is a %s, not a string", i,
                    json_type_name(v->type));
      return;
    }
    if (b64_decode(v->str, v->len, (unsigned char *)v->str, &a->lens[i], err, sizeof err) != 0) {
      respond_error(a, name, name_len, "request's chunks[%zu] is not valid base64: %s", i, err);
      return;
    }
  }

  jw_clear(&a->out);
  jw_object_begin(&a->out);
  jw_key(&a->out, "case");
  jw_string(&a->out, name, name_len);
  jw_key(&a->out, "records");
  jw_array_begin(&a->out);

  sse_parser_reset(&a->parser);
  rc = SSE_OK;
  for (v = chunks->child, i = 0; v && rc == SSE_OK; v = v->next, i++)
    rc = sse_parser_feed(&a->parser, v->str, a->lens[i]);
  rc_finish = sse_parser_finish(&a->parser);
  if (rc == SSE_OK) rc = rc_finish;

  if (rc == SSE_ECALLBACK && a->out.err != JW_OK) {
    respond_error(a, name, name_len, "%s (the response would exceed %zu bytes)",
                  jw_strerror(a->out.err), MAX_RESPONSE);
    return;
  }
  if (rc != SSE_OK) {
    const char *msg = sse_parser_error(&a->parser);
    respond_error(a, name, name_len, "%s", msg[0] ? msg : sse_strerror(rc));
    return;
  }
  {
    size_t id_len = 0;
    const char *id = sse_parser_last_event_id(&a->parser, &id_len);
    jw *w = &a->out;
    rj_end(w, RJ_NO_STREAM, id, id_len);
    jw_array_end(w);
    jw_object_end(w);
    jw_raw(w, "\n", 1);
  }
  if (a->out.err != JW_OK) {
    respond_error(a, name, name_len, "%s (the response would exceed %zu bytes)",
                  jw_strerror(a->out.err), MAX_RESPONSE);
    return;
  }
  if (a->out.replaced) {
    /* the parser promises valid UTF-8: say so rather than hide it */
    respond_error(a, name, name_len,
                  "the parser produced ill-formed UTF-8 (%zu invalid sequences replaced)",
                  a->out.replaced);
    return;
  }
  emit(a->out.buf, a->out.len);
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *f) {
  fprintf(f,
          "usage: " PROG " [--limit BYTES] [--max-line BYTES]\n"
          "\n"
          "The ssespec reference parser behind the parser adapter protocol:\n"
          "request lines on stdin, response lines on stdout.\n"
          "\n"
          "  --limit BYTES     the parser's limit on buffered bytes (default %zu)\n"
          "  --max-line BYTES  the longest request line accepted (default %zu: a 64 MiB\n"
          "                    case input sent byte by byte); a longer one is skipped\n"
          "                    and answered with an error\n"
          "  --version         print the parser version\n",
          (size_t)SSE_DEFAULT_LIMIT, MAX_LINE);
}

/* A positive decimal byte count; 0 if s is not one. */
static size_t parse_size(const char *s) {
  uint64_t v;
  return decimal_u64(s, strlen(s), SIZE_MAX, &v) == 0 ? (size_t)v : 0;
}

int main(int argc, char **argv) {
  static adapter a; /* large (the parser state); static storage, not stack */
  static const sse_callbacks cb = {on_event, on_retry, on_comment};
  size_t limit = 0, max_line = 0;
  int i;

  for (i = 1; i < argc; i++) {
    const char *arg = argv[i];
    size_t *dst = NULL;
    const char *val = NULL;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (strcmp(arg, "--version") == 0) {
      printf("%s\n", SSE_VERSION);
      return 0;
    }
    if (strncmp(arg, "--limit", 7) == 0 && (arg[7] == '\0' || arg[7] == '=')) {
      dst = &limit;
      val = arg[7] == '=' ? arg + 8 : (i + 1 < argc ? argv[++i] : NULL);
    } else if (strncmp(arg, "--max-line", 10) == 0 && (arg[10] == '\0' || arg[10] == '=')) {
      dst = &max_line;
      val = arg[10] == '=' ? arg + 11 : (i + 1 < argc ? argv[++i] : NULL);
    } else {
      fprintf(stderr, PROG ": unknown argument '%s'\n", arg);
      usage(stderr);
      return 2;
    }
    if (!val || (*dst = parse_size(val)) == 0) {
      fprintf(stderr, PROG ": %s needs a positive number of bytes\n", arg);
      return 2;
    }
  }

  signal(SIGPIPE, SIG_IGN); /* a closed stdout is reported by write */

  sse_parser_init(&a.parser, &cb, &a);
  if (limit) sse_parser_set_limit(&a.parser, limit);
  jw_init(&a.out, MAX_RESPONSE);
  json_doc_init(&a.doc);
  json_doc_set_limits(&a.doc, MAX_DEPTH, MAX_NODES);
  lr_init(&a.in, STDIN_FILENO, max_line ? max_line : MAX_LINE);
  lr_keep_head(&a.in, a.head, sizeof a.head);
  a.max_line = a.in.max_line;

  {
    static const char hello[] =
        "{\"hello\":{\"name\":\"ssespec-reference\",\"version\":\"" SSE_VERSION
        "\",\"reports\":[\"event\",\"retry\",\"comment\",\"end\"]}}\n";
    emit(hello, sizeof hello - 1);
  }

  for (;;) {
    char *line;
    size_t len;
    int rc = lr_next(&a.in, &line, &len);
    if (rc == LR_LINE) {
      handle(&a, line, len);
    } else if (rc == LR_TOOLONG) {
      respond_skipped(&a, 1, len);
    } else if (rc == LR_ENOMEM && len > 0) {
      respond_skipped(&a, 0, len);
    } else if (rc == LR_EOF) {
      break;
    } else {
      if (rc == LR_EIO)
        fprintf(stderr, PROG ": cannot read stdin: %s\n", strerror(a.in.error));
      else
        fprintf(stderr, PROG ": out of memory\n");
      return 1;
    }
  }

  sse_parser_free(&a.parser);
  jw_free(&a.out);
  json_doc_free(&a.doc);
  lr_free(&a.in);
  free(a.lens);
  return 0;
}
