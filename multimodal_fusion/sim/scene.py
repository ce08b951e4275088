# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The head camera's view: a table with objects in front of a photo, maybe a person.

``sample_scene`` draws a scene plan (layout, lighting, people) once per episode;
``render_frame`` renders it at any instant, applying the camera motion of that instant,
and returns the visible things with boxes read from the label image.

Geometry is stored in fractions of the image size, so one plan renders at any resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Optional
from typing import Sequence

import cv2
import numpy as np

from multimodal_fusion.sim.backgrounds import background
from multimodal_fusion.sim.backgrounds import PHOTOS
from multimodal_fusion.sim.backgrounds import ZOOMS
from multimodal_fusion.sim.noise import image_grain
from multimodal_fusion.sim.proprio import CameraMotion
from multimodal_fusion.sim.referring import ObjectAttributes
from multimodal_fusion.sim.shapes import draw_object
from multimodal_fusion.sim.shapes import draw_person
from multimodal_fusion.sim.shapes import draw_shadow
from multimodal_fusion.sim.shapes import object_size
from multimodal_fusion.sim.shapes import PERSON_POSES
from multimodal_fusion.sim.shapes import PersonLook
from multimodal_fusion.sim.vocab import COLORS
from multimodal_fusion.sim.vocab import NO_ATTRIBUTE
from multimodal_fusion.sim.vocab import PERSON_CLASS
from multimodal_fusion.sim.vocab import SHAPES

