"""The premium rates of PP 44/2015 for non-wage (BPU) participants, as data: JKK 1 % of the
declared income, JKM a flat Rp6,800, JHT 2 %. A later regulation is a new row, not a code change."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

BASIS = "PP 44/2015 (BPU: JKK 1 %, JKM Rp6.800, JHT 2 %)"
RATES = [("jkk", Decimal("1.00"), 0), ("jkm", Decimal("0.00"), 6800), ("jht", Decimal("2.00"), 0)]


def add_rates(apps, schema_editor):
    PremiumRate = apps.get_model("enrollment", "PremiumRate")
    for programme, percent, flat in RATES:
        PremiumRate.objects.get_or_create(
            programme=programme,
            valid_from=dt.date(2015, 7, 1),
            defaults={"percent_of_income": percent, "flat_amount": flat, "legal_basis": BASIS},
        )


def remove_rates(apps, schema_editor):
    apps.get_model("enrollment", "PremiumRate").objects.filter(legal_basis=BASIS).delete()


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0001_initial")]
    operations = [migrations.RunPython(add_rates, remove_rates)]
