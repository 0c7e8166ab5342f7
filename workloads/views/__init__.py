"""Workload Management pages, one module per area; urls.py names each view by module."""
