"""The tag drill-downs follow the dashboard's options as its own drill-down does: after `d`, `D`, `m`,
`g` or `p` inside one (or on the screen under it) the figures are the core's for the new range,
metric, net/gross and provider; and `/` filters the rows of the Tags tab and of a tag drill-down
(Esc clears the filter, a second Esc goes back)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import Input
from tui_helpers import make_app, settle

from costtui.cache import CacheReader
from costtui.core.windows import Window
from costtui.model import CostQuery
from costtui.tui.data import ViewOptions
from costtui.tui.screens.range import RangeScreen
from costtui.tui.tags import TAG, load_tag_detail
from costtui.tui.views.tag_detail import TagDetailScreen, TagScreen
from costtui.tui.views.tag_drill import TagDrillScreen
from costtui.tui.widgets.cost_table import CostTable
from costtui.tui.widgets.filter_bar import FilterBar

pytestmark = pytest.mark.anyio

SERVICES = ("provider", "service")
ACCOUNTS = ("provider", "account")


def core_costs(cache: Path, screen: TagScreen, options, today: date, group_by: tuple[str, ...]) -> dict[tuple, Decimal]:
    """What the core sums for the screen's tag value and drill-down filters under the dashboard's
    options: (group values..., currency) -> cost, as `costtui costs` would list it."""
    window = options.window(today)
    narrowed = {f"{d}s": tuple(v for f, v in screen.filters if f == d) for d in ("provider", "account", "service")}
    narrowed["providers"] = narrowed["providers"] or options.providers
    query = CostQuery(start=window.start, end=window.end, metric=options.metric, gross=options.gross,
                      group_by=group_by, tags=((screen.key, screen.value),), **narrowed)
    with CacheReader(cache).session() as queries:
        return {(*(str(g.keys[d]) for d in group_by), g.currency): g.cost for g in queries.cost_groups(query)}


def shown_costs(screen: TagScreen, table_id: str, group_by: tuple[str, ...]) -> dict[tuple, Decimal]:
    """The table's rows keyed as core_costs; rows with spend only in the period before (cost 0, which
    the core's sum does not list) left out."""
    rows = screen.query_one(table_id, CostTable).rows_shown
    return {(*(str(row.keys[d]) for d in group_by), row.currency): row.cost for row in rows if row.cost}


async def open_tag_value(app, pilot) -> TagDrillScreen:
    """The Tags tab (6), then Enter on its biggest value."""
    await settle(app, pilot)
    await pilot.press("6")
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, TagDrillScreen)
    return app.screen


