"""The API's JSON parser (DRF's DEFAULT_PARSER_CLASSES): DRF's own reads a body of any size and
nesting (5,000 levels raise RecursionError, a 500); this one reads through
`vksportal.untrusted.load_json`, so a body is at most 1 MiB (else 413), nests at most 64 deep
and holds no NUL or lone surrogate (else 400 naming where)."""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser

from vksportal.untrusted import MAX_BYTES, InputError, load_json


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def refusal(error: InputError) -> exceptions.APIException:
    """The DRF exception each front door's handler renders for an InputError."""
    if error.status == status.HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        return RequestTooLarge(error.message)
    return exceptions.ParseError(error.message)


class JSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        data = stream.read(MAX_BYTES + 1) if stream is not None else b""
        try:
            return load_json(data, encoding=encoding)
        except InputError as error:
            raise refusal(error) from None
