/*
 * scenario.c - fuzz target `scenario`: the scenario-file loader
 * (server/scenario.h, sc_parse from a memory buffer; library
 * ssespec_scenario) and the dump of what it loaded (sc_dump).
 *
 * The input is the text of a scenario file, as it is (no header: unlike the
 * other targets, every byte is file text). It is loaded from an exact-size
 * heap copy as "fuzz/input" from "fuzz.scenario". Findings:
 *
 * - any sanitizer report, a leak;
 * - memory: the most the loader holds at once (counted through the
 *   sanitizer's allocation hooks; without a sanitizer not counted) over
 *   4 * SC_MAX_BYTES + 128 bytes per input byte + 1 MiB (the strings are
 *   bounded by SC_MAX_BYTES whatever their repetition counts, each may have
 *   twice its length allocated, and one more is being built), or anything
 *   left allocated after a failed parse or after sc_free();
 * - a failure whose message is not "fuzz.scenario:LINE: FIELD: what", with
 *   LINE from 1 to the number of lines in the file and FIELD a word, or
 *   that left a scenario in *out;
 * - a success without a scenario, about, rule or connection, with a name
 *   or file other than given, a string whose template count is not the
 *   number of {base} and {origin} in its bytes, or that is not followed by
 *   a NUL; sc_expand() writing other than sc_expanded_len() bytes;
 * - sc_dump() failing, or writing what the strict JSON reader
 *   (common/json.h) does not accept as {"scenarios": [one object]} with the
 *   name given (scenarios holding over 1 MiB of strings are not dumped:
 *   that would cost the fuzzer seconds per input).
 */
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "fuzz_common.h"
#include "scenario.h"

#define FILE_NAME "fuzz.scenario"
#define SC_NAME "fuzz/input"
#define DUMP_MAX ((size_t)1 << 20)

static const uint8_t *g_data;
static size_t g_size;

FZ_NOCOV static void finding(const char *what, const char *detail) {
  fprintf(stderr, "\n==== finding: scenario: %s\n", what);
  if (detail) fprintf(stderr, "%s\n", detail);
  fprintf(stderr, "input (%zu bytes): ", g_size);
  fz_print_long(stderr, g_data, g_size);
  fputc('\n', stderr);
  fflush(stderr);
  abort();
}

/* ---------------------------------------------------- memory accounting */

/* The sanitizers' allocator interface, when one is linked. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *))
    __attribute__((weak));
size_t __sanitizer_get_allocated_size(const volatile void *p) __attribute__((weak));

static int g_hooks;     /* 1: installed, -1: not available */
static int g_counting;  /* count allocations now */
static long long g_cur; /* bytes held since counting started */
static long long g_peak;

FZ_NOCOV static void on_malloc(const volatile void *p, size_t n) {
  (void)p;
  if (!g_counting) return;
  g_cur += (long long)n;
  if (g_cur > g_peak) g_peak = g_cur;
}

FZ_NOCOV static void on_free(const volatile void *p) {
  if (!g_counting || !p) return;
  g_cur -= (long long)__sanitizer_get_allocated_size(p);
}

FZ_NOCOV static void count_start(void) {
  if (g_hooks == 0) {
    g_hooks = -1;
    if (__sanitizer_install_malloc_and_free_hooks && __sanitizer_get_allocated_size &&
        __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free))
      g_hooks = 1;
  }
  g_cur = g_peak = 0;
  g_counting = g_hooks > 0;
}

/* ---------------------------------------------------- checks */

/* {base} and {origin} in s, counted as the loader does. */
FZ_NOCOV static size_t templates(const char *s, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '{') continue;
    if (n - i >= 6 && memcmp(s + i, "{base}", 6) == 0) {
      c++;
      i += 5;
    } else if (n - i >= 8 && memcmp(s + i, "{origin}", 8) == 0) {
      c++;
      i += 7;
    }
  }
  return c;
}

static size_t g_total; /* string bytes of the scenario */

