"""Outreach demo for Kabupaten Bangkalan: a season of what the drive does in the field, logged
through the services by the demo field officer (districts Bangkalan, Socah and Burneh) and the
labour office (Disperinaker): village visits, socialisation sessions to which the camat invites
the village heads of a district, tie-ins with subsidised-fertiliser distribution at the rendeng
planting season (October to December) at kiosks and farmer groups, a stand at a festival, fishers
met with the fisheries office, and visits to employers: a batik workshop, a bakery, a minimarket,
the fishers' group of Kwanyar (employers of the enrollment demo, found by name) and a welding shop
no list knew (added as an employer found in the field). About thirty leads, some with follow-ups
due today or overdue, two of them put on the enrollment demo's draft batch.

Dates are relative to today (the last ~150 days; the fertiliser tie-ins on the most recent rendeng
days). Idempotent: every event has a fixed client id, and a second run adds nothing."""

import contextlib
import datetime as dt
import random
import uuid

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from enrollment.demo import FAMILY, MARK, MEN, WOMEN
from enrollment.models import BatchState, EnrollmentBatch
from outreach import services
from outreach.models import (
    DistributionPoint,
    EventKind,
    FollowUpChannel,
    FollowUpOutcome,
    Lead,
    LeadStatus,
    OutreachEvent,
    PartnerAgency,
    PlantingSeason,
)
from outreach.services import EventData, FollowUpData, LeadData
from ucj.demo import on_day

User = get_user_model()

NAMESPACE = uuid.UUID("5e1f2c1a-35d6-4c5e-9b8e-0a7c3526aa01")
DRAFT_TITLE = "Pekerja rentan Socah"  # the enrollment demo's draft batch

BANGKALAN_KEL = ["35.26.01.1001", "35.26.01.1004", "35.26.01.1006"]  # Mlajah, Demangan, Pejagan
BANGKALAN_DESA = ["35.26.01.2008", "35.26.01.2009", "35.26.01.2010", "35.26.01.2011", "35.26.01.2012"]
SOCAH = [f"35.26.02.20{n:02d}" for n in range(1, 12)]
BURNEH = ["35.26.03.2001", "35.26.03.2002", "35.26.03.2003", "35.26.03.2004", "35.26.03.2006", "35.26.03.2008"]
KWANYAR = ["35.26.11.2001", "35.26.11.2002", "35.26.11.2005"]  # fishing villages on the strait
TANJUNG_BUMI = "35.26.09.2013"  # batik tulis Tanjung Bumi
# Employer visits after the one to the batik workshop: (who, days ago, village, employer, attendance,
# notes). The names are those of the enrollment demo's employers but the last, found in the field.
EMPLOYER_VISITS = [
    ("officer", 41, "35.26.03.2006", "Bengkel Las Sumber Jaya", 5,
     "Bengkel las baru di pinggir jalan raya; belum ada di daftar WLKP maupun BPJS."),
    ("officer", 30, "35.26.01.1005", "Toko Roti Ningrat", 16,
     "Pemilik menyebut 16 karyawan, yang terdaftar BPJS baru 12; diminta melengkapi."),
    ("disnaker", 19, "35.26.11.2002", "KUB Nelayan Kwanyar Bahari", 36,
     "Kelompok usaha bersama nelayan belum mendaftarkan ABK; dijelaskan kewajiban dan iurannya."),
    ("officer", 8, "35.26.03.2001", "Minimarket Barokah Burneh", 5,
     "Lima pramuniaga belum terdaftar; pemilik minta formulir pendaftaran badan usaha."),
]  # fmt: skip

KIOSKS = [
    (DistributionPoint.KIOSK, "Kios Pupuk Tani Makmur"),
    (DistributionPoint.FARMER_GROUP, "Kelompok Tani Sido Makmur"),
    (DistributionPoint.KIOSK, "UD Sumber Rejeki (kios pupuk lengkap)"),
    (DistributionPoint.FARMER_GROUP, "Gapoktan Bina Tani Burneh"),
    (DistributionPoint.FARMER_GROUP, "Kelompok Tani Sumber Makmur"),
    (DistributionPoint.KIOSK, "Kios Pupuk Barokah"),
]
AGRICULTURE = "Dinas Ketahanan Pangan dan Pertanian Kab. Bangkalan"
JOBS = ["Petani", "Petani", "Petani", "Buruh Tani", "Peternak Sapi", "Petani Tembakau", "Pedagang", "Nelayan"]


