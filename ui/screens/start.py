"""The screens around the form: attract (lay the card), refused (why not here, now), identity (the chip's fields,
read-only) and done (sign with the guardian, hand the form to the staff)."""
from __future__ import annotations

from kivy.graphics import Color, Line, RoundedRectangle
from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from .base import CHIP, ERROR, HEADER, MUTED, OK, PRIMARY, TEXT, BigButton, Panel, StepScreen, label, paint, px


class CardPad(Widget):
    """A drawing of the reader's pad with a card above it: where to lay the card. It takes the room its box gives
    (a 720-px-high panel leaves less than the design's 800): `drawn` is the box it drew in."""

    GAP = 10  # between the card and the pad

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.drawn = (0.0, 0.0, 0.0, 0.0)
        self.bind(pos=self._draw, size=self._draw)

    def _draw(self, *_):
        self.canvas.clear()
        cx = self.center_x
        # the pad is 0.35 of its width high, the card (85.6 x 54 mm) 0.62 of it wide: both within the box's height
        tall = 0.35 + 0.62 * 54 / 85.6
        w = max(0.0, min(self.width * 0.8, px(420), (self.height - 2 * self.GAP) / tall))
        h = w * 0.35
        cw, ch = w * 0.62, w * 0.62 * 54 / 85.6
        cy = self.y + (self.height - h - ch - 2 * self.GAP) / 2 + h + self.GAP  # the pair centred in the box
        self.drawn = (cx - w / 2, cy - h - self.GAP, cx + w / 2, cy + self.GAP + ch)
        with self.canvas:
            Color(0.80, 0.86, 0.94, 1)
            RoundedRectangle(pos=(cx - w / 2, cy - h - self.GAP), size=(w, h), radius=px([18]))
            Color(*PRIMARY)
            Line(rounded_rectangle=(cx - w / 2, cy - h - self.GAP, w, h, 18), width=px(2))
            Color(1, 1, 1, 1)
            RoundedRectangle(pos=(cx - cw / 2, cy + self.GAP), size=(cw, ch), radius=px([10]))
            Color(*HEADER)
            Line(rounded_rectangle=(cx - cw / 2, cy + self.GAP, cw, ch, 10), width=px(2))
            Color(0.80, 0.86, 0.94, 1)
            RoundedRectangle(pos=(cx + cw / 2 - cw * 0.3, cy + self.GAP + ch * 0.2), size=(cw * 0.22, ch * 0.6),
                             radius=px([6]))
            for i in range(3):
                RoundedRectangle(pos=(cx - cw / 2 + 18, cy + self.GAP + ch * (0.7 - i * 0.22)),
                                 size=(cw * 0.45, 10), radius=px([4]))
            Color(*PRIMARY)
            Line(points=[cx, cy + 4, cx, cy - h * 0.45], width=px(3))
            Line(points=[cx - 14, cy - h * 0.45 + 16, cx, cy - h * 0.45, cx + 14, cy - h * 0.45 + 16], width=px(3))


class AttractScreen(StepScreen):
    show_strip = False

    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, name="attract", **kwargs)
        self.prompt.height = 0
        self.prompt.opacity = 0
        self.content.add_widget(label("河南省初中学业水平考试", 44, HEADER, bold=True, halign="center", height=70))
        self.content.add_widget(label("考生基本信息采集", 34, TEXT, halign="center", height=54))
        self.content.add_widget(CardPad())
        self.big_prompt = label("请将身份证放在感应区", 40, PRIMARY, bold=True, halign="center", height=64)
        self.content.add_widget(self.big_prompt)
        self.status = label("", 24, MUTED, halign="center", height=40)
        self.content.add_widget(self.status)
        self.footer.add_widget(label(ctl.terminal_caption(), 18, MUTED, height=72))
        self.simulate_button = None
        if ctl.simulated_card:
            self.simulate_button = BigButton("模拟：放置身份证", ctl.simulate_card, primary=False, width=220, height=56,
                                             font_size=20)
            self.footer.add_widget(self.simulate_button)

    def show_state(self, session) -> None:
        self.big_prompt.text = session.prompt
        self.show_errors(session.errors)

    def reader_status(self, text: str, problem: bool = False) -> None:
        self.status.text = text
        self.status.color = ERROR if problem else MUTED

    def clear(self) -> None:
        super().clear()
        self.status.text = ""


class RefusedScreen(StepScreen):
    show_strip = False

    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, name="refused", **kwargs)
        self.content.add_widget(label("暂时不能在本终端采集信息", 36, ERROR, bold=True, halign="center", height=70))
        self.reasons = BoxLayout(orientation="vertical", spacing=px(12), padding=px([60, 10]), size_hint_y=None)
        self.reasons.bind(minimum_height=self.reasons.setter("height"))
        self.content.add_widget(self.reasons)
        self.content.add_widget(label("如有疑问，请联系工作人员。请取回身份证。", 24, MUTED, halign="center", height=50))
        self.content.add_widget(Widget())
        self.footer.add_widget(Widget())
        self.home_button = BigButton("返回首页", ctl.reset)
        self.footer.add_widget(self.home_button)

    def show_state(self, session) -> None:
        self.prompt.text = ""
        self.reasons.clear_widgets()
        for reason in session.refusal:
            self.reasons.add_widget(bullet(reason))
        self.show_errors(session.errors)

    def clear(self) -> None:
        super().clear()
        self.reasons.clear_widgets()


