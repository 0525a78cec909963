"""Drop the inline scripts that Sphinx writes twice into every page, which throw in the reader's console.

Sphinx 7.4 writes each inline script that an extension adds after the builder starts (sphinx-thebe's
``const THEBE_JS_URL = ...``, sphinx-togglebutton's selector) twice: once as registered (file name None) and
once re-read from the registry (file name ''), which are not equal. The second ``const`` throws
"Identifier 'THEBE_JS_URL' has already been declared". Keep the first of each.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def drop_duplicate_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (getattr(script, "filename", str(script)) or "",
               tuple(sorted((getattr(script, "attributes", None) or {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
