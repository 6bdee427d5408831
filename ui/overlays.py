"""What lies over every screen: the idle countdown (继续 to stay), the network indicator with the backlog, and the
technician's identify flash. The controller (ui/app.py) owns the root FloatLayout they are added to."""
from __future__ import annotations

from kivy.graphics import Color, Rectangle
from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label

from .screens.base import ERROR, TEXT, BigButton, label, paint, px


class Blocking(FloatLayout):
    """A full-window layer that keeps touches from the screen beneath it."""

    def on_touch_down(self, touch):
        super().on_touch_down(touch)
        return True

    def on_touch_move(self, touch):
        super().on_touch_move(touch)
        return True

    def on_touch_up(self, touch):
        super().on_touch_up(touch)
        return True


class IdleCountdown(Blocking):
    """The last seconds before the idle wipe: how long is left, and 继续 to stay."""

    def __init__(self, on_stay, **kwargs):
        super().__init__(**kwargs)
        with self.canvas.before:
            Color(0, 0, 0, 0.45)
            self._shade = Rectangle()
        self.bind(pos=self._follow, size=self._follow)
        box = BoxLayout(orientation="vertical", size_hint=(None, None), size=px((640, 300)),
                        padding=px([32, 24]), spacing=px(16),
                        pos_hint={"center_x": 0.5, "center_y": 0.5})
        paint(box, (1, 1, 1, 1), radius=12)
        box.add_widget(label("长时间没有操作", 32, TEXT, bold=True, halign="center", height=48))
        self.seconds = label("", 28, ERROR, halign="center", height=84)
        box.add_widget(self.seconds)
        row = AnchorLayout(size_hint_y=None, height=px(80))
        self.stay_button = BigButton("继续", on_stay, width=280)
        row.add_widget(self.stay_button)
        box.add_widget(row)
        self.add_widget(box)

    def _follow(self, *_):
        self._shade.pos, self._shade.size = self.pos, self.size

    def show(self, left: int) -> None:
        self.seconds.text = f"{left}秒后将退出并清除本人信息。\n如需继续，请点“继续”。"


class NetworkBadge(Label):
    """A small red mark at the top right of every screen, under the header, while central cannot be reached, with
    the backlog. place() keeps it under the header when the window changes size."""

    def __init__(self, **kwargs):
        super().__init__(text="", font_size=px(18), color=(1, 1, 1, 1), size_hint=(None, None), size=px((300, 34)),
                         pos_hint={"right": 0.99}, **kwargs)
        paint(self, ERROR, radius=8)
        self.opacity = 0

    def place(self, root, *_args) -> None:
        self.top = root.top - px(70)  # the step screens' header is 64 design px

    def show(self, status) -> None:
        """status: the sync worker's SyncStatus (None: no central configured)."""
        offline = status is not None and status.online is False
        self.text = status.message if offline else ""
        self.opacity = 1 if offline else 0


class IdentifyFlash(Blocking):
    """`kiosk-provision identify`: the screen alternates white and red with the terminal id in large type."""

    def __init__(self, terminal_id: str, **kwargs):
        super().__init__(**kwargs)
        with self.canvas.before:
            self._colour = Color(1, 1, 1, 1)
            self._fill = Rectangle()
        self.bind(pos=self._follow, size=self._follow)
        self.text = Label(text=f"终端{terminal_id}", font_size=px(96), bold=True, color=(0.8, 0, 0, 1),
                          pos_hint={"center_x": 0.5, "center_y": 0.5})
        self.add_widget(self.text)
        self.red = False

    def _follow(self, *_):
        self._fill.pos, self._fill.size = self.pos, self.size

    def flip(self) -> None:
        self.red = not self.red
        self._colour.rgba = (0.85, 0.05, 0.05, 1) if self.red else (1, 1, 1, 1)
        self.text.color = (1, 1, 1, 1) if self.red else (0.8, 0, 0, 1)


__all__ = ["IdentifyFlash", "IdleCountdown", "NetworkBadge"]
