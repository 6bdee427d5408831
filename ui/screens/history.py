"""The study-history step: one row per school attended (dates, school, role, witness), most recent first, up to
what one printed form holds; in portrait a row takes two lines so the school name stays readable."""
from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.record import StudyEntry
from kiosk.record.validate import MAX_STUDY_ENTRIES

from .base import MUTED, BigButton, Field, label, px
from .forms import FormScreen


class HistoryRow(BoxLayout):
    def __init__(self, on_remove, **kwargs):
        super().__init__(spacing=px(10), size_hint_y=None, **kwargs)
        self.start = Field("起始年月", "如：2021-09", size_hint_x=None, width=170, keyboard="month")
        self.end = Field("截止年月", "如：2024-03", size_hint_x=None, width=170, keyboard="month")
        self.school = Field("学校名称", "在何学校学习")
        self.role = Field("任何职务", "无则填“无”", size_hint_x=None, width=170)
        self.witness = Field("证明人", "", size_hint_x=None, width=170)
        self.remove_button = BigButton("删除", lambda: on_remove(self), primary=False, width=96, height=60,
                                       font_size=22)
        self.holder = holder = BoxLayout(orientation="vertical", size_hint_x=None, width=px(96),
                                         padding=px([0, 28, 0, 0]))
        holder.add_widget(self.remove_button)
        holder.add_widget(Widget())
        self.line = BoxLayout(spacing=px(10), size_hint_y=None)  # portrait: the short fields on one line
        self._narrow: bool | None = None
        self.compact(False)
        for field in self.fields().values():  # an error line under any field makes the row taller: no overlap
            field.bind(height=self._fit)

    def compact(self, narrow: bool) -> None:
        """Portrait: the dates, role and witness on one line, the school name on its own full-width line beneath
        (in landscape all five side by side)."""
        if narrow == self._narrow:
            return
        self._narrow = narrow
        short = [self.start, self.end, self.role, self.witness]
        for widget in (*short, self.school, self.holder, self.line):
            if widget.parent is not None:
                widget.parent.remove_widget(widget)
        self.orientation = "vertical" if narrow else "horizontal"
        for field in short:
            field.size_hint_x = 1 if narrow else None
            field.width = px(170)
        if narrow:
            for widget in (*short, self.holder):
                self.line.add_widget(widget)
            self.add_widget(self.line)
            self.add_widget(self.school)
        else:
            for widget in (self.start, self.end, self.school, self.role, self.witness, self.holder):
                self.add_widget(widget)
        self._fit()

    def _fit(self, *_) -> None:
        short = max(f.height for f in (self.start, self.end, self.role, self.witness))
        if self._narrow:
            self.line.height = short
            self.height = short + self.spacing + self.school.height
        else:
            self.height = max(short, self.school.height)

    def fields(self) -> dict[str, Field]:
        return {"start": self.start, "end": self.end, "school": self.school, "role": self.role,
                "witness": self.witness}

    def fill(self, entry: StudyEntry | None) -> None:
        for key, field in self.fields().items():
            field.text = getattr(entry, key) if entry else ""
            field.error = ""

    def entry(self) -> StudyEntry:
        return StudyEntry(start=self.start.text, end=self.end.text, school=self.school.text, role=self.role.text,
                          witness=self.witness.text)


class HistoryScreen(FormScreen):
    MAX_ROWS = MAX_STUDY_ENTRIES  # what one printed form page holds

    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, name="history", **kwargs)
        self.form.add_widget(label("从最近的学校开始填写，时间前后衔接、不重叠，最近一段截止到本月。", 20, MUTED))
        self.rows_box = BoxLayout(orientation="vertical", spacing=px(8), size_hint_y=None)
        self.rows_box.bind(minimum_height=self.rows_box.setter("height"))
        self.form.add_widget(self.rows_box)
        self.rows: list[HistoryRow] = []  # the rows shown, in order
        self.spare: list[HistoryRow] = []  # rows built before and not shown now: reused (built once per screen)
        self.add_button = BigButton("＋ 添加一段经历", self.add_row, primary=False, width=260, height=60, font_size=22)
        self.footer.add_widget(self.add_button, index=len(self.footer.children))

    def add_row(self, entry: StudyEntry | None = None) -> HistoryRow:
        if len(self.rows) >= self.MAX_ROWS:
            self.show_message(f"学习简历最多填写{self.MAX_ROWS}段")
            return self.rows[-1]
        row = self.spare.pop() if self.spare else HistoryRow(self.remove_row)
        row.compact(bool(self._portrait))
        row.fill(entry)
        self.rows.append(row)
        self.rows_box.add_widget(row)
        self._map()
        return row

    def adapt(self, portrait: bool) -> None:
        for row in self.rows:
            row.compact(portrait)
        self.rows_box.spacing = px(24) if portrait else px(8)  # two-line rows: a clear gap between schools

    def remove_row(self, row: HistoryRow) -> None:
        if row in self.rows:
            self._put_away(row)
        if not self.rows:
            self.add_row()
        self._map()

    def _map(self) -> None:
        self.fields = {f"study_history[{i}].{key}": field for i, row in enumerate(self.rows)
                       for key, field in row.fields().items()}
        for row in self.rows:
            row.remove_button.disabled = len(self.rows) == 1

    def _put_away(self, row: HistoryRow) -> None:
        """The row leaves the form, emptied, and waits to be shown again."""
        row.fill(None)
        for field in row.fields().values():
            field.input.reset_undo()  # out of the form, the idle wipe's walk would not reach it
        self.rows.remove(row)
        self.rows_box.remove_widget(row)
        self.spare.append(row)

    def enter(self, session) -> None:
        """The rows shown before are filled again in place (their labels and fields exist already); rows are
        added or put away only when the number of entries changed."""
        entries = list(session.record.study_history or [None])[:self.MAX_ROWS]
        while len(self.rows) > len(entries):
            self._put_away(self.rows[-1])
        for row, entry in zip(self.rows, entries):
            row.fill(entry)
        for entry in entries[len(self.rows):]:
            self.add_row(entry)
        self._map()

    def submit(self) -> None:
        self.ctl.act("set_history", [row.entry() for row in self.rows])

    def clear(self) -> None:
        while self.rows:
            self._put_away(self.rows[-1])
        self.fields = {}
        self.show_message("")


__all__ = ["HistoryRow", "HistoryScreen"]
