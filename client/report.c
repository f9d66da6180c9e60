/*
 * report.c - the client adapter protocol's records as JSON lines: one
 * record (common/records_json.c) per line.
 */
#include "report.h"

#include <errno.h>
#include <unistd.h>

int rep_flush_line(jw *w, int fd) {
  if (jw_raw(w, "\n", 1) != JW_OK) return -1;
  const char *p = w->buf;
  size_t left = w->len;
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    left -= (size_t)n;
  }
  return 0;
}

/* The record just made in w (rc its status) as one line to fd. */
static int line(jw *w, int fd, int rc) {
  if (rc != JW_OK) return -1;
  return rep_flush_line(w, fd);
}

int rep_open(jw *w, int fd, rep_stream id) {
  jw_clear(w);
  return line(w, fd, rj_open(w, id));
}

int rep_event(jw *w, int fd, rep_stream id, const sse_event *ev) {
  jw_clear(w);
  return line(w, fd,
              rj_event(w, id, ev->type, ev->type_len, ev->data, ev->data_len, ev->last_event_id,
                       ev->last_event_id_len));
}

int rep_error(jw *w, int fd, rep_stream id, int ready_state) {
  jw_clear(w);
  return line(w, fd, rj_error(w, id, ready_state));
}

int rep_closed(jw *w, int fd, rep_stream id) {
  jw_clear(w);
  return line(w, fd, rj_closed(w, id));
}

int rep_failure(jw *w, int fd, rep_stream id, const char *message) {
  jw_clear(w);
  return line(w, fd, rj_failure(w, id, message));
}
