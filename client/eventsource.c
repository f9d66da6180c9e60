/*
 * eventsource.c - the reference EventSource client: sources, connections
 * and the epoll loop. See eventsource.h and docs/reference-client.md.
 *
 * A source is in one of these connection states (cs):
 *
 *   CS_NONE     no connection: waiting for the reconnection timer
 *               (deadline >= 0), or failed/closed
 *   CS_CONNECT  a non-blocking connect() in progress (EPOLLOUT)
 *   CS_TLS      the TLS handshake in progress (EPOLLIN or EPOLLOUT)
 *   CS_SEND     writing the request
 *   CS_HEAD     reading the response head
 *   CS_BODY     the connection was announced; the body goes to the parser
 *
 * Over HTTP/2 (ALPN h2 over TLS, or cleartext with prior knowledge) the
 * connection carries one request stream, and a source goes from CS_CONNECT
 * or CS_TLS straight to CS_HEAD (the request is handed to nghttp2, which
 * writes it out with the connection preface); CS_HEAD and CS_BODY mean the
 * same. The end of the stream (END_STREAM, RST_STREAM, a GOAWAY that
 * refuses it, the connection closing) plays the part of the end of an
 * HTTP/1.1 body. See "HTTP/2" below for how nghttp2's callbacks are kept
 * apart from the handlers.
 *
 * and the readyState is the standard's. The standard's three steps map to:
 *   announce   (200 + text/event-stream)    readyState OPEN, on_open
 *   reestablish (network error, end of body) close, readyState CONNECTING,
 *              on_error(0), timer = reconnection time, then a new fetch
 *   fail       (other responses, parser failure) close, readyState CLOSED,
 *              on_error(2), nothing more
 *
 * Handlers may close sources, so nothing is freed while the loop is
 * dispatching: es_close() marks the source dead and the loop frees it at
 * the end of the turn. After every handler call the code checks whether
 * its source is still alive (and still on the same connection) before it
 * touches anything else.
 */
#define _GNU_SOURCE
#include "eventsource.h"

#include "http_response.h"
#include "url.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <nghttp2/nghttp2.h>

#define ES_USER_AGENT "ssespec-reference-client/1.0.0"
#define READ_BUF 16384
#define MAX_READS 16 /* reads per source per turn, so no source starves the rest */

enum { W_SOURCE, W_FD };

typedef struct watch {
  int kind;
  int fd;
  es_source *src;                 /* W_SOURCE */
  void (*cb)(void *user, int fd); /* W_FD */
  void *user;
  int is_file; /* not in epoll: called every turn */
  int dead;
  struct watch *next;
} watch;

enum { CS_NONE, CS_CONNECT, CS_TLS, CS_SEND, CS_HEAD, CS_BODY };

struct es_source {
  es_loop *loop;
  es_source *next;
  es_handlers h;
  void *user;
  es_type *types; /* owned copies */
  size_t ntypes;
  es_url url;     /* the constructor's URL */
  es_url req_url; /* the request's current URL (redirects change it) */
  es_url cur;     /* the URL of the connection in progress */
  int have_cur;
  int ready_state;
  uint64_t reconnect_ms;
  sse_parser parser;
  hr_parser hr;
  int redirects;
  /* the connection */
  int cs;
  int fd;
  SSL *ssl;
  uint32_t events; /* registered epoll interest; 0: not registered */
  unsigned gen;    /* changes whenever a connection is closed */
  struct addrinfo *ai_list, *ai_next;
  int last_errno;
  char *req;
  size_t req_len, req_off;
  int64_t deadline;  /* monotonic ms of the reconnection, or -1 */
  int more;          /* TLS holds decrypted bytes epoll cannot see: read next turn */
  struct h2conn *h2; /* the HTTP/2 session of the connection, or NULL (HTTP/1.1) */
  int h2c;           /* http URLs: cleartext HTTP/2 with prior knowledge */
  const char *proto; /* "http/1.1" or "h2": the last request's protocol, or NULL */
  int dead;
  watch w;
};

struct es_loop {
  int epfd;
  SSL_CTX *ssl_ctx;
  es_options opt;
  es_source *sources;
  size_t count;
  watch *watches;
  int depth; /* > 0 while dispatching */
  void (*log)(void *user, const char *msg);
  void *log_user;
  nghttp2_session_callbacks *h2_cbs; /* shared by every HTTP/2 session of the loop */
  nghttp2_option *h2_opt;
  char rbuf[READ_BUF];
};

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void es_options_init(es_options *o) {
  memset(o, 0, sizeof *o);
  o->reconnect_ms = ES_DEFAULT_RECONNECT_MS;
}

static void set_err(char *err, size_t errsize, const char *fmt, ...) {
  if (!err || !errsize) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errsize, fmt, ap);
  va_end(ap);
}

/* ------------------------------------------------------------ the loop */

static int h2_loop_init(es_loop *l);
static void h2_conn_free(struct h2conn *h);

