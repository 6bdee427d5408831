"""Scope on every write (issue #10): a school terminal submits its own school only, a registration point its own
county only, each only the categories its role may take; refusals are `rejected` with a code, a Chinese message
and an audit row, and the terminal keeps the record without retrying it."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from central import models, terminals
from kiosk.wire import API, MESSAGES, PushItem, PushRequest, PushResponse
from tests.support.central import signed_post

SCHOOLS = [{"code": "4114030012", "name": "商丘市第一初级中学", "county_code": "411403"},
           {"code": "4114030013", "name": "商丘市第二初级中学", "county_code": "411403"},
           {"code": "4101020001", "name": "郑州市某中学", "county_code": "410102"}]


def _push(kiosk, record):
    item = PushItem(record=record, photo=kiosk.store.attachment(record.record_id, "photo"),
                    document=kiosk.store.attachment(record.record_id, "document"))
    response = kiosk.client.post(f"{API}/records", content=PushRequest(items=[item]).model_dump_json(),
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    return PushResponse.model_validate_json(response.content).results[0]


CASES = [  # role, terminal school, record school, category, policy -> outcome code ("" = created)
    ("school", "4114030012", "4114030012", "grade9", "henan-2024", ""),
    ("school", "4114030012", "4114030013", "grade9", "henan-2024", "other_school"),
    ("school", "4114030012", "4101020001", "grade9", "henan-2024", "other_school"),
    ("school", "4114030012", "4114030012", "return_hukou", "henan-2024", "category_not_allowed"),
    ("point", "P411403", "4114030013", "return_hukou", "henan-2024", ""),
    ("point", "P411403", "4114039999", "return_hukou", "henan-2024", ""),  # unknown school: county by code
    ("point", "P411403", "", "social", "shangqiu-2023", ""),  # no school: registers at the point
    ("point", "P411403", "4101020001", "return_hukou", "henan-2024", "other_county"),
    ("point", "P411403", "4101029999", "return_hukou", "henan-2024", "other_county"),
    ("point", "P411403", "4114030013", "grade9", "henan-2024", "category_not_allowed"),
    ("point", "P411403", "4114030013", "return_hukou", "nowhere-2099", "unknown_policy"),
    ("point", "P411403", "4114030013", "astronaut", "henan-2024", "unknown_category"),
]


@pytest.mark.parametrize("role,own,school,category,policy,code", CASES)
def test_every_pairing(server, make_kiosk, role, own, school, category, policy, code):
    server.central.write(lambda s: terminals.load_schools(s, SCHOOLS, [], server.central.data_keys))
    kiosk = make_kiosk(server, role=role, school=own)
    record = kiosk.new_record(school_code=school, category=category, policy=policy)
    result = _push(kiosk, record)
    assert (result.outcome, result.code) == (("created", "") if not code else ("rejected", code))
    if code:
        assert result.message == MESSAGES[code] and result.message.isascii() is False
        assert server.count(models.Record) == 0
        assert server.count(models.TerminalAudit, code=code, terminal_id=kiosk.identity.terminal_id) == 1


def test_worker_keeps_a_rejected_record_and_stops_retrying(server, make_kiosk):
    kiosk = make_kiosk(server)
    record = kiosk.new_record(school_code="4114030013")  # another school
    assert kiosk.worker.drain() == 0
    status = kiosk.worker.status()
    assert MESSAGES["other_school"] in status.last_error and MESSAGES["other_school"] in status.message
    assert kiosk.store.get(record.record_id).record_id == record.record_id  # kept
    assert kiosk.store.outbox_depth() == 1
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=365)
    assert kiosk.store.outbox_due(later) == []  # never due again: no retry loop
    assert kiosk.worker.drain() == 0 and server.count(models.TerminalAudit) == 1  # nothing resent


def test_heartbeat_and_self_test_are_the_signers_only(server, make_kiosk):
    a, b = make_kiosk(server), make_kiosk(server)
    body = json.dumps({"app_version": "1", "outbox_depth": 0, "terminal_id": b.identity.terminal_id}).encode()
    assert signed_post(a.identity, server.url, f"{API}/heartbeat", body).status_code == 422
    body = json.dumps({"app_version": "1", "outbox_depth": 3}).encode()
    assert signed_post(a.identity, server.url, f"{API}/heartbeat", body).status_code == 200
    with server.session() as s:
        assert s.get(models.Terminal, a.identity.terminal_id).outbox_depth == 3
        assert s.get(models.Terminal, b.identity.terminal_id).outbox_depth == 0
