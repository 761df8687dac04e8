package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/collectors/all"
	"github.com/infragraph/infragraph/config"
	"github.com/infragraph/infragraph/termtext"
)

// Exit codes: a scheduler tells ok, partial and down apart by these alone (README, "Exit codes").
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2 // bad flags, arguments or configuration (also --llm on without credentials)
	exitPartial = 3 // graph written, but some collector (or the LLM stage under --llm on) failed
	exitNothing = 4 // nothing collected: every configured collector failed; previous graph kept, stale
)

// exitCodesHelp is the exit-code table the commands' help shows.
const exitCodesHelp = `Exit codes: 0 ok; 1 error (also: the directory is locked, or the scan was interrupted before
writing); 2 bad usage or configuration (also --llm on without LLM credentials); 3 graph written
but something failed (a collector, or the LLM stage under --llm on); 4 nothing collected (every
configured collector failed or timed out: the previous graph is kept, marked stale).`

// exitError carries an exit code through cobra.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string {
	if e.err == nil { // an exit code that needs no message (diff --exit-code: something changed)
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *codeError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &codeError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// titles lists the providers' titles in prose: "Vercel, Supabase and Odoo".
func titles(r collectors.Registry) string {
	t := make([]string, len(r))
	for i, p := range r {
		t[i] = p.Title
	}
	if len(t) < 2 {
		return strings.Join(t, "")
	}
	return strings.Join(t[:len(t)-1], ", ") + " and " + t[len(t)-1]
}

// checkUsage makes bad usage an error of its own type (a codeError with exitUsage), never a
// message parsed back: every command's positional-argument check returns one (usageArgs), and so
// does an unknown command, which cobra finds before running anything and reports with a plain
// error, so it is looked up here first. The commands cobra adds itself (help, completion) are put
// in place before; shell completion's hidden request command is left to cobra.
func checkUsage(root *cobra.Command, args []string) error {
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		return nil
	}
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd(args...)
	usageArgs(root)
	if _, _, err := root.Find(args); err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	return nil
}

// usageArgs makes the positional-argument check of c and every command under it a usage error by
// type (exit 2): cobra's validators (NoArgs, ExactArgs ...) return plain errors.
func usageArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				var ce *codeError
				if errors.As(err, &ce) {
					return err
				}
				return &codeError{code: exitUsage, err: err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
}

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v
}

// env is what commands read from the outside world, injectable for tests.
type env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Exists         func(string) bool
	IsTerminal     bool
	// Now is the clock (nil: time.Now); Instances builds the collectors from the configuration
	// (nil: config.File.Instances). Tests replace them.
	Now       func() time.Time
	Instances func(*config.File) []collectors.Instance
	// Providers is the provider list (nil: collectors/all's); the test of README.md's "Adding a
	// provider" walkthrough adds its toy provider to it.
	Providers collectors.Registry
}

// providers is the provider list commands read configuration, --only and --skip with.
func (e *env) providers() collectors.Registry {
	if e.Providers == nil {
		return all.Registry
	}
	return e.Providers
}

func osEnv(stdout, stderr io.Writer) *env {
	tty := false
	if f, ok := stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &env{Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, IsTerminal: tty,
		Exists: func(p string) bool { _, err := os.Stat(p); return err == nil }}
}

// globalOpts are the flags every command shares.
type globalOpts struct {
	logFormat string
	logLevel  string
	telemetry string
}

func (g *globalOpts) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, usageErr("--log-level: %v", err)
	}
	switch g.logFormat {
	case "text":
		return slog.New(&lineHandler{w: w, level: lvl, mu: &sync.Mutex{}}), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl})), nil
	}
	return nil, usageErr("--log-format must be text or json, not %q", g.logFormat)
}

func newRootCmd(e *env) *cobra.Command {
	g := &globalOpts{}
	root := &cobra.Command{
		Use:           "discover",
		Short:         "Map your infrastructure into one typed knowledge graph",
		Long:          "discover scans " + titles(e.providers()) + " concurrently, infers the dependencies no API states, and writes graph.json, Mermaid diagrams and INFRA.md.\n\n" + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
	}
	root.SetVersionTemplate("discover {{.Version}}\n")
	root.SetOut(e.Stdout)
	root.SetErr(e.Stderr)
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format on stderr: text or json")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&g.telemetry, "telemetry", "", "export traces with a vendor preset: honeycomb, grafana, axiom or datadog (OTEL_EXPORTER_OTLP_* work without it)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &codeError{code: exitUsage, err: err} })
	root.AddCommand(
		newScanCmd(e, g, nil),
		newDiffCmd(e, nil),
		newAlertsCmd(e, nil),
		newEvalCmd(e, nil),
		newQueryCmd(e),
		newMCPCmd(e, g, nil),
		newServeCmd(e, g, nil),
		newValidateCmd(e, nil),
		newExportCmd(e, nil),
		newInferCmd(e, g),
		newVersionCmd(e),
		newDoctorCmd(e),
		newAskCmd(e),
	)
	return root
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runEnv(ctx, args, osEnv(stdout, stderr))
}

func runEnv(ctx context.Context, args []string, e *env) int {
	root := newRootCmd(e)
	root.SetArgs(args)
	err := checkUsage(root, args)
	if err == nil {
		err = root.ExecuteContext(ctx)
	}
	if err == nil {
		return exitOK
	}
	var ce *codeError
	code := exitError
	if errors.As(err, &ce) {
		code = ce.code
	}
	if ce == nil || ce.err != nil {
		fmt.Fprintln(termtext.Writer(e.Stderr), "discover:", err) // errors quote names: no raw control characters
	}
	return code
}

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(e.Stdout, "discover", versionString())
			return nil
		},
	}
}

// defaultOut is where scans write and where the other commands look, unless told otherwise.
const defaultOut = "out"
