/*
 * producer_adapter.c - ssespec-producer-adapter: the reference encoder
 * (encoder/sse_encode.h) behind the server adapter protocol, version 1
 * (docs/encoder.md says how; the protocol is the one the server-side
 * harness speaks).
 *
 * JSON Lines on stdin and stdout. First the hello line:
 *
 *   {"hello":{"name":"ssespec-reference","version":V,
 *             "fields":["data","event","id","retry","comment"],"encode":true}}
 *
 * with "url":"http://127.0.0.1:PORT/events" added when started with
 * --serve. Then, for each line read:
 *
 *   {"case":C,"messages":[M,...]}   an encode request, answered with one
 *                                   line: {"case":C,"bytes":BASE64} (the
 *                                   messages encoded in order, one after
 *                                   the other) or {"case":C,"error":TEXT}
 *                                   (a message the encoder refused, or a
 *                                   malformed request)
 *   {"cmd":"send","stream":S,"messages":[M,...]}
 *   {"cmd":"end","stream":S}        commands for served streams (--serve)
 *
 * A message is an object: "data" (string) with optional "event", "id"
 * (strings) and "retry" (an integer from 0 to 2^64-1); or "comment"
 * (string) alone; or "retry" alone. Any other member, a wrong type, or an
 * "event" or "id" without "data" makes the request malformed.
 *
 * A malformed line (not strict JSON, not an object, neither "case" nor
 * "cmd", members of the wrong type) is answered with what was wrong: an
 * error response when its case id can be read, a failure report when its
 * stream id can, and otherwise only a message on stderr. Ids are read from
 * the parsed request, or, when the line is not JSON or is over the bound,
 * from its first HEAD_KEEP bytes (a "case" or "stream" member among the
 * first members of the object, before any array or object value).
 *
 * Bounds: a request line is at most --max-line bytes (default MAX_LINE,
 * 64 MiB); a longer one is read and dropped without being held, and
 * answered as a malformed line ("request line of N bytes is longer than
 * the limit of M bytes"). At most MAX_NODES JSON values per line (about
 * 200,000 messages). The encoding of a line's messages is at most about
 * three times the line (one "\n" in a JSON string, two bytes, becomes
 * "\ndata:", six), its base64 four times; so one request costs at most
 * about 9 times --max-line, 600 MiB at the default.
 *
 * --serve: a single-threaded HTTP/1.1 server on 127.0.0.1 (poll(2)), one
 * request per connection. A GET of /events with ssespec-stream=ID in its
 * query opens stream ID: the adapter reports
 *   {"stream":ID,"kind":"request","method":M,"path":P,"headers":{...}}
 * (header names lower-case, repeated fields joined with ", ") and answers
 * 200 with Content-Type: text/event-stream; charset=utf-8, Cache-Control:
 * no-cache, Connection: close, no Content-Length, the body chunked for
 * HTTP/1.1 and delimited by the end of the connection for HTTP/1.0. On
 * "send" it encodes each message and writes it at once (one chunk each),
 * then reports {"stream":ID,"kind":"sent","count":N}, N the messages
 * written on that stream so far; a refused or malformed message reports
 * {"stream":ID,"kind":"failure","message":TEXT} instead, the messages
 * before it being written. On "end" it writes the terminal chunk (HTTP/1.1)
 * and closes the connection once everything is sent. When the client goes
 * away (end of file or an error reading or writing) it reports
 * {"stream":ID,"kind":"gone"}. Other requests get 400, 404, 405, 409 (an
 * ID already open), 431 or 505 and no report. Up to MAX_CONNS connections
 * at once; bytes a slow client has not taken are kept, up to MAX_PENDING
 * bytes over all streams, past which a send fails. When stdin closes every
 * stream is ended (the terminal chunk written if it can be without
 * waiting) and closed, and the adapter exits 0.
 *
 * stdout carries nothing but protocol lines; diagnostics go to stderr. Exit
 * status 0 when stdin closes, 1 if stdin, stdout or the listening socket
 * fails, 2 for bad arguments.
 */
#define _POSIX_C_SOURCE 200809L
#include "common/base64.h"
#include "common/decimal.h"
#include "common/json.h"
#include "common/records_json.h"
#include "http_request.h"
#include "sse_encode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROG "ssespec-producer-adapter"

#define MAX_LINE ((size_t)64 << 20)    /* bytes in one request line (--max-line) */
#define MAX_RESPONSE ((size_t)1 << 30) /* bytes in one JSON line written (base64 aside) */
#define MAX_NODES ((size_t)1 << 20)    /* JSON values in one request line */
#define MAX_DEPTH 8                    /* nesting in one request line */
#define HEAD_KEEP 4096                 /* first bytes of a line kept to find its id */
#define MAX_CONNS 512                  /* connections at once */
#define MAX_PENDING ((size_t)64 << 20) /* bytes not yet taken by clients, all streams */
#define MAX_STREAM_ID 256              /* bytes in a stream id */
#define READ_SIZE 65536                /* bytes per read(2) */
#define PATH "/events"                 /* the served URL's path */

/* A client connection. */
enum conn_state {
  C_HEAD,    /* reading the request head */
  C_STREAM,  /* an open stream */
  C_CLOSING, /* ended or refused: sending what is left, then closing */
  C_DEAD     /* closed; freed at the end of the loop turn */
};

