/*
 * test_json_reader.c - the strict JSON reader of common/json.h: valid
 * documents and the tree they give, invalid ones with their exact messages
 * and offsets, \u escapes and surrogates (lone surrogates are rejected),
 * nesting and node limits, huge strings, duplicate keys, number
 * conversion, reuse of one document for many parses.
 */
#include "check.h"
#include "common/json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each parse gets its own heap copy of exactly n bytes, so that a read
 * past the end is caught by AddressSanitizer. */
typedef struct parsed {
  char *copy;
  json_value *root;
  int status;
} parsed;

static json_doc doc;

static parsed parse_n(const char *text, size_t n) {
  parsed p;
  p.copy = malloc(n ? n : 1);
  memcpy(p.copy, text, n);
  p.status = json_parse(&doc, p.copy, n, &p.root);
  return p;
}

static parsed parse(const char *text) {
  return parse_n(text, strlen(text));
}

static void done(parsed *p) {
  free(p->copy);
  p->copy = NULL;
}

/* text (n bytes) is rejected with status and exactly the message want. */
static void reject(const char *text, size_t n, int status, const char *want, int line) {
  parsed p = parse_n(text, n);
  check_count++;
  if (p.status != status || p.root != NULL || strcmp(json_doc_error(&doc), want) != 0) {
    check_failures++;
    fprintf(stderr, "test_json_reader.c:%d: want status %d \"%s\", got %d \"%s\"\n", line, status,
            want, p.status, json_doc_error(&doc));
    check_dump("  input", text, n);
  }
  done(&p);
}

#define REJECT(lit, want) reject(lit, sizeof lit - 1, JSON_ESYNTAX, want, __LINE__)

/* text is accepted as one string whose decoded bytes are want. */
static void string_is(const char *text, size_t n, const char *want, size_t want_len, int line) {
  parsed p = parse_n(text, n);
  check_count++;
  if (p.status != JSON_OK || p.root->type != JSON_STRING || p.root->len != want_len ||
      memcmp(p.root->str, want, want_len) != 0 || p.root->str[want_len] != '\0') {
    check_failures++;
    fprintf(stderr, "test_json_reader.c:%d: string mismatch (status %d: %s)\n", line, p.status,
            json_doc_error(&doc));
    check_dump("  input", text, n);
    if (p.status == JSON_OK) check_dump("  got  ", p.root->str, p.root->len);
    check_dump("  want ", want, want_len);
  }
  done(&p);
}

#define STRING_IS(lit, want) string_is(lit, sizeof lit - 1, want, sizeof want - 1, __LINE__)

static void test_request(void) {
  parsed p = parse("{\"case\": \"crlf/split\", \"chunks\": [\"ZGF0YTogYQ0=\", \"CgoK\"]}");
  json_value *c, *chunks, *item;
  CHECK(p.status == JSON_OK);
  CHECK_STR(json_doc_error(&doc), "");
  CHECK(p.root->type == JSON_OBJECT);
  CHECK(p.root->len == 2);
  c = json_get(p.root, "case");
  CHECK(c && c->type == JSON_STRING);
  CHECK_MEM(c->str, c->len, "crlf/split", 10);
  CHECK_STR(c->key, "case");
  chunks = json_get(p.root, "chunks");
  CHECK(chunks && chunks->type == JSON_ARRAY && chunks->len == 2);
  item = chunks->child;
  CHECK_STR(item->str, "ZGF0YTogYQ0=");
  CHECK(item->key == NULL);
  item = item->next;
  CHECK_STR(item->str, "CgoK");
  CHECK(item->next == NULL);
  CHECK(json_get(p.root, "chunk") == NULL);
  CHECK(json_get(p.root, "Case") == NULL);
  CHECK(json_get(chunks, "case") == NULL); /* not an object */
  CHECK(json_get(NULL, "case") == NULL);
  CHECK(json_getn(p.root, "chunksX", 6) == chunks);
  done(&p);
}

