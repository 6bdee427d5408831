"""Shared look and building blocks of the kiosk screens: colours, big touch targets, a labelled field with its red
error line, and StepScreen (header with the step strip, the session's prompt, a content area, a footer).

Screens never decide anything: they show the session's state (step, prompt, errors, record) and hand what the
student typed or touched to the controller (ui.app.KioskApp), which calls the session.

Sizes are design px for a 1280x800 panel (ui/theme.py): the helpers here (label, BigButton, Choice, Input, Field,
Panel) take them as they are and scale them; anything else built by a screen wraps its sizes in px().
"""
from __future__ import annotations

from kivy.graphics import Color, Line, Rectangle, RoundedRectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.uix.scrollview import ScrollView
from kivy.uix.textinput import TextInput
from kivy.uix.togglebutton import ToggleButton
from kivy.uix.widget import Widget

from ui.glyphs import fit_input, set_text
from ui.pads import PADS
from ui.theme import (  # noqa: F401 - the palette is imported from here by the screens
    ADVICE, BACKGROUND, CHIP, DISABLED, DISABLED_TEXT, ERROR, HEADER, MIN_TOUCH, MUTED, OK, OPERATOR_HEADER, PANEL,
    PRIMARY,
    PRIMARY_DOWN, SECONDARY, SECONDARY_DOWN, STRIP_DONE, STRIP_NEXT, TEXT, WHITE, px,
)

# Step titles for the strip in the header (presentation only; the order is the session's).
STEP_TITLES = {
    "identity": "核对身份", "category": "报考信息", "guardians": "监护人", "history": "学习简历",
    "contact": "联系方式", "photo": "拍照", "document": "扫描证件", "review": "核对信息", "password": "设置密码",
    "print": "打印", "done": "完成",
}


def paint(widget: Widget, colour, radius: float = 0) -> None:
    """A filled (optionally rounded) background that follows the widget."""
    with widget.canvas.before:
        Color(*colour)
        shape = RoundedRectangle(radius=[px(radius)]) if radius else Rectangle()

    def follow(*_):
        shape.pos, shape.size = widget.pos, widget.size

    widget.bind(pos=follow, size=follow)
    follow()


class RendersWhenSized:
    """A wrapping label (or button) whose text is rendered once it has the width its layout gives it: not first at
    Kivy's default 100 px and again at the real width (rendering CJK text is most of a screen change's time).
    Until then its text_size is (0, None) and nothing is drawn; a label on a screen never shown renders nothing."""

    def texture_update(self, *largs):
        if self.text and self.text_size[0] is not None and self.text_size[0] <= 0:
            return  # not laid out yet: the width its layout gives triggers the one render
        super().texture_update(*largs)


class TextLabel(RendersWhenSized, Label):
    pass


def label(text: str = "", size: float = 22, colour=TEXT, *, bold: bool = False, halign: str = "left",
          valign: str = "middle", height: float | None = None, **kwargs) -> Label:
    """A wrapping label; with height=None it grows to its text (use inside vertical BoxLayouts). Its text goes
    through ui.glyphs.set_text: characters the UI font lacks (rare names) are drawn by a fallback face. A label
    whose width its layout gives is rendered once it has that width (RendersWhenSized)."""
    size = px(size)
    if "width" in kwargs:
        kwargs["width"] = px(kwargs["width"])
    widget = TextLabel(text="", font_size=size, color=colour, bold=bold, halign=halign, valign=valign,
                       size_hint_y=None, **kwargs)
    if widget.size_hint_x is not None:
        widget.width = 0  # the layout's width comes next: the first render waits for it
    set_text(widget, text)
    widget.bind(width=lambda w, width: setattr(w, "text_size", (width, None)))
    widget.text_size = (widget.width, None)
    if height is None:
        widget.height = size * 1.4  # until the text is laid out (an empty label never reports a texture size)
        widget.bind(texture_size=lambda w, ts: setattr(w, "height", max(ts[1], size * 1.4)))
    else:
        widget.height = px(height)
    return widget


