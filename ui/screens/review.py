"""Review: every field of the record by section, each section with 修改 (back to its step through go_back_to).

The screen is built once: entering it sets the text of lines that exist already (a label whose text is unchanged
is not rendered again) and shows as many guardian and study lines as the record has. The photo and the document
image are read, checked and decoded off the UI thread; their textures are kept by the attachment's hash, so coming
back from 修改 shows them at once (the stored bytes are still read again in the background: a broken seal stops
the flow as before)."""
from __future__ import annotations

import cv2
import numpy as np
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image
from kivy.uix.widget import Widget

from kiosk.errors import SealBroken
from kiosk.record.validate import MAX_STUDY_ENTRIES
from kiosk.session import Step

from .base import MUTED, TEXT, BigButton, Panel, StepScreen, label, px, scrolling
from .capture import texture_from_bgr
from .start import identity_values

MAX_GUARDIANS = 3  # what the record holds (kiosk.record.validate)
IDENTITY = (("name", "姓名"), ("gender", "性别"), ("ethnicity", "民族"), ("birth_date", "出生日期"),
            ("id_number", "身份证号码"), ("address", "户籍地址"))


class Line(BoxLayout):
    """A caption and its value side by side; the row is as tall as the value's text."""

    def __init__(self, caption: str = "", caption_width: float = 130):
        super().__init__(size_hint_y=None, spacing=px(10))
        self.caption = label(caption, 22, MUTED, size_hint_x=None, width=caption_width, valign="top")
        self.value = label("", 22, TEXT, valign="top")
        self.add_widget(self.caption)
        self.add_widget(self.value)
        self.value.bind(height=lambda _w, h: setattr(self, "height", h))
        self.height = self.value.height

    def show(self, value: str, caption: str | None = None) -> None:
        if caption is not None and self.caption.text != caption:
            self.caption.text = caption
        value = value or "—"
        if self.value.text != value:
            self.value.text = value


class Lines(BoxLayout):
    """A fixed set of lines of which the first n are shown (the guardians, the study history)."""

    def __init__(self, count: int, caption_width: float = 130):
        super().__init__(orientation="vertical", size_hint_y=None, spacing=px(6))
        self.bind(minimum_height=self.setter("height"))
        self.lines = [Line(caption_width=caption_width) for _ in range(count)]

    def show(self, rows: list[tuple[str, str]]) -> None:
        rows = rows[:len(self.lines)]
        for line, (caption, value) in zip(self.lines, rows):
            line.show(value, caption)
        shown = self.lines[:len(rows)]
        if self.children[::-1] != shown:
            self.clear_widgets()
            for line in shown:
                self.add_widget(line)

    def clear(self) -> None:
        for line in self.lines:
            line.caption.text = line.value.text = ""
        self.clear_widgets()


class Picture(Panel):
    """The photo or the document image: the decoded texture, or 未采集 when none was stored."""

    def __init__(self, title: str, kind: str, on_edit, width: float | None):
        super().__init__(title, action=on_edit, size_hint_x=None if width else 1)
        if width:
            self.width = px(width)
        self.kind = kind
        self.image = Image(fit_mode="contain", size_hint_y=None, height=px(220))
        self.missing = label("未采集", 22, MUTED, height=220)
        self.sha = None  # the hash of what the texture shows
        self.loading = False
        self.show(None)

    def show(self, texture, *, loading: bool = False) -> None:
        """The texture, or 正在读取… while it is read and decoded (loading), or 未采集."""
        self.image.texture = texture
        self.loading = texture is None and loading
        self.missing.text = "正在读取…" if self.loading else "未采集"
        wanted = self.image if texture is not None else self.missing
        other = self.missing if wanted is self.image else self.image
        if other.parent is not None:
            self.remove_widget(other)
        if wanted.parent is None:
            self.add_widget(wanted)

    def forget(self) -> None:
        self.sha = None
        self.show(None)