typedef struct conn {
  int fd;
  enum conn_state state;
  int chunked; /* the body is chunked (HTTP/1.1) */
  char *head;  /* C_HEAD: the request head read so far (HTTP_MAX_HEAD bytes) */
  size_t head_len;
  char *id; /* C_STREAM, C_CLOSING: the stream id */
  size_t id_len;
  uint64_t count; /* messages written on the stream */
  char *out;      /* bytes not yet taken by the client: out[off..len) */
  size_t out_off, out_len, out_cap;
} conn;

typedef struct adapter {
  jw out;       /* the JSON line being built */
  json_doc doc; /* the request, parsed in place */
  size_t max_line;
  /* stdin: the line being read */
  char *line;
  size_t line_len, line_cap;
  int skipping;   /* the line is over the bound: dropped as it arrives */
  size_t skipped; /* its length so far */
  char head[HEAD_KEEP];
  size_t head_len;
  /* encoding */
  char *enc; /* the bytes of an encode request, or one chunk of a send */
  size_t enc_cap;
  char *b64;
  size_t b64_cap;
  /* serving */
  int serve;
  int listen_fd;
  unsigned port;
  conn *conns[MAX_CONNS];
  size_t nconns;
  size_t pending; /* bytes in every connection's out buffer */
  char *scratch;  /* header values joined */
  size_t scratch_cap;
} adapter;

/* ------------------------------------------------------------ output */

/* Write len bytes to stdout (unbuffered). Exits on failure: the harness
 * is gone. */
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

/* End the line in a->out and write it. */
static void emit_out(adapter *a) {
  jw_raw(&a->out, "\n", 1);
  if (a->out.err != JW_OK) {
    fprintf(stderr, PROG ": a line could not be written: %s\n", jw_strerror(a->out.err));
    return;
  }
  emit(a->out.buf, a->out.len);
}

/* Grow *p (of *cap bytes) to hold at least n bytes. Returns 0, or -1 when
 * out of memory. */
static int reserve(char **p, size_t *cap, size_t n) {
  size_t c = *cap ? *cap : 4096;
  char *q;
  if (n <= *cap) return 0;
  while (c < n) c = c > SIZE_MAX / 2 ? n : c * 2;
  q = realloc(*p, c);
  if (!q) return -1;
  *p = q;
  *cap = c;
  return 0;
}

/* {"case":C,"error":TEXT} */
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
  emit_out(a);
}

/* Begin a stream report: {"stream":ID,"kind":KIND */
static void report_begin(adapter *a, const char *id, size_t id_len, const char *kind) {
  jw_clear(&a->out);
  jw_object_begin(&a->out);
  jw_key(&a->out, "stream");
  jw_string(&a->out, id, id_len);
  jw_key(&a->out, "kind");
  jw_cstr(&a->out, kind);
}

/* {"stream":ID,"kind":"failure","message":TEXT} */
static void report_failure(adapter *a, const char *id, size_t id_len, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  jw_clear(&a->out);
  rj_failure(&a->out, (rj_stream){id, id_len}, msg);
  emit_out(a);
}

/* {"stream":ID,"kind":"gone"} or "sent" with its count */
static void report_stream(adapter *a, const conn *c, const char *kind) {
  report_begin(a, c->id, c->id_len, kind);
  if (strcmp(kind, "sent") == 0) {
    jw_key(&a->out, "count");
    jw_uint(&a->out, c->count);
  }
  jw_object_end(&a->out);
  emit_out(a);
}

/* ------------------------------------------------------------ messages */

/* Read the JSON message v into *m (its strings point into the request).
 * Returns 0, or -1 with what is wrong in why. */
static int read_message(const json_value *v, sse_message *m, char *why, size_t whysize) {
  const json_value *data = NULL, *event = NULL, *id = NULL, *retry = NULL, *comment = NULL;
  const json_value *k;
  memset(m, 0, sizeof *m);
  if (v->type != JSON_OBJECT) {
    snprintf(why, whysize, "is a %s, not an object", json_type_name(v->type));
    return -1;
  }
  for (k = v->child; k; k = k->next) {
    const json_value **slot = NULL;
    if (strcmp(k->key, "data") == 0 && k->key_len == 4)
      slot = &data;
    else if (strcmp(k->key, "event") == 0 && k->key_len == 5)
      slot = &event;
    else if (strcmp(k->key, "id") == 0 && k->key_len == 2)
      slot = &id;
    else if (strcmp(k->key, "retry") == 0 && k->key_len == 5)
      slot = &retry;
    else if (strcmp(k->key, "comment") == 0 && k->key_len == 7)
      slot = &comment;
    if (!slot) {
      snprintf(why, whysize,
               "has a member \"%.40s\" (a message has data, event, id, retry or comment)", k->key);
      return -1;
    }
    if (slot != &retry && k->type != JSON_STRING) {
      snprintf(why, whysize, "has a \"%s\" that is a %s, not a string", k->key,
               json_type_name(k->type));
      return -1;
    }
    *slot = k;
  }
  if (retry && json_number_u64(retry, &m->retry) != 0) {
    snprintf(why, whysize, "has a \"retry\" that is not an integer from 0 to %llu",
             (unsigned long long)UINT64_MAX);
    return -1;
  }
  if (comment) {
    if (data || event || id || retry) {
      snprintf(why, whysize, "has a \"comment\" and other members (a comment stands alone)");
      return -1;
    }
    m->kind = SSE_MSG_COMMENT;
    m->comment = comment->str;
    m->comment_len = comment->len;
    return 0;
  }
  if (data) {
    m->kind = SSE_MSG_EVENT;
    m->data = data->str;
    m->data_len = data->len;
    if (event) {
      m->event = event->str;
      m->event_len = event->len;
    }
    if (id) {
      m->id = id->str;
      m->id_len = id->len;
    }
    m->has_retry = retry != NULL;
    return 0;
  }
  if (event || id) {
    snprintf(why, whysize, "has \"%s\" but no \"data\" (an event needs data)",
             event ? "event" : "id");
    return -1;
  }
  if (retry) {
    m->kind = SSE_MSG_RETRY;
    return 0;
  }
  snprintf(why, whysize, "is empty (a message has data, comment or retry)");
  return -1;
}

