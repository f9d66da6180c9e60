/*
 * http_response.c - fuzz target `http_response`: the reference client's
 * HTTP/1.x response parser (client/http_response.h: hr_init, hr_step,
 * hr_eof; library ssespec_http_response): interim heads, the final head, and the
 * body decoded from chunked, Content-Length or close-delimited framing.
 *
 * The response is fed whole, in the fuzzer's chunks, and one byte per
 * feed; each chunk sits at the end of a heap block of its own (the common
 * chunk arena), so a read past it, or of it after hr_step returned, is seen
 * by ASan. The three runs must give the same outcome: the final head (status,
 * reason, fields, framing, Content-Length, interim count, MIME type), the
 * body bytes, where the response ended (the bytes read before HR_DONE), the
 * failure code and message, and what hr_eof() says. Findings:
 *
 * - any sanitizer report, a leak;
 * - an outcome that depends on the split;
 * - hr_step breaking its contract: *used over the length, HR_AGAIN without
 *   reading everything, an HR_BODY span that is empty or not the last bytes
 *   read of the caller's buffer, a body before the head or after the end,
 *   data set for another code, two heads, hr_get_head() before HR_HEAD, a
 *   failure that is not sticky or has no message, HR_DONE that reads or
 *   stops being HR_DONE, hr_eof() giving anything but HR_DONE or
 *   HR_ETRUNCATED (or the sticky failure);
 * - a head that breaks http_response.h: version 1.x, status 100-999 and
 *   not an interim one, a reason with control characters, a field name that
 *   is not a token, a value with CR, LF or NUL or surrounding whitespace,
 *   more than HR_MAX_FIELDS fields, a framing that does not follow from the
 *   status and the fields, a MIME type that is not two tokens;
 * - a body that does not fit its framing: none for 1xx/204/304, exactly
 *   Content-Length bytes, every byte after the head for a close-delimited
 *   one;
 * - the head buffer growing beyond the head limit.
 *
 * Header bytes (docs/fuzzing.md): flags bits 0-1 choose the head limit
 * (0 the default, 64 KiB; 1 64 + L % 4033; 2 1 + L % 64; 3 L, 0 meaning the
 * default); bit 3: after the response, hr_reset() and the same bytes again
 * in the same chunks, which must give the same outcome. The chunk lengths
 * are the fuzzer's split.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "http_response.h"

#define MAX_FEEDS 64

typedef struct bbuf {
  unsigned char *p;
  size_t len, cap;
} bbuf;

/* One run's outcome: a log of what happened and the body bytes. */
typedef struct outcome {
  bbuf log;
  bbuf body;
} outcome;

enum plan_kind { PLAN_WHOLE, PLAN_CHUNKS, PLAN_BYTES };

static const uint8_t *g_data;
static size_t g_size;
static fz_arena g_arena;
static outcome g_out[4];
static const char *const k_plan_names[] = {"whole", "the fuzzer's chunks", "one byte per feed",
                                           "after hr_reset"};

FZ_NOCOV static void print_input(void) {
  fz_input in;
  fz_input_parse(&in, g_data, g_size);
  fprintf(stderr, "input (%zu bytes): flags=0x%02X limit_param=%u chunk lengths=[", g_size,
          in.flags, in.limit_param);
  for (size_t i = 0; i < in.nlens; i++) fprintf(stderr, "%s%u", i ? "," : "", in.lens[i]);
  fputs("]\nstream: ", stderr);
  fz_print_long(stderr, in.stream, in.len);
  fputc('\n', stderr);
}

FZ_NOCOV static void finding(const char *what, const char *plan) {
  fprintf(stderr, "\n==== finding: http_response: %s%s%s\n", what, plan ? " (fed " : "",
          plan ? plan : "");
  if (plan) fputs(")\n", stderr);
  print_input();
  fflush(stderr);
  abort();
}

/* ------------------------------------------------------------ the log */

FZ_NOCOV static void b_add(bbuf *b, const void *s, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n) cap *= 2;
    unsigned char *q = realloc(b->p, cap);
    if (!q) abort();
    b->p = q;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->len, s, n);
  b->len += n;
}

