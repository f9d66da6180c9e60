/*
 * eventsource.h - the ssespec reference EventSource client (C11, Linux).
 *
 * EventSource objects as the WHATWG HTML Standard ("Server-sent events",
 * 9.2.2 and 9.2.3) defines them, over HTTP/1.1, HTTPS (OpenSSL) and HTTP/2
 * (nghttp2), with the reference parser (parser/sse.h) interpreting each
 * response body. https offers ALPN "h2" and "http/1.1" and speaks what the
 * server picks; http speaks HTTP/1.1, or cleartext HTTP/2 with prior
 * knowledge (h2c) when asked to (es_options.h2c_prior_knowledge,
 * es_set_h2c). Each connection carries one request; over HTTP/2 the end of
 * the stream (END_STREAM, RST_STREAM, GOAWAY, the connection closing) is
 * what the end of the body is over HTTP/1.1.
 * Many sources share one event loop (es_loop): one epoll instance for all
 * their sockets and timers, plus any file descriptors the application
 * watches, on one thread. Nothing is global; the loop owns everything.
 *
 * Each source reports what a script would see: the open event, the events
 * of the types it listens to (message always among them), and error events
 * with the readyState seen inside them (0: reconnecting, 2: failed). The
 * handlers run from inside es_loop_run_once(); a handler may call
 * es_close() on its source (or any other), but must not free the loop.
 *
 * TLS writes may raise SIGPIPE when a server goes away: an application
 * using https should ignore SIGPIPE (the library leaves signals alone).
 * Host names are resolved with getaddrinfo(), which blocks: IP addresses
 * and names from /etc/hosts resolve at once.
 */
#ifndef SSESPEC_EVENTSOURCE_H
#define SSESPEC_EVENTSOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "sse.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ES_CONNECTING 0
#define ES_OPEN 1
#define ES_CLOSED 2

/* The default reconnection time in milliseconds. */
#define ES_DEFAULT_RECONNECT_MS 3000
/* The most redirects one fetch follows (the Fetch Standard's 20). */
#define ES_MAX_REDIRECTS 20

typedef struct es_loop es_loop;
typedef struct es_source es_source;

/* Settings of a loop, shared by its sources: start from es_options_init.
 * For the sizes, zero means the default. */
typedef struct es_options {
  uint64_t reconnect_ms; /* initial reconnection time (ES_DEFAULT_RECONNECT_MS) */
  const char *ca_file;   /* a PEM file of extra trusted CAs, or NULL */
  size_t parser_limit;   /* the parser's buffer limit (SSE_DEFAULT_LIMIT) */
  size_t head_limit;     /* response head limit (HR_DEFAULT_HEAD_LIMIT) */
  /* 1: reconnections request the URL given to the constructor; 0 (the
   * default, as the standard reads): the request's current URL, which
   * redirects change. */
  int reconnect_to_original;
  /* 1: http URLs (redirect targets included) speak cleartext HTTP/2 with
   * prior knowledge (the connection starts with the HTTP/2 preface, no
   * Upgrade) for every source of the loop; 0 (the default): HTTP/1.1. */
  int h2c_prior_knowledge;
} es_options;

/* What a source reports. Any may be NULL. why is a short diagnostic for
 * people (the standard exposes none); it is valid during the call. */
typedef struct es_handlers {
  void (*on_open)(void *user);
  void (*on_event)(void *user, const sse_event *event);
  void (*on_error)(void *user, int ready_state, const char *why);
} es_handlers;

/* Fill o with the defaults. */
void es_options_init(es_options *o);

/* Make a loop. Returns NULL with a message in err on failure (epoll, or
 * the TLS context, or an unreadable ca_file). */
es_loop *es_loop_new(const es_options *opt, char *err, size_t errsize);

/* Close every source (no handler runs) and free the loop. */
void es_loop_free(es_loop *loop);

/* Watch fd for readability: cb(user, fd) runs from es_loop_run_once when
 * it is readable or at its end or error. If fd is a regular file (which
 * epoll cannot watch) cb runs on every turn of the loop without waiting.
 * Returns 0 or -1 with errno. */
int es_loop_watch(es_loop *loop, int fd, void (*cb)(void *user, int fd), void *user);

/* Stop watching fd. */
void es_loop_unwatch(es_loop *loop, int fd);

/* Wait up to timeout_ms (-1: until something happens) for sockets, timers
 * and watched descriptors, and handle what is ready. Returns 0, or -1 if
 * epoll_wait failed (errno). */
int es_loop_run_once(es_loop *loop, int timeout_ms);

/* The number of sources not yet closed with es_close. */
size_t es_loop_count(const es_loop *loop);

/* A log sink for diagnostics that belong to no report (TLS setup, ...);
 * default: none. */
void es_loop_set_log(es_loop *loop, void (*log)(void *user, const char *msg), void *user);

/* An event type to listen to: len bytes at ptr (a type may hold U+0000). */
typedef struct es_type {
  const char *ptr;
  size_t len;
} es_type;

/* Create an EventSource for url listening to the ntypes event types
 * (message is always listened to). It starts connecting from the loop
 * (no handler runs inside this call). Returns NULL with a message in err
 * if the URL is not an absolute http/https URL or memory ran out. */
es_source *es_open(es_loop *loop, const char *url, const es_type *types, size_t ntypes,
                   const es_handlers *handlers, void *user, char *err, size_t errsize);

/* close(): abort the connection or timer; readyState becomes CLOSED and no
 * handler of s runs again. s is freed (at once, or when the handler that
 * called this returns). */
void es_close(es_source *s);

/* The readyState (ES_CONNECTING, ES_OPEN, ES_CLOSED). */
int es_ready_state(const es_source *s);

/* The current reconnection time in milliseconds. */
uint64_t es_reconnect_ms(const es_source *s);

/* The serialized URL given to the constructor. */
const char *es_source_url(const es_source *s);

/* on 1: this source's http URLs speak cleartext HTTP/2 with prior knowledge
 * (as es_options.h2c_prior_knowledge does for the whole loop); from the
 * next connection on, so right after es_open for all of them. */
void es_set_h2c(es_source *s, int on);

/* The protocol of the source's latest request: "http/1.1" or "h2" (by ALPN
 * or prior knowledge), or NULL before the first request was made. */
const char *es_source_protocol(const es_source *s);

#ifdef __cplusplus
}
#endif

#endif /* SSESPEC_EVENTSOURCE_H */
