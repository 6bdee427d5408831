import tomllib

import pytest

from kiosk.config import TerminalConfig


def test_a_demo_config_given_a_server_is_written_as_a_production_one(tmp_path):
    """demo is derived from server_url unless chosen: enrolling (server_url set on a copy) must not write a config
    that says demo = true beside a server, which no terminal could load again."""
    demo = TerminalConfig(data_dir=tmp_path)
    assert demo.demo
    path = tmp_path / "kiosk.toml"
    path.write_text(demo.model_copy(update={"server_url": "https://central.example"}).to_toml(), encoding="utf-8")
    again = TerminalConfig.load(path)
    assert again.server_url == "https://central.example" and not again.demo


def test_a_chosen_demo_flag_survives_the_round_trip(tmp_path):
    chosen = TerminalConfig(data_dir=tmp_path, demo=False, server_url="https://central.example")
    assert tomllib.loads(chosen.to_toml())["demo"] is False
    with pytest.raises(ValueError):
        TerminalConfig(data_dir=tmp_path, demo=True, server_url="https://central.example")
