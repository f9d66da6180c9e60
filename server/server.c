/*
 * server.c - the scenario server's event loop (see server.h and
 * docs/server.md).
 *
 * One thread, one level-triggered epoll set. Every connection is a small
 * state machine:
 *
 *   HANDSHAKE (TLS only) -> HEAD -> PLAY (a scenario step) or REPLY (a
 *   fixed response) -> HEAD again (keep-alive) or LINGER (our graceful
 *   close: drain until the peer's EOF) -> freed.
 *
 * Each connection has at most one timer (the header timeout, an action's
 * pause, or the linger limit) kept in a binary heap ordered by deadline.
 * One call of drive() answers at most MAX_ROUNDS requests of a connection;
 * one with more input waiting goes on a ready list, driven again after the
 * next turn of the loop, so that a client pipelining many requests is
 * served in order without hogging the loop or stalling.
 * Output is one "write unit" at a time: a send piece, a chunk, the response
 * head; the next unit is only built once the last one is fully written, so
 * each piece is its own write(2)/SSL_write and memory per connection is
 * bounded by the largest piece of its scenario.
 */
#define _GNU_SOURCE
#include "server_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 100000
#define MAX_REQUEST_BODY ((long long)1 << 20)
#define MAX_STATIC_FILE ((off_t)16 << 20)
#define READ_BUDGET ((size_t)256 << 10) /* bytes read per event before others get a turn */
#define IN_CAP (HTTP_MAX_HEAD + 1024)
#define MAX_ROUNDS 64 /* requests answered per drive() before others get a turn */

/* ------------------------------------------------------------ time, log */

double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

double rel_ms(const struct server *s, double t) {
  return t - s->t0;
}

/* Write ,"key":number into the object being written (it already has a
 * member: every log line starts with "ev"). jw has no floating point. */
void j_double(jw *w, const char *key, double v) {
  char num[96];
  int n = snprintf(num, sizeof num, ",\"%s\":%.3f", key, v);
  if (n > 0 && (size_t)n < sizeof num) jw_raw(w, num, (size_t)n);
}

jw *log_begin(struct server *s, const char *ev) {
  jw *w = &s->log;
  jw_clear(w);
  jw_object_begin(w);
  jw_key(w, "ev");
  jw_cstr(w, ev);
  return w;
}

void log_end(struct server *s) {
  jw *w = &s->log;
  j_double(w, "t", rel_ms(s, now_ms()));
  jw_object_end(w);
  jw_raw(w, "\n", 1);
  if (w->err == JW_OK) {
    fwrite(w->buf, 1, w->len, s->cfg->log);
    fflush(s->cfg->log);
  }
}

void log_conn_fields(jw *w, const struct conn *c) {
  jw_key(w, "conn");
  jw_uint(w, c->id);
}

void log_run_fields(jw *w, const struct play *p, const struct run *r, size_t step) {
  jw_key(w, "run");
  jw_cstr(w, r->token);
  jw_key(w, "scenario");
  jw_cstr(w, r->sc->name);
  jw_key(w, "step");
  jw_uint(w, step);
  log_conn_fields(w, p->conn);
  if (p->stream) {
    jw_key(w, "stream");
    jw_int(w, h2_stream_id(p->stream));
  }
}

/* ------------------------------------------------------------ timers */

static int heap_less(const struct timer *a, const struct timer *b) {
  return a->deadline < b->deadline;
}

static void heap_swap(struct server *s, size_t i, size_t j) {
  struct timer *t = s->heap[i];
  s->heap[i] = s->heap[j];
  s->heap[j] = t;
  s->heap[i]->heap_idx = i;
  s->heap[j]->heap_idx = j;
}

static void heap_up(struct server *s, size_t i) {
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!heap_less(s->heap[i], s->heap[parent])) break;
    heap_swap(s, i, parent);
    i = parent;
  }
}

static void heap_down(struct server *s, size_t i) {
  while (1) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < s->heap_n && heap_less(s->heap[l], s->heap[m])) m = l;
    if (r < s->heap_n && heap_less(s->heap[r], s->heap[m])) m = r;
    if (m == i) break;
    heap_swap(s, i, m);
    i = m;
  }
}

void timer_clear(struct timer *t) {
  struct server *s = t->conn->srv;
  size_t i = t->heap_idx;
  t->kind = T_NONE;
  if (i == SIZE_MAX) return;
  t->heap_idx = SIZE_MAX;
  s->heap_n--;
  if (i == s->heap_n) return;
  s->heap[i] = s->heap[s->heap_n];
  s->heap[i]->heap_idx = i;
  heap_up(s, i);
  heap_down(s, s->heap[i]->heap_idx);
}

int timer_set(struct timer *t, enum timer_kind kind, double deadline) {
  struct server *s = t->conn->srv;
  timer_clear(t);
  if (s->heap_n == s->heap_cap) {
    size_t cap = s->heap_cap ? s->heap_cap * 2 : 256;
    struct timer **h = realloc(s->heap, cap * sizeof *h);
    if (!h) return -1;
    s->heap = h;
    s->heap_cap = cap;
  }
  t->kind = kind;
  t->deadline = deadline;
  t->heap_idx = s->heap_n;
  s->heap[s->heap_n++] = t;
  heap_up(s, t->heap_idx);
  return 0;
}

/* ------------------------------------------------------------ runs */

static uint64_t run_hash(const struct scenario *sc, const char *token, size_t n) {
  uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)sc;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)token[i];
    h *= 1099511628211ULL;
  }
  return h ^ (h >> 29);
}

static void lru_unlink(struct server *s, struct run *r) {
  if (r->prev)
    r->prev->next = r->next;
  else
    s->lru_head = r->next;
  if (r->next)
    r->next->prev = r->prev;
  else
    s->lru_tail = r->prev;
  r->prev = r->next = NULL;
}

static void lru_front(struct server *s, struct run *r) {
  r->next = s->lru_head;
  r->prev = NULL;
  if (s->lru_head) s->lru_head->prev = r;
  s->lru_head = r;
  if (!s->lru_tail) s->lru_tail = r;
}

static void run_free(struct run *r) {
  free(r->base);
  free(r->end_t);
  free(r);
}

static void run_remove(struct server *s, struct run *r) {
  struct run **pp = &s->buckets[r->hash & (s->nbuckets - 1)];
  while (*pp != r) pp = &(*pp)->hnext;
  *pp = r->hnext;
  lru_unlink(s, r);
  s->nruns--;
  run_free(r);
}

static int runs_grow(struct server *s) {
  size_t n = s->nbuckets ? s->nbuckets * 2 : 1024;
  struct run **b = calloc(n, sizeof *b);
  if (!b) return -1;
  for (size_t i = 0; i < s->nbuckets; i++) {
    struct run *r = s->buckets[i];
    while (r) {
      struct run *next = r->hnext;
      r->hnext = b[r->hash & (n - 1)];
      b[r->hash & (n - 1)] = r;
      r = next;
    }
  }
  free(s->buckets);
  s->buckets = b;
  s->nbuckets = n;
  return 0;
}