class BigButton(Button):
    """A flat, large touch target (at least MIN_TOUCH px each way); disabled it stays readable (grey on grey)."""

    def __init__(self, text: str, on_press=None, *, primary: bool = True, font_size: float = 26,
                 width: float | None = 240, height: float = 72, **kwargs):
        height = px(max(height, MIN_TOUCH))
        self._colours = (PRIMARY, PRIMARY_DOWN) if primary else (SECONDARY, SECONDARY_DOWN)
        super().__init__(text=text, font_size=px(font_size), background_normal="", background_down="",
                         background_disabled_normal="", background_color=self._colours[0],
                         color=WHITE if primary else TEXT, disabled_color=DISABLED_TEXT,
                         size_hint=(None if width else 1, None),
                         height=height, **kwargs)
        if width:
            self.width = px(max(width, MIN_TOUCH))
        self.bind(state=self._shade, disabled=self._shade)
        self._shade()  # built disabled: grey from the start
        if on_press:
            self.bind(on_release=lambda *_: on_press())

    def _shade(self, *_):
        if self.disabled:
            self.background_color = DISABLED
        else:
            self.background_color = self._colours[1] if self.state == "down" else self._colours[0]


class Choice(RendersWhenSized, ToggleButton):
    """A big toggle (claims, confirmations, relation choice)."""

    def __init__(self, text: str, *, group: str | None = None, font_size: float = 22, height: float = 64, **kwargs):
        if "width" in kwargs:
            kwargs["width"] = px(kwargs["width"])
        super().__init__(text="", group=group, font_size=px(font_size), background_normal="", background_down="",
                         background_disabled_normal="", background_disabled_down="", disabled_color=DISABLED_TEXT,
                         size_hint_y=None, height=px(max(height, MIN_TOUCH)), halign="center", valign="middle",
                         **kwargs)
        if self.size_hint_x is not None:
            self.width = 0  # the layout's width comes next: the first render waits for it
        self.text_size = (max(self.width - px(20), 1) if self.size_hint_x is None else 0, None)
        set_text(self, text)
        self.bind(state=self._shade, size=lambda w, s: setattr(w, "text_size", (s[0] - px(20), None)))
        self._shade()

    def _shade(self, *_):
        on = self.state == "down"
        self.background_color = PRIMARY if on else SECONDARY
        self.color = WHITE if on else TEXT


class Input(TextInput):
    """A single-line text field whose keyboard is managed by the app (the on-screen keyboard, or the hardware
    keyboard on a development machine)."""

    def __init__(self, hint: str = "", *, password: bool = False, font_size: float = 26, keyboard: str = "text",
                 **kwargs):
        font_size = px(font_size)
        super().__init__(hint_text=hint, password=password, multiline=False, write_tab=False, font_size=font_size,
                         keyboard_mode="managed", size_hint_y=None, height=font_size * 2.2,
                         padding=[px(12), (font_size * 2.2 - font_size * 1.25) / 2], **kwargs)
        self.keyboard_layout = keyboard if keyboard in PADS else "text"  # the on-screen keyboard's layout
        self.latin = password or keyboard == "latin"  # letters as typed, never pinyin

    def on_focus(self, _instance, focused):
        from kivy.app import App

        app = App.get_running_app()
        if app is not None and hasattr(app, "input_focused"):
            app.input_focused(self, focused)


class Field(BoxLayout):
    """Caption, input, and the red error line beneath it (empty when there is no error)."""

    def __init__(self, caption: str, hint: str = "", *, password: bool = False, readonly: bool = False,
                 font_size: float = 26, keyboard: str = "text", **kwargs):
        if "width" in kwargs:
            kwargs["width"] = px(kwargs["width"])
        super().__init__(orientation="vertical", size_hint_y=None, spacing=px(2), **kwargs)
        self.caption = label(caption, 20, MUTED, height=28)
        self.input = Input(hint, password=password, font_size=font_size, readonly=readonly, keyboard=keyboard)
        fit_input(self.input)  # text filled in code (prefills, a draft) keeps a font that draws it
        self.error_label = label("", 18, ERROR)  # grows when a message needs two lines
        for child in (self.caption, self.input, self.error_label):
            self.add_widget(child)
        self.bind(minimum_height=self.setter("height"))

    @property
    def text(self) -> str:
        return self.input.text.strip()

    @text.setter
    def text(self, value: str) -> None:
        self.input.text = value or ""

    @property
    def error(self) -> str:
        return self.error_label.text

    @error.setter
    def error(self, value: str) -> None:
        self.error_label.text = value or ""


