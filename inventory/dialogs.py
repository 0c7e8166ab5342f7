"""The one modal dialog of the console and the portal (`inventory/_dialog.html`).

A link opens a dialog with `hx-get` into `#modal` (the shell's modal host); js/client.js opens
the `<dialog>` htmx puts there with showModal() and gives focus back to the link when it closes.
The dialog's form posts with itself as the target (`#dialog-form`): a rejected submit comes back
as the same form, its errors beside their fields and summed up at the top; a refusal (403/409)
lands in `#dialog-alerts`; success answers with the page region to refresh (or 204), and the
dialog closes. Without JavaScript each dialog URL is a page of its own with the dialog open in
it, and its form is a plain post."""

from __future__ import annotations

from collections.abc import Iterable

MODAL = "modal"  # id of the element htmx opens a dialog into
FORM = "dialog-form"  # id of the dialog's form: a rejected submit replaces it
ALERTS = "dialog-alerts"  # id of the region at the top of the dialog's body
CHROME = "inventory/_dialog.html"


def dialog_template(request, page: str, regions: Iterable[str] = ("main",)) -> str:
    """What answers a dialog's request: its form when htmx re-renders that, a region of `page`
    htmx asks for, the dialog alone for any other htmx request (opening it into #modal), and
    the whole page without JavaScript."""
    if not request.htmx:
        return page
    target = request.htmx.target
    if target == FORM:
        return f"{CHROME}#{FORM}"
    return f"{page}#{target}" if target in regions else CHROME


def in_dialog(request) -> bool:
    """Whether the request was posted by an open modal dialog's form."""
    return bool(request.htmx) and request.htmx.target == FORM


def summary(*groups) -> list[str]:
    """Every message of a rejected submit, for the alert at the top of the dialog: strings,
    lists of strings, or mappings of field to message(s), in the order given."""
    messages: list[str] = []
    for group in groups:
        if not group:
            continue
        if isinstance(group, str):
            messages.append(group)
            continue
        values = group.values() if hasattr(group, "values") else group
        for value in values:
            messages.extend([value] if isinstance(value, str) else summary(value))
    return list(dict.fromkeys(messages))  # a message two fields share is said once
