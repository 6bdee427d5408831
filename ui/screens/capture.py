"""The device steps: photo (live preview with guidance and progress, then the shots to choose from and the
questions a camera cannot answer), document scan (preview), print (status, the printer's message, retry)."""
from __future__ import annotations

import numpy as np
from kivy.clock import Clock
from kivy.graphics import Color, Line
from kivy.graphics.texture import Texture
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from .base import ADVICE, ERROR, MUTED, OK, PRIMARY, TEXT, BigButton, Choice, StepScreen, label, paint, px

BLANK_AFTER_S = 0.1  # the wiped preview texture is blanked a few frames after the screen change


def texture_from_bgr(image: np.ndarray, texture: Texture | None = None) -> Texture:
    """A texture of a BGR image (top row first); reuses `texture` when the size matches."""
    h, w = image.shape[:2]
    if texture is None or tuple(texture.size) != (w, h):
        texture = Texture.create(size=(w, h), colorfmt="rgb")
        texture.flip_vertical()
    texture.blit_buffer(np.ascontiguousarray(image).tobytes(), colorfmt="bgr", bufferfmt="ubyte")
    return texture


class ProgressRing(Widget):
    """How far the student is through holding still: a ring filling clockwise, with the percentage inside."""

    def __init__(self, **kwargs):
        kwargs.setdefault("size_hint", (None, None))
        kwargs.setdefault("size", px((150, 150)))
        super().__init__(**kwargs)
        self.value = 0.0
        self.text = Label(text="", font_size=px(30), color=TEXT, bold=True)
        self.add_widget(self.text)
        self.bind(pos=self._draw, size=self._draw)

    def set(self, value: float) -> None:
        value = max(0.0, min(1.0, value))
        if abs(value - self.value) > 1e-3 or not self.text.text:
            self.value = value
            self._draw()

    def _draw(self, *_):
        r = min(self.width, self.height) / 2 - 8
        cx, cy = self.center
        self.canvas.before.clear()
        with self.canvas.before:
            Color(0.86, 0.89, 0.93, 1)
            Line(circle=(cx, cy, r), width=px(9))
            if self.value > 0:
                Color(*(OK if self.value >= 1 else PRIMARY))
                Line(circle=(cx, cy, r, 0, 360 * self.value), width=px(9), cap="round")
        self.text.center = self.center
        self.text.text = f"{round(self.value * 100)}%"


class FaceGuide(Widget):
    """An oval over the preview where the face should be, drawn on the picture as shown (fit_mode contain
    letterboxes it): the same place in the image at any screen size or orientation."""

    def __init__(self, image: Image, **kwargs):
        super().__init__(**kwargs)
        self.image = image
        self.ellipse = None
        from kivy.clock import Clock

        redraw = Clock.create_trigger(self._draw)  # once the layout has settled (pos and size arrive apart)
        image.bind(pos=redraw, size=redraw, norm_image_size=redraw, texture=redraw)

        self.ellipse: tuple[float, float, float, float] | None = None  # x, y, w, h in window coordinates

    def _draw(self, *_):
        self.canvas.clear()
        image = self.image
        if image.texture is None:  # no picture yet: nothing to align with
            self.ellipse = None
            return
        iw, ih = image.norm_image_size
        left, bottom = image.center_x - iw / 2, image.center_y - ih / 2
        w, h = iw * 0.46, ih * 0.42
        self.ellipse = (left + (iw - w) / 2, bottom + ih * 0.40, w, h)
        with self.canvas:
            Color(1, 1, 1, 0.7)
            Line(ellipse=self.ellipse, width=px(2), dash_length=8, dash_offset=6)


REVIEW_PROMPT = "拍摄完成，请选择照片或重新拍摄"


