"""Issue 7: the page hands Streamlit its charts without Altair's schema validation.

What Streamlit sends to the browser must be the same spec, data included, as before;
only the JSON-schema check is skipped (it is kept where the charts are built and tested:
test_charts.py asserts on `chart.to_dict()`, which validates).
"""

from __future__ import annotations

import json

import altair as alt
import jsonschema
import pandas as pd
import pytest
from altair.utils import schemapi
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

from dashboard.charts import encodings
from dashboard.ui import Unvalidated
from tests.app.test_charts import ALL_CHARTS


@pytest.mark.parametrize("name", list(ALL_CHARTS))
def test_streamlit_gets_the_same_spec_and_data(name: str) -> None:
    figure = ALL_CHARTS[name]()
    # Streamlit's own conversion (its data transformer: datasets as Arrow bytes, by hash)
    before = _convert_altair_to_vega_lite_spec(figure)
    after = _convert_altair_to_vega_lite_spec(Unvalidated(figure))  # type: ignore[arg-type]
    assert after["datasets"] == before["datasets"]
    assert before["datasets"]  # the data travels as Arrow datasets in both
    assert json.dumps(after, sort_keys=True, default=repr) == json.dumps(
        before, sort_keys=True, default=repr
    )


def test_the_schema_check_is_really_skipped() -> None:
    """A spec the schema rejects (a mark Vega-Lite does not know) still converts."""
    figure = alt.Chart(pd.DataFrame({"a": [1]})).mark_point().encode(x="a:Q")
    figure.mark = "no_such_mark"
    with pytest.raises(jsonschema.ValidationError):
        figure.to_dict()
    assert Unvalidated(figure).to_dict()["mark"] == {"type": "no_such_mark"}


@pytest.mark.parametrize("name", list(ALL_CHARTS))
def test_altair_without_repeated_work_gives_the_same_spec(name: str) -> None:
    """dashboard.charts.encodings: Altair's class table built once, and no validation at
    creation, give the same charts."""
    assert not schemapi.DEBUG_MODE
    shared = ALL_CHARTS[name]().to_dict()
    encodings.uninstall()
    try:
        assert schemapi._FromDict.__init__ is not encodings._shared_table_init
        assert schemapi.DEBUG_MODE
        own = ALL_CHARTS[name]().to_dict()
    finally:
        encodings.install()
    assert schemapi._FromDict.__init__ is encodings._shared_table_init
    assert json.dumps(shared, sort_keys=True) == json.dumps(own, sort_keys=True)
