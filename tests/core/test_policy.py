import datetime as dt
import json

import pytest
from zoneinfo import ZoneInfo

from kiosk.policy import get_policy, load_policies, window_status

TZ = ZoneInfo("Asia/Shanghai")
MINUTE = dt.timedelta(minutes=1)

# (policy, category, role where it is collected, start, end) straight from the notices
WINDOWS = [
    ("henan-2024", "grade9", "school", "2024-03-04T09:00", "2024-03-31T17:00"),
    ("henan-2024", "return_hukou", "point", "2024-04-01T09:00", "2024-04-07T17:00"),
    ("henan-2024", "grade8", "school", "2024-04-08T09:00", "2024-04-30T17:00"),
    ("shangqiu-2023", "grade9", "school", "2023-03-06T09:00", "2023-03-25T17:00"),
    ("shangqiu-2023", "return_hukou", "point", "2023-03-26T09:00", "2023-03-31T17:00"),
    ("shangqiu-2023", "social", "point", "2023-03-26T09:00", "2023-03-31T17:00"),
    ("shangqiu-2023", "grade8", "school", "2023-04-01T09:00", "2023-04-20T17:00"),
]


@pytest.mark.parametrize("name, category, role, start, end", WINDOWS)
def test_window_edges(name, category, role, start, end):
    policy = get_policy(name)
    start = dt.datetime.fromisoformat(start).replace(tzinfo=TZ)
    end = dt.datetime.fromisoformat(end).replace(tzinfo=TZ)
    before = window_status(policy, role, category, start - MINUTE)
    assert not before.open and before.next_open == start and "尚未开始" in before.reason
    assert window_status(policy, role, category, start).open
    assert window_status(policy, role, category, start + MINUTE).open
    last = window_status(policy, role, category, end - MINUTE)
    assert last.open and last.closes == end
    at_end = window_status(policy, role, category, end)
    assert not at_end.open and at_end.next_open is None and "已于" in at_end.reason
    assert not window_status(policy, role, category, end + MINUTE).open


@pytest.mark.parametrize("name, category, role, start, end", WINDOWS)
def test_wrong_role_is_refused_with_where_to_go(name, category, role, start, end):
    policy = get_policy(name)
    other = "point" if role == "school" else "school"
    inside = dt.datetime.fromisoformat(start).replace(tzinfo=TZ) + dt.timedelta(hours=1)
    status = window_status(policy, other, category, inside)
    assert not status.open and ("指定报名点" in status.reason or "学校" in status.reason or "报名点" in status.reason)


def test_return_hukou_only_at_designated_points():
    status = window_status(get_policy("henan-2024"), "school", "return_hukou",
                           dt.datetime(2024, 4, 2, 10, tzinfo=TZ))
    assert not status.open and "指定报名点" in status.reason


def test_other_timezones_are_converted():
    # 01:00 UTC is 09:00 in Shanghai: the grade 9 window of 2024 opens
    at = dt.datetime(2024, 3, 4, 1, 0, tzinfo=dt.timezone.utc)
    assert window_status(get_policy("henan-2024"), "school", "grade9", at).open
    assert not window_status(get_policy("henan-2024"), "school", "grade9", at - MINUTE).open


def test_social_category_exists_only_where_the_notice_has_it():
    status = window_status(get_policy("henan-2024"), "point", "social", dt.datetime(2024, 4, 2, 10, tzinfo=TZ))
    assert not status.open and "无此报考类别" in status.reason


def test_specs_from_the_notices():
    for policy in load_policies().values():
        assert (policy.photo.width, policy.photo.height, policy.photo.min_dpi) == (450, 600, 300)
        assert policy.photo.max_bytes == 30000 and abs(policy.photo.head_ratio - 2 / 3) < 0.001
        assert (policy.document.width, policy.document.height, policy.document.max_bytes) == (800, 600, 50000)
        assert policy.document.filename.format(id_number="X") == "X.jpg"


def test_a_new_year_is_only_a_data_file(tmp_path, monkeypatch):
    data = json.loads(json.dumps(get_policy("henan-2024").model_dump(mode="json")))
    data["name"], data["year"] = "henan-2025", 2025
    data["categories"][0]["windows"] = [{"start": "2025-03-03T09:00", "end": "2025-03-31T17:00"}]
    (tmp_path / "henan-2025.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("KIOSK_POLICY_DIR", str(tmp_path))
    policy = get_policy("henan-2025")
    assert window_status(policy, "school", "grade9", dt.datetime(2025, 3, 3, 9, tzinfo=TZ)).open
    assert "henan-2024" in load_policies()


def test_unknown_policy_is_a_chinese_error():
    from kiosk.errors import KioskError
    with pytest.raises(KioskError, match="找不到采集政策"):
        get_policy("henan-1999")
