"""Harbour office, port life: free-berth calendar (CSV, iCalendar), visitor lettings, waiting list, news."""

import datetime as dt
import re

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from marina_portal.core.formats import euros, metres, paris_today, parse_euros, parse_french_date
from marina_portal.models import Absence, Berth, Contract, Customer, NewsItem, WaitingListApplication
from marina_portal.port_life import absences, berth_calendar, news, waiting_list
from marina_portal.views.access import staff_required
from marina_portal.views.forms import EmptyForm
from marina_portal.views.htmx import is_fragment_request
from marina_portal.views.port_life.forms import (
    ConfirmDateForm,
    CreditRuleForm,
    LettingForm,
    NewsForm,
    OfferForm,
    ReturnDateForm,
)
from marina_portal.views.shell import current_port
from marina_portal.views.staff.frame import bp, port_row_or_404

CALENDAR_DAYS = 31


@bp.route("/port/", endpoint="port_life")
@staff_required
def port_life():
    port = current_port()
    credit = CreditRuleForm(mode=port.absence_credit_mode, value=_credit_value_text(port))
    confirm = ConfirmDateForm(
        confirm_on=port.waiting_list_confirm_on.isoformat() if port.waiting_list_confirm_on else ""
    )
    return render_template("staff/port_life/index.html", credit=credit, confirm=confirm)


def _credit_value_text(port):
    if port.absence_credit_mode == "per_night":
        return f"{port.absence_credit_value // 100},{port.absence_credit_value % 100:02d}"
    return str(port.absence_credit_value)


@bp.route("/port/settings/credit", methods=["POST"])
@staff_required
def port_credit_rule():
    form = CreditRuleForm()
    if form.validate_on_submit():
        text = form.value.data.replace("%", "").strip()
        value = (
            parse_euros(text)
            if form.mode.data == "per_night"
            else (int(text) if re.fullmatch(r"[0-9]{1,3}", text) else None)
        )  # a percent, or N nights let for one free night
        try:
            absences.set_credit_rule(current_port(), form.mode.data, value)
        except absences.AbsenceRefused as refusal:
            flash(str(refusal), "error")
        else:
            flash("La règle de crédit des absences est enregistrée.", "success")
    else:
        flash("Indiquez une valeur pour la règle de crédit.", "error")
    return redirect(url_for("staff.port_life"), code=303)


@bp.route("/port/settings/confirm-date", methods=["POST"])
@staff_required
def port_confirm_date():
    form = ConfirmDateForm()
    if form.validate_on_submit():
        waiting_list.set_confirmation_date(current_port(), form.confirm_on.date)
        flash("La date annuelle de confirmation est enregistrée.", "success")
    else:
        flash("Saisissez une date valide, par exemple 15/03/2027.", "error")
    return redirect(url_for("staff.port_life"), code=303)


def _period():
    first = parse_french_date(request.args.get("from", "")) or paris_today()
    if not 2000 <= first.year <= 2100:
        first = paris_today()
    days = request.args.get("days", "")
    count = min(int(days), 366) if re.fullmatch(r"[0-9]{1,4}", days) and int(days) > 0 else CALENDAR_DAYS
    return first, count


@bp.route("/port/calendar")
@staff_required
def port_calendar():
    first, count = _period()
    by_day, period_absences = berth_calendar.days(current_port(), first, count)
    feed_key = berth_calendar.feed_key(current_user)
    return render_template(
        "staff/port_life/calendar.html",
        by_day=by_day,
        absences=period_absences,
        first=first,
        count=count,
        feed_key=feed_key,
        key_form=EmptyForm(),
        previous=first - dt.timedelta(days=count),
        following=first + dt.timedelta(days=count),
    )


@bp.route("/port/calendar/key", methods=["POST"])
@staff_required
def port_calendar_key():
    """Renew one's own feed key: a calendar program still using the old one gets nothing more."""
    if EmptyForm().validate_on_submit():
        berth_calendar.renew_feed_key(current_user)
        flash("Nouvelle adresse d'abonnement créée : l'ancienne ne fonctionne plus.", "success")
    return redirect(url_for("staff.port_calendar"), code=303)


@bp.route("/port/calendar.csv")
@staff_required
def port_calendar_csv():
    first, count = _period()
    body = berth_calendar.as_csv(current_port(), first, count)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="postes-libres-{first.isoformat()}.csv"'},
    )


@bp.route("/port/calendar.ics")
def port_calendar_ics():
    """For staff logged in, or for a calendar program subscribed with the feed key shown on the calendar."""
    port = current_port()
    if not (current_user.is_authenticated and current_user.is_staff):
        if berth_calendar.feed_owner(request.args.get("key", "")) is None:
            abort(404)
    today = paris_today()
    body = berth_calendar.as_ical(
        port, today - dt.timedelta(days=30), today + dt.timedelta(days=366), current_app.config["BASE_URL"]
    )
    return Response(
        body, mimetype="text/calendar", headers={"Content-Disposition": 'inline; filename="postes-libres.ics"'}
    )