es_loop *es_loop_new(const es_options *opt, char *err, size_t errsize) {
  es_loop *l = calloc(1, sizeof *l);
  if (!l) {
    set_err(err, errsize, "out of memory");
    return NULL;
  }
  if (opt)
    l->opt = *opt;
  else
    es_options_init(&l->opt);
  l->opt.ca_file = NULL; /* not kept */
  l->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (l->epfd < 0) {
    set_err(err, errsize, "epoll_create1: %s", strerror(errno));
    free(l);
    return NULL;
  }
  l->ssl_ctx = SSL_CTX_new(TLS_client_method());
  if (!l->ssl_ctx) {
    set_err(err, errsize, "cannot create the TLS context");
    goto fail;
  }
  SSL_CTX_set_min_proto_version(l->ssl_ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(l->ssl_ctx, SSL_VERIFY_PEER, NULL);
  SSL_CTX_set_mode(l->ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
  SSL_CTX_set_options(l->ssl_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
  SSL_CTX_set_default_verify_paths(l->ssl_ctx);
  /* ALPN: HTTP/2 when the server picks it, else HTTP/1.1 (returns 0 on success) */
  static const unsigned char alpn[] = "\x02h2\x08http/1.1";
  if (SSL_CTX_set_alpn_protos(l->ssl_ctx, alpn, sizeof alpn - 1) != 0) {
    set_err(err, errsize, "cannot set up ALPN");
    goto fail;
  }
  if (h2_loop_init(l) < 0) {
    set_err(err, errsize, "cannot set up HTTP/2 (out of memory)");
    goto fail;
  }
  if (opt && opt->ca_file && opt->ca_file[0]) {
    if (SSL_CTX_load_verify_locations(l->ssl_ctx, opt->ca_file, NULL) != 1) {
      unsigned long e = ERR_get_error();
      char eb[160];
      ERR_error_string_n(e, eb, sizeof eb);
      ERR_clear_error();
      set_err(err, errsize, "cannot load CA file %s: %s", opt->ca_file, eb);
      goto fail;
    }
  }
  ERR_clear_error();
  return l;
fail:
  if (l->h2_cbs) nghttp2_session_callbacks_del(l->h2_cbs);
  if (l->h2_opt) nghttp2_option_del(l->h2_opt);
  if (l->ssl_ctx) SSL_CTX_free(l->ssl_ctx);
  close(l->epfd);
  free(l);
  return NULL;
}

void es_loop_set_log(es_loop *l, void (*log)(void *user, const char *msg), void *user) {
  l->log = log;
  l->log_user = user;
}

size_t es_loop_count(const es_loop *l) {
  return l->count;
}

int es_loop_watch(es_loop *l, int fd, void (*cb)(void *user, int fd), void *user) {
  watch *w = calloc(1, sizeof *w);
  if (!w) {
    errno = ENOMEM;
    return -1;
  }
  w->kind = W_FD;
  w->fd = fd;
  w->cb = cb;
  w->user = user;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
  if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    if (errno != EPERM) {
      int e = errno;
      free(w);
      errno = e;
      return -1;
    }
    w->is_file = 1; /* a regular file or the like: always readable */
  }
  w->next = l->watches;
  l->watches = w;
  return 0;
}

void es_loop_unwatch(es_loop *l, int fd) {
  for (watch *w = l->watches; w; w = w->next) {
    if (w->dead || w->fd != fd) continue;
    if (!w->is_file) epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    w->dead = 1;
  }
}

static void source_free(es_source *s);

/* Free dead sources and watches (not while dispatching). */
static void sweep(es_loop *l) {
  for (es_source **pp = &l->sources; *pp;) {
    es_source *s = *pp;
    if (s->dead) {
      *pp = s->next;
      source_free(s);
    } else {
      pp = &s->next;
    }
  }
  for (watch **pp = &l->watches; *pp;) {
    watch *w = *pp;
    if (w->dead) {
      *pp = w->next;
      free(w);
    } else {
      pp = &w->next;
    }
  }
}

void es_loop_free(es_loop *l) {
  if (!l) return;
  l->depth = 1; /* no sweeping while the list is walked */
  for (es_source *s = l->sources; s; s = s->next) es_close(s);
  for (watch *w = l->watches; w; w = w->next) w->dead = 1;
  l->depth = 0;
  sweep(l);
  nghttp2_session_callbacks_del(l->h2_cbs);
  nghttp2_option_del(l->h2_opt);
  SSL_CTX_free(l->ssl_ctx);
  close(l->epfd);
  free(l);
}

/* ------------------------------------------------------ the connection */

static void set_interest(es_source *s, uint32_t events) {
  if (s->fd < 0 || s->events == events) return;
  struct epoll_event ev = {.events = events, .data.ptr = &s->w};
  int op = s->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(s->loop->epfd, op, s->fd, &ev) == 0) s->events = events;
}

static void close_conn(es_source *s) {
  s->more = 0;
  if (s->h2) { /* never from inside nghttp2: its callbacks only take notes */
    h2_conn_free(s->h2);
    s->h2 = NULL;
  }
  if (s->ssl) {
    SSL_free(s->ssl);
    s->ssl = NULL;
  }
  if (s->fd >= 0) {
    if (s->events) epoll_ctl(s->loop->epfd, EPOLL_CTL_DEL, s->fd, NULL);
    close(s->fd);
    s->fd = -1;
  }
  s->events = 0;
  s->cs = CS_NONE;
  free(s->req);
  s->req = NULL;
  s->req_len = s->req_off = 0;
  hr_reset(&s->hr);
  s->gen++;
  ERR_clear_error();
}

/* The standard's "reestablish the connection". */
static void reestablish(es_source *s, const char *why) {
  int in_body = s->cs == CS_BODY;
  close_conn(s);
  if (in_body) sse_parser_finish(&s->parser); /* a pending event is discarded */
  if (s->ready_state == ES_CLOSED || s->dead) return;
  s->ready_state = ES_CONNECTING;
  uint64_t wait = s->reconnect_ms;
  if (wait > (uint64_t)INT64_MAX / 4) wait = (uint64_t)INT64_MAX / 4;
  s->deadline = now_ms() + (int64_t)wait;
  if (s->h.on_error) s->h.on_error(s->user, ES_CONNECTING, why);
}

/* The standard's "fail the connection". */
static void fail_connection(es_source *s, const char *why) {
  int in_body = s->cs == CS_BODY;
  close_conn(s);
  if (in_body) sse_parser_finish(&s->parser);
  s->deadline = -1;
  if (s->ready_state == ES_CLOSED || s->dead) return;
  s->ready_state = ES_CLOSED;
  if (s->h.on_error) s->h.on_error(s->user, ES_CLOSED, why);
}

/* A network error before a response: reestablish (the standard allows
 * failing when reconnecting is known to be futile; this client never
 * assumes that). */
static void network_error(es_source *s, const char *fmt, ...) {
  char why[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  reestablish(s, why);
}

static void try_next_addr(es_source *s);
static void send_step(es_source *s);
static void h2_start(es_source *s);

static int build_request(es_source *s) {
  size_t idlen = 0;
  const char *id = sse_parser_last_event_id(&s->parser, &idlen);
  const char *fmt = "GET %s HTTP/1.1\r\n"
                    "Host: %s\r\n"
                    "Accept: text/event-stream\r\n"
                    "Cache-Control: no-cache\r\n"
                    "Pragma: no-cache\r\n"
                    "User-Agent: " ES_USER_AGENT "\r\n"
                    "Connection: close\r\n";
  int base = snprintf(NULL, 0, fmt, s->cur.target, s->cur.authority);
  if (base < 0) return -1;
  size_t cap = (size_t)base + idlen + 32;
  char *r = malloc(cap);
  if (!r) return -1;
  snprintf(r, cap, fmt, s->cur.target, s->cur.authority);
  size_t n = (size_t)base;
  if (idlen > 0) { /* the last event ID string, when not empty */
    memcpy(r + n, "Last-Event-ID: ", 15);
    n += 15;
    memcpy(r + n, id, idlen);
    n += idlen;
    memcpy(r + n, "\r\n", 2);
    n += 2;
  }
  memcpy(r + n, "\r\n", 2);
  n += 2;
  free(s->req);
  s->req = r;
  s->req_len = n;
  s->req_off = 0;
  return 0;
}

static void start_request(es_source *s) {
  if (build_request(s) < 0) {
    network_error(s, "out of memory for the request");
    return;
  }
  s->cs = CS_SEND;
  s->proto = "http/1.1";
  send_step(s);
}

static void tls_error(es_source *s, int rc) {
  int e = SSL_get_error(s->ssl, rc);
  long vr = SSL_get_verify_result(s->ssl);
  unsigned long ee = ERR_get_error();
  if (vr != X509_V_OK) {
    network_error(s, "TLS handshake with %s failed: certificate verification: %s", s->cur.authority,
                  X509_verify_cert_error_string(vr));
  } else if (ee) {
    char eb[200];
    ERR_error_string_n(ee, eb, sizeof eb);
    network_error(s, "TLS handshake with %s failed: %s", s->cur.authority, eb);
  } else if (e == SSL_ERROR_SYSCALL && errno) {
    network_error(s, "TLS handshake with %s failed: %s", s->cur.authority, strerror(errno));
  } else {
    network_error(s, "TLS handshake with %s failed: connection closed", s->cur.authority);
  }
}

static void tls_step(es_source *s) {
  ERR_clear_error();
  errno = 0;
  int rc = SSL_connect(s->ssl);
  if (rc == 1) {
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;
    SSL_get0_alpn_selected(s->ssl, &alpn, &alpn_len);
    if (alpn_len == 2 && memcmp(alpn, "h2", 2) == 0)
      h2_start(s);
    else
      start_request(s);
    return;
  }
  int e = SSL_get_error(s->ssl, rc);
  if (e == SSL_ERROR_WANT_READ)
    set_interest(s, EPOLLIN);
  else if (e == SSL_ERROR_WANT_WRITE)
    set_interest(s, EPOLLOUT);
  else
    tls_error(s, rc);
}

static void connected(es_source *s) {
  if (!s->cur.tls) {
    if (s->h2c || s->loop->opt.h2c_prior_knowledge)
      h2_start(s);
    else
      start_request(s);
    return;
  }
  s->ssl = SSL_new(s->loop->ssl_ctx);
  if (!s->ssl || SSL_set_fd(s->ssl, s->fd) != 1) {
    network_error(s, "cannot set up TLS");
    return;
  }
  int ok = 1;
  if (s->cur.host_kind == URL_HOST_NAME) {
    ok = SSL_set_tlsext_host_name(s->ssl, s->cur.host) == 1;
    X509_VERIFY_PARAM *vp = SSL_get0_param(s->ssl);
    X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    ok = ok && SSL_set1_host(s->ssl, s->cur.host) == 1;
  } else {
    ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), s->cur.host) == 1;
  }
  if (!ok) {
    network_error(s, "cannot set the TLS host name check for %s", s->cur.host);
    return;
  }
  s->cs = CS_TLS;
  tls_step(s);
}