class Panel(BoxLayout):
    """A white card with a title, for one section of a form or of the review."""

    def __init__(self, title: str = "", *, action=None, action_text: str = "修改", fit: bool = True, **kwargs):
        kwargs.setdefault("orientation", "vertical")
        kwargs["padding"] = px(kwargs.get("padding", [20, 14]))
        kwargs["spacing"] = px(kwargs.get("spacing", 6))
        if "width" in kwargs:
            kwargs["width"] = px(kwargs["width"])
        super().__init__(size_hint_y=None if fit else 1, **kwargs)
        paint(self, PANEL, radius=10)
        if fit:  # as tall as its content; otherwise as tall as its parent gives (side-by-side panels)
            self.bind(minimum_height=self.setter("height"))
        self.action_button = None
        if title:
            row = BoxLayout(size_hint_y=None, height=px(MIN_TOUCH), spacing=px(10))
            row.add_widget(label(title, 24, HEADER, bold=True, height=MIN_TOUCH))
            if action:
                self.action_button = BigButton(action_text, action, primary=False, width=120, height=MIN_TOUCH,
                                               font_size=22)
                row.add_widget(self.action_button)
            self.add_widget(row)


def scrolling(content: Widget) -> ScrollView:
    """A vertical scroll area for content as tall as its children; short content sits at the top."""
    from kivy.effects.scroll import ScrollEffect

    view = ScrollView(do_scroll_x=False, bar_width=px(10), scroll_type=["bars", "content"], effect_cls=ScrollEffect)
    holder = BoxLayout(orientation="vertical", size_hint_y=None)
    holder.add_widget(content)
    holder.add_widget(Widget())  # the slack under short content

    def fill(*_):
        holder.height = max(content.height, view.height)

    content.bind(minimum_height=content.setter("height"), height=fill)
    view.bind(height=fill)
    view.add_widget(holder)
    return view


class StepStrip(BoxLayout):
    """The steps of the flow across the header, the current one highlighted and underlined."""

    def __init__(self, **kwargs):
        super().__init__(spacing=px(4), **kwargs)
        self.cells: dict[str, Label] = {}
        self.marks: dict[str, Color] = {}
        for step, title in STEP_TITLES.items():
            cell = Label(text=title, font_size=px(17), color=STRIP_NEXT, halign="center", valign="middle",
                         shorten=True, shorten_from="right")
            cell.bind(size=lambda c, s: setattr(c, "text_size", s))
            with cell.canvas.before:
                self.marks[step] = Color(1, 1, 1, 0)
                underline = Line(points=[], width=px(2))
            cell.bind(pos=lambda c, _v, u=underline: self._underline(c, u),
                      size=lambda c, _v, u=underline: self._underline(c, u))
            self.cells[step] = cell
            self.add_widget(cell)

    @staticmethod
    def _underline(cell, line) -> None:
        line.points = [cell.x + px(6), cell.y + px(6), cell.right - px(6), cell.y + px(6)]

    def show(self, current: str) -> None:
        names = list(self.cells)
        at = names.index(current) if current in names else -1
        for i, (step, cell) in enumerate(self.cells.items()):
            cell.color = WHITE if i == at else STRIP_NEXT if i > at else STRIP_DONE
            self.marks[step].a = 1 if i == at else 0


