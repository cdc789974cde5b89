"""Draw the demo's pictures with Pillow: simple scenes in each article's own colours.

The drawings are deterministic (the random generator is seeded with the picture's name), so the
same picture always encodes to the same bytes and `seed_demo` can recognise one it already
uploaded by its content hash.
"""

import io
import math
import random
import zlib

from PIL import Image, ImageColor, ImageDraw

WIDTH, HEIGHT = 1600, 1000
PORTRAIT_SIZE = 480


def draw_picture(*, name: str, scene: str, palette: tuple[str, ...]) -> bytes:
    """Return a 1600 by 1000 JPEG of the scene in the palette's colours."""
    colours = [ImageColor.getrgb(colour) for colour in palette]
    picture = Image.new("RGB", (WIDTH, HEIGHT), colours[0])
    draw = ImageDraw.Draw(picture, "RGBA")
    # Not for security: a seeded generator keeps each drawing the same from run to run.
    rng = random.Random(zlib.crc32(name.encode()))  # noqa: S311
    SCENES[scene](draw, colours, rng)
    return _jpeg(picture)


def draw_portrait(*, name: str, colour: str) -> bytes:
    """Return a square JPEG placeholder portrait: a head-and-shoulders silhouette."""
    background = ImageColor.getrgb(colour)
    picture = Image.new("RGB", (PORTRAIT_SIZE, PORTRAIT_SIZE), background)
    draw = ImageDraw.Draw(picture, "RGBA")
    size = PORTRAIT_SIZE
    _gradient(draw, (0, 0, size, size), _mix(background, (255, 255, 255), 0.25), background)
    figure = _mix(background, (255, 255, 255), 0.7)
    # The name's checksum varies the silhouette a little between authors.
    shift = zlib.crc32(name.encode()) % 40 - 20
    draw.ellipse((size * 0.12, size * 0.66, size * 0.88, size * 1.3), fill=figure)
    draw.ellipse(
        (size * 0.32 + shift / 2, size * 0.2, size * 0.68 + shift / 2, size * 0.6), fill=figure
    )
    return _jpeg(picture)


def _jpeg(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def _mix(a, b, amount):
    return tuple(round(x + (y - x) * amount) for x, y in zip(a, b, strict=True))


def _gradient(draw, box, top, bottom):
    left, upper, right, lower = (round(v) for v in box)
    span = max(1, lower - upper - 1)
    for y in range(upper, lower):
        draw.line((left, y, right, y), fill=_mix(top, bottom, (y - upper) / span))


def _waves(draw, rng, *, top, bottom, colour, count, amplitude, alpha=90):
    for _ in range(count):
        y = rng.uniform(top, bottom)
        phase = rng.uniform(0, math.tau)
        length = rng.uniform(0.004, 0.012)
        points = [(x, y + amplitude * math.sin(x * length + phase)) for x in range(0, WIDTH, 16)]
        draw.line(points, fill=(*colour, alpha), width=rng.randint(2, 5))


def skyline(draw, c, rng):
    horizon = HEIGHT * 0.62
    _gradient(draw, (0, 0, WIDTH, horizon), c[0], c[1])
    draw.ellipse((1050, horizon - 330, 1290, horizon - 90), fill=(*c[3], 220))
    x = 0
    while x < WIDTH:
        width = rng.randint(60, 160)
        height = rng.randint(80, 330)
        draw.rectangle((x, horizon - height, x + width, horizon), fill=c[2])
        for wy in range(int(horizon - height + 20), int(horizon - 15), 34):
            for wx in range(x + 12, x + width - 20, 28):
                if rng.random() < 0.35:
                    draw.rectangle((wx, wy, wx + 10, wy + 14), fill=(*c[3], 200))
        x += width + rng.randint(0, 30)
    for crane_x in (260, 720, 1380):
        top = horizon - rng.randint(380, 460)
        draw.line((crane_x, horizon, crane_x, top), fill=c[2], width=14)
        draw.line((crane_x - 120, top + 20, crane_x + 260, top + 20), fill=c[2], width=10)
        draw.line((crane_x + 200, top + 20, crane_x + 200, top + 160), fill=c[2], width=3)
    _gradient(draw, (0, horizon, WIDTH, HEIGHT), _mix(c[1], c[2], 0.5), _mix(c[0], c[2], 0.6))
    _waves(draw, rng, top=horizon + 10, bottom=HEIGHT, colour=c[3], count=40, amplitude=4)


def civic(draw, c, rng):
    _gradient(draw, (0, 0, WIDTH, HEIGHT), c[0], _mix(c[0], c[3], 0.2))
    draw.rectangle((180, 120, 1420, 780), fill=c[1])
    draw.polygon([(140, 130), (800, 20), (1460, 130)], fill=_mix(c[1], c[0], 0.4))
    for column in range(6):
        for row in range(3):
            x, y = 260 + column * 200, 200 + row * 170
            draw.rounded_rectangle((x, y, x + 90, y + 120), radius=40, fill=(*c[2], 210))
    draw.rectangle((0, 780, WIDTH, HEIGHT), fill=_mix(c[0], c[3], 0.15))
    for index in range(22):
        x = 60 + index * 68 + rng.randint(-10, 10)
        coat = _mix(c[0], c[3], rng.uniform(0.1, 0.5))
        draw.rounded_rectangle((x, 720, x + 44, 900), radius=18, fill=coat)
        draw.ellipse((x + 6, 680, x + 38, 714), fill=_mix(c[3], c[1], 0.3))
        if rng.random() < 0.6:
            umbrella = c[2] if rng.random() < 0.5 else c[1]
            draw.pieslice((x - 40, 620, x + 84, 720), 180, 360, fill=(*umbrella, 230))
    for _ in range(300):
        x, y = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT)
        draw.line((x, y, x - 6, y + 26), fill=(*c[3], 70), width=2)


