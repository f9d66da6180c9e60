/*
 * tls.c - OpenSSL for the scenario server (see tls.h).
 */
#define _GNU_SOURCE
#include "tls.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* The message of the first queued OpenSSL error (the queue is emptied). */
static void take_error(const char *what, int ssl_err, char *err, size_t errsize) {
  int saved = errno;
  unsigned long e = ERR_get_error();
  if (e) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    snprintf(err, errsize, "%s: %s", what, buf);
  } else if (ssl_err == SSL_ERROR_SYSCALL && saved) {
    snprintf(err, errsize, "%s: %s", what, strerror(saved));
  } else if (ssl_err == SSL_ERROR_SYSCALL) {
    snprintf(err, errsize, "%s: the peer closed the connection", what);
  } else {
    snprintf(err, errsize, "%s: TLS error %d", what, ssl_err);
  }
  ERR_clear_error();
  errno = saved;
}

/* ALPN: h2 first when offer_h2 (the callback's arg), then http/1.1. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg) {
  static const char *const prefs[] = {"h2", "http/1.1"};
  (void)ssl;
  for (int k = arg ? 0 : 1; k < 2; k++) {
    size_t plen = strlen(prefs[k]);
    for (unsigned int i = 0; i < inlen;) {
      unsigned int n = in[i];
      if (i + 1 + n > inlen) break;
      if (n == plen && memcmp(in + i + 1, prefs[k], plen) == 0) {
        *out = in + i + 1;
        *outlen = (unsigned char)n;
        return SSL_TLSEXT_ERR_OK;
      }
      i += 1 + n;
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

int tls_alpn_h2(SSL *ssl) {
  const unsigned char *p = NULL;
  unsigned int n = 0;
  SSL_get0_alpn_selected(ssl, &p, &n);
  return n == 2 && memcmp(p, "h2", 2) == 0;
}

SSL_CTX *tls_context(const char *cert, const char *key, int offer_h2, char *err, size_t errsize) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    take_error("SSL_CTX_new", 0, err, errsize);
    return NULL;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  /* the arg is a flag only: any non-NULL pointer offers h2 */
  SSL_CTX_set_alpn_select_cb(ctx, alpn_select, offer_h2 ? (void *)ctx : NULL);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
    char tmp[300];
    take_error("certificate", 0, tmp, sizeof tmp);
    snprintf(err, errsize, "%s: %s", cert, tmp);
    SSL_CTX_free(ctx);
    return NULL;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    char tmp[300];
    take_error("private key", 0, tmp, sizeof tmp);
    snprintf(err, errsize, "%s: %s", key, tmp);
    SSL_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

void tls_context_free(SSL_CTX *ctx) {
  SSL_CTX_free(ctx);
}

SSL *tls_new(SSL_CTX *ctx, int fd) {
  SSL *ssl = SSL_new(ctx);
  if (!ssl) {
    ERR_clear_error();
    return NULL;
  }
  if (SSL_set_fd(ssl, fd) != 1) {
    ERR_clear_error();
    SSL_free(ssl);
    return NULL;
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

void tls_free(SSL *ssl) {
  SSL_free(ssl);
}

static int outcome(SSL *ssl, int rc, const char *what, char *err, size_t errsize) {
  int e = SSL_get_error(ssl, rc);
  switch (e) {
  case SSL_ERROR_WANT_READ:
    return TLS_WANT_READ;
  case SSL_ERROR_WANT_WRITE:
    return TLS_WANT_WRITE;
  case SSL_ERROR_ZERO_RETURN:
    ERR_clear_error();
    return TLS_DONE;
  default:
    take_error(what, e, err, errsize);
    return TLS_FAILED;
  }
}

int tls_handshake(SSL *ssl, char *err, size_t errsize) {
  int rc;
  ERR_clear_error();
  errno = 0;
  rc = SSL_do_handshake(ssl);
  if (rc == 1) return TLS_DONE;
  rc = outcome(ssl, rc, "handshake", err, errsize);
  return rc == TLS_DONE ? TLS_FAILED : rc;
}

ssize_t tls_read(SSL *ssl, void *buf, size_t n, char *err, size_t errsize) {
  int rc;
  ERR_clear_error();
  errno = 0;
  rc = SSL_read(ssl, buf, n > INT_MAX ? INT_MAX : (int)n);
  if (rc > 0) return rc;
  return outcome(ssl, rc, "read", err, errsize);
}

ssize_t tls_write(SSL *ssl, const void *buf, size_t n, char *err, size_t errsize) {
  int rc;
  ERR_clear_error();
  errno = 0;
  rc = SSL_write(ssl, buf, n > INT_MAX ? INT_MAX : (int)n);
  if (rc > 0) return rc;
  rc = outcome(ssl, rc, "write", err, errsize);
  return rc == TLS_DONE ? TLS_FAILED : rc;
}

void tls_shutdown(SSL *ssl) {
  ERR_clear_error();
  SSL_shutdown(ssl);
  ERR_clear_error();
}
