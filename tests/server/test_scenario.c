/*
 * test_scenario.c - unit tests of the scenario loader (server/scenario.c):
 * valid files give the expected dump, malformed files the exact message
 * naming the file, the line and the field.
 */
#include "common/json.h"
#include "http_request.h"
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static int checks;

#define HEAD "about a\nrule C5\n"

struct bad {
  const char *text;
  const char *name; /* NULL: "t" */
  const char *error;
};

/* Malformed files and their exact messages. */
static const struct bad bad_cases[] = {
    /* unknown directive */
    {HEAD "connection\nfoo bar\n", NULL, "t.scenario:4: foo: unknown directive"},
    {HEAD "Connection\n", NULL, "t.scenario:3: Connection: unknown directive"},
    /* about, rule */
    {"rule C5\nconnection\n", NULL,
     "t.scenario:1: about: missing: every scenario says what it checks"},
    {"about a\nconnection\n", NULL,
     "t.scenario:1: rule: missing: every scenario names the rule it checks"},
    {"about a\nabout b\nrule C5\nconnection\n", NULL, "t.scenario:2: about: given twice"},
    {"about\nrule C5\nconnection\n", NULL, "t.scenario:1: about: needs a value"},
    {"about a\nrule c5\nconnection\n", NULL,
     "t.scenario:2: rule: 'c5' is not a rule id (like C5 or C6-empty)"},
    {HEAD, NULL, "t.scenario:1: connection: missing: a scenario has at least one connection"},
    /* bad status */
    {HEAD "connection\nstatus 20\n", NULL,
     "t.scenario:4: status: needs a code from 200 to 599, got '20'"},
    {HEAD "connection\nstatus 600\n", NULL,
     "t.scenario:4: status: needs a code from 200 to 599, got '600'"},
    {HEAD "connection\nstatus abc\n", NULL,
     "t.scenario:4: status: needs a code from 200 to 599, got 'abc'"},
    {HEAD "connection\nstatus 200\nstatus 201\n", NULL, "t.scenario:5: status: given twice"},
    {HEAD "connection\nstatus 204\nsend \"x\"\n", NULL,
     "t.scenario:5: send: status 204 has no body"},
    /* bad string escapes and expressions */
    {HEAD "connection\nsend \"a\\qb\"\n", NULL,
     "t.scenario:4: send: bad string escape: unknown escape \\q"},
    {HEAD "connection\nsend \"\\x4\"\n", NULL,
     "t.scenario:4: send: bad string escape: \\x needs two hex digits"},
    {HEAD "connection\nsend \"\\u{D800}\"\n", NULL,
     "t.scenario:4: send: bad string escape: \\u{D800} is not a Unicode scalar value"},
    {HEAD "connection\nsend \"\\u0041\"\n", NULL,
     "t.scenario:4: send: bad string escape: \\u needs braces, as \\u{FFFD}"},
    {HEAD "connection\nexpect event data=\"\\xff\"\n", NULL,
     "t.scenario:4: expect: bad string escape: \\xff in text; text is UTF-8, write \\u{...}"},
    {HEAD "connection\nsend \"abc\n", NULL, "t.scenario:4: send: unterminated string"},
    {HEAD "connection\nsend abc\n", NULL, "t.scenario:4: send: expected a quoted string at 'abc'"},
    {HEAD "connection\nsend \"{host}\"\n", NULL,
     "t.scenario:4: send: unknown template at '{host}': only {base} and {origin}; a literal { is "
     "written \\{"},
    {HEAD "connection\nsend \"\\{base}\"\n", NULL,
     "t.scenario:4: send: the text {base} or {origin} made of literal characters would read as a "
     "template; it cannot be written"},
    {HEAD "connection\nsend \"a\" \"b\"\n", NULL,
     "t.scenario:4: send: unexpected '\"b\"' after the string"},
    {HEAD "connection\nsend \"a\" | \"\"\n", NULL, "t.scenario:4: send: piece 2 is empty"},
    {HEAD "connection\nraw \"a\" | \"b\"\n", NULL,
     "t.scenario:4: raw: unexpected '| \"b\"' after the string"},
    /* actions and connection directives outside a connection */
    {HEAD "send \"x\"\nconnection\n", NULL,
     "t.scenario:3: send: outside a connection (write `connection` first)"},
    {HEAD "close\n", NULL, "t.scenario:3: close: outside a connection (write `connection` first)"},
    {HEAD "expect-header Accept \"x\"\n", NULL,
     "t.scenario:3: expect-header: outside a connection (write `connection` first)"},
    {HEAD "connection\nclose\nsend \"x\"\n", NULL,
     "t.scenario:5: send: no action may follow close"},
    {HEAD "connection\nsend \"x\"\nheader A \"b\"\n", NULL,
     "t.scenario:5: header: must come before the connection's first action"},
    {HEAD "connection\nclose now\n", NULL, "t.scenario:4: close: takes no arguments, got 'now'"},
    /* expect-delay syntax */
    {HEAD "connection\nexpect-delay 300-500\n", NULL,
     "t.scenario:4: expect-delay: needs MIN..MAX in milliseconds (0 to 600000; MAX may be "
     "omitted), got '300-500'"},
    {HEAD "connection\nexpect-delay ..500\n", NULL,
     "t.scenario:4: expect-delay: needs MIN..MAX in milliseconds (0 to 600000; MAX may be "
     "omitted), got '..500'"},
    {HEAD "connection\nexpect-delay 500..300\n", NULL,
     "t.scenario:4: expect-delay: MAX 300 is below MIN 500"},
    {HEAD "connection\nexpect-delay 1..x\n", NULL,
     "t.scenario:4: expect-delay: needs MIN..MAX in milliseconds (0 to 600000; MAX may be "
     "omitted), got '1..x'"},
    {HEAD "connection\nexpect-delay 1..2\nexpect-delay 1..2\n", NULL,
     "t.scenario:5: expect-delay: given twice"},
    /* repeat limits and string size limits */
    {HEAD "connection\nrepeat 0 expect open\n", NULL,
     "t.scenario:4: repeat: needs a count from 1 to 1000000, got '0'"},
    {HEAD "connection\nrepeat 1000001 expect open\n", NULL,
     "t.scenario:4: repeat: needs a count from 1 to 1000000, got '1000001'"},
    {HEAD "connection\nrepeat 3 send \"x\"\n", NULL,
     "t.scenario:4: repeat: applies only to expect, not 'send'"},
    {HEAD "connection\nsend \"x\" * 10000001\n", NULL,
     "t.scenario:4: send: repetition count is over 10000000"},
    {HEAD "connection\nsend \"xxxxxxxxxx\" * 10000000\n", NULL,
     "t.scenario:4: send: string expression is over the limit of 67108864 bytes"},
    {HEAD "connection\nsend \"x\" * 1.5\n", NULL,
     "t.scenario:4: send: '*' needs a whole count after it"},
    {HEAD "connection\nrepeat 1000000 expect event data=\"x\" * 100\n", NULL,
     "t.scenario:4: repeat: the repeated records are over the limit of 67108864 bytes"},
    {HEAD "connection\nrepeat 1000000 expect open\nexpect open\n", NULL,
     "t.scenario:5: repeat: more than 1000000 expected records"},
    /* records */
    {HEAD "connection\nexpect error 1\n", NULL,
     "t.scenario:4: expect: error needs a readyState of 0 or 2, got '1'"},
    {HEAD "connection\nexpect event type=\"x\"\n", NULL,
     "t.scenario:4: expect: an event needs data="},
    {HEAD "connection\nexpect event data=\"x\" retry=\"1\"\n", NULL,
     "t.scenario:4: expect: unknown field retry= (allowed: data, type, id)"},
    {HEAD "connection\nexpect closed\n", NULL,
     "t.scenario:4: expect: unknown record kind 'closed' (open, event or error)"},
    /* other fields */
    {HEAD "connection\nframing gzip\n", NULL,
     "t.scenario:4: framing: needs chunked, length or close, got 'gzip'"},
    {HEAD "connection\nchunk-extension \";a\"\nframing length\n", NULL,
     "t.scenario:4: chunk-extension: needs framing chunked"},
    {HEAD "connection\nheader Bad:Name \"x\"\n", NULL,
     "t.scenario:4: header: 'Bad:Name' is not a header name"},
    {HEAD "connection\nheader X \"a\\r\\nb\"\n", NULL,
     "t.scenario:4: header: a header value cannot hold CR, LF or NUL (use raw)"},
    {HEAD "connection\nexpect-header-absent X\nexpect-header x \"1\"\n", NULL,
     "t.scenario:5: expect-header: header X already has an expectation in this connection"},
    {HEAD "connection\nheader Content-Type \"a/b\"\nomit-content-type\n", NULL,
     "t.scenario:5: omit-content-type: the connection has a Content-Type header"},
    {HEAD "timeout 0\nconnection\n", NULL,
     "t.scenario:3: timeout: must be over 0 and at most 600 seconds"},
    {HEAD "timeout 1e3\nconnection\n", NULL,
     "t.scenario:3: timeout: needs seconds (like 10 or 2.5), got '1e3'"},
    {HEAD "linger -1\nconnection\n", NULL,
     "t.scenario:3: linger: needs milliseconds from 0 to 600000, got '-1'"},
    {HEAD "skip-variant bytes why\nconnection\n", NULL,
     "t.scenario:3: skip-variant: the variants are tls and h2, got 'bytes'"},
    {HEAD "skip-variant h2\nconnection\n", NULL,
     "t.scenario:3: skip-variant: skip-variant h2 needs a reason"},
    {HEAD "skip-variant h2 a\nskip-variant h2 b\nconnection\n", NULL,
     "t.scenario:4: skip-variant: skip-variant h2 given twice"},
    /* content codings, flush points, HTTP/2 directives */
    {HEAD "connection\ncontent-encoding deflate\n", NULL,
     "t.scenario:4: content-encoding: needs gzip or br, got 'deflate'"},
    {HEAD "connection\ncontent-encoding gzip always\n", NULL,
     "t.scenario:4: content-encoding: only force may follow the coding, got 'always'"},
    {HEAD "connection\ncontent-encoding gzip\ncontent-encoding br\n", NULL,
     "t.scenario:5: content-encoding: given twice"},
    {HEAD "connection\nsend \"x\"\ncontent-encoding br\n", NULL,
     "t.scenario:5: content-encoding: must come before the connection's first action"},
    {HEAD "connection\nstatus 204\ncontent-encoding gzip\n", NULL,
     "t.scenario:5: content-encoding: status 204 has no body"},
    {HEAD "connection\nheader Content-Encoding \"gzip\"\ncontent-encoding gzip\n", NULL,
     "t.scenario:5: content-encoding: the connection has a Content-Encoding header"},
    {HEAD "connection\nflush-at 1\nsend \"ab\"\n", NULL,
     "t.scenario:4: flush-at: needs content-encoding"},
    {HEAD "connection\ncontent-encoding gzip\nflush-at 2 2\n", NULL,
     "t.scenario:5: flush-at: offsets must increase: 2 after 2"},
    {HEAD "connection\ncontent-encoding gzip\nflush-at 0\n", NULL,
     "t.scenario:5: flush-at: needs byte offsets from 1 to 67108864, got '0'"},
    {HEAD "connection\ncontent-encoding gzip\nflush-at\n", NULL,
     "t.scenario:5: flush-at: needs one or more byte offsets"},
    {HEAD "connection\ncontent-encoding gzip\nflush-at 1 4\nsend \"ab\" | \"c\"\n", NULL,
     "t.scenario:5: flush-at: offset 4 is not inside the body of 3 bytes"},
    {HEAD "connection\nh2-padding 256\n", NULL,
     "t.scenario:4: h2-padding: needs a byte count from 0 to 255, got '256'"},
    {HEAD "connection\nh2-padding 1\nh2-padding 2\n", NULL,
     "t.scenario:5: h2-padding: given twice"},
    {HEAD "connection\nabort NOPE\n", NULL,
     "t.scenario:4: abort: takes an HTTP/2 error code: a name such as CANCEL or a number up to "
     "4294967295, got 'NOPE'"},
    {HEAD "connection\ngoaway 4294967296\n", NULL,
     "t.scenario:4: goaway: takes an HTTP/2 error code: a name such as CANCEL or a number up to "
     "4294967295, got '4294967296'"},
    {HEAD "connection\ngoaway\nsend \"x\"\n", NULL,
     "t.scenario:5: send: no action may follow goaway"},
    /* omit-head */
    {HEAD "connection\nomit-head\nstatus 200\n", NULL,
     "t.scenario:5: status: not with omit-head (line 4): the connection sends no head"},
    {HEAD "connection\nomit-head\ncontent-encoding gzip\n", NULL,
     "t.scenario:5: content-encoding: not with omit-head (line 4): the connection sends no head"},
    {HEAD "connection\nheader X \"1\"\nomit-head\n", NULL,
     "t.scenario:5: omit-head: the connection already has a head directive: header (line 4)"},
    {HEAD "connection\nomit-head\nomit-head\n", NULL, "t.scenario:5: omit-head: given twice"},
    {HEAD "connection\nomit-head now\n", NULL,
     "t.scenario:4: omit-head: takes no arguments, got 'now'"},
    {HEAD "connection\nwait 1\nomit-head\n", NULL,
     "t.scenario:5: omit-head: must come before the connection's first action"},
    {HEAD "connection\nomit-head\nsend \"x\"\n", NULL,
     "t.scenario:5: send: not with omit-head (line 4): the connection writes nothing; it may "
     "only wait, abort, goaway or hold"},
    {HEAD "connection\nomit-head\nwait 1\nclose\n", NULL,
     "t.scenario:6: close: not with omit-head (line 4): the connection writes nothing; it may "
     "only wait, abort, goaway or hold"},
    /* close-after */
    {HEAD "close-after 0\nconnection\nexpect open\n", NULL,
     "t.scenario:3: close-after: needs a record number from 1 to 1000000, got '0'"},
    {HEAD "close-after two\nconnection\nexpect open\n", NULL,
     "t.scenario:3: close-after: needs a record number from 1 to 1000000, got 'two'"},
    {HEAD "close-after 1\nclose-after 1\nconnection\nexpect open\n", NULL,
     "t.scenario:4: close-after: given twice"},
    {HEAD "close-after 3\nconnection\nexpect open\nexpect event data=\"a\"\n", NULL,
     "t.scenario:3: close-after: record 3 is past the last of the 2 expected records"},
    {HEAD "close-after 1\nconnection\n", NULL,
     "t.scenario:3: close-after: record 1 is past the last of the 0 expected records"},
    {HEAD "skip-variant tls\nconnection\n", NULL,
     "t.scenario:3: skip-variant: skip-variant tls needs a reason"},
    {HEAD "types \"message\"\nconnection\n", NULL,
     "t.scenario:3: types: \"message\" is always listened to; list only the others"},
    {HEAD "types foo\nconnection\n", NULL,
     "t.scenario:3: types: expected a quoted string at 'foo'"},
    {HEAD "connection\nwait 600001\n", NULL,
     "t.scenario:4: wait: needs milliseconds from 0 to 600000, got '600001'"},
    /* name rules */
    {HEAD "connection\n", "Bad",
     "t.scenario:1: name: scenario name 'Bad' may use only a-z, 0-9 and '-', in parts "
     "separated by '/', each starting with a letter or digit"},
    {HEAD "connection\n", "a//b",
     "t.scenario:1: name: scenario name 'a//b' may use only a-z, 0-9 and '-', in parts "
     "separated by '/', each starting with a letter or digit"},
    {HEAD "connection\n", "a/-b",
     "t.scenario:1: name: scenario name 'a/-b' may use only a-z, 0-9 and '-', in parts "
     "separated by '/', each starting with a letter or digit"},
    {HEAD "connection\n", "a_b",
     "t.scenario:1: name: scenario name 'a_b' may use only a-z, 0-9 and '-', in parts "
     "separated by '/', each starting with a letter or digit"},
    /* encoding */
    {HEAD "connection\nsend \"\xff\"\n", NULL, "t.scenario:4: encoding: not valid UTF-8"},
};

