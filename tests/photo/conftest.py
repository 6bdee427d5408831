import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("GLOG_minloglevel", "2")

import cv2
import pytest
from skimage import data
from stdnum.cn import ric

from drivers.camera.scripted import Subject
from kiosk.photo import FaceAnalyser, PhotoMaker
from kiosk.policy import get_policy

FRAME = (960, 1280)  # a 1280x960 camera turned to portrait


@pytest.fixture(scope="session")
def policy():
    return get_policy("henan-2024")


@pytest.fixture(scope="session")
def subject():
    """scikit-image's astronaut photograph, cut out; her smile painted shut (mouth closed is a rule)."""
    return Subject(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), close_mouth=True)


@pytest.fixture(scope="session")
def smiling_subject():
    return Subject(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))


@pytest.fixture(scope="session")
def analyser(policy):
    with FaceAnalyser(policy.photo, tracking=False) as a:
        yield a


@pytest.fixture(scope="session")
def maker(policy):
    m = PhotoMaker(policy.photo)
    yield m
    m.close()


@pytest.fixture(scope="session")
def id_number():
    base = "41010520090307123"
    return base + ric.calc_check_digit(base + "0")


@pytest.fixture(scope="session")
def cards():
    """tests/photo/cards.py (synthetic ID cards), loaded by path: tests run with --import-mode=importlib."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("photo_test_cards", Path(__file__).with_name("cards.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
