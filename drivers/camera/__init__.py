"""Cameras: OpenCV capture with a newest-frame thread and recovery; looping files and a scripted subject."""
from .opencv import ImageCamera, LatestFrame, OpenCVCamera, file_camera
from .scripted import BLUE, Pose, ScriptedCamera, Subject

__all__ = ["BLUE", "ImageCamera", "LatestFrame", "OpenCVCamera", "Pose", "ScriptedCamera", "Subject", "file_camera"]
