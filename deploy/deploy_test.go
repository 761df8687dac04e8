package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/infragraph/infragraph/collectors/all"
	"github.com/infragraph/infragraph/schemas"
	"github.com/infragraph/infragraph/serve"
)

// required fails under CI=true (scripts/test.sh provides what is missing) and skips otherwise.
func required(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: run the tests through scripts/test.sh", what)
	}
	t.Skipf("%s; run scripts/test.sh ./deploy/...", what)
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// TestMain removes the binary discover built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// discover builds the binary once, statically as the image does.
func discover(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "infragraph-deploy-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "discover")
		cmd := exec.Command("go", "build", "-o", binPath, "../cmd/discover")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = errors.New(string(out))
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// manifest is one YAML document of deploy/kubernetes, decoded loosely.
type manifest map[string]any

func (m manifest) get(path ...any) any {
	var cur any = map[string]any(m)
	for _, p := range path {
		switch k := p.(type) {
		case string:
			mm, _ := cur.(map[string]any)
			cur = mm[k]
		case int:
			l, _ := cur.([]any)
			if k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

func (m manifest) str(path ...any) string { s, _ := m.get(path...).(string); return s }

func loadManifests(t *testing.T) (map[string][]manifest, []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	byKind := map[string][]manifest{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var raw map[string]any // not manifest: yaml would decode nested maps as manifest too
			if err := dec.Decode(&raw); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			m := manifest(raw)
			m["__file"] = filepath.Base(f)
			byKind[m.str("kind")] = append(byKind[m.str("kind")], m)
		}
	}
	return byKind, files
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = toString(x)
	}
	return out
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestKubernetesExamples checks what the examples rely on, field by field.
func TestKubernetesExamples(t *testing.T) {
	byKind, files := loadManifests(t)
	bin := discover(t)

	// kustomization lists every manifest, and only existing ones.
	kz := byKind["Kustomization"]
	if len(kz) != 1 {
		t.Fatalf("%d kustomizations", len(kz))
	}
	listed := strs(kz[0].get("resources"))
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" && !slices.Contains(listed, b) {
			t.Errorf("kustomization.yaml does not list %s", b)
		}
	}
	for _, r := range listed {
		if _, err := os.Stat(filepath.Join("kubernetes", r)); err != nil {
			t.Errorf("kustomization.yaml lists %s: %v", r, err)
		}
	}

	secretKeys := map[string]bool{}
	for _, s := range byKind["Secret"] {
		for k := range s.get("stringData").(map[string]any) {
			secretKeys[s.str("metadata", "name")+"/"+k] = true
		}
	}
	pvcs := map[string]bool{}
	for _, p := range byKind["PersistentVolumeClaim"] {
		pvcs[p.str("metadata", "name")] = true
	}
	// checkPod: non-root as the image's user, the data volume a claim that exists, every secret
	// key present in the Secret, and the binary accepts the arguments.
	checkPod := func(where string, pod manifest, wantKeys []string) manifest {
		t.Helper()
		if pod.get("securityContext", "runAsNonRoot") != true || pod.get("securityContext", "runAsUser") != 65532 {
			t.Errorf("%s: not run as the image's non-root user 65532", where)
		}
		for _, v := range pod.get("volumes").([]any) {
			if c := manifest(v.(map[string]any)).str("persistentVolumeClaim", "claimName"); c != "" && !pvcs[c] {
				t.Errorf("%s: claim %s is not defined", where, c)
			}
		}
		c := manifest(pod.get("containers", 0).(map[string]any))
		var keys []string
		for _, e := range c.get("env").([]any) {
			ref := manifest(e.(map[string]any))
			k := ref.str("valueFrom", "secretKeyRef", "name") + "/" + ref.str("valueFrom", "secretKeyRef", "key")
			if !secretKeys[k] {
				t.Errorf("%s: secret key %s is not in secret.yaml", where, k)
			}
			keys = append(keys, ref.str("name"))
		}
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("%s: env %v, want exactly %v", where, keys, wantKeys)
		}
		if c.get("securityContext", "readOnlyRootFilesystem") != true || c.get("securityContext", "allowPrivilegeEscalation") != false {
			t.Errorf("%s: container security context", where)
		}
		args := strs(c.get("args"))
		if out, err := exec.Command(bin, append(args, "--help")...).CombinedOutput(); err != nil {
			t.Errorf("%s: discover %v: %v\n%s", where, args, err, out)
		}
		return c
	}

	shardKeys := map[string][]string{"vercel": {"VERCEL_TOKEN", "VERCEL_TEAM_ID"}, "digitalocean": {"DIGITALOCEAN_TOKEN"}, "supabase": {"SUPABASE_ACCESS_TOKEN"}}
	cronjobs := byKind["CronJob"]
	if len(cronjobs) != len(shardKeys) {
		t.Errorf("%d CronJobs, want one per shard (%d)", len(cronjobs), len(shardKeys))
	}
	schedules := map[string]bool{}
	for _, cj := range cronjobs {
		where := cj.str("__file")
		shard := cj.str("metadata", "labels", "infragraph.dev/shard")
		if !slices.Contains(all.Providers, shard) {
			t.Errorf("%s: shard %q is not a provider (%v)", where, shard, all.Providers)
		}
		if schedules[cj.str("spec", "schedule")] {
			t.Errorf("%s: schedule %s shared with another shard", where, cj.str("spec", "schedule"))
		}
		schedules[cj.str("spec", "schedule")] = true
		if cj.str("spec", "concurrencyPolicy") != "Forbid" {
			t.Errorf("%s: concurrencyPolicy", where)
		}
		job := manifest(cj.get("spec", "jobTemplate", "spec").(map[string]any))
		rule := manifest(job.get("podFailurePolicy", "rules", 0).(map[string]any))
		if rule.str("action") != "FailJob" || strings.Join(strs(rule.get("onExitCodes", "values")), ",") != "2,3" || rule.str("onExitCodes", "containerName") != "discover" {
			t.Errorf("%s: podFailurePolicy %v", where, rule)
		}
		pod := manifest(job.get("template", "spec").(map[string]any))
		if pod.str("restartPolicy") != "Never" { // podFailurePolicy requires it
			t.Errorf("%s: restartPolicy %q", where, pod.str("restartPolicy"))
		}
		c := checkPod(where, pod, shardKeys[shard])
		args := strs(c.get("args"))
		if args[0] != "scan" || !slices.Contains(args, "--only") || args[slices.Index(args, "--only")+1] != shard {
			t.Errorf("%s: args %v do not scan shard %s only", where, args, shard)
		}
		out := args[slices.Index(args, "--out")+1]
		if manifest(c.get("volumeMounts", 0).(map[string]any)).str("mountPath") != out {
			t.Errorf("%s: --out %s is not the data volume's mount", where, out)
		}
	}

	deps := byKind["Deployment"]
	if len(deps) != 1 {
		t.Fatalf("%d Deployments", len(deps))
	}
	pod := manifest(deps[0].get("spec", "template", "spec").(map[string]any))
	c := checkPod("serve.yaml", pod, []string{serve.TokenEnv})
	args := strs(c.get("args"))
	addr := args[slices.Index(args, "--addr")+1]
	if err := serve.CheckBind(addr, "a-token"); err != nil || args[0] != "serve" {
		t.Errorf("serve args %v: %v", args, err)
	}
	_, port, _ := strings.Cut(addr, ":")
	if toString(c.get("ports", 0, "containerPort")) != port || c.str("ports", 0, "name") != "http" {
		t.Errorf("containerPort %v is not --addr's port %s", c.get("ports", 0, "containerPort"), port)
	}
	// The probes' paths answer without the token (a kubelet sends none): /healthz 200, /readyz
	// 503 before the first scan, not 401.
	h := serve.Handler(&serve.Service{Store: serve.NewStore(t.TempDir())}, nil, serve.HTTPOptions{Token: "a-token"})
	for probe, want := range map[string]int{"livenessProbe": 200, "readinessProbe": 503} {
		if c.str(probe, "httpGet", "port") != "http" {
			t.Errorf("%s port %v", probe, c.get(probe, "httpGet", "port"))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://10.0.0.7:8765"+c.str(probe, "httpGet", "path"), nil))
		if rec.Code != want {
			t.Errorf("%s %s: %d without the token, want %d", probe, c.str(probe, "httpGet", "path"), rec.Code, want)
		}
	}
	svc := byKind["Service"][0]
	if svc.str("spec", "ports", 0, "targetPort") != "http" {
		t.Errorf("service targetPort %v", svc.get("spec", "ports", 0, "targetPort"))
	}
}

// TestKubernetesSchemas validates every manifest against the Kubernetes API's JSON schemas
// (kubernetes-models from npm, in tools/consumers).
func TestKubernetesSchemas(t *testing.T) {
	dir := os.Getenv("INFRAGRAPH_CONSUMERS")
	if dir == "" {
		required(t, "INFRAGRAPH_CONSUMERS is not set")
	}
	files, _ := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: two\n"), 0o644)
	out, err := exec.Command("node", append([]string{filepath.Join(dir, "kubernetes.mjs")}, append(files, bad)...)...).Output()
	if err == nil {
		t.Fatalf("the validator accepted a bad Deployment: it proves nothing\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r struct {
			File   string
			OK     bool
			Errors []string
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("validator output %q", line)
		}
		if (r.File == bad) == r.OK {
			t.Errorf("%s: ok=%v %v", r.File, r.OK, r.Errors)
		}
	}
}

// TestImageRunsDemo builds the image with scripts/image.sh on the test Docker engine (FROM
// scratch: no registry) and runs the demo scan in it as its non-root user.
func TestImageRunsDemo(t *testing.T) {
	host := os.Getenv("INFRAGRAPH_TEST_DOCKER_HOST")
	if host == "" {
		required(t, "INFRAGRAPH_TEST_DOCKER_HOST is not set (scripts/test.sh starts a Docker engine)")
	}
	docker := func(args ...string) (string, error) {
		cmd := exec.Command("docker", append([]string{"-H", host}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if err != nil {
			err = errors.New(err.Error() + ": " + errb.String())
		}
		return out.String(), err
	}
	tag := "infragraph-test/discover:" + strconv.Itoa(os.Getpid())
	build := exec.Command("../scripts/image.sh", tag)
	build.Env = append(os.Environ(), "DOCKER_HOST="+host)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("scripts/image.sh: %v\n%s", err, out)
	}
	t.Cleanup(func() { docker("rmi", "-f", tag) })

	raw, err := docker("image", "inspect", tag)
	if err != nil {
		t.Fatal(err)
	}
	var inspect []struct {
		Config struct {
			User       string
			Entrypoint []string
		}
	}
	json.Unmarshal([]byte(raw), &inspect)
	if len(inspect) != 1 || inspect[0].Config.User != "65532:65532" || strings.Join(inspect[0].Config.Entrypoint, " ") != "discover" {
		t.Errorf("image config %+v", inspect)
	}

	out := t.TempDir()
	os.Chmod(out, 0o777) // the container's user is 65532
	name := "infragraph-demo-" + strconv.Itoa(os.Getpid())
	t.Cleanup(func() { docker("rm", "-f", name) })
	if logs, err := docker("run", "--name", name, "-v", out+":/out", tag, "scan", "--demo", "--out", "/out"); err != nil {
		t.Fatalf("demo in the image: %v\n%s", err, logs)
	}
	data, err := os.ReadFile(filepath.Join(out, "graph.json"))
	if err != nil {
		t.Fatalf("the demo wrote no graph.json: %v", err)
	}
	if problems := schemas.ValidateJSON(data); len(problems) > 0 {
		t.Errorf("graph.json from the image: %v", problems)
	}
	var doc struct {
		Nodes []json.RawMessage
		Scan  struct{ Demo bool }
	}
	json.Unmarshal(data, &doc)
	if !doc.Scan.Demo || len(doc.Nodes) < 50 {
		t.Errorf("demo graph from the image: demo=%v, %d nodes", doc.Scan.Demo, len(doc.Nodes))
	}
	if v, err := docker("run", "--rm", tag, "version"); err != nil || !strings.HasPrefix(v, "discover ") {
		t.Errorf("discover version in the image: %q %v", v, err)
	}
}
