/*
 * scenario.h - the loader of scenario files (docs/scenario-format.md).
 *
 * One strict loader for the whole project: the server plays what it loads,
 * and `ssespec-server --dump` prints it as JSON for the harness (sc_dump,
 * in scenario_dump.c). It parses
 * a file held in memory, so a fuzz target can call sc_parse() directly.
 *
 * Every failure is a message "FILE:LINE: FIELD: what was wrong", where
 * FIELD is the directive (or "name", "encoding", "file") at fault. Nothing
 * is global; a scenario is one allocation tree freed by sc_free().
 *
 * Strings keep their templates: a string holding {base} or {origin} has
 * them as plain text in its bytes (a literal "{base}" cannot be written, so
 * the text is never ambiguous) and sc_expand() replaces them at play time.
 */
#ifndef SSESPEC_SERVER_SCENARIO_H
#define SSESPEC_SERVER_SCENARIO_H

#include <stddef.h>

/* Limits: beyond them a file is malformed, never an allocation. */
#define SC_MAX_FILE_BYTES ((size_t)16 << 20) /* the scenario file itself */
#define SC_MAX_BYTES ((size_t)64 << 20)      /* all strings of one scenario */
#define SC_MAX_REPEAT 10000000UL             /* the count after '*' */
#define SC_MAX_RECORDS 1000000UL             /* expected records, repeats counted */
#define SC_MAX_MS 600000UL                   /* wait, linger, expect-delay */
#define SC_MAX_TIMEOUT 600.0                 /* seconds */
#define SC_ERROR_SIZE 512                    /* always holds a whole message */
#define SC_MAX_FLUSH_AT 100000UL             /* offsets of one flush-at */
#define SC_MAX_H2_PADDING 255                /* h2-padding: bytes of padding per frame */

/* A string of a scenario: n bytes (plus a NUL not counted). tmpl is the
 * number of {base} and {origin} templates in it. */
struct sc_str {
  char *p;
  size_t n;
  size_t tmpl;
};

enum sc_header_op { SC_HDR_EQUAL, SC_HDR_PRESENT, SC_HDR_ABSENT };

struct sc_header_expect {
  char *name; /* as written; compared case-insensitively */
  enum sc_header_op op;
  struct sc_str value; /* SC_HDR_EQUAL only */
};

struct sc_header {
  char *name; /* as written, case kept */
  struct sc_str value;
};

enum sc_action_kind {
  SC_SEND,
  SC_SEND_CHUNKS,
  SC_RAW,
  SC_WAIT,
  SC_CLOSE,
  SC_ABORT,
  SC_HOLD,
  SC_GOAWAY
};

/* The HTTP/2 error codes abort and goaway send by default (RFC 9113 7). */
#define SC_H2_NO_ERROR 0UL
#define SC_H2_INTERNAL_ERROR 2UL

struct sc_action {
  enum sc_action_kind kind;
  struct sc_str *pieces; /* SEND, SEND_CHUNKS: one or more; RAW: exactly one */
  size_t npieces;
  unsigned long ms;   /* WAIT */
  unsigned long code; /* ABORT (RST_STREAM), GOAWAY: the HTTP/2 error code, 0 to 2^32-1 */
  int line;
};

enum sc_framing { SC_CHUNKED, SC_LENGTH, SC_CLOSE_DELIMITED };

/* A content coding of the body (content-encoding). */
enum sc_coding { SC_IDENTITY, SC_GZIP, SC_BR };

struct sc_connection {
  int line;
  /* the request */
  struct sc_str path; /* the expected SUBPATH; empty by default */
  struct sc_header_expect *expects;
  size_t nexpects;
  int has_delay;
  unsigned long delay_min;
  long delay_max; /* -1: no maximum */
  /* the response */
  int status;
  char *reason;
  struct sc_str version;
  struct sc_header *headers;
  size_t nheaders;
  int omit_content_type;
  int omit_head;        /* omit-head: no status line, no headers, no body */
  int add_content_type; /* derived: add Content-Type: text/event-stream */
  int has_body;         /* derived: the status allows a body (not 204/304, not omit-head) */
  enum sc_framing framing;
  int has_chunk_ext;
  struct sc_str chunk_ext;
  enum sc_coding coding; /* content-encoding: SC_IDENTITY when not given */
  int coding_force;      /* content-encoding ... force: even when not offered */
  size_t *flush_at;      /* flush-at: body offsets, strictly increasing, each > 0 */
  size_t nflush_at;
  int h2_padding; /* h2-padding: bytes of padding per frame, 0 to 255; -1: not padded */
  struct sc_action *actions;
  size_t nactions;
};