def _client_id(n: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"outreach-demo-event-{n}")


def _rendeng_days(today: dt.date) -> list[dt.date]:
    """The most recent days of the rendeng season (October to December), newest first, that can
    still be logged (not in the future, less than a year ago)."""
    days = [today - dt.timedelta(days=k) for k in range(1, 361)]
    return [d for d in days if d.month in (10, 11, 12)][:50]


def _plan(today: dt.date, rng: random.Random) -> list[tuple[str, EventData]]:
    """(who logs it, what) for every demo event, oldest first."""

    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    plan: list[tuple[str, EventData]] = []
    # Village visits by the field officer, about one a week, with the village head's staff.
    home = SOCAH + BURNEH + BANGKALAN_DESA + BANGKALAN_KEL
    for i, days in enumerate(range(148, 2, -7)):
        village = home[(i * 5) % len(home)]
        plan.append(
            (
                "officer",
                EventData(
                    kind=EventKind.VILLAGE_VISIT,
                    date=ago(days),
                    time=dt.time(rng.choice([8, 9, 13, 15]), 0),
                    village_codes=[village],
                    attendance={
                        "farmers": rng.randint(4, 25),
                        "livestock_keepers": rng.randint(0, 6),
                        "village_officials": rng.randint(1, 3),
                        "others": rng.randint(0, 4),
                    },
                    partner_agency=PartnerAgency.VILLAGE_GOVERNMENT,
                    partner="Pemerintah Desa",
                    notes="Kunjungan ke balai desa; pendataan pekerja rentan bersama perangkat desa.",
                ),
            )
        )
    # Socialisation sessions: the camat invites the village heads of the district.
    sessions = [
        (120, "Kecamatan Socah", SOCAH, "Sosialisasi UCJ bagi kepala desa se-Kecamatan Socah di pendopo kecamatan."),
        (85, "Kecamatan Burneh", BURNEH, "Sosialisasi perlindungan pekerja rentan (DBHCHT) bersama camat Burneh."),
        (40, "Kecamatan Bangkalan", BANGKALAN_DESA + BANGKALAN_KEL[:2], "Sosialisasi bersama lurah dan kepala desa."),
    ]
    for days, partner, villages, notes in sessions:
        plan.append(
            (
                "officer",
                EventData(
                    kind=EventKind.SOCIALISATION,
                    date=ago(days),
                    time=dt.time(9, 0),
                    village_codes=villages,
                    attendance={"village_officials": 2 * len(villages) + 3, "farmers": rng.randint(10, 30)},
                    partner=partner,
                    partner_agency=PartnerAgency.DISTRICT_OFFICE,
                    notes=notes,
                    officer_ids=[User.objects.get(username="disnaker").pk],
                ),
            )
        )
    # Fertiliser tie-ins at the rendeng season: farmers gather anyway to take their subsidised
    # fertiliser; the officer registers interest at the kiosk or the farmer group.
    rendeng = _rendeng_days(today)
    fertiliser_villages = [SOCAH[2], SOCAH[5], BURNEH[1], BURNEH[0], SOCAH[8], BANGKALAN_DESA[3]]
    for i, ((point_kind, point), village) in enumerate(zip(KIOSKS, fertiliser_villages, strict=True)):
        plan.append(
            (
                "officer",
                EventData(
                    kind=EventKind.FERTILISER,
                    date=rendeng[min(len(rendeng) - 1, 3 + i * 7)],
                    time=dt.time(7, 30),
                    village_codes=[village],
                    attendance={"farmers": rng.randint(45, 140), "livestock_keepers": rng.randint(0, 12)},
                    partner=AGRICULTURE,
                    partner_agency=PartnerAgency.AGRICULTURE,
                    planting_season=PlantingSeason.RENDENG,
                    distribution_point_kind=point_kind,
                    distribution_point=point,
                    notes="Penyaluran pupuk bersubsidi musim tanam rendeng; pendaftaran minat BPJS di lokasi.",
                ),
            )
        )
    # The labour office: fishers with the fisheries office, a festival stand, a batik workshop.
    plan.append(
        (
            "disnaker",
            EventData(
                kind=EventKind.VILLAGE_VISIT,
                date=ago(64),
                time=dt.time(6, 30),
                village_codes=KWANYAR,
                attendance={"fishers": 38, "village_officials": 4, "others": 6},
                partner="Dinas Perikanan Kab. Bangkalan",
                partner_agency=PartnerAgency.FISHERIES,
                notes="Pertemuan kelompok nelayan di tempat pelelangan ikan.",
            ),
        )
    )
    plan.append(
        (
            "disnaker",
            EventData(
                kind=EventKind.FESTIVAL,
                date=ago(26),
                time=dt.time(16, 0),
                village_codes=[BANGKALAN_KEL[1]],
                attendance={"others": 210, "farmers": 35, "fishers": 12},
                partner="BPJS Ketenagakerjaan Cabang Bangkalan",
                partner_agency=PartnerAgency.BPJS,
                notes="Stan BPJamsostek di alun-alun pada Bangkalan Expo.",
                officer_ids=[User.objects.get(username="officer").pk],
            ),
        )
    )
    plan.append(
        (
            "disnaker",
            EventData(
                kind=EventKind.EMPLOYER_VISIT,
                date=ago(12),
                time=dt.time(10, 0),
                village_codes=[TANJUNG_BUMI],
                attendance={"others": 14},
                partner_agency=PartnerAgency.COOPERATIVES,
                employer_name="UD Batik Tulis Tanjung Bumi",
                notes="Pembatik borongan belum terdaftar; pemilik bersedia mendaftarkan 14 pekerja.",
            ),
        )
    )
    for username, days, village, employer, people, notes in EMPLOYER_VISITS:
        plan.append(
            (
                username,
                EventData(
                    kind=EventKind.EMPLOYER_VISIT,
                    date=ago(days),
                    time=dt.time(10, 30),
                    village_codes=[village],
                    attendance={"others": people},
                    partner_agency=PartnerAgency.COOPERATIVES if username == "disnaker" else "",
                    employer_name=employer,
                    notes=notes,
                ),
            )
        )
    return sorted(plan, key=lambda item: item[1].date)


