{{/* The text a service chart's NOTES.txt prints after an install or upgrade. */}}
{{- define "perspective-lib.notes" -}}
{{ .Chart.Name }} {{ .Values.image.tag | default .Chart.AppVersion }} is installed as {{ include "perspective-lib.fullname" . }} in namespace {{ .Release.Namespace }}.

Other services reach it at http://{{ include "perspective-lib.fullname" . }}.{{ .Release.Namespace }}:{{ .Values.service.port }} (gRPC over HTTP/2, no TLS inside the cluster).

Watch it come up (the startup probe allows for the database wait and the migrations):
  kubectl -n {{ .Release.Namespace }} rollout status deployment/{{ include "perspective-lib.fullname" . }}
  kubectl -n {{ .Release.Namespace }} logs -l app.kubernetes.io/instance={{ .Release.Name }} -f

Check its health from your machine:
  kubectl -n {{ .Release.Namespace }} port-forward service/{{ include "perspective-lib.fullname" . }} {{ .Values.service.port }}:{{ .Values.service.port }}
  grpcurl -plaintext 127.0.0.1:{{ .Values.service.port }} grpc.health.v1.Health/Check

It reads these Secrets, which must exist in {{ .Release.Namespace }} (docs/DEPLOY.md says how to create them):
  {{ .Values.database.existingSecret }}  (database: {{ if .Values.database.connectionStringKey }}key {{ .Values.database.connectionStringKey }}{{ else }}keys {{ .Values.database.usernameKey }}, {{ .Values.database.passwordKey }}{{ end }})
  {{ .Values.rabbitmq.existingSecret }}  (RabbitMQ amqp:// URI: key {{ .Values.rabbitmq.uriKey }})
{{- if .Values.auth.signingKey.existingSecret }}
  {{ .Values.auth.signingKey.existingSecret }}  (JWT signing key: key {{ .Values.auth.signingKey.key }})
{{- end }}
{{- if .Values.telemetry.otlpEndpoint }}

Telemetry goes to {{ .Values.telemetry.otlpEndpoint }} as service.name={{ include "perspective-lib.otelServiceName" . }}.
{{- else }}

telemetry.otlpEndpoint is empty: the service collects no traces or metrics.
{{- end }}
{{- end }}