/* Encode m into a->enc at offset off, leaving room for pre bytes before
 * and post bytes after it (for chunk framing). Returns the encoding's
 * length in *len and SSE_ENC_OK, or the encoder's code with err filled. */
static int encode_at(adapter *a, const sse_message *m, size_t off, size_t post, size_t *len,
                     sse_encode_error *err) {
  size_t size;
  int rc = sse_encoded_size(m, &size, err);
  if (rc != SSE_ENC_OK) return rc;
  if (size > SIZE_MAX - off - post || reserve(&a->enc, &a->enc_cap, off + size + post) != 0) {
    snprintf(err->message, sizeof err->message, "out of memory for %zu bytes", size);
    return SSE_ENC_EINVAL;
  }
  return sse_encode(m, a->enc + off, size, len, err);
}

/* ------------------------------------------------------------ encode */

static void handle_encode(adapter *a, const json_value *root, const json_value *c) {
  const char *name = c->str;
  size_t name_len = c->len, total = 0, i = 0, n;
  const json_value *msgs = json_get(root, "messages"), *v;
  char why[256];

  if (!msgs) {
    respond_error(a, name, name_len, "request has no \"messages\" member");
    return;
  }
  if (msgs->type != JSON_ARRAY) {
    respond_error(a, name, name_len, "request's \"messages\" is a %s, not an array",
                  json_type_name(msgs->type));
    return;
  }
  /* every message is read before any is encoded: a malformed request is
   * told apart from a refusal */
  for (v = msgs->child, i = 0; v; v = v->next, i++) {
    sse_message m;
    if (read_message(v, &m, why, sizeof why) != 0) {
      respond_error(a, name, name_len, "request's messages[%zu] %s", i, why);
      return;
    }
  }
  for (v = msgs->child, i = 0; v; v = v->next, i++) {
    sse_message m;
    sse_encode_error err;
    read_message(v, &m, why, sizeof why);
    if (encode_at(a, &m, total, 0, &n, &err) != SSE_ENC_OK) {
      respond_error(a, name, name_len, "messages[%zu]: %s", i, err.message);
      return;
    }
    total += n;
  }
  n = b64_encoded_len(total);
  if ((total && n == 0) || reserve(&a->b64, &a->b64_cap, n + 1) != 0) {
    respond_error(a, name, name_len, "out of memory for the base64 of %zu bytes", total);
    return;
  }
  b64_encode(a->enc, total, a->b64);
  /* {"case":C,"bytes":" then the base64, then "}: three writes, one line */
  jw_clear(&a->out);
  jw_raw(&a->out, "{\"case\":", 8);
  jw_escape(&a->out, name, name_len);
  jw_raw(&a->out, ",\"bytes\":\"", 10);
  if (a->out.err != JW_OK) {
    respond_error(a, "", 0, "response too large: %s", jw_strerror(a->out.err));
    return;
  }
  emit(a->out.buf, a->out.len);
  emit(a->b64, n);
  emit("\"}\n", 3);
}

/* ------------------------------------------------------------ serving */

static void conn_kill(adapter *a, conn *c) {
  if (c->state == C_DEAD) return;
  close(c->fd);
  a->pending -= c->out_len - c->out_off;
  c->out_len = c->out_off = 0;
  c->state = C_DEAD;
}

/* The client went away: report it if the stream was open. */
static void conn_gone(adapter *a, conn *c) {
  if (c->state == C_STREAM) report_stream(a, c, "gone");
  conn_kill(a, c);
}

/* Send what is pending without waiting. Returns 0, or -1 when the client
 * is gone (the connection is then closed). */
static int conn_flush(adapter *a, conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      conn_gone(a, c);
      return -1;
    }
    c->out_off += (size_t)n;
    a->pending -= (size_t)n;
  }
  c->out_off = c->out_len = 0;
  if (c->state == C_CLOSING) {
    shutdown(c->fd, SHUT_WR);
    conn_kill(a, c);
  }
  return 0;
}

/* Queue n bytes for the client and send what it takes now. Returns 0, or
 * -1 when out of memory (nothing queued) or the client is gone. */
