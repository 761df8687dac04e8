// Package bench holds infragraph's end-to-end benchmarks (BENCHMARKS.md): scan speed against
// every provider's fake API under network latency, and the offline stages (graph build,
// inference and validation, rendering) at 1k, 10k and 100k nodes. Everything is in _test files;
// run them with go test ./bench -run '^$' -bench . -benchtime 1x.
package bench