def terrace(draw, c, rng):
    _gradient(draw, (0, 0, WIDTH, HEIGHT * 0.5), c[0], c[1])
    for index in range(6):
        x = index * 270 - 20
        brick = _mix(c[2], c[0], rng.uniform(0, 0.25))
        draw.rectangle((x, 260, x + 270, 860), fill=brick)
        draw.polygon([(x - 10, 270), (x + 135, 170), (x + 280, 270)], fill=c[3])
        for wx, wy in ((x + 40, 340), (x + 160, 340), (x + 40, 560)):
            boarded = rng.random() < 0.7
            draw.rectangle((wx, wy, wx + 80, wy + 130), fill=c[3] if not boarded else c[1])
            if boarded:
                for plank in range(4):
                    draw.rectangle(
                        (wx - 6, wy + 10 + plank * 30, wx + 86, wy + 28 + plank * 30),
                        fill=_mix(c[1], (140, 110, 80), 0.6),
                    )
        draw.rectangle((x + 170, 560, x + 240, 860), fill=_mix(c[3], c[2], 0.3))
    draw.rectangle((0, 860, WIDTH, HEIGHT), fill=_mix(c[0], c[1], 0.6))


def ferry(draw, c, rng):
    horizon = HEIGHT * 0.45
    _gradient(draw, (0, 0, WIDTH, horizon), _mix(c[0], (255, 255, 255), 0.3), c[0])
    draw.rectangle((0, horizon - 40, WIDTH, horizon), fill=_mix(c[1], c[0], 0.4))
    _gradient(draw, (0, horizon, WIDTH, HEIGHT), c[1], _mix(c[1], (0, 0, 0), 0.3))
    _waves(draw, rng, top=horizon, bottom=HEIGHT, colour=c[0], count=60, amplitude=6)
    draw.polygon([(420, 560), (1160, 560), (1080, 680), (500, 680)], fill=c[2])
    draw.rectangle((560, 450, 1020, 560), fill=c[3])
    for wx in range(590, 990, 60):
        draw.rectangle((wx, 480, wx + 36, 520), fill=c[1])
    draw.rectangle((760, 390, 820, 450), fill=c[2])
    draw.rectangle((1250, 520, WIDTH, 560), fill=(110, 84, 60))
    for post in range(1270, WIDTH, 70):
        draw.rectangle((post, 560, post + 16, 760), fill=(90, 68, 50))


