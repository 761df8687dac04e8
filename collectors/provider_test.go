package collectors

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/infragraph/infragraph/graph"
)

type testConfig struct {
	Name    string        `yaml:"name"`
	Timeout time.Duration `yaml:"timeout"`
	Other   time.Duration `yaml:"other"`
}

type nopCollector struct{}

func (nopCollector) Collect(context.Context, graph.Emitter) error { return nil }

var testSection = Section[testConfig]{New: func(testConfig) (Collector, error) { return nopCollector{}, nil }}

// By default an instance's name and timeout are its Config's fields tagged name and timeout; a
// renamed instance is renamed in the list itself.
func TestSectionDefaults(t *testing.T) {
	list := []testConfig{{Timeout: time.Minute, Other: time.Hour}, {Name: "b"}}
	insts := testSection.Instances(list)
	if insts[0].Name() != "" || insts[0].Timeout() != time.Minute || insts[1].Name() != "b" || insts[1].Timeout() != 0 {
		t.Errorf("name/timeout: %q %v %q %v", insts[0].Name(), insts[0].Timeout(), insts[1].Name(), insts[1].Timeout())
	}
	insts[0].SetName("default")
	if list[0].Name != "default" {
		t.Errorf("SetName did not reach the list: %+v", list[0])
	}
	if l, ok := testSection.EnvList(nil, nil); ok || l != nil {
		t.Errorf("no FromEnv: %v %v", l, ok)
	}
}

func TestNewRegistryRejects(t *testing.T) {
	type noName struct {
		Host string `yaml:"host"`
	}
	ok := Provider{Name: "a", Title: "A", Config: testSection}
	for name, ps := range map[string][]Provider{
		"twice":     {ok, ok},
		"no title":  {{Name: "b", Config: testSection}},
		"no config": {{Name: "b", Title: "B"}},
		"no new":    {{Name: "b", Title: "B", Config: Section[testConfig]{}}},
		"no name":   {{Name: "b", Title: "B", Config: Section[noName]{New: func(noName) (Collector, error) { return nopCollector{}, nil }}}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: NewRegistry accepted it", name)
				}
			}()
			NewRegistry(ps...)
		}()
	}
}

func TestFilter(t *testing.T) {
	r := NewRegistry(Provider{Name: "b", Title: "B", Config: testSection}, Provider{Name: "a", Title: "A", Config: testSection})
	if got := strings.Join(r.Names(), ","); got != "a,b" {
		t.Errorf("Names = %s", got)
	}
	insts := []Instance{{Provider: "a", Name: "x", Collector: nopCollector{}}, {Provider: "b", Name: "y", Collector: nopCollector{}}}
	out, err := r.Filter(insts, []string{"a"}, nil)
	if err != nil || out[0].Excluded || !out[1].Excluded || out[1].Skip != "excluded by --only" {
		t.Errorf("--only a: %+v %v", out, err)
	}
	var unknown *UnknownProviderError
	if _, err := r.Filter(insts, nil, []string{"aws"}); !errors.As(err, &unknown) || err.Error() != `unknown provider "aws" (known: [a b])` {
		t.Errorf("--skip aws: %v", err)
	}
}
