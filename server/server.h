/*
 * server.h - the scenario server's event loop: one epoll loop, non-blocking
 * sockets, plain HTTP, HTTPS (HTTP/1.1 or HTTP/2 by ALPN) and cleartext
 * HTTP/2 listeners on 127.0.0.1, playing loaded scenarios (docs/server.md).
 */
#ifndef SSESPEC_SERVER_SERVER_H
#define SSESPEC_SERVER_SERVER_H

#include <stddef.h>
#include <stdio.h>

struct scenario;

struct server_config {
  int port;                     /* 0: any free port */
  int tls_port;                 /* -1: no TLS listener; 0: any free port (ALPN h2 or http/1.1) */
  int tls_h1_port;              /* -1: none; an HTTPS port offering only http/1.1 */
  int h2c_port;                 /* -1: none; cleartext HTTP/2 with prior knowledge */
  unsigned long h2_max_streams; /* SETTINGS_MAX_CONCURRENT_STREAMS */
  const char *cert, *key;
  const char *static_dir; /* NULL: no /static/ */
  FILE *log;              /* the JSON log lines */
  unsigned long header_timeout_ms;
  unsigned long linger_close_ms; /* how long a closing connection is drained */
  struct scenario *const *scenarios;
  size_t nscenarios;
};

/* Listen, print the "listening" line to stdout (and the log), then serve
 * until SIGINT or SIGTERM (which the caller has blocked; the loop takes
 * them from a signalfd). Returns 0 after a signal, or 1 with a message in
 * err when setting up failed. */
int server_run(const struct server_config *cfg, char *err, size_t errsize);

#endif /* SSESPEC_SERVER_SERVER_H */