static int conn_write(adapter *a, conn *c, const char *p, size_t n) {
  if (c->out_len + n < n || reserve(&c->out, &c->out_cap, c->out_len + n) != 0) return -1;
  memcpy(c->out + c->out_len, p, n);
  c->out_len += n;
  a->pending += n;
  return conn_flush(a, c);
}

/* Answer a request that opens no stream, and close once it is sent. */
static void conn_refuse(adapter *a, conn *c, int status, const char *reason, const char *extra,
                        const char *text) {
  char buf[512];
  int n = snprintf(buf, sizeof buf,
                   "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "Content-Length: %zu\r\n%sConnection: close\r\n\r\n%s\n",
                   status, reason, strlen(text) + 1, extra, text);
  fprintf(stderr, PROG ": answered %d: %s\n", status, text);
  free(c->head);
  c->head = NULL;
  c->state = C_CLOSING;
  conn_write(a, c, buf, n > 0 && (size_t)n < sizeof buf ? (size_t)n : 0);
}

static conn *find_stream(adapter *a, const char *id, size_t id_len) {
  for (size_t i = 0; i < a->nconns; i++) {
    conn *c = a->conns[i];
    if (c->state == C_STREAM && c->id_len == id_len && memcmp(c->id, id, id_len) == 0) return c;
  }
  return NULL;
}

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* The value of ssespec-stream in the query q[0..n), percent-decoded into
 * out (MAX_STREAM_ID bytes). Returns its length, 0 if absent or empty, or
 * -1 if longer than MAX_STREAM_ID or badly escaped. */
static long stream_param(const char *q, size_t n, char *out) {
  static const char key[] = "ssespec-stream=";
  size_t i = 0;
  while (i < n) {
    size_t end = i;
    while (end < n && q[end] != '&') end++;
    if (end - i >= sizeof key - 1 && memcmp(q + i, key, sizeof key - 1) == 0) {
      size_t len = 0, k;
      for (k = i + sizeof key - 1; k < end; k++) {
        char ch = q[k];
        if (ch == '%') {
          int hi = k + 2 < end ? hexval(q[k + 1]) : -1, lo = hi >= 0 ? hexval(q[k + 2]) : -1;
          if (lo < 0) return -1;
          ch = (char)(hi * 16 + lo);
          k += 2;
        }
        if (len == MAX_STREAM_ID) return -1;
        out[len++] = ch;
      }
      return (long)len;
    }
    i = end + 1;
  }
  return 0;
}

/* Report the request: method, path, headers (lower-case names, repeated
 * fields joined with ", "). The names are lowered in place in c->head. */
static void report_request(adapter *a, conn *c, const struct http_request *rq, const char *path,
                           size_t path_len) {
  size_t i, k;
  for (i = 0; i < rq->nheaders; i++) {
    char *name = c->head + (rq->headers[i].name.p - c->head);
    for (k = 0; k < rq->headers[i].name.n; k++)
      if (name[k] >= 'A' && name[k] <= 'Z') name[k] = (char)(name[k] - 'A' + 'a');
  }
  report_begin(a, c->id, c->id_len, "request");
  jw_key(&a->out, "method");
  jw_string(&a->out, rq->method.p, rq->method.n);
  jw_key(&a->out, "path");
  jw_string(&a->out, path, path_len);
  jw_key(&a->out, "headers");
  jw_object_begin(&a->out);
  for (i = 0; i < rq->nheaders; i++) {
    const struct http_span *name = &rq->headers[i].name;
    size_t len = 0;
    for (k = 0; k < i; k++) /* already written with an earlier field */
      if (rq->headers[k].name.n == name->n && memcmp(rq->headers[k].name.p, name->p, name->n) == 0)
        break;
    if (k < i) continue;
    for (k = i; k < rq->nheaders; k++) {
      const struct http_span *v = &rq->headers[k].value;
      if (rq->headers[k].name.n != name->n || memcmp(rq->headers[k].name.p, name->p, name->n) != 0)
        continue;
      if (reserve(&a->scratch, &a->scratch_cap, len + 2 + v->n) != 0) break;
      if (len) {
        memcpy(a->scratch + len, ", ", 2);
        len += 2;
      }
      memcpy(a->scratch + len, v->p, v->n);
      len += v->n;
    }
    jw_keyn(&a->out, name->p, name->n);
    jw_string(&a->out, a->scratch, len);
  }
  jw_object_end(&a->out);
  jw_object_end(&a->out);
  emit_out(a);
}

