from django.apps import AppConfig


class BenchmarkConfig(AppConfig):
    """The performance benchmark (make bench): installed only when BENCHMARK=1."""

    name = "benchmark"
