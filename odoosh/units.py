"""Figures as a person reads them."""


def human_bytes(size: int) -> str:
    """1536 -> '1.5 KiB': binary units, as `du -h` and pg_size_pretty count."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
