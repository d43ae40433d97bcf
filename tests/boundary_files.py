"""Boundary files made for the tests: a regency's districts as a grid of cells whose borders are
long wiggly lines shared by the two neighbours (as in a real file, where both sides of a border
hold the same points), written as GeoJSON or TopoJSON."""

import json
import random


def _edge(start, end, points, rng, amplitude):
    """A wiggly line from start to end: a random walk across the straight line, back to it at
    both ends."""
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    length = (dx * dx + dy * dy) ** 0.5
    nx, ny = -dy / length, dx / length
    offset, out = 0.0, []
    for i in range(points):
        t = i / (points - 1)
        offset += rng.uniform(-1, 1) * amplitude / 8
        offset = max(-amplitude, min(amplitude, offset))
        taper = min(t, 1 - t) * 4
        wiggle = offset * min(1.0, taper)
        out.append((round(x0 + dx * t + nx * wiggle, 7), round(y0 + dy * t + ny * wiggle, 7)))
    return out


def district_grid(codes, *, columns=6, west=112.6, south=-7.25, size=0.1, points=800, amplitude=0.01, seed=7):
    """{code: ring} for the given codes, laid out `columns` to a row; neighbouring cells share
    their border's points exactly."""
    rng = random.Random(seed)
    rows = (len(codes) + columns - 1) // columns

    def corner(i, j):
        return (round(west + i * size, 7), round(south + j * size, 7))

    horizontal = {
        (i, j): _edge(corner(i, j), corner(i + 1, j), points, rng, amplitude)
        for i in range(columns)
        for j in range(rows + 1)
    }
    vertical = {
        (i, j): _edge(corner(i, j), corner(i, j + 1), points, rng, amplitude)
        for i in range(columns + 1)
        for j in range(rows)
    }
    rings = {}
    for n, code in enumerate(codes):
        i, j = n % columns, n // columns
        ring = (
            horizontal[(i, j)]
            + vertical[(i + 1, j)][1:]
            + horizontal[(i, j + 1)][::-1][1:]
            + vertical[(i, j)][::-1][1:]
        )
        rings[code] = ring
    return rings


def geojson(features) -> bytes:
    """features: [(properties, ring)] → a FeatureCollection of Polygons."""
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": props,
                    "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
                }
                for props, ring in features
            ],
        }
    ).encode()


def topojson_two_cells(*, quantized=True) -> bytes:
    """Two districts of Bangkalan side by side sharing one arc, as a TopoJSON topology (quantized:
    integer positions delta-encoded, with a transform)."""
    # Arcs in longitude/latitude: 0 the shared border (south to north), 1 the west cell's other
    # sides (north-east corner round to south-east), 2 the east cell's.
    arcs = [
        [(112.7, -7.2), (112.71, -7.15), (112.7, -7.1)],
        [(112.7, -7.1), (112.6, -7.1), (112.6, -7.2), (112.7, -7.2)],
        [(112.7, -7.2), (112.8, -7.2), (112.8, -7.1), (112.7, -7.1)],
    ]
    topology = {"type": "Topology", "objects": {}, "arcs": []}
    if quantized:
        scale, translate = (0.0001, 0.0001), (112.0, -8.0)
        topology["transform"] = {"scale": list(scale), "translate": list(translate)}
        for arc in arcs:
            previous, encoded = (0, 0), []
            for x, y in arc:
                qx, qy = round((x - translate[0]) / scale[0]), round((y - translate[1]) / scale[1])
                encoded.append([qx - previous[0], qy - previous[1]])
                previous = (qx, qy)
            topology["arcs"].append(encoded)
    else:
        topology["arcs"] = [[list(p) for p in arc] for arc in arcs]
    topology["objects"]["kecamatan"] = {
        "type": "GeometryCollection",
        "geometries": [
            {"type": "Polygon", "arcs": [[0, 1]], "properties": {"KDCPUM": "35.26.01", "WADMKC": "Bangkalan"}},
            {"type": "Polygon", "arcs": [[2, ~0]], "properties": {"KDCPUM": "35.26.02", "WADMKC": "Socah"}},
        ],
    }
    return json.dumps(topology).encode()
