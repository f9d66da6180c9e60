/*
 * sse.h - the ssespec reference parser for text/event-stream (C11).
 *
 * A streaming parser for the event-stream format of the WHATWG HTML Standard
 * ("Server-sent events": parsing and interpreting an event stream). Feed it
 * the bytes of one stream in chunks of any size, split anywhere; it decodes
 * UTF-8 (one leading BOM removed, U+FFFD per maximal invalid subpart), splits
 * lines at CRLF, LF or CR, interprets fields and dispatches events through
 * callbacks. The records it produces do not depend on how the input was
 * split.
 *
 * The state is the caller's: a struct sse_parser, set up with one call to
 * sse_parser_init(). The parser allocates only to hold a line that spans
 * chunks and the pending event's buffers, through an allocator the caller
 * may replace, and never holds more than its limit of stream bytes. Nothing
 * is global: parsers on different threads are independent.
 *
 * Text handed to callbacks is valid UTF-8, given as pointer and length (it
 * may contain NUL). It points into the caller's chunk or into the parser's
 * buffers and is valid only during the callback.
 */
#ifndef SSE_H
#define SSE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SSE_VERSION "1.0.0"

/* The default limit on buffered bytes (see sse_parser_set_limit). */
#define SSE_DEFAULT_LIMIT ((size_t)8 << 20)

/* Return codes. Every failure is negative; sse_strerror() names it and
 * sse_parser_error() gives the message of the parser's last failure. */
enum sse_status {
  SSE_OK = 0,
  /* The partial line and the pending event (data, event type, id buffers and
   * last event ID) would exceed the parser's limit. The stream is abandoned:
   * nothing more is dispatched from it. */
  SSE_ELIMIT = -1,
  /* The allocator returned NULL. The stream is abandoned. */
  SSE_ENOMEM = -2,
  /* A callback returned nonzero. Parsing stopped right after that callback;
   * the rest of the chunk was not read. */
  SSE_ECALLBACK = -3,
  /* A NULL pointer was passed with a nonzero length. Nothing was read. */
  SSE_EINVAL = -4
};

/* A dispatched event. */
typedef struct sse_event {
  const char *type; /* the event type buffer, or "message" when it was empty */
  size_t type_len;
  const char *data; /* the data buffer without its one trailing LF */
  size_t data_len;
  const char *last_event_id; /* the last event ID string after this dispatch */
  size_t last_event_id_len;
} sse_event;

/* Callbacks; any may be NULL. Each returns 0 to go on, or nonzero to stop
 * the parser (the feed or finish call then returns SSE_ECALLBACK). */
typedef struct sse_callbacks {
  /* An event was dispatched (an empty line with a non-empty data buffer). */
  int (*on_event)(void *user, const sse_event *event);
  /* A retry field of ASCII digits only set the reconnection time. Values
   * over UINT64_MAX are ignored (the standard leaves them open). */
  int (*on_retry)(void *user, uint64_t ms);
  /* A comment line: text is everything after the colon (a leading space is
   * kept). */
  int (*on_comment)(void *user, const char *text, size_t len);
} sse_callbacks;

/* An allocator: like realloc(ptr, size); size 0 means free ptr and return
 * NULL. ctx is the pointer given to sse_parser_set_allocator. */
typedef void *(*sse_realloc_fn)(void *ctx, void *ptr, size_t size);

/* ---- private: the parser's own state ----
 *
 * struct sse_parser is declared here only so that the caller can own it (a
 * local variable, a member of the caller's struct, static storage: no
 * allocation needed). Everything in it is private: its one member,
 * private_, is read and written by parser/sse.c alone. Do not touch it; use
 * the functions below. Its layout may change in any version. */

/* A scan kernel (see sse_parser_kernel). Private. */
struct sse_kernel;

/* A growable byte buffer. Private. */
typedef struct sse_buf {
  char *ptr;
  size_t len;
  size_t cap;
} sse_buf;

/* The parser's state. Private. */
struct sse_parser_private {
  sse_callbacks cb;
  void *user;
  sse_realloc_fn realloc_fn;
  void *realloc_ctx;
  size_t limit;
  size_t buffered;                 /* bytes held in data (or data_ref), type, id and last_id;
                                      the line being read is counted on top of it */
  size_t peak;                     /* the most bytes ever held at once */
  const struct sse_kernel *kernel; /* the scan kernel, chosen at init */
  sse_buf line;                    /* raw bytes of a line that spans chunks */
  size_t line_valid;               /* leading bytes of line known to be well-formed UTF-8 */
  sse_buf data;                    /* the data buffer, decoded (from data_off on) */
  size_t data_off;                 /* where the data buffer starts in data.ptr */
  sse_buf type;                    /* the event type buffer, decoded */
  sse_buf id;                      /* the last event ID buffer, decoded */
  sse_buf last_id;                 /* the last event ID string, decoded */
  sse_buf scratch;                 /* a comment's text, when it needed U+FFFD replacement */
  const char *data_ref;            /* the data buffer's one value (without its LF), still
                                      in the caller's chunk; NULL when not in use */
  size_t data_ref_len;
  unsigned char bom_len;         /* BOM bytes matched so far at the stream start */
  unsigned char at_start;        /* still checking for a BOM */
  unsigned char after_cr;        /* the last byte seen was a CR ending a line */
  unsigned char id_follows_last; /* the id buffer is (a copy of) last_id: no id field yet */
  unsigned char line_mode;       /* the line being read: open, kept or ignored */
  int status;                    /* SSE_OK, or the failure that abandoned the stream */
  char message[192];             /* the last failure, in words */
};

