{{/*
The service's Deployment. Include from a service chart's templates/deployment.yaml:
  {{ include "perspective-lib.deployment" . }}
Everything here is driven by the service chart's values.yaml (documented there); the service chart's templates/configmap.yaml
is hashed into a pod annotation so that a settings change rolls the pods.
*/}}
{{- define "perspective-lib.deployment" -}}
{{- $autoscaling := .Values.autoscaling | default dict -}}
{{- $port := include "perspective-lib.grpcPort" . | int -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "perspective-lib.fullname" . }}
  labels:
    {{- include "perspective-lib.labels" . | nindent 4 }}
spec:
  {{- if not $autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: {{ .Values.revisionHistoryLimit }}
  selector:
    matchLabels:
      {{- include "perspective-lib.selectorLabels" . | nindent 6 }}
  strategy:
    {{- toYaml .Values.strategy | nindent 4 }}
  template:
    metadata:
      annotations:
        checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
        {{- with .Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      labels:
        {{- include "perspective-lib.labels" . | nindent 8 }}
        {{- with .Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "perspective-lib.serviceAccountName" . }}
      # The services never call the Kubernetes API: no token in the pod.
      automountServiceAccountToken: false
      {{- with .Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
      containers:
        - name: {{ .Chart.Name }}
          image: {{ include "perspective-lib.image" . | quote }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: grpc
              containerPort: {{ $port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "perspective-lib.fullname" . }}
          env:
            {{- include "perspective-lib.secretEnv" . | trim | nindent 12 }}
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            - name: NODE_NAME
              valueFrom:
                fieldRef:
                  fieldPath: spec.nodeName
            # Kubernetes expands $(VAR) from the variables above, so every signal carries the pod it came from.
            - name: OTEL_RESOURCE_ATTRIBUTES
              value: {{ include "perspective-lib.resourceAttributes" . | quote }}
            {{- with .Values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          # Native gRPC probes against grpc.health.v1 (docs/ARCHITECTURE.md): "liveness" is the process alone; the empty
          # service name is readiness (database, the broker's first connection only, and for the Ledger the writer lock).
          # The startup probe allows for the database wait and the migrations that run before the server listens.
          startupProbe:
            grpc:
              port: {{ $port }}
              service: liveness
            {{- toYaml .Values.probes.startup | nindent 12 }}
          livenessProbe:
            grpc:
              port: {{ $port }}
              service: liveness
            {{- toYaml .Values.probes.liveness | nindent 12 }}
          readinessProbe:
            grpc:
              port: {{ $port }}
              service: ""
            {{- toYaml .Values.probes.readiness | nindent 12 }}
          {{- if gt (int .Values.shutdownDelaySeconds) 0 }}
          lifecycle:
            # Keep serving while the endpoint removal reaches every node's proxy and every caller's resolver, then stop.
            preStop:
              sleep:
                seconds: {{ .Values.shutdownDelaySeconds }}
          {{- end }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          volumeMounts:
            # The only writable path with a read-only root filesystem (.NET diagnostics sockets, temporary files).
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ .Values.tmpSizeLimit }}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if .Values.spreadAcrossNodes }}
      # Replicas on different nodes (and zones where there are several), so one node loss never takes them all.
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "perspective-lib.selectorLabels" . | nindent 14 }}
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "perspective-lib.selectorLabels" . | nindent 14 }}
      {{- end }}
{{- end }}

{{/*
Secrets are referenced, never carried in values: the database password (composed into the Npgsql connection string by
Kubernetes' $(VAR) expansion) or a whole connection string, the RabbitMQ amqp:// URI, and the JWT signing key.
*/}}
{{- define "perspective-lib.secretEnv" -}}
{{- $db := .Values.database -}}
{{- if $db.connectionStringKey }}
- name: ConnectionStrings__Database
  valueFrom:
    secretKeyRef:
      name: {{ required "database.existingSecret is required" $db.existingSecret }}
      key: {{ $db.connectionStringKey }}
{{- else }}
- name: DATABASE_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ required "database.existingSecret is required" $db.existingSecret }}
      key: {{ $db.usernameKey }}
- name: DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $db.existingSecret }}
      key: {{ $db.passwordKey }}
- name: ConnectionStrings__Database
  value: {{ printf "Host=%s;Port=%d;Database=%s;Username=$(DATABASE_USERNAME);Password=$(DATABASE_PASSWORD);SSL Mode=%s%s" (required "database.host is required" $db.host) (int $db.port) (required "database.name is required" $db.name) $db.sslMode (ternary (printf ";%s" $db.extraOptions) "" (ne $db.extraOptions "")) | quote }}
{{- end }}
- name: ConnectionStrings__RabbitMq
  valueFrom:
    secretKeyRef:
      name: {{ required "rabbitmq.existingSecret is required" .Values.rabbitmq.existingSecret }}
      key: {{ .Values.rabbitmq.uriKey }}
{{- if .Values.auth.signingKey.existingSecret }}
- name: Auth__SigningKey
  valueFrom:
    secretKeyRef:
      name: {{ .Values.auth.signingKey.existingSecret }}
      key: {{ .Values.auth.signingKey.key }}
{{- else if not .Values.auth.authority }}
{{- fail "auth: set auth.signingKey.existingSecret (HS256) or auth.authority (OIDC)" }}
{{- end }}
{{- end }}

{{- define "perspective-lib.resourceAttributes" -}}
{{- $attributes := list "service.namespace=perspective" "k8s.pod.name=$(POD_NAME)" "k8s.namespace.name=$(POD_NAMESPACE)" "k8s.node.name=$(NODE_NAME)" (printf "k8s.deployment.name=%s" (include "perspective-lib.fullname" .)) -}}
{{- range $key, $value := .Values.telemetry.resourceAttributes }}
{{- $attributes = append $attributes (printf "%s=%s" $key $value) }}
{{- end }}
{{- join "," $attributes }}
{{- end }}
