from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView


class WhoAmIApi(APIView):
    """The organization and key behind the presented API key."""

    class OutputSerializer(serializers.Serializer):
        organization_id = serializers.CharField(source="organization.public_id")
        organization_name = serializers.CharField(source="organization.name")
        key_name = serializers.CharField(source="name")
        key_prefix = serializers.CharField(source="prefix")
        expires_at = serializers.DateTimeField()

    @extend_schema(responses=OutputSerializer, summary="Who am I")
    def get(self, request):
        return Response(self.OutputSerializer(request.auth).data)
