package fakescale

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"

	"github.com/infragraph/infragraph/collectors/docker/dockerfake"
)

// Docker returns an estate of n Compose projects on one engine ("big-1"), each with a network, a
// volume and three containers (app -> db, proxy -> app) sharing three images: the shape of the
// demo estate repeated, for benchmarks and the performance test. Env values hold CANARY secrets.
func Docker(n int) *dockerfake.Estate {
	e := dockerfake.MustLoad("demo")
	images := e.Images
	info := maps.Clone(e.Info)
	info["Name"], info["Containers"], info["ContainersRunning"] = "big-1", 3*n, 3*n
	out := &dockerfake.Estate{Info: info, Version: e.Version, Images: images}
	out.Networks = append(out.Networks, e.Networks[:3]...) // bridge, host, none
	img := func(i int) string { return images[i%len(images)]["Id"].(string) }
	tag := func(i int) string { return images[i%len(images)]["RepoTags"].([]any)[0].(string) }
	for p := 0; p < n; p++ {
		proj := fmt.Sprintf("app%04d", p)
		netID := hexID("network " + proj)
		members := map[string]any{}
		out.Networks = append(out.Networks, map[string]any{
			"Name": proj + "_default", "Id": netID, "Scope": "local", "Driver": "bridge", "EnableIPv4": true,
			"IPAM":       map[string]any{"Driver": "default", "Config": []any{map[string]any{"Subnet": fmt.Sprintf("10.%d.%d.0/24", p/250, p%250), "Gateway": fmt.Sprintf("10.%d.%d.1", p/250, p%250)}}},
			"Containers": members, "Options": map[string]any{}, "Labels": map[string]any{"com.docker.compose.project": proj, "com.docker.compose.network": "default"},
		})
		vol := proj + "_data"
		out.Volumes = append(out.Volumes, map[string]any{"Name": vol, "Driver": "local", "Scope": "local",
			"Mountpoint": "/var/lib/docker/volumes/" + vol + "/_data", "Labels": map[string]any{"com.docker.compose.project": proj, "com.docker.compose.volume": "data"}, "Options": map[string]any{}})
		for s, svc := range []string{"db", "app", "proxy"} {
			name := proj + "-" + svc + "-1"
			id := hexID("container " + name)
			ip := fmt.Sprintf("10.%d.%d.%d", p/250, p%250, s+2)
			labels := map[string]any{"com.docker.compose.project": proj, "com.docker.compose.service": svc,
				"com.docker.compose.oneoff": "False", "com.docker.compose.container-number": "1",
				"com.docker.compose.project.working_dir": "/srv/" + proj}
			env := []any{"PATH=/usr/bin:/bin"}
			var mounts []any
			switch svc {
			case "db":
				env = append(env, "POSTGRES_PASSWORD=CANARY-scaled-"+proj)
				mounts = append(mounts, map[string]any{"Type": "volume", "Name": vol, "Source": "/var/lib/docker/volumes/" + vol + "/_data", "Destination": "/data", "Driver": "local", "RW": true})
			case "app":
				labels["com.docker.compose.depends_on"] = "db:service_healthy:false"
				env = append(env, "DB_HOST=db", "DATABASE_URL=postgres://app:CANARY-scaled-"+proj+"@db:5432/"+proj)
			case "proxy":
				labels["com.docker.compose.depends_on"] = "app:service_started:false"
				labels["traefik.http.routers."+proj+".rule"] = fmt.Sprintf("Host(`%s.example.com`)", proj)
			}
			members[id] = map[string]any{"Name": name, "IPv4Address": ip + "/24"}
			out.Containers = append(out.Containers, map[string]any{
				"Id": id, "Name": "/" + name, "Image": img(s), "Path": "/entrypoint.sh", "RestartCount": 0,
				"State":      map[string]any{"Status": "running", "Running": true},
				"HostConfig": map[string]any{"NetworkMode": proj + "_default", "RestartPolicy": map[string]any{"Name": "unless-stopped"}},
				"Mounts":     orEmpty(mounts),
				"Config":     map[string]any{"Hostname": id[:12], "Image": tag(s), "Env": env, "Labels": labels},
				"NetworkSettings": map[string]any{"Ports": map[string]any{}, "Networks": map[string]any{
					proj + "_default": map[string]any{"NetworkID": netID, "IPAddress": ip, "Aliases": []any{name, svc}, "DNSNames": []any{name, svc, id[:12]}},
				}},
			})
		}
	}
	return out
}

func hexID(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// DockerHub returns one Compose project ("hub") on one engine with n containers on one network: a
// database and n-1 replicas of an app service naming it ("DB_HOST=db"), the shape of a busy
// engine where everything shares the default network.
func DockerHub(n int) *dockerfake.Estate {
	e := dockerfake.MustLoad("demo")
	images := e.Images
	info := maps.Clone(e.Info)
	info["Name"], info["Containers"], info["ContainersRunning"] = "hub-1", n, n
	out := &dockerfake.Estate{Info: info, Version: e.Version, Images: images}
	out.Networks = append(out.Networks, e.Networks[:3]...) // bridge, host, none
	const proj = "hub"
	netID := hexID("network " + proj)
	members := map[string]any{}
	out.Networks = append(out.Networks, map[string]any{
		"Name": proj + "_default", "Id": netID, "Scope": "local", "Driver": "bridge", "EnableIPv4": true,
		"IPAM":       map[string]any{"Driver": "default", "Config": []any{map[string]any{"Subnet": "10.9.0.0/16", "Gateway": "10.9.0.1"}}},
		"Containers": members, "Options": map[string]any{}, "Labels": map[string]any{"com.docker.compose.project": proj, "com.docker.compose.network": "default"},
	})
	for i := 0; i < n; i++ {
		svc, num := "app", i
		if i == 0 {
			svc, num = "db", 1
		}
		name := fmt.Sprintf("%s-%s-%d", proj, svc, num)
		id := hexID("container " + name)
		ip := fmt.Sprintf("10.9.%d.%d", (i+2)/250, (i+2)%250+2)
		labels := map[string]any{"com.docker.compose.project": proj, "com.docker.compose.service": svc,
			"com.docker.compose.oneoff": "False", "com.docker.compose.container-number": fmt.Sprint(num),
			"com.docker.compose.project.working_dir": "/srv/" + proj}
		env := []any{"PATH=/usr/bin:/bin"}
		s := 0
		if svc == "app" {
			s = 1
			labels["com.docker.compose.depends_on"] = "db:service_healthy:false"
			env = append(env, "DB_HOST=db")
		}
		members[id] = map[string]any{"Name": name, "IPv4Address": ip + "/16"}
		out.Containers = append(out.Containers, map[string]any{
			"Id": id, "Name": "/" + name, "Image": images[s]["Id"].(string), "Path": "/entrypoint.sh", "RestartCount": 0,
			"State":      map[string]any{"Status": "running", "Running": true},
			"HostConfig": map[string]any{"NetworkMode": proj + "_default", "RestartPolicy": map[string]any{"Name": "unless-stopped"}},
			"Mounts":     []any{},
			"Config":     map[string]any{"Hostname": id[:12], "Image": images[s]["RepoTags"].([]any)[0].(string), "Env": env, "Labels": labels},
			"NetworkSettings": map[string]any{"Ports": map[string]any{}, "Networks": map[string]any{
				proj + "_default": map[string]any{"NetworkID": netID, "IPAddress": ip, "Aliases": []any{name, svc}, "DNSNames": []any{name, svc, id[:12]}},
			}},
		})
	}
	return out
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
