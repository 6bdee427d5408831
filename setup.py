"""Packaging for the Henan junior-high exam registration kiosk.

Loose, honest ranges live here for people who use the code as a library; the appliance and CI install the exact,
hashed requirements/lock.txt (see scripts/bootstrap.sh and requirements/README.md).
"""
from setuptools import find_packages, setup

EXTRAS = {
    # Card reader (serial), operator badges (PC/SC), printer (CUPS), systemd watchdog.
    "devices": ["pyserial>=3.5", "pyscard>=2.0", "pycups>=2.0", "sdnotify>=0.3"],
    # Photo and document pipeline: one OpenCV distribution only (headless), face models shipped in the wheel;
    # zxing-cpp reads the printed form's QR code from the document camera (operator sign-off). The live face is
    # matched to the ID card with these too (the embedding model's files are fetched at setup time, not a package:
    # kiosk/photo/weights.py).
    "photo": ["opencv-python-headless>=4.9,<5", "numpy>=1.24,<2", "pillow>=10", "mediapipe==0.10.21",
              "zxing-cpp>=2.2,<4"],
    "ocr": ["rapidocr-onnxruntime>=1.4,<1.5"],
    # The registration form.
    "form": ["reportlab>=4.0", "segno>=1.6", "fonttools>=4.40"],
    # The Kivy touch UI.
    "ui": ["kivy>=2.3,<2.4", "fonttools>=4.40"],
    # Central server.
    "server": [
        "fastapi>=0.110", "uvicorn[standard]>=0.29", "sqlalchemy>=2.0", "alembic>=1.13", "psycopg[binary]>=3.1",
        "boto3>=1.34", "jinja2>=3.1", "python-multipart>=0.0.9",
        # Operator console: password hashes, roster and export spreadsheets, 公示 PDF; pillow also checks JPEG
        # attachments header first (dimensions, density) without decoding.
        "argon2-cffi>=23.1", "openpyxl>=3.1", "reportlab>=4.0", "pillow>=10",
    ],
    "test": [
        "pytest>=8", "pytest-timeout>=2.3", "hypothesis>=6.100", "scikit-image>=0.22", "moto[server]>=5",
        "schemathesis>=3.30", "playwright>=1.45", "pytest-playwright>=0.5",
    ],
}
EXTRAS["all"] = sorted({req for reqs in EXTRAS.values() for req in reqs})

setup(
    name="henan-exam-kiosk",
    version="0.1.0",
    description="Self-service registration kiosk for Henan's junior-high exam (初中学业水平考试考生基本信息采集)",
    python_requires=">=3.11,<3.13",
    packages=find_packages(include=["kiosk*", "drivers*", "ui*", "provisioning*", "central*", "bench*"]),
    include_package_data=True,
    package_data={"kiosk": ["policy/data/*.json", "identity/data/*.json"],
                  "central": ["templates/*", "static/*", "console/templates/*", "console/data/*"],
                  "provisioning": ["release-key.pub", "units/*"], "drivers": ["camera/*.jpg"]},
    install_requires=[
        "python-stdnum>=1.20",  # GB 11643 ID numbers and GB/T 2260 regions
        "cryptography>=42",  # AES-GCM for personal data at rest, Ed25519 terminal keys
        "pydantic>=2.6",  # the record and wire schema shared with central/
        "httpx>=0.27",  # sync client
        "tzdata>=2024.1",  # Asia/Shanghai even on a machine without system zoneinfo
    ],
    extras_require=EXTRAS,
    entry_points={
        "console_scripts": [
            "kiosk=ui.cli:main",
            "kiosk-central=central.cli:main",
            "kiosk-provision=provisioning.cli:main",
        ]
    },
)
