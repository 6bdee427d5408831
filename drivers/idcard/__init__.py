"""Second-generation ID card reader (GA 467 "SAM_V" serial protocol): codec, driver, polling loop, simulator."""


def open(spec: str, **kwargs):  # noqa: A001 - the package's opener, as drivers.<kind>.open
    """The reader named by the config; see drivers.idcard.device.open_reader."""
    from .device import open_reader

    return open_reader(spec, **kwargs)
