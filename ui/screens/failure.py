"""The failure screen: what happened, what to do, a retry where one makes sense, 呼叫工作人员 (which also flags the
terminal in the heartbeat) and, unless the failure waits for an operator, the exit that wipes the student's data.

Failures are plain data (Failure); the controller (ui/app.py) decides when one is shown and when it is over (the
reader came back, the retry succeeded). The step screen underneath keeps everything typed: it is not cleared.
"""
from __future__ import annotations

from dataclasses import dataclass

from kivy.uix.widget import Widget

from .base import ERROR, MUTED, OK, TEXT, BigButton, StepScreen, label

EXIT_TEXT = "退出，清除本人信息"


@dataclass(frozen=True)
class Failure:
    kind: str  # card_reader, camera, camera_silent, scanner, printer, seal (the heartbeat's staff_call says it)
    title: str  # what happened
    advice: str  # what to do now
    retry: str = ""  # the retry button's text ("" none: the failure clears itself or needs staff)
    operator: str = ""  # what the staff should fix (the printer's alert)
    waits_for_operator: bool = False  # never wiped by the idle timeout, no exit button


def reader_lost(mid_flow: bool) -> Failure:
    kept = "已填写的信息已保留，阅读器恢复后自动继续。" if mid_flow else "阅读器恢复后即可继续使用。"
    return Failure("card_reader", "身份证阅读器连接中断", f"请稍候，{kept}长时间未恢复请呼叫工作人员。",
                   operator="检查身份证阅读器的USB连接和电源")


def _then(message: str, advice: str) -> str:
    return f"{message.rstrip('。')}。{advice}" if message else advice


def camera_error(message: str) -> Failure:
    return Failure("camera", "摄像头无法使用", _then(message, "可以点“重试”再次打开摄像头；仍不行请点“呼叫工作人员”。"),
                   retry="重试", operator="检查拍照摄像头的连接")


def camera_silent(seconds: float) -> Failure:
    return Failure("camera_silent", "摄像头没有画面",
                   f"摄像头已{seconds:.0f}秒没有传来图像。请点“重试”重新打开摄像头；仍不行请点“呼叫工作人员”。",
                   retry="重试", operator="拍照摄像头无图像：检查连接，必要时重新插拔")


def scanner_error(message: str) -> Failure:
    return Failure("scanner", "证件扫描设备故障", _then(message, "请点“重试”再扫描一次；仍不行请点“呼叫工作人员”。"),
                   retry="重试", operator="检查证件扫描仪/高拍仪的连接")


def printer_failed(student: str, operator: str) -> Failure:
    """Each CUPS reason is already translated by drivers/printer/reasons.py into both messages. The record is
    submitted and not printed: the screen waits for the staff, whatever the idle timeout."""
    return Failure("printer", "登记表未能打印",
                   _then(student or "打印失败，请联系工作人员", "信息已保存，请在终端旁稍候，不要离开。"),
                   retry="已处理，重新打印", operator=operator or "查看打印机状态后重新打印",
                   waits_for_operator=True)


def seal_broken() -> Failure:
    """The staff are called at once (the app flags it); the student can only leave (nothing of theirs is shown)."""
    return Failure("seal", "终端存储的数据校验失败", "本地数据无法解密或已被篡改，已停止操作并通知工作人员，请稍候。",
                   operator="本地数据校验失败（可能被篡改或设备密钥错误）：请技术人员检查")


class FailureScreen(StepScreen):
    show_strip = False

    def __init__(self, ctl, **kwargs):
        super().__init__(ctl, name="failure", **kwargs)
        self.failure: Failure | None = None
        self.prompt.height, self.prompt.opacity = 0, 0  # the title below says it in large type
        self.content.add_widget(Widget(size_hint_y=0.3))
        self.headline = label("", 40, ERROR, bold=True, halign="center")
        self.content.add_widget(self.headline)
        self.advice = label("", 28, TEXT, halign="center")
        self.content.add_widget(self.advice)
        self.operator = label("", 22, MUTED, halign="center")
        self.content.add_widget(self.operator)
        self.called = label("", 26, OK, bold=True, halign="center")
        self.content.add_widget(self.called)
        self.content.add_widget(Widget())
        self.exit_button = BigButton(EXIT_TEXT, ctl.exit_session, primary=False, width=300)
        self.footer.add_widget(self.exit_button)
        self.footer.add_widget(Widget())
        self.call_button = BigButton("呼叫工作人员", ctl.failures.call_staff, primary=False, width=240)
        self.footer.add_widget(self.call_button)
        self.retry_button = BigButton("重试", ctl.failures.retry, width=280)
        self.footer.add_widget(self.retry_button)

    def show(self, failure: Failure) -> None:
        self.failure = failure
        self.prompt.text = failure.title
        self.headline.text = failure.title
        self.advice.text = sentences(failure.advice)
        self.operator.text = f"工作人员：{failure.operator}" if failure.operator else ""
        self.called.text = ""
        self.call_button.disabled = False
        self.retry_button.text = failure.retry or "重试"
        self.retry_button.disabled = not failure.retry
        self.retry_button.opacity = 1 if failure.retry else 0
        if failure.retry and self.retry_button.parent is None:  # without a retry 呼叫工作人员 sits at the right
            self.footer.add_widget(self.retry_button)
        elif not failure.retry and self.retry_button.parent is not None:
            self.footer.remove_widget(self.retry_button)
        self.exit_button.disabled = failure.waits_for_operator
        self.exit_button.opacity = 0 if failure.waits_for_operator else 1

    def staff_called(self) -> None:
        self.called.text = "已呼叫工作人员，请稍候"
        self.call_button.disabled = True

    def show_state(self, session) -> None:
        """The header says the failure, never the step's prompt (not 正在打印 after paper-out)."""

    def clear(self) -> None:
        super().clear()
        self.failure = None
        for widget in (self.headline, self.advice, self.operator, self.called):
            widget.text = ""


def sentences(text: str) -> str:
    """One sentence a line: centred text then breaks where a reader pauses, never before a closing mark."""
    return "\n".join(part + "。" for part in text.split("。") if part.strip())


def add_exit_button(screen, on_exit) -> BigButton:
    """退出，清除本人信息 at the left of a step screen's footer."""
    button = BigButton(EXIT_TEXT, on_exit, primary=False, width=300, font_size=24)
    screen.footer.add_widget(button, index=len(screen.footer.children))
    screen.exit_button = button
    return button


__all__ = ["EXIT_TEXT", "Failure", "FailureScreen", "add_exit_button", "camera_error", "camera_silent",
           "printer_failed", "reader_lost", "scanner_error", "seal_broken"]
