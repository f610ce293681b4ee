//go:build tools

// Package tools pins the Kubernetes control-plane commands built by
// ../build-control-plane.sh so `go mod tidy` keeps their deps in go.sum.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
)
