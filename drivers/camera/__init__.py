"""Cameras: OpenCV capture with a newest-frame thread and recovery; looping files and a scripted subject."""
from .opencv import ImageCamera, LatestFrame, OpenCVCamera, file_camera
from .scripted import BLUE, Pose, ScriptedCamera, Subject

__all__ = ["BLUE", "ImageCamera", "LatestFrame", "OpenCVCamera", "Pose", "ScriptedCamera", "Subject", "file_camera",
           "open"]


def open(spec: str):  # noqa: A001 - the package's opener, as drivers.<kind>.open
    """The photo camera named by the config: "simulator" (the scripted demo student, looping), a device index
    ("0") or a path/URL. Not yet opened: the photo step opens and closes it."""
    if spec == "simulator":
        from .demo import demo_camera

        return demo_camera(loop=True)
    return OpenCVCamera(int(spec) if spec.isdigit() else spec)
