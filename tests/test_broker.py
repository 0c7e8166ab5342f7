"""The embedded broker never lets a worker see a half-written message."""

from __future__ import annotations

import os

from kombu import Connection

import vksportal.broker


def test_a_message_appears_under_its_queue_name_only_once_written(tmp_path, monkeypatch):
    seen = []

    def replace(src, dst):  # the moment the message becomes visible to readers
        seen.append((sorted(os.listdir(tmp_path)), open(src, "rb").read()))
        os.rename(src, dst)

    monkeypatch.setattr(vksportal.broker.os, "replace", replace)
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path)}
    with Connection("vksfs://localhost//", transport_options=options) as conn:
        channel = conn.default_channel
        channel._put("celery", {"body": "hello"})
        [(listing, content)] = seen
        assert not any(name.endswith(".celery.msg") for name in listing), (
            "not visible while written"
        )
        assert b"hello" in content, "complete before it is renamed into place"
        assert channel._get("celery") == {"body": "hello"}
        assert os.listdir(tmp_path) == []
