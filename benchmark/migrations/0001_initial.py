from django.db import migrations, models

# The twelve rows of the TechEmpower Fortunes test.
FORTUNES = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. — Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    "フレームワークのベンチマーク",
]


def add_fortunes(apps, schema_editor):
    Fortune = apps.get_model("benchmark", "Fortune")
    Fortune.objects.bulk_create(Fortune(id=n, message=m) for n, m in enumerate(FORTUNES, 1))


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Fortune",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("message", models.CharField(max_length=2048)),
            ],
        ),
        migrations.RunPython(add_fortunes, migrations.RunPython.noop),
    ]