static void test_scalars(void) {
  parsed p;
  uint64_t u;
  int64_t i;
  double d;

  p = parse(" \t\r\ntrue\n");
  CHECK(p.status == JSON_OK && p.root->type == JSON_BOOL && p.root->len == 1);
  done(&p);
  p = parse("false");
  CHECK(p.status == JSON_OK && p.root->type == JSON_BOOL && p.root->len == 0);
  done(&p);
  p = parse("null");
  CHECK(p.status == JSON_OK && p.root->type == JSON_NULL);
  done(&p);
  p = parse("[]");
  CHECK(p.status == JSON_OK && p.root->type == JSON_ARRAY && p.root->len == 0 && !p.root->child);
  done(&p);
  p = parse("{ }");
  CHECK(p.status == JSON_OK && p.root->type == JSON_OBJECT && p.root->len == 0);
  done(&p);
  p = parse("[[],{},[[]]]");
  CHECK(p.status == JSON_OK && p.root->len == 3);
  done(&p);

  /* numbers keep their text */
  p = parse("-12.5e+3");
  CHECK(p.status == JSON_OK && p.root->type == JSON_NUMBER);
  CHECK_MEM(p.root->str, p.root->len, "-12.5e+3", 8);
  CHECK(json_number_double(p.root, &d) == 0 && d == -12500.0);
  CHECK(json_number_i64(p.root, &i) == -1); /* not an integer */
  done(&p);
  p = parse("[0,-0,1E2,0.5,1e-2]");
  CHECK(p.status == JSON_OK && p.root->len == 5);
  CHECK(json_number_u64(p.root->child, &u) == 0 && u == 0);
  CHECK(json_number_u64(p.root->child->next, &u) == -1); /* a sign */
  CHECK(json_number_i64(p.root->child->next, &i) == 0 && i == 0);
  CHECK(json_number_double(p.root->child->next->next, &d) == 0 && d == 100.0);
  done(&p);

  p = parse("18446744073709551615");
  CHECK(json_number_u64(p.root, &u) == 0 && u == UINT64_MAX);
  CHECK(json_number_i64(p.root, &i) == -1);
  done(&p);
  p = parse("18446744073709551616");
  CHECK(p.status == JSON_OK && json_number_u64(p.root, &u) == -1);
  done(&p);
  p = parse("9223372036854775807");
  CHECK(json_number_i64(p.root, &i) == 0 && i == INT64_MAX);
  done(&p);
  p = parse("9223372036854775808");
  CHECK(json_number_i64(p.root, &i) == -1);
  CHECK(json_number_u64(p.root, &u) == 0 && u == (uint64_t)INT64_MAX + 1);
  done(&p);
  p = parse("-9223372036854775808");
  CHECK(json_number_i64(p.root, &i) == 0 && i == INT64_MIN);
  done(&p);
  p = parse("-9223372036854775809");
  CHECK(json_number_i64(p.root, &i) == -1);
  done(&p);
  p = parse("1.0");
  CHECK(json_number_u64(p.root, &u) == -1); /* a fraction, even .0 */
  done(&p);
  p = parse("\"1\"");
  CHECK(json_number_u64(p.root, &u) == -1 && json_number_double(p.root, &d) == -1);
  done(&p);
  /* a number longer than the converter's small buffer */
  p = parse("1.00000000000000000000000000000000000000000000000000000000000000000000000001");
  CHECK(json_number_double(p.root, &d) == 0 && d == 1.0);
  done(&p);

  CHECK_STR(json_type_name(JSON_OBJECT), "object");
  CHECK_STR(json_type_name(JSON_BOOL), "boolean");
}

