/*
 * url.c - http and https URLs for the reference EventSource client.
 */
#define _POSIX_C_SOURCE 200809L
#include "url.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growable string. */
typedef struct sb {
  char *p;
  size_t len, cap;
  int oom;
} sb;

static void sb_putn(sb *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1) cap *= 2;
    char *np = realloc(b->p, cap);
    if (!np) {
      b->oom = 1;
      return;
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void sb_puts(sb *b, const char *s) {
  sb_putn(b, s, strlen(s));
}

static void sb_putc(sb *b, char c) {
  sb_putn(b, &c, 1);
}

static int errf(char *err, size_t errsize, const char *fmt, ...) {
  if (err && errsize) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsize, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static int lower(int c) {
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int is_alpha(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c) {
  return c >= '0' && c <= '9';
}

static int is_slash(int c) {
  return c == '/' || c == '\\';
}

/* Remove leading/trailing C0 controls and spaces and every tab and
 * newline, as the URL parser does first. The result is NUL-terminated and
 * must be freed; NULL when out of memory. */
static char *clean_input(const char *s, size_t n, size_t *out_len) {
  size_t a = 0, b = n;
  while (a < b && (unsigned char)s[a] <= 0x20) a++;
  while (b > a && (unsigned char)s[b - 1] <= 0x20) b--;
  char *o = malloc(b - a + 1);
  if (!o) return NULL;
  size_t k = 0;
  for (size_t i = a; i < b; i++)
    if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r') o[k++] = s[i];
  o[k] = '\0';
  *out_len = k;
  return o;
}

/* The length of a scheme followed by ':' at the start of s, or 0. */
static size_t scheme_len(const char *s, size_t n) {
  if (n == 0 || !is_alpha((unsigned char)s[0])) return 0;
  size_t i = 1;
  while (i < n && (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) || s[i] == '+' ||
                   s[i] == '-' || s[i] == '.'))
    i++;
  return (i < n && s[i] == ':') ? i : 0;
}

static int scheme_is(const char *s, size_t n, const char *name) {
  if (strlen(name) != n) return 0;
  for (size_t i = 0; i < n; i++)
    if (lower((unsigned char)s[i]) != name[i]) return 0;
  return 1;
}

static int in_set(unsigned char c, const char *set) {
  return c < 0x21 || c > 0x7e || strchr(set, c) != NULL;
}

static void put_encoded(sb *b, const char *s, size_t n, const char *set) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (in_set(c, set)) {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      sb_putn(b, e, 3);
    } else {
      sb_putc(b, (char)c);
    }
  }
}

/* A single-dot or double-dot path segment (also percent-encoded dots). */
static int seg_dots(const char *s, size_t n) {
  int dots = 0;
  size_t i = 0;
  while (i < n) {
    if (s[i] == '.') {
      i++;
    } else if (n - i >= 3 && s[i] == '%' && s[i + 1] == '2' &&
               lower((unsigned char)s[i + 2]) == 'e') {
      i += 3;
    } else {
      return 0;
    }
    if (++dots > 2) return 0;
  }
  return dots;
}

/* Append the normalised path s[0..n) (backslashes as slashes, dot
 * segments resolved, percent-encoded) to b; it starts with '/'. */
static void put_path(sb *b, const char *s, size_t n) {
  /* collect segments as (offset, length) pairs of s */
  size_t cap = 8, count = 0;
  size_t *segs = malloc(cap * 2 * sizeof *segs);
  if (!segs) {
    b->oom = 1;
    return;
  }
  size_t i = 0;
  if (i < n && is_slash((unsigned char)s[i])) i++;
  int trailing = 0; /* the path ends with a directory (a dot segment or '/') */
  for (;;) {
    size_t j = i;
    while (j < n && !is_slash((unsigned char)s[j])) j++;
    int d = seg_dots(s + i, j - i);
    int last = j >= n;
    if (d == 2) {
      if (count) count--;
      trailing = 1;
    } else if (d == 1) {
      trailing = 1;
    } else {
      if (count == cap) {
        cap *= 2;
        size_t *ns = realloc(segs, cap * 2 * sizeof *ns);
        if (!ns) {
          free(segs);
          b->oom = 1;
          return;
        }
        segs = ns;
      }
      segs[2 * count] = i;
      segs[2 * count + 1] = j - i;
      count++;
      trailing = 0;
    }
    if (last) break;
    i = j + 1;
  }
  for (size_t k = 0; k < count; k++) {
    sb_putc(b, '/');
    put_encoded(b, s + segs[2 * k], segs[2 * k + 1], "\"#<>?`{}");
  }
  if (count == 0 || trailing) sb_putc(b, '/');
  free(segs);
}