static void connect_cur(es_source *s) {
  if (s->ai_list) {
    freeaddrinfo(s->ai_list);
    s->ai_list = s->ai_next = NULL;
  }
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (s->cur.host_kind != URL_HOST_NAME ? AI_NUMERICHOST : 0);
  char port[16];
  snprintf(port, sizeof port, "%d", s->cur.port);
  int rc = getaddrinfo(s->cur.host, port, &hints, &s->ai_list);
  if (rc != 0) {
    s->ai_list = NULL;
    network_error(s, "cannot resolve %s: %s", s->cur.host, gai_strerror(rc));
    return;
  }
  s->ai_next = s->ai_list;
  s->last_errno = 0;
  try_next_addr(s);
}

static void try_next_addr(es_source *s) {
  while (s->ai_next) {
    struct addrinfo *ai = s->ai_next;
    s->ai_next = ai->ai_next;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      s->last_errno = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s->fd = fd;
    s->events = 0;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      s->cs = CS_CONNECT;
      set_interest(s, EPOLLIN);
      connected(s);
      return;
    }
    if (errno == EINPROGRESS) {
      s->cs = CS_CONNECT;
      set_interest(s, EPOLLOUT);
      return;
    }
    s->last_errno = errno;
    close(fd);
    s->fd = -1;
  }
  network_error(s, "cannot connect to %s: %s", s->cur.authority,
                s->last_errno ? strerror(s->last_errno) : "no address");
}

static void connect_done(es_source *s) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err == 0) {
    connected(s);
    return;
  }
  s->last_errno = err;
  if (s->events) epoll_ctl(s->loop->epfd, EPOLL_CTL_DEL, s->fd, NULL);
  close(s->fd);
  s->fd = -1;
  s->events = 0;
  try_next_addr(s);
}

static void send_step(es_source *s) {
  while (s->req_off < s->req_len) {
    size_t left = s->req_len - s->req_off;
    if (s->ssl) {
      ERR_clear_error();
      int n = SSL_write(s->ssl, s->req + s->req_off, left > INT_MAX ? INT_MAX : (int)left);
      if (n > 0) {
        s->req_off += (size_t)n;
        continue;
      }
      int e = SSL_get_error(s->ssl, n);
      if (e == SSL_ERROR_WANT_WRITE) {
        set_interest(s, EPOLLOUT);
        return;
      }
      if (e == SSL_ERROR_WANT_READ) {
        set_interest(s, EPOLLIN);
        return;
      }
      network_error(s, "cannot send the request to %s (TLS)", s->cur.authority);
      return;
    }
    ssize_t n = send(s->fd, s->req + s->req_off, left, MSG_NOSIGNAL);
    if (n > 0) {
      s->req_off += (size_t)n;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      set_interest(s, EPOLLOUT);
      return;
    }
    network_error(s, "cannot send the request to %s: %s", s->cur.authority,
                  n < 0 ? strerror(errno) : "nothing written");
    return;
  }
  free(s->req);
  s->req = NULL;
  s->req_len = s->req_off = 0;
  s->cs = CS_HEAD;
  hr_reset(&s->hr);
  set_interest(s, EPOLLIN);
}

/* ------------------------------------------------------------ responses */

static int listens(const es_source *s, const char *type, size_t len) {
  for (size_t i = 0; i < s->ntypes; i++)
    if (s->types[i].len == len && memcmp(s->types[i].ptr, type, len) == 0) return 1;
  return 0;
}

/* Add a copy of the type to s's list unless it is there already: 0, or -1
 * when memory ran out. */
static int add_type(es_source *s, const char *type, size_t len) {
  if (listens(s, type, len)) return 0;
  char *copy = malloc(len + 1);
  if (!copy) return -1;
  if (len) memcpy(copy, type, len);
  copy[len] = '\0';
  s->types[s->ntypes].ptr = copy;
  s->types[s->ntypes].len = len;
  s->ntypes++;
  return 0;
}

