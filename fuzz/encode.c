/*
 * encode.c - fuzz target `encode`: the reference encoder
 * (encoder/sse_encode.h) on messages built from the input, checked against
 * the reference parser and a second reading of its rules.
 *
 * The input is a list of messages (docs/fuzzing.md), each a control byte
 * and its values:
 *
 *   control  bits 0-1: kind (0 and 3 an event, 1 a comment, 2 a retry
 *            alone); for an event, bit 2: an event type follows, bit 3: an
 *            id follows, bit 4: a retry follows, bit 5: an empty data value
 *            is given as NULL
 *   value    a length byte L (0-254: L bytes; 255: the next two bytes,
 *            big endian, are the length) and then that many bytes (fewer
 *            if the input ends first)
 *   retry    a byte R: 0xFE is UINT64_MAX; 0xFF: the next eight bytes,
 *            little endian; any other R is R itself
 *
 * An event's values come in the order event type, id, retry, data. At most
 * MAX_MESSAGES messages are read; missing bytes read as 0.
 *
 * For every message, findings (each an abort() with "==== finding:
 * encode: ..." and the messages):
 *   - sse_encoded_size and sse_encode with a NULL error disagree with each
 *     other, or with a buffer of exactly the size, or on the code;
 *   - a refusal for any reason but the documented ones, found here
 *     independently with fuzz_common's UTF-8 check: the first byte at fault
 *     of the first field at fault (event type, id, data, comment: CR or LF
 *     in an event type or id, NUL in an id, where a value stops being
 *     well-formed UTF-8), with its field, reason and offset, and a message
 *     that names the field; or an acceptance when there is such a byte;
 *   - a write past the size (the buffer is a heap block of exactly that
 *     size, so ASan sees it), a buffer one byte short or of no bytes not
 *     refused with SSE_ENC_ESPACE and the size, or written to;
 * and for the stream of all accepted messages: the reference parser, fed it
 *   whole, does not give back exactly the messages (events with their type,
 *   data and last event ID, retry times, each line of a comment; the CR and
 *   CRLF of data and comments read as LF).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoder/sse_encode.h"
#include "fuzz_common.h"

#define MAX_MESSAGES 256

typedef struct fz_msg {
  sse_message m;
  int expect_rc; /* what the independent check says */
  sse_encode_field expect_field;
  sse_encode_reason expect_reason;
  size_t expect_offset;
} fz_msg;

static fz_msg g_msgs[MAX_MESSAGES];
static size_t g_nmsgs;
static const uint8_t *g_data;
static size_t g_size;

/* ---- reading the input ---- */

typedef struct reader {
  const uint8_t *p;
  size_t n;
} reader;

FZ_NOCOV static uint8_t take_byte(reader *r) {
  if (!r->n) return 0;
  r->n--;
  return *r->p++;
}

FZ_NOCOV static const char *take_value(reader *r, size_t *len) {
  size_t n = take_byte(r);
  if (n == 255) {
    n = (size_t)take_byte(r) << 8;
    n |= take_byte(r);
  }
  if (n > r->n) n = r->n;
  const char *v = (const char *)r->p;
  r->p += n;
  r->n -= n;
  *len = n;
  return v;
}

FZ_NOCOV static uint64_t take_retry(reader *r) {
  uint8_t sel = take_byte(r);
  if (sel == 0xFE) return UINT64_MAX;
  if (sel != 0xFF) return sel;
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)take_byte(r) << (8 * i);
  return v;
}

FZ_NOCOV static void read_messages(const uint8_t *data, size_t size) {
  reader r = {data, size};
  g_nmsgs = 0;
  while (r.n && g_nmsgs < MAX_MESSAGES) {
    uint8_t c = take_byte(&r);
    sse_message *m = &g_msgs[g_nmsgs++].m;
    memset(m, 0, sizeof *m);
    switch (c & 3) {
    case 1:
      m->kind = SSE_MSG_COMMENT;
      m->comment = take_value(&r, &m->comment_len);
      break;
    case 2:
      m->kind = SSE_MSG_RETRY;
      m->retry = take_retry(&r);
      break;
    default:
      m->kind = SSE_MSG_EVENT;
      if (c & 4) m->event = take_value(&r, &m->event_len);
      if (c & 8) m->id = take_value(&r, &m->id_len);
      if (c & 16) {
        m->has_retry = 1;
        m->retry = take_retry(&r);
      }
      m->data = take_value(&r, &m->data_len);
      if ((c & 32) && m->data_len == 0) m->data = NULL;
      break;
    }
  }
}

/* ---- printing ---- */

FZ_NOCOV static void print_value(const char *name, const char *v, size_t n) {
  fprintf(stderr, " %s=", name);
  if (!v) {
    fprintf(stderr, "NULL");
    return;
  }
  fz_print_long(stderr, v, n);
}