static int parse_host(const char *s, size_t n, es_url *u, char *err, size_t errsize) {
  if (n == 0) return errf(err, errsize, "the URL has an empty host");
  if (s[0] == '[') {
    if (n < 3 || s[n - 1] != ']') return errf(err, errsize, "unterminated IPv6 address in the URL");
    char tmp[64];
    size_t k = n - 2;
    if (k >= sizeof tmp) return errf(err, errsize, "invalid IPv6 address in the URL");
    memcpy(tmp, s + 1, k);
    tmp[k] = '\0';
    unsigned char addr[16];
    if (inet_pton(AF_INET6, tmp, addr) != 1)
      return errf(err, errsize, "invalid IPv6 address \"%s\" in the URL", tmp);
    char canon[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, addr, canon, sizeof canon);
    u->host = strdup(canon);
    u->host_kind = URL_HOST_IPV6;
  } else {
    char *h = malloc(n + 1);
    if (!h) return errf(err, errsize, "out of memory");
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)s[i];
      if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_')) {
        free(h);
        if (c >= 0x80) return errf(err, errsize, "non-ASCII host names are not supported");
        return errf(err, errsize, "invalid character '%c' in the URL's host", c);
      }
      h[i] = (char)lower(c);
    }
    h[n] = '\0';
    unsigned char addr[4];
    u->host_kind = inet_pton(AF_INET, h, addr) == 1 ? URL_HOST_IPV4 : URL_HOST_NAME;
    u->host = h;
  }
  if (!u->host) return errf(err, errsize, "out of memory");
  return 0;
}

int url_parse(const char *in, size_t in_len, es_url *u, char *err, size_t errsize) {
  memset(u, 0, sizeof *u);
  size_t n = 0;
  char *s = clean_input(in, in_len, &n);
  if (!s) return errf(err, errsize, "out of memory");
  int rc = -1;
  sb b = {0};
  size_t sl = scheme_len(s, n);
  if (sl == 0) {
    errf(err, errsize, "not an absolute URL (no scheme)");
    goto out;
  }
  if (scheme_is(s, sl, "https")) {
    u->tls = 1;
  } else if (!scheme_is(s, sl, "http")) {
    errf(err, errsize, "unsupported URL scheme \"%.*s\" (only http and https)", (int)sl, s);
    goto out;
  }
  size_t i = sl + 1;
  /* any number of slashes (or backslashes) before the host, as the URL
   * Standard's "special authority ignore slashes state" */
  while (i < n && is_slash((unsigned char)s[i])) i++;
  size_t a0 = i;
  while (i < n && !is_slash((unsigned char)s[i]) && s[i] != '?' && s[i] != '#') i++;
  size_t a1 = i;
  /* user information is dropped */
  for (size_t k = a1; k > a0; k--)
    if (s[k - 1] == '@') {
      a0 = k;
      break;
    }
  size_t hend = a1, pstart = a1;
  if (a0 < a1 && s[a0] == '[') {
    const char *rb = memchr(s + a0, ']', a1 - a0);
    if (!rb) {
      errf(err, errsize, "unterminated IPv6 address in the URL");
      goto out;
    }
    hend = (size_t)(rb - s) + 1;
    pstart = hend;
    if (pstart < a1 && s[pstart] != ':') {
      errf(err, errsize, "unexpected text after the IPv6 address in the URL");
      goto out;
    }
  } else {
    const char *colon = memchr(s + a0, ':', a1 - a0);
    if (colon) hend = pstart = (size_t)(colon - s);
  }
  if (parse_host(s + a0, hend - a0, u, err, errsize) < 0) goto out;
  int dport = u->tls ? 443 : 80;
  u->port = dport;
  if (pstart < a1) { /* ":" port */
    long port = 0;
    size_t k = pstart + 1;
    if (k < a1) {
      for (; k < a1; k++) {
        if (!is_digit((unsigned char)s[k])) {
          errf(err, errsize, "invalid port in the URL");
          goto out;
        }
        port = port * 10 + (s[k] - '0');
        if (port > 65535) {
          errf(err, errsize, "port out of range in the URL");
          goto out;
        }
      }
      u->port = (int)port;
    }
  }
  /* path and query */
  size_t p0 = a1;
  while (i < n && s[i] != '?' && s[i] != '#') i++;
  put_path(&b, s + p0, i - p0);
  if (i < n && s[i] == '?') {
    size_t q0 = ++i;
    while (i < n && s[i] != '#') i++;
    sb_putc(&b, '?');
    put_encoded(&b, s + q0, i - q0, "\"#<>'");
  }
  if (b.oom) {
    errf(err, errsize, "out of memory");
    goto out;
  }
  u->target = b.p;
  b.p = NULL;
  /* authority and href */
  sb au = {0};
  if (u->host_kind == URL_HOST_IPV6) {
    sb_putc(&au, '[');
    sb_puts(&au, u->host);
    sb_putc(&au, ']');
  } else {
    sb_puts(&au, u->host);
  }
  if (u->port != dport) {
    char pb[16];
    snprintf(pb, sizeof pb, ":%d", u->port);
    sb_puts(&au, pb);
  }
  sb hr = {0};
  sb_puts(&hr, u->tls ? "https://" : "http://");
  if (au.p) sb_puts(&hr, au.p);
  sb_puts(&hr, u->target);
  if (au.oom || hr.oom) {
    free(au.p);
    free(hr.p);
    errf(err, errsize, "out of memory");
    goto out;
  }
  u->authority = au.p;
  u->href = hr.p;
  rc = 0;
out:
  free(s);
  free(b.p);
  if (rc < 0) url_free(u);
  return rc;
}

