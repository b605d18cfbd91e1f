{{/* Its own identity per service (workload identity, network policies); no API token mounted (see the Deployment). */}}
{{- define "perspective-lib.serviceaccount" -}}
{{- if .Values.serviceAccount.create -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "perspective-lib.serviceAccountName" . }}
  labels:
    {{- include "perspective-lib.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end }}
{{- end }}