/* A whole request head is in c->head: open the stream or refuse. */
static void open_stream(adapter *a, conn *c, const struct http_request *rq) {
  static const char head11[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Type: text/event-stream; charset=utf-8\r\n"
                               "Cache-Control: no-cache\r\n"
                               "Transfer-Encoding: chunked\r\n"
                               "Connection: close\r\n\r\n";
  static const char head10[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Type: text/event-stream; charset=utf-8\r\n"
                               "Cache-Control: no-cache\r\n"
                               "Connection: close\r\n\r\n";
  const char *path = rq->target.p, *q;
  size_t path_len = rq->target.n, plen;
  char id[MAX_STREAM_ID];
  long idn;

  if (rq->method.n != 3 || memcmp(rq->method.p, "GET", 3) != 0) {
    conn_refuse(a, c, 405, "Method Not Allowed", "Allow: GET\r\n", "only GET opens a stream");
    return;
  }
  /* an absolute target (http://host/path?query): its path and query */
  if ((path_len >= 7 && strncmp(path, "http://", 7) == 0) ||
      (path_len >= 8 && strncmp(path, "https://", 8) == 0)) {
    size_t skip = path[4] == ':' ? 7 : 8;
    const char *slash = memchr(path + skip, '/', path_len - skip);
    const char *qm = memchr(path + skip, '?', path_len - skip);
    if (qm && (!slash || qm < slash)) slash = qm;
    if (slash) {
      path_len -= (size_t)(slash - path);
      path = slash;
    } else {
      path = "/";
      path_len = 1;
    }
  }
  q = memchr(path, '?', path_len);
  plen = q ? (size_t)(q - path) : path_len;
  if (plen != sizeof PATH - 1 || memcmp(path, PATH, plen) != 0) {
    conn_refuse(a, c, 404, "Not Found", "", "the stream is at " PATH "?ssespec-stream=ID");
    return;
  }
  idn = q ? stream_param(q + 1, path_len - plen - 1, id) : 0;
  if (idn <= 0) {
    conn_refuse(a, c, 400, "Bad Request", "",
                idn < 0 ? "ssespec-stream is badly escaped or over 256 bytes"
                        : "no ssespec-stream=ID in the query");
    return;
  }
  if (find_stream(a, id, (size_t)idn)) {
    conn_refuse(a, c, 409, "Conflict", "", "that ssespec-stream is already open");
    return;
  }
  c->id = malloc((size_t)idn);
  if (!c->id) {
    conn_refuse(a, c, 503, "Service Unavailable", "", "out of memory");
    return;
  }
  memcpy(c->id, id, (size_t)idn);
  c->id_len = (size_t)idn;
  c->chunked = http_span_eq(rq->version, "HTTP/1.1");
  c->state = C_STREAM;
  report_request(a, c, rq, path, path_len);
  free(c->head);
  c->head = NULL;
  if (c->chunked)
    conn_write(a, c, head11, sizeof head11 - 1);
  else
    conn_write(a, c, head10, sizeof head10 - 1);
}

/* Bytes arrived from a client (or its end, or an error). */
static void conn_read(adapter *a, conn *c) {
  char buf[READ_SIZE];
  for (;;) {
    char *dst = buf;
    size_t room = sizeof buf;
    ssize_t n;
    if (c->state == C_HEAD) {
      dst = c->head + c->head_len;
      room = HTTP_MAX_HEAD - c->head_len;
    }
    n = recv(c->fd, dst, room, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      conn_gone(a, c);
      return;
    }
    if (c->state != C_HEAD) continue; /* nothing more is read from a stream's client */
    c->head_len += (size_t)n;
    {
      struct http_request rq;
      const char *why = "";
      switch (http_parse_request(c->head, c->head_len, &rq, &why)) {
      case HTTP_OK:
        open_stream(a, c, &rq);
        break;
      case HTTP_INCOMPLETE:
        if (c->head_len < HTTP_MAX_HEAD) continue;
        conn_refuse(a, c, 431, "Request Header Fields Too Large", "", "request head over 16 KiB");
        break;
      case HTTP_TOO_LARGE:
        conn_refuse(a, c, 431, "Request Header Fields Too Large", "", "too many header fields");
        break;
      case HTTP_BAD_VERSION:
        conn_refuse(a, c, 505, "HTTP Version Not Supported", "", "HTTP/1.0 and 1.1 only");
        break;
      default:
        conn_refuse(a, c, 400, "Bad Request", "", why[0] ? why : "malformed request");
        break;
      }
    }
    if (c->state == C_DEAD) return;
  }
}

static void accept_all(adapter *a) {
  static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                             "Connection: close\r\n\r\n";
  for (;;) {
    int fd = accept(a->listen_fd, NULL, NULL);
    conn *c = NULL;
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        fprintf(stderr, PROG ": accept: %s\n", strerror(errno));
      return;
    }
    if (a->nconns < MAX_CONNS && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 &&
        (c = calloc(1, sizeof *c)) != NULL && (c->head = malloc(HTTP_MAX_HEAD)) != NULL) {
      c->fd = fd;
      c->state = C_HEAD;
      a->conns[a->nconns++] = c;
      continue;
    }
    /* no room: say so if the socket takes it at once, and close */
    fprintf(stderr, PROG ": %s: answered 503\n",
            a->nconns == MAX_CONNS ? "too many connections" : "out of memory");
    free(c);
    if (send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
      /* best effort */
    }
    close(fd);
  }
}

/* Free the connections closed during this loop turn. */
static void sweep(adapter *a) {
  size_t i = 0;
  while (i < a->nconns) {
    conn *c = a->conns[i];
    if (c->state != C_DEAD) {
      i++;
      continue;
    }
    free(c->head);
    free(c->id);
    free(c->out);
    free(c);
    a->conns[i] = a->conns[--a->nconns];
  }
}

/* End a stream: the terminal chunk, then close once everything is sent. */
static void stream_end(adapter *a, conn *c) {
  c->state = C_CLOSING;
  if (c->chunked)
    conn_write(a, c, "0\r\n\r\n", 5);
  else
    conn_flush(a, c);
}

/* ------------------------------------------------------------ commands */

static void handle_send(adapter *a, conn *c, const json_value *root) {
  const json_value *msgs = json_get(root, "messages"), *v;
  char why[256];
  size_t i;
  if (!msgs || msgs->type != JSON_ARRAY) {
    report_failure(a, c->id, c->id_len, "send: \"messages\" is %s, not an array",
                   msgs ? json_type_name(msgs->type) : "missing");
    return;
  }
  for (v = msgs->child, i = 0; v; v = v->next, i++) {
    sse_message m;
    sse_encode_error err;
    size_t n, pre = 0;
    char size[24];
    if (read_message(v, &m, why, sizeof why) != 0) {
      report_failure(a, c->id, c->id_len, "send: messages[%zu] %s", i, why);
      return;
    }
    if (a->pending > MAX_PENDING) {
      report_failure(a, c->id, c->id_len,
                     "send: messages[%zu] not written: %zu bytes wait for clients that do not "
                     "read (the limit is %zu)",
                     i, a->pending, MAX_PENDING);
      return;
    }
    /* one chunk per message: SIZE CRLF BYTES CRLF, the size hex, at most
     * 16 digits */
    if (c->chunked) pre = 18;
    if (encode_at(a, &m, pre, 2, &n, &err) != SSE_ENC_OK) {
      report_failure(a, c->id, c->id_len, "messages[%zu]: %s", i, err.message);
      return;
    }
    if (c->chunked) {
      int k = snprintf(size, sizeof size, "%zx\r\n", n);
      pre = (size_t)k;
      memcpy(a->enc + 18 - pre, size, pre);
      memcpy(a->enc + 18 + n, "\r\n", 2);
      n += pre + 2;
    }
    if (conn_write(a, c, a->enc + (c->chunked ? 18 - pre : 0), n) != 0) {
      if (c->state == C_STREAM) /* out of memory, not gone */
        report_failure(a, c->id, c->id_len, "send: out of memory for %zu bytes", n);
      return;
    }
    c->count++;
  }
  report_stream(a, c, "sent");
}

static void handle_command(adapter *a, const json_value *root, const json_value *cmd) {
  const json_value *s = json_get(root, "stream");
  conn *c;
  if (!s || s->type != JSON_STRING) {
    fprintf(stderr, PROG ": a command without a \"stream\" string: not carried out\n");
    return;
  }
  if (cmd->type != JSON_STRING || !((cmd->len == 4 && memcmp(cmd->str, "send", 4) == 0) ||
                                    (cmd->len == 3 && memcmp(cmd->str, "end", 3) == 0))) {
    report_failure(a, s->str, s->len, "unknown command (\"cmd\" is \"send\" or \"end\")");
    return;
  }
  if (!a->serve) {
    report_failure(a, s->str, s->len, "no streams are served (the adapter runs without --serve)");
    return;
  }
  c = find_stream(a, s->str, s->len);
  if (!c) {
    report_failure(a, s->str, s->len, "%s: no open stream with that id", cmd->str);
    return;
  }
  if (cmd->len == 3)
    stream_end(a, c);
  else
    handle_send(a, c, root);
}

/* ------------------------------------------------------------ requests */

/* The end of JSON whitespace from s[i] on (at most n). */
static size_t skip_ws(const char *s, size_t i, size_t n) {
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) i++;
  return i;
}

