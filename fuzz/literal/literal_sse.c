/*
 * literal_sse.c - see literal_sse.h. Each block below quotes the step of the
 * standard it implements; the code does exactly that step and nothing more.
 */
#include "literal_sse.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

static void die_oom(void) {
  abort(); /* the fuzzer's inputs are small; running out is a bug here */
}

static void text_clear(lit_text *t) {
  t->len = 0;
}

static void text_append(lit_text *t, uint32_t cp) {
  if (t->len == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    uint32_t *n = realloc(t->cp, cap * sizeof *n);
    if (!n) die_oom();
    t->cp = n;
    t->cap = cap;
  }
  t->cp[t->len++] = cp;
}

static void text_append_range(lit_text *t, const uint32_t *cp, size_t n) {
  for (size_t i = 0; i < n; i++) text_append(t, cp[i]);
}

static void text_set(lit_text *t, const uint32_t *cp, size_t n) {
  text_clear(t);
  text_append_range(t, cp, n);
}

static void text_free(lit_text *t) {
  free(t->cp);
  t->cp = NULL;
  t->len = t->cap = 0;
}

/* Does the code point array equal the ASCII string s? */
static int text_is(const uint32_t *cp, size_t n, const char *s) {
  size_t i = 0;
  for (; i < n; i++) {
    if (s[i] == '\0' || cp[i] != (uint32_t)(unsigned char)s[i]) return 0;
  }
  return s[i] == '\0';
}

/* Encode code points as UTF-8 into the scratch buffer at offset at; returns
 * the offset just past them. (Encoding Standard, "UTF-8 encode".) */
