"""Review 5 on the dashboard: what a physician sees on Data quality and Physicians &
clinics is published (counts rounded to 5) like every other figure, as in the CLI.

Signed in as a physician of the sample (tests/app/test_signin.py's accounts); the exact
figures come from the analytics called directly, which is what an admin gets.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics.filters import Filters
from analytics.lost_to_followup import dropout
from analytics.outcomes import funnel
from tests.app.conftest import PAGES, AppFactory, frame_with, texts
from tests.app.test_signin import _sign_in, signed_app  # noqa: F401  (the fixture)


def _signed_in(make: AppFactory, db: Path, email: str, page: str) -> AppTest:
    at = _sign_in(make(db), email)
    at.switch_page(PAGES[page]).run()
    assert not at.exception
    return at


@pytest.mark.parametrize("email", ["kim@clinic.org", "lee@clinic.org"])
def test_who_is_lost_and_completeness_are_not_offered_to_a_non_admin(
    signed_app: tuple[AppFactory, Path],  # noqa: F811
    sample_store: Path,
    email: str,
) -> None:
    """The dashboard's "Who is lost" and completeness tables live on Data quality, an
    admin's page: a physician or a manager cannot reach them (the panels publish their
    figures as the CLI does all the same, should they ever be shown to them)."""
    make, _ = signed_app
    at = _sign_in(make(sample_store), email)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGES["Data quality"])


def test_published_dropout_and_completeness_as_a_panel_would_show_them(
    sample_store: Path,
) -> None:
    from access.scope import Scope
    from analytics.overview import completeness
    from analytics.published import base_for, published_completeness, published_dropout

    manager = Scope("manager", ("Lakeside Back Clinic",))
    filters = Filters(scope=manager)
    exact = dropout(sample_store, filters=filters)
    shown = published_dropout(exact, base_for(manager))
    assert {int(exact["n_followed"].iloc[0]) % 5, int(exact["n_lost"].iloc[0]) % 5} != {0}
    assert set(shown["n_followed"] % 5) == {0}
    assert set(shown["n_lost"] % 5) == {0}
    records = published_completeness(completeness(sample_store, filters=filters), 5)
    assert set(records["n_rows"] % 5) == {0}
    assert (records["share_present"] == records["n_present"] / records["n_rows"]).all()


def test_the_funnels_are_published_for_a_physician(
    signed_app: tuple[AppFactory, Path],  # noqa: F811
    sample_store: Path,
) -> None:
    make, _ = signed_app
    at = _signed_in(make, sample_store, "kim@clinic.org", "Physicians & clinics")
    # the adjusted funnel (the page's default): O/E x E gives back only the rounded O
    table = frame_with(at, "Observed responders (O)")
    shown = table[pd.to_numeric(table["O/E"], errors="coerce").notna()]
    assert len(shown) > 3
    observed = pd.to_numeric(shown["Observed responders (O)"])
    expected = pd.to_numeric(shown["Expected responders (E)"])
    assert set(observed % 5) == {0}
    assert set(expected % 5) == {0}
    assert (pd.to_numeric(shown["O/E"]) * expected - observed).abs().max() <= 0.005 * 60
    exact = funnel(sample_store)
    assert exact.n_total % 5 != 0  # so a multiple of 5 below is the rounding at work
    assert f" of {5 * int((exact.n_total + 2.5) // 5):,} patients assessed" in texts(at)
    # the crude funnel
    switch = next(t for t in at.toggle if "adjust" in t.label.lower())
    switch.set_value(False).run()
    assert not at.exception
    crude = frame_with(at, "Assessed (n)")
    crude = crude[pd.to_numeric(crude["Assessed (n)"], errors="coerce").notna()]
    assert len(crude) > 3
    assert set(pd.to_numeric(crude["Assessed (n)"]) % 5) == {0}
    assert set(pd.to_numeric(crude["Responders"]) % 5) == {0}
    caption = re.search(r"Overall responder rate ([\d.]+)% of ([\d,]+) patients", texts(at))
    assert caption is not None
    n_shown = int(caption.group(2).replace(",", ""))
    assert n_shown == 5 * int((exact.n_total + 2.5) // 5)
    assert caption.group(1) != f"{100 * exact.overall_rate:.1f}" or n_shown == exact.n_total


def test_a_physician_sees_no_flag_the_rounding_cannot_guarantee(
    signed_app: tuple[AppFactory, Path],  # noqa: F811
    sample_store: Path,
) -> None:
    """Funnel positions for a non-admin (analytics.published_positions): a unit not
    flagged is "within the limits, or too close to tell" in both funnels' tables, never
    plainly "within", and a caption says why few units are marked."""
    from analytics.display_rules import PUBLISHED_WITHIN_LABEL
    from dashboard.adjusted_panels import PUBLISHED_POSITIONS

    make, _ = signed_app
    at = _signed_in(make, sample_store, "kim@clinic.org", "Physicians & clinics")
    for adjusted in (True, False):
        if not adjusted:
            switch = next(t for t in at.toggle if "adjust" in t.label.lower())
            switch.set_value(False).run()
            assert not at.exception
        table = frame_with(at, "Against the limits")
        words = set(table["Against the limits"]) - {""}
        assert words, adjusted
        # only the published words, or a flag: never plain "Within the limits"
        assert "Within the limits" not in words
        assert PUBLISHED_WITHIN_LABEL in words
        assert PUBLISHED_POSITIONS in texts(at)
