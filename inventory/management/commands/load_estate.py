"""`manage.py load_estate demo|config-max`: seed the simulated vCenter. Safe to run again."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inventory.estates import ESTATES, config_max


class Command(BaseCommand):
    help = (
        "Load an estate into the simulated vCenter: `demo` (one site, ~50 VMs) or `config-max` "
        "(2,500 hosts, 45,000 VMs). Runs once; a rerun changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("estate", choices=sorted(ESTATES))
        scale = parser.add_argument_group("config-max scale (defaults: the vCenter 8.0 maximums)")
        scale.add_argument("--hosts", type=int, default=config_max.HOSTS)
        scale.add_argument("--vms-per-host", type=int, default=config_max.VMS_PER_HOST)
        scale.add_argument("--hosts-per-cluster", type=int, default=config_max.HOSTS_PER_CLUSTER)
        scale.add_argument(
            "--first-cluster-hosts", type=int, default=config_max.FIRST_CLUSTER_HOSTS
        )

    def handle(self, *args, estate: str, **options) -> None:
        kwargs = {}
        if estate == config_max.NAME:
            kwargs = {
                name: options[name]
                for name in ("hosts", "vms_per_host", "hosts_per_cluster", "first_cluster_hosts")
            }
            if min(kwargs.values()) < 1:
                raise CommandError("Scale options must be positive.")
        started = time.monotonic()
        result = ESTATES[estate](**kwargs)
        seconds = time.monotonic() - started
        counts = ", ".join(f"{label}: {value:,}" for label, value in result.counts.items())
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded estate {estate!r} (datacenter {result.datacenter}) in "
                    f"{seconds:.1f} s: {counts}."
                )
            )
        else:
            self.stdout.write(
                f"Estate {estate!r} is already loaded (datacenter {result.datacenter}); "
                f"nothing changed. It has {counts}."
            )