static int on_sse_event(void *user, const sse_event *ev) {
  es_source *s = user;
  if (s->dead || s->ready_state == ES_CLOSED) return 1;
  if (s->h.on_event && listens(s, ev->type, ev->type_len)) s->h.on_event(s->user, ev);
  return (s->dead || s->ready_state == ES_CLOSED) ? 1 : 0;
}

static int on_sse_retry(void *user, uint64_t ms) {
  es_source *s = user;
  s->reconnect_ms = ms;
  return 0;
}

static int is_redirect(int st) {
  return st == 301 || st == 302 || st == 303 || st == 307 || st == 308;
}

static void follow_redirect(es_source *s, const hr_head *h, long li) {
  const hr_span *loc = &h->fields[li].value;
  for (long j = hr_find_field(h, "location", (size_t)li + 1); j >= 0;
       j = hr_find_field(h, "location", (size_t)j + 1)) {
    const hr_span *o = &h->fields[j].value;
    if (o->len != loc->len || memcmp(o->ptr, loc->ptr, loc->len) != 0) {
      network_error(s, "redirect %d with conflicting Location headers", h->status);
      return;
    }
  }
  if (s->redirects >= ES_MAX_REDIRECTS) {
    network_error(s, "more than %d redirects", ES_MAX_REDIRECTS);
    return;
  }
  es_url next;
  char err[200];
  if (url_resolve(&s->cur, loc->ptr, loc->len, &next, err, sizeof err) < 0) {
    network_error(s, "redirect %d to a bad Location: %s", h->status, err);
    return;
  }
  s->redirects++;
  close_conn(s);
  if (!s->loop->opt.reconnect_to_original) {
    /* the request's URL list grows: its current URL is the new one */
    es_url copy;
    if (url_copy(&copy, &next) == 0) {
      url_free(&s->req_url);
      s->req_url = copy;
    }
  }
  url_free(&s->cur);
  s->cur = next;
  connect_cur(s);
}

/* The final response head, over HTTP/1.1 or HTTP/2 (reason empty). */
static void handle_head(es_source *s, const hr_head *h) {
  char why[300];
  if (is_redirect(h->status)) {
    long li = hr_find_field(h, "location", 0);
    if (li >= 0) {
      follow_redirect(s, h, li);
      return;
    }
    snprintf(why, sizeof why, "%s answered %d without a Location", s->cur.href, h->status);
    fail_connection(s, why);
    return;
  }
  if (h->status != 200) {
    snprintf(why, sizeof why, "%s answered %d%s%.*s", s->cur.href, h->status,
             h->reason.len ? " " : "", (int)(h->reason.len > 60 ? 60 : h->reason.len),
             h->reason.ptr ? h->reason.ptr : "");
    fail_connection(s, why);
    return;
  }
  if (!hr_mime_essence_is(h, "text/event-stream")) {
    hr_span t, st;
    if (hr_mime_type(h, &t, &st))
      snprintf(why, sizeof why, "%s answered 200 with Content-Type %.*s/%.*s", s->cur.href,
               (int)(t.len > 60 ? 60 : t.len), t.ptr, (int)(st.len > 60 ? 60 : st.len), st.ptr);
    else
      snprintf(why, sizeof why, "%s answered 200 without a valid Content-Type", s->cur.href);
    fail_connection(s, why);
    return;
  }
  /* announce the connection */
  s->cs = CS_BODY;
  if (s->ready_state == ES_CLOSED) return;
  s->ready_state = ES_OPEN;
  if (s->h.on_open) s->h.on_open(s->user);
}

/* Run the bytes of the connection through the response parser. */
static void process_input(es_source *s, const char *data, size_t n) {
  unsigned gen = s->gen;
  size_t pos = 0;
  for (;;) {
    size_t used = 0;
    const char *body = NULL;
    size_t blen = 0;
    int rc = hr_step(&s->hr, data + pos, n - pos, &used, &body, &blen);
    pos += used;
    if (rc == HR_AGAIN) return;
    if (rc == HR_HEAD) {
      handle_head(s, hr_get_head(&s->hr));
    } else if (rc == HR_BODY) {
      if (s->cs != CS_BODY) return;
      int pr = sse_parser_feed(&s->parser, body, blen);
      if (s->dead || s->gen != gen) return;
      if (pr < 0) {
        char why[300];
        snprintf(why, sizeof why, "the event stream was abandoned: %s",
                 sse_parser_error(&s->parser));
        fail_connection(s, why);
        return;
      }
    } else if (rc == HR_DONE) {
      if (s->cs == CS_BODY)
        reestablish(s, "the response body ended");
      else
        fail_connection(s, "the response ended before its head was handled");
      return;
    } else {
      char why[300];
      if (s->cs == CS_BODY) {
        snprintf(why, sizeof why, "the response body broke off: %s", hr_error(&s->hr));
        reestablish(s, why);
      } else {
        network_error(s, "bad response from %s: %s", s->cur.authority, hr_error(&s->hr));
      }
      return;
    }
    if (s->dead || s->gen != gen) return;
  }
}

static void handle_eof(es_source *s, const char *how) {
  int rc = hr_eof(&s->hr);
  if (s->cs == CS_HEAD) {
    network_error(s, "%s before a complete response head from %s", how, s->cur.authority);
    return;
  }
  if (rc == HR_DONE) {
    reestablish(s, "the server closed the connection");
  } else {
    char why[300];
    snprintf(why, sizeof why, "%s: %s", how, hr_error(&s->hr));
    reestablish(s, why);
  }
}

/* What conn_read found. */
enum { RD_DATA, RD_AGAIN, RD_WANT_WRITE, RD_END };

/* Read from the connection (TLS or not) into the loop's buffer: RD_DATA
 * with *n bytes, RD_AGAIN (nothing now), RD_WANT_WRITE (TLS must write
 * first) or RD_END (closed or broken; why in how). */
