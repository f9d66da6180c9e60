/*
 * literal_sse.h - a second, independent event-stream parser, written
 * literally from the text of the standards, for differential fuzzing only.
 *
 * It follows, step by step and one byte at a time:
 *   - the Encoding Standard's "UTF-8 decode" (BOM check on the first three
 *     bytes of the stream) and "UTF-8 decoder" (bytes needed/seen, lower and
 *     upper boundary, error mode "replacement");
 *   - WHATWG HTML 9.2.6 "Interpreting an event stream": line splitting,
 *     the line rules, "process the field" and "dispatch the event".
 * It is obvious rather than fast: text is kept as arrays of code points and
 * encoded to UTF-8 only when reported. Nothing here is shared with the
 * reference parser (parser/sse.c), and nothing but fuzz/diff.c uses it.
 */
#ifndef LITERAL_SSE_H
#define LITERAL_SSE_H

#include <stddef.h>
#include <stdint.h>

/* What the parser reports. Text is UTF-8, valid only during the call. */
typedef struct lit_sink {
  void (*on_event)(void *user, const char *type, size_t type_len, const char *data, size_t data_len,
                   const char *last_event_id, size_t id_len);
  void (*on_retry)(void *user, uint64_t ms);
  /* A line starting with ':' (the standard ignores it; reported so that it
   * can be compared with the reference parser, which exposes comments). */
  void (*on_comment)(void *user, const char *text, size_t len);
} lit_sink;

/* A growable array of code points. */
typedef struct lit_text {
  uint32_t *cp;
  size_t len;
  size_t cap;
} lit_text;

typedef struct lit_parser {
  lit_sink sink;
  void *user;

  /* Encoding Standard, "UTF-8 decode", steps 1-3: the first three bytes. */
  unsigned char bom_buffer[3];
  size_t bom_buffer_len;
  int bom_checked;

  /* Encoding Standard, "UTF-8 decoder": its state. */
  uint32_t utf8_code_point;
  unsigned utf8_bytes_seen;
  unsigned utf8_bytes_needed;
  unsigned char utf8_lower_boundary;
  unsigned char utf8_upper_boundary;

  /* HTML 9.2.6: lines. */
  lit_text line;
  int pending_cr; /* a CR was read; whether an LF follows is not known yet */

  /* HTML 9.2.6: the buffers associated with the stream being parsed. */
  lit_text data_buffer;
  lit_text event_type_buffer;
  lit_text last_event_id_buffer;

  /* HTML 9.2.2: the event source's last event ID string (kept across
   * streams, i.e. across connections). */
  lit_text last_event_id_string;

  /* Scratch space for UTF-8 output. */
  char *out;
  size_t out_cap;
} lit_parser;

/* Set up an event source with an empty last event ID string, and begin its
 * first stream. */
void lit_init(lit_parser *p, const lit_sink *sink, void *user);

/* Begin a new stream (the body of a new connection): a new decoder and new
 * buffers; the last event ID string is kept. */
void lit_begin_stream(lit_parser *p);

/* A new event source (empty last event ID string) and its first stream,
 * keeping the memory already allocated. */
void lit_reset(lit_parser *p);

/* Read the next byte of the stream. */
void lit_byte(lit_parser *p, unsigned char byte);

/* The end of the stream (end-of-queue). */
void lit_end_stream(lit_parser *p);

/* The last event ID string, as UTF-8 (valid until the next call on p). */
const char *lit_last_event_id(lit_parser *p, size_t *len);

void lit_free(lit_parser *p);

#endif
