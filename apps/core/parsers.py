"""DRF's JSON parser on ``apps.core.json_body.json_loads`` (the surfaces read bodies with it too)."""
from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from apps.core.errors import ApplicationError
from apps.core.json_body import BodyRefused, json_loads


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return json_loads(stream.read().decode(encoding))
        except BodyRefused as exc:  # DRF re-raises what a parser raises: the surfaces' error, as is
            raise ApplicationError(str(exc), code=exc.code) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
