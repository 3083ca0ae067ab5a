{{/* Names and labels, as `helm create` makes them (Tracee's chart uses the same scheme). */}}
{{- define "tracee-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tracee-exporter.fullname" -}}
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

{{- define "tracee-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tracee-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tracee-exporter.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "tracee-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: {{ .Values.mode }}
{{- end }}

{{- define "tracee-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tracee-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "tracee-exporter.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* pvc | hostPath | emptyDir: the volume behind data_dir */}}
{{- define "tracee-exporter.persistenceType" -}}
{{- if .Values.persistence.type }}{{ .Values.persistence.type }}
{{- else if eq .Values.mode "sidecar" }}hostPath
{{- else }}pvc
{{- end }}
{{- end }}

{{- define "tracee-exporter.dataDir" -}}/var/lib/tracee-exporter{{- end }}
{{- define "tracee-exporter.secretsDir" -}}/etc/tracee-exporter/secrets{{- end }}

{{/* Value combinations the schema cannot express: fail the render with the reason. */}}
{{- define "tracee-exporter.validate" -}}
{{- $src := .Values.source.type -}}
{{- if and (eq .Values.mode "deployment") (ne $src "webhook") -}}
{{- fail (printf "mode deployment reads Tracee's webhook posts: source.type must be webhook (got %s); file and grpc need mode sidecar (Tracee's /tmp/tracee on the node)" $src) -}}
{{- end -}}
{{- if and (eq .Values.mode "sidecar") (eq $src "webhook") -}}
{{- fail "mode sidecar reads Tracee's file or gRPC socket on the node: source.type must be file or grpc; for the webhook use mode deployment" -}}
{{- end -}}
{{- if and (eq .Values.mode "sidecar") (eq (include "tracee-exporter.persistenceType" .) "pvc") -}}
{{- fail "mode sidecar runs one pod per node: persistence.type pvc cannot be shared; use hostPath or emptyDir" -}}
{{- end -}}
{{- $x := .Values.exporters -}}
{{- if not (or $x.elasticsearch.enabled $x.otlp.enabled $x.kafka.enabled $x.opensearch.enabled $x.console.enabled) -}}
{{- fail "enable at least one of exporters.elasticsearch, exporters.otlp, exporters.kafka, exporters.opensearch, exporters.console" -}}
{{- end -}}
{{- if and (eq .Values.mode "deployment") (gt (int .Values.replicaCount) 1) (eq (include "tracee-exporter.persistenceType" .) "pvc") (not (has "ReadWriteMany" .Values.persistence.accessModes)) -}}
{{- fail "replicaCount > 1 with one ReadWriteOnce PVC: the replicas would share one disk buffer; use persistence.type emptyDir or replicaCount 1" -}}
{{- end -}}
{{- end }}

{{/*
The Secrets mounted into the exporter: a list of {volume, secret, dir, keys}, each Secret volume
mounted as a directory (no subPath: a rotated Secret reaches the pod) with only the keys used; the
config reads <dir>/<key> with ${file:…}, so no secret value is in the environment or the ConfigMap.
*/}}
{{- define "tracee-exporter.secretVolumes" -}}
{{- $dir := include "tracee-exporter.secretsDir" . -}}
{{- $vols := list -}}
{{- $a := .Values.source.webhook.auth -}}
{{- if and (eq .Values.source.type "webhook") $a.existingSecret -}}
{{- $vols = append $vols (dict "volume" "secret-webhook" "secret" $a.existingSecret "dir" (printf "%s/webhook" $dir) "keys" (list $a.usernameKey $a.passwordKey)) -}}
{{- end -}}
{{- $es := .Values.exporters.elasticsearch -}}
{{- if and $es.enabled $es.apiKey.existingSecret -}}
{{- $vols = append $vols (dict "volume" "secret-es-api-key" "secret" $es.apiKey.existingSecret "dir" (printf "%s/elasticsearch" $dir) "keys" (list $es.apiKey.key)) -}}
{{- end -}}
{{- if and $es.enabled $es.ca.existingSecret -}}
{{- $vols = append $vols (dict "volume" "secret-es-ca" "secret" $es.ca.existingSecret "dir" (printf "%s/elasticsearch-ca" $dir) "keys" (list $es.ca.key)) -}}
{{- end -}}
{{- $o := .Values.exporters.otlp -}}
{{- if and $o.enabled $o.headers.existingSecret -}}
{{- $vols = append $vols (dict "volume" "secret-otlp-headers" "secret" $o.headers.existingSecret "dir" (printf "%s/otlp" $dir) "keys" (list $o.headers.key)) -}}
{{- end -}}
{{- $k := .Values.exporters.kafka -}}
{{- if and $k.enabled $k.tls.enabled $k.tls.ca.existingSecret -}}
{{- $vols = append $vols (dict "volume" "secret-kafka-ca" "secret" $k.tls.ca.existingSecret "dir" (printf "%s/kafka-ca" $dir) "keys" (list $k.tls.ca.key)) -}}
{{- end -}}
{{- if and $k.enabled $k.sasl.mechanism $k.sasl.existingSecret -}}
{{- $vols = append $vols (dict "volume" "secret-kafka-sasl" "secret" $k.sasl.existingSecret "dir" (printf "%s/kafka-sasl" $dir) "keys" (list $k.sasl.usernameKey $k.sasl.passwordKey)) -}}
{{- end -}}
{{- $os := .Values.exporters.opensearch -}}
{{- if and $os.enabled $os.auth.existingSecret -}}
{{- $vols = append $vols (dict "volume" "secret-opensearch-auth" "secret" $os.auth.existingSecret "dir" (printf "%s/opensearch" $dir) "keys" (list $os.auth.usernameKey $os.auth.passwordKey)) -}}
{{- end -}}
{{- if and $os.enabled $os.ca.existingSecret -}}
{{- $vols = append $vols (dict "volume" "secret-opensearch-ca" "secret" $os.ca.existingSecret "dir" (printf "%s/opensearch-ca" $dir) "keys" (list $os.ca.key)) -}}
{{- end -}}
{{- $sig := $os.auth.awsSigv4 -}}
{{- if and $os.enabled $sig.enabled $sig.credentialsFile.existingSecret -}}
{{- $vols = append $vols (dict "volume" "secret-opensearch-aws" "secret" $sig.credentialsFile.existingSecret "dir" (printf "%s/opensearch-aws" $dir) "keys" (list $sig.credentialsFile.key)) -}}
{{- end -}}
{{- toYaml (dict "volumes" $vols) -}}
{{- end }}

{{- define "tracee-exporter.secretMounts" -}}
{{- range (include "tracee-exporter.secretVolumes" . | fromYaml).volumes }}
- name: {{ .volume }}
  mountPath: {{ .dir }}
  readOnly: true
{{- end }}
{{- end }}

{{- define "tracee-exporter.secretVolumeList" -}}
{{- range (include "tracee-exporter.secretVolumes" . | fromYaml).volumes }}
- name: {{ .volume }}
  secret:
    secretName: {{ .secret }}
    defaultMode: 288    # 0440: owner and group (fsGroup 1000) read
    items:
      {{- range .keys }}
      - { key: {{ . | quote }}, path: {{ . | quote }} }
      {{- end }}
{{- end }}
{{- end }}

{{/* The exporter configuration (docs/configuration.md), built as data and printed as YAML. */}}
{{- define "tracee-exporter.config" -}}
{{- $v := .Values -}}
{{- $dir := include "tracee-exporter.secretsDir" . -}}
{{- $data := include "tracee-exporter.dataDir" . -}}
{{- $node := dict "name" "${env:NODE_NAME}" -}}
{{- if $v.clusterName }}{{ $_ := set $node "cluster_name" "${env:CLUSTER_NAME}" }}{{ end -}}
{{- $source := dict "type" $v.source.type -}}
{{- if eq $v.source.type "webhook" -}}
{{- $w := $v.source.webhook -}}
{{- $_ := set $source "listen" (printf "0.0.0.0:%d" (int $w.port)) -}}
{{- if $w.path }}{{ $_ := set $source "path" $w.path }}{{ end -}}
{{- $_ := set $source "max_queue_wait_ms" (int $w.maxQueueWaitMs) -}}
{{- $_ := set $source "max_body_bytes" (int $w.maxBodyBytes) -}}
{{- if $w.auth.existingSecret -}}
{{- $_ := set $source "auth" (dict "username" (printf "${file:%s/webhook/%s}" $dir $w.auth.usernameKey) "password" (printf "${file:%s/webhook/%s}" $dir $w.auth.passwordKey)) -}}
{{- end -}}
{{- else if eq $v.source.type "file" -}}
{{- $_ := set $source "paths" $v.source.file.paths -}}
{{- $_ := set $source "follow" true -}}
{{- $_ := set $source "start_at" $v.source.file.startAt -}}
{{- else if eq $v.source.type "grpc" -}}
{{- $_ := set $source "address" $v.source.grpc.address -}}
{{- if $v.source.grpc.policies }}{{ $_ := set $source "policies" $v.source.grpc.policies }}{{ end -}}
{{- end -}}
{{- $exporters := list -}}
{{- $es := $v.exporters.elasticsearch -}}
{{- if $es.enabled -}}
{{- $e := dict "type" "elasticsearch" "name" "elasticsearch" "endpoints" $es.url "data_stream" (dict "namespace" $es.dataStreamNamespace) -}}
{{- if $es.apiKey.existingSecret }}{{ $_ := set $e "auth" (dict "api_key" (printf "${file:%s/elasticsearch/%s}" $dir $es.apiKey.key)) }}{{ end -}}
{{- if $es.ca.existingSecret }}{{ $_ := set $e "tls" (dict "ca_file" (printf "%s/elasticsearch-ca/%s" $dir $es.ca.key)) }}{{ end -}}
{{- if $es.delivery }}{{ $_ := set $e "delivery" $es.delivery }}{{ end -}}
{{- $exporters = append $exporters $e -}}
{{- end -}}
{{- $o := $v.exporters.otlp -}}
{{- if $o.enabled -}}
{{- $e := dict "type" "otlp_http" "name" "otlp" "endpoint" $o.endpoint -}}
{{- if $o.headers.existingSecret }}{{ $_ := set $e "headers" (dict $o.headers.headerName (printf "${file:%s/otlp/%s}" $dir $o.headers.key)) }}{{ end -}}
{{- $exporters = append $exporters $e -}}
{{- end -}}
{{- $k := $v.exporters.kafka -}}
{{- if $k.enabled -}}
{{- $e := dict "type" "kafka" "name" "kafka" "brokers" $k.brokers "encoding" $k.encoding "topics" $k.topics "compression" $k.compression -}}
{{- if $k.tls.enabled -}}
{{- if $k.tls.ca.existingSecret }}{{ $_ := set $e "tls" (dict "ca_file" (printf "%s/kafka-ca/%s" $dir $k.tls.ca.key)) }}{{ else }}{{ $_ := set $e "tls" true }}{{ end -}}
{{- end -}}
{{- if $k.sasl.mechanism -}}
{{- if not $k.sasl.existingSecret }}{{ fail "exporters.kafka.sasl.mechanism needs exporters.kafka.sasl.existingSecret (the Secret with the username and password)" }}{{ end -}}
{{- if not $k.tls.enabled }}{{ fail "exporters.kafka.sasl needs exporters.kafka.tls.enabled: SASL PLAIN would send the password in clear, SCRAM the session in clear" }}{{ end -}}
{{- $_ := set $e "sasl" (dict "mechanism" $k.sasl.mechanism "username" (printf "${file:%s/kafka-sasl/%s}" $dir $k.sasl.usernameKey) "password" (printf "${file:%s/kafka-sasl/%s}" $dir $k.sasl.passwordKey)) -}}
{{- end -}}
{{- if $k.delivery }}{{ $_ := set $e "delivery" $k.delivery }}{{ end -}}
{{- $exporters = append $exporters $e -}}
{{- end -}}
{{- $os := $v.exporters.opensearch -}}
{{- if $os.enabled -}}
{{- $e := dict "type" "opensearch" "name" "opensearch" "endpoints" $os.url "data_stream" (dict "namespace" $os.dataStreamNamespace) -}}
{{- $sig := $os.auth.awsSigv4 -}}
{{- if $sig.enabled -}}
{{- if $os.auth.existingSecret }}{{ fail "exporters.opensearch.auth.awsSigv4 goes alone: unset exporters.opensearch.auth.existingSecret (basic auth)" }}{{ end -}}
{{- if not (hasPrefix "https://" $os.url) }}{{ fail "exporters.opensearch.auth.awsSigv4 needs an https exporters.opensearch.url" }}{{ end -}}
{{- if not $sig.region }}{{ fail "exporters.opensearch.auth.awsSigv4.region is required (e.g. eu-west-1)" }}{{ end -}}
{{- if eq (len (compact (list $sig.credentialsFile.existingSecret $sig.credentialsEnv.existingSecret))) 0 }}{{ fail "exporters.opensearch.auth.awsSigv4 needs its keys: credentialsFile.existingSecret (an AWS credentials file) or credentialsEnv.existingSecret (the keys as environment variables)" }}{{ end -}}
{{- if and $sig.credentialsFile.existingSecret $sig.credentialsEnv.existingSecret }}{{ fail "exporters.opensearch.auth.awsSigv4: give credentialsFile or credentialsEnv, not both (the environment would win)" }}{{ end -}}
{{- $s := dict "region" $sig.region "service" ($sig.service | default "es") -}}
{{- if $sig.profile }}{{ $_ := set $s "profile" $sig.profile }}{{ end -}}
{{- $_ := set $e "auth" (dict "aws_sigv4" $s) -}}
{{- else if $os.auth.existingSecret }}{{ $_ := set $e "auth" (dict "username" (printf "${file:%s/opensearch/%s}" $dir $os.auth.usernameKey) "password" (printf "${file:%s/opensearch/%s}" $dir $os.auth.passwordKey)) }}{{ end -}}
{{- if $os.ca.existingSecret }}{{ $_ := set $e "tls" (dict "ca_file" (printf "%s/opensearch-ca/%s" $dir $os.ca.key)) }}{{ end -}}
{{- if $os.delivery }}{{ $_ := set $e "delivery" $os.delivery }}{{ end -}}
{{- $exporters = append $exporters $e -}}
{{- end -}}
{{- if $v.exporters.console.enabled -}}
{{- $exporters = append $exporters (dict "type" "console" "name" "console" "format" "ecs") -}}
{{- end -}}
{{- $config := dict
  "version" 1
  "node" $node
  "sources" (list $source)
  "telemetry" (dict "listen" (printf "0.0.0.0:%d" (int $v.telemetry.port)) "not_ready_after_retrying_ms" (int $v.telemetry.notReadyAfterRetryingMs))
  "data_dir" $data
  "dead_letter" (dict "path" (printf "%s/dead-letter.ndjson" $data))
  "delivery" $v.delivery
  "exporters" $exporters
-}}
{{- /* a top-level line: the image's entry point caps V8's heap from it (bin/tracee-exporter.js); unset (--reuse-values of an older release): the exporter's default */ -}}
{{- if not (kindIs "invalid" $v.memoryLimitMib) }}{{ $_ := set $config "memory_limit_mib" (int $v.memoryLimitMib) }}{{ end -}}
{{- toYaml (mergeOverwrite $config (deepCopy $v.configOverride)) -}}
{{- end }}

{{/* The destination URLs of the enabled exporters (NetworkPolicy egress ports). */}}
{{- define "tracee-exporter.destinationPorts" -}}
{{- $ports := list -}}
{{- $urls := list -}}
{{- if .Values.exporters.elasticsearch.enabled }}{{ $urls = append $urls .Values.exporters.elasticsearch.url }}{{ end -}}
{{- if .Values.exporters.otlp.enabled }}{{ $urls = append $urls .Values.exporters.otlp.endpoint }}{{ end -}}
{{- if .Values.exporters.opensearch.enabled }}{{ $urls = append $urls .Values.exporters.opensearch.url }}{{ end -}}
{{- if .Values.exporters.kafka.enabled }}{{ range .Values.exporters.kafka.brokers }}{{ $ports = append $ports (int (last (splitList ":" .))) }}{{ end }}{{ end -}}
{{- range $urls -}}
{{- $u := urlParse . -}}
{{- $hostPort := splitList ":" $u.host -}}
{{- if gt (len $hostPort) 1 -}}
{{- $ports = append $ports (int (last $hostPort)) -}}
{{- else if eq $u.scheme "https" -}}
{{- $ports = append $ports 443 -}}
{{- else -}}
{{- $ports = append $ports 80 -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "ports" ($ports | uniq)) -}}
{{- end }}


{{/*
The environment the exporter's credentials need beyond the mounted files: OpenSearch SigV4 reads its
keys from AWS_SHARED_CREDENTIALS_FILE (a mounted Secret) or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
(/ AWS_SESSION_TOKEN) (src/exporters/opensearch/aws-credentials.ts).
*/}}
{{- define "tracee-exporter.credentialEnv" -}}
{{- $os := .Values.exporters.opensearch -}}
{{- $sig := $os.auth.awsSigv4 -}}
{{- if and $os.enabled $sig.enabled -}}
{{- if $sig.credentialsFile.existingSecret }}
- name: AWS_SHARED_CREDENTIALS_FILE
  value: {{ printf "%s/opensearch-aws/%s" (include "tracee-exporter.secretsDir" .) $sig.credentialsFile.key | quote }}
{{- end }}
{{- with $sig.credentialsEnv }}
{{- if .existingSecret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom: { secretKeyRef: { name: {{ .existingSecret | quote }}, key: {{ .accessKeyIdKey | quote }} } }
- name: AWS_SECRET_ACCESS_KEY
  valueFrom: { secretKeyRef: { name: {{ .existingSecret | quote }}, key: {{ .secretAccessKeyKey | quote }} } }
{{- if .sessionTokenKey }}
- name: AWS_SESSION_TOKEN
  valueFrom: { secretKeyRef: { name: {{ .existingSecret | quote }}, key: {{ .sessionTokenKey | quote }} } }
{{- end }}
{{- end }}
{{- end }}
{{- end -}}
{{- end }}
