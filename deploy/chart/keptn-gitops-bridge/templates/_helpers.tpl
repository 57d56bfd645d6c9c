{{/* Chart name, overridable. */}}
{{- define "kgb.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: the release name, plus the chart name unless the release name already contains it. */}}
{{- define "kgb.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Selector labels: stable for the life of the release. */}}
{{- define "kgb.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kgb.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Common labels. */}}
{{- define "kgb.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kgb.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: keptn-integration
app.kubernetes.io/part-of: keptn
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "kgb.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kgb.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kgb.secretName" -}}
{{- default (include "kgb.fullname" .) .Values.secret.name -}}
{{- end -}}

{{/* True (non-empty) when the ConfigMap with mapping rules and/or Git targets is needed. */}}
{{- define "kgb.hasConfig" -}}
{{- if or .Values.mapping.rules .Values.git.targets -}}true{{- end -}}
{{- end -}}

{{/* The Flux kinds whose labels the bridge reads: `get` only. */}}
{{- define "kgb.rbacRules" -}}
{{- $observe := ne (toString .Values.config.observeInterval) "0" }}
- apiGroups:
    - helm.toolkit.fluxcd.io
  resources:
    - helmreleases
  verbs:
    - get
    {{- if $observe }}
    - list
    {{- end }}
- apiGroups:
    - kustomize.toolkit.fluxcd.io
  resources:
    - kustomizations
  verbs:
    - get
    {{- if $observe }}
    - list
    {{- end }}
- apiGroups:
    - source.toolkit.fluxcd.io
  resources:
    - gitrepositories
    - ocirepositories
    - helmcharts
    - helmrepositories
    - buckets
  verbs:
    - get
{{- if $observe }}
- apiGroups:
    - argoproj.io
  resources:
    - applications
  verbs:
    - list
{{- end }}
{{- end -}}

{{/* image.repository as values.yaml ships it: no image is published there, so NOTES.txt warns while it is unchanged. */}}
{{- define "kgb.defaultImageRepository" -}}
ghcr.io/keptn-sandbox/keptn-gitops-bridge
{{- end -}}