FZ_NOCOV static void print_messages(void) {
  fprintf(stderr, "\n%zu messages:\n", g_nmsgs);
  for (size_t i = 0; i < g_nmsgs; i++) {
    const sse_message *m = &g_msgs[i].m;
    fprintf(stderr, "  [%zu]", i);
    switch (m->kind) {
    case SSE_MSG_COMMENT:
      print_value("comment", m->comment, m->comment_len);
      break;
    case SSE_MSG_RETRY:
      fprintf(stderr, " retry=%llu", (unsigned long long)m->retry);
      break;
    default:
      if (m->event) print_value("event", m->event, m->event_len);
      if (m->id) print_value("id", m->id, m->id_len);
      if (m->has_retry) fprintf(stderr, " retry=%llu", (unsigned long long)m->retry);
      print_value("data", m->data, m->data_len);
      break;
    }
    fprintf(stderr, "\n");
  }
}

FZ_NOCOV static void finding(size_t i, const char *what, const sse_encode_error *err) {
  print_messages();
  if (err)
    fprintf(stderr, "message [%zu]: code %d field %d reason %d offset %zu: %s\n", i, err->code,
            (int)err->field, (int)err->reason, err->offset, err->message);
  fz_finding(what, g_data, g_size);
}

/* ---- the rules, read again ---- */

/* The first byte at fault in v[0..n): a CR or LF (breaks), a NUL (nul), or
 * the start of something that is not a well-formed UTF-8 character (the
 * shortest prefix at i that fz_utf8_valid accepts is the character at i;
 * none of 1 to 4 bytes: a fault). Returns n if none, with *why. */
FZ_NOCOV static size_t fault(const char *v, size_t n, int breaks, int nul, sse_encode_reason *why) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)v[i];
    if (breaks && (c == '\r' || c == '\n')) {
      *why = SSE_REASON_LINE_BREAK;
      return i;
    }
    if (nul && c == 0) {
      *why = SSE_REASON_NUL;
      return i;
    }
    size_t l = 1;
    while (l <= 4 && i + l <= n && !fz_utf8_valid(v + i, l)) l++;
    if (l > 4 || i + l > n) {
      *why = SSE_REASON_UTF8;
      return i;
    }
    i += l;
  }
  *why = SSE_REASON_NONE;
  return n;
}

FZ_NOCOV static void expect(fz_msg *f) {
  const sse_message *m = &f->m;
  struct {
    sse_encode_field field;
    const char *v;
    size_t n;
    int present, breaks, nul;
  } order[] = {
      {SSE_FIELD_EVENT, m->event, m->event_len, m->kind == SSE_MSG_EVENT, 1, 0},
      {SSE_FIELD_ID, m->id, m->id_len, m->kind == SSE_MSG_EVENT && m->id != NULL, 1, 1},
      {SSE_FIELD_DATA, m->data, m->data_len, m->kind == SSE_MSG_EVENT, 0, 0},
      {SSE_FIELD_COMMENT, m->comment, m->comment_len, m->kind == SSE_MSG_COMMENT, 0, 0},
  };
  f->expect_rc = SSE_ENC_OK;
  f->expect_field = SSE_FIELD_NONE;
  f->expect_reason = SSE_REASON_NONE;
  f->expect_offset = 0;
  for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
    sse_encode_reason why;
    if (!order[k].present) continue;
    size_t at = fault(order[k].v, order[k].n, order[k].breaks, order[k].nul, &why);
    if (why != SSE_REASON_NONE) {
      f->expect_rc = SSE_ENC_EREFUSED;
      f->expect_field = order[k].field;
      f->expect_reason = why;
      f->expect_offset = at;
      return;
    }
  }
}

/* ---- the model: what the parser must read back ---- */

static fz_rec g_want, g_got;
static char *g_norm;
static size_t g_norm_cap;
static char g_last_id[70000]; /* an id is at most 65535 bytes (the input's value length) */
static size_t g_last_id_len;

/* v with every CRLF and lone CR made LF, in g_norm; returns its length. */
FZ_NOCOV static size_t normalize(const char *v, size_t n) {
  if (n > g_norm_cap) {
    g_norm = realloc(g_norm, n);
    if (!g_norm) abort();
    g_norm_cap = n;
  }
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i] == '\r') {
      g_norm[o++] = '\n';
      if (i + 1 < n && v[i + 1] == '\n') i++;
    } else {
      g_norm[o++] = v[i];
    }
  }
  return o;
}

FZ_NOCOV static void model(const sse_message *m) {
  size_t n;
  switch (m->kind) {
  case SSE_MSG_EVENT:
    if (m->id) {
      memcpy(g_last_id, m->id, m->id_len);
      g_last_id_len = m->id_len;
    }
    if (m->has_retry) fz_rec_retry(&g_want, m->retry);
    n = normalize(m->data, m->data_len);
    if (m->event_len)
      fz_rec_event(&g_want, m->event, m->event_len, g_norm, n, g_last_id, g_last_id_len);
    else
      fz_rec_event(&g_want, "message", 7, g_norm, n, g_last_id, g_last_id_len);
    break;
  case SSE_MSG_COMMENT: {
    n = normalize(m->comment, m->comment_len);
    size_t start = 0;
    for (size_t k = 0; k <= n; k++) {
      if (k == n || g_norm[k] == '\n') {
        fz_rec_comment(&g_want, g_norm ? g_norm + start : "", k - start);
        start = k + 1;
      }
    }
    break;
  }
  case SSE_MSG_RETRY:
    fz_rec_retry(&g_want, m->retry);
    break;
  }
}

