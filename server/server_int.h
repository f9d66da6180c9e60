/*
 * server_int.h - what the parts of the scenario server share inside
 * ssespec-server: server.c (the loop, connections, HTTP/1.1), body.c (a
 * step's body: pieces, flush points, content codings) and h2.c (HTTP/2 by
 * nghttp2). Not a library interface: the structures are the program's own.
 *
 * A step (one scenario connection answering one request) is a struct play.
 * Over HTTP/1.1 the connection has one, over HTTP/2 every stream has one;
 * the body actions of both are cut into the same segments (body.c), so the
 * bytes a client decodes are the same on every transport.
 */
#ifndef SSESPEC_SERVER_SERVER_INT_H
#define SSESPEC_SERVER_SERVER_INT_H

#include "common/json.h"
#include "encoding.h"
#include "http_request.h"
#include "scenario.h"
#include "server.h"
#include "tls.h"

#include <stddef.h>
#include <stdint.h>

#define PIECE_PAUSE_MS 30.0
#define MAX_TOKEN 64

enum kind { K_LISTEN, K_SIGNAL, K_CONN };

struct handle {
  enum kind kind;
};

/* The listeners: plain HTTP/1.1, HTTPS (ALPN h2 or http/1.1), HTTPS that
 * offers only http/1.1, and cleartext HTTP/2 with prior knowledge. */
enum listener_kind { L_HTTP, L_TLS, L_TLS_H1, L_H2C, L_COUNT };

struct listener {
  struct handle h;
  int fd;
  enum listener_kind kind;
  int tls;
  int port;
  char origin[64]; /* {origin}: http://127.0.0.1:PORT or https://... */
  size_t origin_len;
};

enum timer_kind { T_NONE, T_HEADER, T_ACTION, T_LINGER };

struct conn;
struct h2_stream;
struct h2_session;
struct server;

/* One timer of a connection or of an HTTP/2 stream, kept in the server's
 * heap ordered by deadline. */
struct timer {
  enum timer_kind kind;
  double deadline;
  size_t heap_idx; /* SIZE_MAX: not in the heap */
  struct conn *conn;
  struct h2_stream *stream; /* NULL: the connection's own timer */
};

struct run {
  struct run *hnext;       /* hash chain */
  struct run *prev, *next; /* LRU list, most recent first */
  const struct scenario *sc;
  char token[MAX_TOKEN + 1];
  char *base; /* "/s/NAME/TOKEN" */
  size_t blen;
  size_t next_step;
  double *end_t;       /* per step: when its response ended, or -1 */
  size_t refs;         /* steps of this run playing */
  struct play *latest; /* the step playing the latest connection, if any */
  uint64_t hash;
};

/* One write of a body action: a piece, or the part of a piece up to a
 * flush point; its bytes are encoded when the step has a content coding. */
struct segment {
  size_t off, len;  /* the bytes in the prepared buffer */
  size_t decoded;   /* body bytes before encoding */
  size_t piece;     /* the piece it belongs to */
  int pause_before; /* it starts a piece after the first: 30 ms pause */
  int piece_end;    /* it ends its piece */
};

/* The current body action, its segments built at once (body.c). */
struct prepared {
  char *buf;
  size_t len, cap;
  struct segment *segs;
  size_t nsegs, segcap;
  size_t next; /* the next segment to write */
  size_t ai;   /* the action it was prepared for */
  int ready;
};

