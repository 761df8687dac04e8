// Command fakeserve serves the provider fakes' scaled estates on 127.0.0.1 and writes a discover
// config pointing at them, so a real `discover scan` of a large estate can be measured (peak RSS
// with /usr/bin/time -v) without the fakes in the same process. It serves until interrupted.
//
//	go run ./bench/fakeserve -config /tmp/big.yaml &
//	/usr/bin/time -v discover scan --config /tmp/big.yaml --out /tmp/big-out
//
// -vercel-hub n serves one Vercel project with n preview deployments instead of -vercel's
// projects (the 3,000 droplets and 3,000 deployments: -droplets 3000 -vercel-hub 3000).
// -supabase n adds an organization of n Supabase projects at the documented rate limits
// (Management API only: the catalog's SQL endpoint needs a database), -latency delays every
// answer of every fake, and -timeout "" leaves the config without a timeout, so each collector
// takes the time it plans for (Supabase logs "collector expects to take").
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"

	"github.com/infragraph/infragraph/collectors/digitalocean/digitaloceanfake"
	"github.com/infragraph/infragraph/collectors/docker/dockerfake"
	"github.com/infragraph/infragraph/collectors/fakescale"
	"github.com/infragraph/infragraph/collectors/supabase/supabasefake"
	"github.com/infragraph/infragraph/collectors/vercel/vercelfake"
)

func main() {
	droplets := flag.Int("droplets", 40000, "droplets in one DigitalOcean project, VPC and tag (fakescale.DigitalOceanHub)")
	projects := flag.Int("vercel", 2500, "Vercel projects (fakescale.Vercel)")
	deployments := flag.Int("vercel-hub", 0, "instead of -vercel: one Vercel project with this many preview deployments (fakescale.VercelHub)")
	compose := flag.Int("docker", 3000, "Docker Compose projects of three containers on one engine (fakescale.Docker)")
	orgProjects := flag.Int("supabase", 0, "Supabase projects in one organization (fakescale.SupabaseOrganization; 0: none)")
	latency := flag.Duration("latency", 0, "added to every answer of every fake")
	timeout := flag.String("timeout", "30m", `the config's timeout ("": none, each collector plans its own)`)
	config := flag.String("config", "fakeserve.yaml", "the discover config to write")
	flag.Parse()

	serve := func(h http.Handler) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			log.Fatal(err)
		}
		go func() { log.Fatal(http.Serve(l, h)) }()
		return l.Addr().String()
	}
	dof := digitaloceanfake.New(fakescale.DigitalOceanHub(*droplets))
	dof.Latency = *latency
	do := serve(dof)
	ve := fakescale.Vercel(*projects)
	if *deployments > 0 {
		ve = fakescale.VercelHub(*deployments)
	}
	vc := serve(vercelfake.New(ve, func(s *vercelfake.Server) { s.Latency = *latency }))
	dkf := dockerfake.New(fakescale.Docker(*compose))
	dkf.SetLatency(*latency)
	dk := serve(dkf)
	cfg := ""
	if *timeout != "" {
		cfg = "timeout: " + *timeout + "\n"
	}
	cfg += fmt.Sprintf(`digitalocean:
  - name: hub
    token: %s
    api_url: http://%s
vercel:
  - name: scaled
    token: %s
    api_url: http://%s
docker:
  - name: big
    host: tcp://%s
`, digitaloceanfake.Token, do, ve.Token, vc, dk)
	if *orgProjects > 0 {
		se := fakescale.SupabaseOrganization(*orgProjects)
		sb := serve(supabasefake.New(se, supabasefake.Options{Latency: *latency}))
		cfg += fmt.Sprintf(`supabase:
  - name: org
    access_token: %s
    api_url: http://%s
    api_catalog: false
`, se.Token, sb)
	}
	if err := os.WriteFile(*config, []byte(cfg), 0o600); err != nil {
		log.Fatal(err)
	}
	log.Printf("fakes serving; config written to %s", *config)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	<-ctx.Done()
}
