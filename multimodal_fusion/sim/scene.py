# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The head camera's view: a table with objects in front of a wall, maybe people.

``sample_scene`` draws a scene plan (background, layout, lighting, people) once per episode;
``render_frame`` renders it at any instant, applying the camera motion of that instant,
and returns the visible things with boxes read from the label image.

Geometry is stored in fractions of the image size, so one plan renders at any resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
import math
from typing import Optional
from typing import Sequence

import cv2
import numpy as np

from multimodal_fusion.sim.backgrounds import background
from multimodal_fusion.sim.backgrounds import BackgroundPlan
from multimodal_fusion.sim.backgrounds import sample_background
from multimodal_fusion.sim.noise import image_grain
from multimodal_fusion.sim.proprio import CameraMotion
from multimodal_fusion.sim.referring import ObjectAttributes
from multimodal_fusion.sim.shapes import draw_object
from multimodal_fusion.sim.shapes import draw_person
from multimodal_fusion.sim.shapes import draw_shadow
from multimodal_fusion.sim.shapes import FACINGS
from multimodal_fusion.sim.shapes import HAIR_STYLES
from multimodal_fusion.sim.shapes import object_size
from multimodal_fusion.sim.shapes import PERSON_POSES
from multimodal_fusion.sim.shapes import PersonLook
from multimodal_fusion.sim.shapes import SKIN_TONES
from multimodal_fusion.sim.vocab import COLORS
from multimodal_fusion.sim.vocab import NO_ATTRIBUTE
from multimodal_fusion.sim.vocab import PERSON_CLASS
from multimodal_fusion.sim.vocab import SHAPES

# Base RGB per colour word; hues far apart so that lighting never swaps names: white
# balance, tint and exposure together move a hue by at most about 15 degrees
# (test_scene_variety checks the extremes), and the closest pair, yellow (50 deg) and
# red (0 deg), stays well apart.
COLOR_RGB: dict[str, tuple[int, int, int]] = {
    'red': (205, 35, 35), 'green': (40, 165, 60), 'blue': (35, 75, 210),
    'yellow': (235, 200, 35),
}
# Silhouette width as a fraction of the image width, before perspective. Small and large
# stay apart even after the 0.9-1.0 perspective factor (0.105 vs 0.9 * 0.14).
SIZE_WIDTH: tuple[tuple[float, float], ...] = ((0.085, 0.105), (0.14, 0.17))
TABLE_COLORS: tuple[tuple[int, int, int], ...] = (
    (150, 105, 65), (185, 145, 100), (215, 212, 205), (125, 125, 130), (80, 65, 55),
    (170, 160, 140),
)
# Lighting ranges (``sample_lighting``): exposure gain (log-uniform), white-balance gain
# spread of red against blue, residual per-channel tint, tone-curve gamma.
GAIN_RANGE: tuple[float, float] = (0.5, 1.6)
WHITE_SPREAD = 0.13
TINT_RANGE: tuple[float, float] = (0.94, 1.06)
GAMMA_RANGE: tuple[float, float] = (0.8, 1.25)
# Separation of the centres of objects a position word tells apart (fraction of width).
POSITION_GAP = 0.15
_MAX_OVERLAP = 0.2
_MIN_VISIBLE_PX = 12
_MIN_VISIBLE_FRACTION = 0.35


@dataclass(frozen=True)
class PlacedObject:
    """A tabletop object in the scene.

    Attributes:
        attributes: shape, colour and size.
        x: centre x of the footprint, fraction of the width.
        y: base y, fraction of the height.
        width: silhouette width, fraction of the image width.
        rgb: base colour after per-object jitter.
    """

    attributes: ObjectAttributes
    x: float
    y: float
    width: float
    rgb: tuple[float, float, float]


@dataclass(frozen=True)
class PersonPlan:
    """A person behind the table, moving linearly from ``start`` to ``end`` (episode clock).

    Attributes:
        x: (start, end) centre x, fractions of the width.
        height: (start, end) body height, fractions of the image height.
        above: fraction of the body above the table's far edge.
        start: episode time of the first state.
        end: episode time of the second state.
        pose: one of ``PERSON_POSES``.
        arm: arm that takes the pose.
        look: colours, hair, build.
        facing: one of ``FACINGS``.
        chair: RGB of the chair back of a seated person, or ``None`` (standing).
    """

    x: tuple[float, float]
    height: tuple[float, float]
    above: float
    start: float
    end: float
    pose: str
    arm: int
    look: PersonLook
    facing: str = 'front'
    chair: Optional[tuple[int, int, int]] = None


