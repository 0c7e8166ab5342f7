"""A void operation's REST answer as vmware_rest's action modules read it: 204, no body and no
Content-Type (they parse the body only when the type is exactly application/json or absent)."""

from __future__ import annotations

from django.test import RequestFactory

from vapi import rest
from vapi.bindings import VOID
from vapi.operations import Call, Operation, Rest


def test_a_204_has_no_body_and_no_content_type(monkeypatch):
    monkeypatch.setattr(rest, "_caller", lambda request, op: Call(None, request))
    op = Operation("com.example.thing", "poke", {}, VOID, lambda call: None)
    view = rest._view([(op, Rest("POST", "/api/thing", action="poke", status=204))])
    response = view(RequestFactory().post("/api/thing?action=poke", {}, "application/json"))
    assert response.status_code == 204
    assert response.content == b""
    assert "Content-Type" not in response