FZ_NOCOV static void b_u64(bbuf *b, uint64_t v) {
  b_add(b, &v, sizeof v);
}

FZ_NOCOV static void b_span(bbuf *b, const char *s, size_t n) {
  b_u64(b, n);
  b_add(b, s, n);
}

/* Print a log as text, one entry a line. */
FZ_NOCOV static void print_outcome(const char *name, const outcome *o) {
  fprintf(stderr, "---- %s:\n", name);
  const unsigned char *p = o->log.p, *end = o->log.p + o->log.len;
  uint64_t v;
#define U64() (memcpy(&v, p, sizeof v), p += sizeof v, v)
  while (p < end) {
    int kind = *p++;
    switch (kind) {
    case 'H': {
      uint64_t minor = U64(), status = U64();
      fprintf(stderr, "head: HTTP/1.%llu %llu reason ", (unsigned long long)minor,
              (unsigned long long)status);
      uint64_t n = U64();
      fz_print_bytes(stderr, p, n);
      p += n;
      uint64_t fields = U64();
      fputc('\n', stderr);
      for (uint64_t i = 0; i < fields; i++) {
        fputs("  field ", stderr);
        n = U64();
        fz_print_bytes(stderr, p, n);
        p += n;
        fputs(": ", stderr);
        n = U64();
        fz_print_bytes(stderr, p, n);
        p += n;
        fputc('\n', stderr);
      }
      uint64_t framing = U64(), cl = U64(), interim = U64(), mime = U64();
      fprintf(stderr, "  framing %llu content_length %llu interim %llu mime %llu",
              (unsigned long long)framing, (unsigned long long)cl, (unsigned long long)interim,
              (unsigned long long)mime);
      if (mime) {
        for (int k = 0; k < 2; k++) {
          n = U64();
          fputc(' ', stderr);
          fz_print_bytes(stderr, p, n);
          p += n;
        }
      }
      fprintf(stderr, " event-stream %llu\n", (unsigned long long)U64());
      break;
    }
    case 'D':
      fprintf(stderr, "done after %llu bytes\n", (unsigned long long)U64());
      break;
    case 'E':
    case 'F': {
      uint64_t code = U64(), n = U64();
      fprintf(stderr, "%s %d (%s): ", kind == 'E' ? "failure" : "hr_eof", (int)(int64_t)code,
              hr_strerror((int)(int64_t)code));
      fz_print_bytes(stderr, p, n);
      p += n;
      fputc('\n', stderr);
      break;
    }
    default:
      fprintf(stderr, "(corrupt log)\n");
      return;
    }
  }
#undef U64
  fprintf(stderr, "body (%zu bytes): ", o->body.len);
  fz_print_bytes(stderr, o->body.p, o->body.len > 512 ? 512 : o->body.len);
  fputs(o->body.len > 512 ? " ...\n" : "\n", stderr);
}

/* ------------------------------------------------------------ checks */

static int tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
  return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int ieq(const char *a, size_t n, const char *lit) {
  size_t m = strlen(lit);
  if (n != m) return 0;
  for (size_t i = 0; i < n; i++) {
    int x = (unsigned char)a[i], y = (unsigned char)lit[i];
    if (x >= 'A' && x <= 'Z') x += 32;
    if (y >= 'A' && y <= 'Z') y += 32;
    if (x != y) return 0;
  }
  return 1;
}

static int within(const hr_parser *p, const char *s, size_t n) {
  return s >= p->buf && s <= p->buf + p->len && n <= (size_t)(p->buf + p->len - s);
}

