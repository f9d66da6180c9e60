/*
 * test_json_writer.c - the JSON writer of common/json.h: escaping (every
 * control character, NUL, DEL, quote, backslash), UTF-8 passthrough and
 * U+FFFD replacement of ill-formed input, structure and commas, numbers,
 * limits and sticky errors.
 */
#include "check.h"
#include "common/json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jw_string of n bytes, as a fresh writer's whole output. */
static void check_string(const char *in, size_t n, const char *want, size_t want_replaced,
                         int line) {
  jw w;
  jw_init(&w, 0);
  CHECK(jw_string(&w, in, n) == JW_OK);
  check_count++;
  if (w.len != strlen(want) || memcmp(w.buf, want, w.len) != 0 || w.replaced != want_replaced) {
    check_failures++;
    fprintf(stderr, "test_json_writer.c:%d: escaping mismatch (replaced %zu, want %zu)\n", line,
            w.replaced, want_replaced);
    check_dump("  in  ", in, n);
    check_dump("  got ", w.buf, w.len);
    check_dump("  want", want, strlen(want));
  }
  jw_free(&w);
}

#define STRING(lit, want, replaced) check_string(lit, sizeof lit - 1, want, replaced, __LINE__)

static void test_control_characters(void) {
  unsigned c;
  /* Every byte below 0x20 (NUL included) is written as \u00xx with
   * lowercase hex, as RFC 8259 allows and the protocol asks. */
  for (c = 0; c < 0x20; c++) {
    char in[1] = {(char)c};
    char want[16];
    snprintf(want, sizeof want, "\"\\u00%c%c\"", "0123456789abcdef"[c >> 4],
             "0123456789abcdef"[c & 15]);
    check_string(in, 1, want, 0, __LINE__);
  }
  /* A few spelled out, in case the loop's expectation were wrong. */
  STRING("\0", "\"\\u0000\"", 0);
  STRING("\n", "\"\\u000a\"", 0);
  STRING("\r", "\"\\u000d\"", 0);
  STRING("\t", "\"\\u0009\"", 0);
  STRING("\x1f", "\"\\u001f\"", 0);
  STRING("\x7f", "\"\\u007f\"", 0); /* DEL too */
  STRING("a\0b\0", "\"a\\u0000b\\u0000\"", 0);
  STRING("line\r\nnext", "\"line\\u000d\\u000anext\"", 0);
}

static void test_ascii(void) {
  char in[95];
  char want[100];
  size_t n = 0, o = 0;
  unsigned c;
  STRING("", "\"\"", 0);
  STRING("\"", "\"\\\"\"", 0);
  STRING("\\", "\"\\\\\"", 0);
  STRING("a\"b\\c", "\"a\\\"b\\\\c\"", 0);
  STRING("/", "\"/\"", 0); /* the solidus needs no escape */
  /* every printable ASCII character but '"' and '\' is copied */
  want[o++] = '"';
  for (c = 0x20; c < 0x7F; c++) {
    if (c == '"' || c == '\\') continue;
    in[n++] = (char)c;
    want[o++] = (char)c;
  }
  want[o++] = '"';
  want[o] = '\0';
  check_string(in, n, want, 0, __LINE__);
}