def _nik(village: str, sex: str, birth: dt.date, serial: int) -> str:
    day = birth.day + (40 if sex == "P" else 0)
    return f"{village[:8].replace('.', '')}{day:02d}{birth:%m}{birth.year % 100:02d}{serial:04d}"


def _leads(events: list[OutreachEvent], today: dt.date, rng: random.Random) -> list[tuple[str, LeadData]]:
    """About thirty people met at the officer's and the labour office's events."""
    follow_ups = (
        [today] * 2  # due today
        + [today - dt.timedelta(days=d) for d in (2, 5, 9, 16)]  # overdue
        + [today + dt.timedelta(days=d) for d in (3, 6, 10, 14, 21)]  # upcoming
    )
    out: list[tuple[str, LeadData]] = []
    with_leads = [e for e in events if e.kind != EventKind.EMPLOYER_VISIT]
    for i in range(30):
        event = with_leads[(i * 7) % len(with_leads)]
        village = sorted(v.code for v in event.villages.all())[i % event.villages.count()]
        sex = rng.choice("LP")
        name = rng.choice(MEN if sex == "L" else WOMEN) + rng.choice(FAMILY)
        birth = dt.date(rng.randint(1968, 2002), rng.randint(1, 12), rng.randint(1, 28))
        has_nik = i % 5 in (0, 2) or i < 3
        status = "declined" if i % 11 == 10 else "interested"
        out.append(
            (
                event.created_by.get_username(),
                LeadData(
                    name=name,
                    village_code=village,
                    event_id=event.pk,
                    nik=_nik(village, sex, birth, 7001 + i) if has_nik else "",
                    sex=sex if not has_nik and i % 2 else "",
                    phone=f"08{rng.choice(['12', '13', '52', '57', '77'])}{rng.randint(10_000_000, 99_999_999)}"
                    if i % 4
                    else "",
                    occupation="Nelayan" if event.fishers else rng.choice(JOBS),
                    status=status,
                    next_follow_up=follow_ups[i % len(follow_ups)] if status == "interested" and i % 6 != 5 else None,
                    notes="" if i % 3 else "Minta dijelaskan lagi soal iuran JKK dan JKM Rp16.800 per bulan.",
                ),
            )
        )
    return out