/* ---- the run ---- */

static unsigned char *g_stream;
static size_t g_stream_len, g_stream_cap;
static fz_arena g_arena;

FZ_NOCOV static void check_message(size_t i) {
  fz_msg *f = &g_msgs[i];
  const sse_message *m = &f->m;
  sse_encode_error err;
  size_t size = 7, len = 7, size2 = 7;
  int rc = sse_encoded_size(m, &size, &err);
  expect(f);
  if (sse_encoded_size(m, &size2, NULL) != rc || size2 != size)
    finding(i, "encode: sse_encoded_size without an error struct gives another answer", &err);
  if (rc != f->expect_rc) {
    fprintf(stderr, "expected code %d (field %d reason %d offset %zu), got %d\n", f->expect_rc,
            (int)f->expect_field, (int)f->expect_reason, f->expect_offset, rc);
    finding(i,
            rc == SSE_ENC_OK ? "encode: a message the format cannot carry was accepted"
                             : "encode: a message was refused without a documented reason",
            &err);
  }
  if (err.code != rc) finding(i, "encode: err.code is not the return code", &err);
  if (rc == SSE_ENC_EREFUSED) {
    if (err.field != f->expect_field || err.reason != f->expect_reason ||
        err.offset != f->expect_offset) {
      fprintf(stderr, "expected field %d reason %d offset %zu\n", (int)f->expect_field,
              (int)f->expect_reason, f->expect_offset);
      finding(i, "encode: a refusal names another field, reason or byte", &err);
    }
    const char *label =
        err.field == SSE_FIELD_EVENT ? "event type" : sse_encode_field_name(err.field);
    if (strncmp(err.message, label, strlen(label)) != 0 || !strstr(err.message, "at byte"))
      finding(i, "encode: a refusal's message does not name the field and the byte", &err);
    if (size != 0) finding(i, "encode: a refusal left a size", &err);
    if (sse_encode(m, NULL, 0, &len, NULL) != rc || len != 0)
      finding(i, "encode: sse_encode does not refuse what sse_encoded_size refuses", &err);
    return;
  }
  if (err.message[0] != '\0') finding(i, "encode: a success left an error message", &err);
  if (size == 0) finding(i, "encode: an encoding of no bytes", &err);

  /* too small: nothing written, the size given back */
  unsigned char *buf = malloc(size);
  if (!buf) abort();
  memset(buf, 0xA5, size);
  if (sse_encode(m, buf, size - 1, &len, &err) != SSE_ENC_ESPACE || len != size ||
      err.needed != size || err.code != SSE_ENC_ESPACE)
    finding(i, "encode: a buffer one byte short is not SSE_ENC_ESPACE with the size", &err);
  for (size_t k = 0; k < size; k++)
    if (buf[k] != 0xA5) finding(i, "encode: a buffer too small was written to", &err);
  if (sse_encode(m, NULL, 0, &len, NULL) != SSE_ENC_ESPACE || len != size)
    finding(i, "encode: asking for the size with no buffer does not give it", &err);
  /* exactly the size: a write past it is outside the heap block */
  if (sse_encode(m, buf, size, &len, &err) != SSE_ENC_OK || len != size)
    finding(i, "encode: a buffer of exactly sse_encoded_size() bytes is not enough", &err);
  if (g_stream_len + size > g_stream_cap) {
    g_stream_cap = 2 * (g_stream_len + size);
    g_stream = realloc(g_stream, g_stream_cap);
    if (!g_stream) abort();
  }
  memcpy(g_stream + g_stream_len, buf, size);
  g_stream_len += size;
  free(buf);
  model(m);
}

FZ_NOCOV int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  g_data = data;
  g_size = size;
  read_messages(data, size);
  fz_rec_clear(&g_want);
  fz_rec_clear(&g_got);
  g_stream_len = 0;
  g_last_id_len = 0;
  for (size_t i = 0; i < g_nmsgs; i++) check_message(i);
  fz_rec_end(&g_want, SSE_OK, g_last_id, g_last_id_len);

  sse_parser p;
  sse_parser_init(&p, &fz_record_callbacks, &g_got);
  const unsigned char *at = fz_arena_put(&g_arena, g_stream, g_stream_len);
  int rc = sse_parser_feed(&p, at, g_stream_len);
  fz_arena_release(&g_arena);
  int frc = sse_parser_finish(&p);
  size_t il;
  const char *id = sse_parser_last_event_id(&p, &il);
  fz_rec_end(&g_got, rc != SSE_OK ? rc : frc, id, il);
  sse_parser_free(&p);
  if (!fz_rec_equal(&g_want, &g_got)) {
    print_messages();
    fprintf(stderr, "the stream (%zu bytes): ", g_stream_len);
    fz_print_long(stderr, g_stream, g_stream_len);
    fprintf(stderr, "\n");
    fz_mismatch("encode: the reference parser does not read the messages back", data, size,
                "the messages", &g_want, "the reference parser", &g_got);
  }
  return 0;
}
