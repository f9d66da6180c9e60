/*
 * json.h - JSON for the ssespec tools' line protocols (C11).
 *
 * Two halves, both without global state:
 *
 * - jw_*: a writer that appends JSON text to a growable buffer with a size
 *   limit. Strings are given as bytes meant to be UTF-8 text; every byte
 *   below 0x20 (NUL included) and DEL are written as \u00xx, '"' and '\' as
 *   \" and \\, valid UTF-8 is copied as is, and each maximal invalid subpart
 *   of ill-formed UTF-8 becomes U+FFFD (counted in jw.replaced, so a caller
 *   that promised valid UTF-8 can notice). The output is always valid UTF-8.
 *   Errors are sticky: after the first failure every call does nothing and
 *   returns the same code, so a caller may write a whole line and check once.
 *
 * - json_*: a strict RFC 8259 reader that parses one document in place into
 *   a small tree (a "DOM"). Strict means: exactly one value with optional
 *   whitespace around it; no comments, trailing commas, single quotes,
 *   leading zeros, NaN or control characters inside strings; the input must
 *   be valid UTF-8; duplicate object keys are rejected; \u escapes must form
 *   valid scalar values: a lone surrogate (high without a following low, or
 *   a low on its own) is rejected, never replaced. Failures give a message
 *   naming the problem and its zero-based byte offset.
 */
#ifndef SSESPEC_COMMON_JSON_H
#define SSESPEC_COMMON_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- writer */

/* Writer return codes. */
enum jw_status {
  JW_OK = 0,
  JW_ENOMEM = -1, /* an allocation failed */
  JW_ELIMIT = -2, /* the output would exceed the writer's size limit */
  JW_EDEPTH = -3, /* more than JW_MAX_DEPTH nested arrays/objects */
  JW_EUSAGE = -4  /* calls out of order: a key outside an object, a value
                     where a key is due, an unmatched end */
};

/* The deepest nesting the structural calls track. */
#define JW_MAX_DEPTH 64

/* The largest size limit a writer may have. */
#define JW_MAX_SIZE (SIZE_MAX / 2)

/* The writer. Fields are read-only for the caller. */
typedef struct jw {
  char *buf;       /* the output, buf[0..len); NUL-terminated when len > 0 */
  size_t len;      /* bytes written */
  size_t cap;      /* private: allocated bytes */
  size_t max;      /* the size limit in bytes */
  size_t replaced; /* invalid UTF-8 subparts written as U+FFFD so far */
  int err;         /* JW_OK, or the first failure (sticky) */
  /* private: structure tracking for the automatic commas */
  unsigned depth;
  uint64_t is_object; /* bit d: level d+1 is an object */
  uint64_t has_items; /* bit d: level d+1 already has an item */
  int need_value;     /* a key was written; its value is due */
  int top_items;      /* a top-level value was written since the last jw_raw */
} jw;

/* Set up an empty writer that may hold at most max bytes (0, or anything
 * over JW_MAX_SIZE: JW_MAX_SIZE). Allocates nothing. */
void jw_init(jw *w, size_t max);

/* Release the buffer. w may be initialised again afterwards. */
void jw_free(jw *w);

/* Empty the buffer (memory is kept for reuse) and clear err, replaced and
 * the structure state. */
void jw_clear(jw *w);

/* Append n raw bytes as they are (for line ends and pre-made JSON). Resets
 * the structure state at the top level, so the next value starts a new
 * document. Returns JW_OK or the sticky error. */
int jw_raw(jw *w, const void *s, size_t n);

/* Structure. Commas are inserted automatically between items of an array,
 * between members of an object, never at the top level. Each returns JW_OK
 * or the sticky error. */
int jw_object_begin(jw *w);
int jw_object_end(jw *w);
int jw_array_begin(jw *w);
int jw_array_end(jw *w);
/* The key of the next member of the current object, n bytes (escaped like
 * a string value). jw_key takes a NUL-terminated key. */
int jw_keyn(jw *w, const char *key, size_t n);
int jw_key(jw *w, const char *key);

/* Values (an array item, a member value after its key, or a top-level
 * value). */
int jw_string(jw *w, const char *s, size_t n); /* n bytes as UTF-8 text */
int jw_cstr(jw *w, const char *s);             /* a NUL-terminated string */
int jw_uint(jw *w, uint64_t v);
int jw_int(jw *w, int64_t v);
int jw_bool(jw *w, int v);
int jw_null(jw *w);

/* Append the JSON string literal for n bytes of text (quotes included) with
 * no comma or structure handling: the escaping primitive under jw_string
 * and jw_keyn. */
int jw_escape(jw *w, const char *s, size_t n);

/* A short fixed description of a writer return code. */
const char *jw_strerror(int code);

/* ---------------------------------------------------------------- reader */

typedef enum json_type {
  JSON_NULL,
  JSON_BOOL,
  JSON_NUMBER,
  JSON_STRING,
  JSON_ARRAY,
  JSON_OBJECT
} json_type;

