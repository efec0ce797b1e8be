from django.db import migrations, models


def frozen_copy(apps, schema_editor):
    Balance = apps.get_model("billing", "Balance")
    Organization = apps.get_model("accounts", "Organization")
    for organization_id in Organization.objects.filter(is_frozen=True).values_list("pk", flat=True):
        Balance.objects.update_or_create(organization_id=organization_id, defaults={"frozen": True})


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("billing", "0002_per_task_indexes_fewer"),
    ]

    operations = [
        migrations.AddField(
            model_name="balance",
            name="frozen",
            field=models.BooleanField(default=False, help_text="Mirror of the organization's freeze; holds refuse it"),
        ),
        migrations.RunPython(frozen_copy, migrations.RunPython.noop),
    ]
