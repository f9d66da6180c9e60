/*
 * tls.h - the OpenSSL side of the scenario server: one server context, and
 * non-blocking reads and writes that report what the event loop waits for.
 */
#ifndef SSESPEC_SERVER_TLS_H
#define SSESPEC_SERVER_TLS_H

#include <stddef.h>
#include <sys/types.h>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

/* Outcomes of tls_handshake, tls_read and tls_write (besides a positive
 * byte count from the last two). */
enum tls_io {
  TLS_DONE = 0,        /* handshake: finished. read: the peer closed */
  TLS_WANT_READ = -1,  /* try again when the socket is readable */
  TLS_WANT_WRITE = -2, /* try again when the socket is writable */
  TLS_FAILED = -3      /* a fatal error; see the message */
};

/* A server context for the PEM certificate chain and key. In ALPN it picks
 * "h2" when the client offers it and offer_h2 is set, else "http/1.1" when
 * offered; a client that offers neither (or no ALPN) gets no ALPN answer
 * and HTTP/1.1. Returns NULL and writes a message to err on failure. */
SSL_CTX *tls_context(const char *cert, const char *key, int offer_h2, char *err, size_t errsize);

/* Whether ALPN chose "h2" on this connection (after the handshake). */
int tls_alpn_h2(SSL *ssl);
void tls_context_free(SSL_CTX *ctx);

/* A new server-side connection on fd, or NULL. */
SSL *tls_new(SSL_CTX *ctx, int fd);
void tls_free(SSL *ssl);

/* Each returns an enum tls_io (or a byte count > 0); on TLS_FAILED a short
 * description is written to err. */
int tls_handshake(SSL *ssl, char *err, size_t errsize);
ssize_t tls_read(SSL *ssl, void *buf, size_t n, char *err, size_t errsize);
ssize_t tls_write(SSL *ssl, const void *buf, size_t n, char *err, size_t errsize);
/* Send close_notify once, without waiting for the peer's. */
void tls_shutdown(SSL *ssl);

#endif /* SSESPEC_SERVER_TLS_H */