FZ_NOCOV static void check_str(const struct sc_str *s, const char *what) {
  if (!s->p) {
    if (s->n || s->tmpl) finding("a string without bytes has a length", what);
    return;
  }
  if (s->p[s->n] != '\0') finding("a string is not followed by a NUL", what);
  if (templates(s->p, s->n) != s->tmpl)
    finding("a string's template count is not the number of {base} and {origin} in it", what);
  g_total += s->n;
  if (s->n <= 4096) {
    static const char base[] = "/s/fuzz/input/T0";
    static const char origin[] = "http://127.0.0.1:1";
    size_t want = sc_expanded_len(s, sizeof base - 1, sizeof origin - 1);
    char *out = malloc(want + 1);
    if (!out) abort();
    size_t got = sc_expand(s, base, sizeof base - 1, origin, sizeof origin - 1, out);
    if (got != want) finding("sc_expand() does not write sc_expanded_len() bytes", what);
    if (s->tmpl == 0 && (got != s->n || memcmp(out, s->p, got) != 0))
      finding("sc_expand() changed a string without templates", what);
    free(out);
  }
}

FZ_NOCOV static void check_scenario(const struct scenario *sc) {
  if (!sc->name || strcmp(sc->name, SC_NAME) != 0)
    finding("the scenario's name is not the one given", NULL);
  if (!sc->file || strcmp(sc->file, FILE_NAME) != 0)
    finding("the scenario's file is not the one given", NULL);
  if (!sc->about || !sc->rule) finding("a scenario without about or rule", NULL);
  if (sc->nconns == 0 || !sc->conns) finding("a scenario without a connection", NULL);
  g_total = 0;
  for (size_t i = 0; i < sc->ntypes; i++) check_str(&sc->types[i], "types");
  for (size_t i = 0; i < sc->nconns; i++) {
    const struct sc_connection *c = &sc->conns[i];
    check_str(&c->path, "expect-path");
    check_str(&c->version, "http-version");
    check_str(&c->chunk_ext, "chunk-extension");
    for (size_t j = 0; j < c->nexpects; j++) {
      if (!c->expects[j].name || !*c->expects[j].name)
        finding("an expect-header without a name", NULL);
      check_str(&c->expects[j].value, "expect-header");
    }
    for (size_t j = 0; j < c->nheaders; j++) {
      if (!c->headers[j].name || !*c->headers[j].name) finding("a header without a name", NULL);
      check_str(&c->headers[j].value, "header");
    }
    if (c->status < 200 || c->status > 599) finding("a status outside 200-599", NULL);
    for (size_t j = 0; j < c->nactions; j++) {
      const struct sc_action *a = &c->actions[j];
      if ((a->kind == SC_SEND || a->kind == SC_SEND_CHUNKS) && a->npieces < 1)
        finding("a send without pieces", NULL);
      if (a->kind == SC_RAW && a->npieces != 1) finding("raw without exactly one piece", NULL);
      if (a->kind == SC_WAIT && a->ms > SC_MAX_MS) finding("a wait over SC_MAX_MS", NULL);
      for (size_t k = 0; k < a->npieces; k++) check_str(&a->pieces[k], "action");
    }
  }
  unsigned long long records = 0;
  for (size_t i = 0; i < sc->nrecords; i++) {
    const struct sc_record *r = &sc->records[i];
    check_str(&r->type, "expect type");
    check_str(&r->data, "expect data");
    check_str(&r->id, "expect id");
    if (r->count < 1) finding("a record with a count of 0", NULL);
    records += r->count;
  }
  if (records > SC_MAX_RECORDS) finding("more than SC_MAX_RECORDS records", NULL);
  if (g_total > SC_MAX_BYTES) finding("more than SC_MAX_BYTES string bytes", NULL);
}

/* "fuzz.scenario:LINE: FIELD: what" with 1 <= LINE <= lines. */
FZ_NOCOV static void check_message(const char *err, size_t lines) {
  if (!memchr(err, '\0', SC_ERROR_SIZE)) finding("an error message without its NUL", NULL);
  const char *p = err;
  size_t pre = strlen(FILE_NAME ":");
  if (strncmp(p, FILE_NAME ":", pre) != 0)
    finding("an error message that does not start with FILE:", err);
  p += pre;
  size_t line = 0;
  const char *digits = p;
  while (*p >= '0' && *p <= '9') {
    if (line < 100000000) line = line * 10 + (size_t)(*p - '0');
    p++;
  }
  if (p == digits || p[0] != ':' || p[1] != ' ')
    finding("an error message without FILE:LINE: ", err);
  if (line < 1 || line > lines)
    finding("an error message naming a line the file does not have", err);
  p += 2;
  const char *field = p;
  while (*p && !(p[0] == ':' && p[1] == ' ') && *p != ' ') p++;
  if (p == field || p[0] != ':' || p[1] != ' ') finding("an error message without FIELD: ", err);
  if (!p[2]) finding("an error message that does not say what was wrong", err);
}