int url_resolve(const es_url *base, const char *ref_in, size_t ref_n, es_url *u, char *err,
                size_t errsize) {
  size_t n = 0;
  char *r = clean_input(ref_in, ref_n, &n);
  if (!r) return errf(err, errsize, "out of memory");
  int rc;
  size_t sl = scheme_len(r, n);
  const char *base_scheme = base->tls ? "https" : "http";
  const char *rest = r;
  size_t rest_n = n;
  if (sl) {
    if (!scheme_is(r, sl, "http") && !scheme_is(r, sl, "https")) {
      rc = errf(err, errsize, "redirect to unsupported scheme \"%.*s\"", (int)sl, r);
      free(r);
      return rc;
    }
    if (!scheme_is(r, sl, base_scheme) || (n - sl - 1 >= 2 && is_slash((unsigned char)r[sl + 1]) &&
                                           is_slash((unsigned char)r[sl + 2]))) {
      rc = url_parse(r, n, u, err, errsize);
      free(r);
      return rc;
    }
    /* "http:path" with the base's scheme is relative (a special scheme) */
    rest = r + sl + 1;
    rest_n = n - sl - 1;
  }
  sb b = {0};
  sb_puts(&b, base_scheme);
  sb_puts(&b, ":");
  if (rest_n >= 2 && is_slash((unsigned char)rest[0]) && is_slash((unsigned char)rest[1])) {
    sb_putn(&b, rest, rest_n); /* scheme-relative */
  } else {
    sb_puts(&b, "//");
    sb_puts(&b, base->authority);
    const char *bt = base->target;
    const char *bq = strchr(bt, '?');
    size_t bpath = bq ? (size_t)(bq - bt) : strlen(bt);
    if (rest_n > 0 && is_slash((unsigned char)rest[0])) {
      sb_putn(&b, rest, rest_n);
    } else if (rest_n > 0 && rest[0] == '?') {
      sb_putn(&b, bt, bpath);
      sb_putn(&b, rest, rest_n);
    } else if (rest_n == 0 || rest[0] == '#') {
      sb_puts(&b, bt);
    } else {
      const char *slash = bt;
      for (size_t k = 0; k < bpath; k++)
        if (bt[k] == '/') slash = bt + k;
      sb_putn(&b, bt, (size_t)(slash - bt) + 1);
      sb_putn(&b, rest, rest_n);
    }
  }
  free(r);
  if (b.oom) {
    free(b.p);
    return errf(err, errsize, "out of memory");
  }
  rc = url_parse(b.p, b.len, u, err, errsize);
  free(b.p);
  return rc;
}

int url_copy(es_url *dst, const es_url *src) {
  *dst = *src;
  dst->host = strdup(src->host);
  dst->target = strdup(src->target);
  dst->authority = strdup(src->authority);
  dst->href = strdup(src->href);
  if (!dst->host || !dst->target || !dst->authority || !dst->href) {
    url_free(dst);
    return -1;
  }
  return 0;
}

void url_free(es_url *u) {
  free(u->host);
  free(u->target);
  free(u->authority);
  free(u->href);
  memset(u, 0, sizeof *u);
}
