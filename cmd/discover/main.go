// Command discover maps a team's infrastructure (Vercel, Supabase, Odoo, DigitalOcean, Docker)
// into one typed knowledge graph. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// memoryLimit is the Go heap size past which the garbage collector works harder (a soft limit,
// debug.SetMemoryLimit) unless GOMEMLIMIT says otherwise: with the default GOGC alone a scan of
// 100k nodes let garbage double its live heap and peaked at 2.1 GiB RSS (BENCHMARKS.md, issue
// #16). Small scans never reach it and are unaffected.
const memoryLimit = 1 << 30

func main() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
