"""Benchmarks, outside the product packages: each prints figures beside a baseline measured in the same run.

``python -m bench.etl``, ``bench.scoring``, ``bench.tasks``, ``bench.overview``, ``bench.load``, ``bench.reports``.
"""