static int conn_read(es_source *s, size_t *n, char *how, size_t howsize) {
  es_loop *l = s->loop;
  if (s->ssl) {
    ERR_clear_error();
    errno = 0;
    int r = SSL_read(s->ssl, l->rbuf, sizeof l->rbuf);
    if (r > 0) {
      *n = (size_t)r;
      return RD_DATA;
    }
    int e = SSL_get_error(s->ssl, r);
    if (e == SSL_ERROR_WANT_READ) return RD_AGAIN;
    if (e == SSL_ERROR_WANT_WRITE) return RD_WANT_WRITE;
    unsigned long ee = e == SSL_ERROR_ZERO_RETURN ? 0 : ERR_get_error();
    if (e == SSL_ERROR_ZERO_RETURN) {
      snprintf(how, howsize, "the connection closed");
    } else if (ee) {
      char eb[160];
      ERR_error_string_n(ee, eb, sizeof eb);
      snprintf(how, howsize, "TLS error: %s", eb);
    } else {
      snprintf(how, howsize, "the connection broke: %s", errno ? strerror(errno) : "end of file");
    }
    return RD_END;
  }
  ssize_t r = recv(s->fd, l->rbuf, sizeof l->rbuf, 0);
  if (r > 0) {
    *n = (size_t)r;
    return RD_DATA;
  }
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return RD_AGAIN;
  if (r < 0)
    snprintf(how, howsize, "the connection broke: %s", strerror(errno));
  else
    snprintf(how, howsize, "the connection closed");
  return RD_END;
}

static void read_step(es_source *s) {
  unsigned gen = s->gen;
  if (s->events != EPOLLIN) set_interest(s, EPOLLIN);
  for (int i = 0; i < MAX_READS; i++) {
    size_t n = 0;
    char how[200];
    int rc = conn_read(s, &n, how, sizeof how);
    if (rc == RD_AGAIN) return;
    if (rc == RD_WANT_WRITE) {
      set_interest(s, EPOLLOUT);
      return;
    }
    if (rc == RD_END) {
      handle_eof(s, how);
      return;
    }
    process_input(s, s->loop->rbuf, n);
    if (s->dead || s->gen != gen || (s->cs != CS_HEAD && s->cs != CS_BODY)) return;
  }
  if (s->ssl && SSL_has_pending(s->ssl)) s->more = 1;
}

/* --------------------------------------------------------------- HTTP/2 */

/*
 * One nghttp2 client session per connection, carrying one request stream.
 * nghttp2 reads the server's frames (nghttp2_session_mem_recv over the
 * bytes read from the socket) and serializes the client's
 * (nghttp2_session_mem_send, written out by h2_flush); it sends
 * WINDOW_UPDATE by itself as the body is consumed.
 *
 * nghttp2's callbacks never run a handler and never close anything: they
 * take notes in the h2conn (the head's fields, the stream's end, a
 * GOAWAY), and a DATA chunk pauses mem_recv (NGHTTP2_ERR_PAUSE) so that the
 * chunk reaches the parser only after mem_recv has returned. h2_notes then
 * acts on the notes in the order the frames came: the final head
 * (announce, redirect or fail, as over HTTP/1.1), the chunk, the end of the
 * stream. So a handler may close its source, and with it free the session.
 */

#define H2_OUT_BATCH 16384 /* bytes of frames gathered for one write */

typedef struct h2_field {
  size_t name, nlen, value, vlen; /* offsets into hbuf */
} h2_field;

typedef struct h2conn {
  nghttp2_session *ng;
  int32_t stream_id;
  /* the response head as it arrives (an interim 1xx head is dropped) */
  int status;
  size_t head_total; /* bytes of names and values so far, interim heads included */
  char *hbuf;
  size_t hlen, hcap;
  h2_field *hf;
  size_t nhf, hfcap;
  hr_field *fields; /* the final head's fields as handle_head reads them */
  /* the callbacks' notes */
  int head_done;       /* the final head is complete */
  int head_handled;    /* ... and h2_notes handled it */
  const uint8_t *data; /* a DATA chunk (in the loop's read buffer): mem_recv paused */
  size_t data_len;
  int data_pending;
  int closed; /* the stream closed, with close_code */
  uint32_t close_code;
  int rst;    /* the server reset the stream (RST_STREAM) */
  int goaway; /* a GOAWAY came, with goaway_code */
  uint32_t goaway_code;
  char why[200];    /* why a callback refused the input */
  char detail[160]; /* nghttp2's words about the last protocol error */
  /* frames to write: out[out_off, out_len) */
  uint8_t *out;
  size_t out_off, out_len, out_cap;
  int out_blocked;      /* the socket is full: wait for EPOLLOUT */
  int read_wants_write; /* TLS must write before it can read on */
} h2conn;

static size_t head_limit(const es_loop *l) {
  return l->opt.head_limit ? l->opt.head_limit : HR_DEFAULT_HEAD_LIMIT;
}

static void h2_conn_free(h2conn *h) {
  nghttp2_session_del(h->ng); /* first: it may still call back with h */
  free(h->hbuf);
  free(h->hf);
  free(h->fields);
  free(h->out);
  free(h);
}

static int h2_on_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *user) {
  (void)ng;
  h2conn *h = ((es_source *)user)->h2;
  if (f->hd.type == NGHTTP2_HEADERS && f->hd.stream_id == h->stream_id && !h->head_done) {
    h->status = 0; /* a new head: the one before was interim */
    h->hlen = 0;
    h->nhf = 0;
  }
  return 0;
}

/* Append n bytes to the head buffer (which never outgrows the head limit,
 * checked before): 0, or -1 when memory ran out. */
static int h2_keep(h2conn *h, const uint8_t *p, size_t n) {
  if (n > h->hcap - h->hlen) {
    size_t cap = h->hcap ? h->hcap : 1024;
    while (cap - h->hlen < n) cap *= 2;
    char *b = realloc(h->hbuf, cap);
    if (!b) return -1;
    h->hbuf = b;
    h->hcap = cap;
  }
  if (n) memcpy(h->hbuf + h->hlen, p, n);
  h->hlen += n;
  return 0;
}

