# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pydantic names the models use, or stand-ins when pydantic is missing.

With the stand-ins the model classes still define, so every file imports with the standard
library only (ansible-test's import check); ``HAS_PYDANTIC`` tells the client to refuse work.
"""

import traceback
from typing import TYPE_CHECKING, Optional

__all__ = [
    "HAS_PYDANTIC",
    "PYDANTIC_IMPORT_ERROR",
    "BaseModel",
    "BeforeValidator",
    "ConfigDict",
    "Field",
    "ValidationError",
]

HAS_PYDANTIC: bool
PYDANTIC_IMPORT_ERROR: Optional[str]
if TYPE_CHECKING:
    from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
else:
    try:
        from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
    except ImportError:
        HAS_PYDANTIC = False
        PYDANTIC_IMPORT_ERROR = traceback.format_exc()

        class BaseModel:  # placeholder so the classes below still define
            pass

        class ValidationError(Exception):
            pass

        def BeforeValidator(func):
            return func

        def ConfigDict(**kwargs):
            return kwargs

        def Field(default=None, **kwargs):
            return default
    else:
        HAS_PYDANTIC = True
        PYDANTIC_IMPORT_ERROR = None
