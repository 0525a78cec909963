"""JupyterLab for the browser tests: the servers (tests/grading/labserver.py, started through grading/grading.mk's
targets) and helpers that read JupyterLab's user interface as a person would."""

from __future__ import annotations

from labserver import Lab  # noqa: F401 -- the browser tests start servers as labs.Lab

# ------------------------------------------------------------------------------------------------ JupyterLab's UI

def menu_items(page, menu: str) -> list[str]:
    """The labels of a main-menu menu (``Nbgrader``), read by opening it as a user would."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=menu).click()
    items = page.locator(".lm-Menu:visible .lm-Menu-itemLabel")
    items.first.wait_for()
    labels = [label.strip() for label in items.all_text_contents()]
    page.keyboard.press("Escape")
    return labels


def side_tabs(page) -> list[str]:
    """The titles of the tabs of both side bars (File Browser, Table of Contents, ...)."""
    tabs = page.locator(".jp-SideBar .lm-TabBar-tab")
    return [tab.get_attribute("title") or tab.text_content().strip() for tab in tabs.all()]
