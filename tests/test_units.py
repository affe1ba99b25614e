from odoosh.units import human_bytes


def test_human_bytes_uses_binary_units():
    assert human_bytes(0) == "0 B"
    assert human_bytes(1023) == "1023 B"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(36 * 1024**2) == "36.0 MiB"
    assert human_bytes(1_180_000_000) == "1.1 GiB"
    assert human_bytes(5 * 1024**5) == "5120.0 TiB"
