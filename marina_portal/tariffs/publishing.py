"""The season's grid as a PDF, published in ESPACE DE TELECHARGEMENT (the older version withdrawn)."""

from marina_portal.core.pdf import render_pdf
from marina_portal.documents import uploads
from marina_portal.tariffs import grid


def grid_pdf(tariff):
    rates = grid.rates_of(tariff)
    return render_pdf(
        "pdf/tariffs.html",
        port=tariff.port,
        tariff=tariff,
        rates=rates,
        periods=grid.PERIODS,
        bases=grid.BASES,
        metres=grid.metres,
        ttc=grid.unit_ttc_cents,
    )


def publish(user, tariff, ip=""):
    """Render the grid, publish it for all boaters, withdraw the season's previous PDF; refused when empty."""
    if not tariff.rates.exists():
        raise grid.Refused("Ajoutez au moins un tarif avant de publier la saison.")
    pdf = grid_pdf(tariff)
    previous = tariff.document
    document = uploads.publish(
        user,
        tariff.port,
        pdf,
        f"tarifs-{tariff.year}.pdf",
        f"Tarifs {tariff.year}",
        category="Tarifs",
        ip=ip,
    )
    if previous is not None and previous.kind == "published":
        uploads.withdraw(user, previous, ip)
    return grid.mark_published(user, tariff, document, ip)


def refresh_if_published(user, tariff, ip=""):
    """After an edit of a published season: its PDF follows (boaters never read an older grid)."""
    if tariff.published_at is not None and tariff.rates.exists():
        publish(user, tariff, ip)
