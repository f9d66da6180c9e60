/*
 * roundtrip.h - what the encoder tests share: a byte buffer, encoding a
 * list of messages, and the two logs a round trip compares: the records
 * the reference parser reads from the bytes, and the records the messages
 * mean (the model). Each log is text, one record a line, values escaped:
 *
 *   E|TYPE|DATA|LAST_EVENT_ID    an event
 *   R|MS                         a reconnection time
 *   C|TEXT                       a comment
 *   Z|LAST_EVENT_ID              the end of the stream
 */
#ifndef SSESPEC_TESTS_ENCODER_ROUNDTRIP_H
#define SSESPEC_TESTS_ENCODER_ROUNDTRIP_H

#include <stddef.h>

#include "sse_encode.h"

typedef struct buf {
  char *p;
  size_t n, cap;
} buf;

void buf_add(buf *b, const void *s, size_t n);
void buf_free(buf *b);

/* Encode the n messages into out (appended); each must be accepted, its
 * size agree with sse_encoded_size and its bytes with a second encoding
 * into a buffer of exactly that size. Returns 0, or -1 with a message on
 * stderr (which message, the code and the encoder's message). */
int encode_all(const sse_message *m, size_t n, buf *out);

/* The records the reference parser reads from s[0..n), fed at once, as a
 * log (appended to out). */
void parse_log(const char *s, size_t n, buf *out);

/* The records the messages mean, as a log (appended to out): the CR and
 * CRLF of data and comments as LF, a comment one record per line. */
void model_log(const sse_message *m, size_t n, buf *out);

/* Encode, parse and compare with the model; on a mismatch print name and
 * both logs and count a failure. Returns 1 when they agree. */
int round_trip(const char *name, const sse_message *m, size_t n);

/* The number of failed round trips so far. */
extern int rt_failures;

#endif /* SSESPEC_TESTS_ENCODER_ROUNDTRIP_H */
