//go:build tools

// Package tools pins etcd for ../build-control-plane.sh. The binary is built
// from the server module's own main package (go.etcd.io/etcd/server/v3),
// which is a thin wrapper around etcdmain.Main(os.Args).
package tools

import (
	_ "go.etcd.io/etcd/server/v3/etcdmain"
)
