package docker_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors/collectorstest"
	"github.com/infragraph/infragraph/collectors/docker"
	"github.com/infragraph/infragraph/collectors/docker/dockerfake"
	"github.com/infragraph/infragraph/collectors/fakeapi"
)

// A DOCKER_HOST carrying credentials (userinfo, a ?token= query) reaches no error, warning or
// attribute: the Docker client's errors quote the host whole (issue #26, item 2).
func TestHostCredentialsNeverEchoed(t *testing.T) {
	dead := httptest.NewServer(nil)
	deadAddr := dead.Listener.Addr().String()
	dead.Close()
	f := dockerfake.New(dockerfake.MustLoad("demo"))
	f.Fault("/volumes", fakeapi.Always, fakeapi.Fault{Status: 500})
	f.Fault("/info", 1, fakeapi.Fault{Status: 500})
	live := httptest.NewServer(f)
	t.Cleanup(live.Close)
	for name, addr := range map[string]string{"unreachable": deadAddr, "failing family": live.Listener.Addr().String()} {
		for _, host := range []string{
			"tcp://dockuser:CANARYpass1@" + addr + "?token=CANARYtok1",
			"tcp://CANARYuser2@" + addr + "/?token=CANARYtok2",
			"tcp://" + addr + "?access_token=CANARYtok3",
		} {
			c, err := docker.New(docker.Config{Name: "e", Host: host})
			if err != nil {
				if strings.Contains(err.Error(), "CANARY") {
					t.Errorf("%s: New error leaks: %v", name, err)
				}
				continue
			}
			out := collectorstest.Collect(t, "docker", c)
			text := string(out.JSON()) + strings.Join(out.Warnings, "\n")
			if out.Err != nil {
				text += out.Err.Error()
			}
			if strings.Contains(text, "CANARY") {
				t.Errorf("%s, host %q: a credential leaks:\nerr=%v\nwarnings=%v", name, host, out.Err, out.Warnings)
			}
			if name == "failing family" && out.Err == nil && len(out.Warnings) == 0 {
				t.Errorf("%s, host %q: no warning for the failing family", name, host)
			}
		}
	}
}
