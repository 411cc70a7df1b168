import json

from django.core.management.base import BaseCommand

from benchmark.generate import generate


class Command(BaseCommand):
    help = "Fill an empty database with synthetic benchmark data at a scale (1 = 150,000 answers)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0)

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(generate(options["scale"])))