def bars(draw, c, rng):
    draw.rectangle((0, 0, WIDTH, HEIGHT), fill=c[0])
    for y in range(200, 900, 100):
        draw.line((120, y, 1480, y), fill=(*c[1], 40), width=2)
    for index in range(12):
        x = 160 + index * 110
        height = 120 + index * 45 + rng.randint(-60, 60)
        draw.rectangle((x, 880 - height, x + 76, 880), fill=c[1 + index % (len(c) - 1)])
    draw.line((120, 880, 1480, 880), fill=c[1], width=6)


def shipyard(draw, c, rng):
    _gradient(draw, (0, 0, WIDTH, HEIGHT), c[0], c[1])
    draw.line((160, 900, 160, 120), fill=c[2], width=30)
    draw.line((1440, 900, 1440, 120), fill=c[2], width=30)
    draw.rectangle((120, 110, 1480, 170), fill=c[2])
    draw.line((820, 170, 820, 330), fill=c[3], width=6)
    # A hull seen from the side, bow to the right, on blocks.
    draw.polygon(
        [(260, 470), (1400, 430), (1330, 640), (1180, 840), (330, 840), (260, 720)], fill=c[3]
    )
    for y in range(520, 840, 55):
        draw.line((280, y, 1320, y - 20), fill=(*c[1], 90), width=3)
    for x in range(380, 1200, 160):
        draw.rectangle((x, 840, x + 60, 900), fill=_mix(c[1], c[3], 0.5))
    for x in range(300, 1300, 100):
        draw.line((x, 470, x, 200), fill=(*c[1], 120), width=4)
    draw.rectangle((0, 900, WIDTH, HEIGHT), fill=_mix(c[1], (0, 0, 0), 0.5))
    for _ in range(12):
        x = rng.uniform(200, 1400)
        draw.line((x, 0, x + rng.uniform(-40, 40), 110), fill=(*c[2], 120), width=4)


def welding(draw, c, rng):
    _gradient(draw, (0, 0, WIDTH, HEIGHT), c[1], c[0])
    draw.chord((200, 420, 1400, 1300), 180, 360, fill=c[3])
    for centre_x, centre_y in ((560, 640), (1040, 600)):
        for radius, alpha in ((260, 30), (150, 60), (60, 140), (18, 255)):
            draw.ellipse(
                (centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius),
                fill=(*c[2], alpha),
            )
        for _ in range(120):
            angle = rng.uniform(math.pi, math.tau)
            length = rng.uniform(40, 320)
            end = (centre_x + length * math.cos(angle), centre_y + length * math.sin(angle))
            draw.line((centre_x, centre_y, *end), fill=(*c[2], rng.randint(80, 220)), width=2)


def market(draw, c, rng):
    _gradient(draw, (0, 0, WIDTH, 300), _mix(c[3], (255, 255, 255), 0.4), c[3])
    draw.polygon([(0, 0), (620, 300), (620, 700), (0, HEIGHT)], fill=_mix(c[0], c[2], 0.2))
    draw.polygon([(WIDTH, 0), (980, 300), (980, 700), (WIDTH, HEIGHT)], fill=_mix(c[0], c[2], 0.3))
    draw.polygon([(0, HEIGHT), (620, 700), (980, 700), (WIDTH, HEIGHT)], fill=c[2])
    for side in (0, 1):
        for index in range(5):
            near, far = 0.0 + index * 0.2, 0.2 + index * 0.2
            x0 = 620 * near if side == 0 else WIDTH - 620 * near
            x1 = 620 * far if side == 0 else WIDTH - 620 * far
            top0, top1 = 380 + near * 80, 380 + far * 80
            stripe = c[1] if index % 2 == 0 else c[0]
            draw.polygon([(x0, top0), (x1, top1), (x1, top1 + 60), (x0, top0 + 140)], fill=stripe)
    for index in range(7):
        x = 540 + index * 80
        draw.rectangle((x, 740, x + 60, 800), fill=(242, 133, 0))
        draw.rectangle((x, 756, x + 60, 770), fill=(255, 255, 255))
    for _ in range(500):
        x, y = rng.uniform(0, WIDTH), rng.uniform(800, HEIGHT)
        draw.ellipse((x, y, x + 10, y + 6), fill=(*c[0], 60))


