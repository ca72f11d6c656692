"""`[allocation]`: the tag keys that become cost dimensions, their aliases, and the mistakes refused."""

from __future__ import annotations

import pytest

from costtui.config import ConfigError, load_config
from costtui.config.fast import FastConfigError, load_fast_config
from costtui.model import normalise_tag_key, tag_column


def write(tmp_path, text: str):
    path = tmp_path / "costtui.toml"
    path.write_text(text)
    return path


def test_keys_and_aliases_are_read_trimmed(tmp_path):
    path = write(
        tmp_path,
        '[allocation]\ntag_keys = [" team", "environment ", "Cost Center"]\n'
        '[allocation.aliases]\nenvironment = ["env", " Environment"]\n',
    )
    allocation = load_config(path).allocation
    assert allocation.tag_keys == ("team", "environment", "Cost Center")
    assert allocation.aliases == {"environment": ("env", "Environment")}
    # the second run is rebuilt from the validated stamp: the same values, the same types
    assert load_config(path).allocation == allocation


def test_no_allocation_section_means_no_tags(tmp_path):
    allocation = load_config(write(tmp_path, "")).allocation
    assert allocation.tag_keys == () and allocation.aliases == {}


def test_tag_columns_follow_the_contract():
    assert normalise_tag_key("  org ") == "org"
    assert tag_column(" Cost Center") == "tag_cost_center"
    assert tag_column("kubernetes.io/app-name") == "tag_kubernetes_io_app_name"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('tag_keys = ["team", " team"]', "allocation.tag_keys.1: 'team' is listed twice"),
        ("tag_keys = [" + ", ".join(f'"k{i}"' for i in range(11)) + "]", "allocation.tag_keys: at most 10 keys"),
        ('tag_keys = ["Cost Center", "cost_center"]', "would share the cache column tag_cost_center"),
        ('tag_keys = ["team$"]', "allocation.tag_keys.0: a tag key is 1-64"),
        ('tag_keys = ["   "]', "allocation.tag_keys.0: a tag key is 1-64"),
        ('tag_keys = ["' + "k" * 65 + '"]', "allocation.tag_keys.0: a tag key is 1-64"),
        ('tag_keys = "team"', "allocation.tag_keys: Input should be a valid list"),
        ('tag_keys = ["a", "b"]\n[allocation.aliases]\na = ["x"]\nb = [" x"]', "allocation.aliases.b.0: 'x' already stands for 'a'"),
        ('tag_keys = ["a", "b"]\n[allocation.aliases]\na = ["b"]', "allocation.aliases.a.0: 'b' is a configured key itself"),
        ('tag_keys = ["a"]\n[allocation.aliases]\nc = ["x"]', "allocation.aliases.c: not one of allocation.tag_keys"),
        ('tag_keys = ["a"]\n[allocation.aliases]\na = "x"', "allocation.aliases.a: Input should be a valid list"),
        ('tag_key = ["a"]', "allocation.tag_key: unknown key"),
    ],
)
def test_bad_allocation_is_one_line_naming_file_and_key_in_both_readings(tmp_path, text, expected):
    path = write(tmp_path, f"[allocation]\n{text}\n")
    with pytest.raises(ConfigError) as full:
        load_config(path)
    with pytest.raises(FastConfigError) as fast:
        load_fast_config(path)
    assert str(full.value) == str(fast.value)
    assert str(full.value).startswith(f"{path}: ") and expected in str(full.value)
    assert "\n" not in str(full.value)
