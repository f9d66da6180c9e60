/*
 * workloads.h - the benchmark's named, reproducible event streams and the
 * ways they are split into feeds. Every stream is made from a fixed seed:
 * the same name and size give the same bytes on every machine, and the
 * node peer is handed those very bytes (ssespec-bench gen). See
 * docs/performance.md for what each workload is.
 */
#ifndef SSESPEC_BENCH_WORKLOADS_H
#define SSESPEC_BENCH_WORKLOADS_H

#include <stddef.h>
#include <stdint.h>

typedef struct workload {
  const char *name;
  const char *what;    /* one line for listings */
  size_t default_size; /* bytes to generate unless told (about) */
  size_t limit;        /* the parser limit the workload needs (0: default) */
  char eol;            /* the byte the memchr floor looks for */
} workload;

extern const workload k_workloads[];
extern const size_t n_workloads;

const workload *workload_find(const char *name);

/* Generate about size bytes (at least one event; always whole events) of
 * the workload into a malloc'd buffer. *len gets its length and *events
 * the number of events a conforming parser dispatches from it. Returns
 * NULL if out of memory. */
char *workload_make(const workload *w, size_t size, size_t *len, size_t *events);

/* Split modes: whole, 1460, 16k, random, 1. */
typedef struct split_mode {
  const char *name;
  size_t fixed; /* chunk length for a fixed split; 0: whole or random */
} split_mode;

extern const split_mode k_splits[];
extern const size_t n_splits;

const split_mode *split_find(const char *name);

/* The chunk lengths for splitting len bytes in this mode (malloc'd; *n
 * gets their count). random: lengths uniform in 1..4096 from a fixed
 * seed. Returns NULL if out of memory. */
uint32_t *split_lengths(const split_mode *m, size_t len, size_t *n);

#endif