static int h2_on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name,
                        size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags, void *user) {
  (void)ng;
  (void)flags;
  es_source *s = user;
  h2conn *h = s->h2;
  if (f->hd.type != NGHTTP2_HEADERS || f->hd.stream_id != h->stream_id || h->head_done)
    return 0; /* trailer fields: ignored, as over HTTP/1.1 */
  size_t limit = head_limit(s->loop);
  h->head_total += nlen + vlen;
  if (h->head_total > limit) {
    snprintf(h->why, sizeof h->why, "the response head is over the limit of %zu bytes", limit);
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  if (nlen == 7 && memcmp(name, ":status", 7) == 0) {
    int st = 0; /* nghttp2 checked it: three digits */
    for (size_t i = 0; i < vlen && i < 3; i++) st = st * 10 + (value[i] - '0');
    h->status = st;
    return 0;
  }
  if (nlen > 0 && name[0] == ':') return 0; /* no other pseudo-header field gets this far */
  if (h->nhf == HR_MAX_FIELDS) {
    snprintf(h->why, sizeof h->why, "the response head has more than %zu fields", HR_MAX_FIELDS);
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  if (h->nhf == h->hfcap) {
    size_t cap = h->hfcap ? h->hfcap * 2 : 16;
    h2_field *nf = realloc(h->hf, cap * sizeof *nf);
    if (!nf) goto nomem;
    h->hf = nf;
    h->hfcap = cap;
  }
  h2_field *fd = &h->hf[h->nhf];
  fd->name = h->hlen;
  fd->nlen = nlen;
  if (h2_keep(h, name, nlen) < 0) goto nomem;
  fd->value = h->hlen;
  fd->vlen = vlen;
  if (h2_keep(h, value, vlen) < 0) goto nomem;
  h->nhf++;
  return 0;
nomem:
  snprintf(h->why, sizeof h->why, "out of memory for the response head");
  return NGHTTP2_ERR_CALLBACK_FAILURE;
}

static int h2_on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *user) {
  (void)ng;
  h2conn *h = ((es_source *)user)->h2;
  if (f->hd.type == NGHTTP2_GOAWAY) {
    h->goaway = 1;
    h->goaway_code = f->goaway.error_code;
  } else if (f->hd.type == NGHTTP2_RST_STREAM && f->hd.stream_id == h->stream_id) {
    h->rst = 1;
  } else if (f->hd.type == NGHTTP2_HEADERS && f->hd.stream_id == h->stream_id && !h->head_done &&
             (h->status < 100 || h->status > 199)) {
    h->head_done = 1; /* the final head (an interim one is followed by another) */
  }
  return 0;
}

static int h2_on_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
                      size_t len, void *user) {
  (void)ng;
  (void)flags;
  h2conn *h = ((es_source *)user)->h2;
  if (id != h->stream_id || len == 0) return 0;
  h->data = data;
  h->data_len = len;
  h->data_pending = 1;
  return NGHTTP2_ERR_PAUSE;
}

static int h2_on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *user) {
  (void)ng;
  h2conn *h = ((es_source *)user)->h2;
  if (h && id == h->stream_id && !h->closed) {
    h->closed = 1;
    h->close_code = code;
  }
  return 0;
}

static int h2_on_error(nghttp2_session *ng, int lib_error, const char *msg, size_t len,
                       void *user) {
  (void)ng;
  (void)lib_error;
  h2conn *h = ((es_source *)user)->h2;
  if (h) snprintf(h->detail, sizeof h->detail, "%.*s", (int)(len > 150 ? 150 : len), msg);
  return 0;
}

static int h2_loop_init(es_loop *l) {
  if (nghttp2_session_callbacks_new(&l->h2_cbs) != 0) return -1;
  nghttp2_session_callbacks *cb = l->h2_cbs;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, h2_on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, h2_on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, h2_on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, h2_on_data);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, h2_on_stream_close);
  nghttp2_session_callbacks_set_error_callback2(cb, h2_on_error);
  if (nghttp2_option_new(&l->h2_opt) != 0) return -1;
  nghttp2_option_set_max_reserved_remote_streams(l->h2_opt, 0); /* no server push */
  return 0;
}

/* Watch the socket for reading, and for writing when something waits. */
static void h2_watch(es_source *s) {
  h2conn *h = s->h2;
  set_interest(s, EPOLLIN | (h->out_blocked || h->read_wants_write ? EPOLLOUT : 0));
}

/* Write out what nghttp2 has to send, as far as the socket takes it.
 * Returns 0, or -1 with a message in why (the connection is broken). */
static int h2_flush(es_source *s, char *why, size_t whysize) {
  h2conn *h = s->h2;
  h->out_blocked = 0;
  for (;;) {
    if (h->out_off == h->out_len) {
      h->out_off = h->out_len = 0;
      while (h->out_len < H2_OUT_BATCH) {
        const uint8_t *p = NULL;
        ssize_t n = nghttp2_session_mem_send(h->ng, &p);
        if (n < 0) {
          snprintf(why, whysize, "HTTP/2: %s", nghttp2_strerror((int)n));
          return -1;
        }
        if (n == 0) break;
        if ((size_t)n > h->out_cap - h->out_len) {
          size_t cap = h->out_len + (size_t)n;
          if (cap < 2 * H2_OUT_BATCH) cap = 2 * H2_OUT_BATCH;
          uint8_t *b = realloc(h->out, cap);
          if (!b) {
            snprintf(why, whysize, "out of memory for HTTP/2 frames");
            return -1;
          }
          h->out = b;
          h->out_cap = cap;
        }
        memcpy(h->out + h->out_len, p, (size_t)n);
        h->out_len += (size_t)n;
      }
      if (h->out_len == 0) return 0;
    }
    /* a TLS write that must be repeated is: the same bytes, never fewer */
    size_t left = h->out_len - h->out_off;
    if (s->ssl) {
      ERR_clear_error();
      int n = SSL_write(s->ssl, h->out + h->out_off, left > INT_MAX ? INT_MAX : (int)left);
      if (n > 0) {
        h->out_off += (size_t)n;
        continue;
      }
      int e = SSL_get_error(s->ssl, n);
      if (e == SSL_ERROR_WANT_WRITE) {
        h->out_blocked = 1;
        return 0;
      }
      if (e == SSL_ERROR_WANT_READ) return 0; /* EPOLLIN is always watched */
      snprintf(why, whysize, "cannot write to %s (TLS)", s->cur.authority);
      return -1;
    }
    ssize_t n = send(s->fd, h->out + h->out_off, left, MSG_NOSIGNAL);
    if (n > 0) {
      h->out_off += (size_t)n;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      h->out_blocked = 1;
      return 0;
    }
    snprintf(why, whysize, "cannot write to %s: %s", s->cur.authority,
             n < 0 ? strerror(errno) : "nothing written");
    return -1;
  }
}

/* " after GOAWAY (CODE)" and ": nghttp2's words", as they apply. */
static void h2_context(const h2conn *h, char *buf, size_t size) {
  int n = 0;
  buf[0] = '\0';
  if (h->goaway)
    n = snprintf(buf, size, " after GOAWAY (%s)", nghttp2_http2_strerror(h->goaway_code));
  if (h->detail[0] && n >= 0 && (size_t)n < size)
    snprintf(buf + n, size - (size_t)n, ": %s", h->detail);
}

/* The connection ended, broke or was given up (how) while the stream was
 * open: the body broke off (reestablish), or, before the head, a network
 * error (reestablish too). */
static void h2_end(es_source *s, const char *how) {
  char ctx[240];
  h2_context(s->h2, ctx, sizeof ctx);
  if (s->cs == CS_BODY) {
    char why[600];
    snprintf(why, sizeof why, "the response body broke off: %s%s", how, ctx);
    reestablish(s, why);
  } else {
    network_error(s, "%s%s, before a complete response from %s (HTTP/2)", how, ctx,
                  s->cur.authority);
  }
}

