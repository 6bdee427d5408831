"""The `kiosk` command as scripts use it: real subprocesses, JSON on stdout, exit codes."""
import json
import subprocess
import sys

import pytest


def kiosk(*args):
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], capture_output=True, text=True, timeout=60)


def test_id_check_valid_json():
    result = kiosk("id", "check", "41140320090315003X", "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data == {"valid": True, "id_number": "41140320090315003X", "birth_date": "2009-03-15", "gender": "男",
                    "region": "河南省睢阳区", "errors": []}


def test_id_check_invalid_exit_1_with_chinese_errors():
    result = kiosk("id", "check", "411403200903150031", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["errors"] == ["身份证号码校验位不正确，请核对号码"]
    assert "无效" in kiosk("id", "check", "12345").stdout


def test_policy_list():
    data = json.loads(kiosk("policy", "list", "--json").stdout)
    names = {p["name"]: [c["code"] for c in p["categories"]] for p in data["policies"]}
    assert names == {"shangqiu-2023": ["grade9", "return_hukou", "social", "grade8"],
                     "henan-2024": ["grade9", "return_hukou", "grade8"]}


@pytest.mark.parametrize("at, is_open", [("2024-04-01T08:59", False), ("2024-04-01T09:00", True),
                                         ("2024-04-07T16:59", True), ("2024-04-07T17:00", False)])
def test_policy_window(at, is_open):
    result = kiosk("policy", "window", "--policy", "henan-2024", "--role", "point", "--category", "return_hukou",
                   "--at", at, "--json")
    data = json.loads(result.stdout)
    assert data["open"] is is_open and result.returncode == (0 if is_open else 1)
    assert set(data) >= {"open", "reason", "next_open"}
    if at == "2024-04-01T08:59":
        assert data["next_open"] == "2024-04-01T09:00:00+08:00"


def test_errors_are_chinese_on_stderr():
    result = kiosk("policy", "window", "--policy", "nope", "--role", "school", "--category", "grade9")
    assert result.returncode == 1 and "找不到采集政策" in result.stderr
    bad_time = kiosk("policy", "window", "--policy", "henan-2024", "--role", "school", "--category", "grade9",
                     "--at", "yesterday")
    assert bad_time.returncode == 1 and "时间格式不正确" in bad_time.stderr
