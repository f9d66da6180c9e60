/*
 * body.c - a step's body, the same for every transport (see server_int.h):
 * templates expanded, pieces cut at flush-at points into segments, each
 * segment encoded and flushed when the step has a content coding.
 *
 * HTTP/1.1 writes each segment as one write (inside its chunk, for chunked
 * framing); HTTP/2 sends each as its own DATA frame(s). The Content-Length
 * of an encoded body is found by encoding it once beforehand, with the same
 * cuts and flushes, so the bytes played are exactly the bytes counted.
 */
#define _GNU_SOURCE
#include "server_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t play_exp_len(const struct play *p, const struct sc_str *str) {
  return sc_expanded_len(str, p->run->blen, p->conn->ls->origin_len);
}

void play_expand(const struct play *p, const struct sc_str *str, char *out) {
  sc_expand(str, p->run->base, p->run->blen, p->conn->ls->origin, p->conn->ls->origin_len, out);
}

static int is_body(const struct sc_action *a) {
  return a->kind == SC_SEND || a->kind == SC_SEND_CHUNKS;
}

int body_offered(const struct http_request *rq, enum sc_coding coding) {
  char *all = NULL;
  size_t n = 0;
  int ok;
  /* the fields form one list (RFC 9110 5.3) */
  for (size_t i = 0; i < rq->nheaders; i++) {
    const struct http_header *h = &rq->headers[i];
    char *q;
    if (!http_span_eq(h->name, "accept-encoding")) continue;
    q = realloc(all, n + h->value.n + 2);
    if (!q) {
      free(all);
      return 0;
    }
    all = q;
    if (n) all[n++] = ',';
    memcpy(all + n, h->value.p, h->value.n);
    n += h->value.n;
  }
  ok = all && enc_accepts(all, n, coding == SC_GZIP ? ENC_GZIP : ENC_BR);
  free(all);
  return ok;
}

/* Append n bytes to the prepared buffer as the data of a new segment. */
static int add_segment(struct prepared *pr, const void *data, size_t n, size_t decoded,
                       size_t piece, int pause_before) {
  struct segment *sg;
  if (pr->nsegs == pr->segcap) {
    size_t cap = pr->segcap ? pr->segcap * 2 : 8;
    struct segment *v = realloc(pr->segs, cap * sizeof *v);
    if (!v) return -1;
    pr->segs = v;
    pr->segcap = cap;
  }
  if (n > pr->cap - pr->len) {
    size_t cap = pr->cap ? pr->cap : 256;
    char *q;
    while (cap - pr->len < n) cap *= 2;
    q = realloc(pr->buf, cap);
    if (!q) return -1;
    pr->buf = q;
    pr->cap = cap;
  }
  if (n) memcpy(pr->buf + pr->len, data, n);
  sg = &pr->segs[pr->nsegs++];
  sg->off = pr->len;
  sg->len = n;
  sg->decoded = decoded;
  sg->piece = piece;
  sg->pause_before = pause_before;
  sg->piece_end = 0;
  pr->len += n;
  return 0;
}

static void prepared_clear(struct prepared *pr) {
  pr->len = 0;
  pr->nsegs = 0;
  pr->next = 0;
  pr->ready = 0;
}

static void prepared_free(struct prepared *pr) {
  free(pr->buf);
  free(pr->segs);
  memset(pr, 0, sizeof *pr);
}

/* Cut, encode and append action a's bodies to pr, with encoder enc (NULL:
 * identity), from decoded body offset *pos with the next flush point
 * *flush_i; finish: append the encoder's last bytes to the last segment.
 * The one function behind both playing and counting. */
static int prepare_action(const struct play *p, const struct sc_action *a, struct encoder *enc,
                          uint64_t *pos, size_t *flush_i, int finish, struct prepared *pr) {
  const struct sc_connection *sc = p->sc;
  struct enc_buf eb = {0};
  int rc = -1;
  for (size_t k = 0; k < a->npieces; k++) {
    size_t n = play_exp_len(p, &a->pieces[k]), done = 0;
    char *tmp = malloc(n ? n : 1);
    if (!tmp) goto out;
    play_expand(p, &a->pieces[k], tmp);
    while (done < n) {
      size_t cut = n;
      /* raw bytes are outside the body: no flush point, no coding */
      if (a->kind != SC_RAW) {
        while (*flush_i < sc->nflush_at && sc->flush_at[*flush_i] <= *pos + done) (*flush_i)++;
        if (*flush_i < sc->nflush_at && sc->flush_at[*flush_i] < *pos + n)
          cut = (size_t)(sc->flush_at[*flush_i] - *pos);
      }
      eb.n = 0;
      if (enc && a->kind != SC_RAW) {
        if (enc_flush(enc, tmp + done, cut - done, &eb) < 0) {
          free(tmp);
          goto out;
        }
      } else if (cut > done) {
        struct enc_buf *b = &eb;
        if (cut - done > b->cap) {
          char *q = realloc(b->p, cut - done);
          if (!q) {
            free(tmp);
            goto out;
          }
          b->p = q;
          b->cap = cut - done;
        }
        memcpy(b->p, tmp + done, cut - done);
        b->n = cut - done;
      }
      if (add_segment(pr, eb.p, eb.n, cut - done, k, k > 0 && done == 0) < 0) {
        free(tmp);
        goto out;
      }
      done = cut;
    }
    free(tmp);
    if (pr->nsegs) pr->segs[pr->nsegs - 1].piece_end = 1;
    if (a->kind != SC_RAW) *pos += n;
  }
  if (finish && enc) {
    size_t before;
    eb.n = 0;
    if (enc_finish(enc, &eb) < 0) goto out;
    before = pr->nsegs;
    /* appended to the last segment's bytes (which end the buffer) */
    if (add_segment(pr, eb.p, eb.n, 0, 0, 0) < 0) goto out;
    pr->nsegs = before;
    pr->segs[before - 1].len += eb.n;
  }
  rc = 0;
out:
  free(eb.p);
  return rc;
}