/* ---- the API ---- */

/* The parser: owned by the caller, set up by sse_parser_init(). Its
 * contents are private (above): use the functions below. */
typedef struct sse_parser {
  struct sse_parser_private private_; /* private: parser/sse.c's alone */
} sse_parser;

/* Set up p for a new stream with the callbacks cb (copied; NULL for none)
 * and user passed to each of them, the default limit, the libc allocator
 * and a scan kernel (see sse_parser_kernel). Allocates nothing. Call
 * sse_parser_free() when done. */
void sse_parser_init(sse_parser *p, const sse_callbacks *cb, void *user);

/* Set the limit on buffered bytes: the partial line plus the pending event
 * (data, event type and id buffers) plus the last event ID string. 0 means
 * SSE_DEFAULT_LIMIT. Takes effect for bytes buffered from now on. */
void sse_parser_set_limit(sse_parser *p, size_t limit);

/* Replace the allocator (NULL for the libc one). Call before the first
 * feed, or after sse_parser_free(). */
void sse_parser_set_allocator(sse_parser *p, sse_realloc_fn fn, void *ctx);

/* Feed the next len bytes of the stream. Callbacks run from inside this
 * call, for every line the bytes complete.
 * Returns:
 *   SSE_OK        all bytes were read; feed the next chunk, or finish.
 *   SSE_ECALLBACK a callback asked to stop; the stream is abandoned.
 *   SSE_ELIMIT    the limit would be exceeded; the stream is abandoned.
 *   SSE_ENOMEM    an allocation failed; the stream is abandoned.
 *   SSE_EINVAL    buf is NULL and len is not 0; nothing was read.
 * Once a stream is abandoned every later feed returns the same code and
 * reads nothing, until sse_parser_finish() or sse_parser_reset(). */
int sse_parser_feed(sse_parser *p, const void *buf, size_t len);

/* End the stream: a partial line and a pending event are discarded (text
 * after the last line ending is not a line; an event without its empty line
 * is not dispatched). The last event ID string keeps its value; read it
 * with sse_parser_last_event_id(). The parser is then ready for a new
 * stream (a reconnection's body: BOM, line, data and event type buffers
 * start afresh; the last event ID string stays, and the new stream's last
 * event ID buffer starts as that string, so an event dispatched before the
 * new stream's first id field keeps the last event ID. This is what
 * browsers and web-platform-tests' format-field-id.htm do; 9.2.6 can be
 * read as starting the buffer empty: see rule C7-id-buffer).
 * Returns SSE_OK, or the code that abandoned the stream (SSE_ELIMIT,
 * SSE_ENOMEM, SSE_ECALLBACK); the parser is ready for a new stream either
 * way. */
int sse_parser_finish(sse_parser *p);

/* The last event ID string: the id buffer as of the last dispatch (an
 * empty line). Stores its length in *len (if len is not NULL). Valid until
 * the next call on p. */
const char *sse_parser_last_event_id(const sse_parser *p, size_t *len);

/* The most bytes the parser has held at once (see sse_parser_set_limit). */
size_t sse_parser_peak_buffered(const sse_parser *p);

/* Forget everything, the last event ID string included, as if just
 * initialised (callbacks, limit and allocator are kept, and so is allocated
 * memory, for reuse). */
void sse_parser_reset(sse_parser *p);

/* Release the parser's memory. p may be initialised again afterwards. */
void sse_parser_free(sse_parser *p);

/* The message of p's last failure, or "" if none. */
const char *sse_parser_error(const sse_parser *p);

/* A short fixed description of a return code. */
const char *sse_strerror(int code);

/* Scan kernels. The parser looks for line ends (CR, LF) and for bytes that
 * are not ASCII with one of these kernels:
 *   "avx2"    x86 with AVX2: 32 bytes per instruction; it also skips text
 *             it has proven to be well-formed UTF-8
 *   "sse2"    x86 with SSE2: 16 bytes per instruction
 *   "scalar"  portable C, eight bytes per step (every platform)
 * A kernel only skips to the next byte that matters; every decision about
 * that byte is made by the same portable code, so which kernel runs changes
 * speed only, never records, return codes, messages or the peak.
 *
 * sse_parser_init picks "avx2" if the CPU (and OS) support it, else "sse2"
 * if supported, else "scalar", unless the environment variable SSESPEC_SCAN
 * names one ("scalar", "sse2", "avx2"; unset or empty: that default). If
 * SSESPEC_SCAN names an unknown kernel, or one this CPU cannot run, the
 * parser still works, with "scalar": a caller that must know compares
 * sse_parser_kernel() with what it asked for, or calls
 * sse_parser_set_kernel() itself and checks its result. */

/* The name of the kernel p uses: "avx2", "sse2" or "scalar". A static
 * string. */
const char *sse_parser_kernel(const sse_parser *p);

/* Make p use the kernel called name ("scalar", "sse2", "avx2"), or the
 * default (as above, without SSESPEC_SCAN) when name is NULL or "". May be
 * called at any time, also between feeds of one stream.
 * Returns:
 *   SSE_OK        p now uses that kernel.
 *   SSE_EINVAL    the name is unknown or this CPU cannot run that kernel;
 *                 p keeps its kernel and sse_parser_error() says which. */
int sse_parser_set_kernel(sse_parser *p, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* SSE_H */
