import factory
from django.contrib.auth import get_user_model

from ucj.models import Assignment, Role

PASSWORD = "test-pass-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    user = factory.SubFactory(UserFactory)
    role = Role.FIELD_OFFICER
    region_id = "35.26.01"


def user_with(role: str, *codes: str, username: str | None = None):
    user = UserFactory(**({"username": username} if username else {}))
    for code in codes:
        AssignmentFactory(user=user, role=role, region_id=code)
    return user