@dataclass(frozen=True)
class Lighting:
    """Camera exposure and optics of an episode.

    Attributes:
        gain: exposure (below 1 under-, above 1 over-exposed; highlights clip).
        white: (r, g, b) white-balance gains of the light's colour temperature.
        tint: (r, g, b) residual per-channel gains.
        gamma: tone curve exponent applied after exposure.
        gradient: (x, y) linear light falloff across the frame.
        vignette: darkening at the corners (0 none).
        grain: sensor noise sigma in grey levels.
        focus: defocus blur sigma at 320 px width (0 sharp).
        jpeg: JPEG quality of a compressed stream (0 uncompressed).
    """

    gain: float = 1.0
    white: tuple[float, float, float] = (1.0, 1.0, 1.0)
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    gamma: float = 1.0
    gradient: tuple[float, float] = (0.0, 0.0)
    vignette: float = 0.0
    grain: float = 0.0
    focus: float = 0.0
    jpeg: int = 0


@dataclass(frozen=True)
class ScenePlan:
    """Everything the camera sees in an episode.

    ``person`` is the person the situation is about (``plan.py`` decides it); ``others``
    are rare bystanders further back, only ever with a ``person``.
    """

    background: BackgroundPlan
    horizon: float
    table: tuple[float, float]
    table_rgb: tuple[int, int, int]
    seams: tuple[float, ...]
    objects: tuple[PlacedObject, ...]
    person: Optional[PersonPlan]
    others: tuple[PersonPlan, ...]
    lighting: Lighting
    noise_seed: int


@dataclass(frozen=True)
class Frame:
    """One rendered camera frame.

    Attributes:
        image: ``(h, w, 3)`` uint8 RGB.
        boxes: ``(n, 4)`` float32 ``x_min, y_min, x_max, y_max`` of visible things, pixels
            (max edges exclusive).
        classes: ``(n,)`` int64 indices into ``OBJECT_CLASSES``.
        colors: ``(n,)`` int64 indices into ``COLORS`` (``NO_ATTRIBUTE`` for people).
        sizes: ``(n,)`` int64 indices into ``SIZES`` (``NO_ATTRIBUTE`` for people).
        source: ``(n,)`` int64 index into ``ScenePlan.objects``, -1 for the person.
    """

    image: np.ndarray
    boxes: np.ndarray
    classes: np.ndarray
    colors: np.ndarray
    sizes: np.ndarray
    source: np.ndarray


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over the smaller box's area."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return iw * ih / smaller


def _footprint(shape: str, x: float, base: float, width: float) -> tuple[float, ...]:
    """Silhouette box in units of the image width (``base`` converted likewise)."""
    w, h = object_size(shape, width)
    return (x - w / 2, base - h, x + w / 2, base)


