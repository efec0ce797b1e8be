"""A Django form generated from a model's parameter JSON Schema (the playground), and the
field documentation the models page shows. Supports string/enum/number/integer/boolean,
arrays and objects (as JSON), and file parameters (URL or upload)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django import forms

LONG_TEXT_NAMES = {"prompt", "text", "input", "lyrics", "system", "negative_prompt", "instructions"}
# Shown up front; every other optional parameter sits under "More parameters".
COMMON_NAMES = {"prompt", "text", "messages", "max_tokens", "temperature", "size", "width", "height", "voice",
                "duration", "aspect_ratio", "n", "seed", "negative_prompt", "style", "quality", "language"}
HIDDEN_NAMES = {"model", "stream", "webhook_url", "webhook", "callback_url"}  # set by the platform, not the form
UPLOAD_SUFFIX = "__upload"


def is_file_param(spec: dict[str, Any]) -> bool:
    """The catalog marks file inputs with ``format: binary``/``uri`` + a media type, or ``x-file``."""
    return bool(spec.get("x-file") or spec.get("format") == "binary" or spec.get("contentMediaType")
                or spec.get("x-tollgate-file"))


def _type_of(spec: dict[str, Any]) -> str:
    kind = spec.get("type", "string")
    if isinstance(kind, list):  # e.g. ["string", "null"]
        kind = next((k for k in kind if k != "null"), "string")
    return kind


@dataclass(frozen=True)
class ParameterDoc:
    name: str
    type: str
    required: bool
    description: str
    default: Any
    constraints: str  # "1–4096", "one of: a, b", ...


def parameter_docs(schema: dict[str, Any]) -> list[ParameterDoc]:
    required = set(schema.get("required", []))
    docs = []
    for name, spec in (schema.get("properties") or {}).items():
        kind = "file" if is_file_param(spec) else _type_of(spec)
        if kind == "array":
            kind = f"array of {_type_of(spec.get('items') or {})}"
        docs.append(ParameterDoc(name, kind, name in required, spec.get("description", ""), spec.get("default"), _constraints(spec)))
    return sorted(docs, key=lambda d: (not d.required, d.name))


def _constraints(spec: dict[str, Any]) -> str:
    parts = []
    if "enum" in spec:
        parts.append("one of: " + ", ".join(str(v) for v in spec["enum"]))
    low, high = spec.get("minimum"), spec.get("maximum")
    if low is not None or high is not None:
        parts.append(f"{'' if low is None else low}–{'' if high is None else high}")
    if "maxLength" in spec:
        parts.append(f"up to {spec['maxLength']} characters")
    if "maxItems" in spec:
        parts.append(f"up to {spec['maxItems']} items")
    return "; ".join(parts)


class SchemaForm(forms.Form):
    """Fields in schema order, required first. ``params()`` returns only what the user set,
    so the API applies its own defaults, exactly as a hand-written request would."""

    def __init__(self, *args, schema: dict[str, Any], **kwargs):
        super().__init__(*args, **kwargs)
        self.schema = schema
        self.file_names: list[str] = []
        self.required_file_names: set[str] = set()
        required = set(schema.get("required", []))
        properties = schema.get("properties") or {}
        for name in sorted(properties, key=lambda n: n not in required):
            if name in HIDDEN_NAMES:
                continue
            self._add_field(name, properties[name], name in required)

    def _add_field(self, name: str, spec: dict[str, Any], required: bool) -> None:
        label = spec.get("title") or name
        help_text = spec.get("description", "")
        initial = spec.get("default")
        kind = _type_of(spec)
        common = {"label": label, "help_text": help_text, "required": required, "initial": initial}
        if is_file_param(spec):
            self.file_names.append(name)
            self.fields[name] = forms.URLField(assume_scheme="https", **{**common, "required": False, "label": f"{label} (URL)"})
            self.fields[name + UPLOAD_SUFFIX] = forms.FileField(label=f"…or upload {label}", required=False)
            if required:
                self.required_file_names.add(name)
        elif "enum" in spec:
            choices = [(json.dumps(v), str(v)) for v in spec["enum"]]
            if not required:
                choices.insert(0, ("", "— default —" if initial is None else f"— default ({initial}) —"))
            common["initial"] = json.dumps(initial) if initial is not None and required else ""
            self.fields[name] = forms.ChoiceField(choices=choices, **common)
        elif kind == "boolean":
            choices = [("", "— default —" if initial is None else f"— default ({'yes' if initial else 'no'}) —"), ("true", "Yes"), ("false", "No")]
            self.fields[name] = forms.ChoiceField(choices=choices if not required else choices[1:], **{**common, "initial": ""})
        elif kind == "integer":
            self.fields[name] = forms.IntegerField(min_value=spec.get("minimum"), max_value=spec.get("maximum"), **common)
        elif kind == "number":
            self.fields[name] = forms.FloatField(min_value=spec.get("minimum"), max_value=spec.get("maximum"), **common)
        elif kind == "array" and _type_of(spec.get("items") or {}) == "string" and not is_file_param(spec.get("items") or {}):
            self.fields[name] = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **{**common, "initial": "\n".join(initial or []),
                                               "help_text": (help_text + " One per line.").strip()})
            self.fields[name].json_kind = "lines"
        elif kind in ("array", "object"):
            placeholder = '[{"role": "user", "content": "Hello!"}]' if name == "messages" else "{}" if kind == "object" else "[]"
            text_help = "Plain text becomes one user message, or paste a JSON list of messages." if name == "messages" else "JSON."
            self.fields[name] = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "placeholder": placeholder}),
                                                **{**common, "initial": json.dumps(initial) if initial is not None else "",
                                                   "help_text": f"{help_text} {text_help}".strip()})
            self.fields[name].json_kind = "messages" if name == "messages" else "json"
        else:
            long_text = name in LONG_TEXT_NAMES or (spec.get("maxLength") or 0) > 300
            widget = forms.Textarea(attrs={"rows": 4}) if long_text else forms.TextInput()
            self.fields[name] = forms.CharField(max_length=spec.get("maxLength"), min_length=spec.get("minLength"), widget=widget, **common)

    def clean(self):
        cleaned = super().clean()
        for name in self.file_names:
            if name in self.required_file_names and not cleaned.get(name) and not cleaned.get(name + UPLOAD_SUFFIX):
                self.add_error(name, "Give a URL or upload a file.")
        for name, field in self.fields.items():
            kind = getattr(field, "json_kind", None)
            raw = cleaned.get(name)
            if not kind or not raw:
                continue
            if kind == "lines":
                cleaned[name] = [line.strip() for line in raw.splitlines() if line.strip()]
                continue
            try:
                cleaned[name] = json.loads(raw)
            except json.JSONDecodeError:
                if kind == "messages":
                    cleaned[name] = [{"role": "user", "content": raw}]
                else:
                    self.add_error(name, "Not valid JSON.")
        return cleaned

    def field_groups(self) -> tuple[list, list]:
        """(main, advanced) bound fields: required, files, enums and common names first."""
        properties = self.schema.get("properties") or {}
        required = set(self.schema.get("required", []))
        main, advanced = [], []
        for bound in self:
            name = bound.name.removesuffix(UPLOAD_SUFFIX)
            is_main = name in required or name in COMMON_NAMES or name in self.file_names or bound.errors
            (main if is_main else advanced).append(bound)
        return main, advanced

    def params(self) -> dict[str, Any]:
        """The request body the form describes (without uploads, which go as files)."""
        properties = self.schema.get("properties") or {}
        result: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if name.endswith(UPLOAD_SUFFIX) or value in (None, "", []):
                continue
            spec = properties.get(name, {})
            if "enum" in spec:
                value = json.loads(value)
            elif _type_of(spec) == "boolean":
                value = value == "true"
            elif name in self.file_names and _type_of(spec) == "array":
                value = [value]  # one URL into a list-of-files parameter
            result[name] = value
        return result

    def uploads(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name + UPLOAD_SUFFIX] for name in self.file_names if self.cleaned_data.get(name + UPLOAD_SUFFIX)}
