"""What `test_zensical.py` still imports by this name; the kit's code is in `guide_kit`.

Every other test imports from `guide_kit` itself. Delete this module once `test_zensical.py`
does too.
"""

from guide_kit.paths import DOCS, ROOT
from guide_kit.site import BuiltSite, link_problems, page_ids, site_pages
from guide_kit.stage import copy_stage

__all__ = ["DOCS", "ROOT", "BuiltSite", "copy_stage", "link_problems", "page_ids", "site_pages"]
