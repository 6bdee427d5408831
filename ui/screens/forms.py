"""The typing steps: category and school, guardians, study history, contact, password. Each screen fills its fields
from the session's record when the step is entered, hands what was typed to the session on 下一步, and shows the
session's errors under the fields they name."""
from __future__ import annotations

import typing

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.record import Guardian
from kiosk.record import password
from kiosk.record.model import Relation
from kiosk.policy import window_status

from .base import MUTED, TEXT, BigButton, Choice, Field, Panel, StepScreen, label, px, scrolling

SCHOOL_MATCHES = 6  # school buttons offered under the school field


class FormScreen(StepScreen):
    keyboard_slot_wanted = True
    next_text = "下一步"

    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, **kwargs)
        self.form = BoxLayout(orientation="vertical", spacing=px(12), size_hint_y=None, padding=px([0, 0, 14, 0]))
        self.content.add_widget(scrolling(self.form))
        self.footer.add_widget(Widget())
        self.next_button = BigButton(self.next_text, self.submit)
        self.footer.add_widget(self.next_button)

    def submit(self) -> None:
        raise NotImplementedError


class CategoryScreen(FormScreen):
    """The category as a pick-list of the categories open now on this terminal (policy window and role), the
    school picked from the pulled schools (typing filters them), the claims of the chosen category."""

    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, name="category", **kwargs)
        top = Panel("报考类别")
        self.categories_box = GridLayout(cols=2, spacing=px(8), size_hint_y=None)
        self.categories_box.bind(minimum_height=self.categories_box.setter("height"))
        top.add_widget(self.categories_box)
        self.form.add_widget(top)
        self.school_panel = school = Panel("学籍所在学校")
        self.roster_label = label("", 22, MUTED)  # shown only when the roster has the student's 学籍
        self.school = Field("学籍所在学校名称", "请输入学校全称，或点选下方学校")
        school.add_widget(self.school)
        self.schools_box = GridLayout(cols=2, spacing=px(8), size_hint_y=None)
        self.schools_box.bind(minimum_height=self.schools_box.setter("height"))
        school.add_widget(self.schools_box)
        self.form.add_widget(school)
        self.school.input.bind(text=lambda *_: self._offer_schools())
        self.claims_panel = Panel("资格申报（符合条件的请选择，可不选）")
        self.claims_box = GridLayout(cols=1, spacing=px(8), size_hint_y=None)
        self.claims_box.bind(minimum_height=self.claims_box.setter("height"))
        self.claims_panel.add_widget(self.claims_box)
        self.form.add_widget(self.claims_panel)
        self.category_choices: dict[str, Choice] = {}
        self.school_choices: dict[str, Choice] = {}
        self.claims: dict[str, Choice] = {}
        self.school_names: list[str] = []
        self._policy = None
        self._chosen_claims: list[str] = []  # the record's claims when the step was entered
        self._built: dict[tuple[str, str, str], Choice] = {}  # (kind, code, text): made once, shown again
        self.fields = {"school_name": self.school}

    @property
    def category(self) -> str:
        return next((code for code, c in self.category_choices.items() if c.state == "down"), "")

    def enter(self, session) -> None:
        record, policy = session.record, session.policy
        self._policy = policy
        self._chosen_claims = list(record.claims)
        categories = open_categories(policy, session.terminal.role, session.clock(), record.category)
        self.category_choices = self._show_choices(self.categories_box, "category",
                                                   [(c.code, c.label) for c in categories], self._category_choice)
        for code, choice in self.category_choices.items():
            choice.state = "down" if code == record.category else "normal"
        roster = []
        if record.school_code:
            roster.append(f"学校代码：{record.school_code}")
        if record.student_number:
            roster.append(f"学籍号：{record.student_number}")
        self.roster_label.text = "    ".join(roster)
        if roster and self.roster_label.parent is None:
            self.school_panel.add_widget(self.roster_label, index=len(self.school_panel.children) - 1)
        elif not roster and self.roster_label.parent is not None:
            self.school_panel.remove_widget(self.roster_label)
        self.school_names = pulled_school_names(self.ctl)
        self.school.text = record.school_name or self.ctl.default_school_name(record)
        self._offer_schools()
        self._show_claims(record.claims)

    def _show_claims(self, chosen) -> None:
        category = self._policy.category(self.category) if self._policy else None
        self.claims = self._show_choices(self.claims_box, "claim", [(code, self._policy.claims.get(code, code))
                                                                    for code in (category.claims if category else [])],
                                         lambda _code, text: Choice(text, height=64))
        for code, choice in self.claims.items():
            choice.state = "down" if code in chosen else "normal"
        self.claims_panel.opacity = 1 if self.claims else 0
        self.claims_panel.disabled = not self.claims

    def _category_choice(self, _code: str, text: str) -> Choice:
        choice = Choice(text, group="category", allow_no_selection=False)
        choice.bind(state=lambda *_: self._show_claims(self._chosen_claims))
        return choice

    def _school_choice(self, name: str, text: str) -> Choice:
        choice = Choice(text, height=60, font_size=20)
        choice.bind(on_release=lambda _c: self._pick_school(name))
        return choice

    def _show_choices(self, box, kind: str, items: list[tuple[str, str]], make) -> dict[str, Choice]:
        """The choices for (code, text) in `box`, in order: each made once by make(code, text) (rendered once),
        shown again after."""
        choices = {}
        for code, text in items:
            choice = self._built.get((kind, code, text))
            if choice is None:
                choice = self._built[(kind, code, text)] = make(code, text)
            choices[code] = choice
        if box.children[::-1] != list(choices.values()):
            box.clear_widgets()
            for choice in choices.values():
                box.add_widget(choice)
        return choices

    def _offer_schools(self) -> None:
        typed = self.school.text
        matches = [n for n in self.school_names if typed in n and n != typed][:SCHOOL_MATCHES] if typed != "" \
            else self.school_names[:SCHOOL_MATCHES]
        if list(self.school_choices) == matches:
            return
        self.school_choices = self._show_choices(self.schools_box, "school", [(name, name) for name in matches],
                                                 self._school_choice)

    def _pick_school(self, name: str) -> None:
        self.school.text = name
        self.school.error = ""

    def submit(self) -> None:
        claims = [code for code, choice in self.claims.items() if choice.state == "down"]
        changes = {"school_name": self.school.text, "claims": claims}
        category = self.category
        self.ctl.act("set_category", category=category, **changes)  # the session re-checks a changed category

    def clear(self) -> None:
        super().clear()
        for box in (self.claims_box, self.categories_box, self.schools_box):
            box.clear_widgets()
        for choice in self._built.values():
            choice.state = "normal"
        # the roster's schools, offered as typed, are built again for the next student (kept, they would add up to
        # every school of the roster); the policy's categories and claims stay
        self._built = {key: choice for key, choice in self._built.items() if key[0] != "school"}
        self.claims, self.category_choices, self.school_choices, self.school_names = {}, {}, {}, []
        self._chosen_claims = []
        self.roster_label.text = ""


