package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/infragraph/infragraph/termtext"
)

// lineHandler is a slog.Handler for people: "msg key=value ...", one line, no timestamp.
type lineHandler struct {
	mu    *sync.Mutex // shared by copies
	w     io.Writer
	level slog.Level
	attrs []slog.Attr
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	if r.Level >= slog.LevelWarn {
		b.WriteString(r.Level.String() + " ")
	}
	b.WriteString(termtext.Escape(r.Message))
	write := func(a slog.Attr) bool {
		// Values carry provider text (names, error messages): quoted when they hold a space or
		// anything termtext would escape, so no control character reaches the terminal.
		v := a.Value.Resolve().String()
		if strings.ContainsAny(v, " \t\"") || termtext.Escape(v) != v {
			v = fmt.Sprintf("%q", v)
		}
		b.WriteString(" " + termtext.Escape(a.Key) + "=" + v)
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *lineHandler) WithGroup(string) slog.Handler { return h }
