/*
 * test_producer_serve.c ADAPTER - ssespec-producer-adapter --serve, as a
 * harness and its HTTP clients see it.
 *
 * Starts the adapter with --serve, opens 200 streams at once (half of them
 * HTTP/1.0), and checks: a request report for each (method, path, headers
 * lower-case, repeated ones joined with ", "); the exact response head
 * (chunked for HTTP/1.1, close-delimited for HTTP/1.0, no Content-Length);
 * a send to every stream, its sent report and its exact bytes on the wire;
 * end (the terminal chunk, then the connection closes) on half of them and
 * gone reports when the clients of the other half leave; a refused message
 * (failure, nothing written); 6 MiB of messages to a client that reads
 * them later; the answers to requests that open no stream (400, 404, 405,
 * 409, 505); and, when stdin closes, the open streams ended and exit status
 * 0. Every wait is bounded (10 s), so a hang is a failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "common/json.h"

#define STREAMS 200
#define WAIT_MS 10000

static pid_t g_pid;
static int g_in = -1, g_out = -1; /* the adapter's stdin and stdout */
static unsigned g_port;
static char g_buf[4 << 20]; /* adapter output not yet taken as lines */
static size_t g_len;
static char g_line[4 << 20];
static json_doc g_doc;

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "test_producer_serve: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  if (g_pid > 0) kill(g_pid, SIGKILL);
  exit(1);
}

/* The adapter's next line (without its LF), waiting at most WAIT_MS. */
static char *next_line(void) {
  for (;;) {
    char *nl = memchr(g_buf, '\n', g_len);
    if (nl) {
      size_t n = (size_t)(nl - g_buf);
      memcpy(g_line, g_buf, n);
      g_line[n] = '\0';
      memmove(g_buf, nl + 1, g_len - n - 1);
      g_len -= n + 1;
      return g_line;
    }
    struct pollfd p = {g_out, POLLIN, 0};
    int r = poll(&p, 1, WAIT_MS);
    if (r == 0) die("no line from the adapter in %d ms", WAIT_MS);
    if (r < 0 && errno == EINTR) continue;
    if (g_len == sizeof g_buf) die("a line over %zu bytes", sizeof g_buf);
    ssize_t n = read(g_out, g_buf + g_len, sizeof g_buf - g_len);
    if (n <= 0) die("the adapter's stdout ended");
    g_len += (size_t)n;
  }
}

/* Write a command line to the adapter. */
static void command(const char *fmt, ...) {
  static char line[4 << 20];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof line - 1) die("command too long");
  line[n++] = '\n';
  for (int off = 0; off < n;) {
    ssize_t w = write(g_in, line + off, (size_t)(n - off));
    if (w < 0) die("cannot write to the adapter: %s", strerror(errno));
    off += (int)w;
  }
}

/* The next line, parsed; it must be a report about stream with this kind. */
static json_value *report(const char *stream, const char *kind) {
  char *line = next_line();
  static char copy[4 << 20];
  json_value *root, *s, *k;
  strcpy(copy, line);
  if (json_parse(&g_doc, line, strlen(line), &root) != JSON_OK || root->type != JSON_OBJECT)
    die("not a JSON object: %s", copy);
  s = json_get(root, "stream");
  k = json_get(root, "kind");
  if (!s || !k || s->type != JSON_STRING || k->type != JSON_STRING) die("not a report: %s", copy);
  if ((stream && strcmp(s->str, stream) != 0) || strcmp(k->str, kind) != 0)
    die("got %s, want a %s report for %s", copy, kind, stream ? stream : "any stream");
  return root;
}

/* A connection to the adapter's server; rcvbuf nonzero: that small a
 * receive buffer, so that the server must keep what the client does not
 * take yet. */
static int dial_buf(int rcvbuf) {
  struct sockaddr_in sa;
  struct timeval tv = {WAIT_MS / 1000, 0};
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)g_port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) die("connect: %s", strerror(errno));
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

static int dial(void) {
  return dial_buf(0);
}

