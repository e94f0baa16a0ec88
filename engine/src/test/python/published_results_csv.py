"""Writes the results.csv fixtures the published evaluator would write (gml16/rl-medical 824180d, logger.py
write_locations: the file opened with mode='a', newline='' and written with csv.writer's defaults).

  python3 engine/src/test/python/published_results_csv.py ../shared/reference/singleagent_eval_fixed.json \
      engine/src/test/resources/published

results_fixed.csv: the 162 episodes of singleagent_eval_fixed.json (6 of 10 images, 27 runs) with the published header
and numbering (run * images + episode_in_run + 1), landmarks as floats (np.round of the parsed floats), agent
positions as ints, distances as Python floats.
results_names.csv: a 2-agent play header and rows whose names need quoting (comma, quote, line break).
float_repr.txt: bits (hex) and Python repr of doubles the rows can hold, one per line.
"""
import csv
import json
import os
import random
import struct
import sys


def write_rows(path, rows):
    with open(path, mode='w', newline='') as f:
        w = csv.writer(f)
        for row in rows:
            w.writerow(row)


def header(agents):
    h = ["number"]
    for i in range(agents):
        h += [f"Filename {i}", f"Agent {i} pos x", f"Agent {i} pos y", f"Agent {i} pos z",
              f"Landmark {i} pos x", f"Landmark {i} pos y", f"Landmark {i} pos z", f"Distance {i}"]
    return h


def main(reference, out_dir):
    episodes = json.load(open(reference))["episodes"]
    # the reference evaluated the 10-scan list and kept 6 scans: episode_in_run counts all 10
    images = 10
    rows = [header(1)]
    for e in sorted(episodes, key=lambda e: (e["run"], e["episode_in_run"])):
        rows.append([e["run"] * images + e["episode_in_run"] + 1, e["image_file"], *e["final_xyz"],
                     *[float(c) for c in e["landmark_xyz"]], e["distance_error_mm"]])
    write_rows(os.path.join(out_dir, "results_fixed.csv"), rows)

    names = [header(2),
             [1, "scan,a", 4, 5, 6, "N/A", "N/A", "N/A", "N/A", "scan,a", 7, 8, 9, "N/A", "N/A", "N/A", "N/A"],
             [2, 'say "hi"', 1, 2, 3, "N/A", "N/A", "N/A", "N/A", 'say "hi"', 3, 2, 1, "N/A", "N/A", "N/A", "N/A"],
             [3, "two\nlines", 0, 0, 0, "N/A", "N/A", "N/A", "N/A", "two\nlines", 0, 0, 0, "N/A", "N/A", "N/A", "N/A"]]
    write_rows(os.path.join(out_dir, "results_names.csv"), names)

    rng = random.Random(14)
    values = [0.0, -0.0, 1.0, 89.0, 0.1, 1e-4, 1e-5, 1.5e-5, 123456789012345.6, 1e15, 1e16, 1.7976931348623157e308,
              5e-324, 2.2250738585072014e-308, 0.30000000000000004, 2.82879384806159e17, 1e23, 2e23,
              float("nan"), float("inf"), float("-inf")]
    values += [e["distance_error_mm"] for e in episodes]
    values += [rng.uniform(0, 300) for _ in range(300)]
    values += [struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0] for _ in range(300)]
    with open(os.path.join(out_dir, "float_repr.txt"), "w") as f:
        for v in values:
            f.write(struct.pack(">d", v).hex() + " " + repr(v) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