/* The run of scenario sc with this token, made if new. NULL: no memory. */
static struct run *run_get(struct server *s, const struct scenario *sc, const char *token,
                           size_t n) {
  uint64_t h = run_hash(sc, token, n);
  struct run *r;
  if (s->nbuckets) {
    for (r = s->buckets[h & (s->nbuckets - 1)]; r; r = r->hnext) {
      if (r->hash == h && r->sc == sc && strlen(r->token) == n && memcmp(r->token, token, n) == 0) {
        lru_unlink(s, r);
        lru_front(s, r);
        return r;
      }
    }
  }
  /* forget the least recently used idle runs beyond the limit */
  if (s->nruns >= MAX_RUNS) {
    struct run *v = s->lru_tail;
    int tries = 64;
    while (v && tries-- > 0 && s->nruns >= MAX_RUNS) {
      struct run *prev = v->prev;
      if (v->refs == 0) run_remove(s, v);
      v = prev;
    }
  }
  if (s->nruns >= s->nbuckets && runs_grow(s) < 0) return NULL;
  r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->sc = sc;
  r->hash = h;
  memcpy(r->token, token, n);
  r->token[n] = '\0';
  r->blen = 3 + strlen(sc->name) + 1 + n;
  r->base = malloc(r->blen + 1);
  r->end_t = malloc(sc->nconns * sizeof *r->end_t);
  if (!r->base || !r->end_t) {
    run_free(r);
    return NULL;
  }
  snprintf(r->base, r->blen + 1, "/s/%s/%s", sc->name, r->token);
  for (size_t i = 0; i < sc->nconns; i++) r->end_t[i] = -1;
  r->hnext = s->buckets[h & (s->nbuckets - 1)];
  s->buckets[h & (s->nbuckets - 1)] = r;
  lru_front(s, r);
  s->nruns++;
  return r;
}

/* ------------------------------------------------------------ connections */

/* Whether the input buffer is full while requests wait in it: reading
 * pauses (TCP flow control) until an answer consumes one. While a step
 * plays, input beyond the buffer is discarded instead (see read_input), so
 * that the client's EOF is always seen. */
static int input_paused(const struct conn *c) {
  return (c->state == CS_HEAD || c->state == CS_REPLY) && c->in_cap == IN_CAP &&
         c->in_len == c->in_cap;
}

void update_events(struct conn *c) {
  unsigned want = 0;
  struct epoll_event ev;
  /* after the client's EOF nothing more is read (a readable EOF would wake
   * the loop forever); EPOLLERR and EPOLLHUP still come */
  if (!c->peer_eof && !input_paused(c)) want |= EPOLLIN;
  if (c->out_len > c->out_off || c->tls_want_write) want |= EPOLLOUT;
  if (want == c->ev_mask) return;
  memset(&ev, 0, sizeof ev);
  ev.events = want;
  ev.data.ptr = c;
  if (epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0) c->ev_mask = want;
}

void mark_complete(struct play *p) {
  if (p->complete) return;
  p->complete = 1;
  if (p->run && p->run->end_t[p->step] < 0) p->run->end_t[p->step] = now_ms();
}

/* The ready list: connections with answers still to give after the
 * MAX_ROUNDS bound, driven again after the next epoll_wait (which then
 * does not block). Taken from the head, added at the tail. */
static void ready_add(struct conn *c) {
  struct server *s = c->srv;
  if (c->in_ready || c->dead) return;
  c->in_ready = 1;
  c->ready_next = NULL;
  c->ready_prev = s->ready_tail;
  if (s->ready_tail)
    s->ready_tail->ready_next = c;
  else
    s->ready = c;
  s->ready_tail = c;
  s->nready++;
}

static void ready_remove(struct conn *c) {
  struct server *s = c->srv;
  if (!c->in_ready) return;
  if (c->ready_prev)
    c->ready_prev->ready_next = c->ready_next;
  else
    s->ready = c->ready_next;
  if (c->ready_next)
    c->ready_next->ready_prev = c->ready_prev;
  else
    s->ready_tail = c->ready_prev;
  c->ready_prev = c->ready_next = NULL;
  c->in_ready = 0;
  s->nready--;
}

void end_step(struct play *p, const char *how) {
  struct server *s = p->conn->srv;
  struct run *r = p->run;
  double t = now_ms();
  jw *w;
  if (!r) return;
  if (r->end_t[p->step] < 0) r->end_t[p->step] = t;
  w = log_begin(s, "end");
  log_run_fields(w, p, r, p->step);
  jw_key(w, "how");
  jw_cstr(w, how);
  jw_key(w, "complete");
  jw_bool(w, p->complete);
  j_double(w, "response_end_t", rel_ms(s, r->end_t[p->step]));
  log_end(s);
  r->refs--;
  if (r->latest == p) r->latest = NULL;
  p->run = NULL;
  p->sc = NULL;
  enc_free(p->enc);
  p->enc = NULL;
}

/* Release the connection's resources now; the struct itself goes to the
 * dead list and is freed after the current batch of events, which may
 * still name it. */
static void conn_free(struct conn *c) {
  struct server *s = c->srv;
  if (c->h2) h2_free(c, "client-closed");
  timer_clear(&c->tm);
  ready_remove(c);
  if (c->prev)
    c->prev->next = c->next;
  else
    s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  if (c->ssl) tls_free(c->ssl);
  if (c->fd >= 0) close(c->fd);
  free(c->in);
  free(c->out);
  play_release(&c->pl);
  c->ssl = NULL;
  c->fd = -1;
  c->in = c->out = NULL;
  c->dead = 1;
  c->prev = NULL;
  c->next = s->dead;
  s->dead = c;
  s->nconns--;
}

static void free_dead(struct server *s) {
  while (s->dead) {
    struct conn *c = s->dead;
    s->dead = c->next;
    free(c);
  }
}

/* Close now (how: for the step, if one is playing). Returns -1: c is
 * gone (the convention of every function here that may free c). */
int conn_close(struct conn *c, const char *how) {
  struct server *s = c->srv;
  jw *w;
  if (c->pl.run) end_step(&c->pl, how);
  if (c->h2) h2_free(c, how);
  w = log_begin(s, "disconnect");
  log_conn_fields(w, c);
  log_end(s);
  conn_free(c);
  return -1;
}

/* Reset the connection: RST, no close_notify. */
static int conn_abort(struct conn *c) {
  struct linger lg = {1, 0};
  setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  return conn_close(c, "abort");
}

/* Our graceful close: close_notify and FIN, then drain what the peer still
 * sends until its EOF or the linger limit, so that no unread input turns
 * the close into a reset that could destroy our last bytes. */
static int conn_linger(struct conn *c) {
  if (c->ssl) tls_shutdown(c->ssl);
  shutdown(c->fd, SHUT_WR);
  c->state = CS_LINGER;
  c->out_len = c->out_off = 0;
  c->tls_want_write = 0;
  if (timer_set(&c->tm, T_LINGER, now_ms() + (double)c->srv->cfg->linger_close_ms) < 0)
    return conn_close(c, "error");
  update_events(c);
  return 0;
}

/* Close gracefully after the last response: linger, or, when the client's
 * EOF was already read (nothing left to drain), close_notify, FIN and
 * close at once. Returns -1 when c is gone, 0 when it lingers. */
int conn_finish(struct conn *c) {
  if (!c->peer_eof) return conn_linger(c);
  if (c->ssl) tls_shutdown(c->ssl);
  shutdown(c->fd, SHUT_WR);
  return conn_close(c, "close");
}

static int out_reserve(struct conn *c, size_t n) {
  if (n > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 1024;
    char *p;
    while (cap < n) cap = cap > SIZE_MAX / 2 ? n : cap * 2;
    p = realloc(c->out, cap);
    if (!p) return -1;
    c->out = p;
    c->out_cap = cap;
  }
  return 0;
}

/* Append to the unit being built. */
int out_add(struct conn *c, const void *p, size_t n) {
  if (n > SIZE_MAX - c->out_len || out_reserve(c, c->out_len + n) < 0) return -1;
  memcpy(c->out + c->out_len, p, n);
  c->out_len += n;
  return 0;
}

static int out_addf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int out_addf(struct conn *c, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof tmp) return -1;
  return out_add(c, tmp, (size_t)n);
}

/* Append a scenario string with its templates expanded. */
static int out_expand(struct conn *c, const struct sc_str *str) {
  size_t n = play_exp_len(&c->pl, str);
  if (n > SIZE_MAX - c->out_len || out_reserve(c, c->out_len + n) < 0) return -1;
  play_expand(&c->pl, str, c->out + c->out_len);
  c->out_len += n;
  return 0;
}

/* Write out the pending unit. Returns 1 when all of it is written, 0 when
 * the socket is full (EPOLLOUT is armed), -1 on a failure, with *how set
 * to "client-closed" or "error". */