# Base RGB per colour word; hues far apart so that lighting and tint never swap names.
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
        look: colours.
    """

    x: tuple[float, float]
    height: tuple[float, float]
    above: float
    start: float
    end: float
    pose: str
    arm: int
    look: PersonLook


@dataclass(frozen=True)
class ScenePlan:
    """Everything the camera sees in an episode."""

    photo: str
    zoom: int
    crop: tuple[float, float]
    flip: bool
    horizon: float
    table: tuple[float, float]
    table_rgb: tuple[int, int, int]
    seams: tuple[float, ...]
    objects: tuple[PlacedObject, ...]
    person: Optional[PersonPlan]
    gain: float
    tint: tuple[float, float, float]
    gradient: tuple[float, float]
    grain: float
    focus: float
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
    skin = ((241, 194, 160), (224, 172, 125), (198, 134, 90), (141, 85, 54), (92, 58, 40))
    hair = ((30, 25, 20), (90, 60, 30), (160, 120, 60), (120, 120, 120))

    def pick(options):
        return options[int(rng.integers(len(options)))]
    shirt = tuple(int(v) for v in rng.integers(30, 230, 3))
    trousers = tuple(int(v) for v in rng.integers(20, 110, 3))
    return PersonLook(skin=pick(skin), shirt=shirt, trousers=trousers, hair=pick(hair))


def sample_person(rng: np.random.Generator, kind: str, horizon: float, start: float,
                  end: float) -> PersonPlan:
    """A person of one of three kinds.

    Args:
        rng: the episode's generator.
        kind: ``'still'`` (anywhere, any pose), ``'approach'`` (grows from far to near over
            the episode) or ``'handover'`` (near, reaching towards the robot).
        horizon: y of the table's far edge, fraction of the height.
        start: episode start time.
        end: episode end time.
    """
    above = rng.uniform(0.36, 0.5)
    # The head must stay in the frame: top = horizon - above * height >= -0.02.
    tallest = (horizon + 0.02) / above
    x = rng.uniform(0.2, 0.8)
    pose = PERSON_POSES[int(rng.integers(len(PERSON_POSES)))]
    if kind == 'handover':
        size = rng.uniform(0.8, 1.0) * tallest
        heights = (size, size)
        pose = 'reach'
        xs = (x, x)
    elif kind == 'approach':
        far = rng.uniform(0.4, 0.55) * tallest
        heights = (far, rng.uniform(0.8, 1.0) * tallest)
        xs = (x, float(np.clip(x + rng.uniform(-0.2, 0.2), 0.2, 0.8)))
    elif kind == 'still':
        size = rng.uniform(0.45, 1.0) * tallest
        heights = (size, size)
        xs = (x, x)
    else:
        raise ValueError(f'unknown person kind {kind!r}; expected still, approach or handover')
    return PersonPlan(x=xs, height=heights, above=float(above), start=start, end=end,
                      pose=pose, arm=int(rng.integers(2)), look=sample_look(rng))


def sample_scene(rng: np.random.Generator, objects: Sequence[ObjectAttributes],
                 left_to_right: Sequence[int], required: Sequence[int], person: Optional[str],
                 start: float, end: float, aspect: float,
                 safe: bool) -> tuple[ScenePlan, tuple[int, ...]]:
    """A scene plan: photo, table, laid-out objects, lighting and maybe a person.

    Args:
        rng: the episode's generator.
        objects: tabletop objects to place.
        left_to_right: objects whose left-to-right order a position word relies on.
        required: other objects that must be placed.
        person: person kind (see ``sample_person``) or ``None``.
        start: episode start time.
        end: episode end time.
        aspect: image width / height.
        safe: keep objects central because the camera will tilt.

    Returns:
        The plan, and for each of its objects the index in ``objects`` it came from.
    """
    horizon = float(rng.uniform(0.42, 0.55))
    placed, kept = sample_layout(rng, objects, left_to_right, required, horizon, aspect, safe)
    person_plan = sample_person(rng, person, horizon, start, end) if person else None
    focus = float(rng.uniform(0.4, 1.2)) if rng.random() < 0.4 else 0.0
    plan = ScenePlan(
        photo=PHOTOS[int(rng.integers(len(PHOTOS)))],
        zoom=int(rng.integers(len(ZOOMS))),
        crop=(float(rng.random()), float(rng.random())),
        flip=bool(rng.random() < 0.5),
        horizon=horizon,
        table=(float(rng.uniform(-0.2, 0.08)), float(rng.uniform(0.92, 1.2))),
        table_rgb=tuple(int(v) for v in np.clip(
            np.array(TABLE_COLORS[int(rng.integers(len(TABLE_COLORS)))])
            + rng.integers(-10, 11, 3), 0, 255)),
        seams=tuple(float(v) for v in rng.uniform(0.0, 1.0, int(rng.integers(0, 5)))),
        objects=placed,
        person=person_plan,
        gain=float(rng.uniform(0.65, 1.25)),
        tint=tuple(float(v) for v in rng.uniform(0.9, 1.1, 3)),
        gradient=(float(rng.uniform(-0.25, 0.25)), float(rng.uniform(-0.2, 0.2))),
        grain=float(rng.uniform(1.0, 7.0)),
        focus=focus,
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
    img = background(plan.photo, plan.zoom, plan.crop, plan.flip, width, height)
    label = np.zeros((height, width), dtype=np.uint8)
    person_id = len(plan.objects) + 1
    if plan.person is not None:
        px, ph = _person_at(plan.person, t)
        body = ph * height
        draw_person(img, label, person_id, px * width,
                    plan.horizon * height - plan.person.above * body, body, plan.person.pose,
                    plan.person.arm, plan.person.look)
    _draw_table(img, label, plan)
    order = sorted(range(len(plan.objects)), key=lambda i: plan.objects[i].y)
    for i in order:
        obj = plan.objects[i]
        x, y, w = obj.x * width, obj.y * height, obj.width * width
        draw_shadow(img, x, y, w)
        draw_object(img, label, i + 1, SHAPES[obj.attributes.shape], x, y, w,
                    np.asarray(obj.rgb))
    ids = list(range(1, person_id + (plan.person is not None)))
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
    blur_px = int(round(motion.blur * width))
    if blur_px >= 2:
        img = cv2.filter2D(img, -1, _motion_kernel(blur_px | 1, motion.blur_angle_deg))
    elif plan.focus > 0.0:
        img = cv2.GaussianBlur(img, (0, 0), plan.focus * width / 320)
    # Streams may start before 0 (speech leads in): fold negative frame numbers.
    grain_rng = np.random.default_rng([plan.noise_seed, frame_index & 0x7FFFFFFF])
    dy, dx = (int(v) for v in grain_rng.integers(0, 64, 2))
    gx = 1.0 + plan.gradient[0] * np.linspace(-1.0, 1.0, width, dtype=np.float32)
    gy = 1.0 + plan.gradient[1] * np.linspace(-1.0, 1.0, height, dtype=np.float32)
    light = (gy[:, None, None] * gx[None, :, None]) * (
        plan.gain * np.asarray(plan.tint, dtype=np.float32))[None, None, :]
    lit = img * light
    lit += plan.grain * image_grain(height, width, dy, dx)
    image = np.clip(lit, 0, 255).astype(np.uint8)
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
        if i == person_id:
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
