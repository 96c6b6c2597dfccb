"""Areas: ISO codes with names in three languages from maintained sources."""

from __future__ import annotations

import pytest

from keruen.areas import area, group_members, is_aggregate, name
from keruen.errors import UnknownAreaError


@pytest.mark.parametrize(("code", "ru", "kk"), [
    ("KAZ", "Казахстан", "Қазақстан"),
    ("UZB", "Узбекистан", "Өзбекстан"),
    ("KZ-47", "Мангистауская область", "Маңғыстау облысы"),
])
def test_names_in_three_languages(code: str, ru: str, kk: str) -> None:
    assert name(code, "ru") == ru and name(code, "kk") == kk
    assert name(code, "en") not in (ru, kk)


def test_world_bank_aggregates_are_told_apart_from_countries() -> None:
    assert is_aggregate("LMY") and is_aggregate("ECS")
    assert not is_aggregate("KAZ") and area("KAZ").kind == "country"


def test_groups_and_unknown_codes() -> None:
    assert set(group_members("central_asia")) == {"KAZ", "KGZ", "TJK", "TKM", "UZB"}
    assert len(group_members("post_soviet")) == 15
    with pytest.raises(UnknownAreaError, match="valid groups: .*central_asia"):
        group_members("silk_road")
    with pytest.raises(UnknownAreaError, match="'ZZZ'"):
        area("ZZZ")
