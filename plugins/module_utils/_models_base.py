# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pydantic base of every model and the field types the models share.

Import these names from ``models`` (``from .models import ConvoxModel``): ``models`` loads this
file, and with it pydantic, on first use. This file and the other ``_models_*`` files never
import ``models`` (their shared helpers are in ``_convert``), so there is no import cycle.
"""

# No "from __future__ import annotations" here or in the _models_* files: pydantic would have to
# evaluate every annotation string when the classes are created, which doubles their cost.
# Annotations use typing.List, Dict and Optional, so they evaluate on Python 3.9 too.

import datetime
from typing import Annotated, Any, Dict, List, Optional

from ._convert import go_zero_time, model_result, none_dict, none_list, none_str
from ._pydantic import BaseModel, BeforeValidator, ConfigDict


def _kebab(name: str) -> str:
    return name.replace("_", "-")


StrList = Annotated[List[str], BeforeValidator(none_list)]
StrMap = Annotated[Dict[str, str], BeforeValidator(none_dict)]
AnyMap = Annotated[Dict[str, Any], BeforeValidator(none_dict)]
Str = Annotated[str, BeforeValidator(none_str)]
Time = Annotated[Optional[datetime.datetime], BeforeValidator(go_zero_time)]


class ConvoxModel(BaseModel):
    """Base of every model: kebab-case aliases, unknown keys kept, built lazily."""

    model_config = ConfigDict(
        extra="allow", populate_by_name=True, alias_generator=_kebab, defer_build=True, protected_namespaces=()
    )

    def to_result(self) -> Dict[str, Any]:
        """Plain JSON-ready dict with snake_case keys."""
        return model_result(self)
