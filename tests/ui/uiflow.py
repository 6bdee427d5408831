"""Helpers for the failure and idle tests: the student's card laid by touch, then the steps the test is not about
walked through the session's own methods (the full touch flow is test_app.py), and the whole widget tree read."""
from __future__ import annotations

from kiosk.session import Step


def lay_card(d) -> None:
    d.on("attract")
    d.tap(d.screen.simulate_button)
    d.on("identity")


def walk_to(d, target: Step) -> None:
    """From the current step to `target` through the session's methods, the app showing each step."""
    from kiosk.record import example_record

    app = d.app
    s, example = app.session, example_record(app.kiosk.clock().date())
    steps = [
        (Step.IDENTITY, s.confirm_identity),
        (Step.CATEGORY, lambda: s.set_category(school_name=app.terminal_config.school_name)),
        (Step.GUARDIANS, lambda: s.set_guardians(example.guardians)),
        (Step.HISTORY, lambda: s.set_history(example.study_history)),
        (Step.CONTACT, lambda: s.set_contact(example.contact_phone, example.home_address)),
        (Step.PHOTO, lambda: _photo_taken(app)),
        (Step.DOCUMENT, lambda: _document_scanned(app)),
        (Step.REVIEW, s.confirm_review),
        (Step.PASSWORD, lambda: s.set_password("Kaoshi2024ok", "Kaoshi2024ok")),
    ]
    order = [step for step, _ in steps]
    for step, advance in steps[order.index(s.step):]:
        if s.step is target:
            break
        assert s.step is step, (s.step, step, s.errors)
        app.work.stop_photo()
        advance()
        assert not s.errors, s.errors
    app.refresh()
    d.on(target.value if target is not Step.PRINT else "print", timeout=20)


def _photo_taken(app):
    """The scripted demo student in front of a PhotoSession, as the robot takes it."""
    from drivers.camera.demo import demo_camera
    from ui.robot import take_photo

    photo = take_photo(demo_camera(), app.session.policy.photo, lambda _m: None)
    return app.session.photo_taken(photo, [c.code for c in photo.confirmations])


def _document_scanned(app):
    from kiosk.document import make_document

    s = app.session
    return s.document_scanned(make_document(app.devices.scanner.scan(), s.record.id_number, s.policy.document))


def texts(app) -> list[str]:
    """Every text of every widget: each screen (shown or not), whatever lies on the window, the keyboard."""
    from kivy.core.window import Window

    roots = list(app.sm.screens) + list(Window.children)
    if app.keyboard is not None:
        roots.append(app.keyboard)
    found = []
    for root in roots:
        for widget in root.walk(restrict=True):
            for attr in ("text", "hint_text"):
                value = getattr(widget, attr, None)
                if isinstance(value, str) and value:
                    found.append(value)
    return found


def personal_strings(record) -> list[str]:
    values = [record.name, record.id_number, record.id_number[-6:], record.card.address, record.contact_phone,
              record.home_address]
    for g in record.guardians:
        values += [g.name, g.phone]
    return [v for v in values if v]