struct play {
  struct conn *conn;
  struct h2_stream *stream; /* NULL over HTTP/1.1 */
  struct run *run;          /* NULL: no step plays */
  size_t step;
  const struct sc_connection *sc;
  size_t ai;      /* the action being played */
  int pause_done; /* the pause before the next segment is over */
  int waiting;    /* a wait action's timer runs */
  int holding;    /* hold: nothing more to play */
  int complete;   /* the response is complete */
  int complete_on_flush;
  int last_chunk;          /* HTTP/1.1: close has written the last chunk */
  enum sc_framing framing; /* as played: chunked becomes close for HTTP/1.0 */
  uint64_t content_length; /* of the body as sent (encoded) */
  uint64_t body_sent;      /* body bytes written (encoded), raw not counted */
  uint64_t decoded_pos;    /* body bytes before encoding, prepared so far */
  size_t flush_i;          /* the next flush-at offset */
  enum sc_coding coding;   /* as played: identity when the client did not offer it */
  struct encoder *enc;     /* NULL for identity */
  int enc_finished;        /* the encoder's last bytes are out */
  size_t last_body_action; /* index of the last send/send-chunks action, or SIZE_MAX */
  struct prepared act;
};

enum cstate { CS_HANDSHAKE, CS_HEAD, CS_PLAY, CS_REPLY, CS_LINGER, CS_H2 };

struct conn {
  struct handle h;
  struct server *srv;
  struct conn *prev, *next; /* all live connections; the dead list */
  int dead;                 /* closed; freed after the current batch */
  int fd;
  uint64_t id;
  const struct listener *ls;
  int tls;
  SSL *ssl;
  enum cstate state;
  unsigned ev_mask;
  int tls_want_write; /* an SSL call waits for writability */
  struct timer tm;
  /* input */
  char *in;
  size_t in_len, in_cap;
  int in_overflow;
  long long body_left; /* request body bytes still to discard */
  int peer_eof;        /* the client's EOF was read with requests still to answer */
  /* the request being answered (HTTP/1.1) */
  int close_after; /* close after this response: the client asked (Connection:
                    * close, HTTP/1.0) or, for HEAD, the head announces it */
  int http10;      /* HTTP/1.0: no chunked framing */
  int head_only;   /* HEAD: the head without the body */
  /* the ready list: more input to answer after the MAX_ROUNDS bound */
  struct conn *ready_prev, *ready_next;
  int in_ready;
  /* output: the current write unit (HTTP/1.1), or nghttp2's bytes */
  char *out;
  size_t out_len, out_off, out_cap;
  /* REPLY */
  int reply_close;
  /* PLAY (HTTP/1.1) */
  struct play pl;
  /* HTTP/2 */
  struct h2_session *h2;
};

struct server {
  const struct server_config *cfg;
  int epfd;
  struct listener ls[L_COUNT];
  int has_ls[L_COUNT];
  struct handle sig;
  int sigfd;
  int stop;
  SSL_CTX *ctx, *ctx_h1;
  int spare_fd;
  int static_fd;
  double t0;
  uint64_t next_id;
  size_t nconns, max_conns;
  size_t nstreams, max_streams;    /* HTTP/2 streams open */
  struct conn *conns;              /* live connections */
  struct conn *dead;               /* closed during this batch of events */
  struct conn *ready, *ready_tail; /* to drive again (see MAX_ROUNDS) */
  size_t nready;
  int peeking; /* inside peek_previous */
  struct timer **heap;
  size_t heap_n, heap_cap;
  struct run **buckets;
  size_t nbuckets, nruns;
  struct run *lru_head, *lru_tail;
  const struct scenario **by_len; /* longest name first */
  jw log;
};

/* ---------------------------------------------------------- server.c */

double now_ms(void);
double rel_ms(const struct server *s, double t);
/* A log line: log_begin, members, log_end (which adds "t" and writes). */
jw *log_begin(struct server *s, const char *ev);
void log_end(struct server *s);
void j_double(jw *w, const char *key, double v);
void log_conn_fields(jw *w, const struct conn *c);
/* run, scenario, step, conn, and stream over HTTP/2 */
void log_run_fields(jw *w, const struct play *p, const struct run *r, size_t step);

/* Returns 0, or -1 when out of memory. */
int timer_set(struct timer *t, enum timer_kind kind, double deadline);
void timer_clear(struct timer *t);

void mark_complete(struct play *p);
/* Log the end of the step and let go of its run (and its body state). */
void end_step(struct play *p, const char *how);
/* Release a step's encoder and prepared buffers (body.c). */
void play_release(struct play *p);

