"""The QR code of each berth, leading to its Escale page (built from BASE_URL), for a printable A4 sheet."""

from dataclasses import dataclass

from marina_portal.core.urls import external_url
from marina_portal.models import Berth


@dataclass
class Code:
    berth: Berth
    url: str
    svg: str


def url_of(berth):
    return external_url("visitor.berth", berth_code=berth.code)


def svg_of(url, scale=4):
    """The QR code as inline SVG markup (no style attribute: the page's CSP allows none)."""
    import segno  # lazy: only the sheet needs it

    return segno.make(url, error="m").svg_inline(scale=scale, dark="#000", light="#fff")


def sheet(port):
    """Every berth of the port, by code, with its URL and QR code."""
    berths = Berth.select().where(Berth.port == port).order_by(Berth.code)
    return [Code(berth, url_of(berth), svg_of(url_of(berth))) for berth in berths]
