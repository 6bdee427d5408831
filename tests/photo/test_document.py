"""Document scans: synthetic ID cards (drawn with Pillow in the WenQuanYi font) warped onto a desk."""
import cv2
import numpy as np
import pytest

from kiosk.document import CARD_ASPECT, DocumentKind, make_document
from kiosk.errors import KioskError
from kiosk.photo.jpeg import jfif_density

PLACEMENTS = {
    "tilted": [(260, 190), (1010, 240), (990, 760), (230, 700)],
    "straight": [(200, 200), (1080, 200), (1080, 755), (200, 755)],
    "on_its_side": [(900, 100), (900, 900), (400, 900), (400, 100)],
    "smaller": [(400, 300), (880, 320), (870, 630), (390, 610)],
}


def card_box(img):
    """Bounding box of the non-white card on the white canvas."""
    ys, xs = np.nonzero(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) < 245)
    return xs.min(), ys.min(), xs.max(), ys.max()


@pytest.mark.parametrize("name", PLACEMENTS)
def test_card_rectified_centred_and_within_rules(name, id_number, policy, cards):
    spec = policy.document
    doc = make_document(cards.place_on_desk(cards.draw_card(id_number), PLACEMENTS[name], seed=len(name)), id_number, spec)
    assert doc.filename == f"{id_number}.jpg"
    assert len(doc.jpeg) <= spec.max_bytes
    assert jfif_density(doc.jpeg) == (1, spec.min_dpi, spec.min_dpi)
    img = cv2.imdecode(np.frombuffer(doc.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert img.shape[:2] == (spec.height, spec.width)
    x0, y0, x1, y1 = card_box(img)
    assert (x1 - x0) / (y1 - y0) == pytest.approx(CARD_ASPECT, rel=0.03)
    assert abs((x0 + x1) / 2 - spec.width / 2) <= 3 and abs((y0 + y1) / 2 - spec.height / 2) <= 3


def test_blurred_card_refused(id_number, policy, cards):
    image = cv2.GaussianBlur(cards.place_on_desk(cards.draw_card(id_number), cards.TILTED), (0, 0), 3)
    with pytest.raises(KioskError, match="模糊"):
        make_document(image, id_number, policy.document)


def test_glare_refused(id_number, policy, cards):
    image = cards.place_on_desk(cards.draw_card(id_number), cards.TILTED)
    cv2.circle(image, (600, 450), 90, (255, 255, 255), -1)
    with pytest.raises(KioskError, match="反光"):
        make_document(image, id_number, policy.document)


def test_no_card_refused(id_number, policy, cards):
    desk = np.full((960, 1280, 3), (60, 70, 85), np.uint8)
    with pytest.raises(KioskError, match="证件"):
        make_document(desk, id_number, policy.document)


def test_household_register_page_keeps_its_shape(id_number, policy, cards):
    page = cards.draw_register_page(id_number)
    doc = make_document(cards.place_on_desk(page, [(400, 100), (910, 120), (895, 815), (385, 795)]), id_number,
                        policy.document, kind=DocumentKind.HOUSEHOLD_REGISTER)
    img = cv2.imdecode(np.frombuffer(doc.jpeg, np.uint8), cv2.IMREAD_COLOR)
    x0, y0, x1, y1 = card_box(img)
    assert (x1 - x0) / (y1 - y0) == pytest.approx(page.shape[1] / page.shape[0], rel=0.05)
    assert len(doc.jpeg) <= policy.document.max_bytes


@pytest.mark.slow
def test_ocr_cross_check(id_number, policy, cards):
    image = cards.place_on_desk(cards.draw_card(id_number), cards.TILTED)
    assert make_document(image, id_number, policy.document, ocr=True).warnings == []
    other = id_number[:-2] + "01"
    from stdnum.cn import ric
    other = other[:17] + ric.calc_check_digit(other)
    doc = make_document(image, other, policy.document, ocr=True)
    assert [w.code for w in doc.warnings] == ["ocr_mismatch"]