def sample_layout(rng: np.random.Generator, objects: Sequence[ObjectAttributes],
                  left_to_right: Sequence[int], required: Sequence[int], horizon: float,
                  aspect: float, safe: bool) -> tuple[tuple[PlacedObject, ...], tuple[int, ...]]:
    """Place objects on the table.

    Objects overlap by at most ``_MAX_OVERLAP`` of the smaller box, and the objects named by
    ``left_to_right`` get centres in that order, ``POSITION_GAP`` apart. Objects that do not
    fit are dropped (a dropped distractor never makes a reference ambiguous), never those
    in ``left_to_right`` or ``required``.

    Args:
        rng: the episode's generator.
        objects: attributes to place.
        left_to_right: indices that must appear in this left-to-right order.
        required: other indices that must be placed (the referred object).
        horizon: y of the table's far edge, fraction of the height.
        aspect: image width / height (boxes are compared in width units).
        safe: keep to the centre of the table (the camera will tilt).

    Returns:
        The placed objects, and for each the index in ``objects`` it came from.
    """
    x_lo, x_hi = (0.22, 0.78) if safe else (0.1, 0.9)
    y_lo, y_hi = horizon + 0.17, (0.86 if safe else 0.95)
    ordered = set(left_to_right)
    keep = ordered | set(required)
    for _ in range(50):
        centres: dict[int, float] = {}
        if left_to_right:
            while True:
                xs = np.sort(rng.uniform(x_lo + 0.04, x_hi - 0.04, len(left_to_right)))
                if np.all(np.diff(xs) >= POSITION_GAP):
                    break
            centres = {index: float(x) for index, x in zip(left_to_right, xs)}
        placed: dict[int, PlacedObject] = {}
        boxes: list[tuple[float, ...]] = []
        failed = False
        first = list(left_to_right) + [i for i in required if i not in ordered]
        for index in first + [i for i in range(len(objects)) if i not in keep]:
            attributes = objects[index]
            shape = SHAPES[attributes.shape]
            for _ in range(40):
                y = rng.uniform(y_lo, y_hi)
                perspective = 0.9 + 0.1 * (y - y_lo) / (y_hi - y_lo)
                width = rng.uniform(*SIZE_WIDTH[attributes.size]) * perspective
                x = centres.get(index, rng.uniform(x_lo + width / 2, x_hi - width / 2))
                box = _footprint(shape, x, y / aspect, width)
                if all(_overlap(box, other) <= _MAX_OVERLAP for other in boxes):
                    base = np.array(COLOR_RGB[COLORS[attributes.color]], dtype=np.float64)
                    rgb = np.clip(base * rng.uniform(0.9, 1.05) + rng.uniform(-12, 12, 3),
                                  0, 255)
                    placed[index] = PlacedObject(attributes, float(x), float(y), float(width),
                                                 tuple(float(v) for v in rgb))
                    boxes.append(box)
                    break
            else:
                if index in keep:
                    failed = True
                    break
        if not failed:
            kept = tuple(i for i in range(len(objects)) if i in placed)
            return tuple(placed[i] for i in kept), kept
    raise RuntimeError('could not lay out the referred objects; the table is too crowded')


def sample_look(rng: np.random.Generator) -> PersonLook:
    """Skin tone, clothes (plain or striped, short or long sleeves), hair or hat, build."""
    hair = ((20, 18, 15), (45, 30, 20), (90, 60, 30), (160, 120, 60), (200, 170, 110),
            (120, 120, 120), (200, 200, 195), (140, 40, 25))

    def pick(options):
        return options[int(rng.integers(len(options)))]

    def cloth(lo: int, hi: int) -> tuple[int, int, int]:
        return tuple(int(v) for v in rng.integers(lo, hi, 3))
    skin = np.asarray(pick(SKIN_TONES), dtype=np.float64) * rng.uniform(0.92, 1.06)
    style = pick(HAIR_STYLES)
    return PersonLook(
        skin=tuple(int(v) for v in np.clip(skin + rng.uniform(-6, 6, 3), 0, 255)),
        shirt=cloth(15, 245), trousers=cloth(15, 140),
        hair=cloth(20, 230) if style == 'hat' else pick(hair), hair_style=style,
        stripes=cloth(15, 245) if rng.random() < 0.25 else None,
        long_sleeves=bool(rng.random() < 0.5), build=float(rng.uniform(0.8, 1.25)),
        head=float(rng.uniform(0.9, 1.15)))