def sea(draw, c, rng):
    horizon = HEIGHT * 0.4
    _gradient(draw, (0, 0, WIDTH, horizon), c[0], c[1])
    _gradient(draw, (0, horizon, WIDTH, HEIGHT), c[2], _mix(c[2], (0, 0, 0), 0.35))
    _waves(draw, rng, top=horizon, bottom=HEIGHT, colour=c[1], count=80, amplitude=12)
    draw.polygon([(0, 620), (WIDTH, 860), (WIDTH, HEIGHT), (0, HEIGHT)], fill=c[3])
    for index in range(16):
        x = index * 105
        y = 620 + index * 16
        draw.line((x, y, x, y + 200), fill=_mix(c[3], (0, 0, 0), 0.3), width=3)
    for _ in range(40):
        x = rng.uniform(0, WIDTH)
        y = 600 + x * 0.15 - rng.uniform(0, 160)
        radius = rng.uniform(10, 50)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(255, 255, 255, 70))


def seagrass(draw, c, rng):
    _gradient(draw, (0, 0, WIDTH, HEIGHT), c[0], c[2])
    for index in range(6):
        x = 200 + index * 240
        draw.polygon([(x, 0), (x + 90, 0), (x + 300, HEIGHT), (x + 150, HEIGHT)], fill=(*c[0], 35))
    for _ in range(140):
        x = rng.uniform(-50, WIDTH + 50)
        height = rng.uniform(300, 750)
        sway = rng.uniform(-120, 120)
        points = [
            (x + sway * (t / 10) ** 2, HEIGHT - height * t / 10)  # a blade bending in the tide
            for t in range(11)
        ]
        shade = _mix(c[3], c[2], rng.uniform(0, 0.5))
        draw.line(points, fill=(*shade, 220), width=rng.randint(6, 14), joint="curve")
    draw.rectangle((0, HEIGHT - 40, WIDTH, HEIGHT), fill=_mix(c[2], (80, 70, 50), 0.5))


def stage(draw, c, rng):
    _gradient(draw, (0, 0, WIDTH, HEIGHT), c[1], c[0])
    for radius, alpha in ((520, 25), (420, 45), (330, 70)):
        draw.ellipse(
            (800 - radius, 320 - radius * 0.6, 800 + radius, 320 + radius * 0.6),
            fill=(*c[3], alpha),
        )
    draw.rectangle((400, 140, 1200, 500), fill=_mix(c[3], (255, 255, 255), 0.6))
    for x in range(0, 300, 30):
        draw.rectangle((x, 0, x + 18, HEIGHT), fill=(*c[2], 200))
        draw.rectangle((WIDTH - x - 18, 0, WIDTH - x, HEIGHT), fill=(*c[2], 200))
    for row in range(6):
        y = 620 + row * 64
        for x in range(180 + row * 10, WIDTH - 180 - row * 10, 56):
            draw.rounded_rectangle((x, y, x + 44, y + 46), radius=10, fill=c[2])


