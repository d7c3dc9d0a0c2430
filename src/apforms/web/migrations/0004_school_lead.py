from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("apforms_web", "0003_audit_ids"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="lead",
            field=models.BooleanField(default=False, verbose_name="school lead"),
        ),
    ]
