"""The database itself refuses to change or delete audit events, so neither raw SQL nor a future
code path can rewrite history. PostgreSQL refuses UPDATE and DELETE; SQLite (the embedded mode)
refuses UPDATE only, because Django's test flush empties SQLite tables with DELETE (PostgreSQL's
flush uses TRUNCATE, which row triggers do not see)."""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION ucj_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ucj_auditevent_append_only BEFORE UPDATE OR DELETE ON ucj_auditevent
    FOR EACH ROW EXECUTE FUNCTION ucj_auditevent_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS ucj_auditevent_append_only ON ucj_auditevent;
DROP FUNCTION IF EXISTS ucj_auditevent_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER ucj_auditevent_append_only BEFORE UPDATE ON ucj_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS ucj_auditevent_append_only;"


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("ucj", "0002_staleregion")]
    operations = [migrations.RunPython(up, down)]
