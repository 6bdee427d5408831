"""Review: every field of the record by section, each section with 修改 (back to its step through go_back_to)."""
from __future__ import annotations

import cv2
import numpy as np
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image
from kivy.uix.widget import Widget

from kiosk.session import Step

from .base import MUTED, TEXT, BigButton, Panel, StepScreen, label, px, scrolling
from .capture import texture_from_bgr
from .start import identity_values


def line(caption: str, value: str, caption_width: float = 130) -> BoxLayout:
    row = BoxLayout(size_hint_y=None, spacing=px(10))
    row.add_widget(label(caption, 22, MUTED, size_hint_x=None, width=caption_width, valign="top"))
    text = label(value or "—", 22, TEXT, valign="top")
    row.add_widget(text)
    text.bind(height=lambda w, h: setattr(row, "height", h))
    row.height = text.height
    return row


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
        self.left_column.clear_widgets()
        self.right_column.clear_widgets()
        self.edit_buttons = {}
        ident = identity_values(record.card)
        panel = self._panel(self.left_column, "身份信息（来自身份证芯片）", None)
        for key, caption in (("name", "姓名"), ("gender", "性别"), ("ethnicity", "民族"), ("birth_date", "出生日期"),
                             ("id_number", "身份证号码"), ("address", "户籍地址")):
            panel.add_widget(line(caption, ident[key]))
        category = policy.category(record.category)
        panel = self._panel(self.left_column, "报考信息", Step.CATEGORY)
        panel.add_widget(line("报考类别", category.label if category else record.category))
        panel.add_widget(line("学籍学校", record.school_name))
        if record.student_number:
            panel.add_widget(line("学籍号", record.student_number))
        panel.add_widget(line("资格申报", "、".join(policy.claims.get(c, c) for c in record.claims) or "无"))
        panel = self._panel(self.left_column, "联系方式", Step.CONTACT)
        panel.add_widget(line("联系电话", record.contact_phone))
        panel.add_widget(line("家庭住址", record.home_address))
        panel = self._panel(self.right_column, "监护人", Step.GUARDIANS)
        for g in record.guardians:
            panel.add_widget(line(g.relation, "  ".join(v for v in (g.name, g.phone, g.work_unit) if v)))
        panel = self._panel(self.right_column, "学习简历", Step.HISTORY)
        for e in record.study_history:
            panel.add_widget(line(f"{e.start}至{e.end}", f"{e.school}  职务：{e.role}  证明人：{e.witness}",
                                  caption_width=200))
        images = BoxLayout(spacing=px(14), size_hint_y=None, height=px(300))
        for title, kind, step, width in (("照片", "photo", Step.PHOTO, 230), ("身份证图像", "document",
                                                                            Step.DOCUMENT, None)):
            panel = Panel(title, action=lambda s=step: self.ctl.go_back_to(s), size_hint_x=None if width else 1)
            if width:
                panel.width = px(width)
            self.edit_buttons[step] = panel.action_button
            picture = self.ctl.attachment(kind)
            if picture is not None:
                image = cv2.imdecode(np.frombuffer(picture, np.uint8), cv2.IMREAD_COLOR)
                panel.add_widget(Image(texture=texture_from_bgr(image), fit_mode="contain", size_hint_y=None,
                                       height=px(220)))
            else:
                panel.add_widget(label("未采集", 22, MUTED, height=220))
            images.add_widget(panel)
        self.right_column.add_widget(images)
        self.right_column.add_widget(Widget(size_hint_y=None, height=px(4)))

    def clear(self) -> None:
        super().clear()
        self.left_column.clear_widgets()
        self.right_column.clear_widgets()
        self.edit_buttons = {}


__all__ = ["ReviewScreen"]