@bp.route("/port/absences/<int:absence_id>/letting", methods=["GET", "POST"])
@staff_required
def port_letting(absence_id):
    query = (
        Absence.select(Absence, Contract, Berth, Customer).join(Contract).join(Berth).switch(Contract).join(Customer)
    )
    absence = port_row_or_404(Absence, absence_id, query, Contract.port)
    form = LettingForm()
    problem = None
    if form.validate_on_submit():
        try:
            done = absences.record_letting(
                absence.id, form.starts_on.date, form.ends_on.date, form.revenue_cents, current_user.id
            )
        except absences.AbsenceRefused as refusal:
            problem = str(refusal)
        else:
            flash(
                f"Location enregistrée : crédit de {euros(done.credit_cents)} pour "
                f"{absence.contract.customer.full_name}."
                + "".join(
                    f" Crédit absence déduit de la facture {p.invoice.number} : {euros(p.amount_cents)}."
                    for p in done.deducted
                ),
                "success",
            )
            return redirect(url_for("staff.port_calendar", **{"from": absence.starts_on.isoformat()}), code=303)
    return render_template(
        "staff/port_life/letting.html",
        form=form,
        absence=absence,
        problem=problem,
        lettings=list(absence.lettings),
        return_form=ReturnDateForm(formdata=None),
    )


@bp.route("/port/absences/<int:absence_id>/return", methods=["POST"])
@staff_required
def port_change_return(absence_id):
    form = ReturnDateForm()
    if not form.validate_on_submit():
        flash("Saisissez une date de retour valide, par exemple 15/07/2026.", "error")
    else:
        try:
            absences.change_return_by_staff(absence_id, form.ends_on.date, current_port())
        except absences.AbsenceRefused as refusal:
            flash(str(refusal), "error")
        else:
            flash("La date de retour est modifiée.", "success")
    return redirect(url_for("staff.port_letting", absence_id=absence_id), code=303)


@bp.route("/port/waiting-list")
@staff_required
def port_waiting_list_index():
    return render_template("staff/port_life/waiting_list.html", applications=waiting_list.ranked(current_port()))


@bp.route("/port/waiting-list/<int:application_id>/offer", methods=["GET", "POST"])
@staff_required
def port_offer(application_id):
    application = port_row_or_404(WaitingListApplication, application_id)
    form = OfferForm()
    form.berth.choices = [
        SelectChoice(b.id, f"{b.code} — {metres(b.length_cm)} × {metres(b.width_cm)}")
        for b in waiting_list.berths_for(application)
    ]
    problem = None
    if form.validate_on_submit():
        try:
            waiting_list.make_offer(application.id, form.berth.data, form.deadline.date)
        except waiting_list.WaitingListRefused as refusal:
            problem = str(refusal)
        else:
            flash(
                f"Place proposée à {application.last_name} {application.first_name} ; un mail lui a été envoyé.",
                "success",
            )
            return redirect(url_for("staff.port_waiting_list_index"), code=303)
    return render_template("staff/port_life/offer.html", form=form, application=application, problem=problem)


@bp.route("/port/news", methods=["GET", "POST"])
@staff_required
def port_news_index():
    form = NewsForm()
    problem = None
    if form.validate_on_submit():
        try:
            news.publish(
                current_port(),
                current_user.id,
                form.title.data,
                form.body.data,
                form.is_alert.data,
                form.send_mail.data,
                form.alert_for_all.data,
            )
        except news.NewsRefused as refusal:
            problem = str(refusal)
        else:
            flash("L'information est publiée sur la page d'accueil des plaisanciers.", "success")
            return redirect(url_for("staff.port_news_index"), code=303)
    return render_template(
        "staff/port_life/news.html",
        form=form,
        problem=problem,
        items=news.for_staff(current_port()),
        delete_form=EmptyForm(),
    )


@bp.route("/port/news/<int:news_id>/progress")
@staff_required
def port_news_progress(news_id):
    item = port_row_or_404(NewsItem, news_id)
    if not is_fragment_request():
        return redirect(url_for("staff.port_news_index"))
    response = Response(render_template("staff/port_life/_news_progress.html", item=item))
    response.headers["Vary"] = "HX-Request"
    return response


@bp.route("/port/news/<int:news_id>/delete", methods=["POST"])
@staff_required
def port_news_delete(news_id):
    if EmptyForm().validate_on_submit():
        news.delete(news_id, current_port())
        flash("L'information est retirée.", "success")
    return redirect(url_for("staff.port_news_index"), code=303)
