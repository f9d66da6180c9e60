/*
 * http_request.c - the request head parser of http_request.h.
 */
#include "http_request.h"

#include <string.h>
#include <strings.h>

int http_span_eq(struct http_span s, const char *lit) {
  size_t n = strlen(lit);
  return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

int http_connection_has(const struct http_request *req, const char *option) {
  size_t on = strlen(option);
  for (size_t i = 0; i < req->nheaders; i++) {
    const char *p, *end;
    if (!http_span_eq(req->headers[i].name, "Connection")) continue;
    p = req->headers[i].value.p;
    end = p + req->headers[i].value.n;
    while (p < end) {
      const char *q = memchr(p, ',', (size_t)(end - p));
      const char *a = p, *b = q ? q : end;
      while (a < b && (*a == ' ' || *a == '\t')) a++;
      while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
      if ((size_t)(b - a) == on && strncasecmp(a, option, on) == 0) return 1;
      if (!q) break;
      p = q + 1;
    }
  }
  return 0;
}

/* The end of the line starting at p (the CR of CRLF or the LF), and the
 * start of the next line in *next; NULL when no LF before end. */
static const char *line_end(const char *p, const char *end, const char **next) {
  const char *lf = memchr(p, '\n', (size_t)(end - p));
  if (!lf) return NULL;
  *next = lf + 1;
  if (lf > p && lf[-1] == '\r') return lf - 1;
  return lf;
}

int http_parse_request(const char *buf, size_t len, struct http_request *req, const char **why) {
  const char *p = buf, *end = buf + len, *le, *next, *s;
  const char *dummy;
  if (!why) why = &dummy;
  *why = "";
  memset(req, 0, sizeof *req);
  req->content_length = -1;
  /* the whole head must be present before anything is judged, except
   * that a request line that is plainly not HTTP fails at once */
  {
    const char *q = buf;
    const char *lim = len < HTTP_MAX_HEAD ? end : buf + HTTP_MAX_HEAD;
    int found = 0;
    for (; q < lim; q++) {
      if (*q != '\n') continue;
      /* the head, blank line included, must fit in HTTP_MAX_HEAD bytes,
       * however the bytes arrived (else 431, as for an endless head) */
      if (q + 1 < end && q[1] == '\n') {
        found = (size_t)(q + 2 - buf) <= HTTP_MAX_HEAD;
        break;
      }
      if (q + 2 < end && q[1] == '\r' && q[2] == '\n') {
        found = (size_t)(q + 3 - buf) <= HTTP_MAX_HEAD;
        break;
      }
    }
    if (!found) {
      /* early rejection of bytes no request line can start with */
      for (q = buf; q < end && q < buf + 16 && *q != ' '; q++) {
        if (!http_tchar((unsigned char)*q)) {
          *why = "the request line does not start with a method";
          return HTTP_BAD;
        }
      }
      return HTTP_INCOMPLETE;
    }
  }
  /* request line: METHOD SP TARGET SP VERSION */
  le = line_end(p, end, &next);
  s = p;
  while (s < le && http_tchar((unsigned char)*s)) s++;
  if (s == p || s >= le || *s != ' ') {
    *why = "bad method";
    return HTTP_BAD;
  }
  req->method.p = p;
  req->method.n = (size_t)(s - p);
  p = ++s;
  while (s < le && (unsigned char)*s > 0x20 && (unsigned char)*s < 0x7F) s++;
  if (s == p || s >= le || *s != ' ') {
    *why = "bad request target";
    return HTTP_BAD;
  }
  req->target.p = p;
  req->target.n = (size_t)(s - p);
  p = ++s;
  req->version.p = p;
  req->version.n = (size_t)(le - p);
  if (req->version.n != 8 || memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' ||
      p[6] != '.' || p[7] < '0' || p[7] > '9') {
    *why = "bad HTTP version";
    return HTTP_BAD;
  }
  if (p[5] != '1' || (p[7] != '0' && p[7] != '1')) {
    *why = "HTTP version not supported";
    return HTTP_BAD_VERSION;
  }
  p = next;
  /* header fields */
  while (1) {
    const char *ne;
    le = line_end(p, end, &next);
    if (!le) { /* cannot happen: the blank line was found above */
      *why = "truncated head";
      return HTTP_BAD;
    }
    if (le == p) {
      req->head_len = (size_t)(next - buf);
      break;
    }
    if (*p == ' ' || *p == '\t') {
      *why = "obsolete line folding";
      return HTTP_BAD;
    }
    s = p;
    while (s < le && http_tchar((unsigned char)*s)) s++;
    if (s == p || s >= le || *s != ':') {
      *why = "bad header field name";
      return HTTP_BAD;
    }
    ne = s;
    s++;
    while (s < le && (*s == ' ' || *s == '\t')) s++;
    {
      const char *ve = le;
      while (ve > s && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
      for (const char *q = s; q < ve; q++) {
        unsigned char c = (unsigned char)*q;
        /* RFC 9110 5.5: CR, LF and NUL are invalid and dangerous; other
         * control characters are invalid too, but a recipient may retain
         * them, and this one does: a client may send them (Fetch allows
         * them in a header value; an id with U+0001 becomes such a
         * Last-Event-ID), and the log must show what it sent. */
        if (c == '\0' || c == '\r') {
          *why = "a NUL or CR in a header value";
          return HTTP_BAD;
        }
      }
      if (req->nheaders == HTTP_MAX_HEADERS) {
        *why = "too many header fields";
        return HTTP_TOO_LARGE;
      }
      req->headers[req->nheaders].name.p = p;
      req->headers[req->nheaders].name.n = (size_t)(ne - p);
      req->headers[req->nheaders].value.p = s;
      req->headers[req->nheaders].value.n = (size_t)(ve - s);
      req->nheaders++;
    }
    p = next;
  }
  /* the framing of a request body */
  for (size_t i = 0; i < req->nheaders; i++) {
    struct http_header *h = &req->headers[i];
    if (http_span_eq(h->name, "Content-Length")) {
      long long v = 0;
      if (h->value.n == 0 || h->value.n > 15 || req->content_length >= 0) {
        *why = "bad Content-Length";
        return HTTP_BAD;
      }
      for (size_t k = 0; k < h->value.n; k++) {
        if (h->value.p[k] < '0' || h->value.p[k] > '9') {
          *why = "bad Content-Length";
          return HTTP_BAD;
        }
        v = v * 10 + (h->value.p[k] - '0');
      }
      req->content_length = v;
    } else if (http_span_eq(h->name, "Transfer-Encoding")) {
      req->chunked_body = 1;
    }
  }
  return HTTP_OK;
}
