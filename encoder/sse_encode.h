/*
 * sse_encode.h - the ssespec reference encoder for text/event-stream (C11).
 *
 * Turns one message (an event, a comment, or a reconnection time alone)
 * into the exact bytes of the event-stream format of the WHATWG HTML
 * Standard ("Server-sent events": the authoring grammar of 9.2.5, read so
 * that a client following 9.2.6 gets the message back). Values are given as
 * pointer and length (they may hold NUL). The bytes go into the caller's
 * buffer; nothing is allocated and nothing is global, so any thread may call
 * any function at any time.
 *
 * The encoder is exact: whatever it accepts, a parser that follows the
 * standard reads back unchanged (the only change the format forces: a CR or
 * CRLF inside data or a comment comes back as LF). What the format cannot
 * carry it refuses, saying which field and why, rather than altering it:
 *
 *   - an event type or id holding CR or LF: the line would end early and
 *     the rest of the value would be read as fields of its own (injection);
 *   - an id holding U+0000 NULL: a client ignores such an id line whole;
 *   - a value that is not well-formed UTF-8: a client decodes the stream
 *     as UTF-8 and would read U+FFFD instead.
 *
 * What it writes (every line ends with LF, U+000A):
 *
 *   an event     "event: TYPE"      if the event type is given and not empty
 *                "id: ID" or "id:"  if an id is given ("" is written: it
 *                                   resets the client's last event ID)
 *                "retry: DIGITS"    if a reconnection time is given
 *                "data: LINE" or "data:" for each line of the data, split
 *                                   at every CRLF, LF and lone CR (empty
 *                                   data is one "data:" line, so that the
 *                                   event is dispatched)
 *                ""                 the empty line that dispatches it
 *   a comment    ":LINE"            for each line of the text, split like
 *                                   data; the text follows the colon as it
 *                                   is (pass " text" for ": text")
 *   a retry      "retry: DIGITS"
 *
 * A field line is "name: value" with exactly one space after the colon
 * (the client removes one, so a value's own leading spaces survive), or
 * "name:" when the value is empty. Every event ends with an empty line; a
 * comment or a retry alone needs none (it dispatches nothing), so the
 * messages of a stream are simply the concatenation of their encodings.
 * No line starts with U+FEFF, so a stream never begins with a BOM the
 * client would remove.
 *
 * Data holding k line breaks (CRLF counting as one) becomes k + 1 data
 * lines; the client joins them with LF and removes one trailing LF, so
 * "x\n" is written "data: x" "data:" and read back as "x\n".
 */
#ifndef SSE_ENCODE_H
#define SSE_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SSE_ENCODE_VERSION "1.0.0"

/* Return codes. Every failure is negative; sse_encode_strerror() names it
 * and the error struct (below) says what happened. */
enum sse_encode_status {
  SSE_ENC_OK = 0,
  /* The output buffer is too small. *len is the size needed; nothing was
   * written. */
  SSE_ENC_ESPACE = -1,
  /* The format cannot carry a value of the message as given: the error
   * says which field, where and why. Nothing was written. */
  SSE_ENC_EREFUSED = -2,
  /* The arguments are wrong: a NULL message, a NULL pointer with a nonzero
   * length, an unknown kind, a member that the kind does not use, or an
   * encoding over SIZE_MAX bytes. Nothing was written. */
  SSE_ENC_EINVAL = -3
};

/* What a message is. */
typedef enum sse_message_kind {
  SSE_MSG_EVENT = 0,   /* data, and optionally event type, id, retry */
  SSE_MSG_COMMENT = 1, /* comment text */
  SSE_MSG_RETRY = 2    /* a reconnection time alone */
} sse_message_kind;

/* One message, described by the caller; the encoder only reads it. The
 * pointer members a kind does not use must be NULL with length 0, and a
 * comment's has_retry and retry 0 (an initializer of {0} does that);
 * anything else, or a NULL pointer with a nonzero length, is
 * SSE_ENC_EINVAL. */
typedef struct sse_message {
  sse_message_kind kind;
  /* SSE_MSG_EVENT: the data (NULL with 0: empty data, still an event). */
  const char *data;
  size_t data_len;
  /* SSE_MSG_EVENT: the event type; NULL: none. "" is the same as none
   * (the client's type is "message" either way) and is not written. */
  const char *event;
  size_t event_len;
  /* SSE_MSG_EVENT: the id; NULL: none (the client keeps its last event
   * ID). "" is written: it resets the client's last event ID. */
  const char *id;
  size_t id_len;
  /* SSE_MSG_EVENT: has_retry nonzero writes retry (else retry is not
   * read). SSE_MSG_RETRY: retry is the message (has_retry is not read).
   * Milliseconds, 0 to UINT64_MAX. */
  int has_retry;
  uint64_t retry;
  /* SSE_MSG_COMMENT: the text (NULL with 0: an empty comment). */
  const char *comment;
  size_t comment_len;
} sse_message;