def ceiling(draw, c, rng):
    draw.rectangle((0, 0, WIDTH, HEIGHT), fill=c[0])
    for radius in range(760, 40, -60):
        colour = c[1] if (radius // 60) % 2 else c[2]
        draw.ellipse(
            (800 - radius, 500 - radius, 800 + radius, 500 + radius), outline=colour, width=14
        )
    for index in range(24):
        angle = index * math.tau / 24
        end = (800 + 900 * math.cos(angle), 500 + 900 * math.sin(angle))
        draw.line((800, 500, *end), fill=(*c[3], 150), width=6)
    draw.ellipse((700, 400, 900, 600), fill=c[2])


def shapes(draw, c, rng):
    draw.rectangle((0, 0, WIDTH, HEIGHT), fill=c[0])
    for _ in range(5):
        y = rng.uniform(80, 500)
        points = [(x, y + 60 * math.sin(x / 260)) for x in range(0, WIDTH + 40, 40)]
        draw.line(points, fill=c[1], width=4)
        for x, point_y in points[::3]:
            colour = c[2 + rng.randint(0, len(c) - 3)]
            draw.polygon([(x - 22, point_y), (x + 22, point_y), (x, point_y + 50)], fill=colour)
    for _ in range(40):
        x, y = rng.uniform(0, WIDTH), rng.uniform(420, HEIGHT)
        radius = rng.uniform(30, 120)
        colour = c[1 + rng.randint(0, len(c) - 2)]
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(*colour, 150))


def pitch(draw, c, rng):
    _gradient(draw, (0, 0, WIDTH, 320), c[2], _mix(c[2], c[1], 0.3))
    for index in range(10):
        top_x0, top_x1 = 240 + index * 112, 240 + (index + 1) * 112
        bottom_x0, bottom_x1 = -200 + index * 200, -200 + (index + 1) * 200
        draw.polygon(
            [(top_x0, 320), (top_x1, 320), (bottom_x1, HEIGHT), (bottom_x0, HEIGHT)],
            fill=c[index % 2],
        )
    line = (*c[3], 210)
    draw.polygon([(260, 340), (1340, 340), (1560, 960), (40, 960)], outline=line, width=5)
    draw.line((150, 650, 1450, 650), fill=line, width=5)
    draw.ellipse((640, 570, 960, 730), outline=line, width=5)
    for x in (120, 1480):
        for radius, alpha in ((160, 40), (80, 90), (30, 255)):
            draw.ellipse((x - radius, 80 - radius, x + radius, 80 + radius), fill=(*c[3], alpha))
    for _ in range(400):
        x, y = rng.uniform(0, WIDTH), rng.uniform(180, 320)
        draw.ellipse((x, y, x + 8, y + 8), fill=(*_mix(c[2], c[3], rng.uniform(0.2, 0.7)), 200))


def route(draw, c, rng):
    draw.rectangle((0, 0, WIDTH, HEIGHT), fill=c[0])
    for _ in range(40):
        if rng.random() < 0.5:
            y = rng.uniform(0, HEIGHT)
            draw.line((0, y, WIDTH, y + rng.uniform(-80, 80)), fill=c[1], width=3)
        else:
            x = rng.uniform(0, WIDTH)
            draw.line((x, 0, x + rng.uniform(-80, 80), HEIGHT), fill=c[1], width=3)
    river = [(x, 520 + 120 * math.sin(x / 300)) for x in range(-20, WIDTH + 40, 20)]
    draw.line(river, fill=(120, 170, 210), width=90, joint="curve")
    draw.line((560, 380, 560, 720), fill=c[2], width=12)
    course = [
        (180, 220),
        (520, 200),
        (560, 380),
        (560, 720),
        (900, 860),
        (1220, 760),
        (1180, 560),
        (1100, 300),
        (800, 160),
        (400, 120),
    ]
    draw.line(course, fill=c[3], width=14, joint="curve")
    for x, y in (course[0], course[-1]):
        draw.ellipse((x - 26, y - 26, x + 26, y + 26), fill=c[2])


SCENES = {
    "skyline": skyline,
    "civic": civic,
    "terrace": terrace,
    "ferry": ferry,
    "bars": bars,
    "shipyard": shipyard,
    "welding": welding,
    "market": market,
    "sea": sea,
    "seagrass": seagrass,
    "stage": stage,
    "ceiling": ceiling,
    "shapes": shapes,
    "pitch": pitch,
    "route": route,
}
