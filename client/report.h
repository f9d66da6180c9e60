/*
 * report.h - the client adapter protocol's records as JSON lines, shared by
 * ssespec-client-adapter (records tagged with "stream") and ssespec-get
 * (untagged): each record as common/records_json.h writes it, written as
 * one whole line to fd with write(2).
 */
#ifndef SSESPEC_CLIENT_REPORT_H
#define SSESPEC_CLIENT_REPORT_H

#include <stddef.h>

#include "common/json.h"
#include "common/records_json.h"
#include "sse.h"

/* The stream id to tag records with; ptr NULL for none. */
typedef rj_stream rep_stream;

/* Each returns 0, or -1 if the line could not be made or written. w is a
 * scratch writer (cleared first). */
int rep_open(jw *w, int fd, rep_stream id);
int rep_event(jw *w, int fd, rep_stream id, const sse_event *ev);
int rep_error(jw *w, int fd, rep_stream id, int ready_state);
int rep_closed(jw *w, int fd, rep_stream id);
int rep_failure(jw *w, int fd, rep_stream id, const char *message);

/* Write the writer's buffer and a '\n' to fd (all of it, retrying on
 * EINTR and short writes). Returns 0 or -1. */
int rep_flush_line(jw *w, int fd);

#endif /* SSESPEC_CLIENT_REPORT_H */
