# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pydantic base of every model and the field types the models share.

Import these names from ``models`` (``from .models import ConvoxModel``): ``models`` loads this
file, and with it pydantic, on first use.
"""

# No "from __future__ import annotations" here or in the _models_* files: pydantic would have to
# evaluate every annotation string when the classes are created, which doubles their cost.
# Annotations use typing.List, Dict and Optional, so they evaluate on Python 3.9 too.

import datetime
from typing import Annotated, Any, Dict, List, Optional

from ._pydantic import BaseModel, BeforeValidator, ConfigDict
from .models import _go_time, _model_result, _none_dict, _none_list, _none_str


def _kebab(name: str) -> str:
    return name.replace("_", "-")


StrList = Annotated[List[str], BeforeValidator(_none_list)]
StrMap = Annotated[Dict[str, str], BeforeValidator(_none_dict)]
AnyMap = Annotated[Dict[str, Any], BeforeValidator(_none_dict)]
Str = Annotated[str, BeforeValidator(_none_str)]
Time = Annotated[Optional[datetime.datetime], BeforeValidator(_go_time)]


class ConvoxModel(BaseModel):
    """Base of every model: kebab-case aliases, unknown keys kept, built lazily."""

    model_config = ConfigDict(
        extra="allow", populate_by_name=True, alias_generator=_kebab, defer_build=True, protected_namespaces=()
    )

    def to_result(self) -> Dict[str, Any]:
        """Plain JSON-ready dict with snake_case keys."""
        return _model_result(self)
