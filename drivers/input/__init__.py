"""Input adapters: pinyin on librime (drivers.input.rime), handwriting on zinnia (drivers.input.zinnia)."""
