"""Config pull (policy, schools, roster by role), heartbeat and self-test upload."""
from __future__ import annotations

from central import models, terminals
from kiosk.policy import load_policies
from kiosk.sync import send_self_test
from kiosk.wire import SelfTestCheck, SelfTestReport

SCHOOLS = [{"code": "4114030012", "name": "商丘市第一初级中学", "county_code": "411403"},
           {"code": "4114030013", "name": "商丘市第二初级中学", "county_code": "411403"},
           {"code": "4101020001", "name": "郑州市某中学", "county_code": "410102"}]
ROSTER = [{"student_number": "G411403200903150011", "id_number": "411403200903150011", "name": "张三",
           "school_code": "4114030012"},
          {"student_number": "G411403200903150022", "id_number": "411403200903150022", "name": "李四",
           "school_code": "4114030013"}]


def test_config_pull_by_role_and_offline_copy(server, make_kiosk):
    server.central.write(lambda s: terminals.load_schools(s, SCHOOLS, ROSTER, server.central.data_keys))
    school, point = make_kiosk(server), make_kiosk(server, role="point", school="P411403")
    assert school.worker.pull_config() is True
    config = school.worker.config.last_good()
    assert [s.code for s in config.schools] == ["4114030012", "4114030013"]  # the county's schools
    assert [r.student_number for r in config.roster] == ["G411403200903150011"]  # only its own school
    assert set(load_policies(school.worker.config.policy_dir)) >= {"henan-2024"}
    assert school.worker.pull_config() is False  # unchanged: 304
    assert point.worker.pull_config() is True and point.worker.config.last_good().roster == []
    server.stop()  # offline: the last good copy stays usable
    assert school.worker.pull_config() is False
    assert school.worker.config.last_good().roster[0].name == "张三"


def test_heartbeat_and_self_test(server, make_kiosk):
    kiosk = make_kiosk(server, peripherals=lambda: {"card_reader": "ok", "printer": "paper_out"})
    kiosk.new_record()
    assert kiosk.worker.send_heartbeat()
    with server.session() as s:
        terminal = s.get(models.Terminal, kiosk.identity.terminal_id)
        assert terminal.outbox_depth == 1 and terminal.peripherals["printer"] == "paper_out"
    report = SelfTestReport(app_version="test", checks=[SelfTestCheck(name="printer", ok=False, detail="no paper")])
    assert send_self_test(kiosk.client, report)
    assert server.count(models.SelfTest, ok=False) == 1
