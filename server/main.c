/*
 * main.c - the command line of ssespec-server (docs/server.md).
 */
#define _GNU_SOURCE
#include "common/decimal.h"
#include "common/json.h"
#include "scenario.h"
#include "server.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: ssespec-server [--port N] [--tls-port N --cert PEM --key PEM] [--tls-h1-port N]\n"
    "                      [--h2c-port N] [--h2-max-streams N] [--static DIR] [--log FILE]\n"
    "                      [--header-timeout-ms N] SCENARIO_DIR_OR_FILE...\n"
    "       ssespec-server --check SCENARIO_DIR_OR_FILE...\n"
    "       ssespec-server --dump SCENARIO_DIR_OR_FILE...\n";

/* The scenarios being loaded. */
struct set {
  struct scenario **v;
  size_t n, cap;
  int errors;
  int keep_going; /* --check: report every malformed file */
};

static int set_add(struct set *set, struct scenario *sc) {
  for (size_t i = 0; i < set->n; i++) {
    if (strcmp(set->v[i]->name, sc->name) == 0) {
      fprintf(stderr, "%s:1: name: scenario %s is also loaded from %s\n", sc->file, sc->name,
              set->v[i]->file);
      sc_free(sc);
      return -1;
    }
  }
  if (set->n == set->cap) {
    size_t cap = set->cap ? set->cap * 2 : 64;
    struct scenario **v = realloc(set->v, cap * sizeof *v);
    if (!v) {
      fprintf(stderr, "ssespec-server: out of memory\n");
      sc_free(sc);
      return -1;
    }
    set->v = v;
    set->cap = cap;
  }
  set->v[set->n++] = sc;
  return 0;
}

static int load_one(struct set *set, const char *path, const char *name) {
  char err[SC_ERROR_SIZE];
  struct scenario *sc;
  if (sc_load_file(path, name, &sc, err, sizeof err) < 0) {
    fprintf(stderr, "%s\n", err);
    return -1;
  }
  return set_add(set, sc);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load every *.scenario below dir; prefix is the name so far ("" at the
 * top). Entries are taken in name order; names starting with '.' are
 * skipped. */
static int load_dir(struct set *set, const char *dir, const char *prefix, int depth) {
  DIR *d;
  struct dirent *e;
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  if (depth > 32) {
    fprintf(stderr, "%s:0: file: directories nested too deep\n", dir);
    return -1;
  }
  d = opendir(dir);
  if (!d) {
    fprintf(stderr, "%s:0: file: cannot read the directory: %s\n", dir, strerror(errno));
    return -1;
  }
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) {
      char **v;
      cap = cap ? cap * 2 : 32;
      v = realloc(names, cap * sizeof *v);
      if (!v) {
        rc = -1;
        break;
      }
      names = v;
    }
    if (!(names[n] = strdup(e->d_name))) {
      rc = -1;
      break;
    }
    n++;
  }
  closedir(d);
  if (rc < 0) fprintf(stderr, "ssespec-server: out of memory\n");
  if (n) qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n && (rc == 0 || set->keep_going); i++) {
    char *path = NULL, *name = NULL;
    struct stat st;
    size_t len = strlen(names[i]);
    if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
      rc = -1;
      break;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
      if (asprintf(&name, "%s%s/", prefix, names[i]) >= 0) {
        if (load_dir(set, path, name, depth + 1) < 0) rc = -1;
      } else {
        rc = -1;
      }
    } else if (len > 9 && strcmp(names[i] + len - 9, ".scenario") == 0) {
      if (asprintf(&name, "%s%.*s", prefix, (int)(len - 9), names[i]) >= 0) {
        if (load_one(set, path, name) < 0) rc = -1;
      } else {
        rc = -1;
      }
    }
    free(path);
    free(name);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return rc;
}

static int load_arg(struct set *set, const char *arg) {
  struct stat st;
  if (stat(arg, &st) < 0) {
    fprintf(stderr, "%s:0: file: %s\n", arg, strerror(errno));
    return -1;
  }
  if (S_ISDIR(st.st_mode)) {
    size_t n = strlen(arg);
    char *dir = strdup(arg);
    int rc;
    if (!dir) return -1;
    while (n > 1 && dir[n - 1] == '/') dir[--n] = '\0';
    rc = load_dir(set, dir, "", 0);
    free(dir);
    return rc;
  } else {
    char *name = sc_name_from_path(arg);
    int rc;
    if (!name) return -1;
    rc = load_one(set, arg, name);
    free(name);
    return rc;
  }
}

static void set_free(struct set *set) {
  for (size_t i = 0; i < set->n; i++) sc_free(set->v[i]);
  free(set->v);
}

static int parse_num(const char *opt, const char *s, long max, long *out) {
  uint64_t v;
  if (decimal_u64(s, s ? strlen(s) : 0, (uint64_t)max, &v) < 0) {
    fprintf(stderr, "ssespec-server: %s needs a number from 0 to %ld\n", opt, max);
    return -1;
  }
  *out = (long)v;
  return 0;
}