enum sc_record_kind { SC_REC_OPEN, SC_REC_EVENT, SC_REC_ERROR };

/* One `expect` line; count is its `repeat` count (1 without repeat). */
struct sc_record {
  enum sc_record_kind kind;
  struct sc_str type, data, id; /* EVENT */
  int ready_state;              /* ERROR: 0 or 2 */
  unsigned long count;
};

struct scenario {
  char *name;
  char *file;
  char *about;
  char *rule;
  char *open; /* NULL when not given */
  struct sc_str *types;
  size_t ntypes;
  double timeout;            /* seconds */
  unsigned long linger_ms;   /* default 300 */
  unsigned long close_after; /* close-after N: close once record N arrived; 0: not given */
  char *skip_tls;            /* the reason of `skip-variant tls`, or NULL */
  char *skip_h2;             /* the reason of `skip-variant h2`, or NULL */
  struct sc_connection *conns;
  size_t nconns;
  struct sc_record *records;
  size_t nrecords; /* lines, not counting repeats */
};

/* Parse the len bytes at buf, the text of the scenario file `file` whose
 * scenario name is `name`.
 * Returns 0 and stores a new scenario in *out (free it with sc_free), or
 * -1, stores NULL and writes the message "FILE:LINE: FIELD: what" to err
 * (at most errsize bytes, NUL-terminated; SC_ERROR_SIZE always fits). */
int sc_parse(const char *buf, size_t len, const char *name, const char *file, struct scenario **out,
             char *err, size_t errsize);

/* Read and parse the file at path under the given name. Same outcomes as
 * sc_parse (an unreadable or oversized file is "PATH:0: file: ..."). */
int sc_load_file(const char *path, const char *name, struct scenario **out, char *err,
                 size_t errsize);

/* The name of a scenario file given directly: its path below the nearest
 * ancestor directory called "scenarios", else its basename, without
 * ".scenario". Returns a new string, or NULL when out of memory. */
char *sc_name_from_path(const char *path);

/* Is name a valid scenario name: a-z 0-9 '-' in parts separated by '/'? */
int sc_name_ok(const char *name);

void sc_free(struct scenario *sc);

/* The byte length of s with {base} and {origin} replaced by base (blen
 * bytes) and origin (olen bytes). */
size_t sc_expanded_len(const struct sc_str *s, size_t blen, size_t olen);

/* Write s with templates replaced to out, which has room for
 * sc_expanded_len() bytes. Returns the bytes written. */
size_t sc_expand(const struct sc_str *s, const char *base, size_t blen, const char *origin,
                 size_t olen, char *out);

/* The standard reason phrase of an HTTP status code, or "" if none. */
const char *sc_reason_phrase(int status);

/* The name of an HTTP/2 error code (RFC 9113 7: "NO_ERROR", ...), or NULL
 * for a code without one. */
const char *sc_h2_error_name(unsigned long code);

/* The token of a content coding: "identity", "gzip" or "br". */
const char *sc_coding_name(enum sc_coding coding);

struct jw;
/* Append {"scenarios":[...]} for the n scenarios to the JSON writer w (the
 * format of docs/server.md; in scenario_dump.c). Returns the writer's
 * status: 0 (JW_OK), or negative (JW_ENOMEM, JW_ELIMIT, ...) when the
 * writer failed, in which case w holds an incomplete document. */
int sc_dump(struct jw *w, struct scenario *const *scs, size_t n);

#endif /* SSESPEC_SERVER_SCENARIO_H */
