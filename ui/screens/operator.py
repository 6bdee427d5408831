"""Operator mode's screens: the badge/PIN login, the printed forms waiting for a signature (confirm, reprint, send
back to draft), the terminal's state (summary, sync, peripherals) and the assisted start of a student without an ID
card. They only show what ui/operator_mode.py (over kiosk/operator.py) gives them and forward touches to it."""
from __future__ import annotations

import re

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.widget import Widget

from .base import (
    ERROR, MUTED, OK, OPERATOR_HEADER, TEXT, BigButton, Choice, Field, Panel, StepScreen, label, px, scrolling,
)
from .capture import texture_from_bgr


class OperatorScreen(StepScreen):
    """An operator screen: no step strip; the header, brown instead of the student's blue, says 工作人员模式; the
    keyboard sits at the bottom."""

    show_strip = False
    keyboard_slot_wanted = True
    header_title = "工作人员模式"
    header_colour = OPERATOR_HEADER
    header_note = "仅限工作人员操作"

    def __init__(self, mode, name: str, title: str, **kwargs):
        super().__init__(mode.app, name=name, **kwargs)
        self.mode = mode
        self.prompt.text = title

    def show_state(self, session) -> None:  # the operator's screens show the mode, not the session's prompt
        pass

    def note(self, text: str, ok: bool = False) -> None:
        self.show_message(text, OK if ok else ERROR)


class OperatorLoginScreen(OperatorScreen):
    def __init__(self, mode, **kwargs):
        super().__init__(mode, "operator_login", "工作人员登录", **kwargs)
        self.message = label("", 28, TEXT, height=50)
        self.content.add_widget(self.message)
        self.pin = Field("PIN码", "请输入PIN码", password=True)
        self.pin.input.keyboard_layout = "numeric"
        self.pin.size_hint_x = None
        self.pin.width = px(420)
        self.content.add_widget(self.pin)
        self.hint = label("", 20, MUTED, height=36)
        self.content.add_widget(self.hint)
        self.content.add_widget(Widget())
        self.cancel_button = BigButton("取消", mode.close, primary=False)
        self.footer.add_widget(self.cancel_button)
        self.footer.add_widget(Widget())
        self.login_button = BigButton("登录", lambda: mode.enter_pin(self.pin.input.text))
        self.footer.add_widget(self.login_button)

    def show_login(self, message: str, need_pin: bool, hint: str = "") -> None:
        self.message.text = message
        self.pin.disabled = self.login_button.disabled = not need_pin
        self.pin.text = ""
        self.hint.text = hint

    def clear(self) -> None:
        super().clear()
        self.message.text = self.hint.text = ""


class PrintedRowView(BoxLayout):
    """One printed, unsigned form: who (masked number), how often printed, staff notes, and what to do."""

    def __init__(self, mode, row, **kwargs):
        super().__init__(orientation="vertical", size_hint_y=None, spacing=px(4), padding=px([0, 6]), **kwargs)
        self.bind(minimum_height=self.setter("height"))
        self.row = row
        self.add_widget(label(row.caption, 24, TEXT, bold=True))
        for note in row.notes:
            self.add_widget(label("注意：" + note, 19, ERROR))
        buttons = BoxLayout(size_hint_y=None, height=px(64), spacing=px(14))
        self.sign_button = BigButton("确认已签字", lambda: mode.sign(row.record_id), width=200, height=64, font_size=22)
        self.reprint_button = BigButton("重新打印", lambda: mode.reprint(row.record_id), primary=False, width=170,
                                        height=64, font_size=22)
        self.reopen_button = BigButton("退回修改", lambda: mode.reopen(row.record_id), primary=False, width=170,
                                       height=64, font_size=22)
        for button in (self.sign_button, self.reprint_button, self.reopen_button):
            buttons.add_widget(button)
        buttons.add_widget(Widget())
        self.add_widget(buttons)


