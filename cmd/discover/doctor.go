package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/infragraph/infragraph/collectors"
	"github.com/infragraph/infragraph/config"
	"github.com/infragraph/infragraph/enrich/llm"
	"github.com/infragraph/infragraph/termtext"
)

type doctorOpts struct {
	configPath string
	timeout    time.Duration
}

// newDoctorCmd builds `discover doctor`: one cheap authenticated call per configured instance,
// and what to change for each one that fails. It reads no output directory and writes nothing.
func newDoctorCmd(e *env) *cobra.Command {
	o := &doctorOpts{}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check every configured provider instance with one cheap authenticated call",
		Long: `Doctor loads the configuration as scan does (--config, else $DISCOVER_CONFIG, ./infragraph.yaml,
$XDG_CONFIG_HOME/infragraph/config.yaml, and the providers' environment variables), makes one cheap
authenticated call per configured instance (Vercel: the token's user; DigitalOcean: the account;
Supabase: the organizations, and a connection to each database; Odoo: the version and a login;
Docker: a ping), and prints what works and what does not, with what to change. It needs no
output directory and writes nothing.

Exit codes: 0 every instance works; 2 the configuration is invalid; 3 some instance fails;
4 every configured instance fails (or none is configured).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDoctor(cmd.Context(), e, o)
		},
	}
	cmd.Flags().StringVarP(&o.configPath, "config", "c", "", "configuration file (YAML; default as for scan)")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 20*time.Second, "time limit per check")
	return cmd
}

func runDoctor(ctx context.Context, e *env, o *doctorOpts) error {
	path, from := configFile(e, o.configPath)
	cfg, err := config.Load(path, e.providers(), e.Getenv, e.Exists)
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	if path != "" {
		fmt.Fprintf(e.Stdout, "configuration: %s (found by %s)\n", path, from)
	} else {
		fmt.Fprintln(e.Stdout, "configuration: no file; providers from their environment variables")
	}
	build := (*config.File).Instances
	if e.Instances != nil {
		build = e.Instances
	}
	insts := build(cfg)
	type result struct {
		inst collectors.Instance
		err  error
	}
	results := make([]result, len(insts))
	done := make(chan struct{}, len(insts))
	checked := 0
	for i, in := range insts {
		results[i].inst = in
		p, ok := in.Collector.(collectors.Prober)
		if in.Skip != "" || !ok {
			continue
		}
		checked++
		go func() {
			cctx, cancel := context.WithTimeout(ctx, o.timeout)
			defer cancel()
			results[i].err = p.Probe(cctx)
			if results[i].err != nil && cctx.Err() != nil {
				results[i].err = fmt.Errorf("no answer within %s: %w", o.timeout, results[i].err)
			}
			done <- struct{}{}
		}()
	}
	for range checked {
		<-done
	}
	// errors quote the provider's answers: no control character reaches the terminal
	tw := tabwriter.NewWriter(termtext.Writer(e.Stdout), 0, 0, 2, ' ', 0)
	failed, ok := 0, 0
	for _, r := range results {
		in := r.inst
		switch {
		case in.Skip != "" && strings.HasPrefix(in.Skip, "invalid configuration"):
			failed++
			fmt.Fprintf(tw, "FAIL\t%s\t%s\n", in.Key(), in.Skip)
		case in.Skip != "":
			fmt.Fprintf(tw, "-\t%s\t%s\n", in.Key(), in.Skip)
		case in.Collector == nil:
		case r.err != nil:
			failed++
			fmt.Fprintf(tw, "FAIL\t%s\t%s\n", in.Key(), termtext.Escape(r.err.Error()))
			fmt.Fprintf(tw, "\t\tfix: %s\n", doctorFix(r.err, in.Origin))
		default:
			ok++
			note := "works"
			if in.Origin != "" {
				note += " (" + in.Origin + ")"
			}
			fmt.Fprintf(tw, "ok\t%s\t%s\n", in.Key(), note)
		}
	}
	tw.Flush()
	if creds, err := llm.CredentialsFromEnv(e.Getenv, time.Now()); err != nil {
		fmt.Fprintf(e.Stdout, "llm: %s\n", termtext.Escape(err.Error()))
	} else if creds.Found() {
		fmt.Fprintf(e.Stdout, "llm: credentials from $%s (not called: a check would spend tokens)\n", creds.Source)
	} else {
		fmt.Fprintln(e.Stdout, "llm: no credentials (--llm auto runs without AI)")
	}
	switch {
	case ok+failed == 0:
		return &codeError{code: exitNothing, err: errors.New("no provider is configured: set a provider's environment variables or write a config file (README, \"Configuration\")")}
	case ok == 0:
		return &codeError{code: exitNothing, err: fmt.Errorf("every configured instance fails (%d)", failed)}
	case failed > 0:
		return &codeError{code: exitPartial, err: fmt.Errorf("%d of %d configured instances fail", failed, ok+failed)}
	}
	return nil
}

// doctorFix says what to change for a failed check. origin is where the instance's settings
// came from (collectors.Instance.Origin).
func doctorFix(err error, origin string) string {
	where := ""
	if origin != "" {
		where = ": " + origin
	}
	msg := strings.ToLower(err.Error())
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(msg, "connection refused"):
		return "nothing listens at the address: check the endpoint, or that the service runs" + where
	case errors.As(err, &dnsErr) || strings.Contains(msg, "no such host"):
		return "the host name does not resolve: check its spelling" + where
	case strings.Contains(msg, "certificate") || strings.Contains(msg, "tls"):
		return "the TLS certificate is not trusted: check the endpoint's certificate (or cert_path for Docker)" + where
	case strings.Contains(msg, "401") || strings.Contains(msg, "403") || strings.Contains(msg, "rejected") ||
		strings.Contains(msg, "authentication failed") || strings.Contains(msg, "unauthorized") || strings.Contains(msg, "forbidden"):
		return "the credentials were refused: replace them (a new token, the right password)" + where
	case strings.Contains(msg, "no answer within") || strings.Contains(msg, "deadline"):
		return "no answer in time: check the endpoint and the network (a firewall, a proxy)" + where
	}
	return "see the error above" + where
}