static void test_strings(void) {
  STRING_IS("\"\"", "");
  STRING_IS("\"abc\"", "abc");
  STRING_IS("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t");
  STRING_IS("\"\\u0000\"", "\0");
  STRING_IS("\"a\\u0000b\"", "a\0b");
  STRING_IS("\"\\u001F\\u007f\"", "\x1f\x7f");
  STRING_IS("\"\\u00e9\\u00E9\"", "\xC3\xA9\xC3\xA9");
  STRING_IS("\"\\u20AC\"", "\xE2\x82\xAC");
  STRING_IS("\"\\uFEFF\"", "\xEF\xBB\xBF");
  STRING_IS("\"\\uFFFF\"", "\xEF\xBF\xBF"); /* a noncharacter, still a scalar value */
  STRING_IS("\"\\uD7FF\\uE000\"", "\xED\x9F\xBF\xEE\x80\x80");
  /* surrogate pairs */
  STRING_IS("\"\\uD83D\\uDE00\"", "\xF0\x9F\x98\x80");
  STRING_IS("\"\\ud83d\\ude00\"", "\xF0\x9F\x98\x80");
  STRING_IS("\"\\uD800\\uDC00\"", "\xF0\x90\x80\x80");
  STRING_IS("\"\\uDBFF\\uDFFF\"", "\xF4\x8F\xBF\xBF");
  STRING_IS("\"x\\uD83D\\uDE00y\\n\"", "x\xF0\x9F\x98\x80y\n");
  /* raw UTF-8 passes */
  STRING_IS("\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\"",
            "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");
  STRING_IS("\"\x7f\"", "\x7f"); /* DEL is not a JSON control character */
}

