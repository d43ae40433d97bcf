from django.db import migrations

# 0006 altered the member's foreign keys to db_index=False; on PostgreSQL that dropped every
# single-column index on participant_id outside Meta.indexes, and so also the partial unique index
# behind the member_one_open_batch constraint (a person is in one open batch at most). SQLite
# rebuilt the table and kept it. Made again here where it is missing. A database that took two
# open memberships of one person meanwhile stops here with PostgreSQL's duplicate-key error naming
# the person's participant_id: close one of the two batches' memberships, then migrate again.
ONE_OPEN_BATCH = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "member_one_open_batch" ON "enrollment_batchmember" ("participant_id") '
    'WHERE "is_open"'
)


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0006_member_indexes_for_bulk_imports"),
    ]

    operations = [migrations.RunSQL(ONE_OPEN_BATCH, reverse_sql=migrations.RunSQL.noop)]