/* Check the final head and append it to the log. */
FZ_NOCOV static void check_head(const hr_parser *p, const hr_head *h, outcome *o,
                                const char *plan) {
  if (h->version_major != 1 || h->version_minor < 0 || h->version_minor > 9)
    finding("a version other than 1.x", plan);
  if (h->status < 100 || h->status > 999) finding("a status outside 100-999", plan);
  if (h->status >= 100 && h->status < 200 && h->status != 101)
    finding("an interim status as the final head", plan);
  if (h->reason.len && !within(p, h->reason.ptr, h->reason.len))
    finding("the reason outside the head buffer", plan);
  for (size_t i = 0; i < h->reason.len; i++) {
    unsigned char c = (unsigned char)h->reason.ptr[i];
    if ((c < 0x20 && c != '\t') || c == 0x7F) finding("a control character in the reason", plan);
  }
  if (h->field_count > HR_MAX_FIELDS) finding("more than HR_MAX_FIELDS fields", plan);
  int te = 0, cl = 0;
  uint64_t clv = 0;
  int cl_digits = 1;
  for (size_t i = 0; i < h->field_count; i++) {
    const hr_field *f = &h->fields[i];
    if (f->name.len == 0) finding("an empty field name", plan);
    if (!within(p, f->name.ptr, f->name.len) ||
        (f->value.len && !within(p, f->value.ptr, f->value.len)))
      finding("a field outside the head buffer", plan);
    for (size_t k = 0; k < f->name.len; k++)
      if (!tchar((unsigned char)f->name.ptr[k])) finding("a field name that is not a token", plan);
    for (size_t k = 0; k < f->value.len; k++) {
      char c = f->value.ptr[k];
      if (c == '\r' || c == '\n' || c == '\0') finding("CR, LF or NUL in a field value", plan);
    }
    if (f->value.len &&
        (f->value.ptr[0] == ' ' || f->value.ptr[0] == '\t' ||
         f->value.ptr[f->value.len - 1] == ' ' || f->value.ptr[f->value.len - 1] == '\t'))
      finding("a field value with surrounding whitespace", plan);
    if (ieq(f->name.ptr, f->name.len, "transfer-encoding")) te = 1;
    if (ieq(f->name.ptr, f->name.len, "content-length") && !cl) {
      cl = 1;
      /* the first element: digits up to a comma, blanks around */
      size_t a = 0, z = 0;
      while (z < f->value.len && f->value.ptr[z] != ',') z++;
      while (a < z && (f->value.ptr[a] == ' ' || f->value.ptr[a] == '\t')) a++;
      while (z > a && (f->value.ptr[z - 1] == ' ' || f->value.ptr[z - 1] == '\t')) z--;
      for (size_t k = a; k < z && cl_digits; k++) {
        if (f->value.ptr[k] < '0' || f->value.ptr[k] > '9' || clv > UINT64_MAX / 10 - 1)
          cl_digits = 0;
        else
          clv = clv * 10 + (uint64_t)(f->value.ptr[k] - '0');
      }
      if (z == a) cl_digits = 0;
    }
  }
  int no_body = (h->status >= 100 && h->status < 200) || h->status == 204 || h->status == 304;
  hr_framing want = no_body ? HR_FRAMING_NONE
                    : te    ? HR_FRAMING_CHUNKED
                    : cl    ? HR_FRAMING_LENGTH
                            : HR_FRAMING_CLOSE;
  if (h->framing != want)
    finding("a framing that does not follow from the status and fields", plan);
  if (want == HR_FRAMING_CHUNKED && h->version_minor == 0)
    finding("chunked framing in an HTTP/1.0 response", plan);
  if (want == HR_FRAMING_LENGTH && cl_digits && h->content_length != clv)
    finding("content_length is not the Content-Length value", plan);
  if (p->cap > p->head_limit) finding("the head buffer grew beyond the head limit", plan);
  if (p->fields_cap > 2 * HR_MAX_FIELDS)
    finding("the field table grew beyond 2 * HR_MAX_FIELDS", plan);

  hr_span t = {NULL, 0}, st = {NULL, 0};
  int mime = hr_mime_type(h, &t, &st);
  if (mime) {
    if (!t.len || !st.len || !within(p, t.ptr, t.len) || !within(p, st.ptr, st.len))
      finding("hr_mime_type: an empty type or subtype, or one outside the head", plan);
    for (size_t k = 0; k < t.len; k++)
      if (!tchar((unsigned char)t.ptr[k]))
        finding("hr_mime_type: a type that is not a token", plan);
    for (size_t k = 0; k < st.len; k++)
      if (!tchar((unsigned char)st.ptr[k]))
        finding("hr_mime_type: a subtype that is not a token", plan);
  }
  int es = hr_mime_essence_is(h, "text/event-stream");
  if (es != (mime && ieq(t.ptr, t.len, "text") && ieq(st.ptr, st.len, "event-stream")))
    finding("hr_mime_essence_is disagrees with hr_mime_type", plan);

  bbuf *b = &o->log;
  b_add(b, "H", 1);
  b_u64(b, (uint64_t)h->version_minor);
  b_u64(b, (uint64_t)h->status);
  b_span(b, h->reason.ptr, h->reason.len);
  b_u64(b, h->field_count);
  for (size_t i = 0; i < h->field_count; i++) {
    b_span(b, h->fields[i].name.ptr, h->fields[i].name.len);
    b_span(b, h->fields[i].value.ptr, h->fields[i].value.len);
  }
  b_u64(b, (uint64_t)h->framing);
  b_u64(b, h->framing == HR_FRAMING_LENGTH ? h->content_length : 0);
  b_u64(b, h->interim);
  b_u64(b, (uint64_t)mime);
  if (mime) {
    b_span(b, t.ptr, t.len);
    b_span(b, st.ptr, st.len);
  }
  b_u64(b, (uint64_t)es);
}

