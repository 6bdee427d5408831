"""A photo retaken after the ID card was scanned is matched against the card's portrait inside session.photo_taken
(about 0.5 s): the touch app hands it to the session off the UI thread, showing that it saves, and shows the
outcome on the UI thread. The matcher is slowed through the session's own seam (its face_matcher)."""
import sys
import threading
from pathlib import Path


from kivy.clock import Clock

sys.path.insert(0, str(Path(__file__).parent))
from uiflow import lay_card, walk_to  # noqa: E402

from kiosk.session import Step  # noqa: E402


def retake_after_scan(d):
    """The card scanned, then 修改 on the photo from review: a new shot with every question answered."""
    lay_card(d)
    walk_to(d, Step.REVIEW)
    d.tap(d.screen.edit_buttons[Step.PHOTO])
    d.on("photo")
    photo = d.screen
    d.until(lambda: photo._mode == "review", 30, "a shot")
    for question in photo.confirmations:
        d.tap(question)
    return photo


def test_retaken_photo_is_matched_off_the_ui_thread(kiosk_ui):
    d, app = kiosk_ui, kiosk_ui.app
    photo = retake_after_scan(d)

    session, real = app.session, app.session.face_matcher
    matching, ui_ticked, seen, matched = threading.Event(), threading.Event(), [], []

    def slow_matcher(photo_jpeg, card_jpeg):
        matching.set()
        ui_ticked.wait(3)  # a UI thread blocked by the match never ticks: this waits out the 3 s
        matched.append(real(photo_jpeg, card_jpeg))
        return matched[-1]

    def tick(_dt):
        if matching.is_set() and not ui_ticked.is_set():
            seen.append((photo.general_error.text, photo.use_button.disabled, photo.exit_button.disabled,
                         photo.idle_exempt, app.sm.current))
            ui_ticked.set()

    session.face_matcher = slow_matcher
    clock = Clock.schedule_interval(tick, 0)
    try:
        d.tap(photo.use_button)
        d.on("review", timeout=20)
    finally:
        clock.cancel()
    assert seen, "no Clock tick reached the UI thread while the photo was matched"
    message, use_disabled, exit_disabled, exempt, shown = seen[0]
    assert "正在保存照片" in message and use_disabled and exit_disabled and exempt and shown == "photo"
    assert not photo.is_saving and not photo.idle_exempt
    assert len(matched) == 1  # the retaken photo was matched to the scanned card


def test_retaken_photo_matching_the_card_is_stored(kiosk_ui):
    d, app = kiosk_ui, kiosk_ui.app
    photo = retake_after_scan(d)
    index = photo.chosen_index()
    chosen = app.work.feeder.choose(index)
    app.session.photo_taken(chosen, [c.code for c in photo.confirmations])  # the same call photo_use hands off
    record = app.session.record
    assert app.session.step is Step.REVIEW and record.photo_sha256
    assert not [n for n in record.operator_notes if n.source == "document" and n.code.startswith("face_")]
