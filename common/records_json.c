/*
 * records_json.c - the adapter protocols' records of records_json.h.
 */
#include "records_json.h"

#include <string.h>

/* Open the object: "stream" (if any), then "kind". */
static void begin(jw *w, rj_stream stream, const char *kind) {
  jw_object_begin(w);
  if (stream.ptr) {
    jw_key(w, "stream");
    jw_string(w, stream.ptr, stream.len);
  }
  jw_key(w, "kind");
  jw_string(w, kind, strlen(kind));
}

int rj_event(jw *w, rj_stream stream, const char *type, size_t type_len, const char *data,
             size_t data_len, const char *last_event_id, size_t last_event_id_len) {
  begin(w, stream, "event");
  jw_key(w, "type");
  jw_string(w, type, type_len);
  jw_key(w, "data");
  jw_string(w, data, data_len);
  jw_key(w, "lastEventId");
  jw_string(w, last_event_id, last_event_id_len);
  return jw_object_end(w);
}

int rj_retry(jw *w, rj_stream stream, uint64_t ms) {
  begin(w, stream, "retry");
  jw_key(w, "ms");
  jw_uint(w, ms);
  return jw_object_end(w);
}

int rj_comment(jw *w, rj_stream stream, const char *text, size_t len) {
  begin(w, stream, "comment");
  jw_key(w, "text");
  jw_string(w, text, len);
  return jw_object_end(w);
}

int rj_end(jw *w, rj_stream stream, const char *last_event_id, size_t len) {
  begin(w, stream, "end");
  jw_key(w, "lastEventId");
  jw_string(w, last_event_id, len);
  return jw_object_end(w);
}

int rj_open(jw *w, rj_stream stream) {
  begin(w, stream, "open");
  return jw_object_end(w);
}

int rj_error(jw *w, rj_stream stream, int ready_state) {
  begin(w, stream, "error");
  jw_key(w, "readyState");
  jw_int(w, ready_state);
  return jw_object_end(w);
}

int rj_closed(jw *w, rj_stream stream) {
  begin(w, stream, "closed");
  return jw_object_end(w);
}

int rj_failure(jw *w, rj_stream stream, const char *message) {
  begin(w, stream, "failure");
  jw_key(w, "message");
  jw_cstr(w, message);
  return jw_object_end(w);
}
