"""The dashboard's Tags tab: shown only for a cache with tag keys (`6` opens it), spend per value of
the chosen key with (untagged) as a row (the same numbers as `costs --group-by tag:KEY`), coverage per
provider, a key selector (`k`), Enter on a value drilling into its services and accounts, and Enter
there one step further (the same numbers as `costs --tag KEY=VALUE`)."""

from __future__ import annotations

import csv
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import DataTable, Select, Static, TabbedContent
from tui_helpers import make_app, settle

from costtui.cache import CacheReader, open_writer
from costtui.core.reports import changes
from costtui.core.windows import Window, last_days
from costtui.model import CostQuery, CostRow, ReplaceScope
from costtui.tui.tags import TAG
from costtui.tui.views.changes import ChangesScreen
from costtui.tui.views.tag_detail import TagDetailScreen
from costtui.tui.views.tag_drill import TagDrillScreen
from costtui.tui.widgets.chart import CostChart
from costtui.tui.widgets.cost_table import CostTable

pytestmark = pytest.mark.anyio


def tag_tab_visible(app) -> bool:
    return app.query_one(TabbedContent).get_tab("tags").display


async def open_tags(app, pilot) -> None:
    await settle(app, pilot)
    app.query_one(TabbedContent).active = "tags"
    await settle(app, pilot)


def table_rows(table: CostTable) -> dict:
    return {row.keys.get(TAG, (row.keys.get("provider"), row.keys.get("service") or row.keys.get("account"))):
            row.cost for row in table.rows_shown}


async def test_the_tags_tab_shows_spend_per_value_with_untagged(tagged_cache: Path, today: date) -> None:
    window = last_days(30, today)  # the default range
    with CacheReader(tagged_cache).session() as queries:
        expected = {g.keys["tag:team"]: g.cost for g in queries.cost_groups(
            CostQuery(start=window.start, end=window.end, group_by=("tag:team",))) if g.currency == "USD"}
    app = make_app(tagged_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tags(app, pilot)
        assert tag_tab_visible(app)
        table = app.query_one("#tags-table", CostTable)
        usd = {row.keys[TAG]: row.cost for row in table.rows_shown if row.currency == "USD"}
        assert usd == {("(untagged)" if k is None else k): v for k, v in expected.items()}
        assert app.query_one("#tags-key", Select).value == "team"
        coverage = str(app.query_one("#tags-coverage", Static).render())
        assert coverage.startswith("Coverage of team: AWS ") and "Azure 100.0%" in coverage


async def test_k_switches_the_key_and_enter_drills_into_services_and_accounts(tagged_cache: Path,
                                                                              today: date) -> None:
    app = make_app(tagged_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tags(app, pilot)
        app.query_one("#tags-table", CostTable).focus()
        await pilot.press("k")
        await settle(app, pilot)
        table = app.query_one("#tags-table", CostTable)
        assert app.query_one("#tags-key", Select).value == "environment"
        assert {row.keys[TAG] for row in table.rows_shown} == {"prod", "dev", "(untagged)"}
        untagged = [row.keys[TAG] for row in table.rows_shown].index("(untagged)")
        table.move_cursor(row=untagged)
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TagDrillScreen) and (screen.key, screen.value) == ("environment", None)
        services = {row.keys["service"]: row.cost for row in screen.query_one("#tag-drill-services", CostTable).rows_shown}
        accounts = {row.keys["account"]: row.cost for row in screen.query_one("#tag-drill-accounts", CostTable).rows_shown}
        window = last_days(30, today)
        days = (window.end - window.start).days + 1
        # untagged environment: S3 (10/day, account 111) and Lambda (1/day, account 222)
        assert services == {"S3": Decimal(10 * days), "Lambda": Decimal(days)}
        assert accounts == {"111": Decimal(10 * days), "222": Decimal(days)}
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, TagDrillScreen)