FZ_NOCOV static void log_code(outcome *o, int kind, int code, const char *msg) {
  char k = (char)kind;
  b_add(&o->log, &k, 1);
  b_u64(&o->log, (uint64_t)(int64_t)code);
  b_span(&o->log, msg, strlen(msg));
}

/* ------------------------------------------------------------ one run */

/* Feed s[0..len) to p (initialised or reset) by the plan; log into o. */
FZ_NOCOV static void run(hr_parser *p, const fz_input *in, enum plan_kind kind, outcome *o,
                         const char *plan) {
  const uint8_t *s = in->stream;
  size_t len = in->len;
  o->log.len = 0;
  o->body.len = 0;
  fz_chunks ch;
  if (kind == PLAN_WHOLE)
    fz_chunks_init(&ch, NULL, 0, len, 0);
  else if (kind == PLAN_CHUNKS)
    fz_chunks_init(&ch, in->lens, in->nlens, len, MAX_FEEDS);
  size_t consumed = 0, head_end = 0, off = 0, n = 0, next_byte = 0;
  const hr_head *head = NULL;
  int ended = 0; /* HR_DONE or a failure */
  for (;;) {
    if (kind == PLAN_BYTES) {
      if (next_byte > len || (next_byte == len && len != 0)) break;
      off = next_byte;
      n = len ? 1 : 0;
      next_byte++;
    } else if (!fz_chunks_next(&ch, &off, &n)) {
      break;
    }
    const unsigned char *c = fz_arena_put(&g_arena, s + off, n);
    size_t pos = 0;
    while (!ended) {
      size_t used = (size_t)-1;
      const char *d = (const char *)c; /* must be overwritten */
      size_t dn = (size_t)-1;
      int rc = hr_step(p, c + pos, n - pos, &used, &d, &dn);
      if (used > n - pos) finding("hr_step: *used is over the length", plan);
      if (rc == HR_BODY) {
        if (!head) finding("a body before the head", plan);
        if (dn == 0 || d < (const char *)c + pos || d + dn != (const char *)c + pos + used)
          finding("an HR_BODY span that is not the last bytes read", plan);
        b_add(&o->body, d, dn);
      } else if (d != NULL || dn != 0) {
        finding("hr_step: data set for a code other than HR_BODY", plan);
      }
      pos += used;
      consumed += used;
      if (rc == HR_AGAIN) {
        if (pos != n) finding("HR_AGAIN without reading everything", plan);
        if (!head && hr_get_head(p)) finding("hr_get_head() before HR_HEAD", plan);
        break;
      }
      if (rc == HR_HEAD) {
        if (head) finding("a second HR_HEAD", plan);
        head = hr_get_head(p);
        if (!head) finding("HR_HEAD but hr_get_head() is NULL", plan);
        head_end = consumed;
        check_head(p, head, o, plan);
        continue;
      }
      if (rc == HR_BODY) continue;
      if (rc == HR_DONE) {
        if (!head) finding("HR_DONE before the head", plan);
        if (head->framing == HR_FRAMING_CLOSE)
          finding("HR_DONE for a close-delimited body before hr_eof", plan);
        if (head->framing == HR_FRAMING_NONE && (o->body.len || consumed != head_end))
          finding("a body for a response that has none", plan);
        if (head->framing == HR_FRAMING_LENGTH && o->body.len != head->content_length)
          finding("a body that is not Content-Length bytes", plan);
        b_add(&o->log, "D", 1);
        b_u64(&o->log, consumed);
        size_t u2 = 7;
        if (hr_step(p, c + pos, n - pos, &u2, &d, &dn) != HR_DONE || u2 != 0)
          finding("HR_DONE is not lasting", plan);
        if (hr_step(p, NULL, 0, &u2, NULL, NULL) != HR_DONE || hr_eof(p) != HR_DONE)
          finding("HR_DONE is not lasting (len 0, hr_eof)", plan);
        ended = 1;
        break;
      }
      if (rc < 0 && rc >= HR_EINVAL) {
        const char *msg = hr_error(p);
        if (!msg || !*msg) finding("a failure without a message", plan);
        log_code(o, 'E', rc, msg);
        size_t u2 = 7;
        if (hr_step(p, c + pos, n - pos, &u2, &d, &dn) != rc || u2 != 0 || hr_eof(p) != rc)
          finding("a failure that is not sticky", plan);
        ended = 1;
        break;
      }
      finding("hr_step returned an unknown code", plan);
    }
    fz_arena_release(&g_arena);
    if (ended) break;
  }
  if (!ended) {
    int rc = hr_eof(p);
    if (rc == HR_DONE) {
      if (!head || head->framing != HR_FRAMING_CLOSE)
        finding("hr_eof: HR_DONE for a response that is not close-delimited and not complete",
                plan);
      if (o->body.len != len - head_end ||
          (len > head_end && memcmp(o->body.p, s + head_end, o->body.len)))
        finding("a close-delimited body that is not every byte after the head", plan);
    } else if (rc != HR_ETRUNCATED) {
      finding("hr_eof: neither HR_DONE nor HR_ETRUNCATED", plan);
    } else if (!*hr_error(p)) {
      finding("hr_eof: HR_ETRUNCATED without a message", plan);
    }
    log_code(o, 'F', rc, rc == HR_DONE ? "" : hr_error(p));
    if (hr_eof(p) != rc) finding("hr_eof is not lasting", plan);
  }
}