@pytest.mark.parametrize("keys", [("d",), ("m",), ("g",), ("p",), ("m", "g", "p", "d")])
async def test_a_tag_values_drill_down_follows_the_options(tagged_demo_cache: Path, today: date,
                                                           keys: tuple[str, ...]) -> None:
    app = make_app(tagged_demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_tag_value(app, pilot)
        before = core_costs(tagged_demo_cache, screen, app.options, today, SERVICES)
        assert shown_costs(screen, "#tag-drill-services", SERVICES) == before
        await pilot.press(*keys)
        await settle(app, pilot)
        assert app.screen is screen
        for table_id, group_by in (("#tag-drill-services", SERVICES), ("#tag-drill-accounts", ACCOUNTS)):
            expected = core_costs(tagged_demo_cache, screen, app.options, today, group_by)
            assert expected and shown_costs(screen, table_id, group_by) == expected
        assert core_costs(tagged_demo_cache, screen, app.options, today, SERVICES) != before  # the key mattered
        window = app.options.window(today)
        status = str(screen.query_one("#tag-drill-status").render()).splitlines()
        assert status[1].endswith(f"({window.label}), {app.options.metric} cost")


async def test_a_tag_detail_follows_the_metric_and_a_covered_screen_catches_up(tagged_demo_cache: Path,
                                                                               today: date) -> None:
    app = make_app(tagged_demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        values = await open_tag_value(app, pilot)
        await pilot.press("enter")  # the value's biggest service: its accounts and regions
        await settle(app, pilot)
        detail = app.screen
        assert isinstance(detail, TagDetailScreen)
        billed = core_costs(tagged_demo_cache, detail, app.options, today, ACCOUNTS)
        await pilot.press("m")
        await settle(app, pilot)
        assert app.options.metric == "effective"
        effective = core_costs(tagged_demo_cache, detail, app.options, today, ACCOUNTS)
        assert effective != billed
        assert shown_costs(detail, "#tag-detail-accounts", ACCOUNTS) == effective
        days = core_costs(tagged_demo_cache, detail, app.options, today, ("day", "provider"))
        assert detail.data is not None
        assert {(str(p.keys["day"]), p.keys["provider"], p.currency): p.cost for p in detail.data.points} == days

        await pilot.press("d")  # 90 days, while the value's services and accounts are covered
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is values
        expected = core_costs(tagged_demo_cache, values, app.options, today, SERVICES)
        assert shown_costs(values, "#tag-drill-services", SERVICES) == expected
        assert "(last 90 days), effective cost" in str(values.query_one("#tag-drill-status").render())


async def test_a_tag_drill_down_follows_custom_dates(tagged_demo_cache: Path, today: date) -> None:
    app = make_app(tagged_demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_tag_value(app, pilot)
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, RangeScreen)
        app.screen.query_one("#range-start", Input).value = "2026-09-01"
        app.screen.query_one("#range-end", Input).value = "2026-09-30"
        app.screen.query_one("#range-start", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is screen
        assert app.options.window(today) == Window(date(2026, 9, 1), date(2026, 9, 30), app.options.window(today).label)
        expected = core_costs(tagged_demo_cache, screen, app.options, today, ACCOUNTS)
        assert expected and shown_costs(screen, "#tag-drill-accounts", ACCOUNTS) == expected


def names(table: CostTable) -> list[str]:
    return [" ".join(str(row.keys.get(c.key) or "") for c in table.key_columns) for row in table.rows_shown]


async def test_slash_filters_the_tags_tab(tagged_demo_cache: Path, today: date) -> None:
    app = make_app(tagged_demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("6")
        await settle(app, pilot)
        table = app.query_one("#tags-table", CostTable)
        everything = [row.keys[TAG] for row in table.rows_shown]
        assert "search" in everything and len(everything) > 2
        await pilot.press("slash", *"sea")
        await settle(app, pilot)
        assert [row.keys[TAG] for row in table.rows_shown] == ["search"]
        await pilot.press("escape")
        await settle(app, pilot)
        assert [row.keys[TAG] for row in table.rows_shown] == everything


async def test_slash_filters_a_tag_drill_down_esc_clears_then_goes_back(tagged_demo_cache: Path, today: date) -> None:
    app = make_app(tagged_demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_tag_value(app, pilot)
        tables = list(screen.query(CostTable))
        everything = {table.id: names(table) for table in tables}
        text = everything["tag-drill-services"][0].split()[-1][:3].lower()  # a part of the biggest service's name
        assert any(text not in name.lower() for name in everything["tag-drill-services"])
        await pilot.press("slash", *text)
        await settle(app, pilot)
        assert app.screen is screen
        for table in tables:  # every table of the screen, none of the Tags tab beneath
            assert names(table) == [n for n in everything[table.id] if text in n.lower()]
        assert names(app.query_one("#tags-table", CostTable)) and not app.query_one("#tags-table", CostTable).name_filter
        assert names(screen.query_one("#tag-drill-services", CostTable))

        await pilot.press("enter")  # keeps the filter, back to the table
        await settle(app, pilot)
        assert isinstance(screen.focused, CostTable)
        await pilot.press("escape")  # clears it
        await settle(app, pilot)
        assert app.screen is screen
        assert {table.id: names(table) for table in tables} == everything
        assert not screen.query_one(FilterBar).has_class("-visible")
        await pilot.press("escape")  # back to the Tags tab
        await settle(app, pilot)
        assert not isinstance(app.screen, TagScreen)


async def test_slash_in_a_tag_detail_then_esc_esc(tagged_demo_cache: Path, today: date) -> None:
    app = make_app(tagged_demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        values = await open_tag_value(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        detail = app.screen
        assert isinstance(detail, TagDetailScreen)
        table = detail.query_one("#tag-detail-regions", CostTable)
        everything = names(table)
        text = everything[-1].split()[-1].lower()
        assert len([n for n in everything if text in n.lower()]) < len(everything)
        await pilot.press("slash", *text)
        await settle(app, pilot)
        assert names(table) == [n for n in everything if text in n.lower()]
        await pilot.press("escape")  # the bar has the focus: Esc clears it
        await settle(app, pilot)
        assert names(table) == everything and app.screen is detail
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is values


def test_a_provider_choice_that_excludes_the_drilled_provider_leaves_the_tag_detail_empty(
        tagged_cache: Path, today: date) -> None:
    breakdowns = {"accounts": ACCOUNTS}
    filters = (("provider", "aws"), ("service", "EC2"))
    shown = load_tag_detail(tagged_cache, ViewOptions(), today, "team", "payments", filters, breakdowns)
    assert shown.points and shown.breakdowns["accounts"]
    same = load_tag_detail(tagged_cache, ViewOptions(provider="aws"), today, "team", "payments", filters, breakdowns)
    assert same == shown
    other = load_tag_detail(tagged_cache, ViewOptions(provider="azure"), today, "team", "payments", filters, breakdowns)
    assert other.points == [] and other.breakdowns == {"accounts": []}
