/*
 * records_json.h - the adapter protocols' records as JSON objects (C11).
 *
 * The one writer of the records that the reference tools print: those of
 * the parser adapter protocol (docs/adapter-protocol.md), written by
 * ssespec-parser-adapter and ssespec-parse, and those of the client adapter
 * protocol (docs/client-adapter-protocol.md), written by
 * ssespec-client-adapter and ssespec-get:
 *
 *   {"kind":"event","type":T,"data":D,"lastEventId":I}
 *   {"kind":"retry","ms":N}
 *   {"kind":"comment","text":T}
 *   {"kind":"end","lastEventId":I}
 *   {"kind":"open"}
 *   {"kind":"error","readyState":N}
 *   {"kind":"closed"}
 *   {"kind":"failure","message":M}
 *
 * Keys in exactly this order; a client record tagged with its stream has
 * "stream" first: {"stream":S,"kind":"open"}. Strings are escaped by
 * jw_string (common/json.h: control characters as \u00XX, ill-formed UTF-8
 * as U+FFFD, counted in w->replaced). Text is given as pointer and length
 * and may contain NUL.
 *
 * Each function appends one object to w wherever a value may go (an array
 * item, a member's value after its key, a top-level value) and returns
 * w's status: JW_OK, or the writer's sticky error. Nothing is written to
 * any file: the caller adds line ends and writes w's buffer.
 */
#ifndef SSESPEC_COMMON_RECORDS_JSON_H
#define SSESPEC_COMMON_RECORDS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "common/json.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The stream a record is about, written as its "stream" member (the client
 * adapter protocol); ptr NULL for none (RJ_NO_STREAM). */
typedef struct rj_stream {
  const char *ptr;
  size_t len;
} rj_stream;

#define RJ_NO_STREAM ((rj_stream){NULL, 0})

/* An event: its type, data and last event ID. */
int rj_event(jw *w, rj_stream stream, const char *type, size_t type_len, const char *data,
             size_t data_len, const char *last_event_id, size_t last_event_id_len);

/* A retry field's value in milliseconds. */
int rj_retry(jw *w, rj_stream stream, uint64_t ms);

/* A comment: the text after the colon. */
int rj_comment(jw *w, rj_stream stream, const char *text, size_t len);

/* The end of a stream, with the last event ID string. */
int rj_end(jw *w, rj_stream stream, const char *last_event_id, size_t len);

/* The client's connection opened. */
int rj_open(jw *w, rj_stream stream);

/* The client fired an error; its readyState afterwards. */
int rj_error(jw *w, rj_stream stream, int ready_state);

/* The client closed the stream for good. */
int rj_closed(jw *w, rj_stream stream);

/* A command could not be carried out: the message (NUL-terminated). */
int rj_failure(jw *w, rj_stream stream, const char *message);

#ifdef __cplusplus
}
#endif

#endif /* SSESPEC_COMMON_RECORDS_JSON_H */