int flush(struct conn *c, const char **how) {
  while (c->out_off < c->out_len) {
    size_t left = c->out_len - c->out_off;
    ssize_t n;
    if (c->ssl) {
      char err[160];
      n = tls_write(c->ssl, c->out + c->out_off, left, err, sizeof err);
      c->tls_want_write = 0;
      if (n == TLS_WANT_WRITE || n == TLS_WANT_READ) {
        if (n == TLS_WANT_WRITE) c->tls_want_write = 1;
        update_events(c);
        return 0;
      }
      if (n <= 0) {
        *how = (errno == EPIPE || errno == ECONNRESET) ? "client-closed" : "error";
        return -1;
      }
    } else {
      n = send(c->fd, c->out + c->out_off, left, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          update_events(c);
          return 0;
        }
        *how = (errno == EPIPE || errno == ECONNRESET) ? "client-closed" : "error";
        return -1;
      }
    }
    c->out_off += (size_t)n;
  }
  c->out_len = c->out_off = 0;
  if (c->out_cap > 4096) {
    free(c->out);
    c->out = NULL;
    c->out_cap = 0;
  }
  update_events(c);
  return 1;
}

long conn_recv(struct conn *c, void *buf, size_t room, const char **how) {
  ssize_t n;
  if (c->ssl && c->state != CS_LINGER) {
    char err[160];
    int was = c->tls_want_write;
    c->tls_want_write = 0;
    n = tls_read(c->ssl, buf, room, err, sizeof err);
    if (n == TLS_WANT_READ) {
      if (was) update_events(c);
      return 0;
    }
    if (n == TLS_WANT_WRITE) {
      c->tls_want_write = 1;
      update_events(c);
      return 0;
    }
    if (n == TLS_DONE) return -1;
    if (n < 0) {
      *how = (errno == EPIPE || errno == ECONNRESET || errno == 0) ? "client-closed" : "error";
      return -2;
    }
    return (long)n;
  }
  while (1) {
    n = recv(c->fd, buf, room, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      *how = (errno == ECONNRESET || errno == EPIPE) ? "client-closed" : "error";
      return -2;
    }
    if (n == 0) return -1;
    return (long)n;
  }
}

/* Read what is available. Returns 0 (read until the socket was empty, or
 * the budget ran out), -1 at the peer's EOF, -2 on a failure (*how set).
 * Bytes beyond the input buffer are discarded and flagged. */
static int read_input(struct conn *c, const char **how) {
  size_t budget = READ_BUDGET;
  char scratch[4096];
  while (1) {
    char *dst;
    size_t room;
    long n;
    int discard = c->state == CS_LINGER;
    if (!discard && c->in_len == c->in_cap && c->in_cap < IN_CAP) {
      size_t cap = c->in_cap ? c->in_cap * 2 : 2048;
      char *p;
      if (cap > IN_CAP) cap = IN_CAP;
      p = realloc(c->in, cap);
      if (!p) {
        *how = "error";
        return -2;
      }
      c->in = p;
      c->in_cap = cap;
    }
    if (!discard && input_paused(c)) {
      update_events(c); /* read on once an answer has taken a request */
      return 0;
    }
    if (discard || c->in_len == c->in_cap) {
      dst = scratch;
      room = sizeof scratch;
    } else {
      dst = c->in + c->in_len;
      room = c->in_cap - c->in_len;
    }
    n = conn_recv(c, dst, room, how);
    if (n <= 0) return (int)n;
    if (dst == scratch) {
      if (!discard) c->in_overflow = 1;
    } else {
      c->in_len += (size_t)n;
    }
    /* a request body is dropped as it comes */
    if (c->body_left > 0 && c->in_len > 0) {
      size_t drop = c->body_left < (long long)c->in_len ? (size_t)c->body_left : c->in_len;
      memmove(c->in, c->in + drop, c->in_len - drop);
      c->in_len -= drop;
      c->body_left -= (long long)drop;
    }
    if ((size_t)n >= budget) return 0;
    budget -= (size_t)n;
  }
}

/* ------------------------------------------------------------ replies */

/* Queue a fixed response (not a scenario's); close_after: close once it is
 * written, else keep the connection for the next request. */
static int reply(struct conn *c, int status, const char *ctype, const char *body, size_t blen,
                 int close_after, int head_only) {
  close_after |= c->close_after; /* Connection: close, HTTP/1.0 */
  c->out_len = c->out_off = 0;
  if (out_addf(c, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n", status,
               sc_reason_phrase(status), ctype, blen) < 0 ||
      (close_after && out_add(c, "Connection: close\r\n", 19) < 0) ||
      out_add(c, "Cache-Control: no-store\r\n\r\n", 27) < 0 ||
      (!head_only && out_add(c, body, blen) < 0))
    return conn_close(c, "error");
  c->reply_close = close_after;
  c->state = CS_REPLY;
  timer_clear(&c->tm);
  return 0;
}

static void log_proto(jw *w, const struct h2_stream *st) {
  jw_key(w, "proto");
  jw_cstr(w, st ? "h2" : "http/1.1");
  if (st) {
    jw_key(w, "stream");
    jw_int(w, h2_stream_id(st));
  }
}

void log_bad_request(struct conn *c, struct h2_stream *st, int status, const char *why) {
  struct server *s = c->srv;
  jw *w = log_begin(s, "bad-request");
  log_conn_fields(w, c);
  log_proto(w, st);
  jw_key(w, "status");
  jw_int(w, status);
  jw_key(w, "why");
  jw_cstr(w, why);
  log_end(s);
}

static int bad_request(struct conn *c, int status, const char *why) {
  char body[200];
  int n;
  log_bad_request(c, NULL, status, why);
  n = snprintf(body, sizeof body, "%d %s: %s\n", status, sc_reason_phrase(status), why);
  c->in_len = 0;
  c->in_overflow = 0;
  return reply(c, status, "text/plain; charset=utf-8", body, (size_t)n, 1, 0);
}