def sample_person(rng: np.random.Generator, kind: str, horizon: float, start: float,
                  end: float) -> PersonPlan:
    """A person of one of three kinds.

    People vary in look (``sample_look``), facing, standing or seated, distance, and for
    ``'still'`` also in visibility: near a frame edge (cut by it) or so near that the head
    leaves the top of the frame. The table and the objects occlude them as drawn.

    Args:
        rng: the episode's generator.
        kind: ``'still'`` (anywhere, any pose), ``'approach'`` (grows from far to near over
            the episode) or ``'handover'`` (near, facing the robot, reaching towards it).
        horizon: y of the table's far edge, fraction of the height.
        start: episode start time.
        end: episode end time.
    """
    if kind not in ('still', 'approach', 'handover'):
        raise ValueError(f'unknown person kind {kind!r}; expected still, approach or handover')
    seated = kind != 'approach' and rng.random() < 0.3
    above = rng.uniform(0.3, 0.38) if seated else rng.uniform(0.36, 0.5)
    # The head stays in the frame: top = horizon - above * height >= -0.02 ...
    tallest = (horizon + 0.02) / above
    x = rng.uniform(0.2, 0.8)
    pose = PERSON_POSES[int(rng.integers(len(PERSON_POSES)))]
    facing = FACINGS[int(rng.choice(3, p=(0.6, 0.25, 0.15)))]
    if kind == 'handover':
        size = rng.uniform(0.8, 1.0) * tallest
        heights = (size, size)
        pose, facing = 'reach', 'front'
        xs = (x, x)
    elif kind == 'approach':
        x = rng.uniform(0.15, 0.85)
        far = rng.uniform(0.35, 0.55) * tallest
        heights = (far, rng.uniform(0.8, 1.0) * tallest)
        xs = (x, float(np.clip(x + rng.uniform(-0.2, 0.2), 0.15, 0.85)))
        facing = 'front' if facing == 'back' else facing
    else:
        edge = rng.random()
        if edge < 0.2:
            # ... except for a still person right in front of the camera.
            tallest = (horizon + 0.15) / above
        elif edge < 0.4:
            x = float(rng.choice((-1.0, 1.0)) * rng.uniform(0.32, 0.42) + 0.5)
        size = rng.uniform(0.3, 1.0) * tallest
        heights = (size, size)
        xs = (x, x)
    chair = tuple(int(v) for v in rng.integers(20, 200, 3)) if seated else None
    return PersonPlan(x=xs, height=heights, above=float(above), start=start, end=end,
                      pose=pose, arm=int(rng.integers(2)), look=sample_look(rng),
                      facing=facing, chair=chair)


def sample_lighting(rng: np.random.Generator) -> Lighting:
    """Exposure, white balance, tone, falloff, vignetting, noise, blur and compression."""
    # Colour temperature from warm (-1, tungsten) to cool (+1, shade).
    temperature = rng.uniform(-1.0, 1.0)
    return Lighting(
        gain=float(np.exp(rng.uniform(*np.log(GAIN_RANGE)))),
        white=(float(1.0 - WHITE_SPREAD * temperature), 1.0,
               float(1.0 + WHITE_SPREAD * temperature)),
        tint=tuple(float(v) for v in rng.uniform(*TINT_RANGE, 3)),
        gamma=float(rng.uniform(*GAMMA_RANGE)),
        gradient=(float(rng.uniform(-0.35, 0.35)), float(rng.uniform(-0.25, 0.25))),
        vignette=float(rng.uniform(0.1, 0.5)) if rng.random() < 0.5 else 0.0,
        grain=float(np.exp(rng.uniform(np.log(0.5), np.log(10.0)))),
        focus=float(rng.uniform(0.4, 1.5)) if rng.random() < 0.35 else 0.0,
        jpeg=int(rng.integers(25, 86)) if rng.random() < 0.25 else 0)


def sample_scene(rng: np.random.Generator, objects: Sequence[ObjectAttributes],
                 left_to_right: Sequence[int], required: Sequence[int], person: Optional[str],
                 start: float, end: float, aspect: float, safe: bool,
                 pool: str = 'train') -> tuple[ScenePlan, tuple[int, ...]]:
    """A scene plan: background, table, laid-out objects, lighting and maybe people.

    Args:
        rng: the episode's generator.
        objects: tabletop objects to place.
        left_to_right: objects whose left-to-right order a position word relies on.
        required: other objects that must be placed.
        person: person kind (see ``sample_person``) or ``None`` (then nobody is in view).
        start: episode start time.
        end: episode end time.
        aspect: image width / height.
        safe: keep objects central because the camera will tilt.
        pool: background pool, ``'train'`` or ``'held_out'`` (``SimConfig.pool``).

    Returns:
        The plan, and for each of its objects the index in ``objects`` it came from.
    """
    horizon = float(rng.uniform(0.42, 0.55))
    placed, kept = sample_layout(rng, objects, left_to_right, required, horizon, aspect, safe)
    person_plan = sample_person(rng, person, horizon, start, end) if person else None
    others: tuple[PersonPlan, ...] = ()
    if person_plan is not None and rng.random() < 0.08:
        bystander = sample_person(rng, 'still', horizon, start, end)
        scale = rng.uniform(0.45, 0.7)
        others = (PersonPlan(**{**bystander.__dict__,
                                'height': tuple(v * scale for v in bystander.height)}),)
    plan = ScenePlan(
        background=sample_background(rng, pool, tuple(COLOR_RGB.values())),
        horizon=horizon,
        table=(float(rng.uniform(-0.2, 0.08)), float(rng.uniform(0.92, 1.2))),
        table_rgb=tuple(int(v) for v in np.clip(
            np.array(TABLE_COLORS[int(rng.integers(len(TABLE_COLORS)))])
            + rng.integers(-10, 11, 3), 0, 255)),
        seams=tuple(float(v) for v in rng.uniform(0.0, 1.0, int(rng.integers(0, 5)))),
        objects=placed,
        person=person_plan,
        others=others,
        lighting=sample_lighting(rng),
        noise_seed=int(rng.integers(2 ** 31)),
    )
    return plan, kept


