//go:build !unix

package pgtest

import "errors"

// ErrNoServer reports that this machine has no PostgreSQL server binaries
// usable by these tests (on Windows, set LUNAS_TEST_POSTGRES instead).
var ErrNoServer = errors.New("no PostgreSQL server binaries (initdb, postgres)")

// Cluster is not available on this system.
type Cluster struct{ Dir, Password string }

// StartCluster returns ErrNoServer on this system.
func StartCluster() (*Cluster, error) { return nil, ErrNoServer }

// StartDurableCluster returns ErrNoServer on this system.
func StartDurableCluster() (*Cluster, error) { return nil, ErrNoServer }

// Start, Stop and Remove do nothing here.
func (c *Cluster) Start() error { return ErrNoServer }
func (c *Cluster) Stop() error  { return nil }
func (c *Cluster) Remove()      {}

// URL is empty here.
func (c *Cluster) URL(db string) string { return "" }