static void send_all(int fd, const char *s, size_t n) {
  while (n) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w <= 0) die("send to the adapter's server: %s", strerror(errno));
    s += w;
    n -= (size_t)w;
  }
}

/* Read exactly n bytes (a timeout or EOF first is a failure). */
static void recv_exact(int fd, char *buf, size_t n, const char *what) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = recv(fd, buf + got, n - got, 0);
    if (r <= 0)
      die("%s: %zu of %zu bytes, then %s", what, got, n, r == 0 ? "EOF" : strerror(errno));
    got += (size_t)r;
  }
}

/* Read until EOF into buf (cap bytes); returns the length. */
static size_t recv_to_eof(int fd, char *buf, size_t cap, const char *what) {
  size_t got = 0;
  for (;;) {
    ssize_t r = recv(fd, buf + got, cap - got, 0);
    if (r == 0) return got;
    if (r < 0) die("%s: %s after %zu bytes", what, strerror(errno), got);
    got += (size_t)r;
    if (got == cap) die("%s: over %zu bytes", what, cap);
  }
}

/* Read a response head (up to its blank line) into buf, NUL-terminated. */
static void recv_head(int fd, char *buf, size_t cap, const char *what) {
  size_t got = 0;
  while (got < 4 || memcmp(buf + got - 4, "\r\n\r\n", 4) != 0) {
    if (got + 1 >= cap) die("%s: head over %zu bytes", what, cap);
    recv_exact(fd, buf + got, 1, what);
    got++;
  }
  buf[got] = '\0';
}

static const char HEAD11[] = "HTTP/1.1 200 OK\r\n"
                             "Content-Type: text/event-stream; charset=utf-8\r\n"
                             "Cache-Control: no-cache\r\n"
                             "Transfer-Encoding: chunked\r\n"
                             "Connection: close\r\n\r\n";
static const char HEAD10[] = "HTTP/1.1 200 OK\r\n"
                             "Content-Type: text/event-stream; charset=utf-8\r\n"
                             "Cache-Control: no-cache\r\n"
                             "Connection: close\r\n\r\n";

/* The status code a request that opens no stream gets, and that the
 * connection closes after it. */
static int status_of(const char *request) {
  char buf[4096];
  int fd = dial(), code = 0;
  send_all(fd, request, strlen(request));
  size_t n = recv_to_eof(fd, buf, sizeof buf - 1, "a refused request");
  buf[n] = '\0';
  if (sscanf(buf, "HTTP/1.1 %d ", &code) != 1) die("not a response: %s", buf);
  CHECK(strstr(buf, "\r\nConnection: close\r\n") != NULL);
  close(fd);
  return code;
}

static void start(const char *adapter) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) die("pipe: %s", strerror(errno));
  g_pid = fork();
  if (g_pid < 0) die("fork: %s", strerror(errno));
  if (g_pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    execl(adapter, adapter, "--serve", (char *)NULL);
    perror(adapter);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  g_in = in[1];
  g_out = out[0];
  char *hello = next_line();
  char url[128];
  const char *u = strstr(hello, "\"url\":\"");
  if (!u || sscanf(u + 7, "http://127.0.0.1:%u/events\"", &g_port) != 1 || g_port == 0)
    die("no url in the hello line: %s", hello);
  snprintf(url, sizeof url, "\"url\":\"http://127.0.0.1:%u/events\"}}", g_port);
  CHECK(strncmp(hello,
                "{\"hello\":{\"name\":\"ssespec-reference\",\"version\":\"1.0.0\",\"fields\":["
                "\"data\",\"event\",\"id\",\"retry\",\"comment\"],\"encode\":true,",
                100) == 0);
  CHECK(strstr(hello, url) != NULL);
}

/* The body bytes a stream gets for the messages of the send below. */
static size_t expected_body(int i, int chunked, char *out) {
  char a[64], b[16];
  int na = snprintf(a, sizeof a, "id: %d\ndata: m%d\ndata: x\n\n", i, i);
  int nb = snprintf(b, sizeof b, ":c\n");
  if (!chunked) return (size_t)sprintf(out, "%s%s", a, b);
  return (size_t)sprintf(out, "%x\r\n%s\r\n%x\r\n%s\r\n", na, a, nb, b);
}

