# Regenerates the fixtures in the Engine API wire format: python3 gen.py .
# Ids are sha256 of a name, so the output is stable; hand edits to the JSON are lost.
import hashlib, json, sys
def hid(s): return hashlib.sha256(s.encode()).hexdigest()

def info(name, engine_id, swarm=None, containers=0, images=0):
    sw = {"NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive", "ControlAvailable": False, "Error": "", "RemoteManagers": None}
    if swarm: sw = swarm
    return {"ID": engine_id, "Containers": containers, "ContainersRunning": containers, "ContainersPaused": 0, "ContainersStopped": 0,
            "Images": images, "Driver": "overlay2", "DockerRootDir": "/var/lib/docker", "NCPU": 2, "MemTotal": 4109893632,
            "Name": name, "ServerVersion": "28.5.2", "OperatingSystem": "Ubuntu 24.04.1 LTS", "OSType": "linux",
            "Architecture": "x86_64", "KernelVersion": "6.8.0-45-generic", "IndexServerAddress": "https://index.docker.io/v1/",
            "Labels": [], "ExperimentalBuild": False, "Swarm": sw}

def version():
    return {"Platform": {"Name": "Docker Engine - Community"}, "Version": "28.5.2", "ApiVersion": "1.51", "MinAPIVersion": "1.24",
            "GitCommit": "89c5e8f", "GoVersion": "go1.24.8", "Os": "linux", "Arch": "amd64", "KernelVersion": "6.8.0-45-generic",
            "BuildTime": "2025-11-10T10:00:00.000000000+00:00", "Components": [{"Name": "Engine", "Version": "28.5.2", "Details": {"ApiVersion": "1.51", "MinAPIVersion": "1.24", "Os": "linux", "Arch": "amd64"}}]}

def image(ref, labels=None, size=200000000):
    i = "sha256:" + hid("image " + ref)
    repo = ref.split(":")[0]
    return {"Id": i, "ParentId": "", "RepoTags": [ref], "RepoDigests": [repo + "@sha256:" + hid("digest " + ref)],
            "Created": 1730000000, "Size": size, "SharedSize": -1, "Labels": labels or {}, "Containers": -1}

def network(name, driver="bridge", subnet=None, gateway=None, internal=False, labels=None, scope="local", containers=None, attachable=False, ingress=False):
    cfg = [{"Subnet": subnet, "Gateway": gateway}] if subnet else []
    return {"Name": name, "Id": hid("network " + name), "Created": "2025-11-01T10:00:00.000000000Z", "Scope": scope, "Driver": driver,
            "EnableIPv4": True, "EnableIPv6": False, "IPAM": {"Driver": "default", "Options": None, "Config": cfg},
            "Internal": internal, "Attachable": attachable, "Ingress": ingress, "ConfigFrom": {"Network": ""}, "ConfigOnly": False,
            "Containers": containers or {}, "Options": {}, "Labels": labels or {}}

def vol(name, labels=None):
    return {"CreatedAt": "2025-11-01T10:00:00Z", "Driver": "local", "Labels": labels or {}, "Mountpoint": "/var/lib/docker/volumes/%s/_data" % name,
            "Name": name, "Options": {}, "Scope": "local"}

def compose_labels(project, service, workdir, extra=None):
    l = {"com.docker.compose.project": project, "com.docker.compose.service": service, "com.docker.compose.oneoff": "False",
         "com.docker.compose.container-number": "1", "com.docker.compose.version": "2.29.7",
         "com.docker.compose.project.working_dir": workdir, "com.docker.compose.project.config_files": workdir + "/compose.yaml",
         "com.docker.compose.config-hash": hid("config " + project + service), "com.docker.compose.image": "sha256:" + hid("image " + service)}
    l.update(extra or {})
    return l

