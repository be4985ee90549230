"""Steps to a class probability of 0.99 on the saved PNG, the pixels' own
ascent against Lucid's parameterisations (issue 17), on the shared
MobileNetV2: pixel (roll, blur), pixel with decorrelated colour (Lucid's
pixels, standard transforms), fft (Lucid's spectrum, standard transforms),
and fft without transforms.

For each class and set-up, one 200-step run gives the class's probability
at every step (the JSON's curve, of the float image); the first step at or
above 0.99 is then confirmed on the saved 8-bit PNG by a run of that many
steps (the same seed makes the same steps), moving on a step at a time while
the PNG falls short (a step at a time for 10 steps, then 5 at a time). Prints
a Markdown table.

    python3 bench/classviz_steps.py [--bin build/attrib] [--classes 19,88,285,934]
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


SETUPS = {
    "pixel": ["--param", "pixel"],
    "pixel, decorrelated": ["--param", "pixel", "--colour", "decorrelated"],
    "fft": ["--param", "fft"],
    "fft, no transforms": ["--param", "fft", "--transforms", "none"],
}


def run(binary, out, cls, setup, iters):
    t0 = time.time()
    p = subprocess.run([binary, "classviz", "--class", str(cls), *SETUPS[setup], "--iters",
                        str(iters), "-o", out, "--json", "--threads", "2"],
                       capture_output=True, text=True, check=True)
    return json.loads(p.stdout), time.time() - t0


def steps_to(binary, out, cls, setup, limit=200, p_min=0.99):
    s, seconds = run(binary, out, cls, setup, limit)
    curve = s["curve"]["probability"]
    first = next((i + 1 for i, p in enumerate(curve) if p >= p_min), None)
    ms_step = s["timings_ms"]["per_step"]
    if first is None:
        return None, ms_step
    # The curve is the probability of what the model saw at each step - with
    # Lucid's transforms, a transformed view - so the saved image can lag:
    # every step for 10, then every 5th (the count is then at most 4 high).
    for n in [*range(first, first + 11), *range(first + 15, limit + 1, 5)]:
        if n <= limit and run(binary, out, cls, setup, n)[0]["target"]["probability"] >= p_min:
            return n, ms_step
    return None, ms_step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "attrib"))
    ap.add_argument("--classes", default="19,88,285,934")
    args = ap.parse_args()
    print("| class | " + " | ".join(f"{name}: steps, ms/step" for name in SETUPS) + " |")
    print("|---" * (len(SETUPS) + 1) + "|")
    with tempfile.TemporaryDirectory() as out:
        for cls in args.classes.split(","):
            row = [cls]
            for setup in SETUPS:
                steps, ms = steps_to(args.bin, out, int(cls), setup)
                row += [f"{steps if steps else '> 200'}, {ms:.1f}"]
            print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
