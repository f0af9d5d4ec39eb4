"""Configuration grids for ``screen.py``: lists of (label, index settings, mechanism)."""

from __future__ import annotations

COS: dict = {}
BLEND = {"alpha": 0.5, "d": 200}

ANALYSIS = {
    "default": {},
    "title1": {"field_weights": {"title": 1.0}},
    "min_df2": {"min_df": 2},
    "max_df.5": {"max_df": 0.5},
    "max_df.3": {"max_df": 0.3},
    "numbers_all": {"numbers": "all"},
    "snowball": {"stemmer": "snowball"},
    "bigrams": {"ngram_range": [1, 2]},
    "linear_tf": {"sublinear_tf": False},
}


def analysis():
    out = []
    for label, settings in ANALYSIS.items():
        out.append((f"{label}+cos", settings, COS))
        out.append((f"{label}+blend.5/200", settings, BLEND))
    return out


def mech(base=None, base_label="title1"):
    base = {"field_weights": {"title": 1.0}} if base is None else base
    specs = [
        ("cos", {}),
        ("blend.2/100", {"alpha": 0.2, "d": 100}),
        ("blend.3/100", {"alpha": 0.3, "d": 100}),
        ("blend.3/50", {"alpha": 0.3, "d": 50}),
        ("blend.5/100", {"alpha": 0.5, "d": 100}),
        ("idf^0.5", {"idf": 0.5}),
        ("idf^1.5", {"idf": 1.5}),
        ("idf^2", {"idf": 2.0}),
        ("idf prob", {"idf": "prob"}),
        ("prf b.5 m5", {"beta": 0.5, "m": 5}),
        ("prf b1 m5", {"beta": 1.0, "m": 5}),
        ("prf b1 m10", {"beta": 1.0, "m": 10}),
        ("prf b2 m10", {"beta": 2.0, "m": 10}),
        ("expand b.5 m5", {"beta": 0.5, "m": 5, "space": "expand"}),
        ("expand b1 m10", {"beta": 1.0, "m": 10, "space": "expand"}),
        ("blend.3/100+prf b1 m5", {"alpha": 0.3, "d": 100, "beta": 1.0, "m": 5}),
        ("blend.3/100+prf b1 m10", {"alpha": 0.3, "d": 100, "beta": 1.0, "m": 10}),
    ]
    return [(f"{base_label}+{label}", base, m) for label, m in specs]


TITLE1 = {"field_weights": {"title": 1.0}}


def fine():
    out = [("title1+cos", TITLE1, {})]
    for d in (25, 50, 100):
        for a in (0.3, 0.4, 0.5, 0.6):
            out.append((f"title1+blend{a}/{d}", TITLE1, {"alpha": a, "d": d}))
    for d in (50,):
        for a in (0.4,):
            out.append((f"title1+blend{a}/{d}+prf b1 m10", TITLE1,
                        {"alpha": a, "d": d, "beta": 1.0, "m": 10}))
            out.append((f"title1+blend{a}/{d}+expand b1 m10", TITLE1,
                        {"alpha": a, "d": d, "beta": 1.0, "m": 10, "space": "expand"}))
            out.append((f"title1+blend{a}/{d}+expand b.5 m10", TITLE1,
                        {"alpha": a, "d": d, "beta": 0.5, "m": 10, "space": "expand"}))
    return out


def fakebr_first():
    return [("title1+cos", TITLE1, {}),
            ("title1+blend0.3/50", TITLE1, {"alpha": 0.3, "d": 50}),
            ("title1+blend0.5/50", TITLE1, {"alpha": 0.5, "d": 50}),
            ("title1+blend0.5/100", TITLE1, {"alpha": 0.5, "d": 100}),
            ("title1+blend0.5/200", TITLE1, {"alpha": 0.5, "d": 200}),
            ("title1+blend0.4/50+prf b1 m10", TITLE1,
             {"alpha": 0.4, "d": 50, "beta": 1.0, "m": 10}),
            ("title1+blend0.4/50+expand b1 m10", TITLE1,
             {"alpha": 0.4, "d": 50, "beta": 1.0, "m": 10, "space": "expand"}),
            ("min_df2+title1+blend0.4/50", {**TITLE1, "min_df": 2}, {"alpha": 0.4, "d": 50})]


B = {"alpha": 0.5, "d": 50}


def fakebr_analysis():
    out = []
    for label, settings in ANALYSIS.items():
        if label in ("default", "bigrams", "linear_tf"):
            continue
        s = dict(settings)
        s.setdefault("field_weights", {"title": 1.0})
        out.append((f"{label}+t1+blend.5/50", s, B))
    out.append(("t1+min_df2+max_df.5+blend.5/50", {**TITLE1, "min_df": 2, "max_df": 0.5}, B))
    out.append(("t1+stop_none+blend.5/50", {**TITLE1, "stop_words": None}, B))
    return out


def latent_shape():
    out = []
    for d in (30, 50, 75):
        for p in (0.5, 1.0, 1.5):
            out.append((f"title1+blend.5/{d} p{p}", TITLE1, {"alpha": 0.5, "d": d, "p": p}))
    out.append(("title1+blend.5/50 n_iter2", TITLE1, {"alpha": 0.5, "d": 50, "n_iter": 2}))
    out.append(("title1+blend.5/50 n_iter10", TITLE1, {"alpha": 0.5, "d": 50, "n_iter": 10}))
    return out


def fakebr_latent():
    out = []
    for d in (25, 50):
        for a in (0.6, 0.7, 0.8):
            out.append((f"title1+blend{a}/{d}", TITLE1, {"alpha": a, "d": d}))
    out.append(("title1+blend0.5/50 p1.5", TITLE1, {"alpha": 0.5, "d": 50, "p": 1.5}))
    return out