static const char *content_type_of(const char *path) {
  const char *dot = strrchr(path, '.');
  if (!dot || strchr(dot, '/')) return "application/octet-stream";
  if (strcmp(dot, ".html") == 0) return "text/html; charset=utf-8";
  if (strcmp(dot, ".js") == 0) return "text/javascript; charset=utf-8";
  if (strcmp(dot, ".css") == 0) return "text/css; charset=utf-8";
  if (strcmp(dot, ".json") == 0) return "application/json";
  if (strcmp(dot, ".txt") == 0) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

void log_simple(struct conn *c, struct h2_stream *st, const char *ev, const struct http_request *rq,
                int status) {
  struct server *s = c->srv;
  jw *w = log_begin(s, ev);
  log_conn_fields(w, c);
  log_proto(w, st);
  jw_key(w, "method");
  jw_string(w, rq->method.p, rq->method.n);
  jw_key(w, "target");
  jw_string(w, rq->target.p, rq->target.n);
  jw_key(w, "status");
  jw_int(w, status);
  log_end(s);
}

static int not_found(struct conn *c, const struct http_request *rq) {
  static const char body[] = "404 Not Found: no scenario or file at this path\n";
  log_simple(c, NULL, "not-found", rq, 404);
  return reply(c, 404, "text/plain; charset=utf-8", body, sizeof body - 1, 0,
               http_span_eq(rq->method, "HEAD"));
}

/* Open the file at the relative path rel (checked by serve_static) below
 * the directory dirfd, one part at a time, following no symbolic link at
 * all: a link, wherever it points, is refused like a missing file, so no
 * path leads out of the directory. Returns a descriptor or -1. */
static int open_beneath(int dirfd, char *rel) {
  int fd = dirfd;
  char *part = rel;
  while (1) {
    char *slash = strchr(part, '/');
    int next;
    if (slash) *slash = '\0';
    next = openat(fd, part, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (slash ? O_DIRECTORY : O_NONBLOCK));
    if (slash) *slash = '/';
    if (fd != dirfd) close(fd);
    if (next < 0 || !slash) return next;
    fd = next;
    part = slash + 1;
  }
}

/* GET /static/REL: a regular file below --static, by a safe relative path
 * (letters, digits, '.', '-', '_', '/'; no empty, "." or ".." part; no
 * symbolic link anywhere, see open_beneath). Anything else is 404. */
int static_file(struct server *s, const struct http_request *rq, const char *rel, size_t n,
                char **out, size_t *out_len, const char **ctype) {
  char path[1024];
  int fd, head = http_span_eq(rq->method, "HEAD");
  struct stat st;
  size_t size, got = 0;
  char *buf;
  *out = NULL;
  *out_len = 0;
  if (!head && !http_span_eq(rq->method, "GET")) return 405;
  if (n == 0 || n >= sizeof path) return 404;
  for (size_t i = 0; i < n; i++) {
    char ch = rel[i];
    int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '.' || ch == '-' || ch == '_' || ch == '/';
    if (!ok) return 404;
    if (i == 0 || rel[i - 1] == '/') {
      size_t k = i;
      while (k < n && rel[k] != '/') k++;
      if (k == i || (k - i == 1 && rel[i] == '.') ||
          (k - i == 2 && rel[i] == '.' && rel[i + 1] == '.'))
        return 404;
    }
  }
  memcpy(path, rel, n);
  path[n] = '\0';
  fd = open_beneath(s->static_fd, path);
  if (fd < 0) return 404;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_STATIC_FILE) {
    close(fd);
    return 404;
  }
  size = (size_t)st.st_size;
  buf = malloc(size ? size : 1);
  if (!buf) {
    close(fd);
    return -1;
  }
  while (got < size) {
    ssize_t k = read(fd, buf + got, size - got);
    if (k <= 0) break;
    got += (size_t)k;
  }
  close(fd);
  *out = buf;
  *out_len = got;
  *ctype = content_type_of(path);
  return 200;
}

static int serve_static(struct conn *c, const struct http_request *rq, const char *rel, size_t n) {
  static const char not_allowed[] = "405 Method Not Allowed\n";
  char *buf;
  size_t len;
  const char *ctype = NULL;
  int rc, status = static_file(c->srv, rq, rel, n, &buf, &len, &ctype);
  if (status < 0) return conn_close(c, "error");
  if (status == 404) return not_found(c, rq);
  log_simple(c, NULL, "static", rq, status);
  if (status == 405)
    return reply(c, 405, "text/plain; charset=utf-8", not_allowed, sizeof not_allowed - 1, 0, 0);
  rc = reply(c, 200, ctype, buf, len, 0, http_span_eq(rq->method, "HEAD"));
  free(buf);
  return rc;
}

/* ------------------------------------------------------------ playing */

const char *const action_names[] = {"send",  "send-chunks", "raw",  "wait",
                                    "close", "abort",       "hold", "goaway"};
static const char *const framing_names[] = {"chunked", "length", "close"};

void log_action(struct play *p, const char *what, long long bytes, size_t wire, size_t piece,
                size_t npieces, long long ms, long long code) {
  struct server *s = p->conn->srv;
  jw *w = log_begin(s, "action");
  log_run_fields(w, p, p->run, p->step);
  jw_key(w, "action");
  jw_uint(w, p->ai);
  jw_key(w, "do");
  jw_cstr(w, what);
  if (bytes >= 0) {
    jw_key(w, "bytes");
    jw_int(w, bytes);
    jw_key(w, "wire");
    jw_uint(w, wire);
    jw_key(w, "piece");
    jw_uint(w, piece);
    jw_key(w, "pieces");
    jw_uint(w, npieces);
  }
  if (ms >= 0) {
    jw_key(w, "ms");
    jw_int(w, ms);
  }
  if (code >= 0) {
    jw_key(w, "code");
    jw_int(w, code);
  }
  log_end(s);
}

static int has_header(const struct sc_connection *sc, const char *name) {
  for (size_t i = 0; i < sc->nheaders; i++)
    if (strcasecmp(sc->headers[i].name, name) == 0) return 1;
  return 0;
}

/* The step is about to pause (wait) or holds. Whether the connection ends
 * here instead: 1 (how "close") when the response is complete and must be
 * the connection's last (close_after); 2 (how "client-closed") after the
 * client's EOF, when the response is complete and no request of the
 * client waits, or when it is held unfinished (the requests still waiting
 * could never be answered, and a half-closed client can ask for nothing
 * more); 0 to go on. */
static int ends_here(const struct conn *c, int hold) {
  if (c->pl.complete && c->close_after) return 1;
  if (c->peer_eof && (c->pl.complete ? c->in_len == 0 : hold)) return 2;
  return 0;
}

/* End the step and close gracefully. Returns -1 when c is gone, else 0. */
static int finish_step(struct conn *c, const char *how) {
  end_step(&c->pl, how);
  return conn_finish(c);
}

/* The size of the HTTP chunk that starts with segment i of the prepared
 * action: the whole action for send, its piece for send-chunks. */
static size_t chunk_size(const struct prepared *pr, size_t i, int whole) {
  size_t n = 0;
  for (size_t k = i; k < pr->nsegs; k++) {
    n += pr->segs[k].len;
    if (!whole && pr->segs[k].piece_end) break;
  }
  return n;
}

/* Build the next write unit of the step, or start its timer. Returns 1
 * when a unit was queued, 0 when the step waits (timer, hold), -1 when c
 * is gone. */
