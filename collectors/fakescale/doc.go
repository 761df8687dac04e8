// Package fakescale generates large estates for the provider fakes, for benchmarks and tests at
// size: thousands of projects, droplets, containers. Nothing the demo serves is built here, so the
// packages it links stay free of code only tests call.
package fakescale