/* Each returns -1: c is gone. */
int conn_close(struct conn *c, const char *how);
int conn_finish(struct conn *c);
void drive(struct conn *c);
void update_events(struct conn *c);
/* Read into buf: > 0 bytes, 0 nothing now, -1 the peer's EOF, -2 a
 * failure (*how set). */
long conn_recv(struct conn *c, void *buf, size_t n, const char **how);
/* Write out c->out: 1 all written, 0 the socket is full, -1 failed. */
int flush(struct conn *c, const char **how);
int out_add(struct conn *c, const void *p, size_t n);

/* Where a request goes. */
enum route_kind { R_NOT_FOUND, R_STATIC, R_RUN, R_UNEXPECTED, R_ERROR };
struct route {
  enum route_kind kind;
  const char *rel; /* R_STATIC: the path below /static/ */
  size_t reln;
  struct run *run; /* R_RUN, R_UNEXPECTED */
  size_t step;
  const char *sub; /* the SUBPATH */
  size_t subn;
};
void resolve(struct conn *c, const struct http_request *rq, struct route *out);
void log_request(struct play *p, struct conn *c, const char *ev, const struct http_request *rq,
                 struct run *r, size_t step, const char *sub, size_t subn);
/* Log a fixed answer (not-found, static). */
void log_simple(struct conn *c, struct h2_stream *st, const char *ev, const struct http_request *rq,
                int status);
void log_bad_request(struct conn *c, struct h2_stream *st, int status, const char *why);
/* A --static file: 200 with *buf (malloc'd) and *ctype, or 404 / 405. */
int static_file(struct server *s, const struct http_request *rq, const char *rel, size_t n,
                char **buf, size_t *len, const char **ctype);
/* The template-expanded length of a scenario string for this step. */
size_t play_exp_len(const struct play *p, const struct sc_str *str);
/* Write it expanded to out (play_exp_len bytes). */
void play_expand(const struct play *p, const struct sc_str *str, char *out);
/* Start a step: take the run, set up framing and coding. 0, or -1 out of
 * memory. rq is the request (Accept-Encoding), head_only for HEAD. */
int play_begin(struct play *p, struct conn *c, struct run *r, size_t step,
               const struct http_request *rq, int head_only, int http10);
void log_action(struct play *p, const char *what, long long bytes, size_t wire, size_t piece,
                size_t npieces, long long ms, long long code);
extern const char *const action_names[];

/* ---------------------------------------------------------- body.c */

/* Prepare the body action p->ai (send, send-chunks, raw) into p->act:
 * expanded, cut at flush points, encoded. Returns 0 or -1 (no memory). */
int body_prepare(struct play *p);
/* Free the prepared action's buffers once it is all written (a held step
 * keeps no body memory). */
void body_done(struct play *p);
/* The encoder's last bytes (gzip trailer, brotli last block) into out
 * (cleared first); none for identity or when already out. 0 or -1. */
int body_finish(struct play *p, struct prepared *out);
/* The encoded length of the whole body, for Content-Length. 0 or -1. */
int body_encoded_length(struct play *p, uint64_t *len);
/* Whether the request's Accept-Encoding fields offer the coding. */
int body_offered(const struct http_request *rq, enum sc_coding coding);

/* ---------------------------------------------------------- h2.c */

/* Start HTTP/2 on a connection (after the TLS handshake chose h2, or at
 * once on the h2c port): our SETTINGS go out. Returns -1 when c is gone. */
int h2_start(struct conn *c);
/* Read, answer and write an HTTP/2 connection. */
void h2_drive(struct conn *c);
/* End every stream's step (how) and free the session: before the
 * connection is freed. */
void h2_free(struct conn *c, const char *how);
void h2_on_timer(struct h2_stream *st, enum timer_kind kind);
int32_t h2_stream_id(const struct h2_stream *st);

#endif /* SSESPEC_SERVER_SERVER_INT_H */