static int play_next(struct conn *c) {
  struct play *p = &c->pl;
  const struct sc_connection *sc = p->sc;
  const struct sc_action *a;
  int end;
  if (p->holding) {
    if ((end = ends_here(c, 1)) != 0) return finish_step(c, end == 1 ? "close" : "client-closed");
    return 0;
  }
  if (p->waiting || c->tm.kind == T_ACTION) return 0;
  if (c->head_only || p->ai >= sc->nactions) {
    if ((end = ends_here(c, 1)) != 0) return finish_step(c, end == 1 ? "close" : "client-closed");
    p->holding = 1;
    /* HEAD plays no action: its response is complete with the head */
    if (!c->head_only) log_action(p, "hold", -1, 0, 0, 0, -1, -1);
    return 0;
  }
  a = &sc->actions[p->ai];
  switch (a->kind) {
  case SC_SEND:
  case SC_SEND_CHUNKS:
  case SC_RAW: {
    struct prepared *pr = &p->act;
    const struct segment *sg;
    int chunked = p->framing == SC_CHUNKED && sc->has_body && a->kind != SC_RAW;
    if (!pr->ready || pr->ai != p->ai) {
      if (body_prepare(p) < 0) return conn_close(c, "error");
    }
    sg = &pr->segs[pr->next];
    if (sg->pause_before && !p->pause_done) {
      if (timer_set(&c->tm, T_ACTION, now_ms() + PIECE_PAUSE_MS) < 0) return conn_close(c, "error");
      return 0;
    }
    p->pause_done = 0;
    c->out_len = c->out_off = 0;
    if (chunked) {
      int head = pr->next == 0 || (a->kind == SC_SEND_CHUNKS && pr->segs[pr->next - 1].piece_end);
      if (head &&
          (out_addf(c, "%zx", chunk_size(pr, pr->next, a->kind == SC_SEND)) < 0 ||
           (sc->has_chunk_ext && out_expand(c, &sc->chunk_ext) < 0) || out_add(c, "\r\n", 2) < 0))
        return conn_close(c, "error");
    }
    if (out_add(c, pr->buf + sg->off, sg->len) < 0) return conn_close(c, "error");
    if (chunked && (pr->next + 1 == pr->nsegs || (a->kind == SC_SEND_CHUNKS && sg->piece_end)) &&
        out_add(c, "\r\n", 2) < 0)
      return conn_close(c, "error");
    log_action(p, action_names[a->kind], (long long)sg->decoded, c->out_len, sg->piece, a->npieces,
               -1, -1);
    if (a->kind != SC_RAW) {
      p->body_sent += sg->len;
      if (p->framing == SC_LENGTH && p->body_sent >= p->content_length) p->complete_on_flush = 1;
    }
    if (++pr->next == pr->nsegs) {
      body_done(p); /* the unit holds the last bytes */
      p->ai++;
    }
    return 1;
  }
  case SC_WAIT:
    if ((end = ends_here(c, 0)) != 0) return finish_step(c, end == 1 ? "close" : "client-closed");
    log_action(p, "wait", -1, 0, 0, 0, (long long)a->ms, -1);
    p->waiting = 1;
    if (timer_set(&c->tm, T_ACTION, now_ms() + (double)a->ms) < 0) return conn_close(c, "error");
    return 0;
  case SC_CLOSE:
    if (sc->has_body && !p->last_chunk &&
        (p->framing == SC_CHUNKED || (p->enc && !p->enc_finished))) {
      /* the encoder's last bytes, then the last chunk: one write */
      struct prepared fin = {0};
      int rc = body_finish(p, &fin);
      p->last_chunk = 1;
      c->out_len = c->out_off = 0;
      if (rc == 0 && fin.len > 0) {
        if (p->framing == SC_CHUNKED)
          rc = out_addf(c, "%zx", fin.len) < 0 ||
                       (sc->has_chunk_ext && out_expand(c, &sc->chunk_ext) < 0) ||
                       out_add(c, "\r\n", 2) < 0 || out_add(c, fin.buf, fin.len) < 0 ||
                       out_add(c, "\r\n", 2) < 0
                   ? -1
                   : 0;
        else
          rc = out_add(c, fin.buf, fin.len);
        p->body_sent += fin.len;
      }
      free(fin.buf);
      free(fin.segs);
      if (rc == 0 && p->framing == SC_CHUNKED &&
          (out_add(c, "0", 1) < 0 || (sc->has_chunk_ext && out_expand(c, &sc->chunk_ext) < 0) ||
           out_add(c, "\r\n\r\n", 4) < 0))
        rc = -1;
      if (rc < 0) return conn_close(c, "error");
      if (p->framing == SC_CHUNKED) p->complete_on_flush = 1;
      if (c->out_len > 0) return 1;
    }
    log_action(p, "close", -1, 0, 0, 0, -1, -1);
    end_step(p, "close");
    if (conn_finish(c) < 0) return -1;
    return 0;
  case SC_ABORT:
    log_action(p, "abort", -1, 0, 0, 0, -1, (long long)a->code);
    return conn_abort(c);
  case SC_GOAWAY:
    /* HTTP/1.1 has no GOAWAY: the connection goes away without ending the
     * body (no last chunk; a Content-Length body cut short) */
    log_action(p, "goaway", -1, 0, 0, 0, -1, (long long)a->code);
    end_step(p, "goaway");
    if (conn_finish(c) < 0) return -1;
    return 0;
  case SC_HOLD:
    if ((end = ends_here(c, 1)) != 0) return finish_step(c, end == 1 ? "close" : "client-closed");
    p->holding = 1;
    log_action(p, "hold", -1, 0, 0, 0, -1, -1);
    return 0;
  }
  return conn_close(c, "error");
}

/* Write and play until the step waits. Returns -1 when c is gone. */
static int play(struct conn *c) {
  while (c->state == CS_PLAY) {
    const char *how = "error";
    int rc;
    if (c->out_len > c->out_off) {
      rc = flush(c, &how);
      if (rc < 0) return conn_close(c, how);
      if (rc == 0) return 0;
    }
    if (c->pl.complete_on_flush) {
      c->pl.complete_on_flush = 0;
      mark_complete(&c->pl);
    }
    rc = play_next(c);
    if (rc <= 0) return rc;
  }
  return 0;
}

static int start_step(struct conn *c, struct run *r, size_t step, const struct http_request *rq) {
  struct play *p = &c->pl;
  const struct sc_connection *sc = &r->sc->conns[step];
  struct server *s = c->srv;
  int bodyless;
  jw *w;
  if (play_begin(p, c, r, step, rq, c->head_only, c->http10) < 0) return conn_close(c, "error");
  if (sc->omit_head) {
    /* no head at all: the actions (wait, abort, goaway, hold) play on a
     * connection that never sees a response byte (also for HEAD: they are
     * not a body) */
    c->head_only = 0;
    c->out_len = c->out_off = 0;
    c->state = CS_PLAY;
    timer_clear(&c->tm);
    return play(c);
  }
  /* the head: a write unit of its own */
  c->out_len = c->out_off = 0;
  if (out_expand(c, &sc->version) < 0 || out_addf(c, " %d ", sc->status) < 0 ||
      out_add(c, sc->reason, strlen(sc->reason)) < 0 || out_add(c, "\r\n", 2) < 0)
    return conn_close(c, "error");
  for (size_t i = 0; i < sc->nheaders; i++) {
    if (out_add(c, sc->headers[i].name, strlen(sc->headers[i].name)) < 0 ||
        out_add(c, ": ", 2) < 0 || out_expand(c, &sc->headers[i].value) < 0 ||
        out_add(c, "\r\n", 2) < 0)
      return conn_close(c, "error");
  }
  if (sc->add_content_type && out_add(c, "Content-Type: text/event-stream\r\n", 33) < 0)
    return conn_close(c, "error");
  if (p->coding != SC_IDENTITY &&
      out_addf(c, "Content-Encoding: %s\r\n", sc_coding_name(p->coding)) < 0)
    return conn_close(c, "error");
  {
    int rc = 0, announce_close = c->close_after;
    if (sc->has_body) {
      if (p->framing == SC_CHUNKED && !has_header(sc, "Transfer-Encoding"))
        rc = out_add(c, "Transfer-Encoding: chunked\r\n", 28);
      else if (p->framing == SC_LENGTH && !has_header(sc, "Content-Length"))
        rc = out_addf(c, "Content-Length: %llu\r\n", (unsigned long long)p->content_length);
      /* A response that ends in close announces it, as HTTP/1.1 asks, so
       * that a pooling client does not send its next request on a dying
       * connection. */
      if (p->framing == SC_CLOSE_DELIMITED ||
          (sc->nactions > 0 && sc->actions[sc->nactions - 1].kind == SC_CLOSE))
        announce_close = 1;
    }
    if (rc == 0 && announce_close && !has_header(sc, "Connection"))
      rc = out_add(c, "Connection: close\r\n", 19);
    if (rc < 0 || out_add(c, "\r\n", 2) < 0) return conn_close(c, "error");
    /* a HEAD response is complete with its head: a close it announces is
     * kept at once */
    if (c->head_only && announce_close) c->close_after = 1;
  }
  /* an encoded Content-Length body without send actions: the encoding of
   * the empty body goes with the head */
  bodyless = !sc->has_body || c->head_only || (p->framing == SC_LENGTH && p->content_length == 0);
  if (!bodyless && p->framing == SC_LENGTH && p->enc && p->last_body_action == SIZE_MAX) {
    struct prepared fin = {0};
    int rc = body_finish(p, &fin);
    if (rc == 0) rc = out_add(c, fin.buf, fin.len);
    p->body_sent += fin.len;
    free(fin.buf);
    free(fin.segs);
    if (rc < 0) return conn_close(c, "error");
    bodyless = 1;
  }
  w = log_begin(s, "head");
  log_run_fields(w, p, r, step);
  jw_key(w, "status");
  jw_int(w, sc->status);
  jw_key(w, "bytes");
  jw_uint(w, c->out_len);
  if (p->framing == SC_LENGTH && sc->has_body) {
    jw_key(w, "content_length");
    jw_uint(w, p->content_length);
  }
  jw_key(w, "framing");
  jw_cstr(w, !sc->has_body ? "none" : framing_names[p->framing]);
  jw_key(w, "body");
  jw_bool(w, sc->has_body && !c->head_only);
  jw_key(w, "content_encoding");
  jw_cstr(w, sc_coding_name(p->coding));
  if (p->framing != sc->framing) {
    jw_key(w, "note");
    jw_cstr(w, "chunked framing sent close-delimited to an HTTP/1.0 request");
  } else if (sc->coding != SC_IDENTITY && p->coding == SC_IDENTITY && sc->has_body) {
    jw_key(w, "note");
    jw_cstr(w, sc->coding == SC_GZIP ? "the request did not offer gzip: sent identity"
                                     : "the request did not offer br: sent identity");
  }
  log_end(s);
  if (bodyless) p->complete_on_flush = 1;
  c->state = CS_PLAY;
  timer_clear(&c->tm);
  return play(c);
}

