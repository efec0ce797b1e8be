"""The native Tasks API (seed 002): POST/GET /v1/tasks, GET /v1/tasks/{id}, POST /v1/tasks/{id}/cancel,
and GET /v1/files/{token} (signed output links).

Request shape: ``{"model": "provider/model", "input": {...}, "webhook_url": ..., "dry_run": false}``.
Parameters may also sit at the top level or under ``params`` (merged: top level < params < input)."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, QueryDict
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import NOT_FOUND, ApplicationError, error_response
from apps.core.text import NUL_CHARACTER, holds_nul
from apps.core.money import MICROS_PER_USD, micros_to_usd
from apps.tasks.outputs import OutputLinkExpired, output_from_token
from apps.tasks.presenters import task_to_dict
from apps.tasks.selectors import task_get, task_list
from apps.tasks.services import task_cancel, task_submit
from apps.tasks.surfaces.inputs import BODY_NOT_OBJECT, form_value

RESERVED_FIELDS = {"model", "input", "params", "webhook_url", "dry_run", "stream"}
LINK_INVALID = "This file link is invalid."
LINK_EXPIRED = "This file link has expired. Fetch the task again for a fresh link."


def _base(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _simulated_header(response: Response, simulated: bool) -> Response:
    if simulated:
        response["X-Tollgate-Simulated"] = "true"
    return response


def _unit_price_usd(unit_price_micros: str) -> str:
    """Unit prices may be fractional micro-USD: exact Decimal, no float."""
    return format(Decimal(unit_price_micros) / MICROS_PER_USD, "f")


def quote_to_dict(quote) -> dict:
    return {
        "object": "quote", "model": quote.model_id, "amount": micros_to_usd(quote.amount_micros),
        "currency": quote.currency, "price_version": quote.price_version_id,
        "breakdown": [{"item": line.item, "quantity": line.quantity, "unit": line.unit,
                       "unit_price": _unit_price_usd(line.unit_price_micros), "per": line.per,
                       "amount": micros_to_usd(line.amount_micros)} for line in quote.lines],
        "assumptions": quote.assumptions,
    }


class TaskCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        model = serializers.CharField(max_length=200)
        input = serializers.DictField(required=False, default=dict)
        params = serializers.DictField(required=False, default=dict)
        webhook_url = serializers.URLField(required=False, allow_blank=True, max_length=2000)
        dry_run = serializers.BooleanField(required=False, default=False)

    def post(self, request):
        if not isinstance(request.data, Mapping):
            raise ApplicationError(BODY_NOT_OBJECT, code="invalid_json")
        files = {name: request.FILES[name] for name in request.FILES}
        raw = {key: form_value(request.data.get(key)) for key in request.data.keys() if key not in files}
        if isinstance(request.data, QueryDict) and holds_nul(raw):  # form fields: a JSON body was checked as parsed
            raise ApplicationError(NUL_CHARACTER, code="invalid_character")
        data = self.InputSerializer(data=raw)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        params = {k: v for k, v in raw.items() if k not in RESERVED_FIELDS}
        params.update(values["params"])
        params.update(values["input"])
        result = task_submit(
            api_key=request.auth, model=values["model"], params=params, files=files or None,
            webhook_url=values.get("webhook_url") or None, idempotency_key=request.headers.get("Idempotency-Key"),
            dry_run=values["dry_run"], surface="tasks", request_id=getattr(request, "request_id", None),
        )
        if result.task is None:
            return Response(quote_to_dict(result.quote), status=status.HTTP_200_OK)
        response = Response(task_to_dict(result.task, absolute_base=_base(request)), status=status.HTTP_202_ACCEPTED)
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class TaskListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        status = serializers.CharField(required=False)
        model = serializers.CharField(required=False)
        key = serializers.IntegerField(required=False, help_text="API key id")
        created_after = serializers.DateTimeField(required=False)
        created_before = serializers.DateTimeField(required=False)
        cursor = serializers.CharField(required=False)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)

    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        tasks, next_cursor = task_list(
            organization=request.auth.organization, status=f.get("status"), model=f.get("model"), api_key=f.get("key"),
            since=f.get("created_after"), until=f.get("created_before"), cursor=f.get("cursor"), limit=f["limit"])
        base = _base(request)
        return Response({"object": "list", "data": [task_to_dict(t, absolute_base=base) for t in tasks],
                         "has_more": next_cursor is not None, "next_cursor": next_cursor})


class TaskDetailApi(APIView):
    def get(self, request, task_id: str):
        task = task_get(organization=request.auth.organization, task_id=task_id)
        return _simulated_header(Response(task_to_dict(task, absolute_base=_base(request))), task.simulated)


class TaskCancelApi(APIView):
    def post(self, request, task_id: str):
        task = task_cancel(organization=request.auth.organization, task_id=task_id)
        return Response(task_to_dict(task, absolute_base=_base(request)))


def task_collection(request: HttpRequest, *args, **kwargs):
    """/v1/tasks: POST creates, GET lists (one APIView per operation)."""
    view = _CREATE if request.method == "POST" else _LIST
    return view(request, *args, **kwargs)


_CREATE = TaskCreateApi.as_view()
_LIST = TaskListApi.as_view()
task_collection.csrf_exempt = True


def output_file(request: HttpRequest, token: str):
    """The signed link is the capability: no API key."""
    try:
        output = output_from_token(token)
    except OutputLinkExpired:
        return error_response(ApplicationError(LINK_EXPIRED, code="link_expired", type=NOT_FOUND, status=410))
    if output is None or not output.file:
        return error_response(ApplicationError(LINK_INVALID, code="file_not_found", type=NOT_FOUND, status=404))
    if output.purged_at is not None:
        return error_response(ApplicationError(LINK_EXPIRED, code="file_purged", type=NOT_FOUND, status=410))
    response = FileResponse(default_storage.open(output.file.name, "rb"), content_type=output.mime_type)
    response["Content-Length"] = str(output.size_bytes)
    response["Cache-Control"] = "private, max-age=300"
    return response
