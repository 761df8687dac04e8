package main

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/infragraph/infragraph/eval"
	"github.com/infragraph/infragraph/history"
	"github.com/infragraph/infragraph/output"
	"github.com/infragraph/infragraph/termtext"
)

type evalOpts struct {
	truth      string
	graph      string
	output     string
	json       bool
	prompt     float64
	completion float64
	prices     []string // MODEL=PROMPT:COMPLETION
}

// newEvalCmd builds `discover eval`. runF replaces the command's work in tests that only check
// flag parsing.
func newEvalCmd(e *env, runF func(*evalOpts) error) *cobra.Command {
	o := &evalOpts{}
	cmd := &cobra.Command{
		Use:   "eval --truth FILE",
		Short: "Score a scan's inferred edges against a labelled estate",
		Long: `Eval scores the scan in --graph (its graph.json and proposals.json) against a truth file, a
labelled estate: precision and recall of the rules and of the LLM separately (and together), the
validator's rejections by reason and how many of them rejected a true edge, and what the LLM's
accepted edges cost (tokens, and dollars with --prompt-price and --completion-price, per million
tokens). The demo ships its truth: demo/truth.yaml. README, "Measuring accuracy", says how to label
a sample of your own estate.

Exit codes: 0 scored; 1 error (no scan to read); 2 bad usage or a malformed truth file
(file:line: field).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runEval(e, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.truth, "truth", "", "the truth file (YAML): edges a person confirmed, and optionally pairs confirmed unrelated")
	f.StringVar(&o.graph, "graph", defaultOut, "output directory of the scan to score")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.BoolVar(&o.json, "json", false, "print JSON (same as --output json)")
	f.Float64Var(&o.prompt, "prompt-price", 0, "USD per million prompt tokens, to price the LLM's edges")
	f.Float64Var(&o.completion, "completion-price", 0, "USD per million completion tokens")
	f.StringArrayVar(&o.prices, "price", nil, "one model's prices, MODEL=PROMPT:COMPLETION in USD per million tokens (repeatable; overrides the two above for that model)")
	return cmd
}

func runEval(e *env, o *evalOpts) error {
	format, err := outputFormat(o.output, o.json, "text")
	if err != nil {
		return err
	}
	switch {
	case o.truth == "":
		return usageErr("eval needs --truth FILE (see README, \"Measuring accuracy\")")
	case o.prompt < 0 || o.completion < 0:
		return usageErr("--prompt-price and --completion-price must not be negative")
	}
	prices := eval.Prices{Prompt: o.prompt, Completion: o.completion, Models: map[string]eval.Price{}}
	for _, p := range o.prices {
		model, pc, ok := strings.Cut(p, "=")
		in, out, ok2 := strings.Cut(pc, ":")
		pi, err1 := strconv.ParseFloat(in, 64)
		po, err2 := strconv.ParseFloat(out, 64)
		if !ok || !ok2 || model == "" || err1 != nil || err2 != nil || pi < 0 || po < 0 {
			return usageErr("--price %q: want MODEL=PROMPT:COMPLETION, USD per million tokens (anthropic/claude-haiku-4.5=1:5)", p)
		}
		prices.Models[model] = eval.Price{Prompt: pi, Completion: po}
	}
	truth, err := eval.LoadTruth(o.truth)
	if err != nil {
		return &codeError{code: exitUsage, err: err}
	}
	g, err := history.LoadFile(output.Layout{Dir: o.graph}.Graph())
	if err != nil {
		return err
	}
	f, err := os.Open(output.Layout{Dir: o.graph}.Proposals())
	if err != nil {
		return err
	}
	defer f.Close()
	ps, err := eval.ReadProposals(io.LimitReader(f, 256<<20))
	if err != nil {
		return err
	}
	rep := eval.Evaluate(g, ps, truth, prices)
	if format == "json" {
		return writeJSON(e.Stdout, rep)
	}
	return writeEval(e.Stdout, rep)
}

func writeEval(w io.Writer, r eval.Report) error {
	b := bufio.NewWriter(termtext.Writer(w))
	scope := "a sample: only edges it labels are judged"
	if r.Complete {
		scope = "complete: an inferred edge it does not list is wrong"
	}
	fmt.Fprintf(b, "Scan %s against %s (%s): %d labelled edges, %d labelled unrelated\n\n", r.Scan, r.Truth, scope, r.Labelled, r.LabelledNot)
	fmt.Fprintf(b, "%-9s %6s %5s %6s %9s %7s %10s %7s\n", "", "found", "true", "false", "unjudged", "missed", "precision", "recall")
	for _, row := range []struct {
		name string
		s    eval.Score
	}{{"rules", r.Rules}, {"llm", r.LLM}, {"inferred", r.Inferred}} {
		fmt.Fprintf(b, "%-9s %6d %5d %6d %9d %7d %10s %7s\n", row.name, row.s.Found, row.s.True, row.s.False, row.s.Unjudged, row.s.Missed, pct(row.s.Precision), pct(row.s.Recall))
	}
	fmt.Fprintln(b)
	for _, c := range []string{eval.ClassRules, eval.ClassLLM} {
		reasons := r.Rejections[c]
		var parts []string
		for _, code := range slices.Sorted(maps.Keys(reasons)) {
			parts = append(parts, fmt.Sprintf("%s %d", code, reasons[code]))
		}
		if len(parts) == 0 {
			parts = []string{"none"}
		}
		fmt.Fprintf(b, "validator rejected (%s): %s; %d of them true by the truth\n", c, strings.Join(parts, ", "), r.RejectedTrue[c])
	}
	c := r.Cost
	fmt.Fprintf(b, "LLM edges: %d calls, %d prompt + %d completion tokens; %d accepted (%d true)", c.Calls, c.PromptTokens, c.CompletionTokens, c.Accepted, c.TrueAccepted)
	if c.TokensPerAccepted >= 0 {
		fmt.Fprintf(b, "; %.0f tokens per accepted edge", c.TokensPerAccepted)
	}
	if c.USD >= 0 {
		fmt.Fprintf(b, "; $%.4f", c.USD)
		if c.USDPerAccepted >= 0 {
			fmt.Fprintf(b, " ($%.4f per accepted edge)", c.USDPerAccepted)
		}
	}
	fmt.Fprintln(b)
	for _, row := range []struct {
		what  string
		edges []string
	}{{"wrong (rules)", r.Rules.FalseEdges}, {"wrong (llm)", r.LLM.FalseEdges}, {"missed by both", r.Inferred.MissedEdges}} {
		if len(row.edges) > 0 {
			fmt.Fprintf(b, "\n%s:\n", row.what)
			for _, e := range row.edges {
				fmt.Fprintf(b, "  %s\n", e)
			}
		}
	}
	if len(r.MissingNodes) > 0 {
		fmt.Fprintf(b, "\nthe truth names %d nodes this graph does not have: %s\n", len(r.MissingNodes), strings.Join(r.MissingNodes, ", "))
	}
	return b.Flush()
}

// pct prints a ratio as a percentage, "-" when undefined.
func pct(f float64) string {
	if f < 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*f)
}