/* ------------------------------------------------------------ requests */

void log_request(struct play *p, struct conn *c, const char *ev, const struct http_request *rq,
                 struct run *r, size_t step, const char *sub, size_t subn) {
  struct server *s = c->srv;
  jw *w = log_begin(s, ev);
  double prev = -1;
  struct play tmp;
  /* the run fields name this request's connection and stream */
  memset(&tmp, 0, sizeof tmp);
  tmp.conn = c;
  tmp.stream = p ? p->stream : NULL;
  log_run_fields(w, &tmp, r, step);
  jw_key(w, "method");
  jw_string(w, rq->method.p, rq->method.n);
  jw_key(w, "target");
  jw_string(w, rq->target.p, rq->target.n);
  jw_key(w, "subpath");
  jw_string(w, sub, subn);
  jw_key(w, "version");
  jw_string(w, rq->version.p, rq->version.n);
  jw_key(w, "headers");
  jw_array_begin(w);
  for (size_t i = 0; i < rq->nheaders; i++) {
    jw_array_begin(w);
    jw_string(w, rq->headers[i].name.p, rq->headers[i].name.n);
    jw_string(w, rq->headers[i].value.p, rq->headers[i].value.n);
    jw_array_end(w);
  }
  jw_array_end(w);
  jw_key(w, "tls");
  jw_bool(w, c->tls);
  jw_key(w, "proto");
  jw_cstr(w, tmp.stream ? "h2" : "http/1.1");
  if (step > 0) prev = r->end_t[step - 1 < r->sc->nconns ? step - 1 : r->sc->nconns - 1];
  if (prev >= 0) {
    j_double(w, "delay_ms", now_ms() - prev);
  } else {
    jw_key(w, "delay_ms");
    jw_null(w);
  }
  log_end(s);
}

static int token_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '-' || ch == '_';
}

void resolve(struct conn *c, const struct http_request *rq, struct route *out) {
  struct server *s = c->srv;
  const char *t = rq->target.p, *end = t + rq->target.n, *path_end;
  memset(out, 0, sizeof *out);
  out->kind = R_NOT_FOUND;
  /* absolute-form: drop the scheme and authority */
  if ((size_t)(end - t) > 8 &&
      (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0)) {
    const char *q = (const char *)memchr(t, ':', (size_t)(end - t)) + 3;
    while (q < end && *q != '/') q++;
    t = q;
  }
  path_end = t;
  while (path_end < end && *path_end != '?') path_end++;
  if (s->cfg->static_dir && path_end - t > 8 && memcmp(t, "/static/", 8) == 0) {
    out->kind = R_STATIC;
    out->rel = t + 8;
    out->reln = (size_t)(path_end - t - 8);
    return;
  }
  if (end - t > 3 && memcmp(t, "/s/", 3) == 0) {
    const char *rest = t + 3;
    for (size_t i = 0; i < s->cfg->nscenarios; i++) {
      const struct scenario *sc = s->by_len[i];
      size_t nl = strlen(sc->name);
      const char *tok, *te;
      struct run *r;
      if ((size_t)(end - rest) <= nl || memcmp(rest, sc->name, nl) != 0 || rest[nl] != '/')
        continue;
      tok = te = rest + nl + 1;
      while (te < end && token_char(*te)) te++;
      if (te == tok || te - tok > MAX_TOKEN || (te < end && *te != '/' && *te != '?')) break;
      r = run_get(s, sc, tok, (size_t)(te - tok));
      if (!r) {
        out->kind = R_ERROR;
        return;
      }
      if (r->next_step > 0 && r->next_step <= sc->nconns && r->end_t[r->next_step - 1] < 0 &&
          r->latest && r->latest->conn != c && !s->peeking) {
        /* The previous step still plays on another connection; the client
         * may have closed it just before this request, with its EOF not yet
         * taken: take it now, so that the delay is measured from it. */
        s->peeking = 1;
        r->refs++;
        drive(r->latest->conn);
        r->refs--;
        s->peeking = 0;
      }
      if (te < end && *te == '/') te++;
      out->run = r;
      out->sub = te;
      out->subn = (size_t)(end - te);
      out->step = r->next_step;
      if (r->next_step >= sc->nconns) {
        out->kind = R_UNEXPECTED;
        if (r->next_step < SIZE_MAX) r->next_step++;
      } else {
        out->kind = R_RUN;
        r->next_step++;
      }
      return;
    }
  }
}

/* Answer a parsed request. Returns -1 when c is gone. */
static int route(struct conn *c, const struct http_request *rq) {
  struct route rt;
  resolve(c, rq, &rt);
  switch (rt.kind) {
  case R_STATIC:
    return serve_static(c, rq, rt.rel, rt.reln);
  case R_ERROR:
    return conn_close(c, "error");
  case R_UNEXPECTED: {
    static const char body[] = "404 Not Found: this run has no further connection\n";
    log_request(NULL, c, "unexpected", rq, rt.run, rt.step, rt.sub, rt.subn);
    return reply(c, 404, "text/plain; charset=utf-8", body, sizeof body - 1, 1, 0);
  }
  case R_RUN:
    log_request(NULL, c, "request", rq, rt.run, rt.step, rt.sub, rt.subn);
    return start_step(c, rt.run, rt.step, rq);
  case R_NOT_FOUND:
    break;
  }
  return not_found(c, rq);
}

/* Drop n bytes from the front of the input, then any request body. */
static void consume_input(struct conn *c, size_t n) {
  if (n > c->in_len) n = c->in_len;
  memmove(c->in, c->in + n, c->in_len - n);
  c->in_len -= n;
  if (c->body_left > 0 && c->in_len > 0) {
    size_t d = c->body_left < (long long)c->in_len ? (size_t)c->body_left : c->in_len;
    memmove(c->in, c->in + d, c->in_len - d);
    c->in_len -= d;
    c->body_left -= (long long)d;
  }
  if (c->in_len == 0) { /* idle and held connections keep no buffer */
    free(c->in);
    c->in = NULL;
    c->in_cap = 0;
  }
}

/* Parse and answer a request head from the input, if a whole one is
 * there. Returns -1 when c is gone. */
static int process_head(struct conn *c) {
  struct http_request *rq;
  const char *why = "";
  int rc;
  rq = malloc(sizeof *rq);
  if (!rq) return conn_close(c, "error");
  rc = http_parse_request(c->in, c->in_len, rq, &why);
  if (rc == HTTP_INCOMPLETE) {
    if (c->in_overflow || c->in_len >= HTTP_MAX_HEAD)
      rc = bad_request(c, 431, "the request head is over 16 KiB");
    else if (c->tm.kind == T_NONE &&
             timer_set(&c->tm, T_HEADER, now_ms() + (double)c->srv->cfg->header_timeout_ms) < 0)
      rc = conn_close(c, "error");
    else
      rc = 0;
  } else if (rc == HTTP_BAD) {
    rc = bad_request(c, 400, why);
  } else if (rc == HTTP_TOO_LARGE) {
    rc = bad_request(c, 431, why);
  } else if (rc == HTTP_BAD_VERSION) {
    rc = bad_request(c, 505, why);
  } else if (rq->chunked_body) {
    rc = bad_request(c, 501, "request bodies with Transfer-Encoding are not supported");
  } else if (rq->content_length > MAX_REQUEST_BODY) {
    rc = bad_request(c, 413, "the request body is over 1 MiB");
  } else {
    size_t used = rq->head_len;
    c->body_left = rq->content_length > 0 ? rq->content_length : 0;
    /* HTTP/1.0 connections are never kept: no keep-alive negotiation */
    c->http10 = rq->version.p[7] == '0';
    c->close_after = c->http10 || http_connection_has(rq, "close");
    c->head_only = http_span_eq(rq->method, "HEAD");
    timer_clear(&c->tm);
    /* the spans of rq point into c->in: it is consumed after route */
    rc = route(c, rq);
    if (rc == 0) consume_input(c, used);
  }
  free(rq);
  return rc;
}