class StepScreen(Screen):
    """Header (title and step strip), the session's prompt, content, an error line for the whole step, a footer.

    Subclasses fill self.content and self.footer, and implement enter(session) (fill the fields from the session's
    record when the step is entered), clear() (forget everything typed: a new student comes next), and `fields`
    (field path -> Field) so errors land under their fields.
    """

    show_strip = True
    keyboard_slot_wanted = False  # form screens: the on-screen keyboard sits at the bottom
    header_title = "考生信息采集"
    header_colour = HEADER
    header_note = ""  # right of the title when there is no step strip (operator mode: 仅限工作人员操作)

    def __init__(self, ctl, **kwargs):
        super().__init__(**kwargs)
        self.ctl = ctl
        self.fields: dict[str, Field] = {}
        root = BoxLayout(orientation="vertical")
        paint(root, BACKGROUND)
        self.header = header = BoxLayout(size_hint_y=None, height=px(64), padding=px([24, 0]), spacing=px(20))
        paint(header, self.header_colour)
        self.title = Label(text=self.header_title, font_size=px(24), bold=True, color=WHITE, size_hint_x=None,
                           halign="left", valign="middle")
        self.title.bind(size=lambda w, s: setattr(w, "text_size", s))
        self.title.texture_update()
        self.title.width = max(px(170), self.title.texture_size[0] + px(8))
        header.add_widget(self.title)
        self.strip = StepStrip()
        if self.show_strip:
            header.add_widget(self.strip)
        else:
            note = Label(text=self.header_note, font_size=px(20), color=WHITE, halign="right", valign="middle")
            note.bind(size=lambda w, s: setattr(w, "text_size", s))
            header.add_widget(note)
        root.add_widget(header)
        body = BoxLayout(orientation="vertical", padding=px([32, 12, 32, 8]), spacing=px(8))
        self.prompt = label("", 30, TEXT, bold=True, height=52)
        body.add_widget(self.prompt)
        self.general_error = label("", 22, ERROR, height=0)
        self.general_error.bind(texture_size=self._fit_message)  # its height follows the text as laid out
        body.add_widget(self.general_error)
        self.content = BoxLayout(orientation="vertical", spacing=px(10))
        body.add_widget(self.content)
        root.add_widget(body)
        self.footer = BoxLayout(size_hint_y=None, height=px(96), padding=px([32, 12]), spacing=px(20))
        root.add_widget(self.footer)
        self.keyboard_slot = BoxLayout(size_hint_y=None, height=0)
        root.add_widget(self.keyboard_slot)
        self.add_widget(root)

        self._portrait: bool | None = None
        self._follows_keyboard = False
        self.bind(size=self._orient)

    # -- layout ---------------------------------------------------------------------------------------------------
    def _orient(self, *_) -> None:
        portrait = self.height > self.width
        if portrait == self._portrait:
            return
        self._portrait = portrait
        # portrait: the title above the step strip, so the eleven step names keep their width
        stacked = portrait and self.show_strip
        self.header.orientation = "vertical" if stacked else "horizontal"
        self.header.height = px(112) if stacked else px(64)
        self.header.padding = px([24, 10, 24, 0]) if stacked else px([24, 0])
        self.title.size_hint_x = 1 if stacked else None
        self.adapt(portrait)

    def adapt(self, portrait: bool) -> None:
        """The screen became portrait (or landscape): stack what sits side by side (subclasses)."""

    # -- what the controller calls ---------------------------------------------------------------------------
    def show_state(self, session) -> None:
        self.prompt.text = session.prompt
        self.strip.show(self.name)
        self.show_errors(session.errors)

    def show_errors(self, errors: dict[str, str]) -> None:
        rest = []
        for path, field in self.fields.items():
            field.error = errors.get(path, "")
        for path, message in errors.items():
            if path not in self.fields:
                rest.append(message)
        self.show_message("；".join(dict.fromkeys(rest)))

    def show_message(self, text: str, colour=ERROR) -> None:
        self.general_error.text = text
        self.general_error.color = colour
        if text:
            self.general_error.texture_update()
        self._fit_message()

    def _fit_message(self, *_) -> None:
        message = self.general_error
        message.height = max(px(34), message.texture_size[1] + px(6)) if message.text else 0

    def keyboard_shown(self, shown: bool) -> None:
        """The on-screen keyboard takes the bottom of the screen: the prompt makes room (the header says where)."""
        if not self.keyboard_slot_wanted:
            return
        self.prompt.height = 0 if shown else px(52)
        self.prompt.opacity = 0 if shown else 1
        board = getattr(self.ctl, "keyboard", None)
        if shown and board is not None:
            if not self._follows_keyboard:  # 确定 moves the keyboard to the next field: that one is revealed too
                board.fbind("target", lambda *_: self.reveal_soon())
                self._follows_keyboard = True
            self.reveal_soon()

    def reveal_soon(self) -> None:
        """Scroll the field being typed into above the keyboard once the form has been laid out again (two
        frames: the keyboard's slot, then the scroll view it shrank)."""
        from kivy.clock import Clock

        Clock.schedule_once(lambda _dt: Clock.schedule_once(lambda _dt2: self.reveal(), 0), 0)

    def reveal(self) -> None:
        from ui.keyboard_host import scroll_to

        board = getattr(self.ctl, "keyboard", None)
        target = board.target if board is not None else None
        if target is not None and target.get_root_window() is not None and self.manager is not None \
                and self.manager.current_screen is self:
            scroll_to(target)

    def inputs(self) -> list:
        """The editable fields in reading order (the keyboard's 确定 moves to the next one)."""
        found = [w for w in self.walk(restrict=True) if isinstance(w, Input) and not w.readonly and not w.disabled]
        return found

    def enter(self, session) -> None:
        """The step was entered: fill the screen from the session's record."""

    def leave(self) -> None:
        """The step was left (stop cameras and timers)."""

    def clear(self) -> None:
        """Forget everything shown or typed (the next student must see nothing of this one)."""
        for field in self.fields.values():
            field.text = ""
            field.error = ""
        self.show_message("")



