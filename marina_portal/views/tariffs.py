"""« Tarifs »: the published grid and a price simulator, open to anyone (no login)."""

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import gettext as _

from marina_portal.core.formats import paris_today, parse_metres
from marina_portal.core.storage import absolute
from marina_portal.tariffs import grid
from marina_portal.views.shell import current_port

bp = Blueprint("tariffs", __name__, url_prefix="/tarifs")


def _season(port, years):
    """The season asked for, else this year's, else the nearest published one."""
    wanted = request.args.get("annee", "")
    if wanted.isdigit() and int(wanted) in years:
        return grid.season(port, int(wanted))
    today = paris_today().year
    year = today if today in years else min(years, key=lambda y: (abs(y - today), -y))
    return grid.season(port, year)


def _simulate(tariff, categories):
    """(asked, quote, problem) from the simulator's fields; nothing asked when no length was typed."""
    args = request.args
    if "longueur" not in args:
        return None, None, None
    asked = {
        "category": args.get("categorie") if args.get("categorie") in categories else categories[0],
        "period": args.get("periode") if args.get("periode") in grid.PERIODS else "annual",
        "length_cm": parse_metres(args.get("longueur", "")),
        "beam_cm": parse_metres(args.get("largeur", "")) if args.get("largeur", "").strip() else 0,
    }
    for name in ("length_cm", "beam_cm"):
        if asked[name] is None or asked[name] > 20000:
            return asked, None, _("Indiquez une mesure en mètres, par exemple 9,50.")
    try:
        return asked, grid.quote(tariff, asked["category"], asked["period"], asked["length_cm"], asked["beam_cm"]), None
    except grid.NoRate as no_rate:
        return asked, None, no_rate.translated()


@bp.route("/")
def index():
    port = current_port()
    years = grid.published_years(port) if port else []
    if not years:
        return render_template("tariffs/index.html", tariff=None)
    tariff = _season(port, years)
    rates = grid.rates_of(tariff)
    categories = grid.categories_of(tariff) or [grid.DEFAULT_CATEGORY]
    asked, quote, problem = _simulate(tariff, categories)
    return render_template(
        "tariffs/index.html",
        tariff=tariff,
        years=years,
        rates=rates,
        categories=categories,
        periods=grid.PERIODS,
        ttc=grid.unit_ttc_cents,
        asked=asked,
        quote=quote,
        problem=problem,
        args=request.args,
    )


@bp.route("/<int:year>.pdf")
def pdf(year):
    """The published grid's PDF, the same file as in ESPACE DE TELECHARGEMENT."""
    port = current_port()
    tariff = grid.season(port, year) if port else None
    if tariff is None or tariff.document is None:
        abort(404)
    return send_file(
        absolute(tariff.document.stored_as), mimetype="application/pdf", download_name=f"tarifs-{year}.pdf"
    )
