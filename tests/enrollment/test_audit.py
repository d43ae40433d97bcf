"""The audit history nobody can edit (DESIGN §3): the model, its queryset, the database and the
admin all refuse to change or delete an AuditEvent; new events are still written by every change."""

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.test import RequestFactory

from enrollment import services
from enrollment.models import BatchState
from tests.enrollment.conftest import audit_events
from ucj.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(batch_in_state, clerk):
    batch = batch_in_state(BatchState.SUBMITTED)
    services.batch_return(actor=clerk, batch_id=batch.pk, reason="NIK salah")
    return audit_events(batch, "batch.return").get()


def test_an_event_cannot_be_changed_through_the_model(event):
    event.reason = "Tidak ada masalah"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.save(update_fields=["reason"])
    event.refresh_from_db()
    assert event.reason == "NIK salah"


def test_an_event_cannot_be_deleted_through_the_model(event):
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_queryset_refuses_update_and_delete(event):
    events = AuditEvent.objects.filter(pk=event.pk)
    changed = AuditEvent.objects.get(pk=event.pk)
    changed.reason = ""
    attempts = [
        lambda: events.update(reason=""),
        lambda: events.delete(),
        lambda: AuditEvent.objects.all().delete(),
        lambda: AuditEvent.objects.bulk_update([changed], ["reason"]),
        lambda: AuditEvent.objects.update_or_create(pk=event.pk, defaults={"reason": ""}),
    ]
    for attempt in attempts:
        # Each in a savepoint of its own: bulk_update and update_or_create fail inside an atomic
        # block, which leaves the surrounding transaction unusable.
        with pytest.raises(PermissionError), transaction.atomic():
            attempt()
    event.refresh_from_db()
    assert event.reason == "NIK salah"


def test_new_events_are_still_written(event, clerk, batch_in_state):
    before = AuditEvent.objects.count()
    batch = batch_in_state(BatchState.SUBMITTED, start=10)
    services.batch_verify(actor=clerk, batch_id=batch.pk)
    assert AuditEvent.objects.count() > before
    assert audit_events(batch, "batch.verify").get().actor == clerk


def test_the_actor_of_an_event_cannot_be_deleted(event, clerk):
    with pytest.raises(ProtectedError):
        clerk.delete()


def test_the_database_refuses_a_raw_update(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ucj_auditevent SET reason = %s WHERE id = %s", ["diubah", event.pk])
    event.refresh_from_db()
    assert event.reason == "NIK salah"


def test_the_database_refuses_a_raw_delete_on_postgresql(event):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite refuses UPDATE only: Django's test flush empties SQLite tables with DELETE")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM ucj_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_admin_shows_events_read_only_even_to_a_superuser(event, admin_user, client):
    model_admin = admin.site._registry[AuditEvent]
    request = RequestFactory().get("/admin/ucj/auditevent/")
    request.user = admin_user
    assert admin_user.is_superuser
    assert model_admin.has_view_permission(request, event)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)

    client.force_login(admin_user)
    page = client.get(f"/admin/ucj/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(f"/admin/ucj/auditevent/{event.pk}/change/", {"reason": "x"}).status_code == 403
    assert client.get(f"/admin/ucj/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/ucj/auditevent/add/").status_code == 403
    event.refresh_from_db()
    assert event.reason == "NIK salah"
