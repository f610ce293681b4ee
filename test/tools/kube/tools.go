//go:build tools

// Package tools pins the Kubernetes commands built by ../build-tools.sh so `go mod tidy` keeps their deps in
// go.sum: the control plane (kube-apiserver, kube-controller-manager) for the operator tests, and the node side
// (kubelet, kube-scheduler) for the real-node suite in test/e2e.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
	_ "k8s.io/kubernetes/cmd/kubelet/app"
)