/* One past the closing quote of the JSON string token at s[i], or 0. */
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

/* The "case" or "stream" id of a line that could not be parsed, from its
 * first bytes in a->head: the first such member among the object's first
 * members, before any array or object value. Returns 1 (case) or 2
 * (stream) with the decoded id in *id, *id_len (inside a->head), or 0. */
static int id_from_head(adapter *a, const char **id, size_t *id_len) {
  char *s = a->head;
  size_t n = a->head_len, i = skip_ws(s, 0, n), k;
  json_value *v;
  if (i >= n || s[i] != '{') return 0;
  for (;;) {
    int which;
    i = skip_ws(s, i + 1, n);
    k = string_end(s, i, n);
    if (!k || json_parse(&a->doc, s + i, k - i, &v) != JSON_OK) return 0;
    which = v->len == 4 && memcmp(v->str, "case", 4) == 0     ? 1
            : v->len == 6 && memcmp(v->str, "stream", 6) == 0 ? 2
                                                              : 0;
    i = skip_ws(s, k, n);
    if (i >= n || s[i] != ':') return 0;
    i = skip_ws(s, i + 1, n);
    if (i < n && s[i] == '"') {
      k = string_end(s, i, n);
      if (!k || json_parse(&a->doc, s + i, k - i, &v) != JSON_OK) return 0;
      if (which) {
        *id = v->str;
        *id_len = v->len;
        return which;
      }
      i = k;
    } else {
      while (i < n && s[i] != ',' && s[i] != '}' && s[i] != '[' && s[i] != '{') i++;
    }
    i = skip_ws(s, i, n);
    if (i >= n || s[i] != ',') return 0;
  }
}

/* A line that is not a request: answer under its id if one can be read
 * from its first bytes, else say so on stderr. */
