import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from tests.factories import UserFactory, user_with
from ucj import scope
from ucj.models import ROOT_CODE, Assignment, Region, Role, code_in_subtree


def test_subtree_match_needs_the_dot_so_3526_does_not_contain_35261():
    assert code_in_subtree("35.26.01", "35.26")
    assert code_in_subtree("35.26", "35.26")
    assert not code_in_subtree("35.261", "35.26")
    assert not code_in_subtree("35", "35.26")
    assert code_in_subtree("51.03", ROOT_CODE)


@pytest.mark.django_db
def test_a_user_without_assignments_sees_nothing():
    user = UserFactory()
    assert scope.regions_for(user).count() == 0
    with pytest.raises(Http404):
        scope.get_region_or_404(user, "35.26")


@pytest.mark.django_db
def test_an_inactive_user_sees_nothing(clerk):
    clerk.is_active = False
    scope.forget(clerk)
    assert scope.regions_for(clerk).count() == 0


@pytest.mark.django_db
def test_clerk_sees_exactly_the_bangkalan_subtree(clerk):
    codes = set(scope.regions_for(clerk).values_list("code", flat=True))
    assert codes == set(Region.objects.filter(code__startswith="35.26").values_list("code", flat=True))
    assert "35.26" in codes and "35" not in codes and "51.03" not in codes
    with pytest.raises(Http404):
        scope.get_region_or_404(clerk, "51.03")
    with pytest.raises(Http404):
        scope.get_region_or_404(clerk, "35")


@pytest.mark.django_db
def test_overlapping_assignments_collapse_to_the_widest():
    user = user_with(Role.SUPERVISOR, "35", "35.26", username="s")
    assert scope.root_codes(user) == ["35"]


@pytest.mark.django_db
def test_officer_of_two_districts_sees_both_and_no_third(officer):
    assert scope.root_codes(officer) == ["35.26.01", "35.26.02"]
    assert scope.can_see_code(officer, "35.26.02.2001")
    assert not scope.can_see_code(officer, "35.26.03")
    assert scope.widest_region_code(officer) is None


@pytest.mark.django_db
def test_region_filter_works_on_foreign_key_columns_without_a_join(clerk, outsider):
    rows = scope.visible(clerk, Assignment.objects.all(), "region__code")
    assert set(rows.values_list("region_id", flat=True)) == {"35.26"}
    assert "JOIN" not in str(rows.query).upper()
    assert not scope.visible(outsider, Assignment.objects.filter(region_id="35.26")).exists()


@pytest.mark.django_db
def test_roles_apply_only_inside_their_region(clerk, officer):
    scope.require_role(clerk, Role.LABOUR_OFFICE, region_code="35.26.05.2001")
    with pytest.raises(PermissionDenied):
        scope.require_role(clerk, Role.LABOUR_OFFICE, region_code="51.03")
    with pytest.raises(PermissionDenied):
        scope.require_role(officer, Role.LABOUR_OFFICE, region_code="35.26.01")


@pytest.mark.django_db
def test_a_superuser_is_a_national_administrator():
    user = UserFactory(is_superuser=True)
    assert scope.root_codes(user) == [ROOT_CODE]
    assert scope.can_see_code(user, "51.03")


@pytest.mark.django_db
def test_visible_with_ancestors_adds_the_regions_above_but_not_the_neighbours(officer, outsider):
    regions = Region.objects.filter(code__in=["35", "35.26", "35.26.02", "35.26.03", "35.27", "51.03"])
    assert set(scope.visible_with_ancestors(officer, regions, "code").values_list("code", flat=True)) == {
        "35",
        "35.26",
        "35.26.02",
    }
    assert set(scope.visible_with_ancestors(outsider, regions, "code").values_list("code", flat=True)) == {"51.03"}
