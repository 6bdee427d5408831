"""The optional vendor photo decoder hook, with a stand-in library built from C at test time."""
import shutil
import subprocess

import pytest

from drivers.idcard import wlt
from drivers.idcard.simulator import WLT_MAGIC
from kiosk.devices.card_reader import CardReadFailed

# Same C signature as libwlt.so's unpack: writes a 54-byte BMP header and 102x126 BGR pixels, returns 1.
FAKE_LIBWLT = r"""
#include <string.h>
int unpack(char *wlt, char *out, int flag) {
    if (memcmp(wlt, "WLf", 3) != 0) return 0;
    memset(out, 0, 54); out[0] = 'B'; out[1] = 'M';
    for (int i = 0; i < 102 * 126 * 3; i++) out[54 + i] = (char)(i % 251);
    return 1;
}
"""


@pytest.fixture
def fake_library(tmp_path):
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build the stand-in WLT library")
    source = tmp_path / "fakewlt.c"
    source.write_text(FAKE_LIBWLT)
    library = tmp_path / "libfakewlt.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    return str(library)


def test_without_a_library_the_kiosk_says_so(monkeypatch):
    monkeypatch.delenv(wlt.ENV_VAR, raising=False)
    decoder, status = wlt.load()
    assert decoder is None and not status.available and "未配置" in status.message


def test_a_broken_library_path_is_reported_not_raised(tmp_path):
    decoder, status = wlt.load(str(tmp_path / "missing.so"))
    assert decoder is None and not status.available and "无法加载" in status.message


def test_vendor_library_is_called_through_ctypes(fake_library, monkeypatch):
    monkeypatch.setenv(wlt.ENV_VAR, fake_library)
    decoder, status = wlt.load()
    assert status.available
    pixels = decoder.decode(WLT_MAGIC + bytes(1016))
    assert len(pixels) == wlt.BGR_SIZE == 38556 and pixels[:3] == bytes([0, 1, 2])
    with pytest.raises(CardReadFailed):
        decoder.decode(bytes(1024))
