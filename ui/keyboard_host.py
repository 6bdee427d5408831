"""Hosts the on-screen keyboard (ui/keyboard.py) for the screens: which field it types into, where it sits (the
screen's keyboard slot), the form scrolled so the field stays in view, 确定 moving on to the next field."""
from __future__ import annotations

import logging

from kivy.clock import Clock

log = logging.getLogger(__name__)


def make_keyboard(on_confirm):
    """The on-screen keyboard; None when it cannot load: plain fields (hardware keyboard)."""
    try:
        from .keyboard import OnScreenKeyboard
        from .theme import px
    except ImportError:
        return None
    try:
        board = OnScreenKeyboard(key_height=px(64))  # 64 px keys leave room for the field being typed into
    except Exception:  # noqa: BLE001 - a broken keyboard must not stop the kiosk
        log.exception("on-screen keyboard failed to start")
        return None
    board.bind(on_confirm=on_confirm)
    return board


class KeyboardHost:
    def __init__(self, current_screen):
        self._screen = current_screen  # () -> the screen shown now
        self.keyboard = make_keyboard(self._confirm)

    def reset(self) -> None:
        if self.keyboard is not None:
            self.keyboard.reset()  # no composition or pinyin history carried to the next student

    def input_focused(self, text_input, focused: bool) -> None:
        """A field was touched (or left): the on-screen keyboard edits it and the form scrolls it into view."""
        board = self.keyboard
        if board is None:
            if focused:
                text_input.show_keyboard()  # managed mode: binds the hardware keyboard on a development machine
            else:
                text_input.hide_keyboard()
            return
        if focused:
            if board.target is not text_input:
                board.set_target(text_input, layout=text_input.keyboard_layout)
            if text_input.latin:
                board.mode = "en"
            self._show(True)
            Clock.schedule_once(lambda _dt: scroll_to(text_input), 0)
        elif board.target is text_input:
            Clock.schedule_once(lambda _dt: self._show(bool(board.target and board.target.focus)), 0)

    def hide(self) -> None:
        if self.keyboard is not None:
            self.keyboard.set_target(None)
            self._show(False)

    def _show(self, shown: bool) -> None:
        board, screen = self.keyboard, self._screen()
        shown = shown and screen.keyboard_slot_wanted
        if board.parent is not None and (not shown or board.parent is not screen.keyboard_slot):
            board.parent.height = 0
            board.parent.remove_widget(board)
        if shown:
            if board.parent is None:
                screen.keyboard_slot.add_widget(board)
            screen.keyboard_slot.height = board.height
        else:
            if board.target is not None:
                board.set_target(None)
        screen.keyboard_shown(shown)

    def _confirm(self, board, target) -> None:
        """确定 on the keyboard: on to the next field; after the last one the keyboard goes and 下一步 shows."""
        inputs = self._screen().inputs()
        if target in inputs and inputs.index(target) + 1 < len(inputs):
            following = inputs[inputs.index(target) + 1]
            board.set_target(following, layout=following.keyboard_layout)
        else:
            self.hide()


def scroll_to(widget) -> None:
    from kivy.uix.scrollview import ScrollView

    parent = widget.parent
    while parent is not None and not isinstance(parent, ScrollView):
        parent = parent.parent if parent.parent is not parent else None  # the window is its own parent
    if parent is not None and widget.get_root_window() is not None and parent.children \
            and parent.children[0].minimum_height > parent.height:
        parent.scroll_to(widget.parent, padding=12, animate=False)