/* ------------------------------------------------------------ the loop */

/* Drive a connection after an event or a timer: handshake, write, read,
 * answer. */
static void drive_once(struct conn *c) {
  const char *how = "error";
  int rc;
  if (c->dead) return;
  if (c->state == CS_HANDSHAKE) {
    char err[200] = "";
    rc = tls_handshake(c->ssl, err, sizeof err);
    c->tls_want_write = rc == TLS_WANT_WRITE;
    if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE) {
      update_events(c);
      return;
    }
    if (rc != TLS_DONE) {
      jw *w = log_begin(c->srv, "tls-error");
      log_conn_fields(w, c);
      jw_key(w, "message");
      jw_cstr(w, err);
      log_end(c->srv);
      conn_close(c, "error");
      return;
    }
    if (c->ls->kind == L_TLS && tls_alpn_h2(c->ssl)) {
      /* the client's preface may already wait in the TLS buffers */
      if (h2_start(c) == 0 && !c->dead && c->state == CS_H2) h2_drive(c);
      return;
    }
    c->state = CS_HEAD;
    update_events(c);
  }
  if (c->state == CS_H2) {
    h2_drive(c);
    return;
  }
  if (c->state == CS_LINGER) {
    rc = read_input(c, &how);
    if (rc < 0) conn_close(c, "close");
    return;
  }
  /* one request answered per round, MAX_ROUNDS at most, so that one
   * client cannot hog the loop; the rest is for the ready list */
  for (int round = 0;; round++) {
    if (round == MAX_ROUNDS) {
      ready_add(c);
      return;
    }
    /* write */
    if (c->state == CS_PLAY) {
      if (play(c) < 0) return;
      if (c->state == CS_LINGER) return;
    } else if (c->state == CS_REPLY) {
      if (c->out_len > c->out_off) {
        rc = flush(c, &how);
        if (rc < 0) {
          conn_close(c, how);
          return;
        }
      }
      if (c->out_len == c->out_off) {
        if (c->reply_close || (c->peer_eof && c->in_len == 0)) {
          conn_finish(c);
          return;
        }
        c->state = CS_HEAD;
      }
    }
    /* read */
    if (!c->peer_eof) {
      rc = read_input(c, &how);
      if (rc == -2) {
        conn_close(c, how);
        return;
      }
      if (rc == -1) {
        /* The client's EOF. With nothing of it left to answer, it has
         * gone (while a step plays: the end of the step). Else it may
         * have only half-closed (shutdown(SHUT_WR)) and still read: what
         * it sent is answered, then the connection is closed. */
        if (c->in_len == 0 && c->state != CS_REPLY) {
          conn_close(c, "client-closed");
          return;
        }
        c->peer_eof = 1;
        update_events(c);
        continue; /* a step that holds or pauses may now end (ends_here) */
      }
    }
    if (c->state == CS_PLAY && c->pl.complete && c->out_len == c->out_off &&
        (c->in_len > 0 || c->in_overflow) && c->body_left == 0) {
      /* keep-alive: a new request on this connection ends the step */
      end_step(&c->pl, "keep-alive");
      c->state = CS_HEAD;
      timer_clear(&c->tm);
    }
    if (c->state == CS_HEAD && c->body_left == 0 && (c->in_len > 0 || c->in_overflow)) {
      if (process_head(c) < 0) return;
      if (c->state != CS_HEAD) continue;
    }
    if (c->peer_eof && c->state == CS_HEAD) {
      /* after the client's EOF an incomplete request never completes */
      conn_close(c, "client-closed");
      return;
    }
    break;
  }
}

void drive(struct conn *c) {
  drive_once(c);
  if (!c->dead) update_events(c); /* reading may resume as input was taken */
}

static void on_timer(struct conn *c, enum timer_kind kind) {
  switch (kind) {
  case T_HEADER:
    if (c->state == CS_HANDSHAKE) {
      jw *w = log_begin(c->srv, "tls-error");
      log_conn_fields(w, c);
      jw_key(w, "message");
      jw_cstr(w, "handshake timeout");
      log_end(c->srv);
      conn_close(c, "error");
      return;
    }
    if (c->state == CS_H2) {
      /* the client's connection preface did not come in time */
      log_bad_request(c, NULL, 408, "the HTTP/2 connection preface did not arrive in time");
      conn_close(c, "error");
      return;
    }
    if (c->state != CS_HEAD) return;
    if (bad_request(c, 408, "the request head did not arrive in time") < 0) return;
    drive(c);
    return;
  case T_ACTION:
    if (c->state != CS_PLAY) return;
    if (c->pl.waiting) {
      c->pl.waiting = 0;
      c->pl.ai++;
    } else {
      c->pl.pause_done = 1;
    }
    drive(c);
    return;
  case T_LINGER:
    conn_close(c, "close");
    return;
  case T_NONE:
    return;
  }
}

static const char *const listener_names[] = {"http", "tls", "tls-h1", "h2c"};

static void accept_all(struct server *s, struct listener *l) {
  for (int i = 0; i < 256; i++) {
    struct conn *c;
    struct epoll_event ev;
    int one = 1;
    jw *w;
    int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && s->spare_fd >= 0) {
        /* out of descriptors: refuse one connection so that the listener
         * does not stay readable forever */
        close(s->spare_fd);
        fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) close(fd);
        s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        w = log_begin(s, "refused");
        jw_key(w, "why");
        jw_cstr(w, "out of file descriptors");
        log_end(s);
      }
      return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c = calloc(1, sizeof *c);
    if (!c) {
      close(fd);
      continue;
    }
    c->h.kind = K_CONN;
    c->srv = s;
    c->fd = fd;
    c->id = ++s->next_id;
    c->ls = l;
    c->tls = l->tls;
    c->tm.heap_idx = SIZE_MAX;
    c->tm.conn = c;
    c->state = l->tls ? CS_HANDSHAKE : CS_HEAD;
    s->nconns++;
    if (s->nconns > s->max_conns) s->max_conns = s->nconns;
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    if (l->tls && !(c->ssl = tls_new(l->kind == L_TLS_H1 ? s->ctx_h1 : s->ctx, fd))) {
      conn_free(c);
      continue;
    }
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    c->ev_mask = EPOLLIN;
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ||
        timer_set(&c->tm, T_HEADER, now_ms() + (double)s->cfg->header_timeout_ms) < 0) {
      conn_free(c);
      continue;
    }
    w = log_begin(s, "connect");
    log_conn_fields(w, c);
    jw_key(w, "tls");
    jw_bool(w, c->tls);
    jw_key(w, "listener");
    jw_cstr(w, listener_names[l->kind]);
    jw_key(w, "open");
    jw_uint(w, s->nconns);
    log_end(s);
    if (l->kind == L_H2C && h2_start(c) < 0) continue;
  }
}