static void test_invalid(void) {
  /* structure */
  REJECT("", "unexpected end of input (expected a value) at byte 0");
  REJECT("  \n", "unexpected end of input (expected a value) at byte 3");
  REJECT("{", "unterminated object (end of input) at byte 0");
  REJECT("[1", "unterminated array (end of input) at byte 0");
  REJECT("[1,", "unterminated array (end of input) at byte 0");
  REJECT("{\"a\"", "unterminated object (end of input) at byte 0");
  REJECT("{\"a\":", "unexpected end of input (expected a value) at byte 5");
  REJECT("[1,]", "trailing comma in array at byte 3");
  REJECT("{\"a\":1,}", "trailing comma in object at byte 7");
  REJECT("[1,,2]", "unexpected ',' (expected a value) at byte 3");
  REJECT("[,]", "unexpected ',' (expected a value) at byte 1");
  REJECT("{\"a\" 1}", "expected ':' after object key, found '1' at byte 5");
  REJECT("{1:2}", "expected a string key in object, found '1' at byte 1");
  REJECT("{'a':2}", "expected a string key in object, found byte 0x27 at byte 1");
  REJECT("[1 2]", "expected ',' or ']' in array, found '2' at byte 3");
  REJECT("{\"a\":1 \"b\":2}", "expected ',' or '}' in object, found '\"' at byte 7");
  REJECT("[1}", "expected ',' or ']' in array, found '}' at byte 2");
  REJECT("[1] x", "unexpected 'x' after the JSON value at byte 4");
  REJECT("{}{}", "unexpected '{' after the JSON value at byte 2");
  REJECT("1\0", "unexpected byte 0x00 after the JSON value at byte 1");
  REJECT("\xEF\xBB\xBF{}", "unexpected byte 0xEF (expected a value) at byte 0"); /* no BOM */
  REJECT("// c\n1", "unexpected '/' (expected a value) at byte 0");
  REJECT("\x0b 1", "unexpected byte 0x0B (expected a value) at byte 0"); /* VT is not space */
  /* literals */
  REJECT("tru", "invalid literal (expected true, false or null) at byte 0");
  REJECT("[nul]", "invalid literal (expected true, false or null) at byte 1");
  REJECT("True", "unexpected 'T' (expected a value) at byte 0");
  REJECT("NaN", "unexpected 'N' (expected a value) at byte 0");
  REJECT("Infinity", "unexpected 'I' (expected a value) at byte 0");
  REJECT("truex", "unexpected 'x' after the JSON value at byte 4");
  /* numbers */
  REJECT("01", "invalid number (leading zero) at byte 0");
  REJECT("-01", "invalid number (leading zero) at byte 0");
  REJECT("-", "invalid number (expected a digit after '-') at byte 1");
  REJECT("-a", "invalid number (expected a digit after '-') at byte 1");
  REJECT("1.", "invalid number (expected a digit after '.') at byte 2");
  REJECT("1.e3", "invalid number (expected a digit after '.') at byte 2");
  REJECT("1e", "invalid number (expected a digit in the exponent) at byte 2");
  REJECT("1e+", "invalid number (expected a digit in the exponent) at byte 3");
  REJECT("+1", "unexpected '+' (expected a value) at byte 0");
  REJECT(".5", "unexpected '.' (expected a value) at byte 0");
  REJECT("0x10", "unexpected 'x' after the JSON value at byte 1");
  /* strings */
  REJECT("\"abc", "unterminated string at byte 0");
  REJECT("[\"abc\\\"]", "unterminated string at byte 1");
  REJECT("\"abc\\", "unterminated string at byte 0");
  REJECT("\"a\x01\"", "unescaped control character 0x01 in string at byte 2");
  REJECT("\"a\nb\"", "unescaped control character 0x0A in string at byte 2");
  REJECT("\"\t\"", "unescaped control character 0x09 in string at byte 1");
  REJECT("\"\0\"", "unescaped control character 0x00 in string at byte 1");
  REJECT("\"\\q\"", "invalid escape \\q in string at byte 1");
  REJECT("\"\\x41\"", "invalid escape \\x in string at byte 1");
  REJECT("\"\\U0041\"", "invalid escape \\U in string at byte 1");
  REJECT("\"\\\x01\"", "invalid escape \\ + byte 0x01 in string at byte 1");
  REJECT("\"\\u12\"", "invalid \\u escape (expected 4 hex digits) at byte 1");
  REJECT("\"\\u12", "invalid \\u escape (expected 4 hex digits) at byte 1");
  REJECT("\"\\u12G4\"", "invalid \\u escape (expected 4 hex digits) at byte 1");
  REJECT("\"'\"x", "unexpected 'x' after the JSON value at byte 3");
  /* lone surrogates are rejected, not replaced */
  REJECT("\"\\uD800\"",
         "lone surrogate \\uD800 (a high surrogate not followed by a low one) at byte 1");
  REJECT("\"a\\uDBFF\"",
         "lone surrogate \\uDBFF (a high surrogate not followed by a low one) at byte 2");
  REJECT("\"\\uD800\\u0041\"",
         "lone surrogate \\uD800 (a high surrogate not followed by a low one) at byte 1");
  REJECT("\"\\uD800\\uD800\"",
         "lone surrogate \\uD800 (a high surrogate not followed by a low one) at byte 1");
  REJECT("\"\\uD800\\n\"",
         "lone surrogate \\uD800 (a high surrogate not followed by a low one) at byte 1");
  REJECT("\"\\uD800\\uDC0\"",
         "lone surrogate \\uD800 (a high surrogate not followed by a low one) at byte 1");
  REJECT("\"\\uDC00\"", "lone surrogate \\uDC00 (a low surrogate without a high one) at byte 1");
  REJECT("\"\\uDE00\\uD83D\"",
         "lone surrogate \\uDE00 (a low surrogate without a high one) at byte 1");
  /* ill-formed UTF-8 in the input */
  REJECT("\"\xC3\"", "invalid UTF-8 in string at byte 1");
  REJECT("\"ab\x80\"", "invalid UTF-8 in string at byte 3");
  REJECT("\"\xC0\xAF\"", "invalid UTF-8 in string at byte 1");         /* overlong */
  REJECT("\"\xED\xA0\x80\"", "invalid UTF-8 in string at byte 1");     /* a surrogate */
  REJECT("\"\xF4\x90\x80\x80\"", "invalid UTF-8 in string at byte 1"); /* > U+10FFFF */
  REJECT("\"\xE2\x82", "invalid UTF-8 in string at byte 1");           /* truncated */
  REJECT("\xC3\xA9", "unexpected byte 0xC3 (expected a value) at byte 0");
  /* duplicate keys */
  REJECT("{\"a\":1,\"a\":2}", "duplicate key \"a\" at byte 7");
  REJECT("{\"a\":1,\"b\":{\"c\":1,\"c\":1}}", "duplicate key \"c\" at byte 18");
  REJECT("{\"a\\u0000\":1,\"a\\u0000\":2}", "duplicate key \"a\\x00\" at byte 13");
  REJECT("{\"a\":1,\"\\u0061\":2}", "duplicate key \"a\" at byte 7"); /* the same once decoded */
}

