{{/* The chart's name: nameOverride, or "bulkhead". */}}
{{- define "bulkhead.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The base name of every object: fullnameOverride, or the release name, or "<release>-<name>" when the release name
does not contain the name.
*/}}
{{- define "bulkhead.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "bulkhead.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The operator's ServiceAccount: serviceAccount.name, or the fullname. */}}
{{- define "bulkhead.serviceAccountName" -}}
{{- if and (not .Values.serviceAccount.create) (not .Values.serviceAccount.name) -}}
{{- fail "serviceAccount.create: false needs serviceAccount.name, the ServiceAccount the operator runs as" -}}
{{- end -}}
{{- .Values.serviceAccount.name | default (include "bulkhead.fullname" .) -}}
{{- end -}}

{{/* Labels that select the operator's pods; they must never change across upgrades. */}}
{{- define "bulkhead.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bulkhead.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* Labels on every object of the chart. */}}
{{- define "bulkhead.labels" -}}
{{ include "bulkhead.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "bulkhead.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* "true" when leader election is on: asked for, or needed because more than one replica runs. */}}
{{- define "bulkhead.leaderElect" -}}
{{- if or .Values.leaderElection.enabled (gt (int .Values.replicas) 1) -}}true{{- end -}}
{{- end -}}

{{/*
The namespaces the operator watches, comma-separated: values.namespaces, or the release namespace when that is
empty. Not used with clusterWide, which refuses a namespaces list.
*/}}
{{- define "bulkhead.watchNamespaces" -}}
{{- if and .Values.clusterWide .Values.namespaces -}}
{{- fail "clusterWide: true watches every namespace; leave namespaces empty, or set clusterWide: false to watch only them" -}}
{{- end -}}
{{- .Values.namespaces | default (list .Release.Namespace) | uniq | join "," -}}
{{- end -}}

{{/*
The operator's permissions on the objects it manages, shared by the per-namespace Roles (the default) and the
ClusterRole (clusterWide).
*/}}
{{- define "bulkhead.rules" -}}
# Its own kinds: read them, and write metadata (finalizers) and status. It never writes spec.
- apiGroups: [bulkhead.dev]
  resources: [csvimports, stressruns]
  verbs: [get, list, watch, update, patch]
- apiGroups: [bulkhead.dev]
  resources: [csvimports/status, stressruns/status]
  verbs: [get, update, patch]
# Owner references with blockOwnerDeletion need update on the owner's finalizers.
- apiGroups: [bulkhead.dev]
  resources: [csvimports/finalizers, stressruns/finalizers]
  verbs: [update]
# The children: an import's Job, a StressRun's Deployment.
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, create, update, patch, delete]
# Runner pods: readiness, and an import's summary from its termination message.
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
# The database Secrets that CsvImports and StressRuns name, to measure each server's budget. RBAC cannot
# select by label: the operator itself refuses a Secret without the label bulkhead.dev/database: "true".
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
- apiGroups: ["", events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end -}}

{{/*
The runner pod defaults file (--runner-pod-defaults-file): the runner values that are spec.runner's fields. The
operator checks it against spec.runner's schema when it starts.
*/}}
{{- define "bulkhead.runnerPodDefaults" -}}
{{- omit .Values.runner "image" "imagePullPolicy" "metricsPort" | toYaml -}}
{{- end -}}
