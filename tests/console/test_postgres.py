"""The console's queries on PostgreSQL (production's database): scopes, statistics by local day, lists, export,
and request text PostgreSQL cannot hold (NUL) refused without a 5xx."""
from __future__ import annotations

import zipfile

from consoleutil import Client, id_number

from central.console import export, progress
from central.console.scope import Scope


def test_console_on_postgresql(pg_console, tmp_path):
    console = pg_console
    number = id_number()
    mine, _ = console.push(number=number)
    console.push(state="printed", school="4114030013")
    console.push(school="4114020001")
    point = console.terminal("P411403001", "411403", role="point")
    _, conflict = console.push(number=number, terminal=point, category="return_hukou", claims=[])
    with console.central.sessions() as s:
        county = progress.overview(s, Scope("county", "411403"))
        assert county["total"] == 3 and county["days"][-1][1] == 3
        assert progress.overview(s, Scope("point", "P411403001"))["total"] == 1
    c = Client(console.url)
    assert c.login("county").status_code == 303
    assert mine.identity["name"] in c.get("/students?school=4114030012").text
    for path in ("/", "/pending", "/fleet", "/reviews", "/conflicts", "/corrections", f"/conflicts/{conflict.conflict_id}"):
        assert c.get(path).status_code == 200, path
    assert c.get("/records/%00abc").status_code == 404
    assert c.get("/students?school=%00").status_code == 200
    assert c.post("/login", data={"username": "a\x00b", "password": "x"}).status_code == 401
    assert c.post(f"/conflicts/{conflict.conflict_id}/resolve", {"decision": "keep_held", "reason": "重复\x00报名"}
                  ).status_code == 303
    count, problems = export.run_check(console.central, Scope("county", "411403"), "id_number")
    assert (count, problems) == (1, [])  # the voided duplicate is not exported
    out = tmp_path / "x.zip"
    export.write_file(console.central.sessions, console.central.storage, Scope("county", "411403"), out)
    with zipfile.ZipFile(out) as archive:
        assert f"photos/{number}.jpg" in archive.namelist()
    c.http.close()
