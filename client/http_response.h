/*
 * http_response.h - an incremental HTTP/1.x response parser (C11).
 *
 * Reads the bytes a client receives after sending one request: any number
 * of interim 1xx heads (skipped), the final response head, and its body,
 * decoded from the chunked transfer coding, delimited by Content-Length, or
 * delimited by the end of the connection. It does no I/O: the caller feeds
 * whatever bytes it has, in chunks split anywhere, and the parser tells what
 * they complete. The results do not depend on how the input was split.
 *
 * The state is the caller's: a struct hr_parser set up with hr_init(). The
 * parser allocates only to hold the response head (at most its head limit)
 * and the table of header fields; body bytes are never copied: they are
 * handed back as spans of the caller's input. Nothing is global.
 *
 * Use:
 *
 *   hr_parser p;
 *   hr_init(&p, 0);
 *   for each chunk (buf, len) read from the connection:
 *     for (;;) {
 *       size_t used; const char *data; size_t n;
 *       int rc = hr_step(&p, buf, len, &used, &data, &n);
 *       buf += used; len -= used;
 *       if (rc == HR_AGAIN) break;  (all of the chunk was used)
 *       if (rc == HR_HEAD) inspect hr_get_head(&p);
 *       else if (rc == HR_BODY) consume data[0..n);
 *       else if (rc == HR_DONE) the response is complete: stop reading;
 *       else fail with hr_error(&p) (rc < 0);
 *     }
 *   at the end of the connection: hr_eof(&p)  (HR_DONE or an error)
 *   hr_free(&p);
 *
 * Accepted syntax (RFC 9112, with the leniency it allows a recipient):
 * - Lines of the head, chunk-size lines and trailer lines end with CRLF or
 *   a lone LF; a CR anywhere else in them is an error.
 * - Status line: "HTTP/" DIGIT "." DIGIT SP 3DIGIT [ SP reason ]; the major
 *   version must be 1; the reason may be absent ("HTTP/1.1 200").
 * - Header fields: a token name directly followed by ':' (whitespace before
 *   the colon is an error), the value with optional whitespace around it
 *   removed. NUL in a head is an error. Obsolete line folding (a line
 *   starting with SP or HTAB continuing the previous field) is accepted and
 *   replaced with SP octets, as RFC 9112 section 5.2 asks of user agents.
 * - Interim responses 100-199 other than 101 are skipped; 101 is final.
 * - Framing of the final response (to a GET): 1xx, 204 and 304 have no
 *   body; otherwise Transfer-Encoding: chunked (exactly one coding, the
 *   name compared case-insensitively; it overrides Content-Length), else
 *   Content-Length (every value identical, digits only), else the body
 *   ends with the connection. Any other transfer coding, Transfer-Encoding
 *   in an HTTP/1.0 response, or a bad Content-Length is HR_EFRAMING.
 * - Chunked: 1*HEXDIG chunk size, optional whitespace and chunk extensions
 *   (";..." - skipped, bytes other than control characters except HTAB),
 *   the whole line at most HR_CHUNK_LINE_LIMIT bytes; the chunk data must be
 *   followed by a line end; trailer fields after the last chunk are read
 *   and ignored (together at most the head limit).
 */
#ifndef SSESPEC_HTTP_RESPONSE_H
#define SSESPEC_HTTP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The default limit on the bytes of the response heads (interim heads
 * included), and on the trailer section. */
#define HR_DEFAULT_HEAD_LIMIT ((size_t)64 * 1024)
/* The longest chunk-size line (size, extensions and line end). */
#define HR_CHUNK_LINE_LIMIT ((size_t)4096)
/* The most header fields in one head. */
#define HR_MAX_FIELDS ((size_t)1024)

/* Return codes of hr_step and hr_eof. Failures are negative and sticky:
 * once one is returned every later call returns it again. */
enum hr_status {
  HR_AGAIN = 0,       /* all input was used; feed more */
  HR_HEAD = 1,        /* the final response head is complete: hr_get_head() */
  HR_BODY = 2,        /* body bytes are in (*data, *data_len) */
  HR_DONE = 3,        /* the response is complete; later input is not read */
  HR_EHEAD = -1,      /* malformed response head */
  HR_ELIMIT = -2,     /* head, trailer, chunk-size line or field count too big */
  HR_EFRAMING = -3,   /* invalid or unsupported Content-Length/Transfer-Encoding */
  HR_ECHUNK = -4,     /* malformed chunked body */
  HR_ETRUNCATED = -5, /* the connection ended before the response did */
  HR_ENOMEM = -6,     /* an allocation failed */
  HR_EINVAL = -7      /* a NULL pointer argument */
};

