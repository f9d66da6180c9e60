/*
 * scenario_dump.c - sc_dump(): loaded scenarios as the JSON of
 * `ssespec-server --dump` (the format is in docs/server.md). The harness
 * reads scenarios only through it, so the loader stays the one reader of
 * scenario files.
 */
#include "scenario.h"

#include "common/base64.h"
#include "common/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void jstr(jw *w, const struct sc_str *s) {
  jw_string(w, s->p ? s->p : "", s->n);
}

static void jb64(jw *w, const struct sc_str *s) {
  size_t n = b64_encoded_len(s->n);
  char *tmp;
  if (s->n && n == 0) {
    w->err = w->err ? w->err : JW_ELIMIT;
    return;
  }
  tmp = malloc(n + 1);
  if (!tmp) {
    if (!w->err) w->err = JW_ENOMEM;
    return;
  }
  b64_encode(s->p ? s->p : "", s->n, tmp);
  jw_string(w, tmp, n);
  free(tmp);
}

static void dump_one(jw *w, const struct scenario *sc) {
  static const char *const framing[] = {"chunked", "length", "close"};
  static const char *const ops[] = {"equal", "present", "absent"};
  static const char *const acts[] = {"send",  "send-chunks", "raw",  "wait",
                                     "close", "abort",       "hold", "goaway"};
  jw_object_begin(w);
  jw_key(w, "name");
  jw_cstr(w, sc->name);
  jw_key(w, "file");
  jw_cstr(w, sc->file);
  jw_key(w, "about");
  jw_cstr(w, sc->about);
  jw_key(w, "rule");
  jw_cstr(w, sc->rule);
  jw_key(w, "open");
  if (sc->open)
    jw_cstr(w, sc->open);
  else
    jw_null(w);
  jw_key(w, "types");
  jw_array_begin(w);
  for (size_t i = 0; i < sc->ntypes; i++) jstr(w, &sc->types[i]);
  jw_array_end(w);
  {
    /* jw has no floating-point value: the member is written raw. The
     * object already has members, so the comma is ours to write, and the
     * writer's comma state (an item exists) stays right for the next key. */
    char num[64];
    int n = 0;
    for (int prec = 1; prec <= 17; prec++) {
      n = snprintf(num, sizeof num, ",\"timeout\":%.*g", prec, sc->timeout);
      if (strtod(num + 11, NULL) == sc->timeout) break;
    }
    jw_raw(w, num, (size_t)n);
  }
  jw_key(w, "linger_ms");
  jw_uint(w, sc->linger_ms);
  jw_key(w, "close_after");
  if (sc->close_after)
    jw_uint(w, sc->close_after);
  else
    jw_null(w);
  jw_key(w, "skip_variants");
  jw_object_begin(w);
  if (sc->skip_tls) {
    jw_key(w, "tls");
    jw_cstr(w, sc->skip_tls);
  }
  if (sc->skip_h2) {
    jw_key(w, "h2");
    jw_cstr(w, sc->skip_h2);
  }
  jw_object_end(w);
  jw_key(w, "connections");
  jw_array_begin(w);
  for (size_t i = 0; i < sc->nconns; i++) {
    const struct sc_connection *c = &sc->conns[i];
    jw_object_begin(w);
    jw_key(w, "line");
    jw_int(w, c->line);
    jw_key(w, "expect");
    jw_object_begin(w);
    jw_key(w, "method");
    jw_cstr(w, "GET");
    jw_key(w, "path");
    jstr(w, &c->path);
    jw_key(w, "headers");
    jw_array_begin(w);
    for (size_t j = 0; j < c->nexpects; j++) {
      jw_object_begin(w);
      jw_key(w, "name");
      jw_cstr(w, c->expects[j].name);
      jw_key(w, "op");
      jw_cstr(w, ops[c->expects[j].op]);
      jw_key(w, "value");
      if (c->expects[j].op == SC_HDR_EQUAL)
        jstr(w, &c->expects[j].value);
      else
        jw_null(w);
      jw_object_end(w);
    }
    jw_array_end(w);
    jw_key(w, "delay_ms");
    if (c->has_delay) {
      jw_array_begin(w);
      jw_uint(w, c->delay_min);
      if (c->delay_max >= 0)
        jw_int(w, c->delay_max);
      else
        jw_null(w);
      jw_array_end(w);
    } else {
      jw_null(w);
    }
    jw_object_end(w);
    jw_key(w, "response");
    jw_object_begin(w);
    jw_key(w, "status");
    jw_int(w, c->status);
    jw_key(w, "reason");
    jw_cstr(w, c->reason);
    jw_key(w, "version");
    jstr(w, &c->version);
    jw_key(w, "headers");
    jw_array_begin(w);
    for (size_t j = 0; j < c->nheaders; j++) {
      jw_array_begin(w);
      jw_cstr(w, c->headers[j].name);
      jstr(w, &c->headers[j].value);
      jw_array_end(w);
    }
    jw_array_end(w);
    jw_key(w, "omit_head");
    jw_bool(w, c->omit_head);
    jw_key(w, "omit_content_type");
    jw_bool(w, c->omit_content_type);
    jw_key(w, "default_content_type");
    jw_bool(w, c->add_content_type);
    jw_key(w, "framing");
    jw_cstr(w, framing[c->framing]);
    jw_key(w, "chunk_extension");
    if (c->has_chunk_ext)
      jstr(w, &c->chunk_ext);
    else
      jw_null(w);
    jw_key(w, "content_encoding");
    if (c->coding != SC_IDENTITY)
      jw_cstr(w, sc_coding_name(c->coding));
    else
      jw_null(w);
    jw_key(w, "encoding_force");
    jw_bool(w, c->coding_force);
    jw_key(w, "flush_at");
    jw_array_begin(w);
    for (size_t j = 0; j < c->nflush_at; j++) jw_uint(w, c->flush_at[j]);
    jw_array_end(w);
    jw_key(w, "h2_padding");
    if (c->h2_padding >= 0)
      jw_int(w, c->h2_padding);
    else
      jw_null(w);
    jw_key(w, "actions");
    jw_array_begin(w);
    for (size_t j = 0; j < c->nactions; j++) {
      const struct sc_action *a = &c->actions[j];
      jw_object_begin(w);
      jw_key(w, "do");
      jw_cstr(w, acts[a->kind]);
      if (a->kind == SC_SEND || a->kind == SC_SEND_CHUNKS || a->kind == SC_RAW) {
        jw_key(w, "pieces");
        jw_array_begin(w);
        for (size_t k = 0; k < a->npieces; k++) jb64(w, &a->pieces[k]);
        jw_array_end(w);
      } else if (a->kind == SC_WAIT) {
        jw_key(w, "ms");
        jw_uint(w, a->ms);
      } else if (a->kind == SC_ABORT || a->kind == SC_GOAWAY) {
        jw_key(w, "code");
        jw_uint(w, a->code);
      }
      jw_object_end(w);
    }
    jw_array_end(w);
    jw_object_end(w);
    jw_object_end(w);
  }
  jw_array_end(w);
  jw_key(w, "records");
  jw_array_begin(w);
  for (size_t i = 0; i < sc->nrecords; i++) {
    const struct sc_record *r = &sc->records[i];
    for (unsigned long k = 0; k < r->count; k++) {
      jw_object_begin(w);
      jw_key(w, "kind");
      if (r->kind == SC_REC_OPEN) {
        jw_cstr(w, "open");
      } else if (r->kind == SC_REC_ERROR) {
        jw_cstr(w, "error");
        jw_key(w, "readyState");
        jw_int(w, r->ready_state);
      } else {
        jw_cstr(w, "event");
        jw_key(w, "type");
        jstr(w, &r->type);
        jw_key(w, "data");
        jstr(w, &r->data);
        jw_key(w, "lastEventId");
        jstr(w, &r->id);
      }
      jw_object_end(w);
    }
  }
  jw_array_end(w);
  jw_object_end(w);
}

int sc_dump(jw *w, struct scenario *const *scs, size_t n) {
  jw_object_begin(w);
  jw_key(w, "scenarios");
  jw_array_begin(w);
  for (size_t i = 0; i < n; i++) dump_one(w, scs[i]);
  jw_array_end(w);
  jw_object_end(w);
  return w->err;
}