def open_categories(policy, role: str, now, current: str) -> list:
    """The policy's categories a student may pick on this terminal now (window open, the terminal's role), and
    the one the record has in any case."""
    return [c for c in policy.categories if c.code == current or window_status(policy, role, c.code, now).open]


def pulled_school_names(ctl) -> list[str]:
    """The names of the schools in the configuration pulled from central (the terminal's own first)."""
    try:
        pulled = ctl.kiosk.core.pulled.cache.last_good()
    except (AttributeError, OSError, ValueError):
        pulled = None
    own = ctl.terminal_config.school_name
    names = [s.name for s in pulled.schools] if pulled else []
    return list(dict.fromkeys([own] * (own in names) + names))


RELATIONS = list(typing.get_args(Relation))


class GuardianBlock(Panel):
    """One guardian: the relation picked from the list (every block), name, phone (phone pad), work unit."""

    def __init__(self, title: str, relation: str | None, **kwargs):
        super().__init__(title, fit=False, **kwargs)
        self.default_relation = relation
        self.relations: dict[str, Choice] = {}
        grid = GridLayout(cols=4, spacing=px(6), size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        for name in RELATIONS:
            choice = Choice("其他" if name == "其他监护人" else name, group=f"relation-{id(self)}", height=60,
                            font_size=20, allow_no_selection=False)
            self.relations[name] = choice
            grid.add_widget(choice)
        self.add_widget(grid)
        self.name = Field("姓名", "监护人姓名")
        self.phone = Field("联系电话", "手机或带区号的固定电话", keyboard="phone")
        self.work_unit = Field("工作单位（可不填）", "")
        for field in (self.name, self.phone, self.work_unit):
            self.add_widget(field)
        self.add_widget(Widget())  # side-by-side blocks are equally tall: the slack goes to the bottom
        self.set_relation(relation or "其他监护人")

    @property
    def relation(self) -> str:
        chosen = [r for r, c in self.relations.items() if c.state == "down"]
        return chosen[0] if chosen else (self.default_relation or "其他监护人")

    def set_relation(self, relation: str) -> None:
        for name, choice in self.relations.items():
            choice.state = "down" if name == relation else "normal"

    @property
    def filled(self) -> bool:
        return any((self.name.text, self.phone.text, self.work_unit.text))

    def fill(self, guardian: Guardian | None) -> None:
        self.name.text = guardian.name if guardian else ""
        self.phone.text = guardian.phone if guardian else ""
        self.work_unit.text = guardian.work_unit if guardian else ""
        self.set_relation(guardian.relation if guardian else (self.default_relation or "其他监护人"))

    def guardian(self) -> Guardian:
        return Guardian(name=self.name.text, relation=self.relation, phone=self.phone.text,
                        work_unit=self.work_unit.text)

    def field_map(self, index: int) -> dict[str, Field]:
        return {f"guardians[{index}].{key}": field for key, field in
                (("name", self.name), ("phone", self.phone), ("work_unit", self.work_unit))}


class GuardiansScreen(FormScreen):
    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, name="guardians", **kwargs)
        self.row = row = BoxLayout(spacing=px(16), size_hint_y=None)
        self.blocks = [GuardianBlock("监护人一", "父亲"), GuardianBlock("监护人二", "母亲"),
                       GuardianBlock("监护人三（可不填）", None)]

        def fit(*_):
            heights = [block.minimum_height for block in self.blocks]
            row.height = max(heights) if row.orientation == "horizontal" else sum(heights) + px(16) * 2

        for block in self.blocks:
            row.add_widget(block)
            block.bind(minimum_height=fit)
        row.bind(orientation=fit)
        self.form.add_widget(row)
        self.form.add_widget(label("父亲或母亲一方情况特殊的，该栏可留空，但至少填写一位监护人。", 20, MUTED))
        self._map([0, 1, 2])

    def adapt(self, portrait: bool) -> None:
        self.row.orientation = "vertical" if portrait else "horizontal"

    def _map(self, order: list[int]) -> None:
        """Field paths follow the order the guardians were handed to the session."""
        self.fields = {}
        for index, block in enumerate(order):
            self.fields.update(self.blocks[block].field_map(index))

    def enter(self, session) -> None:
        guardians = list(session.record.guardians)[:len(self.blocks)]
        for i, block in enumerate(self.blocks):
            block.fill(guardians[i] if i < len(guardians) else None)
        self._map(list(range(len(guardians))) or [0, 1, 2])

    def submit(self) -> None:
        used = [i for i, block in enumerate(self.blocks) if block.filled]
        self._map(used)
        self.ctl.act("set_guardians", [self.blocks[i].guardian() for i in used])

    def clear(self) -> None:
        super().clear()
        for block in self.blocks:
            block.fill(None)