/* How the final response's body is delimited. */
typedef enum hr_framing {
  HR_FRAMING_NONE,    /* no body (1xx, 204, 304) */
  HR_FRAMING_LENGTH,  /* Content-Length bytes */
  HR_FRAMING_CHUNKED, /* the chunked transfer coding */
  HR_FRAMING_CLOSE    /* until the connection ends */
} hr_framing;

/* A span of bytes (not NUL-terminated). */
typedef struct hr_span {
  const char *ptr;
  size_t len;
} hr_span;

/* A header field as received: the name as written (compare it
 * case-insensitively), the value without surrounding whitespace and with
 * obsolete folds replaced by SP. */
typedef struct hr_field {
  hr_span name;
  hr_span value;
} hr_field;

/* The final response head. Valid until hr_reset() or hr_free(). */
typedef struct hr_head {
  int version_major; /* always 1 */
  int version_minor;
  int status; /* 100-999 */
  hr_span reason;
  const hr_field *fields;
  size_t field_count;
  hr_framing framing;
  uint64_t content_length; /* for HR_FRAMING_LENGTH */
  unsigned interim;        /* interim 1xx heads skipped before this one */
} hr_head;

/* The parser state. Owned by the caller; every field is private. */
typedef struct hr_parser {
  size_t head_limit;
  int state;
  int status; /* HR_OK-like 0, or the sticky failure */
  /* the head being collected */
  char *buf;
  size_t len, cap;
  size_t line_len;   /* bytes of the current head/trailer line so far */
  size_t head_total; /* head bytes seen, interim heads included */
  size_t trailer_total;
  hr_field *fields;
  size_t fields_cap;
  hr_head head;
  int have_head;
  /* the body */
  uint64_t remaining; /* bytes left of a Content-Length body or a chunk */
  size_t chunk_line;  /* bytes of the current chunk-size line */
  unsigned chunk_digits;
  unsigned char chunk_phase; /* within a chunk-size line */
  unsigned char saw_cr;
  char message[160];
} hr_parser;

/* Set up p for a response with a head limit of head_limit bytes (0: the
 * default). Allocates nothing. */
void hr_init(hr_parser *p, size_t head_limit);

/* Read from the len bytes at buf (len may be 0). Stores in *used how many
 * were read: all of them for HR_AGAIN; maybe fewer otherwise, so call
 * again with the rest, until HR_AGAIN, HR_DONE or a failure. Once the
 * response is complete every call returns HR_DONE and reads nothing, even
 * with len 0 (so the end of a body that arrived with the last bytes of a
 * chunk is reported by the next call).
 * For HR_BODY, (*data, *data_len) is a non-empty span of buf; otherwise
 * *data is NULL and *data_len 0. data and data_len may be NULL only when
 * the caller never reads a body (they are then not written). */
int hr_step(hr_parser *p, const void *buf, size_t len, size_t *used, const char **data,
            size_t *data_len);

/* The connection ended. Returns HR_DONE if the response is complete (a
 * close-delimited body ends here), HR_ETRUNCATED if it is not, or the
 * sticky failure. */
int hr_eof(hr_parser *p);

/* The final head, or NULL before HR_HEAD was returned. */
const hr_head *hr_get_head(const hr_parser *p);

/* The message of the last failure ("" if none). */
const char *hr_error(const hr_parser *p);

/* Start over for a new response (memory is kept for reuse). */
void hr_reset(hr_parser *p);

/* Release the parser's memory. p may be initialised again afterwards. */
void hr_free(hr_parser *p);

/* A short fixed description of a return code. */
const char *hr_strerror(int code);

/* ------------------------------------------------------- head helpers */

/* The index of the first field named name (ASCII case-insensitive) at or
 * after index from, or -1. */
long hr_find_field(const hr_head *h, const char *name, size_t from);

/* The MIME type of the response per the Fetch Standard's "extract a MIME
 * type": every Content-Type value is split at commas outside quoted
 * strings, each piece parsed as a MIME type (surrounding whitespace
 * removed, type "/" subtype as non-empty tokens, parameters after ';'),
 * pieces that fail to parse or are "*" "/" "*" skipped, and the last valid
 * one wins. Returns 1 and stores the type and subtype (as written, compare
 * case-insensitively) or 0 if there is none. */
int hr_mime_type(const hr_head *h, hr_span *type, hr_span *subtype);

/* 1 if hr_mime_type gives the essence "type/subtype" equal to essence
 * (ASCII case-insensitive), else 0. */
int hr_mime_essence_is(const hr_head *h, const char *essence);

/* Parse one MIME type string (the mimesniff rules above). Returns 1 and the
 * type and subtype, or 0 on failure. */
int hr_parse_mime(const char *s, size_t n, hr_span *type, hr_span *subtype);

#ifdef __cplusplus
}
#endif

#endif /* SSESPEC_HTTP_RESPONSE_H */