static int listen_on(struct server *s, enum listener_kind kind, int port, char *err,
                     size_t errsize) {
  struct listener *l = &s->ls[kind];
  struct sockaddr_in a;
  socklen_t alen = sizeof a;
  struct epoll_event ev;
  int one = 1;
  l->h.kind = K_LISTEN;
  l->kind = kind;
  l->tls = kind == L_TLS || kind == L_TLS_H1;
  l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (l->fd < 0) {
    snprintf(err, errsize, "socket: %s", strerror(errno));
    return -1;
  }
  s->has_ls[kind] = 1;
  setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(l->fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(l->fd, 4096) < 0 ||
      getsockname(l->fd, (struct sockaddr *)&a, &alen) < 0) {
    snprintf(err, errsize, "cannot listen on 127.0.0.1:%d: %s", port, strerror(errno));
    return -1;
  }
  l->port = ntohs(a.sin_port);
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.ptr = l;
  if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, l->fd, &ev) < 0) {
    snprintf(err, errsize, "epoll_ctl: %s", strerror(errno));
    return -1;
  }
  snprintf(l->origin, sizeof l->origin, "%s://127.0.0.1:%d", l->tls ? "https" : "http", l->port);
  l->origin_len = strlen(l->origin);
  return 0;
}

static int by_len_desc(const void *a, const void *b) {
  const struct scenario *x = *(const struct scenario *const *)a;
  const struct scenario *y = *(const struct scenario *const *)b;
  size_t lx = strlen(x->name), ly = strlen(y->name);
  return lx < ly ? 1 : lx > ly ? -1 : strcmp(x->name, y->name);
}

static void write_listening(const struct server *s, FILE *f) {
  static const char *const keys[] = {"port", "tls_port", "tls_h1_port", "h2c_port"};
  fputs("{\"ev\":\"listening\"", f);
  for (int k = 0; k < L_COUNT; k++) {
    if (s->has_ls[k])
      fprintf(f, ",\"%s\":%d", keys[k], s->ls[k].port);
    else
      fprintf(f, ",\"%s\":null", keys[k]);
  }
  fprintf(f, ",\"h2_max_streams\":%lu,\"scenarios\":%zu,\"t\":%.3f}\n", s->cfg->h2_max_streams,
          s->cfg->nscenarios, rel_ms(s, now_ms()));
  fflush(f);
}

int server_run(const struct server_config *cfg, char *err, size_t errsize) {
  struct server s;
  struct epoll_event evs[256];
  sigset_t set;
  int rc = 1;
  int ports[L_COUNT];
  memset(&s, 0, sizeof s);
  s.cfg = cfg;
  s.t0 = now_ms();
  s.epfd = s.sigfd = s.spare_fd = s.static_fd = -1;
  for (int k = 0; k < L_COUNT; k++) s.ls[k].fd = -1;
  ports[L_HTTP] = cfg->port;
  ports[L_TLS] = cfg->tls_port;
  ports[L_TLS_H1] = cfg->tls_h1_port;
  ports[L_H2C] = cfg->h2c_port;
  jw_init(&s.log, (size_t)64 << 20);
  s.by_len = malloc((cfg->nscenarios ? cfg->nscenarios : 1) * sizeof *s.by_len);
  if (!s.by_len) {
    snprintf(err, errsize, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < cfg->nscenarios; i++) s.by_len[i] = cfg->scenarios[i];
  qsort(s.by_len, cfg->nscenarios, sizeof *s.by_len, by_len_desc);
  if (cfg->static_dir) {
    s.static_fd = open(cfg->static_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s.static_fd < 0) {
      snprintf(err, errsize, "--static %s: %s", cfg->static_dir, strerror(errno));
      goto done;
    }
  }
  if (cfg->tls_port >= 0) {
    s.ctx = tls_context(cfg->cert, cfg->key, 1, err, errsize);
    if (!s.ctx) goto done;
  }
  if (cfg->tls_h1_port >= 0) {
    s.ctx_h1 = tls_context(cfg->cert, cfg->key, 0, err, errsize);
    if (!s.ctx_h1) goto done;
  }
  s.epfd = epoll_create1(EPOLL_CLOEXEC);
  if (s.epfd < 0) {
    snprintf(err, errsize, "epoll_create1: %s", strerror(errno));
    goto done;
  }
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  s.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (s.sigfd < 0) {
    snprintf(err, errsize, "signalfd: %s", strerror(errno));
    goto done;
  }
  {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    s.sig.kind = K_SIGNAL;
    ev.events = EPOLLIN;
    ev.data.ptr = &s.sig;
    if (epoll_ctl(s.epfd, EPOLL_CTL_ADD, s.sigfd, &ev) < 0) {
      snprintf(err, errsize, "epoll_ctl: %s", strerror(errno));
      goto done;
    }
  }
  s.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  for (int k = 0; k < L_COUNT; k++)
    if (ports[k] >= 0 && listen_on(&s, (enum listener_kind)k, ports[k], err, errsize) < 0)
      goto done;
  write_listening(&s, stdout);
  if (cfg->log != stdout) write_listening(&s, cfg->log);

  while (!s.stop) {
    int timeout = -1, n;
    if (s.ready) {
      timeout = 0;
    } else if (s.heap_n) {
      double d = ceil(s.heap[0]->deadline - now_ms());
      timeout = d <= 0 ? 0 : d > 1e9 ? 1000000000 : (int)d;
    }
    n = epoll_wait(s.epfd, evs, (int)(sizeof evs / sizeof evs[0]), timeout);
    if (n < 0 && errno != EINTR) {
      snprintf(err, errsize, "epoll_wait: %s", strerror(errno));
      goto done;
    }
    for (int i = 0; i < n; i++) {
      struct handle *h = evs[i].data.ptr;
      if (h->kind == K_LISTEN) {
        accept_all(&s, (struct listener *)h);
      } else if (h->kind == K_SIGNAL) {
        struct signalfd_siginfo si;
        while (read(s.sigfd, &si, sizeof si) == (ssize_t)sizeof si) s.stop = 1;
      } else {
        struct conn *c = (struct conn *)h;
        /* after the client's EOF nothing is read that would show an error:
         * a reset or hang-up ends the connection here */
        if (c->peer_eof && !c->dead && (evs[i].events & (EPOLLERR | EPOLLHUP)))
          conn_close(c, "client-closed");
        else
          drive(c);
      }
    }
    /* timers that are due; each is taken off the heap before it runs */
    {
      double now = now_ms();
      while (s.heap_n && s.heap[0]->deadline <= now) {
        struct timer *t = s.heap[0];
        enum timer_kind kind = t->kind;
        timer_clear(t);
        if (t->stream)
          h2_on_timer(t->stream, kind);
        else
          on_timer(t->conn, kind);
      }
    }
    /* connections with answers left after MAX_ROUNDS, oldest first; those
     * that go back on the list wait for the next turn */
    for (size_t k = s.nready; k > 0 && s.ready; k--) {
      struct conn *c = s.ready;
      ready_remove(c);
      drive(c);
    }
    free_dead(&s);
  }
  rc = 0;
  {
    jw *w = log_begin(&s, "stopped");
    jw_key(w, "max_open");
    jw_uint(w, s.max_conns);
    jw_key(w, "max_streams");
    jw_uint(w, s.max_streams);
    log_end(&s);
  }
done:
  /* free what is left */
  while (s.conns) conn_free(s.conns);
  free_dead(&s);
  for (size_t i = 0; i < s.nbuckets; i++) {
    struct run *r = s.buckets[i];
    while (r) {
      struct run *next = r->hnext;
      run_free(r);
      r = next;
    }
  }
  free(s.buckets);
  free(s.heap);
  free(s.by_len);
  jw_free(&s.log);
  for (int k = 0; k < L_COUNT; k++)
    if (s.ls[k].fd >= 0) close(s.ls[k].fd);
  if (s.sigfd >= 0) close(s.sigfd);
  if (s.spare_fd >= 0) close(s.spare_fd);
  if (s.static_fd >= 0) close(s.static_fd);
  if (s.epfd >= 0) close(s.epfd);
  if (s.ctx) tls_context_free(s.ctx);
  if (s.ctx_h1) tls_context_free(s.ctx_h1);
  return rc;
}
