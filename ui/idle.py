"""The idle timeout of the touch app: a one-second Clock tick, a countdown over the screen in its last
IDLE_WARNING seconds (继续 to stay, ui/overlays.py), then the app's wipe (every personal field gone from memory and
widgets).

Touches and keys are activity (the app forwards them), and so are a card lying on the reader and a face following
the photo guidance (ui/device_steps.py touches the session). Printing, a failure waiting for the staff and screens
marked `idle_exempt` (operator mode) never time out.
"""
from __future__ import annotations

import logging
import math

from kiosk.session import Step

from .overlays import IdleCountdown

log = logging.getLogger(__name__)

IDLE_WARNING = 20  # seconds of countdown shown before the idle wipe


class IdleWatch:
    def __init__(self, app):
        self.app = app
        self.warning = IDLE_WARNING
        self.card_present = False  # a card lying on the reader counts as activity
        self.countdown = IdleCountdown(self.stay)

    def activity(self, *_args) -> None:
        """Any touch or key counts as activity for the idle timeout, not only finished steps."""
        if self.app.session is not None:
            self.app.session.touch()

    @property
    def exempt(self) -> bool:
        """Printing, a failure waiting for the staff and operator screens never time out."""
        app = self.app
        failure = app.failures.current
        return (app.session.step is Step.PRINT or (failure is not None and failure.waits_for_operator)
                or getattr(app.current_screen, "idle_exempt", False))

    def left(self) -> float | None:
        """Seconds left before the wipe (None on the attract screen)."""
        s = self.app.session
        if s.step is Step.ATTRACT:
            return None
        if self.card_present or self.exempt or s.last_activity is None:
            s.touch()
        return (s.idle_timeout - (s.clock() - s.last_activity)).total_seconds()

    def tick(self, _dt=None) -> None:
        left = self.left()
        if left is None:
            self.hide()
        elif left <= 0:
            log.info("session idle timeout", extra={"fields": {"step": self.app.session.step.value}})
            self.app.wipe()
        elif left <= self.warning:
            self.countdown.show(math.ceil(left))
            if self.countdown.parent is None:
                self.app.hide_keyboard()
                self.app.root_layout.add_widget(self.countdown)
        else:
            self.hide()

    def hide(self) -> None:
        if self.countdown.parent is not None:
            self.countdown.parent.remove_widget(self.countdown)

    def stay(self) -> None:
        """继续 on the countdown."""
        self.app.session.touch()
        self.hide()


__all__ = ["IDLE_WARNING", "IdleWatch"]
