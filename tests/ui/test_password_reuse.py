"""The password screen refuses a password another student of the school already uses (issue #13 item 6): the
demo terminal pulls its school's key and fingerprints from the embedded central; the student types on the
on-screen keyboard and sees the refusal, which does not say whose password it is."""
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from uiflow import lay_card, walk_to  # noqa: E402

from kiosk.session import Step  # noqa: E402

TAKEN = "Taken2024pw"


def test_a_password_another_student_uses_is_refused_on_screen(kiosk_ui):
    from central import models
    from central.keys import school_key
    from kiosk.password_reuse import REUSED
    from kiosk.wire import password_fingerprint, student_tag

    d, app = kiosk_ui, kiosk_ui.app
    central, school = app.kiosk.demo.server.central, app.kiosk.station.school_code
    assert app.kiosk.core.pulled.passwords.key is not None  # the school's key came with the config

    def another_student(session):  # what central holds after another student of the school registered
        key = school_key(session, central.data_keys, school)
        session.add(models.PasswordFingerprint(record_id=str(uuid.uuid4()), school_code=school, id_number="x" * 64,
                                               student=student_tag(key, "110101200901010011"),
                                               fingerprint=password_fingerprint(key, TAKEN)))

    central.write(another_student)
    app.kiosk.worker.pull_config()
    d.until(lambda: len(app.kiosk.core.pulled.passwords) == 1, 10, "the fingerprints pulled")

    lay_card(d)
    walk_to(d, Step.PASSWORD)
    d.type(d.screen.first, TAKEN)
    d.type(d.screen.second, TAKEN)
    d.tap(d.screen.next_button)
    assert app.session.step is Step.PASSWORD and d.screen.second.error == REUSED
    assert d.screen.first.input.text == "" and d.screen.second.input.text == ""
    d.screenshot("password-reused")
    d.type(d.screen.first, "Mine2024pwd")
    d.type(d.screen.second, "Mine2024pwd")
    d.tap(d.screen.next_button)
    d.until(lambda: app.sm.current in ("print", "done"), 10, "print")
    assert app.session.record.password_fingerprint == password_fingerprint(
        app.kiosk.core.pulled.passwords.key, "Mine2024pwd")