def _on(day: dt.date, today: dt.date):
    """As on `day` in the evening; today's at the present moment (not in the future)."""
    return on_day(day, dt.time(17, 30)) if day < today else contextlib.nullcontext()


def _follow_ups(leads: list[Lead], events: dict[int, OutreachEvent], today: dt.date, rng: random.Random) -> int:
    """The contacts that brought each lead where it stands: a call or a WhatsApp message (a visit
    without a phone) a week before its next follow-up, sometimes after a first try that did not
    reach the person; a declined lead's refusal. Each recorded on its day through the service, so
    the lead's status and next date follow from them as they would have."""
    n = 0
    for i, lead in enumerate(leads):
        met = events[lead.event_id].date
        channel = (
            (FollowUpChannel.WHATSAPP if i % 2 else FollowUpChannel.PHONE) if lead.phone else FollowUpChannel.VISIT
        )
        if lead.status == LeadStatus.DECLINED:
            plan = [
                (
                    min(met + dt.timedelta(days=4), today),
                    FollowUpOutcome.DECLINED,
                    None,
                    "Belum berminat, iuran dirasa berat.",
                )
            ]
        elif lead.next_follow_up is not None:
            last = min(today, lead.next_follow_up - dt.timedelta(days=7))
            if last < met:
                continue
            outcome = FollowUpOutcome.WILL_ENROLL if i % 3 == 0 else FollowUpOutcome.REACHED
            note = (
                "Mau ikut bila masuk daftar DBHCHT berikutnya."
                if outcome == FollowUpOutcome.WILL_ENROLL
                else "Minta waktu berembuk dengan keluarga."
            )
            plan = [(last, outcome, lead.next_follow_up, note)]
            first = last - dt.timedelta(days=rng.choice((2, 3, 4)))
            if i % 4 == 1 and first >= met and lead.phone:
                plan.insert(0, (first, FollowUpOutcome.NOT_REACHED, last, "Tidak diangkat."))
        else:
            continue
        for day, outcome, next_date, note in plan:
            data = FollowUpData(date=day, channel=channel, outcome=outcome, notes=note, next_date=next_date)
            with _on(day, today):
                services.lead_follow_up_record(lead_id=lead.pk, actor=lead.officer, data=data)
            n += 1
    return n


@transaction.atomic
def seed(*, password: str, log=print) -> None:
    if OutreachEvent.objects.filter(client_id=_client_id(0)).exists():
        log("Outreach demo: already there.")
        return
    users = {u.username: u for u in User.objects.filter(username__in=["officer", "disnaker"])}
    today = timezone.localdate()
    rng = random.Random(3526)
    events = []
    # Each event is logged on its own day (in the evening, back from the field), and the people
    # met there are leads from that day: their pages and histories agree with their dates.
    for n, (username, data) in enumerate(_plan(today, rng)):
        with _on(data.date, today):
            event, _created = services.event_log(actor=users[username], client_id=_client_id(n), data=data)
        events.append(event)

    by_id = {event.pk: event for event in events}
    leads = []
    for username, data in _leads(events, today, rng):
        with _on(by_id[data.event_id].date, today):
            leads.append(services.lead_create(actor=users[username], data=data))
    follow_ups = _follow_ups(leads, by_id, today, rng)

    added = 0
    draft = EnrollmentBatch.objects.filter(
        decree_number__startswith=MARK, title=DRAFT_TITLE, state=BatchState.DRAFT
    ).first()
    if draft is not None:
        with_nik = [lead.pk for lead in leads if lead.nik and lead.officer.username == "officer"][:2]
        result = services.leads_add_to_batch(actor=users["officer"], lead_ids=with_nik, batch_id=draft.pk)
        added = len(result.added)

    kinds = {}
    for event in events:
        kinds[event.get_kind_display()] = kinds.get(event.get_kind_display(), 0) + 1
    log(
        f"Outreach demo: {len(events)} events ("
        + ", ".join(f"{n} {kind}" for kind, n in kinds.items())
        + f"), {len(leads)} leads ({sum(1 for lead in leads if lead.next_follow_up == today)} to follow up today, "
        + f"{follow_ups} follow-ups logged)"
        + (f", {added} added to draft batch #{draft.pk}." if draft is not None else ".")
    )