def container(name, img, env, labels, nets, mounts=None, ports=None, exposed=None, restart="unless-stopped", health=None,
              network_mode=None, links=None, state="running", extra_hosts=None):
    cid = hid("container " + name)
    st = {"Status": state, "Running": state == "running", "Paused": False, "Restarting": False, "OOMKilled": False, "Dead": False,
          "Pid": 4242 if state == "running" else 0, "ExitCode": 0, "Error": "", "StartedAt": "2025-11-01T10:00:05.000000000Z", "FinishedAt": "0001-01-01T00:00:00Z"}
    if health: st["Health"] = {"Status": health, "FailingStreak": 0, "Log": []}
    networks = {}
    for n, ip, aliases in nets:
        networks[n["Name"]] = {"IPAMConfig": None, "Links": None, "Aliases": aliases + [cid[:12]], "MacAddress": "02:42:ac:12:00:02",
            "DriverOpts": None, "NetworkID": n["Id"], "EndpointID": hid("ep " + name + n["Name"]), "Gateway": n["IPAM"]["Config"][0]["Gateway"] if n["IPAM"]["Config"] else "",
            "IPAddress": ip, "IPPrefixLen": 16, "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "DNSNames": [name, cid[:12]] + aliases}
        n["Containers"][cid] = {"Name": name, "EndpointID": networks[n["Name"]]["EndpointID"], "MacAddress": "02:42:ac:12:00:02", "IPv4Address": ip + "/16", "IPv6Address": ""}
    portmap = {}
    for p in (exposed or []): portmap[p] = None
    for (hip, hport, p) in (ports or []):
        portmap.setdefault(p, None)
        portmap[p] = (portmap[p] or []) + [{"HostIp": hip, "HostPort": hport}]
    nm = network_mode or (nets[0][0]["Name"] if nets else "none")
    return {
        "Id": cid, "Created": "2025-11-01T10:00:00.000000000Z", "Path": "/entrypoint.sh", "Args": [], "State": st,
        "Image": img["Id"], "Name": "/" + name, "RestartCount": 0, "Driver": "overlay2", "Platform": "linux",
        "HostConfig": {"Binds": None, "NetworkMode": nm, "PortBindings": {p: [{"HostIp": h, "HostPort": hp}] for (h, hp, p) in (ports or [])},
                       "RestartPolicy": {"Name": restart, "MaximumRetryCount": 0}, "AutoRemove": False, "VolumesFrom": None,
                       "ExtraHosts": extra_hosts, "Links": links, "PidMode": "", "Privileged": False},
        "Mounts": mounts or [],
        "Config": {"Hostname": cid[:12], "Domainname": "", "User": "", "Env": env, "Cmd": None, "Image": img["RepoTags"][0],
                   "Volumes": None, "WorkingDir": "", "Entrypoint": None, "OnBuild": None, "Labels": labels,
                   "ExposedPorts": {p: {} for p in (exposed or [])} or None},
        "NetworkSettings": {"Bridge": "", "SandboxID": hid("sandbox " + name), "Ports": portmap, "SandboxKey": "/var/run/docker/netns/" + hid("sandbox " + name)[:12],
                            "EndpointID": "", "Gateway": "", "GlobalIPv6Address": "", "IPAddress": "", "IPPrefixLen": 0, "MacAddress": "",
                            "Networks": networks},
    }

def vmount(v, dest):
    return {"Type": "volume", "Name": v["Name"], "Source": v["Mountpoint"], "Destination": dest, "Driver": "local", "Mode": "z", "RW": True, "Propagation": ""}

def defaults():
    return [network("bridge", subnet="172.17.0.0/16", gateway="172.17.0.1", labels={}), network("host", driver="host"), network("none", driver="null")]

# ---------------- demo: Acme's erp-1 ----------------
def demo():
    odoo_img, pg_img, tr_img = image("odoo:17.0", {"maintainer": "Odoo S.A. <info@odoo.com>"}), image("postgres:15"), image("traefik:v3.1", {"org.opencontainers.image.source": "https://github.com/traefik/traefik"})
    nets = defaults()
    erp = network("erp_default", subnet="172.18.0.0/16", gateway="172.18.0.1", labels={"com.docker.compose.network": "default", "com.docker.compose.project": "erp", "com.docker.compose.version": "2.29.7"})
    nets.append(erp)
    dbv, odv, lev = vol("erp_db-data", {"com.docker.compose.project": "erp", "com.docker.compose.volume": "db-data", "com.docker.compose.version": "2.29.7"}), vol("erp_odoo-data", {"com.docker.compose.project": "erp", "com.docker.compose.volume": "odoo-data", "com.docker.compose.version": "2.29.7"}), vol("erp_letsencrypt", {"com.docker.compose.project": "erp", "com.docker.compose.volume": "letsencrypt", "com.docker.compose.version": "2.29.7"})
    wd = "/opt/erp"
    db = container("erp-db-1", pg_img, ["POSTGRES_USER=odoo", "POSTGRES_PASSWORD=CANARY-docker-postgres-password", "POSTGRES_DB=postgres", "PGDATA=/var/lib/postgresql/data/pgdata", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "PG_MAJOR=15"],
                   compose_labels("erp", "db", wd), [(erp, "172.18.0.2", ["erp-db-1", "db"])], mounts=[vmount(dbv, "/var/lib/postgresql/data")], exposed=["5432/tcp"], health="healthy")
    odoo = container("erp-odoo-1", odoo_img, ["HOST=db", "DB_HOST=db", "USER=odoo", "PASSWORD=CANARY-docker-odoo-db-password", "PGPASSWORD=CANARY-docker-pgpassword", "ODOO_RC=/etc/odoo/odoo.conf", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ODOO_VERSION=17.0"],
                     compose_labels("erp", "odoo", wd, {"com.docker.compose.depends_on": "db:service_healthy:false"}), [(erp, "172.18.0.3", ["erp-odoo-1", "odoo"])],
                     mounts=[vmount(odv, "/var/lib/odoo")], exposed=["8069/tcp", "8071/tcp", "8072/tcp"])
    proxy = container("erp-proxy-1", tr_img, ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                      compose_labels("erp", "proxy", wd, {"com.docker.compose.depends_on": "odoo:service_started:false",
                        "traefik.enable": "true", "traefik.http.routers.erp.rule": "Host(`erp.acme-coffee.com`)", "traefik.http.routers.erp.tls.certresolver": "le",
                        "traefik.http.services.erp.loadbalancer.server.port": "8069"}),
                      [(erp, "172.18.0.4", ["erp-proxy-1", "proxy"])], mounts=[vmount(lev, "/letsencrypt"),
                        {"Type": "bind", "Source": "/var/run/docker.sock", "Destination": "/var/run/docker.sock", "Mode": "ro", "RW": False, "Propagation": "rprivate"}],
                      ports=[("0.0.0.0", "80", "80/tcp"), ("0.0.0.0", "443", "443/tcp")], exposed=["80/tcp", "443/tcp"], restart="always")
    cs = [db, odoo, proxy]
    return {"info": info("erp-1", "7QJX:BR3K:AUOZ:LC4P:YB3K:6ZUE:FJQV:GY2S:JMHE:P3RD:FKPX:6A3W", containers=3, images=3), "version": version(),
            "containers": cs, "images": [odoo_img, pg_img, tr_img], "networks": nets, "volumes": [dbv, odv, lev]}

# ---------------- test: every kind and edge ----------------
def test():
    app_img, redis_img, web_img, sc_img = image("ghcr.io/acme/api:1.4.2", {"org.opencontainers.image.source": "https://github.com/acme/api", "com.example.api-token": "CANARY-docker-label-token"}), image("redis:7"), image("nginx:1.27"), image("acme/sidecar:latest")
    nets = defaults()
    front = network("shop_front", subnet="172.20.0.0/16", gateway="172.20.0.1", labels={"com.docker.compose.network": "front", "com.docker.compose.project": "shop"})
    back = network("shop_back", subnet="172.21.0.0/16", gateway="172.21.0.1", internal=True, labels={"com.docker.compose.network": "back", "com.docker.compose.project": "shop"})
    ovl = network("edge_net", driver="overlay", subnet="10.0.1.0/24", gateway="10.0.1.1", scope="swarm", attachable=True, labels={"com.docker.stack.namespace": "edge"})
    ingress = network("ingress", driver="overlay", subnet="10.0.0.0/24", gateway="10.0.0.1", scope="swarm", ingress=True)
    nets += [front, back, ovl, ingress]
    cache = vol("shop_cache", {"com.docker.compose.project": "shop", "com.docker.compose.volume": "cache"})
    anon = vol(hid("anonymous volume"))
    wd = "/home/deploy/shop"
    api = container("shop-api-1", app_img, [
        "DATABASE_URL=postgres://postgres.qwertyuiopasdfghjklz:CANARY-docker-supabase-password@aws-0-eu-central-1.pooler.supabase.com:6543/postgres",
        "REDIS_URL=redis://:CANARY-docker-redis-password@cache:6379/0",
        "LEGACY_DB=host=db.zzzzzzzzzzzzzzzzzzzz.supabase.co port=5432 dbname=postgres user=postgres password=CANARY-docker-keyword-password",
        "ODOO_URL=https://erp.acme-coffee.com", "SMTP_HOST=smtp.sendgrid.net", "STRIPE_SECRET_KEY=sk_live_CANARY-docker-stripe",
        "API_TOKEN=CANARY-docker-api-token", "SECRET_HOST=CANARY-docker-secret-host", "HOST=0.0.0.0", "PORT=3000",
        "VIRTUAL_HOST=api.acme-coffee.com, ~^api\\d+\\.acme-coffee\\.com$", "LETSENCRYPT_HOST=api.acme-coffee.com"],
        compose_labels("shop", "api", wd, {"com.docker.compose.depends_on": "cache:service_started:true,worker:service_completed_successfully:false",
            "traefik.http.routers.api.rule": "Host(`api.acme-coffee.com`, `api2.acme-coffee.com`) && PathPrefix(`/v1`)",
            "traefik.http.routers.api.middlewares": "auth",
            "traefik.http.middlewares.auth.basicauth.users": "admin:$apr1$CANARY-docker-htpasswd",
            "caddy": "shop-api.acme-coffee.com", "com.example.webhook": "https://hooks.example.com/u:CANARY-docker-url-secret@x"}),
        [(front, "172.20.0.2", ["api"]), (back, "172.21.0.2", ["api"])], ports=[("127.0.0.1", "3000", "3000/tcp")], exposed=["3000/tcp"],
        health="starting", extra_hosts=["host.docker.internal:host-gateway", "legacy-db:10.110.0.9"])
    red = container("shop-cache-1", redis_img, ["REDIS_PASSWORD=CANARY-docker-redis-password"], compose_labels("shop", "cache", wd), [(back, "172.21.0.3", ["cache"])],
                    mounts=[vmount(cache, "/data"), vmount(anon, "/tmp/anon")], exposed=["6379/tcp"], restart="always")
    web = container("shop-web-1", web_img, ["UPSTREAM=api:3000"], compose_labels("shop", "web", wd, {"com.docker.compose.depends_on": "api"}), [(front, "172.20.0.4", ["web"])],
                    ports=[("0.0.0.0", "8080", "80/tcp"), ("::", "8080", "80/tcp")], exposed=["80/tcp"], links=["/shop-api-1:/shop-web-1/backend"])
    side = container("shop-api-metrics-1", sc_img, ["TARGET=http://localhost:3000/metrics"], compose_labels("shop", "metrics", wd), [], network_mode="container:" + api["Id"])
    run1 = container("shop-api-run-4b1c2d", app_img, ["DATABASE_URL=postgres://u:CANARY-docker-oneoff@10.110.0.5:5432/app"],
                     compose_labels("shop", "api", wd, {"com.docker.compose.oneoff": "True", "com.docker.compose.slug": "4b1c2d"}), [(back, "172.21.0.9", [])], state="exited", restart="no")
    lone = container("adminer", web_img, [], {"maintainer": "someone"}, [], network_mode="host", state="exited", restart="no")
    # A swarm task's container on this (manager) node.
    swc = container("edge_gateway.1.t4sk1d", web_img, ["BACKEND_URL=http://api.acme-coffee.com"], {"com.docker.swarm.service.name": "edge_gateway", "com.docker.swarm.task.id": "t4sk1gw1", "com.docker.stack.namespace": "edge"},
                    [(ovl, "10.0.1.5", ["gateway"])])
    cs = [api, red, web, side, run1, lone, swc]
    swarm = {"NodeID": "n0de1mgr", "NodeAddr": "203.0.113.20", "LocalNodeState": "active", "ControlAvailable": True, "Error": "",
             "RemoteManagers": [{"NodeID": "n0de1mgr", "Addr": "203.0.113.20:2377"}], "Nodes": 2, "Managers": 1,
             "Cluster": {"ID": "clu5t3r0000000000000000001", "Version": {"Index": 10}, "CreatedAt": "2025-11-01T10:00:00Z", "UpdatedAt": "2025-11-01T10:00:00Z",
                         "Spec": {"Name": "default", "Labels": {}}, "TLSInfo": {}, "RootRotationInProgress": False, "DataPathPort": 4789, "DefaultAddrPool": ["10.0.0.0/8"], "SubnetSize": 24}}
    nodes = [
        {"ID": "n0de1mgr", "Version": {"Index": 9}, "CreatedAt": "2025-11-01T10:00:00Z", "UpdatedAt": "2025-11-01T10:00:00Z",
         "Spec": {"Labels": {}, "Role": "manager", "Availability": "active"},
         "Description": {"Hostname": "edge-1", "Platform": {"Architecture": "x86_64", "OS": "linux"}, "Resources": {"NanoCPUs": 2000000000, "MemoryBytes": 4109893632},
                         "Engine": {"EngineVersion": "28.5.2"}, "TLSInfo": {}},
         "Status": {"State": "ready", "Addr": "203.0.113.20"}, "ManagerStatus": {"Leader": True, "Reachability": "reachable", "Addr": "203.0.113.20:2377"}},
        {"ID": "n0de2wrk", "Version": {"Index": 12}, "CreatedAt": "2025-11-01T10:00:00Z", "UpdatedAt": "2025-11-01T10:00:00Z",
         "Spec": {"Labels": {}, "Role": "worker", "Availability": "active"},
         "Description": {"Hostname": "edge-2", "Platform": {"Architecture": "x86_64", "OS": "linux"}, "Resources": {"NanoCPUs": 2000000000, "MemoryBytes": 4109893632},
                         "Engine": {"EngineVersion": "28.5.2"}, "TLSInfo": {}},
         "Status": {"State": "ready", "Addr": "203.0.113.21"}}]
    services = [{"ID": "s3rv1cegw", "Version": {"Index": 20}, "CreatedAt": "2025-11-01T10:00:00Z", "UpdatedAt": "2025-11-01T10:00:00Z",
        "Spec": {"Name": "edge_gateway", "Labels": {"com.docker.stack.namespace": "edge", "com.docker.stack.image": "nginx:1.27",
                 "traefik.http.routers.gw.rule": "Host(`edge.acme-coffee.com`)", "com.example.deploy-secret": "CANARY-docker-service-label"},
                 "TaskTemplate": {"ContainerSpec": {"Image": "nginx:1.27@sha256:" + hid("digest nginx:1.27"), "Labels": {"com.docker.stack.namespace": "edge"},
                    "Env": ["BACKEND_URL=http://api.acme-coffee.com", "DB_PASSWORD=CANARY-docker-swarm-env"],
                    "Secrets": [{"File": {"Name": "tls_key", "UID": "0", "GID": "0", "Mode": 292}, "SecretID": "secr3t1", "SecretName": "edge_tls_key"}],
                    "Configs": [{"File": {"Name": "/etc/nginx/nginx.conf", "UID": "0", "GID": "0", "Mode": 292}, "ConfigID": "c0nf1g1", "ConfigName": "edge_nginx_conf"}]},
                    "Networks": [{"Target": ovl["Id"], "Aliases": ["gateway"]}], "ForceUpdate": 0, "Runtime": "container"},
                 "Mode": {"Replicated": {"Replicas": 2}}, "EndpointSpec": {"Mode": "vip", "Ports": [{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 443, "PublishMode": "ingress"}]}},
        "Endpoint": {"Spec": {"Mode": "vip"}, "Ports": [{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 443, "PublishMode": "ingress"}],
                     "VirtualIPs": [{"NetworkID": ingress["Id"], "Addr": "10.0.0.7/24"}, {"NetworkID": ovl["Id"], "Addr": "10.0.1.2/24"}]}}]
    def task(tid, slot, node, state, desired, cid=None, addr=None):
        t = {"ID": tid, "Version": {"Index": 30}, "CreatedAt": "2025-11-01T10:00:00Z", "UpdatedAt": "2025-11-01T10:00:00Z", "Labels": {},
             "Spec": services[0]["Spec"]["TaskTemplate"], "ServiceID": "s3rv1cegw", "Slot": slot, "NodeID": node,
             "Status": {"Timestamp": "2025-11-01T10:00:10Z", "State": state, "Message": state, "PortStatus": {}}, "DesiredState": desired,
             "NetworksAttachments": [{"Network": {"ID": ovl["Id"]}, "Addresses": [addr]}] if addr else []}
        if cid: t["Status"]["ContainerStatus"] = {"ContainerID": cid, "PID": 4242, "ExitCode": 0}
        return t
    tasks = [task("t4sk1gw1", 1, "n0de1mgr", "running", "running", swc["Id"], "10.0.1.5/24"),
             task("t4sk2gw2", 2, "n0de2wrk", "running", "running", hid("container on edge-2"), "10.0.1.6/24"),
             task("t4sk0old", 1, "n0de1mgr", "shutdown", "shutdown", hid("old container"), None)]
    return {"info": info("edge-1", "AAAA:BBBB:CCCC:DDDD:EEEE:FFFF:GGGG:HHHH:IIII:JJJJ:KKKK:LLLL", swarm=swarm, containers=len(cs), images=4),
            "version": version(), "containers": cs, "images": [app_img, redis_img, web_img, sc_img], "networks": nets, "volumes": [cache, anon],
            "nodes": nodes, "services": services, "tasks": tasks}

out = sys.argv[1]
for name, fn in (("demo", demo), ("test", test)):
    with open("%s/%s.json" % (out, name), "w") as f:
        json.dump(fn(), f, indent=1, sort_keys=True)
        f.write("\n")