static size_t encode(lit_parser *p, size_t at, const uint32_t *cp, size_t n) {
  size_t need = at + n * 4;
  if (need > p->out_cap) {
    size_t cap = p->out_cap ? p->out_cap : 256;
    while (cap < need) cap *= 2;
    char *o = realloc(p->out, cap);
    if (!o) die_oom();
    p->out = o;
    p->out_cap = cap;
  }
  unsigned char *o = (unsigned char *)p->out;
  for (size_t i = 0; i < n; i++) {
    uint32_t c = cp[i];
    if (c < 0x80) {
      o[at++] = (unsigned char)c;
    } else if (c < 0x800) {
      o[at++] = (unsigned char)(0xC0 | (c >> 6));
      o[at++] = (unsigned char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      o[at++] = (unsigned char)(0xE0 | (c >> 12));
      o[at++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
      o[at++] = (unsigned char)(0x80 | (c & 0x3F));
    } else {
      o[at++] = (unsigned char)(0xF0 | (c >> 18));
      o[at++] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
      o[at++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
      o[at++] = (unsigned char)(0x80 | (c & 0x3F));
    }
  }
  return at;
}

/* ------------------------------------------------------------ HTML 9.2.6 */

#define LF 0x000Au
#define CR 0x000Du
#define SPACE 0x0020u
#define COLON 0x003Au
#define NUL 0x0000u

/* "dispatch the event" (for web browsers). */
static void dispatch_the_event(lit_parser *p) {
  /* 1. Set the last event ID string of the event source to the value of the
   *    last event ID buffer. */
  text_set(&p->last_event_id_string, p->last_event_id_buffer.cp, p->last_event_id_buffer.len);

  /* 2. If the data buffer is an empty string, set the data buffer and the
   *    event type buffer to the empty string and return. */
  if (p->data_buffer.len == 0) {
    text_clear(&p->data_buffer);
    text_clear(&p->event_type_buffer);
    return;
  }

  /* 3. If the data buffer's last character is a U+000A LINE FEED (LF)
   *    character, then remove the last character from the data buffer. */
  if (p->data_buffer.cp[p->data_buffer.len - 1] == LF) p->data_buffer.len--;

  /* 4.-6. The event: type "message", data, lastEventId the last event ID
   *    string; if the event type buffer is not empty, the type is its value. */
  static const uint32_t message[] = {'m', 'e', 's', 's', 'a', 'g', 'e'};
  const uint32_t *type = message;
  size_t type_n = sizeof message / sizeof message[0];
  if (p->event_type_buffer.len != 0) {
    type = p->event_type_buffer.cp;
    type_n = p->event_type_buffer.len;
  }
  size_t t_end = encode(p, 0, type, type_n);
  size_t d_end = encode(p, t_end, p->data_buffer.cp, p->data_buffer.len);
  size_t i_end = encode(p, d_end, p->last_event_id_string.cp, p->last_event_id_string.len);

  /* 7. Set the data buffer and the event type buffer to the empty string. */
  text_clear(&p->data_buffer);
  text_clear(&p->event_type_buffer);

  /* 8. Dispatch the event. */
  if (p->sink.on_event) {
    p->sink.on_event(p->user, p->out, t_end, p->out + t_end, d_end - t_end, p->out + d_end,
                     i_end - d_end);
  }
}

/* "process the field" given a field name and a field value. */
static void process_the_field(lit_parser *p, const uint32_t *name, size_t name_n,
                              const uint32_t *value, size_t value_n) {
  /* Field names must be compared literally, with no case folding. */
  if (text_is(name, name_n, "event")) {
    /* Set the event type buffer to the field value. */
    text_set(&p->event_type_buffer, value, value_n);
  } else if (text_is(name, name_n, "data")) {
    /* Append the field value to the data buffer, then append a single
     * U+000A LINE FEED (LF) character to the data buffer. */
    text_append_range(&p->data_buffer, value, value_n);
    text_append(&p->data_buffer, LF);
  } else if (text_is(name, name_n, "id")) {
    /* If the field value does not contain U+0000 NULL, then set the last
     * event ID buffer to the field value. Otherwise, ignore the field. */
    for (size_t i = 0; i < value_n; i++) {
      if (value[i] == NUL) return;
    }
    text_set(&p->last_event_id_buffer, value, value_n);
  } else if (text_is(name, name_n, "retry")) {
    /* If the field value consists of only ASCII digits, then interpret the
     * field value as an integer in base ten, and set the event stream's
     * reconnection time to that integer. Otherwise, ignore the field.
     * An empty value is not an integer: ignored. A value too large for 64
     * bits is ignored (the standard leaves it open; this is the choice the
     * reference parser documents). */
    if (value_n == 0) return;
    uint64_t n = 0;
    for (size_t i = 0; i < value_n; i++) {
      if (value[i] < '0' || value[i] > '9') return;
    }
    for (size_t i = 0; i < value_n; i++) {
      uint64_t digit = value[i] - '0';
      if (n > (UINT64_MAX - digit) / 10) return;
      n = n * 10 + digit;
    }
    if (p->sink.on_retry) p->sink.on_retry(p->user, n);
  }
  /* Otherwise: the field is ignored. */
}

/* "Lines must be processed, in the order they are received, as follows". */
static void process_the_line(lit_parser *p) {
  const uint32_t *line = p->line.cp;
  size_t n = p->line.len;

  /* If the line is empty (a blank line): dispatch the event. */
  if (n == 0) {
    dispatch_the_event(p);
    return;
  }

  /* If the line starts with a U+003A COLON character (:): ignore the line.
   * (Reported as a comment: the text after the colon.) */
  if (line[0] == COLON) {
    if (p->sink.on_comment) {
      size_t end = encode(p, 0, line + 1, n - 1);
      p->sink.on_comment(p->user, p->out, end);
    }
    return;
  }

  /* If the line contains a U+003A COLON character (:) */
  for (size_t i = 0; i < n; i++) {
    if (line[i] == COLON) {
      /* Collect the characters on the line before the first colon: field.
       * Collect the characters after it: value. If value starts with a
       * U+0020 SPACE character, remove it from value. */
      const uint32_t *value = line + i + 1;
      size_t value_n = n - i - 1;
      if (value_n > 0 && value[0] == SPACE) {
        value++;
        value_n--;
      }
      process_the_field(p, line, i, value, value_n);
      return;
    }
  }

  /* Otherwise: the whole line is the field name, the value is empty. */
  process_the_field(p, line, n, NULL, 0);
}

/* The decoded stream, one code point at a time. "The stream must then be
 * parsed by reading everything line by line, with a CRLF character pair, a
 * single LF not preceded by a CR, and a single CR not followed by an LF being
 * the ways in which a line can end." Whether a CR is followed by an LF is
 * known only at the next code point (or at the end of the stream), so the
 * line a CR ends is processed then. */
static void read_code_point(lit_parser *p, uint32_t c) {
  if (p->pending_cr) {
    p->pending_cr = 0;
    /* The line ended at the CR: by CRLF if c is LF, else by a lone CR. */
    process_the_line(p);
    text_clear(&p->line);
    if (c == LF) return; /* the LF of the CRLF pair */
  }
  if (c == CR) {
    p->pending_cr = 1;
  } else if (c == LF) {
    /* A single LF not preceded by a CR. */
    process_the_line(p);
    text_clear(&p->line);
  } else {
    text_append(&p->line, c);
  }
}

/* ------------------------------------------------------------ Encoding */

/* The UTF-8 decoder's handler for one byte; error mode "replacement": an
 * error emits U+FFFD. */
static void utf8_decoder_byte(lit_parser *p, unsigned char byte) {
  for (;;) { /* the loop only repeats when step 4 restores the byte */
    /* 3. If UTF-8 bytes needed is 0, based on byte: */
    if (p->utf8_bytes_needed == 0) {
      if (byte <= 0x7F) {
        /* 0x00 to 0x7F: return a code point whose value is byte. */
        read_code_point(p, byte);
      } else if (byte >= 0xC2 && byte <= 0xDF) {
        /* 0xC2 to 0xDF: set bytes needed to 1, code point to byte & 0x1F. */
        p->utf8_bytes_needed = 1;
        p->utf8_code_point = byte & 0x1F;
      } else if (byte >= 0xE0 && byte <= 0xEF) {
        /* 0xE0 to 0xEF: if byte is 0xE0, set lower boundary to 0xA0; if
         * byte is 0xED, set upper boundary to 0x9F. Bytes needed 2, code
         * point byte & 0xF. */
        if (byte == 0xE0) p->utf8_lower_boundary = 0xA0;
        if (byte == 0xED) p->utf8_upper_boundary = 0x9F;
        p->utf8_bytes_needed = 2;
        p->utf8_code_point = byte & 0xF;
      } else if (byte >= 0xF0 && byte <= 0xF4) {
        /* 0xF0 to 0xF4: if byte is 0xF0, set lower boundary to 0x90; if
         * byte is 0xF4, set upper boundary to 0x8F. Bytes needed 3, code
         * point byte & 0x7. */
        if (byte == 0xF0) p->utf8_lower_boundary = 0x90;
        if (byte == 0xF4) p->utf8_upper_boundary = 0x8F;
        p->utf8_bytes_needed = 3;
        p->utf8_code_point = byte & 0x7;
      } else {
        /* Otherwise: return error. */
        read_code_point(p, 0xFFFD);
      }
      return; /* return continue */
    }

    /* 4. If byte is not in the range lower boundary to upper boundary,
     *    inclusive, then: set code point, bytes needed and bytes seen to 0,
     *    lower boundary to 0x80 and upper boundary to 0xBF; restore byte to
     *    ioQueue; return error. */
    if (byte < p->utf8_lower_boundary || byte > p->utf8_upper_boundary) {
      p->utf8_code_point = 0;
      p->utf8_bytes_needed = 0;
      p->utf8_bytes_seen = 0;
      p->utf8_lower_boundary = 0x80;
      p->utf8_upper_boundary = 0xBF;
      read_code_point(p, 0xFFFD);
      continue; /* the restored byte is read again */
    }

    /* 5. Set lower boundary to 0x80 and upper boundary to 0xBF. */
    p->utf8_lower_boundary = 0x80;
    p->utf8_upper_boundary = 0xBF;
    /* 6. Set code point to (code point << 6) | (byte & 0x3F). */
    p->utf8_code_point = (p->utf8_code_point << 6) | (byte & 0x3F);
    /* 7. Increase bytes seen by one. */
    p->utf8_bytes_seen++;
    /* 8. If bytes seen is not equal to bytes needed, return continue. */
    if (p->utf8_bytes_seen != p->utf8_bytes_needed) return;
    /* 9.-11. Let cp be code point; set code point, bytes needed and bytes
     *    seen to 0; return a code point whose value is cp. */
    uint32_t cp = p->utf8_code_point;
    p->utf8_code_point = 0;
    p->utf8_bytes_needed = 0;
    p->utf8_bytes_seen = 0;
    read_code_point(p, cp);
    return;
  }
}

/* The UTF-8 decoder's handler for end-of-queue. */
static void utf8_decoder_end(lit_parser *p) {
  /* 1. If byte is end-of-queue and bytes needed is not 0, set bytes needed
   *    to 0 and return error. */
  if (p->utf8_bytes_needed != 0) {
    p->utf8_bytes_needed = 0;
    read_code_point(p, 0xFFFD);
  }
  /* 2. If byte is end-of-queue, return finished. */
}

/* ------------------------------------------------------------ public */

void lit_init(lit_parser *p, const lit_sink *sink, void *user) {
  memset(p, 0, sizeof *p);
  if (sink) p->sink = *sink;
  p->user = user;
  p->out = malloc(256);
  if (!p->out) die_oom();
  p->out_cap = 256;
  /* HTML 9.2.2: a last event ID string, initially the empty string. */
  text_clear(&p->last_event_id_string);
  lit_begin_stream(p);
}

void lit_begin_stream(lit_parser *p) {
  /* UTF-8 decode, step 1: let buffer be an empty byte sequence. */
  p->bom_buffer_len = 0;
  p->bom_checked = 0;
  /* A new UTF-8 decoder: code point 0, bytes seen 0, bytes needed 0, lower
   * boundary 0x80, upper boundary 0xBF. */
  p->utf8_code_point = 0;
  p->utf8_bytes_seen = 0;
  p->utf8_bytes_needed = 0;
  p->utf8_lower_boundary = 0x80;
  p->utf8_upper_boundary = 0xBF;
  /* No line yet. */
  text_clear(&p->line);
  p->pending_cr = 0;
  /* "When a stream is parsed, a data buffer, an event type buffer, and a
   * last event ID buffer must be associated with it. They must be
   * initialized to the empty string." The project reads the last of these
   * as web-platform-tests (format-field-id.htm) and browsers do: a new
   * stream's last event ID buffer starts as the last event ID string (rule
   * C7-id-buffer, an open point). For the first stream both are empty. */
  text_clear(&p->data_buffer);
  text_clear(&p->event_type_buffer);
  text_set(&p->last_event_id_buffer, p->last_event_id_string.cp, p->last_event_id_string.len);
}

void lit_reset(lit_parser *p) {
  text_clear(&p->last_event_id_string);
  lit_begin_stream(p);
}

void lit_byte(lit_parser *p, unsigned char byte) {
  if (!p->bom_checked) {
    /* UTF-8 decode, step 2: read three bytes from ioQueue into buffer. */
    p->bom_buffer[p->bom_buffer_len++] = byte;
    if (p->bom_buffer_len < 3) return;
    p->bom_checked = 1;
    /* Step 3: if buffer does not match 0xEF 0xBB 0xBF, prepend buffer to
     * ioQueue (so the decoder reads those bytes first). */
    if (!(p->bom_buffer[0] == 0xEF && p->bom_buffer[1] == 0xBB && p->bom_buffer[2] == 0xBF)) {
      for (size_t i = 0; i < 3; i++) utf8_decoder_byte(p, p->bom_buffer[i]);
    }
    return;
  }
  /* Step 4: process the queue with the UTF-8 decoder. */
  utf8_decoder_byte(p, byte);
}

void lit_end_stream(lit_parser *p) {
  if (!p->bom_checked) {
    /* Fewer than three bytes in the whole stream: they cannot be a BOM and
     * go to the decoder. */
    p->bom_checked = 1;
    for (size_t i = 0; i < p->bom_buffer_len; i++) utf8_decoder_byte(p, p->bom_buffer[i]);
  }
  utf8_decoder_end(p);
  /* A CR as the very last code point is "a single CR not followed by an LF":
   * it ends its line. */
  if (p->pending_cr) {
    p->pending_cr = 0;
    process_the_line(p);
  }
  /* "Once the end of the file is reached, any pending data must be
   * discarded": the unterminated line and the pending event. */
  text_clear(&p->line);
  text_clear(&p->data_buffer);
  text_clear(&p->event_type_buffer);
}

const char *lit_last_event_id(lit_parser *p, size_t *len) {
  size_t end = encode(p, 0, p->last_event_id_string.cp, p->last_event_id_string.len);
  if (len) *len = end;
  return p->out;
}

void lit_free(lit_parser *p) {
  text_free(&p->line);
  text_free(&p->data_buffer);
  text_free(&p->event_type_buffer);
  text_free(&p->last_event_id_buffer);
  text_free(&p->last_event_id_string);
  free(p->out);
  p->out = NULL;
  p->out_cap = 0;
}