int main(int argc, char **argv) {
  struct server_config cfg;
  struct set set;
  enum { SERVE, CHECK, DUMP } mode = SERVE;
  const char *log_path = NULL;
  char **inputs;
  size_t ninputs = 0;
  int rc = 0;
  long v;
  memset(&cfg, 0, sizeof cfg);
  memset(&set, 0, sizeof set);
  cfg.tls_port = -1;
  cfg.tls_h1_port = -1;
  cfg.h2c_port = -1;
  cfg.h2_max_streams = 1000;
  cfg.header_timeout_ms = 10000;
  cfg.linger_close_ms = 2000;
  inputs = calloc((size_t)argc + 1, sizeof *inputs);
  if (!inputs) return 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(usage, stdout);
      free(inputs);
      return 0;
    } else if (strcmp(a, "--check") == 0) {
      mode = CHECK;
    } else if (strcmp(a, "--dump") == 0) {
      mode = DUMP;
    } else if (strcmp(a, "--port") == 0) {
      if (parse_num(a, val, 65535, &v) < 0) goto usage_error;
      cfg.port = (int)v;
      i++;
    } else if (strcmp(a, "--tls-port") == 0) {
      if (parse_num(a, val, 65535, &v) < 0) goto usage_error;
      cfg.tls_port = (int)v;
      i++;
    } else if (strcmp(a, "--tls-h1-port") == 0) {
      if (parse_num(a, val, 65535, &v) < 0) goto usage_error;
      cfg.tls_h1_port = (int)v;
      i++;
    } else if (strcmp(a, "--h2c-port") == 0) {
      if (parse_num(a, val, 65535, &v) < 0) goto usage_error;
      cfg.h2c_port = (int)v;
      i++;
    } else if (strcmp(a, "--h2-max-streams") == 0) {
      if (parse_num(a, val, 2147483647L, &v) < 0 || v == 0) goto usage_error;
      cfg.h2_max_streams = (unsigned long)v;
      i++;
    } else if (strcmp(a, "--header-timeout-ms") == 0) {
      if (parse_num(a, val, 3600000, &v) < 0 || v == 0) goto usage_error;
      cfg.header_timeout_ms = (unsigned long)v;
      i++;
    } else if (strcmp(a, "--cert") == 0 || strcmp(a, "--key") == 0 || strcmp(a, "--static") == 0 ||
               strcmp(a, "--log") == 0) {
      if (!val) {
        fprintf(stderr, "ssespec-server: %s needs a value\n", a);
        goto usage_error;
      }
      if (a[2] == 'c') cfg.cert = val;
      if (a[2] == 'k') cfg.key = val;
      if (a[2] == 's') cfg.static_dir = val;
      if (a[2] == 'l') log_path = val;
      i++;
    } else if (strcmp(a, "--") == 0) {
      while (++i < argc) inputs[ninputs++] = argv[i];
    } else if (a[0] == '-' && a[1] == '-') {
      fprintf(stderr, "ssespec-server: unknown option %s\n", a);
      goto usage_error;
    } else {
      inputs[ninputs++] = argv[i];
    }
  }
  if (ninputs == 0) {
    fprintf(stderr, "ssespec-server: no scenario directory or file given\n");
    goto usage_error;
  }
  if ((cfg.tls_port >= 0 || cfg.tls_h1_port >= 0) && (!cfg.cert || !cfg.key)) {
    fprintf(stderr, "ssespec-server: --tls-port and --tls-h1-port need --cert and --key\n");
    goto usage_error;
  }
  if (cfg.tls_port < 0 && cfg.tls_h1_port < 0 && (cfg.cert || cfg.key)) {
    fprintf(stderr, "ssespec-server: --cert and --key need --tls-port or --tls-h1-port\n");
    goto usage_error;
  }

  set.keep_going = mode == CHECK;
  for (size_t i = 0; i < ninputs; i++) {
    if (load_arg(&set, inputs[i]) < 0) {
      set.errors++;
      if (!set.keep_going) break;
    }
  }
  if (set.errors) {
    if (mode == SERVE) fprintf(stderr, "ssespec-server: no scenario loaded\n");
    rc = 2;
    goto out;
  }
  if (mode == CHECK) {
    printf("%zu scenarios OK\n", set.n);
    goto out;
  }
  if (mode == DUMP) {
    jw w;
    jw_init(&w, JW_MAX_SIZE);
    if (sc_dump(&w, set.v, set.n) != JW_OK || jw_raw(&w, "\n", 1) != JW_OK) {
      fprintf(stderr, "ssespec-server: --dump: %s\n", jw_strerror(w.err));
      rc = 1;
    } else if (fwrite(w.buf, 1, w.len, stdout) != w.len || fflush(stdout) != 0) {
      fprintf(stderr, "ssespec-server: --dump: cannot write: %s\n", strerror(errno));
      rc = 1;
    }
    jw_free(&w);
    goto out;
  }

  /* serve */
  {
    struct rlimit rl;
    sigset_t sigs;
    char err[512];
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    /* the one process-wide setting: a vanished peer is an error code,
     * never a signal (OpenSSL writes without MSG_NOSIGNAL) */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    cfg.log = stdout;
    if (log_path) {
      cfg.log = fopen(log_path, "w");
      if (!cfg.log) {
        fprintf(stderr, "ssespec-server: --log %s: %s\n", log_path, strerror(errno));
        rc = 1;
        goto out;
      }
    }
    cfg.scenarios = set.v;
    cfg.nscenarios = set.n;
    if (server_run(&cfg, err, sizeof err) != 0) {
      fprintf(stderr, "ssespec-server: %s\n", err);
      rc = 1;
    }
    if (cfg.log != stdout) fclose(cfg.log);
  }
out:
  set_free(&set);
  free(inputs);
  return rc;
usage_error:
  fputs(usage, stderr);
  set_free(&set);
  free(inputs);
  return 2;
}
