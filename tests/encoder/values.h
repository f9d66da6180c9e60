/*
 * values.h - the values the encoder tests put into messages: line breaks of
 * every kind and place, NUL, U+FEFF, U+2028, leading spaces, colons, text
 * that looks like fields, empty values. Each is a byte string with its
 * length (it may hold NUL).
 */
#ifndef SSESPEC_TESTS_ENCODER_VALUES_H
#define SSESPEC_TESTS_ENCODER_VALUES_H

#include <stddef.h>

typedef struct tv {
  const char *s;
  size_t n;
} tv;

#define TV(lit)                                                                                    \
  { (lit), sizeof(lit) - 1 }

/* Values that hold CR or LF somewhere: data and comments carry them; an
 * event type or id holding one is refused. */
static const tv k_breaking[] = {
    TV("\n"),
    TV("\r"),
    TV("\r\n"),
    TV("\n\r"),
    TV("\n\n"),
    TV("\r\r"),
    TV("\r\n\r\n"),
    TV("x\n"),
    TV("x\r"),
    TV("x\r\n"),
    TV("\nx"),
    TV("\rx"),
    TV("a\nb"),
    TV("a\rb"),
    TV("a\r\nb"),
    TV("a\n\rb"),
    TV("a\r\r\nb"),
    TV("x\revent: evil"),
    TV("x\ndata: forged\n\nid: 666"),
    TV("x\r\n\r\ndata: second event"),
    TV("x\n:comment"),
    TV("x\nretry: 1"),
    TV("  a\n  b\n"),
    TV("\xEF\xBB\xBF\nx"),
    TV("\xE2\x80\xA8\r\n\xE2\x80\xA9"),
    TV("a\0b\nc\0"),
};

/* Values without CR or LF: every field carries them (but an id holding
 * NUL, which is refused: k_nul). */
static const tv k_plain[] = {
    TV(""),
    TV("x"),
    TV(" "),
    TV("  "),
    TV(" x"),
    TV("  two spaces"),
    TV("\tx"),
    TV(":"),
    TV("::"),
    TV("a:b"),
    TV(": x"),
    TV("data:"),
    TV("data: x"),
    TV("event: e"),
    TV("id: 1"),
    TV("retry: 5"),
    TV("message"),
    TV("\xEF\xBB\xBF"),
    TV("\xEF\xBB\xBFx"),
    TV("\xEF\xBB\xBF data"),
    TV("\xE2\x80\xA8"),
    TV("a\xE2\x80\xA8"
       "b"),
    TV("\xC2\x85"),
    TV("\xEF\xBF\xBD"),
    TV("\xF0\x9F\x98\x80"),
    TV("\xF4\x8F\xBF\xBF"),
    TV("\xC3\xA9t\xC3\xA9"),
    TV("x "),
    TV("\x7F"),
    TV("\x0B\x0C"),
};

/* Values holding NUL but no CR or LF: data, comments and event types carry
 * them; an id holding one is refused. */
static const tv k_nul[] = {
    TV("\0"), TV("a\0"), TV("\0a"), TV("a\0b"), TV("\0\0"),
};

/* Values that are not well-formed UTF-8, and where their first byte at
 * fault is. */
typedef struct bad_utf8 {
  tv v;
  size_t at;
} bad_utf8;

static const bad_utf8 k_bad_utf8[] = {
    {TV("\xFF"), 0},
    {TV("ab\xFE"), 2},
    {TV("\x80"), 0},
    {TV("\xC0\xAF"), 0},             /* overlong '/' */
    {TV("\xC1\xBF"), 0},             /* overlong */
    {TV("\xE0\x80\xAF"), 0},         /* overlong */
    {TV("\xED\xA0\x80"), 0},         /* a surrogate, U+D800 */
    {TV("x\xED\xBF\xBF"), 1},        /* U+DFFF */
    {TV("\xF4\x90\x80\x80"), 0},     /* over U+10FFFF */
    {TV("\xF5\x80\x80\x80"), 0},     /* over U+10FFFF */
    {TV("\xF0\x80\x80\x80"), 0},     /* overlong */
    {TV("\xE2\x82"), 0},             /* truncated at the end */
    {TV("\xE2\x82x"), 0},            /* truncated before ASCII */
    {TV("\xC3"), 0},                 /* truncated */
    {TV("\xF0\x9F\x98"), 0},         /* truncated */
    {TV("\xC3\xA9\xC3"), 2},         /* good, then truncated */
    {TV("ok \xE2\x80\xA8 \xBF"), 7}, /* a lone continuation byte */
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif /* SSESPEC_TESTS_ENCODER_VALUES_H */