class PhotoScreen(StepScreen):
    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, name="photo", **kwargs)
        self.body = BoxLayout(spacing=px(28))
        self.content.add_widget(self.body)
        # live pane
        self.live = BoxLayout(spacing=px(28))
        self.frame = frame = BoxLayout(size_hint_x=None, width=px(420), padding=px(4))
        paint(frame, (0.2, 0.22, 0.25, 1), radius=8)
        self.preview = Image(fit_mode="contain", pos_hint={"x": 0, "y": 0}, opacity=0)  # shown with a frame
        self.guide = FaceGuide(self.preview, pos_hint={"x": 0, "y": 0})
        holder = FloatLayout()
        holder.add_widget(self.preview)
        holder.add_widget(self.guide)
        frame.add_widget(holder)
        self.live.add_widget(frame)
        self.side = side = BoxLayout(orientation="vertical", spacing=px(18), padding=px([0, 20]))
        self.guidance = label("正在打开摄像头…", 40, PRIMARY, bold=True)
        side.add_widget(self.guidance)
        ring_row = BoxLayout(size_hint_y=None, height=px(160))
        self.ring = ProgressRing()
        ring_row.add_widget(self.ring)
        ring_row.add_widget(label("保持不动，自动拍照", 24, MUTED, height=160))
        side.add_widget(ring_row)
        side.add_widget(label("拍照要求：正面免冠，表情自然，双眼睁开，露出眉毛和耳朵；不戴帽子、饰品和有色眼镜；"
                              "请勿穿蓝色衣服。", 22, TEXT))
        side.add_widget(Widget())
        self.live.add_widget(side)
        # review pane
        self.review = BoxLayout(spacing=px(28))
        self.shots_box = BoxLayout(spacing=px(16), size_hint_x=None, width=px(640))
        self.shots_box.bind(size=self._fit_shots)
        self.body.bind(width=self._fit_shots)
        self.review.add_widget(self.shots_box)
        self.questions_pane = questions = BoxLayout(orientation="vertical", spacing=px(10))
        questions.add_widget(label("请逐项确认（符合的请点选）：", 24, TEXT, bold=True))
        self.questions_box = BoxLayout(orientation="vertical", spacing=px(8), size_hint_y=None)
        self.questions_box.bind(minimum_height=self.questions_box.setter("height"))
        questions.add_widget(self.questions_box)
        self.review_hint = label("", 20, MUTED)
        questions.add_widget(self.review_hint)
        questions.add_widget(Widget())
        self.review.add_widget(questions)
        self.shot_choices: list[Choice] = []
        self.confirmations: list[Choice] = []
        # footer
        self.footer.add_widget(Widget())
        self.retake_button = BigButton("重新拍摄", ctl.work.photo_retake, primary=False)
        self.use_button = BigButton("使用选中的照片", self._use, width=280)
        self.body.add_widget(self.live)
        self._mode = "live"
        self._texture: Texture | None = None
        self._blanking = False  # the preview texture's blanking is scheduled (clear)
        self._saving = False  # the chosen photo is with the session (ui/device_steps.py photo_use)
        self._can_retake = True
        self._portrait = False
        self._live_prompt = ""

    def adapt(self, portrait: bool) -> None:
        """Portrait: the preview on top (60% of the height), guidance beneath; the shots above the questions."""
        for box in (self.live, self.review):
            box.orientation = "vertical" if portrait else "horizontal"
        self.frame.size_hint = (1, 0.6) if portrait else (None, 1)
        self.side.size_hint_y = 0.4 if portrait else 1
        self.shots_box.size_hint = (1, 0.55) if portrait else (None, 1)
        self.questions_pane.size_hint_y = 0.45 if portrait else 1
        self._portrait = portrait
        self._fit_shots()

    # -- live -------------------------------------------------------------------------------------------------
    def enter(self, session) -> None:
        self.show_live()
        self.guidance.text = "正在打开摄像头…"
        self.ring.set(0)

    def show_live(self) -> None:
        if self._mode != "live":
            self.body.clear_widgets()
            self.body.add_widget(self.live)
            self.footer.remove_widget(self.retake_button)
            self.footer.remove_widget(self.use_button)
            self.prompt.text = self._live_prompt
            self._mode = "live"

    def show_frame(self, state, preview: np.ndarray | None) -> None:
        """A fed frame's outcome: the guidance message and progress, and the (mirrored) preview."""
        if preview is not None:
            self._texture = texture_from_bgr(preview, self._texture)  # one texture reused for every frame
            self.preview.texture = self._texture
            self.preview.opacity = 1
            self.preview.canvas.ask_update()
        self.guidance.text = state.message
        self.guidance.color = PRIMARY if state.code is None else ADVICE
        self.ring.set(state.progress)

    # -- review -----------------------------------------------------------------------------------------------
    def show_shots(self, photos: list, can_retake: bool, message: str = "") -> None:
        """The shots taken so far (FinalPhoto), the last one chosen; the questions of the photo module."""
        if self._mode == "live":
            self._live_prompt = self.prompt.text
        self.prompt.text = message or REVIEW_PROMPT  # never the live step's 请正对摄像头 over the shots
        self.body.clear_widgets()
        self.body.add_widget(self.review)
        self._mode = "review"
        self.shots_box.clear_widgets()
        self.shot_choices = []
        for i, photo in enumerate(photos):
            column = BoxLayout(orientation="vertical", spacing=px(8), size_hint_x=None, width=px(300))
            image = Image(fit_mode="contain", texture=texture_from_bgr(photo.image))
            column.add_widget(image)
            choice = Choice(f"选择第{i + 1}张", group="photo-shot", allow_no_selection=False, height=60)
            choice.bind(state=lambda *_: self._update_use())
            self.shot_choices.append(choice)
            column.add_widget(choice)
            self.shots_box.add_widget(column)
        if self.shot_choices:
            self.shot_choices[-1].state = "down"
        self._fit_shots()
        self.questions_box.clear_widgets()
        self.confirmations = []
        for question in photos[-1].confirmations if photos else ():
            choice = Choice(question.message, height=60)
            choice.code = question.code
            choice.bind(state=lambda *_: self._update_use())
            self.confirmations.append(choice)
            self.questions_box.add_widget(choice)
        self.review_hint.text = ("如有不符合的，请整理后点“重新拍摄”。" if can_retake else
                                 "已拍两张，请从中选择一张。")
        for button in (self.retake_button, self.use_button):
            if button.parent is None:
                self.footer.add_widget(button)
        self._can_retake = can_retake
        self.retake_button.disabled = not can_retake
        self._update_use()

    def _fit_shots(self, *_) -> None:
        """Each shot as large as the pane's height allows (a 3:4 photo above its choice button), the shots
        together never wider than the pane (portrait) or than half the body (landscape, the questions beside)."""
        columns = self.shots_box.children
        if not columns:
            return
        count, gap = len(columns), self.shots_box.spacing
        image_height = max(self.shots_box.height - px(60) - px(8), px(200))
        room = self.shots_box.width if self._portrait else self.body.width / 2
        width = max(px(200), min(image_height * 3 / 4, (room - gap * (count - 1)) / count))
        for column in columns:
            column.width = width
        if not self._portrait:
            self.shots_box.width = width * count + gap * (count - 1)

    @property
    def is_saving(self) -> bool:
        return self._saving

    @property
    def idle_exempt(self) -> bool:
        """The chosen photo is being saved (and matched to the card): the idle wipe waits for it."""
        return self._saving

    def saving(self, on: bool) -> None:
        """While the session takes the chosen photo (off the UI thread): a progress line, nothing to press."""
        self._saving = on
        if on:
            self.show_message("正在保存照片，请稍候…", MUTED)
        elif self.general_error.text == "正在保存照片，请稍候…":
            self.show_message("")
        for button in (self.use_button, self.retake_button, getattr(self, "exit_button", None)):
            if button is not None:
                button.disabled = on
        if not on:
            self.retake_button.disabled = not self._can_retake
            self._update_use()

    def chosen_index(self) -> int | None:
        return next((i for i, c in enumerate(self.shot_choices) if c.state == "down"), None)

    def _update_use(self) -> None:
        ready = self.chosen_index() is not None and all(c.state == "down" for c in self.confirmations)
        self.use_button.disabled = not ready

    def _use(self) -> None:
        index = self.chosen_index()
        if index is not None:
            self.ctl.work.photo_use(index, [c.code for c in self.confirmations if c.state == "down"])

    def clear(self) -> None:
        super().clear()
        self.shots_box.clear_widgets()
        self.questions_box.clear_widgets()
        self.shot_choices, self.confirmations = [], []
        self.preview.texture = None
        self.preview.opacity = 0
        if self._texture is not None and not self._blanking:  # one preview texture for every student
            self._blanking = True
            Clock.schedule_once(self._blank, BLANK_AFTER_S)
        self.show_live()

    def _blank(self, _dt=None) -> None:
        """The last student's face out of the preview texture (blanked, not made again). Uploading a whole camera
        frame takes ~150 ms on a software GL: done once the attract screen is drawn, not in the screen change."""
        self._blanking = False
        if self._texture is not None and self.preview.opacity == 0:  # not when a new student's frames came since
            from ui.commands.run import release_memory

            self._texture.blit_buffer(bytes(self._texture.width * self._texture.height * 3), colorfmt="rgb",
                                      bufferfmt="ubyte")
            release_memory()  # the upload's buffers, freed after the wipe's own trim, back to the system too


