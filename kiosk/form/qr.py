"""The QR code as a vector ReportLab flowable (crisp at any print resolution, a few hundred bytes)."""
from __future__ import annotations

import segno
from reportlab.platypus import Flowable


def encode(text: str) -> segno.QRCode:
    """Error correction M: survives a fold or a pen stroke across the code; encoded once per form (~40 ms)."""
    return segno.make(text, error="m", micro=False, boost_error=False)


class QRFlowable(Flowable):
    def __init__(self, qr: segno.QRCode, size: float):
        super().__init__()
        self.qr = qr
        self.size = size
        self.width = self.height = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self):
        rows = list(self.qr.matrix_iter(border=4))
        module = self.size / len(rows)
        canvas = self.canv
        canvas.setFillColorRGB(0, 0, 0)
        for y, row in enumerate(rows):
            x = 0
            row = list(row)
            while x < len(row):
                if not row[x]:
                    x += 1
                    continue
                start = x
                while x < len(row) and row[x]:
                    x += 1
                canvas.rect(start * module, self.size - (y + 1) * module, (x - start) * module, module,
                            stroke=0, fill=1)