/* A node of a parsed document. Read-only for the caller, except that the
 * bytes of a string (str[0..len)) may be modified in place (they live in
 * the caller's input buffer). Valid until the next json_parse or
 * json_doc_free on its document, and while the input buffer lives. */
typedef struct json_value {
  json_type type;
  /* STRING: the decoded bytes, NUL-terminated (a \u0000 escape gives an
   *         embedded NUL: use len).
   * NUMBER: the number's text as written, NOT NUL-terminated (see
   *         json_number_u64 and friends).
   * Otherwise NULL. */
  char *str;
  /* STRING, NUMBER: the byte length of str. ARRAY: the number of items.
   * OBJECT: the number of members. BOOL: 1 for true, 0 for false. */
  size_t len;
  struct json_value *child; /* ARRAY, OBJECT: the first item or member */
  struct json_value *next;  /* the next item or member of the parent */
  char *key;                /* a member of an object: its decoded name,
                               NUL-terminated (may embed NUL); else NULL */
  size_t key_len;
} json_value;

/* Reader return codes. */
enum json_status {
  JSON_OK = 0,
  JSON_ESYNTAX = -1, /* not a strict JSON document; see json_doc_error */
  JSON_ELIMIT = -2,  /* nesting deeper than max_depth or more nodes than
                        max_nodes */
  JSON_ENOMEM = -3   /* an allocation failed */
};

/* The default and the highest allowed nesting depth. */
#define JSON_DEFAULT_MAX_DEPTH 64
#define JSON_MAX_DEPTH_LIMIT 1024

/* A document: the node storage, reused from one parse to the next, and
 * the last error. Owned by the caller; fields are private except through
 * the functions below. */
typedef struct json_block json_block;
typedef struct json_doc {
  json_block *blocks;   /* private: node storage */
  json_block *current;  /* private: the block being filled */
  size_t nodes;         /* private: nodes used by the last parse */
  size_t max_depth;     /* private */
  size_t max_nodes;     /* private */
  json_value **scratch; /* private: for the duplicate-key check */
  size_t scratch_cap;   /* private */
  size_t error_offset;  /* private */
  char error[160];      /* private */
} json_doc;

/* Set up an empty document: default depth limit, no node limit. Allocates
 * nothing. */
void json_doc_init(json_doc *d);

/* Limits for later parses: max_depth nested arrays/objects (0: the
 * default; values over JSON_MAX_DEPTH_LIMIT are clamped to it) and at most
 * max_nodes values in one document (0: no limit other than the input's
 * length). Memory use is at most about 64 bytes per node. */
void json_doc_set_limits(json_doc *d, size_t max_depth, size_t max_nodes);

/* Parse the len bytes at buf as one JSON document, IN PLACE: strings are
 * unescaped inside buf (buf is modified; it need not be NUL-terminated).
 * The previous document of d is forgotten.
 * Returns:
 *   JSON_OK      *root is the top-level value.
 *   JSON_ESYNTAX not strict JSON; json_doc_error() says what and where.
 *   JSON_ELIMIT  too deep or too many nodes; json_doc_error() says which.
 *   JSON_ENOMEM  out of memory.
 * On failure *root is NULL and buf's contents are unspecified. */
int json_parse(json_doc *d, char *buf, size_t len, json_value **root);

/* The message of the last failed parse ("" after a success), e.g.
 * "invalid escape \q in string at byte 7". */
const char *json_doc_error(const json_doc *d);

/* The byte offset of the last failure (0 after a success). */
size_t json_doc_error_offset(const json_doc *d);

/* Release the document's memory. d may be initialised again afterwards. */
void json_doc_free(json_doc *d);

/* The member of object obj named key (NUL-terminated, or n bytes), or
 * NULL if obj is NULL, not an object, or has no such member. */
json_value *json_get(const json_value *obj, const char *key);
json_value *json_getn(const json_value *obj, const char *key, size_t n);

/* Convert a NUMBER to an integer. Each returns 0 on success, -1 if v is
 * not a number, has a fraction or exponent, or is out of range. */
int json_number_u64(const json_value *v, uint64_t *out);
int json_number_i64(const json_value *v, int64_t *out);
/* Convert a NUMBER to the nearest double with strtod (so LC_NUMERIC must
 * be "C", the default of a program that never calls setlocale). Returns 0,
 * or -1 if v is not a number or memory ran out. Magnitudes beyond double
 * give +-HUGE_VAL. */
int json_number_double(const json_value *v, double *out);

/* "null", "boolean", "number", "string", "array" or "object". */
const char *json_type_name(json_type type);

/* Write the Unicode scalar value cp as UTF-8 at out (room for 4 bytes);
 * returns the number of bytes written (1 to 4). */
size_t utf8_encode(char *out, uint32_t cp);

#ifdef __cplusplus
}
#endif

#endif /* SSESPEC_COMMON_JSON_H */
