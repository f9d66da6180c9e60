/*
 * test_url.c - unit tests of the client's URL parsing and redirect
 * resolution (client/url.h).
 */
#include "url.h"

#include <stdio.h>
#include <string.h>

static int failures;
static int checks;

/* Parse in (or resolve in against base) and compare the serialization. */
static void expect(const char *base, const char *in, const char *href) {
  es_url b, u;
  char err[200] = "";
  int rc;
  checks++;
  if (base) {
    if (url_parse(base, strlen(base), &b, err, sizeof err) < 0) {
      fprintf(stderr, "base %s: %s\n", base, err);
      failures++;
      return;
    }
    rc = url_resolve(&b, in, strlen(in), &u, err, sizeof err);
    url_free(&b);
  } else {
    rc = url_parse(in, strlen(in), &u, err, sizeof err);
  }
  if (href == NULL) {
    if (rc == 0) {
      fprintf(stderr, "%s (base %s): expected an error, got %s\n", in, base ? base : "-", u.href);
      failures++;
      url_free(&u);
    } else if (err[0] == '\0') {
      fprintf(stderr, "%s: error without a message\n", in);
      failures++;
    }
    return;
  }
  if (rc < 0) {
    fprintf(stderr, "%s (base %s): unexpected error: %s\n", in, base ? base : "-", err);
    failures++;
    return;
  }
  if (strcmp(u.href, href) != 0) {
    fprintf(stderr, "%s (base %s): got %s, expected %s\n", in, base ? base : "-", u.href, href);
    failures++;
  }
  url_free(&u);
}

static void expect_parts(const char *in, int tls, const char *host, int kind, int port,
                         const char *target, const char *authority) {
  es_url u;
  char err[200];
  checks++;
  if (url_parse(in, strlen(in), &u, err, sizeof err) < 0) {
    fprintf(stderr, "%s: %s\n", in, err);
    failures++;
    return;
  }
  if (u.tls != tls || strcmp(u.host, host) != 0 || u.host_kind != kind || u.port != port ||
      strcmp(u.target, target) != 0 || strcmp(u.authority, authority) != 0) {
    fprintf(stderr, "%s: got tls=%d host=%s kind=%d port=%d target=%s authority=%s\n", in, u.tls,
            u.host, u.host_kind, u.port, u.target, u.authority);
    failures++;
  }
  url_free(&u);
}

int main(void) {
  /* absolute URLs */
  expect_parts("http://127.0.0.1:8080/s/x/tok", 0, "127.0.0.1", URL_HOST_IPV4, 8080, "/s/x/tok",
               "127.0.0.1:8080");
  expect_parts("HTTPS://Example.COM/a?b=c#frag", 1, "example.com", URL_HOST_NAME, 443, "/a?b=c",
               "example.com");
  expect_parts("http://[::1]:9/", 0, "::1", URL_HOST_IPV6, 9, "/", "[::1]:9");
  expect_parts("http://user:pw@host:80", 0, "host", URL_HOST_NAME, 80, "/", "host");
  expect_parts("https://h:443/x", 1, "h", URL_HOST_NAME, 443, "/x", "h");
  expect_parts("  http://h/a b\t\n?q r  ", 0, "h", URL_HOST_NAME, 80, "/a%20b?q%20r", "h");
  expect(NULL, "http://h/a/./b/../c", "http://h/a/c");
  expect(NULL, "http://h/a/%2e%2E/b", "http://h/b");
  expect(NULL, "http://h/../../x", "http://h/x");
  expect(NULL, "http://h/a/..", "http://h/");
  expect(NULL, "http://h/a/.", "http://h/a/");
  expect(NULL, "http://h\\a\\b", "http://h/a/b");
  expect(NULL, "http://h/\xc3\xa9?\xc3\xa9", "http://h/%C3%A9?%C3%A9");
  expect(NULL, "http://h:/x", "http://h/x");
  expect(NULL, "http://h?", "http://h/?");
  /* errors */
  expect(NULL, "", NULL);
  expect(NULL, "/relative", NULL);
  expect(NULL, "ftp://h/", NULL);
  expect(NULL, "http:h/x", "http://h/x");
  expect(NULL, "http:///x", "http://x/");
  expect(NULL, "http://", NULL);
  expect(NULL, "http:///", NULL);
  expect(NULL, "http://h:65536/", NULL);
  expect(NULL, "http://h:8a/", NULL);
  expect(NULL, "http://[::1/", NULL);
  expect(NULL, "http://[nope]/", NULL);
  expect(NULL, "http://h\xc3\xa9/", NULL);
  expect(NULL, "http://a b/", NULL);
  /* redirect targets */
  const char *base = "http://127.0.0.1:4000/s/name/tok?x=1";
  expect(base, "/s/name/tok/next", "http://127.0.0.1:4000/s/name/tok/next");
  expect(base, "next", "http://127.0.0.1:4000/s/name/next");
  expect(base, "tok/next?y", "http://127.0.0.1:4000/s/name/tok/next?y");
  expect(base, "../other", "http://127.0.0.1:4000/s/other");
  expect(base, "?y=2", "http://127.0.0.1:4000/s/name/tok?y=2");
  expect(base, "", "http://127.0.0.1:4000/s/name/tok?x=1");
  expect(base, "#f", "http://127.0.0.1:4000/s/name/tok?x=1");
  expect(base, "//other:5/p", "http://other:5/p");
  expect(base, "https://127.0.0.1:4001/t", "https://127.0.0.1:4001/t");
  expect(base, "http:/abs", "http://127.0.0.1:4000/abs");
  expect(base, "http:rel", "http://127.0.0.1:4000/s/name/rel");
  expect(base, "\\back", "http://127.0.0.1:4000/back");
  expect(base, " /trimmed ", "http://127.0.0.1:4000/trimmed");
  expect(base, "mailto:x@y", NULL);
  expect(base, "//", NULL);
  expect("https://h/a/b", "c", "https://h/a/c");
  expect("https://h/a/b", "http:c", "http://c/");
  if (failures) {
    fprintf(stderr, "%d of %d checks failed\n", failures, checks);
    return 1;
  }
  printf("test_url: %d checks passed\n", checks);
  return 0;
}