static void check_bad(const struct bad *b) {
  char err[SC_ERROR_SIZE];
  struct scenario *sc = NULL;
  int rc = sc_parse(b->text, strlen(b->text), b->name ? b->name : "t", "t.scenario", &sc, err,
                    sizeof err);
  checks++;
  if (rc != -1 || sc != NULL) {
    fprintf(stderr, "FAIL: accepted a malformed file:\n%s\n", b->text);
    failures++;
    sc_free(sc);
    return;
  }
  if (strcmp(err, b->error) != 0) {
    fprintf(stderr, "FAIL: wrong message for:\n%s\n  got:  %s\n  want: %s\n", b->text, err,
            b->error);
    failures++;
  }
}

/* A valid file and its exact dump. */
static void check_dump(void) {
  static const char text[] = "# a comment\n"
                             "  about  reconnects with Last-Event-ID  \r\n"
                             "rule C6-empty\n"
                             "open whether an empty id sends the header\n"
                             "types \"foo\" \"b\" + \"ar\"\n"
                             "timeout 2.5\n"
                             "linger 100\n"
                             "close-after 4\n"
                             "skip-variant tls not about TLS\n"
                             "\n"
                             "connection\n"
                             "  expect-path \"x\"\n"
                             "  expect-header Last-Event-ID \"7\"\n"
                             "  expect-header-present Accept\n"
                             "  expect-header-absent Cookie\n"
                             "  expect-delay 300..\n"
                             "  status 302 Moved Somewhere\n"
                             "  header Location \"{origin}{base}/x\"\n"
                             "  framing length\n"
                             "  send \"ab\" | \"\\x00\\xff\"\n"
                             "  wait 5\n"
                             "  close\n"
                             "connection\n"
                             "  expect-delay 0..10\n"
                             "  http-version \"HTTP/1.0\"\n"
                             "  chunk-extension \";a=1\"\n"
                             "  send-chunks \"a\" * 2 | \"\\u{e9}\"\n"
                             "  raw \"\\{\"\n"
                             "  abort\n"
                             "connection\n"
                             "  status 204\n"
                             "expect open\n"
                             "repeat 2 expect event data=\"a\\nb\" type=\"foo\" id=\"{base}\"\n"
                             "expect error 2\n";
  static const char want[] =
      "{\"scenarios\":[{\"name\":\"dir/t\",\"file\":\"t.scenario\","
      "\"about\":\"reconnects with Last-Event-ID\",\"rule\":\"C6-empty\","
      "\"open\":\"whether an empty id sends the header\",\"types\":[\"foo\",\"bar\"],"
      "\"timeout\":2.5,\"linger_ms\":100,\"close_after\":4,\"skip_variants\":{\"tls\":\"not about "
      "TLS\"},"
      "\"connections\":["
      "{\"line\":11,\"expect\":{\"method\":\"GET\",\"path\":\"x\",\"headers\":["
      "{\"name\":\"Last-Event-ID\",\"op\":\"equal\",\"value\":\"7\"},"
      "{\"name\":\"Accept\",\"op\":\"present\",\"value\":null},"
      "{\"name\":\"Cookie\",\"op\":\"absent\",\"value\":null}],\"delay_ms\":[300,null]},"
      "\"response\":{\"status\":302,\"reason\":\"Moved Somewhere\",\"version\":\"HTTP/1.1\","
      "\"headers\":[[\"Location\",\"{origin}{base}/"
      "x\"]],\"omit_head\":false,\"omit_content_type\":false,"
      "\"default_content_type\":false,\"framing\":\"length\",\"chunk_extension\":null,"
      "\"content_encoding\":null,\"encoding_force\":false,\"flush_at\":[],\"h2_padding\":null,"
      "\"actions\":[{\"do\":\"send\",\"pieces\":[\"YWI=\",\"AP8=\"]},{\"do\":\"wait\",\"ms\":5},"
      "{\"do\":\"close\"}]}},"
      "{\"line\":23,\"expect\":{\"method\":\"GET\",\"path\":\"\",\"headers\":[],"
      "\"delay_ms\":[0,10]},"
      "\"response\":{\"status\":200,\"reason\":\"OK\",\"version\":\"HTTP/1.0\",\"headers\":[],"
      "\"omit_head\":false,\"omit_content_type\":false,\"default_content_type\":true,\"framing\":"
      "\"chunked\","
      "\"chunk_extension\":\";a=1\","
      "\"content_encoding\":null,\"encoding_force\":false,\"flush_at\":[],\"h2_padding\":null,"
      "\"actions\":[{\"do\":\"send-chunks\",\"pieces\":[\"YWE=\","
      "\"w6k=\"]},{\"do\":\"raw\",\"pieces\":[\"ew==\"]},{\"do\":\"abort\",\"code\":2}]}},"
      "{\"line\":30,\"expect\":{\"method\":\"GET\",\"path\":\"\",\"headers\":[],"
      "\"delay_ms\":null},"
      "\"response\":{\"status\":204,\"reason\":\"No Content\",\"version\":\"HTTP/1.1\","
      "\"headers\":[],\"omit_head\":false,\"omit_content_type\":false,\"default_content_type\":"
      "false,"
      "\"framing\":\"chunked\",\"chunk_extension\":null,"
      "\"content_encoding\":null,\"encoding_force\":false,\"flush_at\":[],\"h2_padding\":null,"
      "\"actions\":[]}}],"
      "\"records\":[{\"kind\":\"open\"},"
      "{\"kind\":\"event\",\"type\":\"foo\",\"data\":\"a\\u000ab\",\"lastEventId\":\"{base}\"},"
      "{\"kind\":\"event\",\"type\":\"foo\",\"data\":\"a\\u000ab\",\"lastEventId\":\"{base}\"},"
      "{\"kind\":\"error\",\"readyState\":2}]}]}";
  char err[SC_ERROR_SIZE];
  struct scenario *sc = NULL;
  jw w;
  checks++;
  if (sc_parse(text, strlen(text), "dir/t", "t.scenario", &sc, err, sizeof err) != 0) {
    fprintf(stderr, "FAIL: valid file rejected: %s\n", err);
    failures++;
    return;
  }
  jw_init(&w, 0);
  if (sc_dump(&w, &sc, 1) != JW_OK || strcmp(w.buf, want) != 0) {
    fprintf(stderr, "FAIL: dump\n  got:  %s\n  want: %s\n", w.buf ? w.buf : "(none)", want);
    failures++;
  }
  /* templates are expanded at play time only */
  {
    const struct sc_str *loc = &sc->conns[0].headers[0].value;
    char out[128];
    size_t n = sc_expanded_len(loc, 6, 5);
    size_t m = sc_expand(loc, "/s/a/b", 6, "http:", 5, out);
    checks++;
    if (n != m || m != 13 || memcmp(out, "http:/s/a/b/x", 13) != 0) {
      fprintf(stderr, "FAIL: sc_expand gave %.*s\n", (int)m, out);
      failures++;
    }
  }
  jw_free(&w);
  sc_free(sc);
}

