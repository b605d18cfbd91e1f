{{/* The gRPC Service: one port named grpc; appProtocol tells meshes and gateways to speak HTTP/2 gRPC to it. */}}
{{- define "perspective-lib.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "perspective-lib.fullname" . }}
  labels:
    {{- include "perspective-lib.labels" . | nindent 4 }}
  {{- with .Values.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .Values.service.type }}
  ports:
    - name: grpc
      port: {{ .Values.service.port }}
      targetPort: grpc
      protocol: TCP
      appProtocol: {{ .Values.service.appProtocol }}
  selector:
    {{- include "perspective-lib.selectorLabels" . | nindent 4 }}
{{- end }}
