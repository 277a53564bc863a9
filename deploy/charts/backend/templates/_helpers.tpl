{{/* The chart's name, shortened to what a label value allows. */}}
{{- define "backend.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The name of the release's objects; the release name alone when it already names the chart. */}}
{{- define "backend.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "backend.selectorLabels" -}}
app.kubernetes.io/name: {{ include "backend.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "backend.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "backend.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "backend.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "backend.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret the chart makes for values given in plain text (upstream's keys). */}}
{{- define "backend.credentialsName" -}}
{{- printf "%s-credentials" (include "backend.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The port of backend.listenAddress (host:port; the host may be $(POD_IP)). */}}
{{- define "backend.port" -}}
{{- $parts := splitList ":" .Values.backend.listenAddress }}
{{- last $parts }}
{{- end }}

{{/* The container port's name: https with backend.tls.enabled, else http. */}}
{{- define "backend.portName" -}}
{{- if .Values.backend.tls.enabled }}https{{ else }}http{{ end }}
{{- end }}

{{/* Upstream's spellings of the isolation mode (prefix) mapped to the backend's (Prefixed). */}}
{{- define "backend.isolation" -}}
{{- $v := default .Values.backend.clusterScopeIsolation .Values.backend.isolation }}
{{- if eq (lower $v) "prefix" }}Prefixed{{ else }}{{ $v }}{{ end }}
{{- end }}

{{/* Whether sessions live in Redis (needed by more than one replica). */}}
{{- define "backend.redis" -}}
{{- if .Values.backend.sessionStorage.redisAddress }}true{{ end }}
{{- end }}

{{/* The most replicas this release can run (the HPA's maximum when autoscaling). */}}
{{- define "backend.maxReplicas" -}}
{{- if .Values.autoscaling.enabled }}{{ .Values.autoscaling.maxReplicas }}{{ else }}{{ .Values.replicaCount }}{{ end }}
{{- end }}

{{/* A probe from values: with TLS, an httpGet on the http port goes to https instead. */}}
{{- define "backend.probe" -}}
{{- $probe := deepCopy .probe }}
{{- if and .root.Values.backend.tls.enabled $probe.httpGet }}
{{- if eq (toString $probe.httpGet.port) "http" }}
{{- $_ := set $probe.httpGet "port" "https" }}
{{- $_ := set $probe.httpGet "scheme" "HTTPS" }}
{{- end }}
{{- end }}
{{- toYaml $probe }}
{{- end }}
