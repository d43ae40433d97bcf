from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count

from ucj.errors import ValidationFailed
from ucj.models import ROOT_CODE, Region
from ucj.services import regions_load


@pytest.mark.national
@pytest.mark.django_db
def test_national_load_has_the_official_counts_and_a_second_run_changes_nothing():
    first = regions_load()
    by_level = dict(Region.objects.values_list("level").annotate(n=Count("code")).order_by())
    assert by_level == {
        Region.Level.NATIONAL: 1,
        Region.Level.PROVINCE: 38,
        Region.Level.REGENCY: 514,
        Region.Level.DISTRICT: 7285,
        Region.Level.VILLAGE: 83762,
    }
    kinds = Counter(
        dict(Region.objects.filter(level=Region.Level.VILLAGE).values_list("kind").annotate(n=Count("code")).order_by())
    )
    assert kinds["kelurahan"] == 8496
    assert kinds["desa"] + kinds["desa_adat"] == 75266
    regencies = Counter(
        dict(Region.objects.filter(level=Region.Level.REGENCY).values_list("kind").annotate(n=Count("code")).order_by())
    )
    assert regencies == {"kabupaten": 416, "kota": 98}
    assert first.created + first.unchanged == 91600

    second = regions_load()
    assert (second.created, second.updated, second.unchanged) == (0, 0, 91600)
    assert Region.objects.count() == 91600


@pytest.mark.django_db
def test_reload_restores_a_changed_name_and_leaves_everything_else():
    Region.objects.filter(code="35.26").update(name="Bangkalan (typo)")
    result = regions_load(provinces=["35"])
    assert (result.created, result.updated) == (0, 1)
    assert Region.objects.get(code="35.26").name == "Kabupaten Bangkalan"


@pytest.mark.django_db
def test_province_load_brings_only_that_subtree_and_the_root():
    assert not Region.objects.filter(code="17").exists()
    result = regions_load(provinces=["17"])
    assert Region.objects.get(code="17").name == "Bengkulu"
    assert result.created == Region.objects.filter(code__startswith="17").count()
    assert Region.objects.get(code="17").parent_id == ROOT_CODE
    assert not Region.objects.filter(code__startswith="11").exists()


@pytest.mark.django_db
def test_unknown_province_is_refused_with_its_code():
    with pytest.raises(ValidationFailed, match="99"):
        regions_load(provinces=["99"])


@pytest.mark.django_db
def test_pamekasan_has_189_villages_in_13_districts():
    pamekasan = Region.objects.get(code="35.28")
    assert pamekasan.name == "Kabupaten Pamekasan" and pamekasan.kind == "kabupaten"
    assert Region.objects.filter(parent=pamekasan).count() == 13
    villages = Counter(Region.objects.filter(level=4, code__startswith="35.28.").values_list("kind", flat=True))
    assert villages == {"desa": 178, "kelurahan": 11}


@pytest.mark.django_db
def test_tree_links_parents_and_codes_give_ancestors():
    village = Region.objects.get(code="35.26.02.2001")
    assert (village.name, village.kind, village.parent_id) == ("Socah", "desa", "35.26.02")
    assert village.ancestor_codes() == [ROOT_CODE, "35", "35.26", "35.26.02"]
    assert Region.objects.get(code="35.26").contains("35.26.02.2001")


@pytest.mark.django_db
def test_load_regions_command_reports_counts(capsys):
    call_command("load_regions", "--province", "35")
    out = capsys.readouterr().out
    assert "0 created, 0 updated" in out


@pytest.mark.django_db
def test_villages_per_child_are_cached_until_the_tree_changes(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    from ucj.selectors import villages_per_child

    regions_load(provinces=["35"])
    jatim = Region.objects.get(code="35")
    counted = villages_per_child(region=jatim)
    assert counted["35.28"] == 189  # Pamekasan
    assert sum(counted.values()) == Region.objects.filter(code__startswith="35.", level=Region.Level.VILLAGE).count()
    assert villages_per_child(region=Region.objects.get(code=ROOT_CODE))["35"] == sum(counted.values())
    with django_assert_num_queries(0):
        assert villages_per_child(region=jatim) == counted

    # A reload that changes nothing keeps the counts; one that brings villages counts afresh.
    Region.objects.filter(code__startswith="35.28.", level=Region.Level.VILLAGE).order_by("code").last().delete()
    with django_assert_num_queries(0):
        assert villages_per_child(region=jatim)["35.28"] == 189  # the tree changed behind its back
    with django_capture_on_commit_callbacks(execute=True):  # the version moves once the load commits
        regions_load(provinces=["35"])
    assert villages_per_child(region=jatim)["35.28"] == 189
    with django_capture_on_commit_callbacks(execute=True):
        regions_load(provinces=["35"])
    with django_assert_num_queries(0):
        villages_per_child(region=jatim)
