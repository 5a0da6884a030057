{{/* Names, labels and shared fragments of the Skiff chart. */}}

{{/* skiff.prefix is the release name, cut so every derived name stays a DNS label. */}}
{{- define "skiff.prefix" -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "skiff.operatorName" -}}{{ include "skiff.prefix" . }}-operator{{- end -}}
{{- define "skiff.natsName" -}}{{ include "skiff.prefix" . }}-nats{{- end -}}
{{- define "skiff.hostServiceAccount" -}}
{{- .Values.hosts.serviceAccountName | default (printf "%s-host" (include "skiff.prefix" .)) -}}
{{- end -}}

{{/* skiff.labels are the common labels of every object; pass (dict "ctx" $ "component" "operator"). */}}
{{- define "skiff.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: skiff
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: skiff
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* skiff.selector selects the pods of one component of this release. */}}
{{- define "skiff.selector" -}}
app.kubernetes.io/name: skiff
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* skiff.image is the Skiff image reference. */}}
{{- define "skiff.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* skiff.natsUrl is where the operator and the hosts find NATS. */}}
{{- define "skiff.natsUrl" -}}
{{- if .Values.nats.bundled.enabled -}}
{{- printf "nats://%s.%s.svc:4222" (include "skiff.natsName" .) .Release.Namespace -}}
{{- else -}}
{{- required "nats.url: set the URL of your NATS server, or nats.bundled.enabled: true" .Values.nats.url -}}
{{- end -}}
{{- end -}}

{{/* skiff.validate fails the render on combinations of values the schema cannot express. */}}
{{- define "skiff.validate" -}}
{{- $auth := .Values.nats.auth -}}
{{- if and (ne $auth.type "none") (not $auth.secretName) -}}
{{- fail (printf "nats.auth.secretName: required when nats.auth.type is %s" $auth.type) -}}
{{- end -}}
{{- if and .Values.nats.bundled.enabled (has $auth.type (list "creds" "nkey")) -}}
{{- fail (printf "nats.auth.type: the bundled NATS supports none, userPassword and token, not %s (use an external NATS)" $auth.type) -}}
{{- end -}}
{{- if and .Values.nats.tls.clientCertificate (not .Values.nats.tls.secretName) -}}
{{- fail "nats.tls.secretName: required when nats.tls.clientCertificate is true" -}}
{{- end -}}
{{- if and .Values.nats.bundled.enabled .Values.nats.url -}}
{{- fail "nats.url: set it only with nats.bundled.enabled: false" -}}
{{- end -}}
{{- if and .Values.nats.bundled.enabled .Values.nats.tls.secretName -}}
{{- fail "nats.tls.secretName: the bundled NATS serves no TLS; use it with an external NATS" -}}
{{- end -}}
{{- if and .Values.nats.accounts.enabled (not .Values.nats.accounts.operatorSeedSecret) -}}
{{- fail "nats.accounts.operatorSeedSecret: required when nats.accounts.enabled is true" -}}
{{- end -}}
{{- if and .Values.nats.accounts.enabled (ne $auth.type "none") -}}
{{- fail "nats.auth.type: must be none with nats.accounts.enabled (the operator key replaces it)" -}}
{{- end -}}
{{- end -}}

{{/* skiff.natsOperatorSeedDir is where the operator key is mounted (account mode). */}}
{{- define "skiff.natsOperatorSeedDir" -}}/etc/skiff/nats-operator{{- end -}}

{{/* skiff.natsEnv are the SKIFF_NATS_* variables of a Skiff container. */}}
{{- define "skiff.natsEnv" -}}
- name: SKIFF_NATS_URL
  value: {{ include "skiff.natsUrl" . | quote }}
{{- $auth := .Values.nats.auth }}
{{- if eq $auth.type "userPassword" }}
- name: SKIFF_NATS_USER
  valueFrom:
    secretKeyRef:
      name: {{ $auth.secretName }}
      key: user
- name: SKIFF_NATS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $auth.secretName }}
      key: password
{{- else if eq $auth.type "token" }}
- name: SKIFF_NATS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ $auth.secretName }}
      key: token
{{- else if eq $auth.type "creds" }}
- name: SKIFF_NATS_CREDS
  value: /etc/skiff/nats-auth/creds
{{- else if eq $auth.type "nkey" }}
- name: SKIFF_NATS_NKEY_SEED
  value: /etc/skiff/nats-auth/seed
{{- end }}
{{- if .Values.nats.tls.secretName }}
- name: SKIFF_NATS_TLS_CA
  value: /etc/skiff/nats-tls/ca.crt
{{- if .Values.nats.tls.clientCertificate }}
- name: SKIFF_NATS_TLS_CERT
  value: /etc/skiff/nats-tls/tls.crt
- name: SKIFF_NATS_TLS_KEY
  value: /etc/skiff/nats-tls/tls.key
{{- end }}
{{- end }}
{{- end -}}

{{/* skiff.natsVolumeMounts and skiff.natsVolumes carry NATS credential files, if any. */}}
{{- define "skiff.natsVolumeMounts" -}}
{{- if has .Values.nats.auth.type (list "creds" "nkey") }}
- name: nats-auth
  mountPath: /etc/skiff/nats-auth
  readOnly: true
{{- end }}
{{- if .Values.nats.tls.secretName }}
- name: nats-tls
  mountPath: /etc/skiff/nats-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "skiff.natsVolumes" -}}
{{- if has .Values.nats.auth.type (list "creds" "nkey") }}
- name: nats-auth
  secret:
    secretName: {{ .Values.nats.auth.secretName }}
    defaultMode: 0440
{{- end }}
{{- if .Values.nats.tls.secretName }}
- name: nats-tls
  secret:
    secretName: {{ .Values.nats.tls.secretName }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{/* skiff.podSecurityContext is the restricted Pod Security Standard, as a pod sees it. */}}
{{- define "skiff.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsUser }}
fsGroup: {{ .Values.runAsUser }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* skiff.containerSecurityContext is the restricted Pod Security Standard for one container. */}}
{{- define "skiff.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end -}}
