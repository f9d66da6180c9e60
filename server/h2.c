/*
 * h2.c - HTTP/2 for the scenario server, by nghttp2 (see server_int.h and
 * docs/server.md "HTTP/2").
 *
 * Every request stream plays one scenario step, as a connection does over
 * HTTP/1.1: the same runs, logs and body segments. nghttp2 parses and
 * serializes frames; this file feeds it the bytes read from the socket
 * (nghttp2_session_mem_recv) and writes out what it serializes
 * (nghttp2_session_mem_send), one frame's bytes per write.
 *
 * A body action's segments are released to a stream's data source one
 * piece at a time; each segment is handed out as its own DATA frame(s),
 * never merged with the next. The player goes on once the frame that ended
 * the piece has been written (on_frame_send), so the 30 ms pause between
 * pieces runs from the moment a piece is out, as over HTTP/1.1. `close`
 * ends the stream with END_STREAM, `abort` with RST_STREAM, `goaway` sends
 * GOAWAY and then closes the whole connection.
 *
 * nghttp2 is never entered again from its own callbacks: writing happens
 * after mem_recv or mem_send has returned (h->busy guards it).
 */
#define _GNU_SOURCE
#include "server_int.h"

#include <nghttp2/nghttp2.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define H2_READ_BUDGET ((size_t)256 << 10)   /* bytes read per event */
#define H2_MAX_FIELDS (HTTP_MAX_HEADERS + 8) /* pseudo-header fields besides */

struct field {
  size_t name, nlen, value, vlen; /* offsets into the stream's header bytes */
};

struct h2_stream {
  struct h2_stream *prev, *next;
  struct h2_session *h;
  int32_t id;
  struct timer tm;
  struct play play;
  /* the request head as it arrives */
  char *hb;
  size_t hb_len, hb_cap;
  struct field *f;
  size_t nf;
  int too_large;
  int answered;
  /* the response body handed to nghttp2: segments [seg_i, seg_end) of
   * play.act, seg_off bytes of seg_i already out */
  size_t seg_i, seg_end, seg_off;
  enum sc_action_kind rel_kind; /* the action they belong to */
  int waiting_sent;             /* the player waits until they are written */
  int ends_release;             /* the DATA frame just handed out ended them */
  int eof;                      /* END_STREAM after them (and fin) */
  int eof_close;                /* that END_STREAM is the scenario's close */
  struct prepared fin;          /* the encoder's last bytes, before END_STREAM */
  size_t fin_off;
  int bodyless; /* the head ends the response (HEAD, 204, 304, an empty length body) */
  /* a fixed response (404, static, 431) */
  char *fixed;
  size_t fixed_len, fixed_off;
  int is_fixed;
};

struct h2_session {
  nghttp2_session *ng;
  struct conn *c;
  struct h2_stream *streams;
  int busy;        /* inside mem_recv or mem_send */
  int goaway;      /* a scenario's goaway: close once the GOAWAY frame is out */
  int goaway_sent; /* a GOAWAY frame was written */
  int fatal;       /* the session failed: close once the GOAWAY is out */
};

static int h2_send(struct conn *c);

int32_t h2_stream_id(const struct h2_stream *st) {
  return st->id;
}

static void h2_log_error(struct conn *c, const char *what, const char *detail) {
  jw *w = log_begin(c->srv, "h2-error");
  log_conn_fields(w, c);
  jw_key(w, "message");
  jw_cstr(w, what);
  if (detail) {
    jw_key(w, "detail");
    jw_cstr(w, detail);
  }
  log_end(c->srv);
}

/* ------------------------------------------------------------ streams */

static struct h2_stream *stream_new(struct h2_session *h, int32_t id) {
  struct h2_stream *st = calloc(1, sizeof *st);
  struct server *s = h->c->srv;
  if (!st) return NULL;
  st->h = h;
  st->id = id;
  st->tm.heap_idx = SIZE_MAX;
  st->tm.conn = h->c;
  st->tm.stream = st;
  st->play.conn = h->c;
  st->play.stream = st;
  st->next = h->streams;
  if (h->streams) h->streams->prev = st;
  h->streams = st;
  s->nstreams++;
  if (s->nstreams > s->max_streams) s->max_streams = s->nstreams;
  return st;
}