static void test_utf8(void) {
  /* well-formed UTF-8 is copied as is */
  STRING("\xC3\xA9", "\"\xC3\xA9\"", 0);                 /* U+00E9 */
  STRING("\xC2\x80", "\"\xC2\x80\"", 0);                 /* U+0080, a C1 control */
  STRING("\xE2\x82\xAC", "\"\xE2\x82\xAC\"", 0);         /* U+20AC */
  STRING("\xEF\xBB\xBF", "\"\xEF\xBB\xBF\"", 0);         /* U+FEFF */
  STRING("\xEF\xBF\xBD", "\"\xEF\xBF\xBD\"", 0);         /* U+FFFD */
  STRING("\xE2\x80\xA8", "\"\xE2\x80\xA8\"", 0);         /* U+2028 */
  STRING("\xF0\x9F\x98\x80", "\"\xF0\x9F\x98\x80\"", 0); /* U+1F600 */
  STRING("\xF4\x8F\xBF\xBF", "\"\xF4\x8F\xBF\xBF\"", 0); /* U+10FFFF */
  STRING("\xED\x9F\xBF", "\"\xED\x9F\xBF\"", 0);         /* U+D7FF */
  STRING("x\xC3\xA9\n\xE2\x82\xAC", "\"x\xC3\xA9\\u000a\xE2\x82\xAC\"", 0);

  /* ill-formed: one U+FFFD per maximal subpart (Unicode ch. 3, WHATWG
   * Encoding), so the output stays valid UTF-8; each is counted */
#define FFFD "\xEF\xBF\xBD"
  STRING("\x80", "\"" FFFD "\"", 1);
  STRING("\xC0\xAF", "\"" FFFD FFFD "\"", 2);
  STRING("\xED\xA0\x80", "\"" FFFD FFFD FFFD "\"", 3);
  STRING("\xE2\x82", "\"" FFFD "\"", 1);
  STRING("a\xE2\x82z", "\"a" FFFD "z\"", 1);
  STRING("\xF0\x9F\x98", "\"" FFFD "\"", 1);
  STRING("\xF4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"", 4);
  STRING("\xF5", "\"" FFFD "\"", 1);
  STRING("\xFF\xFE", "\"" FFFD FFFD "\"", 2);
  STRING("\xE2\x82\n", "\"" FFFD "\\u000a\"", 1);
  STRING("\xC3\"", "\"" FFFD "\\\"\"", 1);
#undef FFFD
}

static void test_structure(void) {
  jw w;
  jw_init(&w, 0);
  CHECK(jw_object_begin(&w) == JW_OK);
  jw_key(&w, "case");
  jw_cstr(&w, "a/b");
  jw_key(&w, "records");
  jw_array_begin(&w);
  jw_object_begin(&w);
  jw_key(&w, "kind");
  jw_cstr(&w, "retry");
  jw_key(&w, "ms");
  jw_uint(&w, 1000);
  jw_object_end(&w);
  jw_object_begin(&w);
  jw_object_end(&w);
  jw_array_begin(&w);
  jw_array_end(&w);
  jw_bool(&w, 1);
  jw_bool(&w, 0);
  jw_null(&w);
  jw_int(&w, -5);
  jw_array_end(&w);
  jw_keyn(&w, "k\0\n", 3);
  jw_string(&w, "v", 1);
  CHECK(jw_object_end(&w) == JW_OK);
  CHECK(jw_raw(&w, "\n", 1) == JW_OK);
  CHECK_STR(w.buf, "{\"case\":\"a/b\",\"records\":[{\"kind\":\"retry\",\"ms\":1000},{},[],true,"
                   "false,null,-5],\"k\\u0000\\u000a\":\"v\"}\n");
  /* after a line end, a new top-level value */
  CHECK(jw_uint(&w, 7) == JW_OK);
  CHECK(w.err == JW_OK);
  CHECK_STR(w.buf + w.len - 1, "7");
  /* but two top-level values in a row are refused */
  CHECK(jw_uint(&w, 8) == JW_EUSAGE);
  jw_free(&w);
}

static void test_numbers(void) {
  jw w;
  jw_init(&w, 0);
  jw_array_begin(&w);
  jw_uint(&w, 0);
  jw_uint(&w, UINT64_MAX);
  jw_int(&w, 0);
  jw_int(&w, -1);
  jw_int(&w, INT64_MAX);
  jw_int(&w, INT64_MIN);
  jw_array_end(&w);
  CHECK(w.err == JW_OK);
  CHECK_STR(w.buf, "[0,18446744073709551615,0,-1,9223372036854775807,-9223372036854775808]");
  jw_free(&w);
}

static void test_usage_errors(void) {
  jw w;
  size_t len;
  jw_init(&w, 0);
  CHECK(jw_key(&w, "a") == JW_EUSAGE); /* a key at the top level */
  CHECK(w.err == JW_EUSAGE);
  jw_clear(&w);
  CHECK(w.err == JW_OK && w.len == 0);

  jw_object_begin(&w);
  CHECK(jw_uint(&w, 1) == JW_EUSAGE); /* a value where a key is due */
  jw_clear(&w);

  jw_object_begin(&w);
  jw_key(&w, "a");
  CHECK(jw_key(&w, "b") == JW_EUSAGE); /* a key where a value is due */
  jw_clear(&w);

  jw_object_begin(&w);
  jw_key(&w, "a");
  CHECK(jw_object_end(&w) == JW_EUSAGE); /* a key without its value */
  jw_clear(&w);

  jw_array_begin(&w);
  CHECK(jw_object_end(&w) == JW_EUSAGE); /* mismatched end */
  jw_clear(&w);

  CHECK(jw_array_end(&w) == JW_EUSAGE); /* nothing open */
  jw_clear(&w);

  jw_array_begin(&w);
  CHECK(jw_key(&w, "a") == JW_EUSAGE); /* a key in an array */

  /* sticky: nothing more is written, every call returns the error */
  len = w.len;
  CHECK(jw_uint(&w, 1) == JW_EUSAGE);
  CHECK(jw_raw(&w, "x", 1) == JW_EUSAGE);
  CHECK(jw_array_end(&w) == JW_EUSAGE);
  CHECK(w.len == len);
  CHECK_STR(jw_strerror(JW_EUSAGE), "JSON writer calls out of order");
  jw_free(&w);
}

static void test_depth(void) {
  jw w;
  int i;
  jw_init(&w, 0);
  for (i = 0; i < JW_MAX_DEPTH; i++) CHECK(jw_array_begin(&w) == JW_OK);
  CHECK(jw_array_begin(&w) == JW_EDEPTH);
  jw_clear(&w);
  for (i = 0; i < JW_MAX_DEPTH; i++) jw_array_begin(&w);
  for (i = 0; i < JW_MAX_DEPTH; i++) jw_array_end(&w);
  CHECK(w.err == JW_OK);
  CHECK(w.len == 2 * JW_MAX_DEPTH);
  jw_free(&w);
}

static void test_limit(void) {
  jw w;
  jw_init(&w, 10);
  CHECK(jw_cstr(&w, "12345678") == JW_OK); /* 10 bytes with the quotes */
  CHECK(w.len == 10);
  CHECK(jw_raw(&w, "\n", 1) == JW_ELIMIT);
  CHECK(w.len == 10);
  jw_clear(&w);
  CHECK(jw_cstr(&w, "123456789") == JW_ELIMIT);
  CHECK(w.len <= 10);
  CHECK_STR(jw_strerror(w.err), "output too large");
  jw_clear(&w);
  /* an escape that does not fit is refused whole */
  CHECK(jw_string(&w, "1234\x01", 5) == JW_ELIMIT);
  CHECK(w.len <= 10);
  jw_free(&w);
}

static void test_large(void) {
  /* a large string with control characters all through it */
  size_t n = (size_t)4 << 20, i;
  char *in = malloc(n);
  jw w;
  size_t expect = 2;
  for (i = 0; i < n; i++) {
    in[i] = (char)(i % 7 == 0 ? '\0' : 'a' + (int)(i % 26));
    expect += in[i] == '\0' ? 6 : 1;
  }
  jw_init(&w, 0);
  CHECK(jw_string(&w, in, n) == JW_OK);
  CHECK(w.len == expect);
  CHECK(w.buf[w.len - 1] == '"');
  CHECK(memcmp(w.buf, "\"\\u0000bcdefg\\u0000", 19) == 0);
  jw_free(&w);
  free(in);
}

int main(void) {
  test_control_characters();
  test_ascii();
  test_utf8();
  test_structure();
  test_numbers();
  test_usage_errors();
  test_depth();
  test_limit();
  test_large();
  return check_report("test_json_writer");
}