static void test_duplicates_large(void) {
  /* over 16 members the check sorts; the first repeated key is named */
  char text[2048];
  size_t n = 0;
  int i;
  parsed p;
  n += (size_t)snprintf(text + n, sizeof text - n, "{");
  for (i = 0; i < 40; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "%s\"k%02d\":%d", i ? "," : "", i, i);
  snprintf(text + n, sizeof text - n, "}");
  p = parse(text);
  CHECK(p.status == JSON_OK && p.root->len == 40);
  CHECK(json_get(p.root, "k39") && json_get(p.root, "k39")->str[0] == '3');
  CHECK(json_get(p.root, "k40") == NULL);
  done(&p);
  /* k07 again at member 30 and k03 again at member 35: k07's repeat comes
   * first. Each member "kNN":V is 7 or 8 bytes plus a comma. */
  n = 0;
  n += (size_t)snprintf(text + n, sizeof text - n, "{");
  {
    size_t at07 = 0;
    for (i = 0; i < 40; i++) {
      int k = i == 30 ? 7 : i == 35 ? 3 : i;
      if (i) text[n++] = ',';
      if (i == 30) at07 = n;
      n += (size_t)snprintf(text + n, sizeof text - n, "\"k%02d\":%d", k, i);
    }
    snprintf(text + n, sizeof text - n, "}");
    {
      char want[64];
      snprintf(want, sizeof want, "duplicate key \"k07\" at byte %zu", at07);
      reject(text, strlen(text), JSON_ESYNTAX, want, __LINE__);
    }
  }
}

static void test_nesting(void) {
  char text[4096];
  int i;
  parsed p;
  /* 64 levels (the default) pass, 65 do not */
  for (i = 0; i < 64; i++) text[i] = '[';
  for (i = 0; i < 64; i++) text[64 + i] = ']';
  p = parse_n(text, 128);
  CHECK(p.status == JSON_OK);
  done(&p);
  for (i = 0; i < 65; i++) text[i] = '[';
  for (i = 0; i < 65; i++) text[65 + i] = ']';
  reject(text, 130, JSON_ELIMIT, "nesting deeper than 64 levels at byte 64", __LINE__);
  /* objects count too */
  strcpy(text, "");
  for (i = 0; i < 65; i++) strcat(text, "{\"a\":");
  strcat(text, "1");
  for (i = 0; i < 65; i++) strcat(text, "}");
  reject(text, strlen(text), JSON_ELIMIT, "nesting deeper than 64 levels at byte 320", __LINE__);

  /* a very deep document fails fast at the limit, without recursing on */
  {
    size_t n = 1000000;
    char *deep = malloc(n);
    memset(deep, '[', n);
    reject(deep, n, JSON_ELIMIT, "nesting deeper than 64 levels at byte 64", __LINE__);
    json_doc_set_limits(&doc, JSON_MAX_DEPTH_LIMIT + 5, 0); /* clamped */
    reject(deep, n, JSON_ELIMIT, "nesting deeper than 1024 levels at byte 1024", __LINE__);
    free(deep);
  }

  json_doc_set_limits(&doc, 3, 0);
  p = parse("[[[1]]]");
  CHECK(p.status == JSON_OK);
  done(&p);
  reject("[[[[1]]]]", 9, JSON_ELIMIT, "nesting deeper than 3 levels at byte 3", __LINE__);
  json_doc_set_limits(&doc, 0, 0);
  p = parse_n(text, strlen(text)); /* the 65-level objects, default limit again */
  CHECK(p.status == JSON_ELIMIT);
  done(&p);
}