FZ_NOCOV static int same(const outcome *a, const outcome *b) {
  return a->log.len == b->log.len && a->body.len == b->body.len &&
         (a->log.len == 0 || memcmp(a->log.p, b->log.p, a->log.len) == 0) &&
         (a->body.len == 0 || memcmp(a->body.p, b->body.p, a->body.len) == 0);
}

FZ_NOCOV static void compare(int a, int b) {
  if (same(&g_out[a], &g_out[b])) return;
  fprintf(stderr, "\n==== finding: http_response: the outcome fed %s differs from fed %s\n",
          k_plan_names[b], k_plan_names[a]);
  print_input();
  print_outcome(k_plan_names[a], &g_out[a]);
  print_outcome(k_plan_names[b], &g_out[b]);
  fflush(stderr);
  abort();
}

FZ_NOCOV int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  g_data = data;
  g_size = size;
  fz_input in;
  fz_input_parse(&in, data, size);
  size_t limit = fz_limit(in.flags & 3, in.limit_param);
  hr_parser p;

  hr_init(&p, limit);
  run(&p, &in, PLAN_WHOLE, &g_out[0], k_plan_names[0]);
  hr_free(&p);

  hr_init(&p, limit);
  run(&p, &in, PLAN_CHUNKS, &g_out[1], k_plan_names[1]);
  if (in.flags & 8) {
    hr_reset(&p);
    run(&p, &in, PLAN_CHUNKS, &g_out[3], k_plan_names[3]);
  }
  hr_free(&p);

  hr_init(&p, limit);
  run(&p, &in, PLAN_BYTES, &g_out[2], k_plan_names[2]);
  hr_free(&p);

  compare(0, 1);
  compare(0, 2);
  if (in.flags & 8) compare(1, 3);
  return 0;
}