static jw g_w;
static json_doc g_doc;

FZ_NOCOV static void check_dump(struct scenario *sc) {
  jw_clear(&g_w);
  struct scenario *const one[1] = {sc};
  int rc = sc_dump(&g_w, one, 1);
  if (rc != JW_OK) finding("sc_dump() failed", jw_strerror(rc));
  if (g_w.replaced) finding("sc_dump() wrote text that was not valid UTF-8", NULL);
  char *copy = malloc(g_w.len + 1);
  if (!copy) abort();
  memcpy(copy, g_w.buf, g_w.len);
  json_value *root = NULL;
  if (json_parse(&g_doc, copy, g_w.len, &root) != JSON_OK)
    finding("the dump is not strict JSON", json_doc_error(&g_doc));
  json_value *list = json_get(root, "scenarios");
  if (!list || list->type != JSON_ARRAY || list->len != 1 || list->child->type != JSON_OBJECT)
    finding("the dump is not {\"scenarios\": [one object]}", NULL);
  json_value *name = json_get(list->child, "name");
  if (!name || name->type != JSON_STRING || strcmp(name->str, SC_NAME) != 0)
    finding("the dump does not name the scenario", NULL);
  free(copy);
}

FZ_NOCOV int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  if (!ready) {
    jw_init(&g_w, 0);
    json_doc_init(&g_doc);
    ready = 1;
  }
  g_data = data;
  g_size = size;
  char *buf = malloc(size ? size : 1);
  if (!buf) abort();
  if (size) memcpy(buf, data, size);
  size_t lines = 1;
  for (size_t i = 0; i < size; i++) lines += data[i] == '\n';

  char err[SC_ERROR_SIZE];
  memset(err, 'x', sizeof err);
  struct scenario *sc = (struct scenario *)&err; /* must be overwritten */
  count_start();
  int rc = sc_parse(buf, size, SC_NAME, FILE_NAME, &sc, err, sizeof err);
  long long peak = g_peak, held = g_cur;
  long long bound = 4 * (long long)SC_MAX_BYTES + 128 * (long long)size + (1 << 20);
  if (g_counting && peak > bound) {
    char d[120];
    snprintf(d, sizeof d, "%lld bytes at most, for %zu input bytes (bound %lld)", peak, size,
             bound);
    g_counting = 0;
    finding("the loader held more memory than its bound", d);
  }
  if (rc == 0) {
    if (!sc) finding("success without a scenario", NULL);
    if (err[0] != '\0') finding("success with an error message", err);
    check_scenario(sc);
    sc_free(sc);
    if (g_counting && g_cur != 0) {
      char d[80];
      snprintf(d, sizeof d, "%lld bytes", g_cur);
      g_counting = 0;
      finding("memory left allocated after sc_free()", d);
    }
    g_counting = 0;
    /* load again to dump: the dump's allocations are not the loader's */
    if (g_total <= DUMP_MAX) {
      if (sc_parse(buf, size, SC_NAME, FILE_NAME, &sc, err, sizeof err) != 0)
        finding("the same file failed to load the second time", err);
      check_dump(sc);
      sc_free(sc);
    }
  } else {
    g_counting = 0;
    if (rc != -1) finding("sc_parse() returned neither 0 nor -1", NULL);
    if (sc != NULL) finding("a failure that left a scenario in *out", NULL);
    if (held != 0) {
      char d[80];
      snprintf(d, sizeof d, "%lld bytes", held);
      finding("memory left allocated after a failed parse", d);
    }
    check_message(err, lines);
  }
  free(buf);
  return 0;
}
