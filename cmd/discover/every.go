package main

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/infragraph/infragraph/scan"
)

// runEvery runs once now and then every interval (start to start) plus a random delay up to
// jitter, so that many installations scheduled alike do not call the providers' APIs in the same
// second. It logs one line per scan and returns nil when ctx ends (SIGINT, SIGTERM): between scans
// at once, during a scan after once has abandoned or finished its writes. A failing scan is
// logged and retried at the next interval; only the caller's lock outlives it.
func runEvery(ctx context.Context, log *slog.Logger, every, jitter time.Duration, once func(context.Context) (*scan.Result, []string, error)) error {
	for {
		start := time.Now()
		res, _, err := once(ctx)
		wait := every - time.Since(start)
		if jitter > 0 {
			wait += rand.N(jitter)
		}
		wait = max(wait, 0)
		next := time.Now().Add(wait).UTC().Format(time.RFC3339)
		switch {
		case errors.Is(err, errInterrupted):
			log.Info("scan abandoned: interrupted before writing, the output directory is unchanged")
		case err != nil:
			log.Error("scan failed", "error", err, "next", next)
		default:
			log.Info("scan finished", append(scanAttrs(res), "took", time.Since(start).Round(time.Millisecond), "next", next)...)
		}
		if ctx.Err() != nil {
			log.Info("scheduled scans stopped")
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			log.Info("scheduled scans stopped")
			return nil
		case <-t.C:
		}
	}
}
