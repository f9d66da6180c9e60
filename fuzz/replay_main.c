/*
 * replay_main.c - a plain main() for the fuzz targets, so that each builds
 * without libFuzzer (with gcc, and with ASan when SSESPEC_SANITIZE=ON) as
 * fuzz-replay-<target>: it runs LLVMFuzzerTestOneInput once on every file
 * named on the command line and every file in every directory named
 * (recursively, in name order), then prints one summary line. A finding
 * aborts inside the target (its report names the input); the exit status is
 * then non-zero. Exit status 2: a file could not be read.
 *
 *   fuzz-replay-parse [-v] FILE|DIR...
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FUZZ_TARGET_NAME
#define FUZZ_TARGET_NAME "target"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The sanitizers' hook for a report that ends the process, if linked. */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static const char *g_current = NULL; /* the input being run */
static unsigned long g_inputs = 0, g_bytes = 0;
static int g_verbose = 0;
static unsigned char *g_buf = NULL;
static size_t g_cap = 0;

static void say_current(void) {
  if (!g_current) return;
  /* Only async-signal-safe calls: this may run from a signal handler. */
  static const char pre[] = "fuzz-replay-" FUZZ_TARGET_NAME ": finding in input: ";
  ssize_t ignored = write(2, pre, sizeof pre - 1);
  ignored = write(2, g_current, strlen(g_current));
  ignored = write(2, "\n", 1);
  (void)ignored;
}

static void on_abort(int sig) {
  say_current();
  signal(sig, SIG_DFL);
  raise(sig);
}

static int read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "fuzz-replay-%s: cannot open %s: %s\n", FUZZ_TARGET_NAME, path,
            strerror(errno));
    return -1;
  }
  size_t n = 0;
  for (;;) {
    if (n == g_cap) {
      size_t cap = g_cap ? g_cap * 2 : 65536;
      unsigned char *b = realloc(g_buf, cap);
      if (!b) {
        fclose(f);
        fprintf(stderr, "fuzz-replay-%s: out of memory reading %s\n", FUZZ_TARGET_NAME, path);
        return -1;
      }
      g_buf = b;
      g_cap = cap;
    }
    size_t got = fread(g_buf + n, 1, g_cap - n, f);
    n += got;
    if (got == 0) break;
  }
  int err = ferror(f);
  fclose(f);
  if (err) {
    fprintf(stderr, "fuzz-replay-%s: cannot read %s\n", FUZZ_TARGET_NAME, path);
    return -1;
  }
  *len = n;
  return 0;
}

static int run_file(const char *path) {
  size_t len;
  if (read_file(path, &len) != 0) return -1;
  /* An exact-size copy, so that ASan sees a read past the input's end. */
  unsigned char *copy = malloc(len ? len : 1);
  if (!copy) return -1;
  if (len) memcpy(copy, g_buf, len);
  g_current = path;
  if (g_verbose) fprintf(stderr, "running %s (%zu bytes)\n", path, len);
  LLVMFuzzerTestOneInput(copy, len);
  g_current = NULL;
  free(copy);
  g_inputs++;
  g_bytes += len;
  return 0;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path);

static int run_dir(const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    fprintf(stderr, "fuzz-replay-%s: cannot open %s: %s\n", FUZZ_TARGET_NAME, path,
            strerror(errno));
    return -1;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue; /* ., .. and hidden files */
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **nn = realloc(names, cap * sizeof *nn);
      if (!nn) abort();
      names = nn;
    }
    size_t len = strlen(path) + strlen(e->d_name) + 2;
    names[n] = malloc(len);
    if (!names[n]) abort();
    snprintf(names[n], len, "%s/%s", path, e->d_name);
    n++;
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, cmp_names);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    if (run_path(names[i]) != 0) rc = -1;
    free(names[i]);
  }
  free(names);
  return rc;
}

static int run_path(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "fuzz-replay-%s: %s: %s\n", FUZZ_TARGET_NAME, path, strerror(errno));
    return -1;
  }
  if (S_ISDIR(st.st_mode)) return run_dir(path);
  return run_file(path);
}

int main(int argc, char **argv) {
  int first = 1;
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    g_verbose = 1;
    first = 2;
  }
  if (first >= argc) {
    fprintf(stderr, "usage: fuzz-replay-%s [-v] FILE|DIR...\n", FUZZ_TARGET_NAME);
    return 2;
  }
  signal(SIGABRT, on_abort);
  signal(SIGSEGV, on_abort);
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(say_current);
  int bad = 0;
  for (int i = first; i < argc; i++) {
    if (run_path(argv[i]) != 0) bad = 1;
  }
  printf("fuzz-replay-%s: %lu inputs (%lu bytes), no finding%s\n", FUZZ_TARGET_NAME, g_inputs,
         g_bytes, bad ? "; some paths could not be read" : "");
  free(g_buf);
  return bad ? 2 : 0;
}