/* The directives of content codings and HTTP/2 in the dump. */
static void check_dump_h2(void) {
  static const char text[] = "about a\nrule C5\n"
                             "skip-variant h2 only HTTP/1.1 framing\n"
                             "connection\n"
                             "  content-encoding br force\n"
                             "  flush-at 1 3\n"
                             "  h2-padding 0\n"
                             "  send \"ab\" | \"cd\"\n"
                             "  goaway CANCEL\n"
                             "connection\n"
                             "  content-encoding gzip\n"
                             "  send \"{base}\"\n"
                             "  abort 4294967295\n"
                             "connection\n"
                             "  expect-header-absent Last-Event-ID\n"
                             "  omit-head\n"
                             "  wait 5\n"
                             "  abort\n";
  static const char *const want[] = {
      "\"linger_ms\":300,\"close_after\":null,\"skip_variants\":{\"h2\":\"only HTTP/1.1 "
      "framing\"}",
      "\"content_encoding\":\"br\",\"encoding_force\":true,\"flush_at\":[1,3],"
      "\"h2_padding\":0,\"actions\":[{\"do\":\"send\",\"pieces\":[\"YWI=\",\"Y2Q=\"]},"
      "{\"do\":\"goaway\",\"code\":8}]",
      "\"content_encoding\":\"gzip\",\"encoding_force\":false,\"flush_at\":[],"
      "\"h2_padding\":null,\"actions\":[{\"do\":\"send\",\"pieces\":[\"e2Jhc2V9\"]},"
      "{\"do\":\"abort\",\"code\":4294967295}]",
      "\"omit_head\":true,\"omit_content_type\":false,\"default_content_type\":false,"
      "\"framing\":\"chunked\",\"chunk_extension\":null,\"content_encoding\":null,"
      "\"encoding_force\":false,\"flush_at\":[],\"h2_padding\":null,"
      "\"actions\":[{\"do\":\"wait\",\"ms\":5},{\"do\":\"abort\",\"code\":2}]",
  };
  char err[SC_ERROR_SIZE];
  struct scenario *sc = NULL;
  jw w;
  checks++;
  if (sc_parse(text, strlen(text), "t", "t.scenario", &sc, err, sizeof err) != 0) {
    fprintf(stderr, "FAIL: valid file rejected: %s\n", err);
    failures++;
    return;
  }
  jw_init(&w, 0);
  if (sc_dump(&w, &sc, 1) != JW_OK) {
    fprintf(stderr, "FAIL: dump of the HTTP/2 directives\n");
    failures++;
  }
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    checks++;
    if (!w.buf || !strstr(w.buf, want[i])) {
      fprintf(stderr, "FAIL: the dump lacks %s\n  dump: %s\n", want[i], w.buf ? w.buf : "");
      failures++;
    }
  }
  checks++;
  if (sc->conns[0].coding != SC_BR || sc->conns[1].actions[1].code != 4294967295UL ||
      strcmp(sc_h2_error_name(8), "CANCEL") != 0 || sc_h2_error_name(14) != NULL ||
      !sc->conns[2].omit_head || sc->conns[2].has_body || sc->conns[0].omit_head) {
    fprintf(stderr, "FAIL: the loaded HTTP/2 directives\n");
    failures++;
  }
  jw_free(&w);
  sc_free(sc);
}