/* The fields an error can be about. */
typedef enum sse_encode_field {
  SSE_FIELD_NONE = 0,
  SSE_FIELD_DATA,
  SSE_FIELD_EVENT,
  SSE_FIELD_ID,
  SSE_FIELD_RETRY,
  SSE_FIELD_COMMENT
} sse_encode_field;

/* Why a value was refused (SSE_ENC_EREFUSED), or what was wrong. */
typedef enum sse_encode_reason {
  SSE_REASON_NONE = 0,
  SSE_REASON_LINE_BREAK, /* an event type or id holds CR or LF */
  SSE_REASON_NUL,        /* an id holds U+0000 NULL */
  SSE_REASON_UTF8,       /* a value is not well-formed UTF-8 */
  SSE_REASON_SPACE,      /* SSE_ENC_ESPACE: the buffer is too small */
  SSE_REASON_ARGUMENT    /* SSE_ENC_EINVAL */
} sse_encode_reason;

/* The size of sse_encode_error.message: it always holds the whole
 * message. */
#define SSE_ENCODE_ERROR_SIZE 224

/* What went wrong, filled in by every call given one (cleared on
 * success). */
typedef struct sse_encode_error {
  int code;               /* the return code */
  sse_encode_field field; /* the field at fault, or SSE_FIELD_NONE */
  sse_encode_reason reason;
  /* SSE_ENC_EREFUSED: the byte offset, in that field's value, of the first
   * byte at fault (a CR, LF or NUL, or where the value stops being
   * well-formed UTF-8). */
  size_t offset;
  /* SSE_ENC_ESPACE: the size needed. */
  size_t needed;
  /* What happened in words, NUL-terminated; "" on success. */
  char message[SSE_ENCODE_ERROR_SIZE];
} sse_encode_error;

/* Which problem a refusal names: the fields are checked in the order
 * event type, id, data, comment, each from its first byte on, and the first
 * byte at fault is the one reported. In an event type a byte is at fault if
 * it is CR or LF or starts an ill-formed UTF-8 sequence; in an id, also if
 * it is NUL; in data and comments, only if it starts an ill-formed UTF-8
 * sequence (where the longest well-formed prefix of the value ends).
 * Well-formed means the Unicode Standard's definition (table 3-7): no
 * overlong forms, no surrogates, nothing over U+10FFFF. */

/* Compute the exact size of m's encoding into *size (if size is not
 * NULL), checking m as sse_encode does. err may be NULL.
 * Returns:
 *   SSE_ENC_OK        *size is the number of bytes sse_encode writes.
 *   SSE_ENC_EREFUSED  a value cannot be carried; err says which and why.
 *   SSE_ENC_EINVAL    bad arguments; err says which. */
int sse_encoded_size(const sse_message *m, size_t *size, sse_encode_error *err);

/* Write m's encoding into out, which has room for cap bytes (out may be
 * NULL when cap is 0: a way to ask for the size). Stores in *len (if len is
 * not NULL) the bytes written, or on SSE_ENC_ESPACE the size needed, else
 * 0. Nothing is written to out unless the call succeeds, and never more
 * than the returned length (no terminating NUL). err may be NULL.
 * Returns:
 *   SSE_ENC_OK        out[0..*len) is the encoding.
 *   SSE_ENC_ESPACE    cap is too small; *len and err->needed are the size
 *                     needed. Call again with a buffer that large.
 *   SSE_ENC_EREFUSED  a value cannot be carried; err says which and why.
 *   SSE_ENC_EINVAL    bad arguments (out NULL with cap > 0 too); err says
 *                     which. */
int sse_encode(const sse_message *m, void *out, size_t cap, size_t *len, sse_encode_error *err);

/* A short fixed description of a return code. */
const char *sse_encode_strerror(int code);

/* The name of a field as it appears in the format and in messages:
 * "data", "event", "id", "retry", "comment"; "" for SSE_FIELD_NONE. */
const char *sse_encode_field_name(sse_encode_field field);

#ifdef __cplusplus
}
#endif

#endif /* SSE_ENCODE_H */
