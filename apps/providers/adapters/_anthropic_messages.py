"""OpenAI chat parameters → an Anthropic Messages request body.

Callers speak OpenAI's chat names (seed 000); Anthropic wants ``system`` at the top level,
content blocks instead of image_url parts, tool_use / tool_result blocks instead of
tool_calls / tool messages, and strictly alternating user/assistant turns."""
from __future__ import annotations

import json
from typing import Any

from apps.providers.adapters._token_count import message_text

# Anthropic requires max_tokens; this applies when the caller set none (route option
# ``default_max_tokens`` overrides it per model).
DEFAULT_MAX_TOKENS = 4096
NATIVE_PARAMS = ("temperature", "top_p", "top_k", "thinking", "metadata", "service_tier")
SYSTEM_ROLES = frozenset({"system", "developer"})


def messages_body(params: dict[str, Any], *, model: str, default_max_tokens: int = DEFAULT_MAX_TOKENS) -> dict[str, Any]:
    system_parts = [params["system"]] if isinstance(params.get("system"), str) else []
    turns: list[dict[str, Any]] = []
    for message in params.get("messages") or []:
        if message.get("role") in SYSTEM_ROLES:
            system_parts.append(message_text(message.get("content")))
            continue
        role, blocks = _convert(message)
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    max_tokens = params.get("max_tokens") or params.get("max_completion_tokens") or default_max_tokens
    body: dict[str, Any] = {"model": model, "max_tokens": int(max_tokens), "messages": turns}
    if system_parts:
        body["system"] = "\n\n".join(part for part in system_parts if part)
    body.update({name: params[name] for name in NATIVE_PARAMS if params.get(name) is not None})
    stop = params.get("stop_sequences", params.get("stop"))
    if stop:
        body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if params.get("user") and "metadata" not in body:
        body["metadata"] = {"user_id": str(params["user"])}
    if params.get("tools"):
        body["tools"] = [_tool(tool) for tool in params["tools"]]
    tool_choice = _tool_choice(params.get("tool_choice"))
    if tool_choice is not None:
        body["tool_choice"] = tool_choice
    return body


def _convert(message: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    role = message.get("role")
    if role in ("tool", "function"):
        # Tool results go back to the model as a user turn.
        return "user", [{
            "type": "tool_result",
            "tool_use_id": message.get("tool_call_id") or message.get("name") or "",
            "content": message_text(message.get("content")),
        }]
    blocks = _content_blocks(message.get("content"))
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        blocks.append({
            "type": "tool_use",
            "id": call.get("id"),
            "name": function.get("name"),
            "input": _json_object(function.get("arguments")),
        })
    return ("assistant" if role == "assistant" else "user"), blocks


def _content_blocks(content: Any) -> list[dict[str, Any]]:
    if content is None or content == "":
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    blocks: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type")
        if kind == "text":
            blocks.append({"type": "text", "text": part.get("text", "")})
        elif kind == "image_url":
            url = (part.get("image_url") or {}).get("url", "") if isinstance(part.get("image_url"), dict) else part.get("image_url", "")
            blocks.append(_image_block(url))
        else:
            blocks.append(part)  # already an Anthropic block (image, document, tool_result...)
    return blocks


def _image_block(url: str) -> dict[str, Any]:
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        media_type = header[len("data:"):].split(";")[0] or "image/png"
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": url}}


def _json_object(arguments: Any) -> Any:
    if isinstance(arguments, dict):
        return arguments
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _tool(tool: dict[str, Any]) -> dict[str, Any]:
    if tool.get("type") != "function":
        return tool  # a native Anthropic tool definition
    function = tool.get("function") or {}
    converted = {"name": function.get("name"), "input_schema": function.get("parameters") or {"type": "object"}}
    if function.get("description"):
        converted["description"] = function["description"]
    return converted


def _tool_choice(choice: Any) -> dict[str, Any] | None:
    if choice is None:
        return None
    if isinstance(choice, dict):
        if choice.get("type") == "function":
            return {"type": "tool", "name": (choice.get("function") or {}).get("name")}
        return choice
    return {"auto": {"type": "auto"}, "required": {"type": "any"}, "none": {"type": "none"}}.get(choice, {"type": "auto"})