/* Act on the callbacks' notes, in the order of the frames. Returns 0 to go
 * on, or -1 when the connection is gone (closed, replaced, or the source
 * closed by a handler): then s->h2 must not be touched. */
static int h2_notes(es_source *s, unsigned gen) {
  h2conn *h = s->h2;
  if (h->head_done && !h->head_handled) {
    h->head_handled = 1;
    h->fields = calloc(h->nhf ? h->nhf : 1, sizeof *h->fields);
    if (!h->fields) {
      network_error(s, "out of memory for the response head");
      return -1;
    }
    for (size_t i = 0; i < h->nhf; i++) {
      h->fields[i].name.ptr = h->hbuf + h->hf[i].name;
      h->fields[i].name.len = h->hf[i].nlen;
      h->fields[i].value.ptr = h->hbuf + h->hf[i].value;
      h->fields[i].value.len = h->hf[i].vlen;
    }
    hr_head head;
    memset(&head, 0, sizeof head);
    head.version_major = 2;
    head.status = h->status;
    head.reason.ptr = "";
    head.fields = h->fields;
    head.field_count = h->nhf;
    head.framing = HR_FRAMING_CLOSE; /* DATA frames until END_STREAM */
    handle_head(s, &head);
    if (s->dead || s->gen != gen) return -1;
  }
  if (h->data_pending) {
    h->data_pending = 0;
    if (s->cs == CS_BODY) {
      int pr = sse_parser_feed(&s->parser, h->data, h->data_len);
      if (s->dead || s->gen != gen) return -1;
      if (pr < 0) {
        char why[300];
        snprintf(why, sizeof why, "the event stream was abandoned: %s",
                 sse_parser_error(&s->parser));
        fail_connection(s, why);
        return -1;
      }
    }
  }
  if (h->closed) {
    char ctx[240], why[600];
    h2_context(h, ctx, sizeof ctx);
    const char *code = nghttp2_http2_strerror(h->close_code);
    if (s->cs == CS_BODY && h->close_code == NGHTTP2_NO_ERROR) {
      reestablish(s, "the response body ended");
    } else if (s->cs == CS_BODY) {
      snprintf(why, sizeof why, "the response body broke off: %s (%s)%s",
               h->rst ? "the server reset the stream" : "the stream was reset", code, ctx);
      reestablish(s, why);
    } else {
      network_error(s, "%s (%s)%s, before a complete response from %s (HTTP/2)",
                    h->rst ? "the server reset the stream" : "the stream ended", code, ctx,
                    s->cur.authority);
    }
    return -1;
  }
  return 0;
}

/* Hand n bytes read from the connection to nghttp2, acting on what they
 * bring. Returns 0, or -1 when the connection is gone (as h2_notes). */
static int h2_input(es_source *s, const uint8_t *in, size_t n) {
  unsigned gen = s->gen;
  size_t off = 0;
  for (;;) {
    h2conn *h = s->h2;
    h->data_pending = 0;
    ssize_t used = nghttp2_session_mem_recv(h->ng, in + off, n - off);
    if (used < 0) {
      char why[300];
      if (h->why[0])
        snprintf(why, sizeof why, "%s", h->why);
      else
        snprintf(why, sizeof why, "HTTP/2: %s", nghttp2_strerror((int)used));
      h2_end(s, why);
      return -1;
    }
    off += (size_t)used;
    int paused = h->data_pending;
    if (h2_notes(s, gen) < 0) return -1;
    /* after a pause, call again (even with no bytes left) so that nghttp2
     * finishes the frame: its END_STREAM, the stream's close */
    if (!paused) return 0;
  }
}

/* The connection is ready (TCP, or TLS with ALPN h2): one session, the
 * connection preface and SETTINGS, and the request as HEADERS. */
static void h2_start(es_source *s) {
  es_loop *l = s->loop;
  h2conn *h = calloc(1, sizeof *h);
  if (!h || nghttp2_session_client_new2(&h->ng, l->h2_cbs, s, l->h2_opt) != 0) {
    free(h);
    network_error(s, "out of memory for an HTTP/2 session");
    return;
  }
  s->h2 = h;
  s->proto = "h2";
  size_t limit = head_limit(l);
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, limit > UINT32_MAX ? UINT32_MAX : (uint32_t)limit}};
  int rc = nghttp2_submit_settings(h->ng, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
  size_t idlen = 0;
  const char *id = sse_parser_last_event_id(&s->parser, &idlen);
  const char *scheme = s->cur.tls ? "https" : "http";
#define NV(n, v, vl) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, (vl), NGHTTP2_NV_FLAG_NONE}
  nghttp2_nv nva[] = {
      NV(":method", "GET", 3),
      NV(":scheme", scheme, strlen(scheme)),
      NV(":authority", s->cur.authority, strlen(s->cur.authority)),
      NV(":path", s->cur.target, strlen(s->cur.target)),
      NV("accept", "text/event-stream", 17),
      NV("cache-control", "no-cache", 8),
      NV("pragma", "no-cache", 8),
      NV("user-agent", ES_USER_AGENT, sizeof ES_USER_AGENT - 1),
      NV("last-event-id", id, idlen), /* only when not empty */
  };
#undef NV
  size_t nnv = sizeof nva / sizeof nva[0] - (idlen == 0);
  int32_t sid = rc == 0 ? nghttp2_submit_request(h->ng, NULL, nva, nnv, NULL, NULL) : rc;
  if (sid < 0) {
    network_error(s, "cannot make the HTTP/2 request: %s", nghttp2_strerror(sid));
    return;
  }
  h->stream_id = sid;
  s->cs = CS_HEAD;
  char why[300];
  if (h2_flush(s, why, sizeof why) < 0) {
    network_error(s, "%s", why);
    return;
  }
  h2_watch(s);
}

