"""The limits on uploaded pictures (store logos, item pictures): one rule for every door.

A picture is refused when its file is over MAX_IMAGE_BYTES, or when it is wider or taller than
MAX_IMAGE_SIDE or has more than MAX_IMAGE_PIXELS pixels. The sides are read from the file's
header only (Pillow opens lazily), so a decompression bomb (a few KB of PNG that decodes to
hundreds of megapixels) is refused before anything is decoded.

Forms use `ImageField` (the menu editor, the store form, and the admin through
`formfield_overrides`); anything else that accepts a picture calls `validate_image`.
"""

from __future__ import annotations

import warnings
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from PIL import Image

MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_SIDE = 4096
MAX_IMAGE_PIXELS = 16_000_000

LIMITS = (
    f"at most {MAX_IMAGE_SIDE} pixels on each side and {MAX_IMAGE_PIXELS // 1_000_000} "
    "megapixels in all"
)


def validate_image(file: Any) -> None:
    """Refuse a picture over the limits, with a message for the person who uploaded it."""
    size = getattr(file, "size", None)
    if size is not None and size > MAX_IMAGE_BYTES:
        raise ValidationError(
            f"The picture is {size / 1024 / 1024:.1f} MB; it must be 2 MB or smaller.",
            code="image_too_big",
        )
    file.seek(0)
    try:
        # We check the size ourselves, below, before anything is decoded.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                width, height = image.size
    except Image.DecompressionBombError as exc:
        raise ValidationError(
            f"This picture is far too large; pictures may have {LIMITS}.",
            code="image_too_many_pixels",
        ) from exc
    except Exception:
        return  # not a picture Pillow can read: the field's own check says so
    finally:
        file.seek(0)
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(
            f"The picture is {width} × {height} pixels; it may have {LIMITS}. "
            "Make it smaller and upload it again.",
            code="image_too_many_pixels",
        )


class ImageField(forms.ImageField):
    """Django's image field, with our limits checked before Django decodes the picture."""

    def to_python(self, data: Any) -> Any:
        file = forms.FileField.to_python(self, data)
        if file is not None:
            validate_image(file)
        return super().to_python(data)
