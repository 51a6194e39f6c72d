//go:build unix

package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNoServer reports that this machine has no PostgreSQL server binaries.
var ErrNoServer = errors.New("no PostgreSQL server binaries (initdb, postgres)")

// Cluster is a throwaway PostgreSQL cluster: initdb in a temporary folder,
// listening on a unix socket in that folder only (no TCP), password
// authentication (scram-sha-256) for its superuser "lunas". Run as root, the
// server runs as the "postgres" user (or "nobody"): PostgreSQL refuses root.
// fsync is off: a test cluster is thrown away, and no test here crashes the
// server's machine (tests stop the server, which flushes).
type Cluster struct {
	Dir      string // the temporary folder: data/, sock/, log
	Password string
	bin      string // folder with initdb and postgres
	cred     *syscall.Credential
	durable  bool

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// Port is the cluster's port: only the socket file name (.s.PGSQL.5432).
const Port = 5432

// FindBin returns the folder holding initdb and postgres: PATH first, then
// Debian's /usr/lib/postgresql/<newest>/bin.
func FindBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dir = filepath.Dir(real)
		}
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoServer
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// StartCluster creates and starts a new cluster. Stop it, and Remove its
// folder, when done; if the test process dies first, the server gets
// SIGINT (Linux) and shuts down.
func StartCluster() (*Cluster, error) { return startCluster(false) }

// StartDurableCluster is StartCluster with the server's own durability
// defaults (fsync on, synchronous_commit on, default shared_buffers), for
// benchmarks that must not flatter the server.
func StartDurableCluster() (*Cluster, error) { return startCluster(true) }

func startCluster(durable bool) (*Cluster, error) {
	bin, err := FindBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "lunas-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, Password: randomHex(12), bin: bin, durable: durable}
	if err := c.init(); err != nil {
		c.Remove()
		return nil, err
	}
	if err := c.Start(); err != nil {
		c.Remove()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) init() error {
	if os.Geteuid() == 0 {
		cred, err := serverUser()
		if err != nil {
			return err
		}
		c.cred = cred
	}
	for _, d := range []string{c.Dir, filepath.Join(c.Dir, "sock")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
		if c.cred != nil {
			if err := os.Chown(d, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
				return err
			}
		}
	}
	pw := filepath.Join(c.Dir, "pwfile")
	if err := os.WriteFile(pw, []byte(c.Password+"\n"), 0o600); err != nil {
		return err
	}
	if c.cred != nil {
		if err := os.Chown(pw, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return err
		}
	}
	cmd := c.command("initdb", "-D", filepath.Join(c.Dir, "data"), "-U", "lunas", "--pwfile="+pw,
		"--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
	out, err := cmd.CombinedOutput()
	os.Remove(pw)
	if err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return nil
}

// serverUser is who runs the server when tests run as root.
func serverUser() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and no 'postgres' or 'nobody' user to run the PostgreSQL server as")
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.Dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	cmd.SysProcAttr = procAttr(c.cred)
	return cmd
}

// Start starts the server (again) and waits until it accepts connections.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
		return errors.New("cluster already running")
	}
	log, err := os.OpenFile(filepath.Join(c.Dir, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	args := []string{"-D", filepath.Join(c.Dir, "data"), "-k", filepath.Join(c.Dir, "sock"), "-p", strconv.Itoa(Port),
		"-c", "listen_addresses=", "-c", "max_connections=200"}
	if !c.durable {
		args = append(args, "-c", "fsync=off", "-c", "shared_buffers=64MB")
	}
	cmd := c.command("postgres", args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		log.Close()
		close(exited)
	}()
	c.cmd, c.exited = cmd, exited
	if err := waitReady(c.URL("postgres"), 60*time.Second, exited); err != nil {
		c.stopLocked()
		return fmt.Errorf("%w\n%s", err, c.logTail())
	}
	return nil
}

// Stop shuts the server down (fast shutdown: connections are ended,
// nothing committed is lost) and waits for it to exit.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopLocked()
}

func (c *Cluster) stopLocked() error {
	if c.cmd == nil {
		return nil
	}
	c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(60 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
	}
	c.cmd = nil
	return nil
}

// Remove deletes the cluster's folder (stop it first).
func (c *Cluster) Remove() { os.RemoveAll(c.Dir) }

// URL returns the URL of database db as the superuser, over the socket.
func (c *Cluster) URL(db string) string {
	q := "host=" + filepath.Join(c.Dir, "sock") + "&port=" + strconv.Itoa(Port) + "&sslmode=disable"
	return "postgres://lunas:" + c.Password + "@localhost/" + db + "?" + strings.ReplaceAll(q, "/", "%2F")
}

func (c *Cluster) logTail() string {
	b, _ := os.ReadFile(filepath.Join(c.Dir, "log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