async def test_a_cache_without_tags_has_no_tags_tab(known_cache: Path, today: date) -> None:
    app = make_app(known_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert not tag_tab_visible(app)


async def test_e_exports_the_tags_table_as_costs_csv_does(tagged_cache: Path, today: date, tmp_path: Path) -> None:
    from tests.faces import run_costtui

    app = make_app(tagged_cache, today)
    app.export_dir = tmp_path
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tags(app, pilot)
        app.query_one("#tags-table", CostTable).focus()
        await pilot.press("e")
        await settle(app, pilot)
    (written,) = tmp_path.glob("costtui-tag-team-*.csv")
    expected = run_costtui(["--cache", str(tagged_cache), "costs", "--group-by", "tag:team", "--format", "csv"]).stdout
    assert sorted(written.read_text().splitlines()) == sorted(expected.splitlines())


async def test_6_opens_the_tags_tab_and_is_in_help_and_the_palette(tagged_cache: Path, today: date) -> None:
    app = make_app(tagged_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.query_one(TabbedContent).active == "trends"
        await pilot.press("6")
        await settle(app, pilot)
        assert app.query_one(TabbedContent).active == "tags"
        assert app.focused is app.query_one("#tags-table", CostTable)
        assert "Tags tab (6)" in {command.title for command in app.get_system_commands(app.screen)}
        await pilot.press("question_mark")
        await pilot.pause()
        keys = app.screen.query_one("#help-keys", DataTable)
        listed = {str(keys.get_row_at(i)[0]): str(keys.get_row_at(i)[1]) for i in range(keys.row_count)}
        assert listed["6"].startswith("Show the Tags tab")


async def test_6_without_tag_keys_stays_and_says_there_are_none(known_cache: Path, today: date) -> None:
    app = make_app(known_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "6")
        await settle(app, pilot)
        assert app.query_one(TabbedContent).active == "services"
        assert not tag_tab_visible(app)
        assert any(n.message.startswith("No tag keys in this cache") for n in app._notifications)


def costs_csv(cache: Path, today: date, group_by: tuple[str, ...], *filters: str) -> dict[tuple, Decimal]:
    """`costtui costs --group-by ... --tag ... --format csv` over the default range (the last 30 days):
    (group values..., currency) -> billed cost."""
    from tests.faces import run_costtui

    window = last_days(30, today)
    args = ["--cache", str(cache), "costs", "--start", window.start.isoformat(), "--end", window.end.isoformat(),
            *(f"--group-by={g}" for g in group_by), *filters, "--format", "csv"]
    result = run_costtui(args)
    assert result.returncode == 0, result.stderr
    return {(*(row[g] for g in group_by), row["currency"]): Decimal(row["billed_cost"])
            for row in csv.DictReader(result.stdout.splitlines())}


def shown(screen, table_id: str, dimensions: tuple[str, ...], expected: dict[tuple, Decimal]) -> dict[tuple, Decimal]:
    """The table's rows as costs_csv keys them; groups that only had spend in the period before (cost 0,
    which `costs` does not list) left out."""
    table = screen.query_one(table_id, CostTable)
    rows = {(*(str(row.keys[d]) for d in dimensions), row.currency): row.cost for row in table.rows_shown}
    assert all(cost == 0 for key, cost in rows.items() if key not in expected)
    return {key: cost for key, cost in rows.items() if key in expected}


async def test_enter_in_a_tag_values_drill_down_goes_one_step_further(tagged_demo_cache: Path, today: date) -> None:
    app = make_app(tagged_demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("6")
        await settle(app, pilot)
        value = app.query_one("#tags-table", CostTable).rows_shown[0].keys[TAG]  # the biggest value
        await pilot.press("enter")
        await settle(app, pilot)
        values = app.screen
        assert isinstance(values, TagDrillScreen) and values.value == value
        tagged = f"--tag=team={value}"
        service = values.query_one("#tag-drill-services", CostTable).rows_shown[0].keys
        await pilot.press("enter")  # the value's biggest service: its chart, accounts and regions
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TagDetailScreen)
        assert screen.filters == (("provider", service["provider"]), ("service", service["service"]))
        narrowed = (tagged, f"--provider={service['provider']}", f"--service={service['service']}")
        accounts = costs_csv(tagged_demo_cache, today, ("provider", "account"), *narrowed)
        regions = costs_csv(tagged_demo_cache, today, ("provider", "region"), *narrowed)
        assert len(accounts) > 1 and len(regions) > 1
        assert shown(screen, "#tag-detail-accounts", ("provider", "account"), accounts) == accounts
        assert shown(screen, "#tag-detail-regions", ("provider", "region"), regions) == regions
        days = costs_csv(tagged_demo_cache, today, ("day", "provider"), *narrowed)
        assert screen.data is not None
        assert {(str(p.keys["day"]), p.keys["provider"], p.currency): p.cost for p in screen.data.points} == days
        assert screen.query_one(CostChart).lines  # drawn
        status = str(screen.query_one("#tag-detail-status").render())
        assert status.startswith(f"Tags > team = {value} > ") and service["service"] in status.splitlines()[0]
        assert status.splitlines()[1] == "16 Oct - 14 Nov 2026 (last 30 days), billed cost"

        await pilot.press("escape")  # back one step: the value's services and accounts
        await settle(app, pilot)
        assert app.screen is values
        values.query_one("#tag-drill-accounts", CostTable).focus()
        account = values.query_one("#tag-drill-accounts", CostTable).rows_shown[0].keys
        await pilot.press("enter")  # the value's biggest account: its services and regions
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TagDetailScreen)
        assert screen.filters == (("provider", account["provider"]), ("account", account["account"]))
        narrowed = (tagged, f"--provider={account['provider']}", f"--account={account['account']}")
        services = costs_csv(tagged_demo_cache, today, ("provider", "service"), *narrowed)
        regions = costs_csv(tagged_demo_cache, today, ("provider", "region"), *narrowed)
        assert len(services) > 1
        assert shown(screen, "#tag-detail-services", ("provider", "service"), services) == services
        assert shown(screen, "#tag-detail-regions", ("provider", "region"), regions) == regions

        service = screen.query_one("#tag-detail-services", CostTable).rows_shown[0].keys
        await pilot.press("enter")  # filters stack: account > service
        await settle(app, pilot)
        deeper = app.screen
        assert isinstance(deeper, TagDetailScreen) and deeper.filters == (*screen.filters, ("service", service["service"]))
        regions = costs_csv(tagged_demo_cache, today, ("provider", "region"), *narrowed, f"--service={service['service']}")
        assert shown(deeper, "#tag-detail-regions", ("provider", "region"), regions) == regions

        await pilot.press("escape", "escape", "escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, (TagDetailScreen, TagDrillScreen))
        assert app.query_one(TabbedContent).active == "tags"


async def test_a_tag_values_drill_down_reads_again_after_a_new_snapshot(tagged_cache: Path, today: date,
                                                                        tmp_path: Path) -> None:
    """A refresh that publishes new figures reloads the dashboard in place; the tag screen on top
    shows the new figures too, not those read before."""
    cache = tmp_path / "tagged.duckdb"
    shutil.copyfile(tagged_cache, cache)
    app = make_app(cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_tags(app, pilot)
        table = app.query_one("#tags-table", CostTable)
        table.move_cursor(row=[row.keys[TAG] for row in table.rows_shown].index("(untagged)"))
        table.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TagDrillScreen) and screen.value is None
        services = screen.query_one("#tag-drill-services", CostTable)
        before = {row.keys["service"]: row.cost for row in services.rows_shown}
        day = today - timedelta(days=3)
        with open_writer(cache) as writer:  # a refresh restates a day: untagged spend on a new service
            writer.replace_charges([ReplaceScope("oci", day, day)], [
                CostRow(charge_date=day, provider="oci", billing_account_id="b", account_id="late",
                        account_name="Late", service="Late", region="r", charge_category="Usage",
                        billed_cost=Decimal("1234.56"), effective_cost=Decimal("1234.56"), currency="USD")])
        app.reload_if_new_snapshot()
        await settle(app, pilot)
        after = {row.keys["service"]: row.cost for row in services.rows_shown}
        assert after == {**before, "Late": Decimal("1234.56")}


async def test_a_day_on_a_tag_values_chart_opens_its_movers_within_that_value(tagged_demo_cache: Path,
                                                                            today: date) -> None:
    """`c` picks a day on a tag step's chart; Enter lists that day's movers of the spend tagged with
    the value (the core's changes with the same tag filter), not of all spend; so does `w` for the range."""
    app = make_app(tagged_demo_cache, today)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("6")
        await settle(app, pilot)
        value = app.query_one("#tags-table", CostTable).rows_shown[0].keys[TAG]
        await pilot.press("enter")
        await settle(app, pilot)
        service = app.screen.query_one("#tag-drill-services", CostTable).rows_shown[0].keys
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, TagDetailScreen)
        await pilot.press("c", "left", "left")
        await settle(app, pilot)
        chart = app.screen.query_one(CostChart)
        assert app.focused is chart
        bucket = chart.buckets[chart.cursor]
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ChangesScreen)
        day = date.fromisoformat(bucket)
        scope = CostQuery(group_by=("provider", "account"), providers=(service["provider"],),
                          services=(service["service"],), tags=(("team", value),))
        with CacheReader(tagged_demo_cache).session() as queries:
            moved = {(c.keys["provider"], c.keys["account"]): c.cost - c.previous
                     for c in changes(queries, scope, Window(day, day, "")) if c.cost != c.previous}
        assert moved  # the tagged service's accounts moved that day
        await pilot.press("b")  # by account
        await settle(app, pilot)
        shown_moves = {(row.keys["provider"], row.keys["account"]): row.cost - row.previous
                       for table in ("#rises", "#falls") for row in screen.query_one(table, CostTable).rows_shown}
        assert shown_moves and all(moved[key] == delta for key, delta in shown_moves.items())
        assert f"team = {value}" in str(screen.query_one("#changes-title").render())
        await pilot.press("escape", "w", "b")  # back on the tag step: the range's movers within it
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ChangesScreen) and screen.window is None
        with CacheReader(tagged_demo_cache).session() as queries:
            moved = {(c.keys["provider"], c.keys["account"]): c.cost - c.previous
                     for c in changes(queries, scope, last_days(30, today)) if c.cost != c.previous}
        shown_moves = {(row.keys["provider"], row.keys["account"]): row.cost - row.previous
                       for table in ("#rises", "#falls") for row in screen.query_one(table, CostTable).rows_shown}
        assert shown_moves and all(moved[key] == delta for key, delta in shown_moves.items())
        assert f"team = {value}" in str(screen.query_one("#changes-title").render())