class DocumentScreen(StepScreen):
    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, name="document", **kwargs)
        self.body = body = BoxLayout(spacing=px(28))
        self.frame = frame = BoxLayout(size_hint_x=None, width=px(640), padding=px(6))
        paint(frame, (0.86, 0.89, 0.93, 1), radius=8)
        self.preview = Image(fit_mode="contain")
        frame.add_widget(self.preview)
        body.add_widget(frame)
        side = BoxLayout(orientation="vertical", spacing=px(16), padding=px([0, 10]))
        side.add_widget(label("身份证正面（有照片的一面）朝上，平放在扫描区中央，手离开后点“扫描证件”。", 26, TEXT))
        self.status = label("", 26, MUTED)
        side.add_widget(self.status)
        side.add_widget(Widget())
        self.scan_button = BigButton("扫描证件", ctl.work.document_scan, primary=False)
        side.add_widget(self.scan_button)
        body.add_widget(side)
        self.content.add_widget(body)
        self.footer.add_widget(Widget())
        self.use_button = BigButton("图像清晰，下一步", ctl.work.document_use, width=280)
        self.footer.add_widget(self.use_button)
        self.fields = {}

    def adapt(self, portrait: bool) -> None:
        self.body.orientation = "vertical" if portrait else "horizontal"
        self.frame.size_hint = (1, 0.55) if portrait else (None, 1)

    def enter(self, session) -> None:
        self.show_document(None)

    def busy(self) -> None:
        self.status.text, self.status.color = "正在扫描，请不要移动证件…", MUTED
        self.scan_button.disabled = self.use_button.disabled = True

    def show_document(self, image: np.ndarray | None, problem: str = "") -> None:
        self.preview.texture = texture_from_bgr(image) if image is not None else None
        self.preview.opacity = 1 if image is not None else 0
        if problem:
            self.status.text, self.status.color = problem, ERROR
        elif image is not None:
            self.status.text, self.status.color = "请核对证件图像是否完整、清晰，文字可辨认。", OK
        else:
            self.status.text, self.status.color = "", MUTED
        self.scan_button.disabled = False
        self.scan_button.text = "重新扫描" if image is not None else "扫描证件"
        self.use_button.disabled = image is None

    def clear(self) -> None:
        super().clear()
        self.show_document(None)


class PrintScreen(StepScreen):
    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, name="print", **kwargs)
        self.content.add_widget(Widget())
        self.status = label("", 36, PRIMARY, bold=True, halign="center")
        self.content.add_widget(self.status)
        self.message = label("", 28, TEXT, halign="center")
        self.content.add_widget(self.message)
        self.content.add_widget(Widget())
        self.footer.add_widget(Widget())
        self.retry_button = BigButton("重新打印", ctl.work.print_form)
        self.footer.add_widget(self.retry_button)

    def enter(self, session) -> None:
        self.busy()

    def busy(self) -> None:
        self.status.text, self.status.color = "正在打印报名登记表，请稍候…", PRIMARY
        self.message.text = ""
        self.retry_button.disabled = True
        self.retry_button.opacity = 0

    def failed(self, message: str) -> None:
        self.status.text, self.status.color = "打印未完成", ERROR
        self.message.text = message or "打印失败，请联系工作人员"
        self.retry_button.disabled = False
        self.retry_button.opacity = 1


__all__ = ["DocumentScreen", "PhotoScreen", "PrintScreen", "texture_from_bgr"]
