package output

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The output directory has one owner: no package but this one spells a name of what it holds.
// Every string literal of the module's non-test code that is one of those names (or a path under
// diagrams/, scans/ or .cache/), and every literal name handed to filepath.Join that is one of
// its directories, is reported with its place (issue #22).
func TestLayoutOwnsTheNames(t *testing.T) {
	names := map[string]bool{}
	for _, n := range []string{GraphFile, GraphGzFile, InfraFile, OverviewFile, ProposalsFile, ChangesFile, LLMCacheDir, LLMAuditFile, LockFile, KeyFile} {
		names[n] = true
	}
	dirs := map[string]bool{DiagramsDir: true, ScansDir: true, ".cache": true, "llm": true}
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != "..") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || path == filepath.Join("..", "output", "layout.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.BasicLit:
				s, err := strconv.Unquote(x.Value)
				if x.Kind == token.STRING && err == nil && (names[s] || strings.HasPrefix(s, DiagramsDir+"/") || strings.HasPrefix(s, ScansDir+"/") || strings.HasPrefix(s, ".cache/")) {
					t.Errorf("%s: %q is output.Layout's to spell", fset.Position(x.Pos()), s)
				}
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Join" {
					for _, a := range x.Args {
						if lit, ok := a.(*ast.BasicLit); ok {
							if s, err := strconv.Unquote(lit.Value); err == nil && dirs[s] {
								t.Errorf("%s: %q joined into a path is output.Layout's to spell", fset.Position(lit.Pos()), s)
							}
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("only %d Go files checked: the walk did not see the module", checked)
	}
}

func TestLayoutPaths(t *testing.T) {
	l := Layout{Dir: "out"}
	for got, want := range map[string]string{
		l.Graph(): "out/graph.json", l.Infra(): "out/INFRA.md", l.Proposals(): "out/proposals.json", l.Changes(): "out/CHANGES.md", l.Scan("20260101T000000Z"): "out/scans/20260101T000000Z",
		l.LLMCache(): "out/.cache/llm", l.LLMAudit(): "out/llm-audit.jsonl", l.Lock(): "out/.lock", l.Key(): "out/.infragraph.key",
		l.Path(Diagram("vercel-project-shop")): "out/diagrams/vercel-project-shop.mmd",
	} {
		if got != filepath.FromSlash(want) {
			t.Errorf("%s, want %s", got, want)
		}
	}
}
