// Command adapter is the ssespec client adapter
// (docs/client-adapter-protocol.md) for the Go package
// github.com/donovanhide/eventsource, as Debian packages it
// (golang-github-donovanhide-eventsource-dev): one eventsource.Subscribe(url,
// "") per stream, its Events and Errors channels read until the stream is
// closed. README.md beside this file says what is reported.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/donovanhide/eventsource"
)

// version is set at build time to the Debian package's version (run.sh).
var version = "unknown"

const maxStreams = 128

var (
	outMu sync.Mutex
	out   = bufio.NewWriter(os.Stdout)
)

func send(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "donovanhide-eventsource-client adapter: %v\n", err)
		return
	}
	outMu.Lock()
	defer outMu.Unlock()
	out.Write(b)
	out.WriteByte('\n')
	out.Flush()
}

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "donovanhide-eventsource-client adapter: "+format+"\n", args...)
}

// text turns the bytes the library gives (Go strings are bytes; the package
// decodes nothing) into the text an application would get from the Encoding
// Standard's UTF-8 decoder: one U+FFFD per maximal malformed subpart.
func text(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	needed, seen := 0, 0
	var cp rune
	lower, upper := byte(0x80), byte(0xBF)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if needed == 0 {
			switch {
			case c <= 0x7F:
				b.WriteByte(c)
			case c >= 0xC2 && c <= 0xDF:
				needed, cp = 1, rune(c&0x1F)
			case c >= 0xE0 && c <= 0xEF:
				if c == 0xE0 {
					lower = 0xA0
				} else if c == 0xED {
					upper = 0x9F
				}
				needed, cp = 2, rune(c&0x0F)
			case c >= 0xF0 && c <= 0xF4:
				if c == 0xF0 {
					lower = 0x90
				} else if c == 0xF4 {
					upper = 0x8F
				}
				needed, cp = 3, rune(c&0x07)
			default:
				b.WriteRune(utf8.RuneError)
			}
			continue
		}
		if c < lower || c > upper {
			needed, seen, cp = 0, 0, 0
			lower, upper = 0x80, 0xBF
			b.WriteRune(utf8.RuneError)
			i--
			continue
		}
		lower, upper = 0x80, 0xBF
		cp = cp<<6 | rune(c&0x3F)
		seen++
		if seen == needed {
			b.WriteRune(cp)
			needed, seen, cp = 0, 0, 0
		}
	}
	if needed != 0 {
		b.WriteRune(utf8.RuneError)
	}
	return b.String()
}

// stream is one open command: the library's Stream once Subscribe has
// returned, and whether the harness has closed it.
type stream struct {
	id     string
	mu     sync.Mutex
	closed bool
	es     *eventsource.Stream
}

func (s *stream) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *stream) report(obj map[string]interface{}) {
	if s.isClosed() {
		return
	}
	obj["stream"] = s.id
	send(obj)
}

func (s *stream) run(url string, types map[string]bool) {
	es, err := eventsource.Subscribe(url, "")
	if err != nil {
		// The first connection failed (a network error or a status other
		// than 200): Subscribe returns the error and the library does not
		// try again. That is the library giving up: readyState CLOSED.
		logf("%s: Subscribe: %v", s.id, err)
		s.report(map[string]interface{}{"kind": "error", "readyState": 2})
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		es.Close()
		return
	}
	s.es = es
	s.mu.Unlock()
	events, errs := es.Events, es.Errors
	for events != nil || errs != nil {
		select {
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			typ := ev.Event()
			if typ == "" {
				typ = "message"
			}
			if !types[typ] {
				continue
			}
			s.report(map[string]interface{}{"kind": "event", "type": text(typ), "data": text(ev.Data()), "lastEventId": text(ev.Id())})
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			// The stream "will always attempt to continue" after an error:
			// the library is reconnecting, readyState CONNECTING.
			logf("%s: error: %v", s.id, err)
			s.report(map[string]interface{}{"kind": "error", "readyState": 0})
		}
	}
}

func (s *stream) close() {
	s.mu.Lock()
	s.closed = true
	es := s.es
	s.mu.Unlock()
	if es != nil {
		es.Close()
	}
}

type command struct {
	Cmd    string   `json:"cmd"`
	Stream *string  `json:"stream"`
	URL    *string  `json:"url"`
	Types  []string `json:"types"`
}

func main() {
	send(map[string]interface{}{"hello": map[string]interface{}{
		"name":        "github.com/donovanhide/eventsource",
		"version":     version,
		"reports":     []string{"event", "error", "closed", "failure"},
		"max_streams": maxStreams,
		"fetch":       false,
	}})
	streams := map[string]*stream{}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<16), 1<<24)
	for in.Scan() {
		line := in.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		var cmd command
		if err := json.Unmarshal([]byte(line), &cmd); err != nil || cmd.Stream == nil {
			logf("a command needs a \"stream\" string: %.200s", line)
			continue
		}
		id := *cmd.Stream
		failure := func(msg string) { send(map[string]interface{}{"stream": id, "kind": "failure", "message": msg}) }
		switch cmd.Cmd {
		case "open":
			if _, ok := streams[id]; ok {
				failure("stream " + id + " is already open")
			} else if len(streams) >= maxStreams {
				failure(fmt.Sprintf("more than %d streams", maxStreams))
			} else if cmd.URL == nil {
				failure("open needs a \"url\" string")
			} else {
				types := map[string]bool{"message": true}
				for _, t := range cmd.Types {
					types[t] = true
				}
				s := &stream{id: id}
				streams[id] = s
				go s.run(*cmd.URL, types)
			}
		case "close":
			s, ok := streams[id]
			if !ok {
				failure("stream " + id + " is not open")
				continue
			}
			delete(streams, id)
			s.close()
			send(map[string]interface{}{"stream": id, "kind": "closed"})
		default:
			failure(fmt.Sprintf("unknown command %q", cmd.Cmd))
		}
	}
	for _, s := range streams {
		s.close()
	}
}