int main(int argc, char **argv) {
  static int fds[STREAMS];
  static int gone[STREAMS];
  char head[1024], id[32], buf[8192], want[512];

  if (argc != 2) {
    fprintf(stderr, "usage: test_producer_serve ADAPTER\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  json_doc_init(&g_doc);
  start(argv[1]);

  /* 200 streams at once: every fourth pair HTTP/1.0 */
  for (int i = 0; i < STREAMS; i++) {
    int http10 = i % 4 >= 2;
    int n = snprintf(buf, sizeof buf,
                     "GET /events?x=1&ssespec-stream=s%d HTTP/1.%d\r\nHost: h\r\nX-Rep: a\r\n"
                     "Accept: text/event-stream\r\nx-rep: b\r\n\r\n",
                     i, http10 ? 0 : 1);
    fds[i] = dial();
    send_all(fds[i], buf, (size_t)n);
    /* each request is reported before the next is made, so in order */
    snprintf(id, sizeof id, "s%d", i);
    json_value *r = report(id, "request");
    json_value *h = json_get(r, "headers");
    snprintf(want, sizeof want, "/events?x=1&ssespec-stream=s%d", i);
    CHECK(strcmp(json_get(r, "method")->str, "GET") == 0);
    CHECK(strcmp(json_get(r, "path")->str, want) == 0);
    CHECK(h && h->len == 3);
    CHECK(h && strcmp(json_get(h, "x-rep")->str, "a, b") == 0);
    CHECK(h && strcmp(json_get(h, "host")->str, "h") == 0);
    CHECK(h && strcmp(json_get(h, "accept")->str, "text/event-stream") == 0);
  }
  for (int i = 0; i < STREAMS; i++) {
    int http10 = i % 4 >= 2;
    recv_head(fds[i], head, sizeof head, "response head");
    CHECK_STR(head, http10 ? HEAD10 : HEAD11);
  }

  /* a send to each: sent reports in order, the exact bytes on the wire */
  for (int i = 0; i < STREAMS; i++)
    command("{\"cmd\":\"send\",\"stream\":\"s%d\",\"messages\":[{\"data\":\"m%d\\r\\nx\","
            "\"id\":\"%d\"},{\"comment\":\"c\"}]}",
            i, i, i);
  for (int i = 0; i < STREAMS; i++) {
    snprintf(id, sizeof id, "s%d", i);
    json_value *r = report(id, "sent");
    uint64_t count = 0;
    CHECK(json_number_u64(json_get(r, "count"), &count) == 0 && count == 2);
  }
  for (int i = 0; i < STREAMS; i++) {
    size_t n = expected_body(i, i % 4 < 2, want);
    recv_exact(fds[i], buf, n, "a stream's body");
    CHECK_MEM(buf, n, want, n);
  }

  /* end the even streams: the terminal chunk (HTTP/1.1), then EOF; the
   * clients of the odd ones leave: gone */
  for (int i = 0; i < STREAMS; i += 2) command("{\"cmd\":\"end\",\"stream\":\"s%d\"}", i);
  for (int i = 0; i < STREAMS; i += 2) {
    size_t n = recv_to_eof(fds[i], buf, sizeof buf, "an ended stream");
    if (i % 4 < 2)
      CHECK_MEM(buf, n, "0\r\n\r\n", 5);
    else
      CHECK(n == 0);
    close(fds[i]);
  }
  for (int i = 1; i < STREAMS; i += 2) close(fds[i]);
  for (int k = 1; k < STREAMS; k += 2) {
    json_value *r = report(NULL, "gone");
    int i = atoi(json_get(r, "stream")->str + 1);
    CHECK(i % 2 == 1 && i < STREAMS && !gone[i]);
    gone[i] = 1;
  }
  /* an ended or gone stream takes no more commands */
  command("{\"cmd\":\"send\",\"stream\":\"s0\",\"messages\":[{\"data\":\"x\"}]}");
  CHECK(strstr(json_get(report("s0", "failure"), "message")->str, "no open stream") != NULL);
  command("{\"cmd\":\"end\",\"stream\":\"s1\"}");
  report("s1", "failure");

  /* requests that open no stream */
  CHECK(status_of("GET /other?ssespec-stream=z HTTP/1.1\r\nHost: h\r\n\r\n") == 404);
  CHECK(status_of("POST /events?ssespec-stream=z HTTP/1.1\r\nHost: h\r\n\r\n") == 405);
  CHECK(status_of("GET /events HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(status_of("GET /events?ssespec-stream=%zz HTTP/1.1\r\nHost: h\r\n\r\n") == 400);
  CHECK(status_of("GET /events?ssespec-stream=z HTTP/2.0\r\nHost: h\r\n\r\n") == 505);
  CHECK(status_of("GET /events?ssespec-stream=z HTTP/1.1\r\nBad Header\r\n\r\n") == 400);

  /* one stream: a duplicate id is refused; a refused message writes
   * nothing; 6 MiB of messages reach a client that reads only afterwards;
   * when stdin closes the stream is ended and the adapter exits 0 */
  int fd = dial_buf(4096);
  const char *req = "GET http://127.0.0.1/events?ssespec-stream=last%2F1 HTTP/1.1\r\n\r\n";
  send_all(fd, req, strlen(req));
  CHECK(strcmp(json_get(report("last/1", "request"), "path")->str,
               "/events?ssespec-stream=last%2F1") == 0);
  recv_head(fd, head, sizeof head, "the last stream's head");
  CHECK(status_of("GET /events?ssespec-stream=last/1 HTTP/1.1\r\n\r\n") == 409);
  command("{\"cmd\":\"send\",\"stream\":\"last/"
          "1\",\"messages\":[{\"data\":\"x\",\"event\":\"a\\nb\"}]}");
  CHECK(strncmp(json_get(report("last/1", "failure"), "message")->str,
                "messages[0]: event type holds an LF (U+000A) at byte 0", 50) == 0);
  {
    /* six messages of 1 MiB, more than the socket buffers hold: the
     * server keeps the rest until the client reads */
    size_t big = (size_t)1 << 20;
    char *data = malloc(big + 1), *line = malloc(big + 200), *got = malloc(big + 64);
    if (!data || !line || !got) die("out of memory");
    for (int k = 0; k < 6; k++) {
      memset(data, 'a' + k, big);
      data[big] = '\0';
      command("{\"cmd\":\"send\",\"stream\":\"last/1\",\"messages\":[{\"data\":\"%s\"}]}", data);
      uint64_t count = 0;
      CHECK(json_number_u64(json_get(report("last/1", "sent"), "count"), &count) == 0 &&
            count == (uint64_t)k + 1);
    }
    for (int k = 0; k < 6; k++) {
      int n = snprintf(line, 32, "%zx\r\ndata: ", big + 8);
      memset(line + n, 'a' + k, big);
      memcpy(line + n + big, "\n\n\r\n", 4);
      recv_exact(fd, got, (size_t)n + big + 4, "a 1 MiB message");
      CHECK_MEM(got, (size_t)n + big + 4, line, (size_t)n + big + 4);
    }
    free(data);
    free(line);
    free(got);
  }
  close(g_in);
  size_t n = recv_to_eof(fd, buf, sizeof buf, "the stream open when stdin closed");
  CHECK_MEM(buf, n, "0\r\n\r\n", 5);
  close(fd);
  {
    int status = 0;
    struct timespec pause = {0, 10 * 1000 * 1000};
    int waited = 0;
    while (waitpid(g_pid, &status, WNOHANG) == 0) {
      if (waited++ > WAIT_MS / 10) die("the adapter did not exit after stdin closed");
      nanosleep(&pause, NULL);
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    g_pid = 0;
  }
  CHECK(g_len == 0 && read(g_out, buf, sizeof buf) == 0); /* nothing more on stdout */
  json_doc_free(&g_doc);
  return check_report("test_producer_serve");
}
