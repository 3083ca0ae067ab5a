{{/* The exporter's pod template, shared by the Deployment (webhook) and the DaemonSet (sidecar). */}}
{{- define "tracee-exporter.podTemplate" -}}
{{- $persistence := include "tracee-exporter.persistenceType" . -}}
{{- $sidecar := eq .Values.mode "sidecar" -}}
metadata:
  labels:
    {{- include "tracee-exporter.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # a changed configuration rolls the pods
    checksum/config: {{ include "tracee-exporter.config" . | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "tracee-exporter.serviceAccountName" . }}
  # the exporter needs no Kubernetes API access
  automountServiceAccountToken: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  {{- if eq $persistence "hostPath" }}
  initContainers:
    # a hostPath directory is created root-owned and fsGroup does not apply to it: hand it to uid
    # 1000 with the exporter image's own node binary (the image has no shell and no chown)
    - name: data-dir-owner
      image: {{ include "tracee-exporter.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      command: ["node", "-e", "require('node:fs').chownSync(process.argv[1], 1000, 1000)", {{ include "tracee-exporter.dataDir" . | quote }}]
      securityContext:
        runAsUser: 0
        runAsNonRoot: false
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: { drop: [ALL], add: [CHOWN] }
        seccompProfile: { type: RuntimeDefault }
      resources:
        requests: { cpu: 10m, memory: 32Mi }
        limits: { cpu: 100m, memory: 64Mi }
      volumeMounts:
        - name: data
          mountPath: {{ include "tracee-exporter.dataDir" . }}
  {{- end }}
  containers:
    - name: tracee-exporter
      image: {{ include "tracee-exporter.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args: ["run", "--config", "/etc/tracee-exporter/config.yaml"]
      env:
        - name: NODE_NAME
          valueFrom:
            fieldRef:
              fieldPath: spec.nodeName
        {{- if .Values.clusterName }}
        - name: CLUSTER_NAME
          value: {{ .Values.clusterName | quote }}
        {{- end }}
        {{- /* no heap flag by default: the image's entry point caps the heap from memory_limit_mib; a heap flag here wins for what it sets */}}
        {{- if .Values.nodeOptions }}
        - name: NODE_OPTIONS
          value: {{ .Values.nodeOptions | quote }}
        {{- end }}
        # the image sets :9464; keep it in step with telemetry.port (it wins over the file)
        - name: TRACEE_EXPORTER_TELEMETRY_LISTEN
          value: {{ printf "0.0.0.0:%d" (int .Values.telemetry.port) | quote }}
        {{- with (include "tracee-exporter.credentialEnv" . | trim) }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        {{- if eq .Values.source.type "webhook" }}
        - name: webhook
          containerPort: {{ .Values.source.webhook.port }}
          protocol: TCP
        {{- end }}
        - name: telemetry
          containerPort: {{ .Values.telemetry.port }}
          protocol: TCP
      # /healthz: 200 while the pipeline runs, whatever the destinations do (a restart cannot fix a
      # remote outage and would lose the in-memory queue). /readyz: 503 while starting, stopping, or
      # when every exporter has been retrying longer than telemetry.notReadyAfterRetryingMs.
      livenessProbe:
        httpGet: { path: /healthz, port: telemetry }
        periodSeconds: 10
        failureThreshold: 3
      readinessProbe:
        httpGet: { path: /readyz, port: telemetry }
        periodSeconds: 10
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- $sc := deepCopy .Values.securityContext }}
        {{- if and $sidecar (eq .Values.source.type "grpc") .Values.source.grpc.runAsRoot }}
        {{- /* Tracee's gRPC socket is root's, mode 0755: connect() needs write permission */}}
        {{- $sc = mergeOverwrite $sc (dict "runAsUser" 0 "runAsNonRoot" false) }}
        {{- end }}
        {{- toYaml $sc | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/tracee-exporter/config.yaml
          subPath: config.yaml
          readOnly: true
        {{- with include "tracee-exporter.secretMounts" . | trim }}{{ . | nindent 8 }}{{ end }}
        - name: data
          mountPath: {{ include "tracee-exporter.dataDir" . }}
        - name: tmp
          mountPath: /tmp
        {{- if $sidecar }}
        # Tracee's /tmp/tracee: its event file (read only) or its gRPC socket
        - name: tracee
          mountPath: /tmp/tracee
          readOnly: {{ eq .Values.source.type "file" }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "tracee-exporter.fullname" . }}
    {{- with include "tracee-exporter.secretVolumeList" . | trim }}{{ . | nindent 4 }}{{ end }}
    - name: data
      {{- if eq $persistence "pvc" }}
      persistentVolumeClaim:
        claimName: {{ .Values.persistence.existingClaim | default (include "tracee-exporter.fullname" .) }}
      {{- else if eq $persistence "hostPath" }}
      hostPath:
        path: {{ .Values.persistence.hostPath }}
        type: DirectoryOrCreate
      {{- else }}
      emptyDir:
        sizeLimit: {{ .Values.persistence.emptyDirSizeLimit }}
      {{- end }}
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- if $sidecar }}
    - name: tracee
      hostPath:
        path: {{ .Values.traceeHostPath }}
        type: DirectoryOrCreate
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- $tolerations := .Values.tolerations }}
  {{- if $sidecar }}{{ $tolerations = concat .Values.sidecarTolerations .Values.tolerations }}{{ end }}
  {{- with $tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