def _person_at(person: PersonPlan, t: float) -> tuple[float, float]:
    span = max(person.end - person.start, 1e-6)
    f = float(np.clip((t - person.start) / span, 0.0, 1.0))
    return (person.x[0] + f * (person.x[1] - person.x[0]),
            person.height[0] + f * (person.height[1] - person.height[0]))


def _draw_table(img: np.ndarray, label: np.ndarray, plan: ScenePlan) -> None:
    h, w = img.shape[:2]
    far_y = plan.horizon * h
    left, right = plan.table[0] * w, plan.table[1] * w
    spread = 0.9 * (h - far_y)
    corners = np.array([(left, far_y), (right, far_y), (right + spread, h + 2),
                        (left - spread, h + 2)])
    pts = [np.round(corners * 16).astype(np.int32)]
    cv2.fillPoly(img, pts, plan.table_rgb, cv2.LINE_AA, 4)
    cv2.fillPoly(label, pts, 0, cv2.LINE_8, 4)
    seam = tuple(int(v * 0.8) for v in plan.table_rgb)
    for s in plan.seams:
        # Plank seams run towards the vanishing point above the table's centre.
        x_far = left + s * (right - left)
        x_near = (left - spread) + s * (right - left + 2 * spread)
        cv2.line(img, (int(x_far), int(far_y)), (int(x_near), h), seam, 1, cv2.LINE_AA)


def _motion_kernel(length: int, angle_deg: float) -> np.ndarray:
    kernel = np.zeros((length, length), dtype=np.float32)
    c = (length - 1) / 2
    dx, dy = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    cv2.line(kernel, (int(round(c - dx * c)), int(round(c - dy * c))),
             (int(round(c + dx * c)), int(round(c + dy * c))), 1.0, 1)
    return kernel / kernel.sum()


@functools.lru_cache(maxsize=8)
def _light_map(lighting: Lighting, width: int, height: int) -> np.ndarray:
    """``(h, w, 3)`` float32 per-pixel gain: exposure, colour, falloff and vignetting.

    Falloff and vignetting are smooth, so they are computed on a 32x24 grid and magnified.
    """
    gx = 1.0 + lighting.gradient[0] * np.linspace(-1.0, 1.0, 32, dtype=np.float32)
    gy = 1.0 + lighting.gradient[1] * np.linspace(-1.0, 1.0, 24, dtype=np.float32)
    falloff = gy[:, None] * gx[None, :]
    if lighting.vignette > 0.0:
        r2 = (np.linspace(-1.0, 1.0, 32, dtype=np.float32)[None, :] ** 2
              + np.linspace(-1.0, 1.0, 24, dtype=np.float32)[:, None] ** 2) / 2.0
        falloff = falloff * (1.0 - lighting.vignette * r2)
    colour = lighting.gain * np.asarray(lighting.white, dtype=np.float32) * np.asarray(
        lighting.tint, dtype=np.float32)
    small = np.ascontiguousarray(falloff[:, :, None] * colour[None, None, :], dtype=np.float32)
    light = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    light.flags.writeable = False
    return light


@functools.lru_cache(maxsize=64)
def _tone_curve(gamma: float) -> np.ndarray:
    return np.clip(255.0 * (np.arange(256) / 255.0) ** gamma + 0.5, 0, 255).astype(np.uint8)


