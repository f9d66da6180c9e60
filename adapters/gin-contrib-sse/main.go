// Command adapter is the ssespec parser adapter (docs/adapter-protocol.md)
// for the Go package github.com/gin-contrib/sse, as Debian packages it
// (golang-github-gin-contrib-sse-dev): its Decode(io.Reader), the decoder of
// the SSE package of the Gin web framework, fed the chunks of each request
// one Read at a time. README.md beside this file says what is reported.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/gin-contrib/sse"
)

// version is set at build time to the Debian package's version (run.sh).
var version = "unknown"

// chunkReader hands out the chunks in order, never more than one chunk per
// Read (Decode reads everything before it parses, so this changes nothing,
// but the chunks are given as the protocol asks).
type chunkReader struct {
	chunks [][]byte
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.chunks) > 0 && len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	return n, nil
}

// text turns the bytes the library gives (Go strings are bytes; the package
// does no decoding) into the text an application would get from the
// Encoding Standard's UTF-8 decoder: one U+FFFD per maximal malformed
// subpart, not one per byte as encoding/json would write. No BOM is removed
// here: that is the stream's business, and the package's.
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
			i-- // the byte starts afresh
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

type request struct {
	Case   *string  `json:"case"`
	Chunks []string `json:"chunks"`
}

type record map[string]interface{}

func runCase(chunks [][]byte) ([]record, error) {
	events, err := sse.Decode(&chunkReader{chunks: chunks})
	if err != nil {
		return nil, err
	}
	records := []record{}
	for _, ev := range events {
		// Decode gives Data as a string and Event as "message" when the
		// block named none. Retry is never set by Decode (a retry line sets
		// Id): not reported.
		data, _ := ev.Data.(string)
		records = append(records, record{"kind": "event", "type": text(ev.Event), "data": text(data), "lastEventId": text(ev.Id)})
	}
	return records, nil
}

func main() {
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	send := func(v interface{}) {
		if err := enc.Encode(v); err != nil {
			fmt.Fprintf(os.Stderr, "gin-contrib-sse adapter: %v\n", err)
		}
		out.Flush()
	}
	send(map[string]interface{}{"hello": map[string]interface{}{
		"name":    "github.com/gin-contrib/sse",
		"version": version,
		"reports": []string{"event"},
	}})
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	for {
		line, err := in.ReadString('\n')
		if strings.TrimSpace(line) != "" {
			var req request
			if jerr := json.Unmarshal([]byte(line), &req); jerr != nil || req.Case == nil {
				send(map[string]interface{}{"case": nil, "error": fmt.Sprintf("adapter: bad request: %v", jerr)})
			} else {
				chunks := make([][]byte, 0, len(req.Chunks))
				var derr error
				for _, c := range req.Chunks {
					b, e := base64.StdEncoding.DecodeString(c)
					if e != nil {
						derr = e
						break
					}
					chunks = append(chunks, b)
				}
				if derr != nil {
					send(map[string]interface{}{"case": *req.Case, "error": fmt.Sprintf("adapter: bad chunk: %v", derr)})
				} else if records, e := runCase(chunks); e != nil {
					send(map[string]interface{}{"case": *req.Case, "error": fmt.Sprintf("sse.Decode: %v", e)})
				} else {
					send(map[string]interface{}{"case": *req.Case, "records": records})
				}
			}
		}
		if err != nil {
			return
		}
	}
}