class ContactScreen(FormScreen):
    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, name="contact", **kwargs)
        panel = Panel("本人联系方式")
        self.phone = Field("联系电话", "11位手机号码", keyboard="phone")
        self.address = Field("家庭住址", "省、市、县（区）、街道（乡镇）及门牌号")
        panel.add_widget(self.phone)
        panel.add_widget(self.address)
        self.form.add_widget(panel)
        self.fields = {"contact_phone": self.phone, "home_address": self.address}

    def enter(self, session) -> None:
        self.phone.text = session.record.contact_phone
        record = session.record
        self.address.text = record.home_address or (record.card.address if record.card else "")  # from the chip

    def submit(self) -> None:
        self.ctl.act("set_contact", self.phone.text, self.address.text)


class PasswordScreen(FormScreen):
    next_text = "确认密码"

    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, name="password", **kwargs)
        panel = Panel("登录密码")
        panel.add_widget(label("这个密码用于日后登录查询和确认报名信息，只有你自己知道，学校和老师不会向你索要。", 22, TEXT))
        panel.add_widget(label(password.RULES, 22, MUTED))
        self.first = Field("输入密码", "", password=True)
        self.second = Field("再次输入密码", "", password=True)
        panel.add_widget(self.first)
        panel.add_widget(self.second)
        self.form.add_widget(panel)
        self.fields = {"password": self.second}

    def submit(self) -> None:
        first, second = self.first.input.text, self.second.input.text
        self.first.text = self.second.text = ""  # never kept on screen, right or wrong
        self.ctl.act("set_password", first, second)


__all__ = ["CategoryScreen", "ContactScreen", "GuardiansScreen", "HistoryScreen", "PasswordScreen"]
