"""``reports.render.json``: strict JSON (RFC 8259) from payloads with non-finite numbers."""

import json
import math

import numpy as np
import pytest

from reports.render.json import json_text


def _strict(text):
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float64("nan"), np.inf])
def test_non_finite_numbers_become_null_at_any_depth(bad):
    payload = {"z": bad, "cases": [{"z": bad, "ok": 1.5}, (bad, 2)], "nested": {"deep": [[bad]]}}
    assert _strict(json_text(payload)) == {
        "z": None,
        "cases": [{"z": None, "ok": 1.5}, [None, 2]],
        "nested": {"deep": [[None]]},
    }


def test_finite_values_and_other_types_are_unchanged():
    payload = {"a": 0.1, "b": -3, "c": "NaN", "d": True, "e": None, "f": [1e308, -0.0]}
    assert _strict(json_text(payload, indent=2)) == json.loads(json.dumps(payload))
    assert json_text({"path": object}).startswith('{"path": "<class')  # str() as before


def test_plain_json_dumps_would_not_have_been_strict():
    """The failure this module exists for: Python writes NaN, which strict readers reject."""
    with pytest.raises(ValueError, match="NaN is not JSON"):
        _strict(json.dumps({"z": math.nan}))