static void test_node_limit(void) {
  parsed p;
  json_doc_set_limits(&doc, 0, 3);
  p = parse("[1,2]"); /* three values */
  CHECK(p.status == JSON_OK);
  done(&p);
  reject("[1,2,3]", 7, JSON_ELIMIT, "more than 3 values in the document at byte 5", __LINE__);
  json_doc_set_limits(&doc, 0, 0);
  p = parse("[1,2,3]");
  CHECK(p.status == JSON_OK);
  done(&p);
}

static void test_huge(void) {
  /* a 32 MiB string with an escape every 1000 bytes */
  size_t n = (size_t)32 << 20, i, want_len = 0;
  char *text = malloc(n);
  parsed p;
  int ok = 1;
  text[0] = '"';
  for (i = 1; i + 1 < n;) {
    if (i % 1000 == 0 && i + 7 < n) {
      memcpy(text + i, "\\u0041", 6);
      i += 6;
    } else {
      text[i++] = 'x';
    }
    want_len++;
  }
  text[n - 1] = '"';
  p = parse_n(text, n);
  CHECK(p.status == JSON_OK);
  if (p.status == JSON_OK) {
    size_t as = 0;
    CHECK(p.root->len == want_len);
    for (i = 0; i < p.root->len; i++) {
      if (p.root->str[i] == 'A')
        as++;
      else if (p.root->str[i] != 'x')
        ok = 0;
    }
    CHECK(ok);
    CHECK(as > 30000);
    CHECK(p.root->str[p.root->len] == '\0');
  }
  done(&p);
  free(text);

  /* a 200000-item array of strings, like a request fed byte by byte */
  {
    size_t items = 200000, o = 0;
    json_value *v;
    size_t count = 0;
    text = malloc(items * 7 + 16);
    text[o++] = '[';
    for (i = 0; i < items; i++) {
      if (i) text[o++] = ',';
      memcpy(text + o, "\"QQ==\"", 6);
      o += 6;
    }
    text[o++] = ']';
    p = parse_n(text, o);
    CHECK(p.status == JSON_OK && p.root->len == items);
    for (v = p.root ? p.root->child : NULL; v; v = v->next) {
      if (v->type == JSON_STRING && v->len == 4) count++;
    }
    CHECK(count == items);
    done(&p);
    free(text);
  }
}

static void test_reuse(void) {
  /* one document parses many inputs; a failure does not spoil the next */
  int i;
  for (i = 0; i < 1000; i++) {
    parsed p = parse(i % 3 == 0 ? "{\"case\":\"x\",\"chunks\":[]}" : "{\"case\":");
    CHECK(p.status == (i % 3 == 0 ? JSON_OK : JSON_ESYNTAX));
    done(&p);
  }
  {
    parsed p = parse("{\"case\":\"x\",\"chunks\":[\"\"]}");
    CHECK(p.status == JSON_OK);
    CHECK_STR(json_doc_error(&doc), "");
    CHECK(json_doc_error_offset(&doc) == 0);
    done(&p);
  }
  {
    parsed p = parse("[1,]");
    CHECK(json_doc_error_offset(&doc) == 3);
    done(&p);
  }
}

int main(void) {
  json_doc_init(&doc);
  test_request();
  test_scalars();
  test_strings();
  test_invalid();
  test_duplicates_large();
  test_nesting();
  test_node_limit();
  test_huge();
  test_reuse();
  json_doc_free(&doc);
  return check_report("test_json_reader");
}
