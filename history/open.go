package history

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"
)

// MaxGraphBytes is the largest graph.json discover reads, decompressed: 256 MiB, twice
// the graph.json of a 100,000-node estate (~130 MB, BENCHMARKS.md). A larger file, or a .gz that
// inflates past it (a gzip bomb: 1 MB can inflate to 1 GB), is refused with an error naming the
// file, not decoded into gigabytes of memory.
const MaxGraphBytes = 256 << 20

// Open opens a graph.json for streaming, decompressing it when the name ends in .gz; reading past
// MaxGraphBytes of (decompressed) JSON fails with an error naming the file. Close it when done.
func Open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.Size() > MaxGraphBytes {
		f.Close()
		return nil, tooLarge(path)
	}
	var r io.Reader = bufio.NewReaderSize(f, 64<<10)
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: not a gzip-compressed graph.json: %w", path, err)
		}
		r = zr
	}
	return &capped{r: r, left: MaxGraphBytes, path: path, f: f}, nil
}

func tooLarge(path string) error { return &TooLargeError{Path: path} }

// TooLargeError is a graph file past MaxGraphBytes of JSON.
type TooLargeError struct{ Path string }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: larger than %d MiB of JSON, the most discover reads as a graph (a gzip bomb, or not a graph.json)", e.Path, MaxGraphBytes>>20)
}

// capped reads at most left bytes and fails past them.
type capped struct {
	r    io.Reader
	left int64
	path string
	f    *os.File
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, err := c.r.Read(one[:]); n > 0 {
			return 0, tooLarge(c.path)
		} else if err != nil {
			return 0, err
		}
		return 0, nil
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *capped) Close() error { return c.f.Close() }