static void malformed(adapter *a, const char *fmt, ...) {
  char msg[512];
  const char *id;
  size_t id_len;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  switch (id_from_head(a, &id, &id_len)) {
  case 1:
    respond_error(a, id, id_len, "%s", msg);
    break;
  case 2:
    report_failure(a, id, id_len, "%s", msg);
    break;
  default:
    fprintf(stderr, PROG ": %s (no case or stream id at its start: not answered)\n", msg);
  }
}

static void keep_head(adapter *a, const char *line, size_t len) {
  a->head_len = len < HEAD_KEEP ? len : HEAD_KEEP;
  memcpy(a->head, line, a->head_len);
}

static void handle_line(adapter *a, char *line, size_t len) {
  json_value *root, *c, *cmd;
  keep_head(a, line, len);
  if (json_parse(&a->doc, line, len, &root) != JSON_OK) {
    malformed(a, "request is not valid JSON: %s", json_doc_error(&a->doc));
    return;
  }
  if (root->type != JSON_OBJECT) {
    fprintf(stderr, PROG ": a line is a JSON %s, not an object: not answered\n",
            json_type_name(root->type));
    return;
  }
  c = json_get(root, "case");
  cmd = json_get(root, "cmd");
  if (c && cmd) {
    if (c->type == JSON_STRING)
      respond_error(a, c->str, c->len, "request has both \"case\" and \"cmd\"");
    else
      fprintf(stderr, PROG ": a line has both \"case\" and \"cmd\": not answered\n");
    return;
  }
  if (cmd) {
    handle_command(a, root, cmd);
    return;
  }
  if (!c) {
    fprintf(stderr, PROG ": a line has neither \"case\" nor \"cmd\": not answered\n");
    return;
  }
  if (c->type != JSON_STRING) {
    fprintf(stderr, PROG ": a request's \"case\" is a %s, not a string: not answered\n",
            json_type_name(c->type));
    return;
  }
  handle_encode(a, root, c);
}

/* Take n bytes read from stdin: lines are handled as they complete; a line
 * over the bound is dropped as it arrives, keeping its first bytes. */
static void take_input(adapter *a, const char *p, size_t n) {
  while (n > 0) {
    const char *nl = memchr(p, '\n', n);
    size_t k = nl ? (size_t)(nl - p) : n;
    if (!a->skipping && k > a->max_line - a->line_len) {
      /* over the bound: keep its first bytes, drop the rest */
      size_t from_line = a->line_len < HEAD_KEEP ? a->line_len : HEAD_KEEP;
      size_t from_p = HEAD_KEEP - from_line < k ? HEAD_KEEP - from_line : k;
      if (from_line) memcpy(a->head, a->line, from_line);
      memcpy(a->head + from_line, p, from_p);
      a->head_len = from_line + from_p;
      a->skipping = 1;
      a->skipped = a->line_len;
      a->line_len = 0;
    }
    if (a->skipping) {
      a->skipped += k;
    } else {
      if (reserve(&a->line, &a->line_cap, a->line_len + k) != 0) {
        fprintf(stderr, PROG ": out of memory for a request line of %zu bytes\n", a->line_len + k);
        exit(1);
      }
      memcpy(a->line + a->line_len, p, k);
      a->line_len += k;
    }
    if (!nl) return;
    if (a->skipping) {
      malformed(a, "request line of %zu bytes is longer than the limit of %zu bytes", a->skipped,
                a->max_line);
      a->skipping = 0;
    } else {
      handle_line(a, a->line, a->line_len);
    }
    a->line_len = 0;
    p += k + 1;
    n -= k + 1;
  }
}

/* ------------------------------------------------------------ main */

static void usage(FILE *f) {
  fprintf(f,
          "usage: " PROG " [--serve [--port PORT]] [--max-line BYTES]\n"
          "\n"
          "The ssespec reference encoder behind the server adapter protocol:\n"
          "request lines on stdin, response and report lines on stdout.\n"
          "\n"
          "  --serve           also serve streams over HTTP at http://127.0.0.1:PORT" PATH "\n"
          "  --port PORT       the port to listen on (default 0: any free port)\n"
          "  --max-line BYTES  the longest request line accepted (default %zu);\n"
          "                    a longer one is dropped and answered as malformed\n"
          "  --version         print the encoder version\n",
          MAX_LINE);
}

static int listen_loopback(adapter *a, unsigned port) {
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 256) != 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &len) != 0 ||
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  a->listen_fd = fd;
  a->port = ntohs(sa.sin_port);
  return 0;
}

static void hello(adapter *a) {
  jw_clear(&a->out);
  jw_object_begin(&a->out);
  jw_key(&a->out, "hello");
  jw_object_begin(&a->out);
  jw_key(&a->out, "name");
  jw_cstr(&a->out, "ssespec-reference");
  jw_key(&a->out, "version");
  jw_cstr(&a->out, SSE_ENCODE_VERSION);
  jw_key(&a->out, "fields");
  jw_array_begin(&a->out);
  jw_cstr(&a->out, "data");
  jw_cstr(&a->out, "event");
  jw_cstr(&a->out, "id");
  jw_cstr(&a->out, "retry");
  jw_cstr(&a->out, "comment");
  jw_array_end(&a->out);
  jw_key(&a->out, "encode");
  jw_bool(&a->out, 1);
  if (a->serve) {
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u" PATH, a->port);
    jw_key(&a->out, "url");
    jw_cstr(&a->out, url);
  }
  jw_object_end(&a->out);
  jw_object_end(&a->out);
  emit_out(a);
}