class ReviewScreen(StepScreen):
    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, name="review", **kwargs)
        self.columns = columns = BoxLayout(spacing=px(18), size_hint_y=None, padding=px([0, 0, 14, 0]))
        self.left_column = BoxLayout(orientation="vertical", spacing=px(14), size_hint_y=None, pos_hint={"top": 1})
        self.right_column = BoxLayout(orientation="vertical", spacing=px(14), size_hint_y=None, pos_hint={"top": 1})
        for column in (self.left_column, self.right_column):
            column.bind(minimum_height=column.setter("height"))
            columns.add_widget(column)
        self.content.add_widget(scrolling(columns))
        self.footer.add_widget(label("点各栏的“修改”可返回修改；修改后回到本页。", 20, MUTED, height=72))
        self.next_button = BigButton("确认无误，下一步", ctl.confirm_review, width=280)
        self.footer.add_widget(self.next_button)
        self.edit_buttons: dict[Step, BigButton] = {}

        panel = self._panel(self.left_column, "身份信息（来自身份证芯片）", None)
        self.identity = {key: Line(caption) for key, caption in IDENTITY}
        for line in self.identity.values():
            panel.add_widget(line)
        panel = self._panel(self.left_column, "报考信息", Step.CATEGORY)
        self.category = Line("报考类别")
        self.school = Line("学籍学校")
        self.student_number = Line("学籍号")  # only when the record has one
        self.claims = Line("资格申报")
        self.category_panel = panel
        for line in (self.category, self.school, self.student_number, self.claims):
            panel.add_widget(line)
        panel = self._panel(self.left_column, "联系方式", Step.CONTACT)
        self.phone, self.address = Line("联系电话"), Line("家庭住址")
        panel.add_widget(self.phone)
        panel.add_widget(self.address)
        self.guardians = Lines(MAX_GUARDIANS)
        self._panel(self.right_column, "监护人", Step.GUARDIANS).add_widget(self.guardians)
        self.history = Lines(MAX_STUDY_ENTRIES, caption_width=200)
        self._panel(self.right_column, "学习简历", Step.HISTORY).add_widget(self.history)
        images = BoxLayout(spacing=px(14), size_hint_y=None, height=px(300))
        self.pictures: dict[str, Picture] = {}
        for title, kind, step, width in (("照片", "photo", Step.PHOTO, 230),
                                         ("身份证图像", "document", Step.DOCUMENT, None)):
            picture = Picture(title, kind, lambda s=step: self.ctl.go_back_to(s), width)
            self.edit_buttons[step] = picture.action_button
            self.pictures[kind] = picture
            images.add_widget(picture)
        self.right_column.add_widget(images)
        self.right_column.add_widget(Widget(size_hint_y=None, height=px(4)))
        self._textures: dict[str, tuple[str, object]] = {}  # kind -> (sha256, texture), until clear()
        self._visit = 0  # a background read answers only the visit that started it

    def adapt(self, portrait: bool) -> None:
        """Portrait: one column (the photo and ID image keep the width they need)."""
        self.columns.orientation = "vertical" if portrait else "horizontal"

    def _panel(self, column, title: str, step: Step | None) -> Panel:
        panel = Panel(title, action=(lambda: self.ctl.go_back_to(step)) if step else None)
        if step:
            self.edit_buttons[step] = panel.action_button
        column.add_widget(panel)
        return panel

    def enter(self, session) -> None:
        record, policy = session.record, session.policy
        ident = identity_values(record.card)
        for key, line in self.identity.items():
            line.show(ident[key])
        category = policy.category(record.category)
        self.category.show(category.label if category else record.category)
        self.school.show(record.school_name)
        self.student_number.show(record.student_number)
        if bool(record.student_number) != (self.student_number.parent is not None):
            if record.student_number:
                self.category_panel.add_widget(self.student_number, index=1)  # above 资格申报
            else:
                self.category_panel.remove_widget(self.student_number)
        self.claims.show("、".join(policy.claims.get(c, c) for c in record.claims) or "无")
        self.phone.show(record.contact_phone)
        self.address.show(record.home_address)
        self.guardians.show([(g.relation, "  ".join(v for v in (g.name, g.phone, g.work_unit) if v))
                             for g in record.guardians])
        self.history.show([(f"{e.start}至{e.end}", f"{e.school}  职务：{e.role}  证明人：{e.witness}")
                           for e in record.study_history])
        self._visit += 1
        for kind, picture in self.pictures.items():
            self._show_picture(session, picture, getattr(record, f"{kind}_sha256"))

    # -- the photo and the document image ------------------------------------------------------------------
    def _show_picture(self, session, picture: Picture, sha: str) -> None:
        """The texture kept for this hash at once (else nothing until it is decoded); the stored bytes read,
        checked and decoded in the background."""
        from ui.device_steps import background

        kept = self._textures.get(picture.kind)
        if sha and kept is not None and kept[0] == sha:
            picture.sha = sha
            picture.show(kept[1])
        elif picture.sha != sha or not sha:
            picture.sha = None
            picture.show(None, loading=True)
        store, record_id, kind, visit = session.store, session.record.record_id, picture.kind, self._visit

        def read():  # the store reads under its lock from any thread; the seal is checked as the bytes are opened
            data = store.attachment_or_none(record_id, kind)
            if data is None:
                return None
            if kept is not None and kept[0] == sha and sha:
                return kept[1]  # already decoded: the read only checked the seal
            return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)

        background(read, lambda result, error: self._picture_read(picture, sha, visit, result, error))

    def _picture_read(self, picture: Picture, sha: str, visit: int, result, error) -> None:
        if visit != self._visit:
            return  # the student left review (or the screen was cleared) meanwhile
        if isinstance(error, SealBroken):
            self.ctl.attachment(picture.kind)  # the app's path: the flow stops with the operator message
            return
        if error is not None or result is None:
            picture.forget()
            return
        if isinstance(result, np.ndarray):
            kept = self._textures.get(picture.kind)
            result = texture_from_bgr(result, kept[1] if kept else None)  # same size: the texture is reused
            self._textures[picture.kind] = (sha, result)
        picture.sha = sha
        picture.show(result)

    @property
    def loading(self) -> bool:
        """A picture is still being read and decoded in the background."""
        return any(picture.loading for picture in self.pictures.values())

    def clear(self) -> None:
        super().clear()
        self._visit += 1
        for line in (*self.identity.values(), self.category, self.school, self.student_number, self.claims,
                     self.phone, self.address):
            line.value.text = ""  # the captions are fixed
        self.guardians.clear()
        self.history.clear()
        for picture in self.pictures.values():
            picture.forget()
        self._textures = {}  # nothing of this student's pictures is kept


__all__ = ["ReviewScreen"]