/* Free a stream (its step ended first, with how). */
static void stream_free(struct h2_stream *st, const char *how) {
  struct h2_session *h = st->h;
  if (st->play.run) end_step(&st->play, how);
  timer_clear(&st->tm);
  if (st->prev)
    st->prev->next = st->next;
  else
    h->streams = st->next;
  if (st->next) st->next->prev = st->prev;
  h->c->srv->nstreams--;
  play_release(&st->play);
  free(st->fin.buf);
  free(st->fin.segs);
  free(st->hb);
  free(st->f);
  free(st->fixed);
  free(st);
}

/* ------------------------------------------------------------ responses */

/* The data source of every response with a body. */
static ssize_t read_cb(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t length,
                       uint32_t *flags, nghttp2_data_source *src, void *user) {
  struct h2_stream *st = src->ptr;
  struct play *p = &st->play;
  struct prepared *pr = &p->act;
  (void)ng, (void)id, (void)user;
  if (st->is_fixed) {
    size_t n = st->fixed_len - st->fixed_off;
    if (n > length) n = length;
    if (n) memcpy(buf, st->fixed + st->fixed_off, n);
    st->fixed_off += n;
    if (st->fixed_off == st->fixed_len) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
  }
  while (st->seg_i < st->seg_end && pr->segs[st->seg_i].len == 0) st->seg_i++;
  if (st->seg_i < st->seg_end) {
    const struct segment *sg = &pr->segs[st->seg_i];
    size_t n = sg->len - st->seg_off;
    if (n > length) n = length;
    memcpy(buf, pr->buf + sg->off + st->seg_off, n);
    st->seg_off += n;
    if (st->rel_kind != SC_RAW) p->body_sent += n;
    if (st->seg_off == sg->len) {
      st->seg_i++;
      st->seg_off = 0;
      if (st->seg_i == st->seg_end) st->ends_release = 1;
    }
    /* a Content-Length body ends with its last byte */
    if (p->framing == SC_LENGTH && st->rel_kind != SC_RAW && p->body_sent >= p->content_length &&
        st->seg_i == st->seg_end)
      *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
  }
  if (st->eof) {
    size_t n = st->fin.len - st->fin_off;
    if (n > length) n = length;
    if (n) memcpy(buf, st->fin.buf + st->fin_off, n);
    st->fin_off += n;
    p->body_sent += n;
    if (st->fin_off == st->fin.len) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
  }
  return NGHTTP2_ERR_DEFERRED;
}

static int add_nv(nghttp2_nv *nv, size_t *n, const char *name, size_t nlen, const char *value,
                  size_t vlen) {
  nv[*n].name = (uint8_t *)(uintptr_t)name;
  nv[*n].namelen = nlen;
  nv[*n].value = (uint8_t *)(uintptr_t)value;
  nv[*n].valuelen = vlen;
  nv[*n].flags = NGHTTP2_NV_FLAG_NONE;
  (*n)++;
  return 0;
}

