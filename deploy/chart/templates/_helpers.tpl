{{/* The agent's arguments: the defaults of deploy/deployment.yaml plus what values ask for. */}}
{{- define "sealops.args" -}}
{{- $args := list "agent" "--listen" "8080" -}}
{{- with .Values.watchLabelSelector }}{{ $args = concat $args (list "--watch-label-selector" .) }}{{ end -}}
{{- with .Values.defaultServiceAccount }}{{ $args = concat $args (list "--default-service-account" .) }}{{ end -}}
{{- $args = concat $args .Values.extraArgs -}}
{{- toJson $args -}}
{{- end -}}
