"""When a failure is shown and when it is over: the failure screen (ui/screens/failure.py, which also holds the
failures as data) lies over the step, which keeps everything typed; 呼叫工作人员 flags the terminal in the
heartbeat (what failed, never who) until the failure ends. A reader lost for longer than READER_GRACE_S shows its
failure; a reader back within the grace (a hiccup) shows nothing.
"""
from __future__ import annotations

import logging

from kivy.clock import Clock

from kiosk.session import Step

from .screens import failure as failures

log = logging.getLogger(__name__)

READER_GRACE_S = 2.0  # a reader lost for longer than this shows the failure screen


class FailureControl:
    def __init__(self, app):
        self.app = app
        self.current: failures.Failure | None = None  # shown over the step
        self._reader_lost = None

    @property
    def screen(self):
        return self.app.sm.get_screen("failure")

    def fail(self, failure: failures.Failure) -> None:
        """Shows the failure screen over the current step (which keeps everything typed)."""
        app = self.app
        app.hide_keyboard()
        self.current = failure
        self.screen.show(failure)
        app.sm.current = "failure"
        app.speak(failure.title)
        log.warning("failure shown", extra={"fields": {"kind": failure.kind, "step": app.session.step.value}})

    def recover(self, kind: str | None = None) -> None:
        """The failure is over (the device is back, or a retry starts): back to the step as it was left."""
        if self.current is None or (kind is not None and self.current.kind != kind):
            return
        self.current = None
        self.app.kiosk.core.call_staff("")
        self.app.sm.current = self.app.session.step.value
        self.app.refresh()

    def retry(self) -> None:
        """The failure screen's retry: the device work of the step starts again."""
        failure, app = self.current, self.app
        if failure is None:
            return
        self.recover()
        step, work = app.session.step, app.work
        if failure.kind in ("camera", "camera_silent") and step is Step.PHOTO:
            app.sm.get_screen("photo").enter(app.session)
            work.start_photo()
        elif failure.kind == "scanner" and step is Step.DOCUMENT:
            work.document_scan()
        elif failure.kind == "printer" and step is Step.PRINT:
            work.print_form()

    def call_staff(self) -> None:
        failure = self.current
        self.app.kiosk.core.call_staff(f"{failure.kind}: {failure.title}" if failure else "help")
        self.screen.staff_called()

    def clear(self) -> None:
        """A new student comes next: no failure, no staff call; a lost reader stays on screen (nobody can start
        until it is back)."""
        lost = self.current is not None and self.current.kind == "card_reader"
        self.current = None
        self.app.kiosk.core.call_staff("")
        if lost:
            self.fail(failures.reader_lost(mid_flow=False))

    def seal_broken(self) -> None:
        self.fail(failures.seal_broken())
        self.call_staff()

    # -- the card reader ----------------------------------------------------------------------------------------
    def reader_lost(self) -> None:
        self.reader_back()
        self._reader_lost = Clock.schedule_once(lambda _dt: self.fail(failures.reader_lost(
            mid_flow=self.app.session.step is not Step.ATTRACT)), READER_GRACE_S)

    def reader_back(self) -> None:
        if self._reader_lost is not None:
            self._reader_lost.cancel()
            self._reader_lost = None

    def stop(self) -> None:
        self.reader_back()


__all__ = ["READER_GRACE_S", "FailureControl"]
