"""Interfaces the core needs from devices, as typing.Protocol classes, one module per device kind.

drivers/ implements them for real hardware and for simulators that speak the same wire protocol.
"""
