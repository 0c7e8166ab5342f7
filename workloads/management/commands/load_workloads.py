"""`manage.py load_workloads demo`: the demo's Supervisor, namespaces and VKS clusters, made
through the services and converged before it returns. Safe to run again."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from workloads import demo


class Command(BaseCommand):
    help = (
        "Bring up the demo's Workload Management on the demo estate (load_estate demo first): a "
        "Supervisor, two vSphere Namespaces and a VKS cluster in each. A rerun changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenario", choices=["demo"])

    def handle(self, *args, scenario: str, **options) -> None:
        started = time.monotonic()
        for line in demo.load():
            self.stdout.write(f"  {line}")
        self.stdout.write(f"Loaded workloads '{scenario}' in {time.monotonic() - started:.1f} s.")
