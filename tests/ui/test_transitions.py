"""Screen changes without re-rendering (issue 13, screen transition p95): rendering label text is most of a
transition's time, so a label renders once at its laid-out width, and the review and study-history screens are
built once and filled in place (their labels re-render only when their text changes); the review's photo and
document are decoded off the UI thread and kept by their hash, so coming back from 修改 shows them at once."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from uiflow import lay_card, walk_to  # noqa: E402

from kiosk.session import Step  # noqa: E402


def count_renders(widgets) -> list:
    """Appends a label to the returned list each time it is given a rendered texture."""
    renders = []
    for widget in widgets:
        widget.bind(texture=lambda w, t: t is not None and renders.append(w))
    return renders


def labels(screen) -> list:
    from kivy.uix.label import Label

    return [w for w in screen.walk(restrict=True) if isinstance(w, Label)]


def test_a_label_renders_once_at_its_laid_out_width(kiosk_ui):
    from kivy.uix.boxlayout import BoxLayout

    from ui.screens.base import label

    d = kiosk_ui
    d.on("attract")
    box = BoxLayout(orientation="vertical", size_hint=(None, None), size=(600, 400))
    text = label("身份证正面（有照片的一面）朝上，平放在扫描区中央，手离开后点“扫描证件”。" * 2, 22)
    renders = count_renders([text])
    box.add_widget(text)
    d.window.add_widget(box)
    try:
        d.frames(4)
        assert renders == [text], f"rendered {len(renders)} times"
        assert text.texture.width <= 600 and text.texture_size[1] > text.font_size * 1.5  # wrapped at 600 px
        assert text.height == text.texture_size[1]
    finally:
        d.window.remove_widget(box)


def test_review_and_history_are_filled_in_place(kiosk_ui):
    d, app = kiosk_ui, kiosk_ui.app
    lay_card(d)
    app.devices.card_reader.simulate("remove")
    walk_to(d, Step.REVIEW)
    review = d.screen
    photo = review.pictures["photo"]
    d.until(lambda: photo.image.parent is not None and photo.image.texture is not None, 10, "the photo decoded")
    texture, shown = photo.image.texture, labels(review)
    assert not review.loading  # the tour waits on this before its screenshot
    assert any(app.session.record.name in w.text for w in shown)
    renders = count_renders(shown)

    d.tap(review.edit_buttons[Step.HISTORY])  # 修改 the study history, and back
    d.on("history")
    history = d.screen
    rows, row_labels = list(history.rows), labels(history)
    assert rows and rows[0].school.text == app.session.record.study_history[0].school
    d.tap(history.next_button)
    d.on("review")
    assert photo.image.texture is texture and photo.image.parent is not None  # at once, not decoded again
    d.frames(3)
    assert labels(review) == shown and renders == []  # the same labels, none rendered again

    d.tap(review.edit_buttons[Step.HISTORY])
    d.on("history")
    assert history.rows == rows and labels(history) == row_labels

    d.tap(history.exit_button)  # the wipe empties the rows kept for the next student
    d.on("attract")
    assert history.rows == [] and all(not f.text for row in history.spare for f in row.fields().values())
    assert photo.image.texture is None and review._textures == {}
