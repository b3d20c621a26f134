from villages.models import Village


def test_chair_sees_only_own_village(district, chair_a):
    assert list(Village.objects.restrict(chair_a, "view")) == [district.village_a1]