def bullet(text: str, size: float = 28) -> BoxLayout:
    """A bullet point: the dot in its own column, the text wrapping beside it (never the dot alone on a line)."""
    row = BoxLayout(size_hint_y=None, spacing=px(8))
    row.add_widget(label("•", size, TEXT, size_hint_x=None, width=size, valign="top", height=size * 1.4))
    text = label(text, size, TEXT, valign="top")
    row.add_widget(text)
    text.bind(height=lambda _w, h: setattr(row, "height", h))
    row.height = text.height
    return row


IDENTITY_ROWS = [("name", "姓名"), ("gender", "性别"), ("ethnicity", "民族"), ("birth_date", "出生日期"),
                 ("id_number", "公民身份号码"), ("card_type", "证件类型"), ("authority", "签发机关"),
                 ("valid", "有效期限"), ("address", "住址")]

def identity_values(card) -> dict[str, str]:
    """The chip's fields as the student reads them on the card."""
    until = card.valid_until.isoformat() if card.valid_until else "长期"
    return {"name": card.name or card.english_name, "gender": card.gender, "ethnicity": card.ethnicity,
            "birth_date": f"{card.birth_date.year}年{card.birth_date.month}月{card.birth_date.day}日",
            "id_number": card.id_number, "address": card.address, "authority": card.authority,
            "valid": f"{card.valid_from.isoformat()}至{until}", "card_type": card.card_type.label}


class ChipField(BoxLayout):
    """One read-only field from the chip: a caption and a grey box that cannot be typed into."""

    def __init__(self, caption: str, **kwargs):
        super().__init__(orientation="vertical", size_hint_y=None, height=px(92), spacing=px(2), **kwargs)
        self.add_widget(label(caption, 20, MUTED, height=28))
        box = AnchorLayout(anchor_x="left", padding=px([14, 0]), size_hint_y=None, height=px(58))
        paint(box, CHIP, radius=8)
        self.value = Label(text="", font_size=px(28), color=TEXT, halign="left", valign="middle", shorten=True,
                           shorten_from="right")
        self.value.bind(size=lambda w, s: setattr(w, "text_size", s))
        box.add_widget(self.value)
        self.add_widget(box)


class IdentityScreen(StepScreen):
    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, name="identity", **kwargs)
        panel = Panel("身份证芯片信息（不可修改）")
        self.chips: dict[str, ChipField] = {}
        # three a row, then the long ones (validity, address) wider so nothing is cut
        for keys, cols in ((IDENTITY_ROWS[:6], 3), (IDENTITY_ROWS[6:8], 2), (IDENTITY_ROWS[8:], 1)):
            grid = GridLayout(cols=cols, spacing=px([24, 6]), size_hint_y=None)
            grid.bind(minimum_height=grid.setter("height"))
            for key, caption in keys:
                self.chips[key] = ChipField(caption)
                grid.add_widget(self.chips[key])
            panel.add_widget(grid)
        self.content.add_widget(panel)
        self.content.add_widget(label("如信息与身份证不一致，请联系工作人员，不要继续。", 22, MUTED, height=40))
        self.content.add_widget(Widget())
        self.footer.add_widget(Widget())
        self.next_button = BigButton("信息无误，下一步", ctl.confirm_identity, width=280)
        self.footer.add_widget(self.next_button)

    def enter(self, session) -> None:
        values = identity_values(session.card or session.record.card)
        for key, chip in self.chips.items():
            chip.value.text = values.get(key) or "—"

    def clear(self) -> None:
        super().clear()
        for chip in self.chips.values():
            chip.value.text = ""


class DoneScreen(StepScreen):
    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, name="done", **kwargs)
        self.prompt.height = 0
        self.prompt.opacity = 0
        self.content.add_widget(Widget())
        self.content.add_widget(label("登记表已打印", 36, OK, bold=True, halign="center", height=64))
        self.big = label("", 40, TEXT, bold=True, halign="center")
        self.content.add_widget(self.big)
        self.content.add_widget(label("请取走身份证和登记表。", 26, MUTED, halign="center", height=50))
        self.content.add_widget(Widget())
        self.footer.add_widget(Widget())
        self.finish_button = BigButton("完成", ctl.reset)
        self.footer.add_widget(self.finish_button)

    def show_state(self, session) -> None:
        super().show_state(session)
        self.big.text = session.prompt


class PrintedScreen(StepScreen):
    """The card of a printed, unsigned record was laid again: hand in the signed form, or print it once more."""

    show_strip = False

    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, name="printed", **kwargs)
        self.prompt.height = 0
        self.prompt.opacity = 0
        self.content.add_widget(Widget())
        self.big = label("", 40, TEXT, bold=True, halign="center")
        self.content.add_widget(self.big)
        self.content.add_widget(label("登记表丢失或损坏时可以重新打印；如需修改信息，请联系工作人员。", 24, MUTED,
                                      halign="center", height=50))
        self.content.add_widget(Widget())
        self.home_button = BigButton("返回首页", ctl.reset, primary=False)
        self.footer.add_widget(self.home_button)
        self.footer.add_widget(Widget())
        self.reprint_button = BigButton("重新打印登记表", ctl.reprint, width=280)
        self.footer.add_widget(self.reprint_button)

    def show_state(self, session) -> None:
        super().show_state(session)
        self.big.text = session.prompt


__all__ = ["AttractScreen", "DoneScreen", "IdentityScreen", "PrintedScreen", "RefusedScreen"]