def render_frame(plan: ScenePlan, width: int, height: int, t: float, frame_index: int,
                 motion: CameraMotion) -> Frame:
    """Render the scene at episode time ``t``.

    Args:
        plan: the episode's scene.
        width: image width in pixels.
        height: image height in pixels.
        t: episode time (moves the person).
        frame_index: camera frame number (selects the sensor grain).
        motion: head-camera motion at ``t``.
    """
    img = background(plan.background, width, height)
    label = np.zeros((height, width), dtype=np.uint8)
    person_id = len(plan.objects) + 1
    people = plan.others + ((plan.person,) if plan.person is not None else ())
    # Bystanders (further back) first, each with its own id after the objects'.
    for k, person in enumerate(people):
        px, ph = _person_at(person, t)
        body = ph * height
        draw_person(img, label, person_id + k, px * width,
                    plan.horizon * height - person.above * body, body, person.pose,
                    person.arm, person.look, person.facing, person.chair)
    _draw_table(img, label, plan)
    order = sorted(range(len(plan.objects)), key=lambda i: plan.objects[i].y)
    for i in order:
        obj = plan.objects[i]
        x, y, w = obj.x * width, obj.y * height, obj.width * width
        draw_shadow(img, x, y, w)
        draw_object(img, label, i + 1, SHAPES[obj.attributes.shape], x, y, w,
                    np.asarray(obj.rgb))
    ids = list(range(1, person_id + len(people)))
    # Sub-pixel sway is not worth a warp (and would blur every frame a little).
    moved = (abs(motion.roll_deg) > 0.2
             or abs(motion.shift[0] * width) + abs(motion.shift[1] * height) > 0.5)
    before = None
    if moved:
        before = {i: cv2.countNonZero((label == i).view(np.uint8)) for i in ids}
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), motion.roll_deg, 1.0)
        matrix[0, 2] += motion.shift[0] * width
        matrix[1, 2] += motion.shift[1] * height
        # Replicating the border smears it; reflecting would mirror people and objects into
        # the frame without boxes.
        img = cv2.warpAffine(img, matrix, (width, height), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE)
        label = cv2.warpAffine(label, matrix, (width, height), flags=cv2.INTER_NEAREST,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    lighting = plan.lighting
    blur_px = int(round(motion.blur * width))
    if blur_px >= 2:
        img = cv2.filter2D(img, -1, _motion_kernel(blur_px | 1, motion.blur_angle_deg))
    elif lighting.focus > 0.0:
        img = cv2.GaussianBlur(img, (0, 0), lighting.focus * width / 320)
    # Streams may start before 0 (speech leads in): fold negative frame numbers.
    grain_rng = np.random.default_rng([plan.noise_seed, frame_index & 0x7FFFFFFF])
    dy, dx = (int(v) for v in grain_rng.integers(0, 64, 2))
    lit = img * _light_map(lighting, width, height)
    lit += lighting.grain * image_grain(height, width, dy, dx)
    image = cv2.LUT(np.clip(lit, 0, 255).astype(np.uint8), _tone_curve(lighting.gamma))
    if lighting.jpeg:
        # OpenCV's codec takes BGR: convert so that chroma is subsampled as in a real stream.
        ok, data = cv2.imencode('.jpg', cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                                (cv2.IMWRITE_JPEG_QUALITY, lighting.jpeg))
        if ok:
            image = cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    boxes, classes, colors, sizes, source = [], [], [], [], []
    for i in ids:
        mask = (label == i).view(np.uint8)
        area = cv2.countNonZero(mask)
        if area < _MIN_VISIBLE_PX:
            continue
        if before is not None and area < _MIN_VISIBLE_FRACTION * before[i]:
            continue
        x0, y0, bw, bh = cv2.boundingRect(mask)
        boxes.append((x0, y0, x0 + bw, y0 + bh))
        if i >= person_id:
            classes.append(PERSON_CLASS)
            colors.append(NO_ATTRIBUTE)
            sizes.append(NO_ATTRIBUTE)
            source.append(-1)
        else:
            attributes = plan.objects[i - 1].attributes
            classes.append(attributes.shape)
            colors.append(attributes.color)
            sizes.append(attributes.size)
            source.append(i - 1)
    return Frame(image=image,
                 boxes=np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
                 classes=np.asarray(classes, dtype=np.int64),
                 colors=np.asarray(colors, dtype=np.int64),
                 sizes=np.asarray(sizes, dtype=np.int64),
                 source=np.asarray(source, dtype=np.int64))
