"""Each role's home is its to-do list (issue 22): every item of each role's queue is there, counted
and linked to the page where it is done; nothing of another regency appears; the home costs a
bounded number of queries; the navigation is grouped by task, marks the current page and carries
the queue's badge without adding a query to other pages."""

import calendar
import datetime as dt
import importlib.util
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import formats, timezone, translation

from enrollment import services
from enrollment.models import BatchState, FundingSource, ImportJob, ImportKind, ImportState
from enrollment.services import employer_create
from outreach import services as outreach_services
from outreach.models import EventKind, Lead, LeadStatus
from tests.employers.conftest import figures
from tests.enrollment.conftest import import_rows, make_nik, member_row, new_batch
from tests.factories import UserFactory
from ucj.models import CoverageSnapshot, Region, StaleRegion, WorkerHeartbeat
from ucj.todo.selectors import todo_for
from ucj.workdays import add_working_days

pytestmark = pytest.mark.django_db


def _indonesian() -> dict:
    spec = importlib.util.spec_from_file_location(
        "id_translations", Path(__file__).parents[2] / "locale/id_translations.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ID


INDONESIAN = _indonesian()

TODAY = timezone.localdate()
YEAR = TODAY.year
SOCAH_VILLAGE, SOCAH_OTHER = "35.26.02.2001", "35.26.02.2002"
BADUNG_VILLAGE = "51.03.01.1002"
SECRET = "Rahasia Bangkalan"  # on every Bangkalan object: the outsider's home must not show it


def todo_section(html: str) -> str:
    start = html.index('id="todo"')
    return html[start : html.index("</section>", start)]


def item(html: str, key: str) -> str:
    """The HTML of one item of the queue (fails when it is missing)."""
    start = html.index(f'id="todo-{key}"')
    end = html.find('<div class="list-group-item todo-item"', start + 1)
    return html[start : end if end > 0 else len(html)]


def count_of(html: str, key: str) -> int:
    return int(re.search(rf'id="todo-{key}" data-count="(\d+)"', html).group(1))


def home(client, user) -> str:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


# --- Bangkalan's work, and Badung's --------------------------------------------------------------


def _batch(officer, *, state, serial, clerk=None, head=None, source=FundingSource.DBHCHT, title=SECRET, **terms):
    terms = {"year": YEAR, "period_start": dt.date(YEAR, 1, 1), "period_end": dt.date(YEAR, 12, 31), **terms}
    batch = new_batch(officer, source=source, title=title, **terms)
    import_rows(officer, batch, [member_row(serial + i, name=f"{SECRET} {i}") for i in range(3)])
    if state == BatchState.DRAFT:
        return batch
    services.batch_submit(actor=officer, batch_id=batch.pk)
    if state in (BatchState.VERIFIED, BatchState.APPROVED, BatchState.ACTIVE):
        services.batch_verify(actor=clerk, batch_id=batch.pk)
    if state in (BatchState.APPROVED, BatchState.ACTIVE):
        services.batch_approve(actor=head, batch_id=batch.pk)
    if state == BatchState.ACTIVE:
        confirmations = {make_nik(serial + i): (i + 2, f"230{serial + i:08d}") for i in range(3)}
        services.batch_activate(actor=clerk, batch_id=batch.pk, confirmations=confirmations)
    batch.refresh_from_db()
    return batch


def _opened_for_due_in(working_days: int) -> dt.date:
    """An opening day whose first step (10 working days later) falls `working_days` after today."""
    day = TODAY
    while add_working_days(day, 10) > add_working_days(TODAY, working_days):
        day -= dt.timedelta(days=1)
    return day


@pytest.fixture
def work(officer, clerk, kadis, outsider):
    """Something in every item of the officer's and the labour office's queues, and the same
    kinds of things in Badung for the outsider."""
    w = {}
    # Leads: one overdue, one today, one later (not waiting); an outsider's overdue lead in Badung.
    make = Lead.objects.create
    w["lead_overdue"] = make(
        officer=officer, name=SECRET, village_id=SOCAH_VILLAGE, next_follow_up=TODAY - dt.timedelta(days=3)
    )
    w["lead_today"] = make(officer=officer, name=SECRET, village_id=SOCAH_VILLAGE, next_follow_up=TODAY)
    w["lead_later"] = make(
        officer=officer, name=SECRET, village_id=SOCAH_VILLAGE, next_follow_up=TODAY + dt.timedelta(days=3)
    )
    make(officer=outsider, name="Made Badung", village_id=BADUNG_VILLAGE, next_follow_up=TODAY - dt.timedelta(days=1))
    make(officer=officer, name="declined", village_id=SOCAH_VILLAGE, status=LeadStatus.DECLINED, next_follow_up=TODAY)
    # Villages: one visited 100 days ago, one visited last week.
    for days, village in ((100, SOCAH_VILLAGE), (5, SOCAH_OTHER)):
        outreach_services.event_log(
            actor=officer,
            client_id=uuid.uuid4(),
            data=outreach_services.EventData(
                kind=EventKind.VILLAGE_VISIT, date=TODAY - dt.timedelta(days=days), village_codes=[village]
            ),
        )
    # Money: DBHCHT plenty; APBD almost all reserved by an approved batch (3 x 16,800 x 12).
    services.allocation_create(actor=clerk, region_code="35.26", year=YEAR, source=FundingSource.DBHCHT, amount=10**9)
    services.allocation_create(actor=clerk, region_code="35.26", year=YEAR, source=FundingSource.APBD, amount=620_000)
    w["approved"] = _batch(
        officer, state=BatchState.APPROVED, serial=1, clerk=clerk, head=kadis, source=FundingSource.APBD
    )
    # Batches: a draft, a returned one, one to verify, one to approve (the clerk verified it).
    w["draft"] = _batch(officer, state=BatchState.DRAFT, serial=10)
    w["returned"] = _batch(officer, state=BatchState.SUBMITTED, serial=20)
    services.batch_return(actor=clerk, batch_id=w["returned"].pk, reason="Lampirkan SK Bupati")
    w["submitted"] = _batch(officer, state=BatchState.SUBMITTED, serial=30)
    w["verified"] = _batch(officer, state=BatchState.VERIFIED, serial=40, clerk=clerk)
    # An import that refused a row, on the draft.
    w["refused"] = import_rows(officer, w["draft"], [member_row(50, village="51.03.01.1002")])
    # Protection ending this month, nobody renewed.
    last_day = dt.date(YEAR, TODAY.month, calendar.monthrange(YEAR, TODAY.month)[1])
    w["active"] = _batch(
        officer, state=BatchState.ACTIVE, serial=60, clerk=clerk, head=kadis,
        period_start=TODAY.replace(day=1), period_end=last_day,
    )  # fmt: skip
    # Compliance: one case overdue, one due in two working days.
    late = employer_create(actor=clerk, data=figures(name=f"{SECRET} late", npp="NN00000001", bpjs_workers=6))
    soon = employer_create(actor=clerk, data=figures(name=f"{SECRET} soon", npp="NN00000002", bpjs_workers=6))
    w["case_overdue"] = services.case_open(
        actor=clerk, employer_id=late.pk, finding="pds_workers", opened_on=TODAY - dt.timedelta(days=60)
    )
    w["case_due"] = services.case_open(
        actor=clerk, employer_id=soon.pk, finding="pds_workers", opened_on=_opened_for_due_in(2)
    )
    # Badung: a case overdue and a batch the outsider submitted (four eyes: not theirs to verify).
    bali = employer_create(
        actor=outsider, data=figures(name="PT Bali Surf", village=BADUNG_VILLAGE, npp="BB00000001", bpjs_workers=2)
    )
    w["badung_case"] = services.case_open(
        actor=outsider, employer_id=bali.pk, finding="pds_workers", opened_on=TODAY - dt.timedelta(days=60)
    )
    return w


# --- Field officer --------------------------------------------------------------------------------


def test_the_officers_home_lists_follow_ups_villages_drafts_and_returned_batches(client, officer, work):
    html = home(client, officer)
    todo = todo_section(html)
    follow = item(todo, "follow-ups")
    assert count_of(todo, "follow-ups") == 2
    # Overdue first, then today's; each links to the lead's page; a later one is not waiting.
    overdue, today = f'href="/leads/{work["lead_overdue"].pk}/"', f'href="/leads/{work["lead_today"].pk}/"'
    assert overdue in follow and today in follow and follow.index(overdue) < follow.index(today)
    assert f"/leads/{work['lead_later'].pk}/" not in follow

    villages = item(todo, "villages")
    assert 'href="/outreach/visits/35.26.0' in villages and f'href="/outreach/visits/{SOCAH_OTHER}/"' not in villages

    returned = item(todo, "returned")
    assert f'href="/batches/{work["returned"].pk}/"' in returned and "Lampirkan SK Bupati" in returned
    assert f'href="/batches/{work["draft"].pk}/"' in item(todo, "drafts")
    # The labour office's items are not the officer's.
    assert 'id="todo-to-verify"' not in todo and 'id="todo-cases-overdue"' not in todo


def test_villages_wait_longest_first_never_visited_then_the_oldest_visit_with_its_date(officer, work, monkeypatch):
    monkeypatch.setattr("ucj.todo.selectors.ROWS", 1000)
    with translation.override("en"):
        (section,) = todo_for(user=officer).sections
        villages = next(i for i in section.items if i.key == "villages")
    # Every village of the officer's two districts but the one visited last week.
    total = Region.objects.filter(code__regex=r"^35\.26\.0[12]\.", level=Region.Level.VILLAGE).count()
    assert villages.count == len(villages.rows) == total - 1
    assert all("never visited" in row.detail for row in villages.rows[:-1])
    last = villages.rows[-1]
    with translation.override("en"):
        assert last.url == f"/outreach/visits/{SOCAH_VILLAGE}/"
        assert formats.date_format(TODAY - dt.timedelta(days=100), "j M Y") in last.detail


# --- Labour office --------------------------------------------------------------------------------


def test_the_clerks_home_lists_every_item_of_the_labour_office(client, clerk, work):
    todo = todo_section(home(client, clerk))
    expected = {
        "to-verify": f'href="/batches/{work["submitted"].pk}/"',
        "imports": f'href="/batches/{work["draft"].pk}/"',
        "cases-overdue": f'href="/compliance/cases/{work["case_overdue"].pk}/"',
        "cases-due": f'href="/compliance/cases/{work["case_due"].pk}/"',
        "allocations-low": "/allocations/",
        "allocations-next-year": 'href="/allocations/"',
        "renewals": f'href="/batches/{work["active"].pk}/"',
    }
    for key, link in expected.items():
        assert link in item(todo, key), key
    assert count_of(todo, "to-verify") == 1 and count_of(todo, "cases-overdue") == 1
    assert count_of(todo, "renewals") == 3  # three members, one batch
    assert "more" not in item(todo, "renewals")  # rows are batches: no "and 2 more" people
    # Four eyes: the clerk verified the other batch, so it does not wait for the clerk's approval.
    assert 'id="todo-to-approve"' not in todo
    assert 'id="todo-follow-ups"' not in todo


def test_the_head_of_the_office_finds_what_the_clerk_verified_waiting_for_approval(client, kadis, work):
    todo = todo_section(home(client, kadis))
    assert f'href="/batches/{work["verified"].pk}/"' in item(todo, "to-approve")
    assert count_of(todo, "to-approve") == 1


def test_nothing_of_bangkalan_reaches_the_outsider_and_nothing_of_badung_reaches_bangkalan(
    client, outsider, clerk, officer, work
):
    outsider_html = home(client, outsider)
    assert SECRET not in outsider_html
    todo = todo_section(outsider_html)
    assert f"/compliance/cases/{work['badung_case'].pk}/" in item(todo, "cases-overdue")
    assert count_of(todo, "cases-overdue") == 1
    for user in (clerk, officer):
        html = home(client, user)
        assert "Bali Surf" not in html and "Made Badung" not in html
        assert f"/compliance/cases/{work['badung_case'].pk}/" not in html


# --- Supervisor -----------------------------------------------------------------------------------


def _snapshot(code, day, percent, *, target="20.00", current=False, bpjs_as_of=None, bps_as_of=None):
    sources = []
    if bpjs_as_of:
        sources.append({"figure": "bpjs", "value": 1, "as_of": bpjs_as_of.isoformat(), "source": "test"})
    if bps_as_of:
        sources.append({"figure": "workforce", "value": 1, "year": YEAR, "as_of": bps_as_of.isoformat()})
    percent = Decimal(percent)
    return CoverageSnapshot.objects.create(
        region_id=code, date=day, computed_at=timezone.now(), is_current=current, percent=percent,
        target_percent=Decimal(target), gap_points=Decimal(target) - percent, sources=sources,
    )  # fmt: skip


@pytest.fixture
def coverage(db):
    """Bangkalan below target and still for 40 days; Pamekasan up a point this month; Sumenep
    down; Bangkalan's figures fresh, Pamekasan's BPJS figure 200 days old; Badung (Bali) still."""
    month_ago = TODAY.replace(day=1) - dt.timedelta(days=1)
    old = TODAY - dt.timedelta(days=40)
    fresh, stale = TODAY - dt.timedelta(days=10), TODAY - dt.timedelta(days=200)
    for code, before, now, figures_of in (
        ("35.26", "14.00", "14.00", (fresh, fresh)),
        ("35.27", "15.00", "16.00", (stale, fresh)),
        ("35.29", "11.00", "10.00", (fresh, fresh)),
        ("51.03", "50.00", "50.00", (None, None)),
    ):
        _snapshot(code, min(old, month_ago), before)
        _snapshot(code, TODAY, now, current=True, bpjs_as_of=figures_of[0], bps_as_of=figures_of[1])


def test_the_supervisors_home_lists_regions_stuck_movers_and_old_or_missing_figures(client, supervisor, coverage):
    todo = todo_section(home(client, supervisor))
    stuck = item(todo, "stuck")
    assert 'href="/progress/35.26/"' in stuck and "/progress/35.27/" not in stuck
    movers = item(todo, "movers")
    assert movers.index('href="/progress/35.27/"') < movers.index('href="/progress/35.29/"')  # up, then down
    figures_item = item(todo, "figures")
    # Pamekasan's BPJS figure is 200 days old; Bangkalan's are fresh; the 35 others have none.
    assert 'href="/progress/35.27/"' in figures_item or count_of(todo, "figures") > 5
    assert "/progress/35.26/" not in figures_item and "/progress/35.29/" not in figures_item
    assert count_of(todo, "figures") == 38 - 2
    # A region of Bali is never in a Jawa Timur supervisor's queue.
    assert "51.03" not in todo and "Badung" not in todo


# --- Administrator --------------------------------------------------------------------------------


def test_the_administrators_home_lists_accounts_failures_workers_and_stale_coverage(client, admin_user, officer):
    nobody = UserFactory(username="petugas_baru")
    batch = new_batch(officer, year=YEAR, period_start=dt.date(YEAR, 1, 1), period_end=dt.date(YEAR, 12, 31))
    job = ImportJob.objects.create(
        batch=batch, kind=ImportKind.MEMBERS, state=ImportState.FAILED, filename="anggota.xlsx", content=b"",
        created_by=officer, message="The worker stopped.",
    )  # fmt: skip
    WorkerHeartbeat.objects.create(hostname="worker-1", last_seen=timezone.now() - dt.timedelta(hours=2))
    WorkerHeartbeat.objects.create(hostname="worker-2", last_seen=timezone.now())
    StaleRegion.objects.create(region_id="35.26.02", marked_at=timezone.now() - dt.timedelta(hours=3))
    StaleRegion.objects.create(region_id="35.26.03", marked_at=timezone.now())
    todo = todo_section(home(client, admin_user))
    assert f'href="/admin/auth/user/{nobody.pk}/change/"' in item(todo, "users")
    assert f'href="/batches/{job.batch_id}/"' in item(todo, "failed-imports")
    workers = item(todo, "workers")
    assert "worker-1" in workers and "worker-2" not in workers
    assert 'href="/progress/35.26.02/"' in item(todo, "stale-coverage") and count_of(todo, "stale-coverage") == 1
    assert count_of(todo, "users") == 1  # the officer has a region


# --- Empty, language, query bounds ----------------------------------------------------------------


def test_an_empty_queue_says_so_plainly(client, outsider, settings):
    settings.LANGUAGE_CODE = "en"
    html = home(client, outsider)
    assert 'id="todo-empty"' in html and "Nothing is waiting for you" in html
    assert INDONESIAN["Nothing is waiting for you"] == "Tidak ada yang menunggu Anda"


def test_dates_and_money_are_written_the_indonesian_way(client, clerk, work):
    todo = todo_section(home(client, clerk))
    months = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
    due = work["case_due"].due_on
    assert f"{due.day} {months[due.month - 1]} {due.year}" in item(todo, "cases-due")
    assert "Rp620.000" in item(todo, "allocations-next-year") or "Rp1.000.000.000" in item(
        todo, "allocations-next-year"
    )


@pytest.mark.parametrize("who", ["officer", "clerk", "kadis", "supervisor", "admin_user"])
def test_each_home_costs_a_bounded_number_of_queries(
    client, request, work, coverage, who, django_assert_max_num_queries
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    client.get("/")  # the session's first read of the user
    with django_assert_max_num_queries(40):
        assert client.get("/").status_code == 200


# --- Navigation -----------------------------------------------------------------------------------


def nav(html: str) -> str:
    return html[html.index('<nav class="navbar') : html.index("</nav>")]


def test_the_navigation_has_at_most_six_top_items_grouped_by_task(client, clerk, officer, admin_user):
    for user in (clerk, officer, admin_user):
        menu = nav(home(client, user))
        top = re.findall(
            r'<li class="nav-item[^"]*">\s*<a class="nav-link', menu.split('class="navbar-nav text-nowrap"')[0]
        )
        assert 1 < len(top) <= 6, (user, len(top))
    menu = nav(home(client, clerk))
    for url in ("/events/", "/leads/", "/outreach/visits/", "/batches/", "/allocations/", "/employers/", "/compliance/",
                "/progress/", "/regions/", "/coverage/facts/"):  # fmt: skip
        assert f'href="{url}"' in menu, url
    # The officer has no compliance cases nor coverage figures to open.
    officer_menu = nav(home(client, officer))
    assert 'href="/compliance/"' not in officer_menu and 'href="/coverage/facts/"' not in officer_menu


def test_the_current_page_and_its_group_are_marked(client, clerk):
    client.force_login(clerk)
    menu = nav(client.get("/batches/").content.decode())
    assert re.search(r'class="nav-link dropdown-toggle active" href="#" id="nav-enrollment"', menu)
    assert 'class="dropdown-item active" href="/batches/" aria-current="page"' in menu
    assert 'id="nav-todo" aria-current' not in menu
    assert 'id="nav-todo" aria-current="page"' in nav(client.get("/").content.decode())


def test_the_badge_shows_the_queue_count_the_home_left_and_otherwise_asks_for_it(client, clerk, work):
    client.force_login(clerk)
    cache.clear()
    page = nav(client.get("/batches/").content.decode())
    assert 'data-count-url="/todo/count/" hidden' in page  # nothing cached: the page asks
    expected = todo_for(user=clerk).count
    assert client.get("/todo/count/").json() == {"count": expected}
    page = nav(client.get("/batches/").content.decode())
    assert f"data-todo-badge>{expected}</span>" in page


def test_the_badge_costs_other_pages_no_query(client, clerk, work, django_assert_max_num_queries):
    client.force_login(clerk)
    client.get("/")  # fills the cache
    cache.delete(f"ucj:todo:count:{clerk.pk}")
    with django_assert_max_num_queries(100) as without:
        client.get("/regions/35.26/")
    client.get("/todo/count/")
    with django_assert_max_num_queries(100) as with_count:
        client.get("/regions/35.26/")
    assert len(with_count.captured_queries) == len(without.captured_queries)
