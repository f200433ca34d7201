"""Generated profile pictures for the demo workspace: soft gradients with initials for people,
layered geometric shapes for projects, companies, templates and the workspace.

Everything is drawn from a seeded random generator, so a seed always gives the same pictures.
Drawing uses whole-image Pillow operations (no per-pixel Python), a few milliseconds each.
"""

from __future__ import annotations

import io
import random
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from attache.core.names import initials

# Pairs of colours that make a pleasant diagonal gradient.
PALETTES: list[tuple[str, str]] = [
    ("#ff9a8b", "#ff6a88"),
    ("#a18cd1", "#fbc2eb"),
    ("#84fab0", "#8fd3f4"),
    ("#fccb90", "#d57eeb"),
    ("#5ee7df", "#b490ca"),
    ("#f6d365", "#fda085"),
    ("#667eea", "#764ba2"),
    ("#43e97b", "#38f9d7"),
    ("#fa709a", "#fee140"),
    ("#30cfd0", "#330867"),
    ("#4facfe", "#00c6fb"),
    ("#f093fb", "#f5576c"),
    ("#0ba360", "#3cba92"),
    ("#6a11cb", "#2575fc"),
    ("#ff758c", "#ff7eb3"),
    ("#c79081", "#dfa579"),
]


def _gradient(size: int, start: str, end: str, angle_flip: bool) -> Image.Image:
    ramp = Image.linear_gradient("L").resize((size, size))
    mask = Image.blend(ramp, ramp.rotate(90 if angle_flip else -90), 0.5)
    return Image.composite(Image.new("RGB", (size, size), end), Image.new("RGB", (size, size), start), mask)


def _draw_initials(image: Image.Image, text: str, scale: float) -> None:
    size = image.width
    font = ImageFont.load_default(size=int(size * scale))
    shadow = Image.new("L", image.size, 0)
    ImageDraw.Draw(shadow).text((size / 2, size / 2 + size * 0.015), text, font=font, anchor="mm", fill=90)
    shadow = shadow.filter(ImageFilter.GaussianBlur(size / 60))
    image.paste((30, 30, 50), (0, 0), shadow)
    ImageDraw.Draw(image).text((size / 2, size / 2), text, font=font, anchor="mm", fill=(255, 255, 255))


def _geometric(image: Image.Image, rng: random.Random) -> None:
    size = image.width
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for _ in range(rng.randint(4, 7)):
        shade = rng.choice([(255, 255, 255), (20, 20, 40)])
        fill = (*shade, rng.randint(40, 95))
        x, y = rng.uniform(-0.2, 1.0) * size, rng.uniform(-0.2, 1.0) * size
        extent = rng.uniform(0.25, 0.7) * size
        shape = rng.choice(("circle", "square", "triangle"))
        if shape == "circle":
            draw.ellipse((x, y, x + extent, y + extent), fill=fill)
        elif shape == "square":
            draw.rounded_rectangle((x, y, x + extent, y + extent), radius=extent / 6, fill=fill)
        else:
            draw.polygon([(x, y + extent), (x + extent / 2, y), (x + extent, y + extent)], fill=fill)
    image.paste(overlay, (0, 0), overlay)


def render(
    rng: random.Random, label: str, *, style: str, size: int = 256, fmt: str = "PNG"
) -> tuple[bytes, str, int, int]:
    """Draw one avatar. style: 'person' (gradient + initials) or 'shapes' (geometric, with a
    letter for companies). Returns (bytes, mime type, width, height)."""
    start, end = rng.choice(PALETTES)
    image = _gradient(size, start, end, rng.random() < 0.5)
    if style == "person":
        _draw_initials(image, initials(label), 0.42)
    else:
        _geometric(image, rng)
        if style == "shapes+letter":
            _draw_initials(image, initials(label)[:1], 0.5)
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=88)
        mime = "image/jpeg"
    else:
        image.save(out, "PNG", compress_level=1)  # drawn at every first start: speed over size
        mime = "image/png"
    return out.getvalue(), mime, size, size


class Drawings:
    """Pictures drawn on threads of their own while a seed goes on with its rows: Pillow draws and
    encodes without the GIL, so the first start of a sandbox waits about half as long for them.

    Each picture gets a generator of its own, seeded from the seed's, so a seed still always
    gives the same pictures. Leaving the `with` block cancels the ones not yet started.
    """

    THREADS = 2

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(self.THREADS, "attache-seed-drawing")

    def draw(
        self, rng: random.Random, label: str, *, style: str, size: int = 256, fmt: str = "PNG"
    ) -> Future[tuple[bytes, str, int, int]]:
        """`render`'s answer, to come."""
        own = random.Random(rng.getrandbits(64))
        return self._pool.submit(render, own, label, style=style, size=size, fmt=fmt)

    def __enter__(self) -> Drawings:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._pool.shutdown(cancel_futures=True)


def placeholder(width: int, height: int) -> bytes:
    """A neutral "no picture" image (a grey head-and-shoulders) for services that serve one."""
    image = Image.new("RGB", (width, height), "#dfe3e8")
    draw = ImageDraw.Draw(image)
    w, h = width, height
    draw.ellipse((w * 0.32, h * 0.18, w * 0.68, h * 0.54), fill="#aab2bd")
    draw.ellipse((w * 0.14, h * 0.6, w * 0.86, h * 1.3), fill="#aab2bd")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
