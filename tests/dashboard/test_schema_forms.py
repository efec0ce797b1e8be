from datetime import date

from apps.dashboard.charts import MAX_SERIES, stacked_by_day
from apps.dashboard.schema_forms import SchemaForm, parameter_docs

SCHEMA = {
    "type": "object",
    "required": ["prompt"],
    "properties": {
        "prompt": {"type": "string", "maxLength": 100},
        "size": {"type": "string", "enum": ["512x512", "1024x1024"], "default": "1024x1024"},
        "steps": {"type": "integer", "minimum": 1, "maximum": 50},
        "guidance": {"type": "number", "minimum": 0, "maximum": 20},
        "safe": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "extra": {"type": "object"},
        "image_url": {"type": "string", "format": "uri", "x-tollgate-file": True},
        "image_urls": {"type": "array", "items": {"type": "string"}, "x-tollgate-file": True},
        "stream": {"type": "boolean"},
    },
}


def test_only_set_values_become_params():
    form = SchemaForm({"prompt": "fox", "size": '"512x512"', "steps": "20", "safe": "false", "tags": "a\nb\n",
                       "extra": '{"k": 1}', "image_urls": "https://example.com/a.png"}, schema=SCHEMA)
    assert form.is_valid(), form.errors
    assert form.params() == {"prompt": "fox", "size": "512x512", "steps": 20, "safe": False, "tags": ["a", "b"],
                             "extra": {"k": 1}, "image_urls": ["https://example.com/a.png"]}
    assert "stream" not in form.fields


def test_bounds_and_json_are_checked():
    form = SchemaForm({"prompt": "x", "steps": "99", "extra": "{not json"}, schema=SCHEMA)
    assert not form.is_valid()
    assert set(form.errors) == {"steps", "extra"}


def test_required_is_required():
    assert not SchemaForm({}, schema=SCHEMA).is_valid()


def test_messages_accept_plain_text():
    schema = {"required": ["messages"], "properties": {"messages": {"type": "array", "items": {"type": "object"}}}}
    form = SchemaForm({"messages": "hello"}, schema=schema)
    assert form.is_valid()
    assert form.params() == {"messages": [{"role": "user", "content": "hello"}]}


def test_parameter_docs():
    docs = {d.name: d for d in parameter_docs(SCHEMA)}
    assert docs["prompt"].required and docs["prompt"].constraints == "up to 100 characters"
    assert docs["size"].constraints == "one of: 512x512, 1024x1024" and docs["size"].default == "1024x1024"
    assert docs["image_url"].type == "file" and docs["steps"].constraints == "1–50"
    assert list(docs)[0] == "prompt"  # required first


def test_stacked_chart_stacks_per_day_and_folds_small_series():
    days = [date(2026, 1, 1), date(2026, 1, 2)]
    amounts = {f"m{i}": {days[0]: 1_000 * (i + 1)} for i in range(MAX_SERIES + 2)}
    chart = stacked_by_day(days=days, amounts=amounts)
    assert len(chart.legend) == MAX_SERIES and chart.legend[-1][0] == "other"
    assert chart.total_micros == sum(1_000 * (i + 1) for i in range(MAX_SERIES + 2))
    # The axis tops out at a round amount at or above the tallest bar, so its labels stay short.
    tallest = chart.total_micros
    assert [label for _, label in chart.y_ticks] == ["$0.00", "$0.05", "$0.10"]
    plot_height = 220 - 24 - 8
    assert round(min(s.y for s in chart.segments), 6) == round(220 - 24 - plot_height * tallest / 100_000, 6)


def test_chart_axis_top_is_a_round_amount():
    from apps.dashboard.charts import _nice_ceiling

    assert [_nice_ceiling(n) for n in (0, 1, 3, 7, 10_230, 50_000, 50_001)] == [1, 1, 5, 10, 20_000, 50_000, 100_000]


def test_empty_chart():
    assert stacked_by_day(days=[date(2026, 1, 1)], amounts={}).is_empty
