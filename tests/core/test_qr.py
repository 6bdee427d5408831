"""Reading the printed form's QR code from the document camera (kiosk.qr): every one of a set of seeded
forms with Ed25519-length payloads decodes through the simulator's path (the OpenCV decoder used before missed the
listed seeds), and bad input gets a Chinese error."""
import numpy as np
import pytest

from bench.bench_qr import camera_image, desk_image, seeded_form
from kiosk.errors import KioskError
from kiosk.form import parse_payload
from kiosk.operator import read_qr

# Of seeds 0-29 the OpenCV decoder read_qr used before (QRCodeDetector over ten rescalings) missed 2, 3, 4, 5, 7, 14
# and 18 on the page; it read seed 0's page but none of the tilted, blurred JPEGs. Repeatable: the record's id and
# times, the signature and the 200 dpi page depend on the seed only.
SEEDS = (0, 2, 3, 14, 18)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_seeded_forms_qr_decodes_through_the_document_camera(seed):
    form = seeded_form(seed)
    page = camera_image(form.pdf)
    text = read_qr(page)
    assert text == form.payload.text() and len(text) == 225
    assert parse_payload(text).signature == form.payload.signature
    assert read_qr(desk_image(page, seed)) == text  # the same page tilted, blurred, JPEG: OpenCV read none of these


def code_image(text: str, module: int = 4) -> np.ndarray:
    """A QR code as the form draws it (kiosk.form.qr.encode), grayscale, `module` pixels a module."""
    from kiosk.form.qr import encode

    matrix = np.array([list(row) for row in encode(text).matrix_iter(border=4)], bool)
    return np.kron(np.where(matrix, 0, 255).astype(np.uint8), np.ones((module, module), np.uint8))


def test_grey_bgra_and_strided_images_decode():
    grey = code_image("HNZK1|grey")
    assert read_qr(grey) == "HNZK1|grey"
    bgra = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    assert read_qr(bgra) == "HNZK1|grey"
    assert read_qr(np.dstack([code_image("HNZK1|grey", 8)] * 3)[::2, ::2]) == "HNZK1|grey"  # a strided view


def test_nothing_several_codes_and_absurd_images_get_a_chinese_error():
    with pytest.raises(KioskError, match="未识别到二维码"):
        read_qr(np.full((400, 400, 3), 255, np.uint8))
    two = np.hstack([code_image("HNZK1|one"), code_image("HNZK1|two")])
    with pytest.raises(KioskError, match="一次只放一张"):
        read_qr(two)
    assert read_qr(np.hstack([code_image("HNZK1|one")] * 2)) == "HNZK1|one"  # the same form twice is one form
    huge = np.broadcast_to(np.uint8(255), (7000, 7000))  # 49 megapixels, no memory behind it: refused unread
    for image in (huge, np.zeros((12_001, 64), np.uint8), np.zeros((10, 10), np.uint8),
                  np.zeros((100, 100, 3), np.float32), np.zeros((100, 100, 5), np.uint8), np.zeros(100, np.uint8),
                  None, b"\x89PNG", [[0, 255]]):
        with pytest.raises(KioskError, match="尺寸或格式异常"):
            read_qr(image)
