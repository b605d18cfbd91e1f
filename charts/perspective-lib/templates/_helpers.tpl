{{/*
Names and labels. A service chart is installed as a release named after the service (ledger, registry, gateway, subdao,
platform, treasury): the release name is then the Kubernetes name, the DNS name other services call
(http://ledger:8080), and the OpenTelemetry service.name.
*/}}

{{- define "perspective-lib.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "perspective-lib.fullname" -}}
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

{{- define "perspective-lib.selectorLabels" -}}
app.kubernetes.io/name: {{ include "perspective-lib.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "perspective-lib.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "perspective-lib.selectorLabels" . }}
app.kubernetes.io/version: {{ include "perspective-lib.versionLabel" . | quote }}
app.kubernetes.io/component: {{ .Values.component | default "service" }}
app.kubernetes.io/part-of: perspective
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The image tag as a label value: skaffold's cluster profile passes "tag@sha256:...", and a label allows neither "@" nor
":", so only the part before "@", with any other character a label refuses replaced.
*/}}
{{- define "perspective-lib.versionLabel" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | splitList "@" | first -}}
{{- regexReplaceAll "[^-A-Za-z0-9_.]" $tag "-" | trunc 63 | trimAll "-_." -}}
{{- end }}

{{- define "perspective-lib.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "perspective-lib.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest when a digest is given (skaffold passes tag@digest as the tag). */}}
{{- define "perspective-lib.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ $tag }}
{{- end -}}
{{- end }}

{{/* The gRPC port the process listens on: Kestrel:Endpoints:Grpc in appsettings.json, fixed for every service. */}}
{{- define "perspective-lib.grpcPort" -}}8080{{- end }}

{{/*
The OpenTelemetry service.name: the service's short name (ServiceInfo.Name in the code, which sets it whatever the
environment says), and the chart's name. Dashboards select on job="perspective/<name>".
*/}}
{{- define "perspective-lib.otelServiceName" -}}
{{- .Chart.Name }}
{{- end }}
