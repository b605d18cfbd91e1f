{{/*
Non-secret settings as environment variables (configuration key "A:B" is the variable "A__B"). Include from a service
chart's templates/configmap.yaml with the service's own settings:
  {{ include "perspective-lib.configmap" (dict "context" . "settings" (dict "Ledger__BatchSizeMax" .Values.ledger.batchSizeMax)) }}
*/}}
{{- define "perspective-lib.configmap" -}}
{{- $ctx := .context -}}
{{- $values := $ctx.Values -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "perspective-lib.fullname" $ctx }}
  labels:
    {{- include "perspective-lib.labels" $ctx | nindent 4 }}
data:
  ASPNETCORE_ENVIRONMENT: {{ $values.environment | quote }}
  # Where Kestrel listens, stated here as well so that no appsettings.<Environment>.json can move it off the probed port.
  Kestrel__Endpoints__Grpc__Url: {{ printf "http://0.0.0.0:%s" (include "perspective-lib.grpcPort" $ctx) | quote }}
  Auth__Issuer: {{ $values.auth.issuer | quote }}
  Auth__Audience: {{ $values.auth.audience | quote }}
  {{- with $values.auth.authority }}
  Auth__Authority: {{ . | quote }}
  {{- end }}
  Database__StartupTimeoutSeconds: {{ $values.database.startupTimeoutSeconds | quote }}
  Logging__LogLevel__Default: {{ $values.logLevel | quote }}
  {{- range $name, $address := $values.services }}
  Services__{{ $name }}: {{ $address | quote }}
  {{- end }}
  OTEL_SERVICE_NAME: {{ include "perspective-lib.otelServiceName" $ctx | quote }}
  {{- if $values.telemetry.otlpEndpoint }}
  OTEL_EXPORTER_OTLP_ENDPOINT: {{ $values.telemetry.otlpEndpoint | quote }}
  OTEL_EXPORTER_OTLP_PROTOCOL: {{ $values.telemetry.otlpProtocol | quote }}
  OTEL_METRIC_EXPORT_INTERVAL: {{ $values.telemetry.metricExportIntervalMs | quote }}
  OTEL_TRACES_SAMPLER: {{ $values.telemetry.tracesSampler | quote }}
  OTEL_TRACES_SAMPLER_ARG: {{ $values.telemetry.tracesSamplerArg | quote }}
  {{- end }}
  {{- range $key, $value := .settings }}
  {{ $key }}: {{ $value | toString | quote }}
  {{- end }}
  {{- range $key, $value := $values.extraSettings }}
  {{ $key | replace ":" "__" }}: {{ $value | toString | quote }}
  {{- end }}
{{- end }}
