"""The OpenCV camera driver on real video files: newest frame only, and recovery when the source goes and returns."""
import time

import cv2
import numpy as np
import pytest

from drivers.camera import ImageCamera, LatestFrame, OpenCVCamera, file_camera
from kiosk.devices.camera import Frame
from kiosk.errors import KioskError


def write_video(path, frames: int = 12, size=(160, 120)) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, size)
    assert writer.isOpened()
    for i in range(frames):
        img = np.full((size[1], size[0], 3), (40 + 15 * i) % 256, np.uint8)
        cv2.putText(img, str(i), (10, 80), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 3)
        writer.write(img)
    writer.release()


def wait_for(condition, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_recovers_when_the_source_disappears_and_returns(tmp_path):
    """The video file is moved away (the camera unplugged) and back: the driver reports the loss, keeps trying,
    and delivers fresh frames again without being reopened by its caller."""
    video = tmp_path / "camera.avi"
    write_video(video)
    cam = OpenCVCamera(str(video), fps=200, reopen_interval=0.05)  # no loop: the end of the file is a lost camera
    cam.open()
    try:
        first = cam.read(timeout=2)
        assert first is not None and first.image.shape == (120, 160, 3) and cam.connected
        gone = tmp_path / "unplugged.avi"
        video.rename(gone)
        assert wait_for(lambda: not cam.connected), "the loss was not noticed"
        cam.read(timeout=0.05)  # the last frame before the loss, if not taken yet
        time.sleep(0.3)  # several reopen attempts, all failing
        assert not cam.connected
        assert cam.read(timeout=0.1) is None  # nothing new while the camera is gone
        gone.rename(video)
        assert wait_for(lambda: cam.connected), "the camera was not reopened"
        again = cam.read(timeout=2)
        assert again is not None and again.index > first.index and again.image.shape == (120, 160, 3)
    finally:
        cam.close()
    assert not cam.connected


def test_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(KioskError, match="摄像头"):
        OpenCVCamera(str(tmp_path / "nothing.avi")).open()


def test_looping_video_keeps_delivering(tmp_path):
    video = tmp_path / "loop.avi"
    write_video(video, frames=5)
    cam = file_camera(video, fps=200)
    assert isinstance(cam, OpenCVCamera)
    cam.open()
    try:
        indices = []
        for _ in range(15):  # three times the file's length
            frame = cam.read(timeout=2)
            assert frame is not None
            indices.append(frame.index)
        assert indices == sorted(set(indices)) and cam.connected
    finally:
        cam.close()


def test_image_file_camera_loops(tmp_path):
    path = tmp_path / "still.png"
    cv2.imwrite(str(path), np.full((60, 80, 3), 99, np.uint8))
    cam = file_camera(path, fps=10)
    assert isinstance(cam, ImageCamera)
    cam.open()
    frames = [cam.read() for _ in range(3)]
    assert [f.index for f in frames] == [0, 1, 2] and frames[2].timestamp == pytest.approx(0.2)
    cam.close()
    assert cam.read() is None


def test_latest_frame_slot_keeps_only_the_newest():
    slot = LatestFrame()
    image = np.zeros((2, 2, 3), np.uint8)
    for i in range(5):
        slot.put(Frame(image, float(i), i))
    assert slot.take(timeout=0).index == 4
    assert slot.take(timeout=0.05) is None  # already taken: wait for a new one
    slot.put(Frame(image, 5.0, 5))
    assert slot.take(timeout=0).index == 5
