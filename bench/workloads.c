/*
 * workloads.c - the benchmark's streams, made from fixed seeds (see
 * workloads.h and docs/performance.md).
 */
#include "workloads.h"

#include <stdlib.h>
#include <string.h>

/* ---- a small deterministic PRNG (xorshift64*) ---- */

typedef struct rng {
  uint64_t s;
} rng;

static uint64_t rng_next(rng *r) {
  r->s ^= r->s >> 12;
  r->s ^= r->s << 25;
  r->s ^= r->s >> 27;
  return r->s * UINT64_C(2685821657736338717);
}

/* Uniform in [lo, hi]. */
static size_t rng_range(rng *r, size_t lo, size_t hi) {
  return lo + (size_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* ---- an output buffer ---- */

typedef struct out {
  char *s;
  size_t n, cap;
  int failed;
} out;

static void put(out *o, const char *s, size_t n) {
  if (o->failed) return;
  if (o->n + n > o->cap) {
    size_t cap = o->cap ? o->cap : 4096;
    while (cap < o->n + n) cap *= 2;
    char *ns = realloc(o->s, cap);
    if (!ns) {
      o->failed = 1;
      return;
    }
    o->s = ns;
    o->cap = cap;
  }
  memcpy(o->s + o->n, s, n);
  o->n += n;
}

static void puts_(out *o, const char *s) {
  put(o, s, strlen(s));
}

/* ---- text pieces ---- */

/* LLM-style tokens, ASCII, as they appear inside a JSON string. */
static const char *const k_tokens[] = {
    " the",   " of",     " and",  " to",     " a",     " in",    " is",   " that",   " for",
    " it",    " as",     " with", " be",     " on",    " not",   " this", " are",    " by",
    "Hello",  "!",       ",",     ".",       " model", "ing",    "ed",    " stream", " event",
    " data",  " server", " sent", " parser", " fast",  " token", "\\n",   "\\n\\n",  " \\\"",
    "'s",     " 42",     " 2024", " JSON",   " API",   " call",  " user", " reply",  "ly",
    " quick", " brown",  " fox",  " jumps",  " over",  " lazy",  " dog",  ":",       " -",
};
#define N_TOKENS (sizeof k_tokens / sizeof k_tokens[0])

/* Non-ASCII tokens: CJK, Hangul, kana, accented Latin, symbols, emoji. */
static const char *const k_utf8_tokens[] = {
    "\xE4\xBD\xA0\xE5\xA5\xBD",                                     /* 你好 */
    "\xE4\xB8\x96\xE7\x95\x8C",                                     /* 世界 */
    "\xE7\x9A\x84",                                                 /* 的 */
    "\xE6\x98\xAF",                                                 /* 是 */
    "\xE6\x88\x91\xE4\xBB\xAC",                                     /* 我们 */
    "\xE6\xA8\xA1\xE5\x9E\x8B",                                     /* 模型 */
    "\xE6\x95\xB0\xE6\x8D\xAE\xE6\xB5\x81",                         /* 数据流 */
    "\xE3\x80\x82",                                                 /* 。 */
    "\xEF\xBC\x8C",                                                 /* ， */
    "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",                         /* 日本語 */
    "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF", /* こんにちは */
    "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4",                         /* 한국어 */
    "caf\xC3\xA9",                                                  /* café */
    "\xC3\x9C\x62\x65r",                                            /* Über */
    "\xE2\x86\x92",                                                 /* → */
    "\xE2\x88\x91",                                                 /* ∑ */
    "\xF0\x9F\x98\x80",                                             /* 😀 */
    "\xF0\x9F\x9A\x80",                                             /* 🚀 */
    "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",                             /* 👍🏽 */
    "\xF0\x9F\x8E\x89",                                             /* 🎉 */
};
#define N_UTF8_TOKENS (sizeof k_utf8_tokens / sizeof k_utf8_tokens[0])

/* Printable ASCII filler, made once per workload from its seed. */
#define FILL 65536
typedef struct filler {
  char s[FILL];
} filler;

static void filler_make(filler *f, rng *r) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                 " ,.:;\"{}[]_-+=/";
  for (size_t i = 0; i < FILL; i++) f->s[i] = alphabet[rng_next(r) % (sizeof alphabet - 1)];
}

static void put_fill(out *o, const filler *f, rng *r, size_t n) {
  while (n) {
    size_t at = rng_range(r, 0, FILL - 1), k = FILL - at;
    if (k > n) k = n;
    put(o, f->s + at, k);
    n -= k;
  }
}

/* ---- events ---- */

typedef struct gen {
  rng r;
  out o;
  const char *eol; /* "\n", "\r\n" or "\r" */
  size_t events;
  size_t serial;
  filler *fill;
} gen;

static void eol(gen *g) {
  puts_(&g->o, g->eol);
}

static void chat_content(gen *g, int utf8) {
  size_t k = rng_range(&g->r, 1, 3);
  for (size_t i = 0; i < k; i++) {
    if (utf8 && rng_range(&g->r, 0, 3) != 0)
      puts_(&g->o, k_utf8_tokens[rng_next(&g->r) % N_UTF8_TOKENS]);
    else
      puts_(&g->o, k_tokens[rng_next(&g->r) % N_TOKENS]);
  }
}

/* One chat event: a data line of JSON (three shapes, from about 45 bytes
 * down to a few) and the empty line. */
static void chat_event(gen *g, int utf8) {
  size_t shape = rng_range(&g->r, 0, 19);
  if (shape < 15) {
    puts_(&g->o, "data: {\"choices\":[{\"delta\":{\"content\":\"");
    chat_content(g, utf8);
    puts_(&g->o, "\"}}]}");
  } else if (shape < 19) {
    puts_(&g->o, "data: {\"content\":\"");
    chat_content(g, utf8);
    puts_(&g->o, "\"}");
  } else {
    puts_(&g->o, "data: ");
    chat_content(g, utf8);
  }
  eol(g);
  eol(g);
  g->events++;
}

static void ev_chat(gen *g) {
  chat_event(g, 0);
}

static void ev_utf8(gen *g) {
  chat_event(g, 1);
}

static void ev_comments(gen *g) {
  static const char *const pings[] = {": keep-alive", ":", ": ping", ": heartbeat 1700000000"};
  size_t k = rng_range(&g->r, 0, 3);
  for (size_t i = 0; i < k; i++) {
    puts_(&g->o, pings[rng_next(&g->r) % 4]);
    eol(g);
    if (rng_range(&g->r, 0, 1)) eol(g); /* a comment block of its own */
  }
  chat_event(g, 0);
}

static void ev_fields(gen *g) {
  static const char *const types[] = {"delta", "message_start", "content_block_delta", "ping"};
  char num[32];
  int len = 0;
  size_t v = ++g->serial;
  char tmp[32];
  do {
    tmp[len++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (int i = 0; i < len; i++) num[i] = tmp[len - 1 - i];
  puts_(&g->o, "id: evt_");
  put(&g->o, num, (size_t)len);
  eol(g);
  puts_(&g->o, "event: ");
  puts_(&g->o, types[rng_next(&g->r) % 4]);
  eol(g);
  if (g->serial % 4 == 1) {
    puts_(&g->o, "retry: 3000");
    eol(g);
  }
  chat_event(g, 0);
}

static void ev_lines_1k(gen *g) {
  puts_(&g->o, "data: ");
  put_fill(&g->o, g->fill, &g->r, 1024 - 6);
  eol(g);
  eol(g);
  g->events++;
}

static void ev_multiline(gen *g) {
  size_t lines = rng_range(&g->r, 16, 48);
  for (size_t i = 0; i < lines; i++) {
    puts_(&g->o, "data: ");
    put_fill(&g->o, g->fill, &g->r, rng_range(&g->r, 8, 40));
    eol(g);
  }
  eol(g);
  g->events++;
}

/* 64 KiB per event, data lines of 2 to 14 KiB. */
static void ev_big(gen *g) {
  size_t left = 65536 - 1; /* the empty line */
  while (left) {
    size_t n = rng_range(&g->r, 2048, 14336);
    if (n + 64 + 7 > left) n = left - 7; /* the last line takes the rest */
    puts_(&g->o, "data: ");
    put_fill(&g->o, g->fill, &g->r, n);
    eol(g);
    left -= n + 7;
  }
  eol(g);
  g->events++;
}

/* One data line of exactly size bytes of value. */
static void ev_line_8m(gen *g) {
  puts_(&g->o, "data: ");
  put_fill(&g->o, g->fill, &g->r, (size_t)8 << 20);
  eol(g);
  eol(g);
  g->events++;
}

typedef void (*event_fn)(gen *g);

typedef struct wl_impl {
  event_fn fn;
  const char *eol;
  uint64_t seed;
} wl_impl;

const workload k_workloads[] = {
    {"chat", "LLM token events, data: {\"choices\":[{\"delta\":{\"content\":...}}]} and shorter",
     (size_t)4 << 20, 0, '\n'},
    {"lines-1k", "events of one 1 KiB data line", (size_t)4 << 20, 0, '\n'},
    {"big", "64 KiB events of data lines of 2-14 KiB", (size_t)8 << 20, 0, '\n'},
    {"multiline", "events of 16-48 short data lines (8-40 byte values)", (size_t)4 << 20, 0, '\n'},
    {"crlf", "the chat events with CRLF line ends", (size_t)4 << 20, 0, '\n'},
    {"cr", "the chat events with lone CR line ends", (size_t)4 << 20, 0, '\r'},
    {"comments", "chat events with 0-3 keep-alive comments between them", (size_t)4 << 20, 0, '\n'},
    {"utf8", "chat events whose tokens are mostly CJK, Hangul, kana, emoji", (size_t)4 << 20, 0,
     '\n'},
    {"fields", "chat events with id and event lines, retry every 4th", (size_t)4 << 20, 0, '\n'},
    {"line-8m", "one event of one 8 MiB data line (limit raised to 32 MiB)", 0, (size_t)32 << 20,
     '\n'},
};
const size_t n_workloads = sizeof k_workloads / sizeof k_workloads[0];

static const wl_impl k_impls[] = {
    {ev_chat, "\n", 1},   {ev_lines_1k, "\n", 2}, {ev_big, "\n", 3},      {ev_multiline, "\n", 4},
    {ev_chat, "\r\n", 1}, {ev_chat, "\r", 1},     {ev_comments, "\n", 7}, {ev_utf8, "\n", 8},
    {ev_fields, "\n", 9}, {ev_line_8m, "\n", 10},
};

const workload *workload_find(const char *name) {
  for (size_t i = 0; i < n_workloads; i++)
    if (strcmp(k_workloads[i].name, name) == 0) return &k_workloads[i];
  return NULL;
}

char *workload_make(const workload *w, size_t size, size_t *len, size_t *events) {
  const wl_impl *im = &k_impls[w - k_workloads];
  gen g;
  memset(&g, 0, sizeof g);
  g.r.s = UINT64_C(0x9E3779B97F4A7C15) * im->seed;
  g.eol = im->eol;
  g.fill = malloc(sizeof *g.fill);
  if (!g.fill) return NULL;
  filler_make(g.fill, &g.r);
  do {
    im->fn(&g);
  } while (g.o.n < size && !g.o.failed);
  free(g.fill);
  if (g.o.failed) {
    free(g.o.s);
    return NULL;
  }
  *len = g.o.n;
  *events = g.events;
  return g.o.s;
}

/* ---- splits ---- */

const split_mode k_splits[] = {
    {"whole", 0}, {"1460", 1460}, {"16k", 16384}, {"random", 0}, {"1", 1},
};
const size_t n_splits = sizeof k_splits / sizeof k_splits[0];

const split_mode *split_find(const char *name) {
  for (size_t i = 0; i < n_splits; i++)
    if (strcmp(k_splits[i].name, name) == 0) return &k_splits[i];
  return NULL;
}

uint32_t *split_lengths(const split_mode *m, size_t len, size_t *n) {
  size_t cap = m->fixed ? len / m->fixed + 2 : strcmp(m->name, "random") == 0 ? len + 1 : 1;
  uint32_t *v = malloc(cap * sizeof *v);
  if (!v) return NULL;
  size_t k = 0, at = 0;
  rng r = {UINT64_C(0xD1B54A32D192ED03)};
  while (at < len) {
    size_t c;
    if (m->fixed)
      c = m->fixed;
    else if (strcmp(m->name, "random") == 0)
      c = rng_range(&r, 1, 4096);
    else
      c = len;
    if (c > len - at) c = len - at;
    v[k++] = (uint32_t)c;
    at += c;
  }
  *n = k;
  return v;
}
