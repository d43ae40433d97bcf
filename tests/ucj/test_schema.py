"""The database holds every constraint and index the models declare. Altering a foreign key to
db_index=False once dropped, on PostgreSQL only, the partial unique indexes on the same column
(one current snapshot per region, one open batch per person): SQLite rebuilds the table and
kept them, so only a check of the migrated schema itself sees such a loss."""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db


def test_every_declared_constraint_and_index_exists_in_the_database():
    missing = []
    with connection.cursor() as cursor:
        for app in ("ucj", "outreach", "enrollment"):
            for model in apps.get_app_config(app).get_models():
                table = model._meta.db_table
                present = set(connection.introspection.get_constraints(cursor, table))
                for declared in (*model._meta.constraints, *model._meta.indexes):
                    if declared.name not in present:
                        missing.append(f"{table}.{declared.name}")
    assert missing == []
