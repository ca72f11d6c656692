"""The dashboard on demo data: month-to-date cards, top services, switches, tabs, keys."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import DataTable, Label, TabbedContent
from tui_helpers import make_app, settle

from costtui.cache import CacheReader
from costtui.core.windows import month_to_date, month_to_date_comparison
from costtui.model import CostQuery, percent_change
from costtui.tui.format import change_text, money, provider_name
from costtui.tui.screens.help import HelpScreen
from costtui.tui.widgets.cards import MonthToDateCard
from costtui.tui.widgets.cost_table import CostTable

pytestmark = pytest.mark.anyio


def expected_month_to_date(cache: Path, today: date, metric: str = "billed", gross: bool = False):
    """Per provider: (this month's total, its complete days, the same days last month) straight from
    CostQueries."""
    expected = {}
    month = month_to_date(today)
    complete, before = month_to_date_comparison(today)
    with CacheReader(cache).session() as queries:
        for provider in queries.distinct_values("provider"):
            query = CostQuery(providers=(provider,), metric=metric, gross=gross)
            current = queries.totals(replace(query, start=month.start, end=month.end))
            compared = queries.totals(replace(query, start=complete.start, end=complete.end))
            previous = queries.totals(replace(query, start=before.start, end=before.end))
            expected[provider] = (current["USD"], compared["USD"], previous["USD"])
    return expected


def card_texts(card: MonthToDateCard) -> list[str]:
    return [str(label.render()) for label in card.query(Label)]


def shown_cards(app) -> dict[str | None, MonthToDateCard]:
    return {card.figure.provider: card for card in app.query(MonthToDateCard)}


async def test_month_to_date_cards_show_the_cache_totals_and_change(demo_cache: Path, today: date) -> None:
    expected = expected_month_to_date(demo_cache, today)
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        cards = shown_cards(app)
        assert set(cards) == {*expected, None}
        heading = str(app.query_one("#mtd .section-title", Label).render())
        assert heading == "Month to date, 1-15 Nov · change of the complete days 1-14 Nov vs 1-14 Oct"
        for provider, (current, compared, previous) in expected.items():
            texts = card_texts(cards[provider])
            assert texts[0] == provider_name(provider)
            assert texts[1] == money(current, "USD")
            # Today (15 Nov) has no data yet: the change is of 1-14 Nov against 1-14 Oct.
            assert texts[2] == change_text(percent_change(compared, previous))
        total_now = sum(current for current, _, _ in expected.values())
        total_compared = sum(compared for _, compared, _ in expected.values())
        total_before = sum(previous for _, _, previous in expected.values())
        total_texts = card_texts(cards[None])
        assert total_texts[1] == money(total_now, "USD")
        assert total_texts[2].startswith(change_text(percent_change(total_compared, total_before)))


async def test_top_services_follow_the_cache_cost_order(demo_cache: Path, today: date) -> None:
    end = today - timedelta(days=1)
    query = CostQuery(start=end - timedelta(days=29), end=end, group_by=("provider", "service"))
    with CacheReader(demo_cache).session() as queries:
        groups = queries.cost_groups(query)[:10]
        total = queries.totals(query)["USD"]
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        table = app.query_one("#top-services", CostTable)
        assert table.row_count == 10
        for index, group in enumerate(groups):
            provider, service, cost, share, _change, _trend = (str(cell) for cell in table.get_row_at(index))
            assert (provider, service) == (provider_name(group.keys["provider"]), group.keys["service"])
            assert cost == money(group.cost, "USD")
            assert share == f"{(group.cost / total * 100).quantize(Decimal('0.1'))}%"


async def test_metric_and_gross_keys_change_the_figures(demo_cache: Path, today: date) -> None:
    billed = expected_month_to_date(demo_cache, today)
    effective = expected_month_to_date(demo_cache, today, metric="effective")
    effective_gross = expected_month_to_date(demo_cache, today, metric="effective", gross=True)
    assert billed["aws"][0] != effective["aws"][0] != effective_gross["aws"][0]
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert card_texts(shown_cards(app)["aws"])[1] == money(billed["aws"][0], "USD")
        await pilot.press("m")
        await settle(app, pilot)
        assert card_texts(shown_cards(app)["aws"])[1] == money(effective["aws"][0], "USD")
        assert "effective" in str(app.query_one("#status").render())
        await pilot.press("g")
        await settle(app, pilot)
        for provider, (current, _, _) in effective_gross.items():
            assert card_texts(shown_cards(app)[provider])[1] == money(current, "USD")
        assert "gross" in str(app.query_one("#status").render())


async def test_range_key_cycles_presets_and_provider_key_filters(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert (app.data.start, app.data.end) == (date(2026, 10, 16), date(2026, 11, 14))
        await pilot.press("d")
        await settle(app, pilot)
        assert (app.data.start, app.data.end) == (date(2026, 8, 17), date(2026, 11, 14))
        await pilot.press("d")
        await settle(app, pilot)
        assert (app.data.start, app.data.end) == (date(2026, 11, 1), date(2026, 11, 15))
        assert "month to date" in str(app.query_one("#status").render())
        await pilot.press("p")
        await settle(app, pilot)
        assert set(shown_cards(app)) == {"aws"}
        await pilot.press("2")
        await settle(app, pilot)
        providers = {
            str(row[0])
            for row in map(
                app.query_one("#services-table", CostTable).get_row_at,
                range(app.query_one("#services-table", CostTable).row_count),
            )
        }
        assert providers == {"AWS"}


async def test_number_keys_switch_tabs(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        tabs = app.query_one(TabbedContent)
        for key, tab in zip("23451", ("services", "accounts", "regions", "alerts", "trends"), strict=True):
            await pilot.press(key)
            await settle(app, pilot)
            assert tabs.active == tab
        await pilot.press("5")
        await settle(app, pilot)
        assert app.query_one("#alerts-empty").display
        assert "No alerts recorded" in str(app.query_one("#alerts-empty").render())


async def test_breakdown_tables_sort_by_a_selected_header(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        table = app.query_one("#regions-table", CostTable)
        costs = [row.cost for row in table.rows_shown]
        assert costs == sorted(costs, reverse=True)
        await pilot.click("#regions-table", offset=(13, 0))  # the "Region" header
        await settle(app, pilot)
        regions = [str(table.get_row_at(index)[1]) for index in range(table.row_count)]
        assert regions == sorted(regions, key=str.lower)
        await pilot.click("#regions-table", offset=(13, 0))
        await settle(app, pilot)
        assert [str(table.get_row_at(index)[1]) for index in range(table.row_count)] == regions[::-1]


async def test_help_screen_lists_every_key(demo_cache: Path, today: date) -> None:
    app = make_app(demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await settle(app, pilot)
        assert isinstance(app.screen, HelpScreen)
        keys = app.screen.query_one("#help-keys", DataTable)
        listed = {str(keys.get_row_at(index)[0]) for index in range(keys.row_count)}
        assert {"q", "r", "R", "d", "D", "t", "m", "g", "p", "s", "S", "/", "e", "esc", "enter", "?", "1", "2", "3",
                "4", "5", "6"} <= listed
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, HelpScreen)
