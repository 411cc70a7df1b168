from django.db import migrations, models


def fill_file_list(apps, schema_editor):
    """The imports already logged get their list of files (names, hashes, sizes)."""
    ContentImport = apps.get_model("units", "ContentImport")
    for content_import in ContentImport.objects.iterator(chunk_size=50):
        content_import.file_list = [
            {key: f[key] for key in ("name", "sha256", "size")} for f in content_import.files
        ]
        content_import.save(update_fields=["file_list"])


class Migration(migrations.Migration):
    dependencies = [
        ("units", "0014_publish_existing_enrol_candidates"),
    ]

    operations = [
        migrations.AddField(
            model_name="contentimport",
            name="file_list",
            field=models.JSONField(
                blank=True, default=list, editable=False, verbose_name="file list"
            ),
        ),
        migrations.RunPython(fill_file_list, migrations.RunPython.noop),
    ]
