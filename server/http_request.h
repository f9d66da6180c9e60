/*
 * http_request.h - parsing one HTTP/1.x request head (request line and header
 * fields) from a buffer, for the scenario server.
 *
 * The parser never allocates: the results point into the caller's buffer,
 * which must stay unchanged while they are used.
 */
#ifndef SSESPEC_SERVER_HTTP_REQUEST_H
#define SSESPEC_SERVER_HTTP_REQUEST_H

#include <stddef.h>
#include <string.h>

#define HTTP_MAX_HEAD ((size_t)16 << 10) /* request line and headers */
#define HTTP_MAX_HEADERS 100

struct http_span {
  const char *p;
  size_t n;
};

struct http_header {
  struct http_span name, value; /* value without surrounding blanks */
};

struct http_request {
  struct http_span method, target, version;
  struct http_header headers[HTTP_MAX_HEADERS];
  size_t nheaders;
  size_t head_len;          /* bytes of the head, final blank line included */
  long long content_length; /* -1 when absent */
  int chunked_body;         /* Transfer-Encoding was given */
};

enum http_parse_status {
  HTTP_OK = 1,          /* a whole head; req is filled in */
  HTTP_INCOMPLETE = 0,  /* no blank line yet: read more (or 431 past HTTP_MAX_HEAD) */
  HTTP_BAD = -1,        /* malformed: answer 400 and close */
  HTTP_TOO_LARGE = -2,  /* too many header fields: answer 431 and close */
  HTTP_BAD_VERSION = -3 /* well-formed but not HTTP/1.0 or 1.1: answer 505 */
};

/* Parse the request head at the start of buf (len bytes). Lines end with
 * CRLF or a bare LF. A header value may hold any byte but NUL and CR
 * (control characters are retained, as RFC 9110 5.5 allows). Returns one of enum http_parse_status;
 * on HTTP_BAD, *why (if not NULL) is a short static description. */
int http_parse_request(const char *buf, size_t len, struct http_request *req, const char **why);

/* Case-insensitive comparison of a span with a NUL-terminated string. */
int http_span_eq(struct http_span s, const char *lit);

/* Whether the Connection header fields of a parsed request list the
 * option (say "close" or "keep-alive"): each field's value is a
 * comma-separated list, blanks around items are ignored, several fields
 * combine, options compare case-insensitively (RFC 9110 7.6.1).
 * Returns 1 or 0. */
int http_connection_has(const struct http_request *req, const char *option);

/* Whether c may appear in a token (RFC 9110 tchar): a method or a header
 * field name. Used by the request parser and by the scenario loader, which
 * checks header names before they are sent. */
static inline int http_tchar(unsigned char c) {
  if (c >= '0' && c <= '9') return 1;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return 1;
  return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

#endif /* SSESPEC_SERVER_HTTP_REQUEST_H */
