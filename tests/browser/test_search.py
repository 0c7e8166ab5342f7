"""Global search in a real browser: suggestions while typing, chosen by keyboard alone, and the
navigator open down to the object chosen, with that object selected."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from inventory.estates import demo
from inventory.models import VirtualMachine

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _demo_estate(transactional_db) -> None:
    demo.load()  # idempotent: an earlier transactional test may have flushed the database


def test_suggestions_by_keyboard_open_the_object_and_reveal_it_in_the_navigator(
    admin_page: Page, console_errors: list[str]
) -> None:
    page = admin_page
    vm = VirtualMachine.objects.filter(host__cluster__name=demo.WORKLOAD_02).order_by("name")[0]
    box = page.get_by_role("combobox", name="Search in all environments")
    # The tree shows only the vCenter's children so far: the VM's host is not open.
    expect(page.locator("#navigator .tree-node").first).to_be_visible()
    expect(page.locator(f"#navigator .tree-node[data-moid='{vm.moid}']")).to_have_count(0)

    box.press_sequentially(vm.name)
    listbox = page.get_by_role("listbox", name="Suggestions")
    option = listbox.get_by_role("option", name=vm.name, exact=True)
    expect(option).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")

    box.press("ArrowDown")  # the first option: names that start with the term come first
    expect(box).to_have_attribute("aria-activedescendant", f"suggest-{vm.moid}")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(box).to_be_focused()
    box.press("Enter")

    expect(page.locator(f"#main[data-moid='{vm.moid}'] h1")).to_have_text(vm.name)
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    # A VM in a cluster's root pool shows under the cluster and under its host: both selected.
    selected = page.locator(f"#navigator .tree-node[data-moid='{vm.moid}'] .tree-link.selected")
    expect(selected).to_have_count(2)
    selected = selected.first
    expect(selected).to_be_visible()
    expect(selected).to_be_in_viewport()
    assert console_errors == []


def test_escape_closes_the_suggestions_and_enter_without_a_choice_shows_all_results(
    admin_page: Page, console_errors: list[str]
) -> None:
    page = admin_page
    box = page.get_by_role("combobox", name="Search in all environments")
    box.press_sequentially("Workload")
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox.get_by_role("option").first).to_be_visible()
    box.press("ArrowDown")
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).not_to_have_attribute("aria-activedescendant", "suggest-all")
    expect(box).to_have_value("Workload")  # Escape closes the list, keeps the term

    box.press("Enter")
    expect(page.locator("#main h1")).to_have_text("Search results for \u201cWorkload\u201d")
    expect(page.locator("#search-results h2").first).to_have_text("Clusters")
    assert console_errors == []