class OperatorHomeScreen(OperatorScreen):
    """The printed forms waiting for a signature, with the reason field for sending one back to draft."""

    def __init__(self, mode, **kwargs):
        super().__init__(mode, "operator", "登记表签字确认与终端管理", **kwargs)
        self.who = label("", 22, MUTED, height=34)
        self.content.add_widget(self.who)
        body = BoxLayout(spacing=px(16))
        panel = Panel("已打印、待确认签字的登记表", fit=True)
        self.rows_box = BoxLayout(orientation="vertical", size_hint_y=None, spacing=px(8))
        self.rows_box.bind(minimum_height=self.rows_box.setter("height"))
        panel.add_widget(self.rows_box)
        self.reason = Field("退回修改的原因（退回前填写）", "如：监护人电话有误")
        panel.add_widget(self.reason)
        body.add_widget(scrolling(panel))
        self.content.add_widget(body)
        self.rows: list[PrintedRowView] = []
        self.logout_button = BigButton("退出工作人员模式", mode.close, primary=False, width=230, font_size=22)
        self.status_button = BigButton("终端状态", mode.show_status, primary=False, width=150, font_size=22)
        self.pause_button = BigButton("暂停服务", mode.toggle_pause, primary=False, width=150, font_size=22)
        self.assist_button = BigButton("无身份证考生", mode.show_assist, width=200, font_size=22)
        self.qr_button = BigButton("扫码确认签字", mode.scan_qr, width=200, font_size=22)
        self.spacer = Widget()
        self._widths = {b: b.width for b in (self.logout_button, self.status_button, self.pause_button,
                                             self.assist_button, self.qr_button)}
        for button in (self.logout_button, self.spacer, self.status_button, self.pause_button, self.assist_button,
                       self.qr_button):
            self.footer.add_widget(button)

    def adapt(self, portrait: bool) -> None:
        """Portrait: the five buttons share the footer's width (in proportion to their landscape widths)."""
        for button, width in self._widths.items():
            button.size_hint_x = width if portrait else None
            button.width = width
        self.spacer.size_hint_x = 0 if portrait else 1
        self.spacer.width = 0
        self.footer.spacing = px(10) if portrait else px(20)

    def show_rows(self, operator_name: str, rows, paused: bool) -> None:
        self.who.text = f"已登录：{operator_name}" + ("　　终端已暂停服务" if paused else "")
        self.pause_button.text = "恢复服务" if paused else "暂停服务"
        self.rows_box.clear_widgets()
        self.rows = [PrintedRowView(self.mode, row) for row in rows]
        for view in self.rows:
            self.rows_box.add_widget(view)
        if not rows:
            self.rows_box.add_widget(label("没有待确认的登记表", 22, MUTED, height=40))

    def clear(self) -> None:
        super().clear()
        self.rows_box.clear_widgets()
        self.rows = []
        self.who.text = ""


class OperatorStatusScreen(OperatorScreen):
    """End-of-day summary, the outbox and sync state, every peripheral's state."""

    def __init__(self, mode, **kwargs):
        super().__init__(mode, "operator_status", "终端状态", **kwargs)
        self.columns = columns = BoxLayout(spacing=px(16))
        self.summary = self._panel("今日汇总", columns)
        self.sync = self._panel("数据上传", columns)
        self.devices = self._panel("设备状态", columns)
        self.content.add_widget(columns)
        self.problems = label("", 19, ERROR)
        self.content.add_widget(self.problems)
        self.values: dict[str, str] = {}
        self.back_button = BigButton("返回", mode.show_home, primary=False)
        self.footer.add_widget(self.back_button)
        self.footer.add_widget(Widget())
        self.voice_button = BigButton("关闭语音提示", mode.toggle_voice, primary=False, width=220, font_size=22)
        self.footer.add_widget(self.voice_button)
        self.refresh_button = BigButton("刷新", mode.show_status)
        self.footer.add_widget(self.refresh_button)

    def adapt(self, portrait: bool) -> None:
        self.columns.orientation = "vertical" if portrait else "horizontal"  # portrait: the panels stacked

    @staticmethod
    def _panel(title: str, parent) -> GridLayout:
        panel = Panel(title, fit=False)
        grid = GridLayout(cols=2, spacing=px([10, 4]), size_hint_y=None, row_default_height=px(40))
        grid.bind(minimum_height=grid.setter("height"))
        panel.add_widget(grid)
        panel.add_widget(Widget())
        parent.add_widget(panel)
        return grid

    def show_voice(self, muted: bool | None) -> None:
        """The voice toggle: None when the terminal has no spoken prompts."""
        self.voice_button.text = "开启语音提示" if muted else "关闭语音提示"
        self.voice_button.disabled = muted is None
        self.voice_button.opacity = 0 if muted is None else 1

    def show(self, summary, sync, peripherals) -> None:
        self.values = {}
        for grid, rows in ((self.summary, summary.lines()), (self.sync, sync.lines()),
                           (self.devices, [(n, s) for n, s, _ok in peripherals])):
            grid.clear_widgets()
            for name, value in rows:
                self.values[name] = value
                ok = next((o for n, _s, o in peripherals if n == name), True) if grid is self.devices else True
                grid.add_widget(label(name, 20, MUTED))  # rows grow with a long value (an error): never cut
                grid.add_widget(label(_tight(value), 20, TEXT if ok else ERROR))
        self.problems.text = "\n".join(f"• {p}" for p in summary.problems[:6])

    def clear(self) -> None:
        super().clear()
        for grid in (self.summary, self.sync, self.devices):
            grid.clear_widgets()
        self.problems.text = ""