/* A fixed response: status, Content-Type, Content-Length, no-store. */
static void h2_reply(struct h2_stream *st, int status, const char *ctype, const char *body,
                     size_t len, int head_only) {
  nghttp2_nv nv[4];
  size_t n = 0;
  char code[8], clen[24];
  nghttp2_data_provider prd;
  snprintf(code, sizeof code, "%d", status);
  snprintf(clen, sizeof clen, "%zu", len);
  add_nv(nv, &n, ":status", 7, code, strlen(code));
  add_nv(nv, &n, "content-type", 12, ctype, strlen(ctype));
  add_nv(nv, &n, "content-length", 14, clen, strlen(clen));
  add_nv(nv, &n, "cache-control", 13, "no-store", 8);
  st->is_fixed = 1;
  if (!head_only && len > 0) {
    st->fixed = malloc(len);
    if (!st->fixed) {
      nghttp2_submit_rst_stream(st->h->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
      return;
    }
    memcpy(st->fixed, body, len);
    st->fixed_len = len;
    prd.source.ptr = st;
    prd.read_callback = read_cb;
  }
  if (nghttp2_submit_response(st->h->ng, st->id, nv, n, st->fixed ? &prd : NULL) != 0)
    nghttp2_submit_rst_stream(st->h->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
}

/* Header fields that are HTTP/1.1's connection's own: an HTTP/2 message
 * with them is malformed (RFC 9113 8.2.2), so they are not sent. */
static int connection_specific(const char *name) {
  static const char *const names[] = {"connection", "keep-alive", "proxy-connection",
                                      "transfer-encoding", "upgrade"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcasecmp(name, names[i]) == 0) return 1;
  return 0;
}

static void h2_play(struct h2_stream *st);

/* Start step `step` of run r on the stream: the HEADERS, then the actions. */
static void h2_start_step(struct h2_stream *st, struct run *r, size_t step,
                          const struct http_request *rq, int head_only) {
  struct conn *c = st->h->c;
  struct play *p = &st->play;
  const struct sc_connection *sc = &r->sc->conns[step];
  size_t cap = sc->nheaders + 5, n = 0, bytes = 0, dropped = 0;
  nghttp2_nv *nv = calloc(cap, sizeof *nv);
  char **owned = calloc(cap, sizeof *owned);
  char code[8], clen[24];
  int with_length, rc;
  nghttp2_data_provider prd;
  jw *w;
  if (!nv || !owned || play_begin(p, c, r, step, rq, head_only, 0) < 0) {
    free(nv);
    free(owned);
    nghttp2_submit_rst_stream(st->h->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
    end_step(p, "error");
    return;
  }
  if (sc->omit_head) {
    /* no HEADERS frame: the actions (wait, abort, goaway, hold) play on a
     * stream that never sees a response */
    free(nv);
    free(owned);
    h2_play(st);
    return;
  }
  snprintf(code, sizeof code, "%d", sc->status);
  add_nv(nv, &n, ":status", 7, code, strlen(code));
  for (size_t i = 0; i < sc->nheaders; i++) {
    const char *name = sc->headers[i].name;
    size_t nl = strlen(name), vl = play_exp_len(p, &sc->headers[i].value);
    char *buf;
    if (connection_specific(name)) {
      dropped++;
      continue;
    }
    buf = malloc(nl + vl + 1);
    if (!buf) continue;
    for (size_t k = 0; k < nl; k++)
      buf[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ? name[k] + 32 : name[k]);
    play_expand(p, &sc->headers[i].value, buf + nl);
    owned[n] = buf;
    add_nv(nv, &n, buf, nl, buf + nl, vl);
  }
  if (sc->add_content_type) add_nv(nv, &n, "content-type", 12, "text/event-stream", 17);
  if (p->coding != SC_IDENTITY)
    add_nv(nv, &n, "content-encoding", 16, sc_coding_name(p->coding),
           strlen(sc_coding_name(p->coding)));
  with_length = sc->has_body && p->framing == SC_LENGTH;
  if (with_length) {
    int own = 0;
    for (size_t i = 0; i < sc->nheaders; i++)
      if (strcasecmp(sc->headers[i].name, "content-length") == 0) own = 1;
    snprintf(clen, sizeof clen, "%llu", (unsigned long long)p->content_length);
    if (!own) add_nv(nv, &n, "content-length", 14, clen, strlen(clen));
  }
  for (size_t i = 0; i < n; i++) bytes += nv[i].namelen + nv[i].valuelen;
  st->bodyless = !sc->has_body || head_only || (with_length && p->content_length == 0);
  if (!st->bodyless && with_length && p->enc && p->last_body_action == SIZE_MAX) {
    /* an encoded Content-Length body without send actions: the encoding
     * of the empty body, and END_STREAM */
    if (body_finish(p, &st->fin) == 0) st->eof = 1;
  }
  prd.source.ptr = st;
  prd.read_callback = read_cb;
  rc = nghttp2_submit_response(st->h->ng, st->id, nv, n, st->bodyless ? NULL : &prd);
  for (size_t i = 0; i < n; i++) free(owned[i]);
  free(owned);
  free(nv);
  w = log_begin(c->srv, "head");
  log_run_fields(w, p, r, step);
  jw_key(w, "status");
  jw_int(w, sc->status);
  jw_key(w, "bytes");
  jw_uint(w, bytes);
  if (with_length) {
    jw_key(w, "content_length");
    jw_uint(w, p->content_length);
  }
  jw_key(w, "framing");
  jw_cstr(w, !sc->has_body ? "none" : with_length ? "length" : "h2");
  jw_key(w, "body");
  jw_bool(w, sc->has_body && !head_only);
  jw_key(w, "content_encoding");
  jw_cstr(w, sc_coding_name(p->coding));
  if (dropped) {
    jw_key(w, "dropped_headers");
    jw_uint(w, dropped);
  }
  if (sc->coding != SC_IDENTITY && p->coding == SC_IDENTITY && sc->has_body) {
    jw_key(w, "note");
    jw_cstr(w, sc->coding == SC_GZIP ? "the request did not offer gzip: sent identity"
                                     : "the request did not offer br: sent identity");
  }
  log_end(c->srv);
  if (rc != 0) {
    h2_log_error(c, "nghttp2_submit_response failed", nghttp2_strerror(rc));
    end_step(p, "error");
    nghttp2_submit_rst_stream(st->h->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
    return;
  }
  h2_play(st);
}

/* Play on until the step waits: for its released data to be written, a
 * timer, or nothing more to play. */
static void h2_play(struct h2_stream *st) {
  struct play *p = &st->play;
  nghttp2_session *ng = st->h->ng;
  while (p->run && !st->waiting_sent && !p->waiting && st->tm.kind != T_ACTION && !p->holding &&
         !st->eof && !st->bodyless) {
    const struct sc_connection *sc = p->sc;
    const struct sc_action *a;
    if (p->ai >= sc->nactions) {
      p->holding = 1;
      log_action(p, "hold", -1, 0, 0, 0, -1, -1);
      return;
    }
    a = &sc->actions[p->ai];
    switch (a->kind) {
    case SC_SEND:
    case SC_SEND_CHUNKS:
    case SC_RAW: {
      struct prepared *pr = &p->act;
      size_t end;
      if (!pr->ready || pr->ai != p->ai) {
        if (body_prepare(p) < 0) {
          end_step(p, "error");
          nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
          return;
        }
      }
      if (pr->segs[pr->next].pause_before && !p->pause_done) {
        if (timer_set(&st->tm, T_ACTION, now_ms() + PIECE_PAUSE_MS) < 0) {
          end_step(p, "error");
          nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
        }
        return;
      }
      p->pause_done = 0;
      /* release the segments of one piece */
      end = pr->next;
      while (end < pr->nsegs) {
        const struct segment *sg = &pr->segs[end++];
        log_action(p, action_names[a->kind], (long long)sg->decoded, sg->len, sg->piece, a->npieces,
                   -1, -1);
        if (sg->piece_end) break;
      }
      st->seg_i = pr->next;
      st->seg_end = end;
      st->seg_off = 0;
      st->rel_kind = a->kind;
      st->waiting_sent = 1;
      pr->next = end;
      if (end == pr->nsegs) {
        pr->ready = 0; /* the bytes stay until written: the next action waits */
        p->ai++;
      }
      nghttp2_session_resume_data(ng, st->id);
      return;
    }
    case SC_WAIT:
      log_action(p, "wait", -1, 0, 0, 0, (long long)a->ms, -1);
      p->waiting = 1;
      if (timer_set(&st->tm, T_ACTION, now_ms() + (double)a->ms) < 0) {
        end_step(p, "error");
        nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
      }
      return;
    case SC_CLOSE:
      /* END_STREAM, after the encoder's last bytes */
      if (body_finish(p, &st->fin) < 0) {
        end_step(p, "error");
        nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
        return;
      }
      st->eof = 1;
      st->eof_close = 1;
      nghttp2_session_resume_data(ng, st->id);
      return;
    case SC_ABORT:
      log_action(p, "abort", -1, 0, 0, 0, -1, (long long)a->code);
      end_step(p, "abort");
      nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, st->id, (uint32_t)a->code);
      return;
    case SC_GOAWAY:
      log_action(p, "goaway", -1, 0, 0, 0, -1, (long long)a->code);
      end_step(p, "goaway");
      nghttp2_submit_goaway(ng, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(ng),
                            (uint32_t)a->code, NULL, 0);
      st->h->goaway = 1;
      return;
    case SC_HOLD:
      p->holding = 1;
      log_action(p, "hold", -1, 0, 0, 0, -1, -1);
      return;
    }
    return;
  }
}

/* Build the request of a stream whose head is complete and answer it. */
static void answer(struct h2_stream *st) {
  struct conn *c = st->h->c;
  struct http_request *rq;
  struct route rt;
  int head_only;
  st->answered = 1;
  if (st->too_large) {
    static const char body[] = "431 Request Header Fields Too Large: over 16 KiB or 100 fields\n";
    log_bad_request(c, st, 431, "the request head is over 16 KiB or 100 header fields");
    h2_reply(st, 431, "text/plain; charset=utf-8", body, sizeof body - 1, 0);
    return;
  }
  rq = calloc(1, sizeof *rq);
  if (!rq) {
    nghttp2_submit_rst_stream(st->h->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
    return;
  }
  rq->version.p = "HTTP/2";
  rq->version.n = 6;
  rq->method.p = rq->target.p = "";
  rq->content_length = -1;
  for (size_t i = 0; i < st->nf; i++) {
    struct http_span name = {st->hb + st->f[i].name, st->f[i].nlen};
    struct http_span value = {st->hb + st->f[i].value, st->f[i].vlen};
    if (name.n && name.p[0] == ':') {
      if (http_span_eq(name, ":method")) rq->method = value;
      if (http_span_eq(name, ":path")) rq->target = value;
    } else if (rq->nheaders < HTTP_MAX_HEADERS) {
      rq->headers[rq->nheaders].name = name;
      rq->headers[rq->nheaders].value = value;
      rq->nheaders++;
    }
  }
  head_only = http_span_eq(rq->method, "HEAD");
  resolve(c, rq, &rt);
  switch (rt.kind) {
  case R_STATIC: {
    static const char not_allowed[] = "405 Method Not Allowed\n";
    char *buf;
    size_t len;
    const char *ctype = NULL;
    int status = static_file(c->srv, rq, rt.rel, rt.reln, &buf, &len, &ctype);
    if (status < 0) {
      nghttp2_submit_rst_stream(st->h->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
      break;
    }
    if (status == 404) goto not_found;
    log_simple(c, st, "static", rq, status);
    if (status == 405)
      h2_reply(st, 405, "text/plain; charset=utf-8", not_allowed, sizeof not_allowed - 1, 0);
    else
      h2_reply(st, 200, ctype, buf, len, head_only);
    free(buf);
    break;
  }
  case R_ERROR:
    nghttp2_submit_rst_stream(st->h->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
    break;
  case R_UNEXPECTED: {
    static const char body[] = "404 Not Found: this run has no further connection\n";
    log_request(&st->play, c, "unexpected", rq, rt.run, rt.step, rt.sub, rt.subn);
    h2_reply(st, 404, "text/plain; charset=utf-8", body, sizeof body - 1, head_only);
    break;
  }
  case R_RUN:
    log_request(&st->play, c, "request", rq, rt.run, rt.step, rt.sub, rt.subn);
    h2_start_step(st, rt.run, rt.step, rq, head_only);
    break;
  case R_NOT_FOUND:
  not_found : {
    static const char body[] = "404 Not Found: no scenario or file at this path\n";
    log_simple(c, st, "not-found", rq, 404);
    h2_reply(st, 404, "text/plain; charset=utf-8", body, sizeof body - 1, head_only);
    break;
  }
  }
  free(rq);
  /* the request head is no longer needed: a held stream keeps no copy */
  free(st->hb);
  free(st->f);
  st->hb = NULL;
  st->f = NULL;
  st->hb_len = st->hb_cap = st->nf = 0;
}

/* ------------------------------------------------------------ callbacks */

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *user) {
  struct h2_session *h = user;
  struct h2_stream *st;
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  st = stream_new(h, frame->hd.stream_id);
  if (!st) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  nghttp2_session_set_stream_user_data(ng, frame->hd.stream_id, st);
  return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
                     size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags, void *user) {
  struct h2_stream *st;
  (void)flags, (void)user;
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
  if (!st || st->too_large) return 0;
  /* the limits of HTTP/1.1's request head: 16 KiB, 100 fields (and the
   * pseudo-header fields) */
  if (st->nf == H2_MAX_FIELDS || nlen + vlen > HTTP_MAX_HEAD - st->hb_len) {
    st->too_large = 1;
    return 0;
  }
  if (!st->f && !(st->f = malloc(H2_MAX_FIELDS * sizeof *st->f)))
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  if (st->hb_len + nlen + vlen > st->hb_cap) {
    size_t cap = st->hb_cap ? st->hb_cap : 512;
    char *q;
    while (cap < st->hb_len + nlen + vlen) cap *= 2;
    q = realloc(st->hb, cap);
    if (!q) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    st->hb = q;
    st->hb_cap = cap;
  }
  st->f[st->nf].name = st->hb_len;
  st->f[st->nf].nlen = nlen;
  memcpy(st->hb + st->hb_len, name, nlen);
  st->hb_len += nlen;
  st->f[st->nf].value = st->hb_len;
  st->f[st->nf].vlen = vlen;
  memcpy(st->hb + st->hb_len, value, vlen);
  st->hb_len += vlen;
  st->nf++;
  return 0;
}

/* A request header field nghttp2 finds invalid (RFC 9113 8.2.1: a control
 * character, blanks around the value; not an upper-case name, which
 * nghttp2 rejects itself). The rule of HTTP/1.1 requests applies: a name
 * that is not a token, or a value with NUL, CR or LF, resets the stream
 * (HTTP/1.1: 400); other control characters are retained, blanks around
 * the value removed. */
static int on_invalid_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
                             size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags,
                             void *user) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  if (nlen == 0) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  for (size_t i = 0; i < nlen; i++)
    if (!http_tchar(name[i])) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  for (size_t i = 0; i < vlen; i++)
    if (value[i] == '\0' || value[i] == '\r' || value[i] == '\n')
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  while (vlen > 0 && (value[0] == ' ' || value[0] == '\t')) value++, vlen--;
  while (vlen > 0 && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t')) vlen--;
  return on_header(ng, frame, name, nlen, value, vlen, flags, user);
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *user) {
  struct h2_session *h = user;
  if (frame->hd.type == NGHTTP2_SETTINGS && !(frame->hd.flags & NGHTTP2_FLAG_ACK)) {
    /* the connection preface is complete */
    if (h->c->tm.kind == T_HEADER) timer_clear(&h->c->tm);
  } else if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    struct h2_stream *st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
    if (st && !st->answered) answer(st);
  }
  return 0;
}

static int on_frame_send(nghttp2_session *ng, const nghttp2_frame *frame, void *user) {
  struct h2_session *h = user;
  struct h2_stream *st;
  if (frame->hd.type == NGHTTP2_GOAWAY) {
    h->goaway_sent = 1;
    return 0;
  }
  if (frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS) return 0;
  st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
  if (!st || st->is_fixed) return 0;
  if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
    /* the response is complete: the step ends here */
    struct play *p = &st->play;
    mark_complete(p);
    if (p->run) {
      if (st->eof_close) log_action(p, "close", -1, 0, 0, 0, -1, -1);
      end_step(p, "close");
    }
    return 0;
  }
  if (frame->hd.type == NGHTTP2_DATA && st->ends_release) {
    st->ends_release = 0;
    st->waiting_sent = 0;
    if (!st->play.act.ready) body_done(&st->play); /* the action is all out */
    h2_play(st);
  }
  return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *user) {
  struct h2_stream *st = nghttp2_session_get_stream_user_data(ng, id);
  (void)code, (void)user;
  if (st) stream_free(st, "client-closed");
  return 0;
}

static ssize_t select_padding(nghttp2_session *ng, const nghttp2_frame *frame,
                              size_t max_payloadlen, void *user) {
  struct h2_stream *st;
  size_t want;
  (void)user;
  if (frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS)
    return (ssize_t)frame->hd.length;
  st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
  if (!st || !st->play.sc || st->play.sc->h2_padding < 0) return (ssize_t)frame->hd.length;
  /* the Pad Length byte and the padding */
  want = frame->hd.length + 1 + (size_t)st->play.sc->h2_padding;
  return (ssize_t)(want > max_payloadlen ? max_payloadlen : want);
}

/* ------------------------------------------------------------ the session */

int h2_start(struct conn *c) {
  struct server *s = c->srv;
  struct h2_session *h = calloc(1, sizeof *h);
  nghttp2_session_callbacks *cb = NULL;
  nghttp2_option *opt = NULL;
  nghttp2_settings_entry iv[2];
  jw *w;
  int rc;
  if (!h || nghttp2_session_callbacks_new(&cb) != 0 || nghttp2_option_new(&opt) != 0) {
    free(h);
    if (cb) nghttp2_session_callbacks_del(cb);
    return conn_close(c, "error");
  }
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_invalid_header_callback(cb, on_invalid_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  nghttp2_session_callbacks_set_select_padding_callback(cb, select_padding);
  nghttp2_option_set_no_closed_streams(opt, 1);
  h->c = c;
  rc = nghttp2_session_server_new2(&h->ng, cb, h, opt);
  nghttp2_session_callbacks_del(cb);
  nghttp2_option_del(opt);
  if (rc != 0) {
    free(h);
    return conn_close(c, "error");
  }
  c->h2 = h;
  c->state = CS_H2;
  iv[0].settings_id = NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS;
  iv[0].value = (uint32_t)s->cfg->h2_max_streams;
  iv[1].settings_id = NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE;
  iv[1].value = (uint32_t)HTTP_MAX_HEAD;
  nghttp2_submit_settings(h->ng, NGHTTP2_FLAG_NONE, iv, 2);
  w = log_begin(s, "session");
  log_conn_fields(w, c);
  jw_key(w, "proto");
  jw_cstr(w, "h2");
  jw_key(w, "via");
  jw_cstr(w, c->tls ? "alpn" : "prior-knowledge");
  log_end(s);
  return h2_send(c);
}

void h2_free(struct conn *c, const char *how) {
  struct h2_session *h = c->h2;
  if (!h) return;
  c->h2 = NULL;
  /* nghttp2_session_del calls no callback: the streams are ended here */
  while (h->streams) stream_free(h->streams, how);
  nghttp2_session_del(h->ng);
  free(h);
}

/* Write what nghttp2 has to send, one frame's bytes per write. Closes the
 * connection once the session is over (a GOAWAY out). Returns -1 when c is
 * gone. */
static int h2_send(struct conn *c) {
  struct h2_session *h = c->h2;
  const char *how = "error";
  if (!h || h->busy || c->state != CS_H2) return 0;
  while (1) {
    const uint8_t *data;
    ssize_t n;
    if (c->out_len > c->out_off) {
      int rc = flush(c, &how);
      if (rc < 0) return conn_close(c, how);
      if (rc == 0) return 0; /* EPOLLOUT is armed */
    }
    h->busy = 1;
    n = nghttp2_session_mem_send(h->ng, &data);
    h->busy = 0;
    if (n < 0) {
      h2_log_error(c, "nghttp2_session_mem_send failed", nghttp2_strerror((int)n));
      return conn_close(c, "error");
    }
    if (n == 0) break;
    c->out_len = c->out_off = 0;
    if (out_add(c, data, (size_t)n) < 0) return conn_close(c, "error");
  }
  if ((h->goaway && h->goaway_sent) || h->fatal ||
      (!nghttp2_session_want_read(h->ng) && !nghttp2_session_want_write(h->ng))) {
    /* the session is over: every step still playing ends with it */
    const char *why = h->goaway ? "goaway" : h->fatal ? "error" : "close";
    for (struct h2_stream *st = h->streams; st; st = st->next)
      if (st->play.run) end_step(&st->play, why);
    return conn_finish(c);
  }
  update_events(c);
  return 0;
}

void h2_drive(struct conn *c) {
  struct h2_session *h = c->h2;
  size_t budget = H2_READ_BUDGET;
  char buf[16384];
  while (budget > 0 && !h->fatal) {
    const char *how = "error";
    long n = conn_recv(c, buf, sizeof buf, &how);
    ssize_t rv;
    if (n == 0) break;
    if (n == -1) {
      conn_close(c, "client-closed");
      return;
    }
    if (n < 0) {
      conn_close(c, how);
      return;
    }
    h->busy = 1;
    rv = nghttp2_session_mem_recv(h->ng, (const uint8_t *)buf, (size_t)n);
    h->busy = 0;
    if (rv < 0) {
      /* a bad preface or a fatal protocol error: GOAWAY, then close */
      h2_log_error(c, "the client broke the HTTP/2 protocol", nghttp2_strerror((int)rv));
      nghttp2_session_terminate_session(h->ng, rv == NGHTTP2_ERR_FLOODED ? NGHTTP2_ENHANCE_YOUR_CALM
                                                                         : NGHTTP2_PROTOCOL_ERROR);
      h->fatal = 1;
    }
    budget -= (size_t)n;
  }
  h2_send(c);
}

void h2_on_timer(struct h2_stream *st, enum timer_kind kind) {
  struct conn *c = st->h->c;
  struct play *p = &st->play;
  if (kind != T_ACTION || !p->run) return;
  if (p->waiting) {
    p->waiting = 0;
    p->ai++;
  } else {
    p->pause_done = 1;
  }
  h2_play(st);
  h2_send(c);
}
