"""The device work of the touch app's steps, never on the UI thread:

- card events (the reader's poller runs in a thread, drivers.idcard.poller.run; its events reach the UI through
  Clock.schedule_once): a card read starts or resumes a registration, a lost reader shows its failure;
- camera frames are fed to the PhotoSession on a worker thread (ui/photo_feeder.py); a Clock interval shows the
  newest outcome (guidance, progress, preview); a camera error or CAMERA_SILENT_S without a frame is a failure;
- handing the chosen photo to the session (which matches it to a card scanned before), scanning a document and
  printing the form run in threads (background()) and report back through Clock.schedule_once.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kivy.clock import Clock

from kiosk.errors import KioskError
from kiosk.session import PAUSED_PROMPT, Step

from .photo_feeder import PhotoFeeder, warm_models
from .screens import failure as failures

log = logging.getLogger(__name__)

CAMERA_SILENT_S = 5.0  # no frame for this long on the photo step: the camera-silent failure


def background(work: Callable[[], object], done: Callable[[object, Exception | None], None]) -> None:
    """Runs work() in a thread and done(result, error) on the UI thread."""

    def run() -> None:
        try:
            result, error = work(), None
        except Exception as exc:  # noqa: BLE001 - handed to the UI, which shows it
            if not isinstance(exc, KioskError):
                log.exception("background work failed")
            result, error = None, exc
        Clock.schedule_once(lambda _dt: done(result, error))

    threading.Thread(target=run, name="kiosk-work", daemon=True).start()


class DeviceSteps:
    def __init__(self, app):
        self.app = app
        self.feeder: PhotoFeeder | None = None
        self._photo_clock = None
        self._document = None  # (DocumentImage, FaceMatch | None) scanned, not yet used

    def entered(self, step: Step) -> None:
        if step is Step.IDENTITY:  # a card was read: this student's face graphs, while they check and type
            warm_models(self.app.session.policy.photo)
        elif step is Step.PHOTO:
            self.start_photo()
        elif step is Step.PRINT:
            self.print_form()

    def left(self, step: Step | None) -> None:
        if step is Step.PHOTO:
            self.stop_photo()
        elif step is Step.DOCUMENT:
            self._document = None

    # -- card reader ----------------------------------------------------------------------------------------------
    def on_card_event(self, event) -> None:
        from kiosk.devices.card_reader import CardEventKind

        app = self.app
        attract, session = app.sm.get_screen("attract"), app.session
        kind = event.kind
        app.idle.card_present = kind in (CardEventKind.PLACED, CardEventKind.READ, CardEventKind.FAILED)
        if kind is CardEventKind.READER_LOST:  # a reader back within the grace (a hiccup) shows no failure
            attract.reader_status(event.error.message, problem=True)
            app.failures.reader_lost()
        elif kind in (CardEventKind.READER_READY, CardEventKind.REMOVED):
            attract.reader_status("")
            app.failures.reader_back()
            app.failures.recover("card_reader")
        elif kind is CardEventKind.FAILED:
            attract.reader_status(event.error.message, problem=True)
        elif kind in (CardEventKind.PLACED, CardEventKind.READ) and (session.paused or session.operator_present):
            attract.reader_status(PAUSED_PROMPT, problem=True)  # paused or in operator mode: no card is read now
        elif kind is CardEventKind.PLACED:
            attract.reader_status("正在读卡，请不要移动身份证…")
        elif kind is CardEventKind.READ and session.accepts_card:  # mid-registration: not theirs to start
            if not app.field.begin_session():
                attract.reader_status("终端正在升级，请稍候", problem=True)
                return
            attract.reader_status("")
            app.devices.card_read(event.card)  # the simulated document camera shows the card just read
            app.act("card_read", event.card, app.category)

    # -- photo ------------------------------------------------------------------------------------------------------
    def start_photo(self) -> None:
        self.stop_photo()
        app = self.app
        self.feeder = PhotoFeeder(app.devices.open_camera, app.session.policy.photo,
                                  realtime=app.realtime_camera).start()
        self._photo_clock = Clock.schedule_interval(self._photo_poll, 1 / 30)

    def stop_photo(self) -> None:
        if self._photo_clock is not None:
            self._photo_clock.cancel()
            self._photo_clock = None
        if self.feeder is not None:
            feeder, self.feeder = self.feeder, None
            threading.Thread(target=feeder.stop, name="photo-feeder-stop", daemon=True).start()

    def _photo_poll(self, _dt) -> None:
        from kiosk.photo import Phase

        app = self.app
        feeder, screen = self.feeder, app.sm.get_screen("photo")
        if feeder is None or app.failures.current is not None or screen.is_saving:
            return
        if feeder.error or feeder.silent_for >= CAMERA_SILENT_S:
            failure = failures.camera_error(feeder.error) if feeder.error else failures.camera_silent(CAMERA_SILENT_S)
            self.stop_photo()
            app.failures.fail(failure)
            return
        latest = feeder.take()
        if latest is None:
            return
        state, preview = latest
        if state.code != "no_face":  # someone follows the guidance: activity, though nobody touches
            app.session.touch()
        if state.phase is Phase.REVIEW:
            screen.show_shots(feeder.shots(), feeder.can_retake, state.message)
        else:
            screen.show_frame(state, preview)

    def photo_retake(self) -> None:
        try:
            self.feeder.retake()
        except KioskError as exc:
            self.app.current_screen.show_message(exc.message)
            return
        self.app.sm.get_screen("photo").show_live()

    def photo_use(self, index: int, confirmed: list[str]) -> None:
        """The chosen shot to the session, off the UI thread: a photo retaken after the ID card was scanned is
        matched against the card's portrait inside photo_taken (about 0.5 s). The screen shows it is saving (and
        is exempt from the idle wipe meanwhile); the outcome is shown on the UI thread."""
        app = self.app
        screen = app.sm.get_screen("photo")
        try:
            photo = self.feeder.choose(index)
        except KioskError as exc:
            screen.show_message(exc.message)
            return
        app.hide_keyboard()
        screen.saving(True)
        session = app.session

        def done(_step, error) -> None:
            screen.saving(False)
            if app._shown is not Step.PHOTO:
                return  # the app showed another step meanwhile: nothing to show here
            if error is not None:
                screen.show_message(error.message if isinstance(error, KioskError) else "照片保存失败，请重试")
            app.refresh()

        background(lambda: session.photo_taken(photo, confirmed), done)

    # -- document -------------------------------------------------------------------------------------------------
    def document_scan(self) -> None:
        from kiosk.document import make_document

        app = self.app
        screen = app.sm.get_screen("document")
        screen.busy()
        session, scanner = app.session, app.devices.scanner
        id_number, spec = session.record.id_number, session.policy.document

        def scan():
            try:
                image = scanner.scan()
            except Exception as exc:  # noqa: BLE001 - the device failed, not the picture
                return exc, None
            document = make_document(image, id_number, spec)
            return None, (document, session.face_match(document))  # the match here, off the UI thread

        def done(result, error) -> None:
            if app.session.step is not Step.DOCUMENT:
                return
            device_error, scanned = result or (None, None)
            if device_error is not None:
                if not isinstance(device_error, KioskError):
                    log.error("scanner failed", extra={"fields": {"error": type(device_error).__name__}})
                screen.show_document(None)
                app.failures.fail(failures.scanner_error(getattr(device_error, "message", "")))
                return
            if error is not None:
                screen.show_document(None, error.message if isinstance(error, KioskError) else "扫描失败，请重试")
                return
            self._document = scanned
            screen.show_document(scanned[0].image)

        background(scan, done)

    def document_use(self) -> None:
        if self._document is not None:
            self.app.act("document_scanned", *self._document)  # (document, its face match)

    # -- print ----------------------------------------------------------------------------------------------------
    def print_form(self) -> None:
        """The session prints (off the UI thread); the screen shows its outcome."""
        app = self.app
        screen = app.sm.get_screen("print")
        screen.busy()
        session, printer = app.session, app.devices.printer

        def done(_step, error) -> None:
            if error is not None or session.step is Step.PRINT:
                job = session.print_outcome.job if session.print_outcome else None
                student = error.message if isinstance(error, KioskError) else session.errors.get("print", "")
                screen.failed(student)
                app.failures.fail(failures.printer_failed(student, job.operator_alert if job else ""))
            app.refresh()

        background(lambda: session.print_form(printer), done)


__all__ = ["CAMERA_SILENT_S", "DeviceSteps", "background"]
