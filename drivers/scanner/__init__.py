"""Document scanners: a UVC document camera through OpenCV, or a SANE scanner when python-sane is importable."""
from __future__ import annotations

import cv2
import numpy as np

from drivers.camera.opencv import OpenCVCamera
from kiosk.errors import KioskError


class CameraScanner:
    """DocumentScanner over a document camera: the newest frame after the exposure has settled."""

    def __init__(self, source: int | str, *, width: int = 1920, height: int = 1080, settle_frames: int = 5):
        self.camera = OpenCVCamera(source, width=width, height=height, loop=isinstance(source, str))
        self.settle_frames = settle_frames
        self.camera.open()

    def scan(self) -> np.ndarray:
        frame = None
        for _ in range(self.settle_frames):
            frame = self.camera.read(timeout=2.0) or frame
        if frame is None:
            raise KioskError("证件扫描设备没有图像，请联系工作人员检查", detail="document camera gave no frame")
        return frame.image

    def close(self) -> None:
        self.camera.close()


class SaneScanner:
    """DocumentScanner over SANE (python-sane, optional): the first device, or the one named."""

    def __init__(self, device: str | None = None, *, dpi: int = 300):
        try:
            import sane  # optional: not in the lock file
        except ImportError as exc:
            raise KioskError("未安装扫描仪支持，请联系工作人员", detail="python-sane is not installed") from exc
        sane.init()
        names = [d[0] for d in sane.get_devices()]
        if not names:
            raise KioskError("未找到扫描仪，请联系工作人员检查连接", detail="no SANE device")
        self.device = sane.open(device or names[0])
        self.device.resolution = dpi

    def scan(self) -> np.ndarray:
        image = self.device.scan()  # a PIL image
        return cv2.cvtColor(np.array(image.convert("RGB")), cv2.COLOR_RGB2BGR)

    def close(self) -> None:
        self.device.close()


class ImageScanner:
    """DocumentScanner that returns an image file (simulation and the CLI)."""

    def __init__(self, path: str):
        self.path = path

    def scan(self) -> np.ndarray:
        image = cv2.imread(self.path, cv2.IMREAD_COLOR)
        if image is None:
            raise KioskError("无法读取证件图像文件，请确认文件是 JPG 或 PNG 图片", detail="unreadable document image")
        return image

    def close(self) -> None:
        pass


def open(spec: str):  # noqa: A001 - the package's opener, as drivers.<kind>.open
    """The document scanner named by the config's `document_camera`: "simulator" (renders the card just read),
    "sane" or "sane:<device>", a UVC device index ("1") or an image/video path."""
    if spec == "simulator":
        from .simulated import SimulatedDocumentCamera

        return SimulatedDocumentCamera()
    if spec == "sane" or spec.startswith("sane:"):
        return SaneScanner(spec.partition(":")[2] or None)
    return CameraScanner(int(spec) if spec.isdigit() else spec)
