/*
 * url.h - http and https URLs for the reference EventSource client (C11).
 *
 * A small subset of the WHATWG URL Standard, enough to open event streams
 * and follow redirects: absolute http/https URLs with a host name, an IPv4
 * address or a bracketed IPv6 address, an optional port, a path and a
 * query. Leading and trailing C0 controls and spaces are removed, tabs and
 * newlines anywhere are removed, backslashes count as slashes, "." and ".."
 * path segments are resolved, and bytes that may not appear in a request
 * target are percent-encoded. User information ("user:pass@") is accepted
 * and dropped: the client never sends credentials. The fragment is dropped.
 * Host names are ASCII only (no IDNA) and are lower-cased.
 *
 * Nothing is global; every function reports failure with a message.
 */
#ifndef SSESPEC_URL_H
#define SSESPEC_URL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct es_url {
  int tls;         /* 1 for https */
  char *host;      /* lower case; an IPv6 address without brackets */
  int host_kind;   /* URL_HOST_NAME, URL_HOST_IPV4 or URL_HOST_IPV6 */
  int port;        /* explicit or the scheme's default */
  char *target;    /* the request target: path and "?query", percent-encoded */
  char *authority; /* host[:port] as in a Host header (port only if not default) */
  char *href;      /* the serialized URL */
} es_url;

enum { URL_HOST_NAME, URL_HOST_IPV4, URL_HOST_IPV6 };

/* Parse the n bytes at s as an absolute http or https URL into *u (owned
 * by the caller: release with url_free). Returns 0, or -1 with a message
 * in err (errsize bytes, NUL-terminated). */
int url_parse(const char *s, size_t n, es_url *u, char *err, size_t errsize);

/* Resolve the reference ref (n bytes: absolute, scheme-relative,
 * absolute-path, relative-path, query-only, fragment-only or empty)
 * against base into *u. Returns 0, or -1 with a message (a reference to
 * another scheme than http/https is an error). */
int url_resolve(const es_url *base, const char *ref, size_t n, es_url *u, char *err,
                size_t errsize);

/* A deep copy. Returns 0 or -1 (out of memory). */
int url_copy(es_url *dst, const es_url *src);

/* Release the strings of u and zero it. */
void url_free(es_url *u);

#ifdef __cplusplus
}
#endif

#endif /* SSESPEC_URL_H */