int body_prepare(struct play *p) {
  const struct sc_action *a = &p->sc->actions[p->ai];
  int finish = p->enc && p->framing == SC_LENGTH && p->ai == p->last_body_action;
  prepared_clear(&p->act);
  if (prepare_action(p, a, p->enc, &p->decoded_pos, &p->flush_i, finish, &p->act) < 0) return -1;
  if (finish) p->enc_finished = 1;
  p->act.ai = p->ai;
  p->act.ready = 1;
  return 0;
}

int body_finish(struct play *p, struct prepared *out) {
  struct enc_buf eb = {0};
  prepared_clear(out);
  if (!p->enc || p->enc_finished) return 0;
  p->enc_finished = 1;
  if (enc_finish(p->enc, &eb) < 0 || add_segment(out, eb.p, eb.n, 0, 0, 0) < 0) {
    free(eb.p);
    return -1;
  }
  free(eb.p);
  return 0;
}

int body_encoded_length(struct play *p, uint64_t *len) {
  struct prepared pr = {0};
  struct encoder *enc = enc_new(p->coding == SC_GZIP ? ENC_GZIP : ENC_BR);
  uint64_t pos = 0;
  size_t flush_i = 0;
  int rc = 0;
  *len = 0;
  if (!enc) return -1;
  for (size_t i = 0; i < p->sc->nactions && rc == 0; i++) {
    const struct sc_action *a = &p->sc->actions[i];
    if (!is_body(a)) continue;
    prepared_clear(&pr);
    rc = prepare_action(p, a, enc, &pos, &flush_i, i == p->last_body_action, &pr);
    *len += pr.len;
  }
  if (rc == 0 && p->last_body_action == SIZE_MAX) {
    /* no body action: the encoding of the empty body */
    struct enc_buf eb = {0};
    rc = enc_finish(enc, &eb);
    *len += eb.n;
    free(eb.p);
  }
  prepared_free(&pr);
  enc_free(enc);
  return rc;
}

int play_begin(struct play *p, struct conn *c, struct run *r, size_t step,
               const struct http_request *rq, int head_only, int http10) {
  const struct sc_connection *sc = &r->sc->conns[step];
  struct prepared keep = p->act;
  struct h2_stream *st = p->stream;
  memset(p, 0, sizeof *p);
  p->act = keep; /* the buffers are reused from step to step */
  p->stream = st;
  prepared_clear(&p->act);
  p->conn = c;
  p->run = r;
  p->step = step;
  p->sc = sc;
  r->refs++;
  r->latest = p;
  /* HTTP/1.0 has no chunked coding: such a body ends with the connection */
  p->framing = sc->framing == SC_CHUNKED && http10 ? SC_CLOSE_DELIMITED : sc->framing;
  p->last_body_action = SIZE_MAX;
  for (size_t i = 0; i < sc->nactions; i++) {
    const struct sc_action *a = &sc->actions[i];
    if (!is_body(a)) continue;
    p->last_body_action = i;
    for (size_t k = 0; k < a->npieces; k++) p->content_length += play_exp_len(p, &a->pieces[k]);
  }
  p->coding = SC_IDENTITY;
  if (sc->coding != SC_IDENTITY && sc->has_body &&
      (sc->coding_force || body_offered(rq, sc->coding))) {
    p->coding = sc->coding;
    if (p->framing == SC_LENGTH && body_encoded_length(p, &p->content_length) < 0) return -1;
    if (!head_only && !(p->enc = enc_new(sc->coding == SC_GZIP ? ENC_GZIP : ENC_BR))) return -1;
  }
  return 0;
}

void body_done(struct play *p) {
  prepared_free(&p->act);
}

void play_release(struct play *p) {
  enc_free(p->enc);
  p->enc = NULL;
  prepared_free(&p->act);
}
