"""The map tiles' address in the Content-Security-Policy: the browser
loads tiles only from the source ``img-src`` names, so that source must be
the tile server's scheme and host, whatever the template looks like."""

import pytest

from wellclosure.settings import tile_source


@pytest.mark.parametrize(
    ("template", "source"),
    [
        # 天地图: the placeholders in the query string.
        (
            "https://t0.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=KEY",
            "https://t0.tianditu.gov.cn",
        ),
        ("https://tiles.example.cn/{z}/{x}/{y}.png", "https://tiles.example.cn"),
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        ("http://10.0.0.5:8080/tiles/{z}/{x}/{y}.png", "http://10.0.0.5:8080"),
    ],
)
def test_the_source_is_the_tile_server(template, source):
    assert tile_source(template) == source
