"""Public model listing: OpenAI list shape (seed 004) and a detail view with schema and price."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.catalog.selectors import model_detail, model_list, model_resolve


class ModelListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.CharField(source="model_id")
        object = serializers.SerializerMethodField()
        created = serializers.SerializerMethodField()
        owned_by = serializers.CharField(source="provider")

        def get_object(self, row) -> str:
            return "model"

        def get_created(self, row) -> int:
            return int(row.created_at.timestamp())

    @extend_schema(responses=OutputSerializer(many=True), summary="List models")
    def get(self, request):
        rows = model_list(modality=request.query_params.get("modality") or None)
        return Response({"object": "list", "data": self.OutputSerializer(rows, many=True).data})


class ModelDetailApi(APIView):
    @extend_schema(summary="Get a model (canonical id or alias): parameters, task kind, aliases, price")
    def get(self, request, model_id: str):
        return Response(model_detail(model=model_resolve(name=model_id)))
