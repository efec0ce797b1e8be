"""Public model listing: OpenAI list shape (seed 004) and a detail view with schema and price."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.catalog.selectors import model_detail, model_listing, model_resolve


class ModelListApi(APIView):
    class OutputSerializer(serializers.Serializer):  # the OpenAPI schema of one listed model
        id = serializers.CharField()
        object = serializers.CharField()
        created = serializers.IntegerField()
        owned_by = serializers.CharField()

    @extend_schema(responses=OutputSerializer(many=True), summary="List models")
    def get(self, request):
        listing = model_listing(modality=request.query_params.get("modality") or None)
        return Response({"object": "list", "data": listing})


class ModelDetailApi(APIView):
    @extend_schema(summary="Get a model (canonical id or alias): parameters, task kind, aliases, price")
    def get(self, request, model_id: str):
        return Response(model_detail(model=model_resolve(name=model_id)))
