/*
 * report.c - JSON lines for the client adapter protocol's records.
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

static void begin(jw *w, rep_stream id, const char *kind) {
  jw_clear(w);
  jw_object_begin(w);
  if (id.ptr) {
    jw_key(w, "stream");
    jw_string(w, id.ptr, id.len);
  }
  jw_key(w, "kind");
  jw_cstr(w, kind);
}

static int end(jw *w, int fd) {
  jw_object_end(w);
  if (w->err != JW_OK) return -1;
  return rep_flush_line(w, fd);
}

int rep_open(jw *w, int fd, rep_stream id) {
  begin(w, id, "open");
  return end(w, fd);
}

int rep_event(jw *w, int fd, rep_stream id, const sse_event *ev) {
  begin(w, id, "event");
  jw_key(w, "type");
  jw_string(w, ev->type, ev->type_len);
  jw_key(w, "data");
  jw_string(w, ev->data, ev->data_len);
  jw_key(w, "lastEventId");
  jw_string(w, ev->last_event_id, ev->last_event_id_len);
  return end(w, fd);
}

int rep_error(jw *w, int fd, rep_stream id, int ready_state) {
  begin(w, id, "error");
  jw_key(w, "readyState");
  jw_int(w, ready_state);
  return end(w, fd);
}

int rep_closed(jw *w, int fd, rep_stream id) {
  begin(w, id, "closed");
  return end(w, fd);
}

int rep_failure(jw *w, int fd, rep_stream id, const char *message) {
  begin(w, id, "failure");
  jw_key(w, "message");
  jw_cstr(w, message);
  return end(w, fd);
}
