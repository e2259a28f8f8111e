{{/* Names, labels and the settings every service gets. */}}

{{- define "crossdock.fullname" -}}
{{- if contains "crossdock" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-crossdock" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* A service's resource name: <fullname>-<service>. Call with (list $ "orders"). */}}
{{- define "crossdock.name" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "crossdock.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "crossdock.labels" -}}
{{- $root := index . 0 -}}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: crossdock
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
{{ include "crossdock.selectorLabels" . }}
{{- end -}}

{{- define "crossdock.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ index . 1 }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
{{- end -}}

{{/* The defaults merged with a service's own block. Call with (list $ "orders"). */}}
{{- define "crossdock.service" -}}
{{- $root := index . 0 -}}
{{- $block := index $root.Values.services (index . 1) -}}
{{- toYaml (mergeOverwrite (deepCopy $root.Values.defaults) (deepCopy $block)) -}}
{{- end -}}

{{- define "crossdock.image" -}}
{{- $root := index . 0 -}}
{{- printf "%s/%s:%s" $root.Values.image.registry (index . 1) (default $root.Chart.AppVersion $root.Values.image.tag) -}}
{{- end -}}

{{/* The environment variable of a setting: <SERVICE>__<SECTION>__<KEY>. */}}
{{- define "crossdock.envName" -}}
{{- printf "%s__%s__%s" (index . 0) (index . 1) (index . 2) | upper | replace "." "_" -}}
{{- end -}}

{{/* Non-secret settings of a service, as env var -> value (the ConfigMap). */}}
{{- define "crossdock.config" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $svc := include "crossdock.service" . | fromYaml -}}
{{- $p := upper $name -}}
{{- $v := $root.Values -}}
{{- $out := dict -}}
{{- $_ := set $out "CROSSDOCK_ENV" $v.environment -}}
{{- $_ := set $out (printf "%s__HTTP__HOST" $p) "0.0.0.0" -}}
{{- $_ := set $out (printf "%s__HTTP__PORT" $p) "8080" -}}
{{- $_ := set $out (printf "%s__DATABASE__RUN_MIGRATIONS" $p) (ternary "false" "true" $v.migrations.enabled) -}}
{{- $_ := set $out (printf "%s__KAFKA__BROKERS" $p) $v.kafka.brokers -}}
{{- $_ := set $out (printf "%s__KAFKA__TOPIC_PREFIX" $p) $v.kafka.topicPrefix -}}
{{- $_ := set $out (printf "%s__KAFKA__CREATE_TOPICS" $p) (ternary "true" "false" (eq $v.kafka.topics.management "services")) -}}
{{- $_ := set $out (printf "%s__KAFKA__TOPIC_PARTITIONS" $p) (toString $v.kafka.topics.partitions) -}}
{{- $_ := set $out (printf "%s__KAFKA__TOPIC_REPLICATION" $p) (toString $v.kafka.topics.replicationFactor) -}}
{{- range $key, $value := $v.kafka.properties -}}
{{- $_ := set $out (printf "%s__KAFKA__PROPERTIES__%s" $p (replace "." "_" $key | upper)) (toString $value) -}}
{{- end -}}
{{- $_ := set $out (printf "%s__AUTH__ISSUER" $p) $v.auth.issuer -}}
{{- $_ := set $out (printf "%s__AUTH__AUDIENCE" $p) $v.auth.audience -}}
{{- $_ := set $out (printf "%s__TELEMETRY__LOG_FORMAT" $p) $v.telemetry.logFormat -}}
{{- $_ := set $out (printf "%s__TELEMETRY__LOG_LEVEL" $p) $v.telemetry.logLevel -}}
{{- if $v.telemetry.otlp.endpoint -}}
{{- $_ := set $out (printf "%s__TELEMETRY__OTLP_ENDPOINT" $p) $v.telemetry.otlp.endpoint -}}
{{- $_ := set $out (printf "%s__TELEMETRY__OTLP_PROTOCOL" $p) $v.telemetry.otlp.protocol -}}
{{- end -}}
{{- range $section, $keys := $svc.config -}}
{{- range $key, $value := $keys -}}
{{- $_ := set $out (include "crossdock.envName" (list $p $section $key)) (toString $value) -}}
{{- end -}}
{{- end -}}
{{- range $key, $value := $svc.env -}}
{{- $_ := set $out $key (toString $value) -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* Secret settings of a service: env entries read from Secrets. */}}
{{- define "crossdock.secretEnv" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $svc := include "crossdock.service" . | fromYaml -}}
{{- $p := upper $name -}}
{{- $v := $root.Values -}}
- name: {{ $p }}__DATABASE__URL
  valueFrom:
    secretKeyRef:
      name: {{ if $svc.database.url }}{{ include "crossdock.name" (list $root (printf "%s-db" $name)) }}{{ else }}{{ $svc.database.existingSecret }}{{ end }}
      key: {{ if $svc.database.url }}url{{ else }}{{ $svc.database.key }}{{ end }}
{{- $authSecret := default (include "crossdock.name" (list $root "auth")) $v.auth.existingSecret }}
{{- if or $v.auth.hs256Secret (and $v.auth.existingSecret $v.auth.secretKeys.hs256Secret) }}
- name: {{ $p }}__AUTH__HS256_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $authSecret }}
      key: {{ if $v.auth.existingSecret }}{{ $v.auth.secretKeys.hs256Secret }}{{ else }}hs256-secret{{ end }}
{{- end }}
{{- if and $v.auth.existingSecret $v.auth.secretKeys.rs256PublicKeyPem }}
- name: {{ $p }}__AUTH__RS256_PUBLIC_KEY_PEM
  valueFrom:
    secretKeyRef:
      name: {{ $authSecret }}
      key: {{ $v.auth.secretKeys.rs256PublicKeyPem }}
{{- end }}
{{- if and $v.auth.existingSecret $v.auth.secretKeys.jwksJson }}
- name: {{ $p }}__AUTH__JWKS_JSON
  valueFrom:
    secretKeyRef:
      name: {{ $authSecret }}
      key: {{ $v.auth.secretKeys.jwksJson }}
{{- end }}
{{- range $key, $ref := $v.kafka.secretProperties }}
- name: {{ $p }}__KAFKA__PROPERTIES__{{ replace "." "_" $key | upper }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.secret }}
      key: {{ $ref.key }}
{{- end }}
{{- end -}}

{{/* Stops a render that would give the services no way to verify tokens. */}}
{{- define "crossdock.validate" -}}
{{- $a := .Values.auth -}}
{{- if and (not $a.existingSecret) (not $a.hs256Secret) -}}
{{- fail "auth: set auth.existingSecret (a Secret with the token keys) or, for development, auth.hs256Secret" -}}
{{- end -}}
{{- if and $a.existingSecret (not (or $a.secretKeys.hs256Secret $a.secretKeys.rs256PublicKeyPem $a.secretKeys.jwksJson)) -}}
{{- fail "auth.secretKeys: name at least one key of auth.existingSecret (hs256Secret, rs256PublicKeyPem or jwksJson)" -}}
{{- end -}}
{{- end -}}

{{/* Pod and container security settings shared by every workload. */}}
{{- define "crossdock.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "crossdock.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}