/* The socket is ready (or TLS holds bytes): read, act, write. */
static void h2_io(es_source *s) {
  unsigned gen = s->gen;
  char why[300];
  s->h2->read_wants_write = 0;
  int i;
  for (i = 0; i < MAX_READS; i++) {
    size_t n = 0;
    int rc = conn_read(s, &n, why, sizeof why);
    if (rc == RD_AGAIN) break;
    if (rc == RD_WANT_WRITE) {
      s->h2->read_wants_write = 1;
      break;
    }
    if (rc == RD_END) {
      h2_end(s, why);
      return;
    }
    if (h2_input(s, (const uint8_t *)s->loop->rbuf, n) < 0) return;
  }
  if (i == MAX_READS && s->ssl && SSL_has_pending(s->ssl)) s->more = 1;
  if (h2_flush(s, why, sizeof why) < 0) {
    h2_end(s, why);
    return;
  }
  /* nghttp2 closes a stream it resets (a malformed response) as it writes
   * the RST_STREAM: that note comes from mem_send */
  if (h2_notes(s, gen) < 0) return;
  h2conn *h = s->h2;
  if (!nghttp2_session_want_read(h->ng) && !nghttp2_session_want_write(h->ng) &&
      h->out_off == h->out_len) {
    h2_end(s, "the HTTP/2 session ended");
    return;
  }
  h2_watch(s);
}

static void source_io(es_source *s) {
  switch (s->cs) {
  case CS_CONNECT:
    connect_done(s);
    break;
  case CS_TLS:
    tls_step(s);
    break;
  case CS_SEND:
    send_step(s);
    break;
  case CS_HEAD:
  case CS_BODY:
    if (s->h2)
      h2_io(s);
    else
      read_step(s);
    break;
  default:
    break;
  }
}

static void start_fetch(es_source *s) {
  if (s->have_cur) url_free(&s->cur);
  const es_url *from = s->loop->opt.reconnect_to_original ? &s->url : &s->req_url;
  if (url_copy(&s->cur, from) < 0) {
    s->have_cur = 0;
    network_error(s, "out of memory");
    return;
  }
  s->have_cur = 1;
  s->redirects = 0;
  connect_cur(s);
}

/* ------------------------------------------------------------- sources */

es_source *es_open(es_loop *l, const char *url, const es_type *types, size_t ntypes,
                   const es_handlers *handlers, void *user, char *err, size_t errsize) {
  if (!l || !url) {
    set_err(err, errsize, "no URL");
    return NULL;
  }
  es_source *s = calloc(1, sizeof *s);
  if (!s) {
    set_err(err, errsize, "out of memory");
    return NULL;
  }
  s->fd = -1;
  s->deadline = -1;
  if (url_parse(url, strlen(url), &s->url, err, errsize) < 0) {
    free(s);
    return NULL;
  }
  if (url_copy(&s->req_url, &s->url) < 0) {
    url_free(&s->url);
    free(s);
    set_err(err, errsize, "out of memory");
    return NULL;
  }
  s->types = calloc(ntypes + 1, sizeof *s->types);
  int ok = s->types != NULL && add_type(s, "message", 7) == 0;
  for (size_t i = 0; ok && i < ntypes; i++)
    if (types[i].ptr && add_type(s, types[i].ptr, types[i].len) < 0) ok = 0;
  if (!ok) {
    source_free(s);
    set_err(err, errsize, "out of memory");
    return NULL;
  }
  sse_callbacks cb = {on_sse_event, on_sse_retry, NULL};
  sse_parser_init(&s->parser, &cb, s);
  sse_parser_set_limit(&s->parser, l->opt.parser_limit);
  hr_init(&s->hr, l->opt.head_limit);
  if (handlers) s->h = *handlers;
  s->user = user;
  s->loop = l;
  s->reconnect_ms = l->opt.reconnect_ms;
  s->ready_state = ES_CONNECTING;
  s->w.kind = W_SOURCE;
  s->w.src = s;
  s->deadline = now_ms(); /* the first fetch starts from the loop */
  s->next = l->sources;
  l->sources = s;
  l->count++;
  return s;
}

static void source_free(es_source *s) {
  if (!s) return;
  if (s->loop) close_conn(s);
  if (s->ai_list) freeaddrinfo(s->ai_list);
  sse_parser_free(&s->parser);
  hr_free(&s->hr);
  url_free(&s->url);
  url_free(&s->req_url);
  if (s->have_cur) url_free(&s->cur);
  for (size_t i = 0; s->types && i < s->ntypes; i++) free((char *)s->types[i].ptr);
  free(s->types);
  free(s);
}

void es_close(es_source *s) {
  if (!s || s->dead) return;
  int in_body = s->cs == CS_BODY;
  close_conn(s);
  if (in_body) sse_parser_finish(&s->parser);
  s->ready_state = ES_CLOSED;
  s->deadline = -1;
  s->dead = 1;
  s->loop->count--;
  if (s->loop->depth == 0) sweep(s->loop);
}

int es_ready_state(const es_source *s) {
  return s->ready_state;
}

uint64_t es_reconnect_ms(const es_source *s) {
  return s->reconnect_ms;
}

const char *es_source_url(const es_source *s) {
  return s->url.href;
}

void es_set_h2c(es_source *s, int on) {
  s->h2c = on != 0;
}

const char *es_source_protocol(const es_source *s) {
  return s->proto;
}

/* ------------------------------------------------------------- running */

int es_loop_run_once(es_loop *l, int timeout_ms) {
  int64_t now = now_ms();
  int64_t wait = timeout_ms < 0 ? -1 : timeout_ms;
  for (es_source *s = l->sources; s; s = s->next) {
    if (!s->dead && s->more) wait = 0;
    if (s->dead || s->deadline < 0) continue;
    int64_t d = s->deadline - now;
    if (d < 0) d = 0;
    if (wait < 0 || d < wait) wait = d;
  }
  for (watch *w = l->watches; w; w = w->next)
    if (!w->dead && w->is_file) wait = 0;
  if (wait > INT_MAX) wait = INT_MAX;
  struct epoll_event evs[64];
  int n = epoll_wait(l->epfd, evs, 64, (int)wait);
  if (n < 0) {
    if (errno == EINTR) return 0;
    return -1;
  }
  l->depth++;
  for (int i = 0; i < n; i++) {
    watch *w = evs[i].data.ptr;
    if (w->kind == W_FD) {
      if (!w->dead) w->cb(w->user, w->fd);
    } else if (!w->src->dead) {
      source_io(w->src);
    }
  }
  for (watch *w = l->watches; w; w = w->next)
    if (!w->dead && w->is_file) w->cb(w->user, w->fd);
  for (es_source *s = l->sources; s; s = s->next) {
    if (s->dead || !s->more) continue;
    s->more = 0;
    if (s->cs == CS_HEAD || s->cs == CS_BODY) source_io(s);
  }
  now = now_ms();
  for (es_source *s = l->sources; s; s = s->next) {
    if (s->dead || s->deadline < 0 || s->deadline > now) continue;
    s->deadline = -1;
    if (s->ready_state == ES_CONNECTING && s->cs == CS_NONE) start_fetch(s);
  }
  l->depth--;
  if (l->depth == 0) sweep(l);
  return 0;
}