def _tight(text: str) -> str:
    """No space between a Chinese character and a number ("待上传 4 条" -> "待上传4条"): Kivy wraps at spaces,
    which left the number at a line's end apart from its measure word."""
    return re.sub(r"(?<=[\u4e00-\u9fff]) (?=\d)|(?<=\d) (?=[\u4e00-\u9fff])", "", text)


ASSIST_FIELDS = [("name", "姓名", "与户口簿一致", "text"), ("ethnicity", "民族", "如：汉族", "text"),
                 ("birth_date", "出生日期", "如：2009-03-15", "date"), ("id_number", "公民身份号码", "18位", "id"),
                 ("address", "户籍地址（户口簿住址）", "", "text")]


class OperatorAssistScreen(OperatorScreen):
    """A student without an ID card: the identity typed from the household register page, the page scanned."""

    def __init__(self, mode, **kwargs):
        super().__init__(mode, "operator_assist", "无身份证考生：核对户口簿后录入身份信息", **kwargs)
        self.body = body = BoxLayout(spacing=px(16))
        form = BoxLayout(orientation="vertical", size_hint_y=None, spacing=px(4))
        gender_row = BoxLayout(size_hint_y=None, height=px(64), spacing=px(10))
        gender_row.add_widget(label("性别", 20, MUTED, height=64, size_hint_x=None, width=60))
        self.genders = {g: Choice(g, group="assist-gender") for g in ("男", "女")}
        for choice in self.genders.values():
            gender_row.add_widget(choice)
        self.gender_error = label("", 18, ERROR)
        for key, caption, hint, pad in ASSIST_FIELDS:
            field = Field(caption, hint)
            field.input.keyboard_layout = {"date": "date", "id": "id"}.get(pad, "text")
            self.fields[key] = field
            form.add_widget(field)
            if key == "name":
                form.add_widget(gender_row)
                form.add_widget(self.gender_error)
        body.add_widget(scrolling(form))
        self.side = side = BoxLayout(orientation="vertical", spacing=px(8), size_hint_x=0.45)
        self.preview = Image(opacity=0)
        side.add_widget(self.preview)
        self.status = label("核对户口簿本人页后，将该页放在扫描区", 20, MUTED)
        side.add_widget(self.status)
        self.scan_button = BigButton("扫描户口簿", mode.assist_scan, primary=False, width=None)
        side.add_widget(self.scan_button)
        body.add_widget(side)
        self.content.add_widget(body)
        self.back_button = BigButton("返回", mode.show_home, primary=False)
        self.footer.add_widget(self.back_button)
        self.footer.add_widget(Widget())
        self.start_button = BigButton("交给考生继续填写", mode.assist_start, width=300, disabled=True)
        self.footer.add_widget(self.start_button)

    def adapt(self, portrait: bool) -> None:
        """Portrait: the household register's preview and scan button under the form."""
        self.body.orientation = "vertical" if portrait else "horizontal"
        self.side.size_hint = (1, 0.4) if portrait else (0.45, 1)

    def values(self) -> dict[str, str]:
        typed = {key: field.input.text for key, field in self.fields.items()}
        typed["gender"] = next((g for g, c in self.genders.items() if c.state == "down"), "")
        return typed

    def show_errors(self, errors: dict[str, str]) -> None:
        super().show_errors({k: v for k, v in errors.items() if k != "gender"})
        self.gender_error.text = errors.get("gender", "")

    def busy(self) -> None:
        self.scan_button.disabled, self.start_button.disabled = True, True
        self.status.text, self.status.color = "正在扫描…", MUTED

    def show_document(self, image, problem: str = "") -> None:
        self.preview.texture = texture_from_bgr(image) if image is not None else None
        self.preview.opacity = 1 if image is not None else 0
        self.scan_button.disabled = False
        self.start_button.disabled = image is None
        if problem:
            self.status.text, self.status.color = problem, ERROR
        elif image is not None:
            self.status.text, self.status.color = "请核对户口簿图像完整、清晰；信息无误后交给考生继续填写。", OK
        else:
            self.status.text, self.status.color = "核对户口簿本人页后，将该页放在扫描区", MUTED

    def clear(self) -> None:
        super().clear()
        for choice in self.genders.values():
            choice.state = "normal"
        self.gender_error.text = ""
        self.show_document(None)


OPERATOR_SCREENS = [OperatorLoginScreen, OperatorHomeScreen, OperatorStatusScreen, OperatorAssistScreen]

__all__ = ["OPERATOR_SCREENS"]