static void check_names(void) {
  static const struct {
    const char *path, *name;
  } cases[] = {
      {"corpus/scenarios/retry/basic.scenario", "retry/basic"},
      {"/x/scenarios/a/scenarios/b.scenario", "b"},
      {"scenarios/top.scenario", "top"},
      {"/tmp/other/file.scenario", "file"},
      {"plain", "plain"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *n = sc_name_from_path(cases[i].path);
    checks++;
    if (!n || strcmp(n, cases[i].name) != 0) {
      fprintf(stderr, "FAIL: name of %s: got %s, want %s\n", cases[i].path, n ? n : "(null)",
              cases[i].name);
      failures++;
    }
    free(n);
  }
}

/* A small deterministic generator for the mutation checks. */
static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;

static unsigned rnd(unsigned n) {
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (unsigned)((rng_state >> 33) % n);
}

/* Mutated scenario files and request heads must never crash (run under
 * ASan this also catches over-reads: each input is a fresh allocation of
 * exactly its length). */
static void check_mutations(void) {
  static const char seed[] =
      "about a\nrule C5\ntypes \"x\"\nclose-after 2\nconnection\n expect-header A \"b\"\n "
      "expect-delay "
      "1..2\n status 302 Found\n header L \"{origin}{base}\"\n framing length\n send \"a\" * 3 "
      "+ \"\\x00\\u{1F600}\" | \"b\"\n wait 1\n close\nconnection\n chunk-extension \";x\"\n "
      "send-chunks \"c\"\n raw \"\\{\"\n abort\nconnection\n content-encoding gzip force\n "
      "flush-at 1 2\n h2-padding 9\n send \"abc\"\n goaway CANCEL\nconnection\n omit-head\n wait "
      "1\n abort\nexpect open\nrepeat 2 expect "
      "event "
      "data=\"a\" type=\"x\" id=\"1\"\nexpect error 0\n";
  static const char req[] = "GET /s/a/b?x HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 7\r\n"
                            "Content-Length: 0\r\n\r\n";
  static const char alphabet[] = "\"\\{}*+|.=\n\r :\t0123456789abx\xff\x80";
  size_t ok = 0;
  for (int round = 0; round < 20000; round++) {
    const char *src = round & 1 ? req : seed;
    size_t n = strlen(src);
    char *buf = malloc(n + 64);
    int edits = 1 + (int)rnd(4);
    memcpy(buf, src, n);
    for (int e = 0; e < edits; e++) {
      unsigned op = rnd(3), at = rnd((unsigned)n + 1);
      char ch = alphabet[rnd(sizeof alphabet - 1)];
      if (op == 0 && n > 0 && at < n) {
        buf[at] = ch;
      } else if (op == 1 && n < strlen(src) + 60) {
        memmove(buf + at + 1, buf + at, n - at);
        buf[at] = ch;
        n++;
      } else if (n > 0 && at < n) {
        memmove(buf + at, buf + at + 1, n - at - 1);
        n--;
      }
    }
    {
      char *exact = malloc(n ? n : 1);
      memcpy(exact, buf, n);
      if (round & 1) {
        struct http_request rq;
        const char *why;
        if (http_parse_request(exact, n, &rq, &why) == HTTP_OK) ok++;
      } else {
        char err[SC_ERROR_SIZE];
        struct scenario *sc = NULL;
        if (sc_parse(exact, n, "t", "t.scenario", &sc, err, sizeof err) == 0) {
          jw w;
          ok++;
          jw_init(&w, 0);
          sc_dump(&w, &sc, 1);
          jw_free(&w);
          sc_free(sc);
        } else if (strncmp(err, "t.scenario:", 11) != 0) {
          fprintf(stderr, "FAIL: a message without file and line: %s\n", err);
          failures++;
        }
      }
      free(exact);
    }
    free(buf);
  }
  checks++;
  printf("mutations: %zu of 20000 inputs accepted\n", ok);
  if (ok == 0) {
    fprintf(stderr, "FAIL: no mutation was accepted: the generator is broken\n");
    failures++;
  }
}

/* http_connection_has: the server's reading of Connection: close. */
static void check_connection_options(void) {
  static const struct {
    const char *head;
    int close, keep_alive;
  } cases[] = {
      {"GET / HTTP/1.1\r\n\r\n", 0, 0},
      {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 1, 0},
      {"GET / HTTP/1.1\r\nconnection:CLOSE\r\n\r\n", 1, 0},
      {"GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n", 1, 1},
      {"GET / HTTP/1.1\r\nConnection: ,, te ,\t Close\t,\r\n\r\n", 1, 0},
      {"GET / HTTP/1.1\r\nConnection: te\r\nX: close\r\nConnection: close\r\n\r\n", 1, 0},
      {"GET / HTTP/1.1\r\nConnection: closed, clos, close-x\r\n\r\n", 0, 0},
      {"GET / HTTP/1.1\r\nConnection:\r\n\r\n", 0, 0},
      {"GET / HTTP/1.1\r\nX-Connection: close\r\n\r\n", 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct http_request rq;
    const char *why;
    size_t n = strlen(cases[i].head);
    int rc = http_parse_request(cases[i].head, n, &rq, &why);
    checks++;
    if (rc != HTTP_OK || http_connection_has(&rq, "close") != cases[i].close ||
        http_connection_has(&rq, "keep-alive") != cases[i].keep_alive) {
      fprintf(stderr, "FAIL: Connection options of case %zu (parse %d)\n", i, rc);
      failures++;
    }
  }
}

int main(void) {
  for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) check_bad(&bad_cases[i]);
  check_dump();
  check_dump_h2();
  check_names();
  check_connection_options();
  check_mutations();
  if (failures) {
    fprintf(stderr, "%d of %d checks failed\n", failures, checks);
    return 1;
  }
  printf("all %d checks passed\n", checks);
  return 0;
}