int main(int argc, char **argv) {
  static adapter a; /* large (the connection table); static storage, not stack */
  static struct pollfd pfd[MAX_CONNS + 2];
  static conn *polled[MAX_CONNS + 2];
  uint64_t port = 0, max_line = MAX_LINE;
  int port_given = 0, stdin_open = 1, i;

  for (i = 1; i < argc; i++) {
    const char *arg = argv[i];
    uint64_t *dst = NULL, max = 0;
    const char *val = NULL;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (strcmp(arg, "--version") == 0) {
      printf("%s\n", SSE_ENCODE_VERSION);
      return 0;
    }
    if (strcmp(arg, "--serve") == 0) {
      a.serve = 1;
      continue;
    }
    if (strncmp(arg, "--port", 6) == 0 && (arg[6] == '\0' || arg[6] == '=')) {
      dst = &port;
      max = 65535;
      port_given = 1;
      val = arg[6] == '=' ? arg + 7 : (i + 1 < argc ? argv[++i] : NULL);
    } else if (strncmp(arg, "--max-line", 10) == 0 && (arg[10] == '\0' || arg[10] == '=')) {
      dst = &max_line;
      max = SIZE_MAX / 4;
      val = arg[10] == '=' ? arg + 11 : (i + 1 < argc ? argv[++i] : NULL);
    } else {
      fprintf(stderr, PROG ": unknown argument '%s'\n", arg);
      usage(stderr);
      return 2;
    }
    if (!val || decimal_u64(val, strlen(val), max, dst) != 0 || (dst == &max_line && !*dst)) {
      fprintf(stderr, PROG ": %s needs a number from %d to %llu\n", arg, dst == &port ? 0 : 1,
              (unsigned long long)max);
      return 2;
    }
  }
  if (port_given && !a.serve) {
    fprintf(stderr, PROG ": --port goes with --serve\n");
    return 2;
  }

  signal(SIGPIPE, SIG_IGN); /* a closed stdout or socket is reported by write */
  jw_init(&a.out, MAX_RESPONSE);
  json_doc_init(&a.doc);
  json_doc_set_limits(&a.doc, MAX_DEPTH, MAX_NODES);
  a.max_line = (size_t)max_line;
  a.listen_fd = -1;
  if (a.serve && listen_loopback(&a, (unsigned)port) != 0) {
    fprintf(stderr, PROG ": cannot listen on 127.0.0.1:%llu: %s\n", (unsigned long long)port,
            strerror(errno));
    return 1;
  }
  hello(&a);

  while (stdin_open) {
    size_t n = 0, k;
    /* stdin at 0, the listening socket at 1 (when serving), then the
     * connections */
    pfd[n].fd = STDIN_FILENO;
    pfd[n].events = POLLIN;
    polled[n++] = NULL;
    if (a.serve) {
      pfd[n].fd = a.listen_fd;
      pfd[n].events = POLLIN;
      polled[n++] = NULL;
    }
    for (k = 0; k < a.nconns; k++) {
      conn *c = a.conns[k];
      pfd[n].fd = c->fd;
      pfd[n].events =
          (short)((c->state != C_CLOSING ? POLLIN : 0) | (c->out_off < c->out_len ? POLLOUT : 0));
      polled[n++] = c;
    }
    if (poll(pfd, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, PROG ": poll: %s\n", strerror(errno));
      return 1;
    }
    /* connections first: commands from stdin may close some */
    for (k = 0; k < n; k++) {
      conn *c = polled[k];
      if (!c || !pfd[k].revents || c->state == C_DEAD) continue;
      if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) conn_read(&a, c);
      if (c->state != C_DEAD && (pfd[k].revents & (POLLOUT | POLLERR))) conn_flush(&a, c);
      if (c->state == C_CLOSING && (pfd[k].revents & (POLLHUP | POLLERR))) conn_kill(&a, c);
    }
    if (a.serve && pfd[1].revents) accept_all(&a);
    if (pfd[0].revents) {
      char buf[READ_SIZE];
      ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
      if (r < 0 && errno != EINTR && errno != EAGAIN) {
        fprintf(stderr, PROG ": cannot read stdin: %s\n", strerror(errno));
        return 1;
      }
      if (r > 0) take_input(&a, buf, (size_t)r);
      if (r == 0) {
        stdin_open = 0;
        if (a.skipping || a.line_len) take_input(&a, "\n", 1); /* a last line without LF */
      }
    }
    sweep(&a);
  }

  /* stdin closed: end every stream without waiting, close everything */
  for (size_t k = 0; k < a.nconns; k++) {
    conn *c = a.conns[k];
    if (c->state == C_STREAM)
      stream_end(&a, c);
    else if (c->state == C_CLOSING)
      conn_flush(&a, c);
    conn_kill(&a, c);
  }
  sweep(&a);
  if (a.listen_fd >= 0) close(a.listen_fd);
  jw_free(&a.out);
  json_doc_free(&a.doc);
  free(a.line);
  free(a.enc);
  free(a.b64);
  free(a.scratch);
  return 0;
}
